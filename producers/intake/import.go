package intake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/keyproject/kpp/producers/credentials"
	histimport "github.com/keyproject/kpp/producers/history"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// Admin is the holder of an administrator credential: the name recorded
// as imported_by of what it imports.
type Admin struct {
	Name string `json:"name"`
}

// AdminAuthenticator verifies administrator tokens, for what no department
// may do: importing history (POST /api/v1/imports). VerifyAdmin returns
// the token's administrator; for a department's token an error wrapping
// [ErrNotAdministrator] (403), for any other refused token one wrapping
// [ErrUnauthorized] (a [*TokenRefusal] gives people its message: 401).
// Any other error is the server's problem (503). It must be safe for
// concurrent use; [CredentialsAdmins] is producers/credentials'.
type AdminAuthenticator interface {
	VerifyAdmin(token string) (Admin, error)
}

// AdminFunc adapts a function to [AdminAuthenticator].
type AdminFunc func(token string) (Admin, error)

// VerifyAdmin implements [AdminAuthenticator].
func (f AdminFunc) VerifyAdmin(token string) (Admin, error) { return f(token) }

// ErrNotAdministrator is wrapped by an [AdminAuthenticator]'s refusal of
// a department's token: the request gets 403.
var ErrNotAdministrator = errors.New("a department token where an administrator credential is required")

// CredentialsAdmins verifies administrator tokens with the departments
// file of producers/credentials (kpp admin add).
func CredentialsAdmins(st *credentials.Store) AdminAuthenticator { return credentialsAdmins{st} }

type credentialsAdmins struct{ st *credentials.Store }

func (a credentialsAdmins) VerifyAdmin(token string) (Admin, error) {
	ad, err := a.st.VerifyAdmin(token)
	var te *credentials.TokenError
	switch {
	case errors.As(err, &te) && errors.Is(err, credentials.ErrNotAdmin):
		return Admin{}, fmt.Errorf("%w: %w", ErrNotAdministrator, &TokenRefusal{MessageEn: te.MessageEn, MessageZh: te.MessageZh, Err: te})
	case errors.As(err, &te):
		return Admin{}, &TokenRefusal{MessageEn: te.MessageEn, MessageZh: te.MessageZh, Err: te}
	case err != nil:
		return Admin{}, err
	}
	return Admin{Name: ad.Name}, nil
}

// importTypes are the media types of a plain import body.
var importTypes = map[string]submit.Format{
	"application/x-ndjson":        submit.FormatJSONL,
	"application/ndjson":          submit.FormatJSONL,
	"application/jsonl":           submit.FormatJSONL,
	"application/json-lines":      submit.FormatJSONL,
	"application/jsonlines":       submit.FormatJSONL,
	"text/csv":                    submit.FormatCSV,
	"text/comma-separated-values": submit.FormatCSV,
}

// apiImport is POST /api/v1/imports: the history import of `kpp import`
// (producers/history) for an administrator credential. The body is one
// file, JSON Lines or CSV with submitted_at, sent as is (Content-Type
// application/x-ndjson or text/csv) or as the field "file" of a multipart
// form (its extension tells the format); ?dry_run=true checks only. A
// file with any problem publishes nothing (422 with every problem). No
// Idempotency-Key: every record's message id is its event id, so sending
// the same file again stores nothing twice (the receipt counts
// duplicates).
func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) {
	a, ok := s.adminAuth(w, r)
	if !ok {
		return
	}
	dry := false
	if v := r.URL.Query().Get("dry_run"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, "?dry_run="+strconv.Quote(v)+" is not true or false",
				"参数 dry_run 应为 true 或 false")
			return
		}
		dry = b
	}
	name, format, data, status, fe := s.readImport(w, r)
	defer cleanMultipart(r)
	if fe != nil {
		writeError(w, status, fe.Code, fe.MessageEn, fe.MessageZh)
		return
	}
	log := s.log.With("admin", a.Name, "file", name)
	in, err := histimport.Read(name, format, bytes.NewReader(data))
	if err != nil {
		s.failure(w, r, err)
		return
	}
	if len(in.Records) == 0 && len(in.Problems) == 0 {
		in.Problems = append(in.Problems, submit.Problem{File: name, FieldError: schema.FieldError{Rule: RuleEmpty,
			MessageEn: "holds no record; expected registrations, reports or milestone updates, each with submitted_at",
			MessageZh: "没有可导入的记录：应为项目登记、投资月报或节点进展，每条带报送时间（submitted_at）"}})
	}
	im, err := histimport.New(s.js, histimport.Config{ImportedBy: a.Name, Streams: s.cfg.Streams, Now: s.cfg.Now, DryRun: dry, Logger: s.log})
	if err != nil {
		s.failure(w, r, err)
		return
	}
	began := time.Now()
	rc, err := im.Import(r.Context(), in)
	switch {
	case errors.Is(err, histimport.ErrInvalid):
		probs := rc.Problems()
		n := len(probs)
		log.Info("import rejected, nothing published", "records", len(in.Records), "problems", n, "first", probs[0].String())
		writeJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error: APIError{Code: codeInvalid,
			MessageEn: fmt.Sprintf("%d %s; nothing was imported", n, plural(n, "problem", "problems")),
			MessageZh: fmt.Sprintf("发现 %d 处问题，未导入任何数据", n)}, Errors: probs})
		return
	case err != nil:
		s.failure(w, r, fmt.Errorf("%w: import %s: %w", ErrNATS, name, err))
		return
	}
	f := rc.Files[0]
	log.Info("history imported", "dry_run", dry, "records", f.Read, "published", f.Published, "duplicates", f.Duplicates,
		"first_seq", f.FirstSeq, "last_seq", f.LastSeq, "duration", time.Since(began))
	status = http.StatusCreated
	if dry {
		status = http.StatusOK
	}
	writeJSON(w, status, rc)
}

