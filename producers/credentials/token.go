package credentials

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// TokenPrefix starts every department token.
const TokenPrefix = "kpp_"

const (
	tokenIDBytes  = 6  // 12 hex digits
	secretBytes   = 32 // 43 URL-safe base64 characters
	tokenIDLen    = 2 * tokenIDBytes
	secretLen     = (secretBytes*8 + 5) / 6
	tokenFormatEn = "kpp_<12 hex digits>_<43 characters>"
	tokenFormatZh = "kpp_<12位十六进制>_<43位字符>"
)

var secretEncoding = base64.RawURLEncoding.Strict()

// newTokenID returns a random token id.
func newTokenID(r io.Reader) (string, error) {
	b := make([]byte, tokenIDBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read random bytes for a token id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// newSecret returns a random secret.
func newSecret(r io.Reader) (string, error) {
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read random bytes for a token secret: %w", err)
	}
	return secretEncoding.EncodeToString(b), nil
}

func formatToken(id, secret string) string { return TokenPrefix + id + "_" + secret }

// TokenID returns the id of a well-formed token, e.g. for logs (never log
// the token itself), or "" when token is not shaped like one.
func TokenID(token string) string {
	id, _, err := parseToken(token)
	if err != nil {
		return ""
	}
	return id
}

// parseToken splits a token into its id and secret, or says what is wrong
// with its shape without repeating any of it.
func parseToken(token string) (id, secret string, err error) {
	token = strings.TrimSpace(token)
	malformed := func(en, zh string) (string, string, error) {
		return "", "", &TokenError{Err: ErrMalformedToken, MessageEn: en, MessageZh: zh}
	}
	if token == "" {
		return malformed("no department token was given; expected the token issued by `kpp dept add`, like "+tokenFormatEn,
			"未提供部门令牌；请填写管理员发放的部门令牌（形如 "+tokenFormatZh+"）")
	}
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return malformed("the token does not start with "+TokenPrefix+"; expected a department token issued by `kpp dept add`, like "+tokenFormatEn,
			"令牌应以 "+TokenPrefix+" 开头；请检查是否填写了管理员发放的部门令牌（形如 "+tokenFormatZh+"）")
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != tokenIDLen || !isLowerHex(id) {
		return malformed("the token id after "+TokenPrefix+" is not 12 lower-case hex digits followed by _; expected "+tokenFormatEn+" — was the whole token copied?",
			"令牌编号（"+TokenPrefix+" 之后）应为12位十六进制数字并以 _ 结尾；请检查是否完整复制了令牌（形如 "+tokenFormatZh+"）")
	}
	bad := func(en, zh string) (string, string, error) {
		return "", "", &TokenError{Err: ErrMalformedToken, TokenID: id, MessageEn: en, MessageZh: zh}
	}
	if len(secret) != secretLen {
		return bad(fmt.Sprintf("the secret of token %s has %d characters; expected %d — was the token cut off or joined with other text when copying?", id, len(secret), secretLen),
			fmt.Sprintf("令牌 %s 的密钥部分有%d个字符，应为%d个；请检查复制时是否截断或多带了字符", id, len(secret), secretLen))
	}
	if _, err := secretEncoding.DecodeString(secret); err != nil {
		return bad("the secret of token "+id+" has characters other than A-Z, a-z, 0-9, - and _; expected the token exactly as issued",
			"令牌 "+id+" 的密钥部分含有字母、数字、- 和 _ 以外的字符；请按发放时的原样填写令牌")
	}
	return id, secret, nil
}

func isLowerHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
