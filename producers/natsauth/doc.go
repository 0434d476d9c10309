// Package natsauth makes NATS itself enforce the departments' boundary:
// it generates the nats-server authorization (a text block for an
// operator's nats-server.conf, a complete configuration, or the users and
// permissions of an embedded server) that gives
//
//   - each department a user named after its id that may publish only on
//     its own subjects, kpp.v1.<department>.> ([schema.DepartmentSubjects]),
//     read the project owners bucket (KPP_PROJECTS, which kpp submit checks
//     before publishing), and receive replies only on its own inbox prefix
//     _INBOX_<department> ([InboxPrefix]) — so it can neither publish for
//     another department nor read another department's reports, nor the
//     replies and deliveries other clients receive on _INBOX;
//   - one service user (default "kpp-service", [DefaultServiceUser]) for
//     kpp serve — ingest, the intake and the rollups — which may use the
//     JetStream API, the key-value buckets and every kpp subject.
//
// Passwords are stored as bcrypt hashes ("$2a$11$…"), which nats-server
// accepts in place of a password; the plain password is shown once, when
// it is made ([NewPassword]). A department's client connects with
// [DepartmentConnectOptions] (user, password and the inbox prefix).
//
// See docs/security.md for the trust model and how an operator includes
// the generated configuration.
package natsauth
