package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// now is the clock of every test: the October 2025 reporting round.
var now = time.Date(2025, 10, 20, 10, 0, 0, 0, schema.Location())

func clock() time.Time { return now }

// The departments and their tokens. tokens is a real Authenticator: an
// in-memory map (producers/credentials is the production one).
const (
	fgj     = "qy-fgj"
	jtj     = "qy-jtj"
	tokFGJ  = "kpp_fgj_0123456789abcdef0123456789abcdef"
	tokJTJ  = "kpp_jtj_fedcba9876543210fedcba9876543210"
	pumped  = "qingyuan-pumped-storage"
	park    = "qingyuan-industrial-park"
	highway = "yilongqing-expressway-qingyuan"
)

var tokens = intake.AuthFunc(func(tok string) (intake.Department, error) {
	switch tok {
	case tokFGJ:
		return intake.Department{ID: fgj, Name: "庆元县发展和改革局"}, nil
	case tokJTJ:
		return intake.Department{ID: jtj, Name: "庆元县交通运输局"}, nil
	}
	return intake.Department{}, fmt.Errorf("%w: unknown token", intake.ErrUnauthorized)
})

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// env is a running intake on a real embedded NATS server with three
// registered projects: two of qy-fgj, one of qy-jtj.
type env struct {
	t   *testing.T
	js  jetstream.JetStream
	srv *intake.Server
	ts  *httptest.Server
}

// registrations are the projects every test starts with.
func registrations() []schema.Event {
	reg := func(dept, id, name string, plan string, ms ...schema.PlannedMilestone) *schema.Project {
		return &schema.Project{
			Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: dept, Revision: 1, ReportedBy: "管理员"},
			ProjectID: id, NameZh: name, Region: "丽水市庆元县", Category: schema.CategoryEnergy, Stage: schema.StageConstruction,
			TotalInvestmentWan: schema.MustWan("1050000"),
			AnnualPlans:        []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan(plan)}},
			Milestones:         ms,
		}
	}
	return []schema.Event{
		reg(fgj, pumped, "庆元抽水蓄能电站", "150000",
			schema.PlannedMilestone{MilestoneID: "main-works-start", Title: "抽蓄主体工程开工", PlannedDate: "2025-06-30"},
			schema.PlannedMilestone{MilestoneID: "tunnel-through", Title: "通风兼安全洞贯通", PlannedDate: "2025-12-31"}),
		reg(fgj, park, "庆元县产业园区基础设施", "20000"),
		reg(jtj, highway, "义龙庆高速公路庆元段", "300000"),
	}
}

