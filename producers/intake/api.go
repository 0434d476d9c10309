package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// HeaderIdempotencyKey is the header every POST of the API carries: the
// same key twice returns the same receipt and publishes nothing new.
const HeaderIdempotencyKey = "Idempotency-Key"

// HeaderReplayed is set to "true" on an answer that returns the receipt of
// an earlier request with the same idempotency key.
const HeaderReplayed = "Idempotent-Replayed"

// ReportInput is one monthly report as the API takes it: the fields of
// kpp.investment_report.v1 without the ones the intake fills in. The
// department comes from the token; revision 0 (or absent) lets the intake
// number it (1 for a first report, the stored revision again for an
// identical resend, the next one for a correction, which then needs a
// correction_reason).
type ReportInput struct {
	// Schema, when given, must be kpp.investment_report.v1.
	Schema string `json:"schema,omitempty"`
	// DepartmentID, when given, must be the token's department.
	DepartmentID string `json:"department_id,omitempty"`
	ProjectID    string `json:"project_id"`
	// Period is the month, "2025-09".
	Period string `json:"period"`
	// Revision: 0 or absent for automatic numbering.
	Revision   int        `json:"revision,omitempty"`
	ReportedBy string     `json:"reported_by"`
	ReportedAt *time.Time `json:"reported_at,omitempty"`
	// Source is accepted for files written for kpp submit, and ignored:
	// the intake records "api".
	Source                 string     `json:"source,omitempty"`
	MonthCompletedWan      schema.Wan `json:"month_completed_wan"`
	YTDCompletedWan        schema.Wan `json:"ytd_completed_wan"`
	SinceStartCompletedWan schema.Wan `json:"since_start_completed_wan"`
	PhysicalProgress       string     `json:"physical_progress,omitempty"`
	Problems               string     `json:"problems,omitempty"`
	NextSteps              string     `json:"next_steps,omitempty"`
	CorrectionReason       string     `json:"correction_reason,omitempty"`
	// Milestones optionally report the progress of the project's
	// registered milestones as of the month.
	Milestones []MilestoneInput `json:"milestones,omitempty"`
}

// MilestoneInput is the progress of one milestone, sent with a report.
// Title and planned date come from the registration; as_of defaults to the
// month's last day, or today while the month runs. An update identical to
// the stored one is not sent again (the receipt has a notice).
type MilestoneInput struct {
	MilestoneID string                 `json:"milestone_id"`
	Status      schema.MilestoneStatus `json:"status"`
	// Revision: 0 or absent for automatic numbering.
	Revision        int        `json:"revision,omitempty"`
	ForecastDate    string     `json:"forecast_date,omitempty"`
	ActualDate      string     `json:"actual_date,omitempty"`
	AsOf            string     `json:"as_of,omitempty"`
	PercentComplete schema.Wan `json:"percent_complete"`
	Note            string     `json:"note,omitempty"`
}

