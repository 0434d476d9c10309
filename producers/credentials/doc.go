// Package credentials keeps the departments' credentials: for each
// department a token for the intake (web pages and HTTP API of kpp serve)
// and, optionally used, a NATS password for publishing directly. Secrets
// are shown once, when issued; the departments file the operator manages
// holds only their hashes.
//
// The same file keeps the administrator credentials (`kpp admin`,
// [Store.AddAdmin], [Store.VerifyAdmin]): tokens of the same shape and
// hashing, for what no department may do (importing history through the
// API). Token ids are unique across both kinds, and neither kind passes
// for the other.
//
// # Tokens
//
// A token is kpp_<id>_<secret>: a 12-hex-digit token id (48 random bits,
// not secret, shown by `kpp dept list`) and a 43-character secret (32 bytes
// from crypto/rand, URL-safe base64), e.g.
//
//	kpp_65315e315ac2_c0Kzf5IOKSfQb_Qu82wmaGQ-qGNQxmY8mPvxEvjprFs
//
// The id lets [Store.Verify] find the one hash to check instead of trying
// every department's. The secret is hashed with argon2id (RFC 9106; by
// default 19 MiB, 2 passes, 1 lane — OWASP's minimum) with a random
// 16-byte salt per token, stored in the PHC string format
// ($argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>); the comparison is
// constant-time. After a successful check the store remembers, in memory
// only, the SHA-256 of that token, so that a client sending the same token
// on every request costs a SHA-256 rather than an argon2id; a failing
// token always costs an argon2id, at most [Config.MaxConcurrentHashes] at
// a time, which bounds the memory an attacker can make the server use.
//
// # The departments file
//
// JSON, default path .kpp/departments.json ([DefaultPath]), mode 0600,
// written by this package only through a temporary file in the same
// directory and a rename (a reader never sees half a file), under an
// exclusive lock on <file>.lock (two `kpp dept` commands do not lose each
// other's change). A file that others may write is refused
// ([ErrInsecureFile]). See docs/security.md for the format.
//
// # Changes while kpp serve runs
//
// Every [Store.Verify], [Store.List] and [Store.Get] first compares the
// file's identity, size and modification time with the version it loaded
// (one stat call) and reloads it when they differ. So `kpp dept rotate`
// in another process takes effect in a running kpp serve at its next
// request: the old token is refused from then on.
package credentials