// newEnv starts NATS, registers the projects (publishing them and
// recording their owners in KPP_PROJECTS, as ingest does) and starts the
// intake with cfg (Auth, Now and Logger filled in when empty; a generous
// rate limit unless cfg sets one).
func newEnv(t *testing.T, cfg intake.Config) *env {
	t.Helper()
	ctx := context.Background()
	_, _, js := testenv.NATS(t)
	log := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pub, err := submit.New(js, submit.Config{Now: clock, Logger: log, Source: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.PublishEvents(ctx, registrations()); err != nil {
		t.Fatalf("register projects: %v", err)
	}
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range registrations() {
		if _, err := kv.PutString(ctx, ev.Project(), ev.Department()); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.Auth == nil {
		cfg.Auth = tokens
	}
	if cfg.Now == nil {
		cfg.Now = clock
	}
	if cfg.Logger == nil {
		cfg.Logger = log
	}
	if cfg.Limits.RatePerSecond == 0 {
		cfg.Limits.RatePerSecond, cfg.Limits.RateBurst = 1000, 1000
	}
	srv, err := intake.New(ctx, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{t: t, js: js, srv: srv, ts: ts}
}

// msgs is the number of messages in KPP_UPDATES.
func (e *env) msgs() uint64 {
	e.t.Helper()
	s, err := e.js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.Msgs
}

// stored returns the report stored at seq.
func (e *env) stored(seq uint64) (string, *schema.InvestmentReport) {
	e.t.Helper()
	s, err := e.js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := s.GetMsg(context.Background(), seq)
	if err != nil {
		e.t.Fatalf("get seq %d: %v", seq, err)
	}
	ev, err := schema.Decode(schema.KindInvestment, m.Data)
	if err != nil {
		e.t.Fatalf("seq %d: %v", seq, err)
	}
	return m.Subject, ev.(*schema.InvestmentReport)
}

// response is an HTTP answer, read.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", r.status, err, r.body)
	}
}

func (r response) errorBody(t *testing.T) intake.ErrorBody {
	t.Helper()
	var b intake.ErrorBody
	r.json(t, &b)
	return b
}

func (r response) receipt(t *testing.T) intake.Receipt {
	t.Helper()
	var rc intake.Receipt
	r.json(t, &rc)
	return rc
}

// do sends a request with the token (none when empty) and headers.
func (e *env) do(method, path, token string, body io.Reader, hdr map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

var keys int

// key returns a new idempotency key.
func key() string {
	keys++
	return fmt.Sprintf("test-key-%d-%d", time.Now().UnixNano(), keys)
}

// post sends JSON reports with a new idempotency key.
func (e *env) post(token, body string) response {
	e.t.Helper()
	return e.postKey(token, key(), body)
}

func (e *env) postKey(token, k, body string) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/reports", token, strings.NewReader(body),
		map[string]string{"Content-Type": "application/json", intake.HeaderIdempotencyKey: k})
}

// upload sends a file to POST /api/v1/uploads.
func (e *env) upload(token, name string, content []byte) response {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	return e.do("POST", "/api/v1/uploads", token, &b, map[string]string{"Content-Type": mw.FormDataContentType(), intake.HeaderIdempotencyKey: key()})
}

// report renders a report for the API; fields overrides or adds fields
// (a nil value removes one).
func report(project, period, month, ytd, since string, fields map[string]any) string {
	m := map[string]any{"project_id": project, "period": period, "reported_by": "王敏",
		"month_completed_wan": month, "ytd_completed_wan": ytd, "since_start_completed_wan": since}
	for k, v := range fields {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// findProblem returns the problem with the field and rule, or fails.
func findProblem(t *testing.T, probs []submit.Problem, field string, rule schema.Rule) submit.Problem {
	t.Helper()
	for _, p := range probs {
		if p.Field == field && p.Rule == rule {
			return p
		}
	}
	t.Fatalf("no problem %s/%s among %+v", field, rule, probs)
	return submit.Problem{}
}

// browserClient is an HTTP client with cookies that does not follow
// redirects, like a browser whose steps the test checks one by one.
func (e *env) browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// csvSheets is a real SheetReader for the tests: submit's CSV reader with
// the department filled in and the row limit applied. The production
// reader is producers/sheet.
func csvSheets(name string, r io.Reader, dept string, maxRows int) (*intake.Sheet, error) {
	if !strings.HasSuffix(strings.ToLower(name), ".csv") {
		return nil, errors.New(name + " is not a .csv file")
	}
	in, err := submit.Read(name, submit.FormatCSV, r)
	if err != nil {
		return nil, err
	}
	if len(in.Records) > maxRows {
		in.Problems = append(in.Problems, submit.Problem{File: name, FieldError: schema.FieldError{Rule: "limit",
			MessageEn: fmt.Sprintf("has %d rows; the limit is %d", len(in.Records), maxRows), MessageZh: fmt.Sprintf("共%d行，超过上限%d行", len(in.Records), maxRows)}})
	}
	for _, rec := range in.Records {
		if ir, ok := rec.Event.(*schema.InvestmentReport); ok && ir.DepartmentID == "" {
			ir.DepartmentID = dept
		}
	}
	return &intake.Sheet{Input: in}, nil
}