// apiAuth authenticates a request and applies the rate limit; it answers
// the request itself when it returns false.
func (s *Server) apiAuth(w http.ResponseWriter, r *http.Request) (Department, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if h == "" || !strings.EqualFold(scheme, "Bearer") || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kpp"`)
		writeError(w, http.StatusUnauthorized, codeUnauthorized,
			"missing department token; expected the header 'Authorization: Bearer <department token>' (the operator issues tokens with kpp dept add)",
			"缺少部门令牌：请求头应为 Authorization: Bearer <部门令牌>（由管理员用 kpp dept add 发放）")
		return Department{}, false
	}
	d, err := s.verify(token)
	if err != nil {
		if !errors.Is(err, ErrUnauthorized) {
			s.authUnavailable(w, r, err)
			return Department{}, false
		}
		s.log.Info("token refused", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
		en, zh := refusal(err)
		w.Header().Set("WWW-Authenticate", `Bearer realm="kpp", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, codeUnauthorized, en, zh)
		return Department{}, false
	}
	if !s.allow(w, d) {
		writeError(w, http.StatusTooManyRequests, codeRateLimited,
			fmt.Sprintf("too many requests for department %s: the limit is %g per second with bursts of %d; retry in %s s",
				d.ID, s.cfg.Limits.RatePerSecond, s.cfg.Limits.RateBurst, w.Header().Get("Retry-After")),
			fmt.Sprintf("请求过于频繁：每个部门每秒最多 %g 次（可瞬时 %d 次），请 %s 秒后重试",
				s.cfg.Limits.RatePerSecond, s.cfg.Limits.RateBurst, w.Header().Get("Retry-After")))
		return Department{}, false
	}
	return d, true
}

// refusal is what a person is told about a refused token: 令牌无效
// ("invalid token") first, then what the verifier found wrong, when it said.
func refusal(err error) (en, zh string) {
	var tr *TokenRefusal
	if errors.As(err, &tr) && tr.MessageEn != "" && tr.MessageZh != "" {
		return "invalid token: " + tr.MessageEn, "令牌无效：" + tr.MessageZh
	}
	return "invalid token: the department token was not accepted (unknown, rotated or mistyped); ask the operator for the department's current token",
		"令牌无效：部门令牌未知、已更换或输入有误，请向管理员索取本部门当前的令牌"
}

// authUnavailable answers 503 when tokens cannot be checked at all.
func (s *Server) authUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("cannot verify department tokens", "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "30")
	writeError(w, http.StatusServiceUnavailable, codeUnavailable,
		"department tokens cannot be checked right now (the operator can find why in the logs); retry later",
		"暂时无法校验部门令牌（管理员可在日志中查看原因），请稍后重试")
}

// allow applies the department's rate limit; when refused it sets
// Retry-After (whole seconds, at least 1).
func (s *Server) allow(w http.ResponseWriter, d Department) bool {
	ok, wait := s.limit.allow(d.ID, s.cfg.Now())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Max(1, math.Ceil(wait.Seconds())))))
		s.log.Info("rate limited", "department", d.ID, "retry_after", wait)
	}
	return ok
}

// idempotencyKey reads and checks the Idempotency-Key header.
func idempotencyKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	k := r.Header.Get(HeaderIdempotencyKey)
	switch {
	case k == "":
		writeError(w, http.StatusBadRequest, codeKeyMissing,
			"missing Idempotency-Key header; expected a unique key per submission (e.g. a UUID), sent again unchanged when retrying",
			"缺少 Idempotency-Key 请求头：每次提交应带一个唯一键（如 UUID），重试时原样再发")
		return "", false
	case !validIdempotencyKey(k):
		writeError(w, http.StatusBadRequest, codeKeyInvalid,
			fmt.Sprintf("the Idempotency-Key is not 1-%d printable ASCII characters without spaces", MaxIdempotencyKeyLen),
			fmt.Sprintf("Idempotency-Key 应为 1-%d 个可打印 ASCII 字符（不含空格）", MaxIdempotencyKeyLen))
		return "", false
	}
	return k, true
}

// answer writes the outcome of a submission: 201 with the receipt, 200
// with the earlier receipt for a reused key, or the refusal.
func (s *Server) answer(w http.ResponseWriter, o *outcome) {
	switch {
	case o.code == codeKeyReused:
		writeJSON(w, o.status, ErrorBody{Error: APIError{Code: o.code,
			MessageEn: "this Idempotency-Key was already used for a different request (receipt " + o.receipt.ID + "); use a new key for a new submission",
			MessageZh: "该幂等键已用于另一内容不同的提交（回执 " + o.receipt.ID + "）；新的提交请使用新的键"}, Receipt: o.receipt})
	case o.problems != nil:
		n := len(o.problems)
		en := fmt.Sprintf("%d %s; nothing was published", n, plural(n, "problem", "problems"))
		zh := fmt.Sprintf("发现 %d 处问题，未提交任何数据", n)
		switch o.code {
		case codeForbidden:
			en = fmt.Sprintf("a report is for another department or one of its projects: %d %s; nothing was published", n, plural(n, "problem", "problems"))
			zh = "存在为其他部门或其项目报送的数据，未提交任何数据（共 " + strconv.Itoa(n) + " 处问题）"
		case codeKeyBusy:
			en, zh = o.problems[0].MessageEn, o.problems[0].MessageZh
		case codeConflict:
			en = fmt.Sprintf("%d %s already stored with different content at the same revision; those were not stored — send a correction as a new revision", n, plural(n, "event was", "events were"))
			zh = fmt.Sprintf("%d 条数据已以相同版本号、不同内容保存，本次未保存；请以新版本号提交更正", n)
		}
		writeJSON(w, o.status, ErrorBody{Error: APIError{Code: o.code, MessageEn: en, MessageZh: zh}, Errors: o.problems, Notices: o.notices})
	default:
		w.Header().Set("Location", apiPrefix+"receipts/"+o.receipt.ID)
		status := http.StatusCreated
		if o.replayed {
			w.Header().Set(HeaderReplayed, "true")
			status = http.StatusOK
		}
		writeJSON(w, status, o.receipt)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// jsonItems names the items of an API POST of JSON in its refusals.
type jsonItems struct {
	// en and zh name the items: "reports", "报告".
	en, zh string
	// tooLargeEn and tooLargeZh say what to do with a body over the limit.
	tooLargeEn, tooLargeZh string
	// expectEn and expectZh say what the body must be.
	expectEn, expectZh string
}

// readItems reads the idempotency key and the body of an API POST of JSON
// items (one object or an array) within the limits. It writes the refusal
// and returns false when the key, the body or the count is wrong.
func (s *Server) readItems(w http.ResponseWriter, r *http.Request, k jsonItems) (key string, body []byte, items []json.RawMessage, ok bool) {
	if key, ok = idempotencyKey(w, r); !ok {
		return "", nil, nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.Limits.MaxBodyBytes))
	if err != nil {
		if tooLarge(err) {
			writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge,
				"the request body is larger than the limit of "+sizeText(s.cfg.Limits.MaxBodyBytes)+"; "+k.tooLargeEn,
				"请求体超过上限 "+sizeText(s.cfg.Limits.MaxBodyBytes)+"；"+k.tooLargeZh)
			return "", nil, nil, false
		}
		writeError(w, http.StatusBadRequest, codeBadRequest, "cannot read the request body: "+err.Error(), "无法读取请求体："+err.Error())
		return "", nil, nil, false
	}
	items, err = splitJSON(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeMalformed, err.Error()+"; expected "+k.expectEn,
			"请求体不是有效的JSON（"+err.Error()+"），应为"+k.expectZh)
		return "", nil, nil, false
	}
	if len(items) > s.cfg.Limits.MaxRows {
		writeError(w, http.StatusRequestEntityTooLarge, codeTooManyRows,
			fmt.Sprintf("the request holds %d %s; the limit is %d per request; split it", len(items), k.en, s.cfg.Limits.MaxRows),
			fmt.Sprintf("本次提交包含 %d 条%s，超过每次 %d 条的上限，请分批提交", len(items), k.zh, s.cfg.Limits.MaxRows))
		return "", nil, nil, false
	}
	return key, body, items, true
}

// apiReports is POST /api/v1/reports: one report object or an array.
func (s *Server) apiReports(w http.ResponseWriter, r *http.Request) {
	d, ok := s.apiAuth(w, r)
	if !ok {
		return
	}
	key, body, items, ok := s.readItems(w, r, jsonItems{en: "reports", zh: "报告",
		tooLargeEn: "send the reports in several requests, or upload a sheet", tooLargeZh: "请分多次提交，或上传表格",
		expectEn: "one report object or an array of them", expectZh: "一个报告对象或报告数组"})
	if !ok {
		return
	}
	x := s.newInput(d, "api", key, sha256Hex(body), &submit.Input{Name: "request", Format: submit.FormatEvents})
	for i, raw := range items {
		var ri ReportInput
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ri); err != nil {
			x.problems = append(x.problems, submit.Problem{File: "request", Line: i + 1, FieldError: decodeProblem(err, raw)})
			continue
		}
		s.addReport(x, i+1, "", ri)
	}
	o, err := s.process(r.Context(), x)
	if err != nil {
		s.failure(w, r, err)
		return
	}
	s.answer(w, o)
}

func (s *Server) newInput(d Department, source, key, hash string, in *submit.Input) *input {
	return &input{dept: d, source: source, key: key, hash: hash, in: in, origins: map[int]origin{}, auto: map[int]bool{}}
}

// addReport turns a report (and its milestones) into records of x, shown
// as line; prefix is put before every field name of the report.
func (s *Server) addReport(x *input, line int, prefix string, ri ReportInput) {
	if ri.Schema != "" && ri.Schema != schema.SchemaInvestment {
		x.problems = append(x.problems, submit.Problem{File: x.in.Name, Line: line, FieldError: schema.FieldError{Field: prefix + "schema", Value: ri.Schema, Rule: schema.RuleSchema,
			MessageZh: "此处只受理投资完成月报（kpp.investment_report.v1）", MessageEn: strconv.Quote(ri.Schema) + " is not accepted here; expected kpp.investment_report.v1 or no schema field"}})
		return
	}
	next := func(o origin, ev schema.Event, auto bool) {
		l := len(x.in.Records) + 1
		x.in.Records = append(x.in.Records, submit.Record{Line: l, Event: ev})
		x.origins[l] = o
		x.auto[l] = auto
	}
	rep := &schema.InvestmentReport{
		Common: schema.Common{Schema: schema.SchemaInvestment, DepartmentID: ri.DepartmentID, Revision: ri.Revision,
			ReportedBy: ri.ReportedBy, ReportedAt: ri.ReportedAt, Source: x.source},
		ProjectID: ri.ProjectID, Period: ri.Period,
		MonthCompletedWan: ri.MonthCompletedWan, YTDCompletedWan: ri.YTDCompletedWan, SinceStartCompletedWan: ri.SinceStartCompletedWan,
		PhysicalProgress: ri.PhysicalProgress, Problems: ri.Problems, NextSteps: ri.NextSteps, CorrectionReason: ri.CorrectionReason,
	}
	next(origin{line: line, prefix: prefix}, rep, ri.Revision == 0)
	asOf := s.today()
	if p, err := schema.ParsePeriod(ri.Period); err == nil && p.LastDay().Before(asOf) {
		asOf = p.LastDay()
	}
	for j, mi := range ri.Milestones {
		mp := prefix + "milestones[" + strconv.Itoa(j) + "]."
		if mi.PercentComplete.Set && !mi.PercentComplete.Valid() {
			_, fe := schema.ParsePercent(mp+"percent_complete", mi.PercentComplete.Raw)
			if fe == nil { // a Raw that parses cannot come from schema.ParseWan; say so all the same
				fe = &schema.FieldError{Field: mp + "percent_complete", Rule: schema.RuleDecimal,
					MessageZh: "不是数字，应为0至100的百分比，如 45.5", MessageEn: "is not a number; expected a percentage 0-100 such as 45.5"}
			}
			x.problems = append(x.problems, submit.Problem{File: x.in.Name, Line: line, FieldError: *fe})
			continue
		}
		m := &schema.MilestoneUpdate{
			Common:    schema.Common{Schema: schema.SchemaMilestone, DepartmentID: ri.DepartmentID, Revision: mi.Revision, ReportedBy: ri.ReportedBy, ReportedAt: ri.ReportedAt, Source: x.source},
			ProjectID: ri.ProjectID, MilestoneID: mi.MilestoneID, Status: mi.Status,
			ForecastDate: mi.ForecastDate, ActualDate: mi.ActualDate, AsOf: mi.AsOf, Note: mi.Note,
		}
		if m.AsOf == "" {
			m.AsOf = asOf.Format(schema.DateLayout)
		}
		if mi.PercentComplete.Valid() {
			v := mi.PercentComplete.Value
			m.PercentComplete = &v
		}
		next(origin{line: line, prefix: mp}, m, mi.Revision == 0)
	}
}

// splitJSON splits a body into its report objects: one object, or the
// elements of an array.
func splitJSON(body []byte) ([]json.RawMessage, error) {
	t := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\uFEFF")))
	if len(t) == 0 {
		return nil, errors.New("the request body is empty")
	}
	switch t[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(t, &items); err != nil {
			return nil, syntaxError(err, t)
		}
		if len(items) == 0 {
			return nil, errors.New("the array is empty")
		}
		return items, nil
	case '{':
		var probe json.RawMessage
		if err := json.Unmarshal(t, &probe); err != nil {
			return nil, syntaxError(err, t)
		}
		return []json.RawMessage{probe}, nil
	}
	return nil, fmt.Errorf("the body starts with %q, not { or [", excerpt(t, 20))
}

func syntaxError(err error, b []byte) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Errorf("not valid JSON at byte %d (line %d): %s", se.Offset, line, se.Error())
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("a %s where a report object was expected", te.Value)
	}
	return fmt.Errorf("not valid JSON: %s", err.Error())
}

func excerpt(b []byte, n int) string {
	r := []rune(strings.ToValidUTF8(string(b), "\uFFFD"))
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return string(r)
}

// decodeProblem turns a decoding error of one report into a field error.
func decodeProblem(err error, raw []byte) schema.FieldError { return schema.JSONProblem(err, raw) }

// apiUpload is POST /api/v1/uploads: a multipart form with the sheet in
// the field "file".
func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request) {
	d, ok := s.apiAuth(w, r)
	if !ok {
		return
	}
	key, ok := idempotencyKey(w, r)
	if !ok {
		return
	}
	if s.cfg.Sheets == nil {
		writeError(w, http.StatusNotImplemented, codeNotImplemented, "sheet uploads are not enabled on this server; send the reports as JSON to /api/v1/reports",
			"本服务未启用表格上传，请以JSON提交到 /api/v1/reports")
		return
	}
	name, data, status, fe := s.readUpload(w, r)
	defer cleanMultipart(r)
	if fe != nil {
		writeError(w, status, fe.Code, fe.MessageEn, fe.MessageZh)
		return
	}
	o, err := s.processUpload(r, d, key, name, data)
	if err != nil {
		s.failure(w, r, err)
		return
	}
	s.answer(w, o)
}

// readUpload reads the multipart field "file" within the upload limit.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (string, []byte, int, *APIError) {
	limit := s.cfg.Limits.MaxUploadBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	tooBig := &APIError{Code: codeTooLarge,
		MessageEn: "the upload is larger than the limit of " + sizeText(limit) + "; split the sheet into several files",
		MessageZh: "上传文件超过上限 " + sizeText(limit) + "，请拆分为多个文件"}
	if err := r.ParseMultipartForm(min(limit, 32<<20)); err != nil {
		if tooLarge(err) {
			return "", nil, http.StatusRequestEntityTooLarge, tooBig
		}
		return "", nil, http.StatusBadRequest, &APIError{Code: codeBadRequest,
			MessageEn: "expected a multipart/form-data body with the sheet in the field \"file\" (" + err.Error() + ")",
			MessageZh: "请求应为 multipart/form-data，表格文件放在字段 file 中"}
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		return "", nil, http.StatusBadRequest, &APIError{Code: codeBadRequest,
			MessageEn: "no file in the field \"file\"; expected the sheet (.xlsx or .csv) there",
			MessageZh: "未找到上传文件：表格（.xlsx 或 .csv）应放在字段 file 中"}
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		if tooLarge(err) {
			return "", nil, http.StatusRequestEntityTooLarge, tooBig
		}
		return "", nil, http.StatusBadRequest, &APIError{Code: codeBadRequest, MessageEn: "cannot read the upload: " + err.Error(), MessageZh: "无法读取上传文件"}
	}
	name := filepath.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "upload"
	}
	return name, data, 0, nil
}

// cleanMultipart removes the temporary files of a multipart form, if any.
func cleanMultipart(r *http.Request) {
	if r.MultipartForm != nil {
		_ = r.MultipartForm.RemoveAll()
	}
}

// processUpload reads a sheet and submits its rows.
func (s *Server) processUpload(r *http.Request, d Department, key, name string, data []byte) (*outcome, error) {
	source := "xlsx"
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		source = "csv"
	}
	sh, err := s.cfg.Sheets(name, bytes.NewReader(data), d.ID, s.cfg.Limits.MaxRows)
	if err == nil && (sh == nil || sh.Input == nil) {
		err = errors.New("the sheet reader returned nothing")
	}
	if err != nil {
		s.log.Warn("sheet reader failed", "department", d.ID, "file", name, "err", err)
		sh = &Sheet{Input: &submit.Input{Name: name, Format: submit.Format(source), Problems: []submit.Problem{{File: name, FieldError: schema.FieldError{
			Rule: submit.RuleFile, MessageEn: "cannot read the file: " + err.Error(), MessageZh: "无法读取该文件：" + err.Error()}}}}}
	}
	in := sh.Input
	if in.Name == "" {
		in.Name = name
	}
	x := s.newInput(d, source, key, sha256Hex([]byte(name), data), in)
	x.notices, x.locate = append(x.notices, sh.Notices...), sh.Locate
	for _, rec := range in.Records {
		if ir, ok := rec.Event.(*schema.InvestmentReport); ok && ir.Revision <= 1 {
			x.auto[rec.Line] = true
		}
		if mu, ok := rec.Event.(*schema.MilestoneUpdate); ok && mu.Revision <= 1 {
			x.auto[rec.Line] = true
		}
	}
	return s.process(r.Context(), x)
}

// apiReceipt is GET /api/v1/receipts/{id}.
func (s *Server) apiReceipt(w http.ResponseWriter, r *http.Request) {
	d, ok := s.apiAuth(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	rc, err := s.receipts.get(r.Context(), d.ID, id)
	if err != nil {
		s.failure(w, r, err)
		return
	}
	if rc == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "no receipt "+strconv.Quote(id)+" for department "+d.ID+"; receipt ids are 32 hex digits, as returned when submitting",
			"本部门没有编号为 "+id+" 的回执")
		return
	}
	writeJSON(w, http.StatusOK, rc)
}

// ProjectsBody is the answer of GET /api/v1/projects.
type ProjectsBody struct {
	Department Department `json:"department"`
	Projects   []Project  `json:"projects"`
}

// apiProjects is GET /api/v1/projects.
func (s *Server) apiProjects(w http.ResponseWriter, r *http.Request) {
	d, ok := s.apiAuth(w, r)
	if !ok {
		return
	}
	ps, err := loadProjects(r.Context(), s.reader(), d.ID)
	if err != nil {
		s.failure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ProjectsBody{Department: d, Projects: nonNil(ps)})
}

// HistoryBody is the answer of GET /api/v1/projects/{project}/reports.
type HistoryBody struct {
	ProjectID string `json:"project_id"`
	// Reports are every stored revision, newest first.
	Reports []Report `json:"reports"`
}

// apiHistory is GET /api/v1/projects/{project}/reports[?period=2025-09].
func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request) {
	d, ok := s.apiAuth(w, r)
	if !ok {
		return
	}
	project := r.PathValue("project")
	if !s.apiOwned(w, r, d, project) {
		return
	}
	period := r.URL.Query().Get("period")
	if period != "" {
		if _, err := schema.ParsePeriod(period); err != nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, "the period parameter "+strconv.Quote(period)+" is not a month; expected YYYY-MM, e.g. 2025-09",
				"period 参数不是有效月份，应为 YYYY-MM，如 2025-09")
			return
		}
	}
	rs, err := loadProjectReports(r.Context(), s.reader(), d.ID, project)
	if err != nil {
		s.failure(w, r, err)
		return
	}
	out := []Report{}
	for _, rep := range rs {
		if period == "" || rep.Period == period {
			out = append(out, rep)
		}
	}
	writeJSON(w, http.StatusOK, HistoryBody{ProjectID: project, Reports: out})
}

// apiOwned answers 404 or 403 unless the department owns the project.
func (s *Server) apiOwned(w http.ResponseWriter, r *http.Request, d Department, project string) bool {
	o, err := owner(r.Context(), s.js, project)
	if err != nil {
		s.failure(w, r, err)
		return false
	}
	switch {
	case o == "":
		writeError(w, http.StatusNotFound, codeNotFound, "project "+strconv.Quote(project)+" is not registered; GET /api/v1/projects lists the department's projects",
			"项目 "+project+" 未登记；本部门的项目见 GET /api/v1/projects")
		return false
	case o != d.ID:
		writeError(w, http.StatusForbidden, codeForbidden, "project "+strconv.Quote(project)+" belongs to another department; a department sees only its own projects",
			"项目 "+project+" 属于其他部门，无权查看")
		return false
	}
	return true
}

// apiNotFound answers every other path under /api/v1/.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, codeNotFound,
		r.Method+" "+r.URL.Path+" is not an endpoint; see docs/api.md (POST /api/v1/reports, POST /api/v1/uploads, GET /api/v1/receipts/{id}, GET /api/v1/projects, GET /api/v1/projects/{project}/reports)",
		"没有该接口："+r.Method+" "+r.URL.Path)
}