// adminAuth authenticates an administrator and applies the rate limit; it
// answers the request itself when it returns false. A department's token
// gets 403.
func (s *Server) adminAuth(w http.ResponseWriter, r *http.Request) (Admin, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if h == "" || !strings.EqualFold(scheme, "Bearer") || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kpp"`)
		writeError(w, http.StatusUnauthorized, codeUnauthorized,
			"missing administrator token; expected the header 'Authorization: Bearer <administrator token>' (kpp admin add issues one)",
			"缺少管理员令牌：请求头应为 Authorization: Bearer <管理员令牌>（由运维人员用 kpp admin add 发放）")
		return Admin{}, false
	}
	if s.cfg.Admins == nil {
		writeError(w, http.StatusNotImplemented, codeNotImplemented,
			"history imports through the API are not enabled on this server (no administrator credentials); the operator imports with kpp import",
			"本服务未启用通过接口导入历史数据（未配置管理员凭据）；请由运维人员使用 kpp import 导入")
		return Admin{}, false
	}
	a, err := s.cfg.Admins.VerifyAdmin(token)
	if err == nil && strings.TrimSpace(a.Name) == "" {
		err = errors.New("the administrator verifier returned an empty name")
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrNotAdministrator):
		d, _ := s.verify(token) // to name the department; checked already
		s.forbidImport(w, r, d.ID)
		return Admin{}, false
	case errors.Is(err, ErrUnauthorized):
		// A department's token that the administrator verifier does not
		// know: say it is one, to its holder only.
		if d, derr := s.verify(token); derr == nil {
			s.forbidImport(w, r, d.ID)
			return Admin{}, false
		}
		s.log.Info("administrator token refused", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
		en, zh := refusal(err)
		w.Header().Set("WWW-Authenticate", `Bearer realm="kpp", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, codeUnauthorized, en, zh)
		return Admin{}, false
	default:
		s.authUnavailable(w, r, err)
		return Admin{}, false
	}
	// Department ids cannot contain ':': the administrator's own bucket.
	if !s.allow(w, Department{ID: "admin:" + a.Name}) {
		writeError(w, http.StatusTooManyRequests, codeRateLimited,
			fmt.Sprintf("too many requests for administrator %s: the limit is %g per second with bursts of %d; retry in %s s",
				a.Name, s.cfg.Limits.RatePerSecond, s.cfg.Limits.RateBurst, w.Header().Get("Retry-After")),
			fmt.Sprintf("请求过于频繁：每个凭据每秒最多 %g 次（可瞬时 %d 次），请 %s 秒后重试",
				s.cfg.Limits.RatePerSecond, s.cfg.Limits.RateBurst, w.Header().Get("Retry-After")))
		return Admin{}, false
	}
	return a, true
}

// forbidImport answers 403 to a department's token on the import.
func (s *Server) forbidImport(w http.ResponseWriter, r *http.Request, dept string) {
	s.log.Warn("department token refused for a history import", "department", dept, "remote", r.RemoteAddr)
	whose, whoseZh := "a department's token", "部门令牌"
	if dept != "" {
		whose, whoseZh = "the token of department "+dept, "部门 "+dept+" 的令牌"
	}
	writeError(w, http.StatusForbidden, codeForbidden,
		"history imports declare submission times and are for administrator credentials only (kpp admin add); this is "+whose+", which can never import — send the month's reports to /api/v1/reports",
		"导入历史数据会写入申报的报送时间，只能使用管理员凭据（由运维人员用 kpp admin add 发放）；此为"+whoseZh+"，不能导入。本部门的月报请提交到 /api/v1/reports")
}

// readImport reads the file of an import within the upload limit: a
// multipart field "file" or the body itself.
func (s *Server) readImport(w http.ResponseWriter, r *http.Request) (string, submit.Format, []byte, int, *APIError) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	badType := &APIError{Code: codeBadRequest,
		MessageEn: "expected a JSON Lines body (Content-Type: application/x-ndjson), a CSV body (text/csv) or a multipart/form-data upload with a .jsonl, .ndjson or .csv file in the field \"file\"; got Content-Type " + strconv.Quote(r.Header.Get("Content-Type")),
		MessageZh: "请求体应为 JSON Lines（Content-Type: application/x-ndjson）、CSV（text/csv），或以 multipart/form-data 在字段 file 中上传 .jsonl、.ndjson 或 .csv 文件"}
	if mt == "multipart/form-data" {
		name, data, status, fe := s.readUpload(w, r)
		if fe != nil {
			return "", "", nil, status, fe
		}
		f, err := submit.FormatOf(name)
		if err != nil {
			return "", "", nil, http.StatusBadRequest, badType
		}
		return name, f, data, 0, nil
	}
	f, ok := importTypes[mt]
	if !ok {
		return "", "", nil, http.StatusBadRequest, badType
	}
	limit := s.cfg.Limits.MaxUploadBytes
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if tooLarge(err) {
			return "", "", nil, http.StatusRequestEntityTooLarge, &APIError{Code: codeTooLarge,
				MessageEn: "the import is larger than the limit of " + sizeText(limit) + "; split it into several files",
				MessageZh: "导入文件超过上限 " + sizeText(limit) + "，请拆分为多个文件"}
		}
		return "", "", nil, http.StatusBadRequest, &APIError{Code: codeBadRequest, MessageEn: "cannot read the body: " + err.Error(), MessageZh: "无法读取请求内容"}
	}
	name := filepath.Base(strings.ReplaceAll(r.URL.Query().Get("name"), "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "request." + string(f)
	}
	return name, f, data, 0, nil
}
