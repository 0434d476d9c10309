package intake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// A valid report is published, with a receipt that can be read again and
// a history that shows it.
func TestAPIReportPublished(t *testing.T) {
	e := newEnv(t, intake.Config{})
	before := e.msgs()
	res := e.post(tokFGJ, report(pumped, "2025-09", "12000.5", "98000", "356000", map[string]any{"physical_progress": "地下厂房开挖完成65%"}))
	if res.status != http.StatusCreated {
		t.Fatalf("status %d, want 201: %s", res.status, res.body)
	}
	rc := res.receipt(t)
	if rc.Published != 1 || len(rc.Events) != 1 || rc.DepartmentID != fgj || rc.Source != "api" {
		t.Fatalf("receipt %+v", rc)
	}
	ev := rc.Events[0]
	if ev.ProjectID != pumped || ev.Period != "2025-09" || ev.Revision != 1 || ev.Duplicate || ev.Line != 1 {
		t.Fatalf("receipt event %+v", ev)
	}
	if got := e.msgs(); got != before+1 {
		t.Fatalf("stream has %d messages, want %d", got, before+1)
	}
	subj, stored := e.stored(ev.Seq)
	if subj != "kpp.v1.qy-fgj.investment.qingyuan-pumped-storage" || stored.DepartmentID != fgj || stored.Source != "api" ||
		stored.YTDCompletedWan.String() != "98000.0000" || stored.PhysicalProgress != "地下厂房开挖完成65%" || stored.Revision != 1 {
		t.Fatalf("stored on %s: %+v", subj, stored)
	}
	if loc := res.header.Get("Location"); loc != "/api/v1/receipts/"+rc.ID {
		t.Fatalf("Location %q", loc)
	}

	again := e.do("GET", "/api/v1/receipts/"+rc.ID, tokFGJ, nil, nil)
	if again.status != http.StatusOK || again.receipt(t).Events[0].EventID != ev.EventID {
		t.Fatalf("GET receipt: %d %s", again.status, again.body)
	}
	// Another department cannot read it.
	if other := e.do("GET", "/api/v1/receipts/"+rc.ID, tokJTJ, nil, nil); other.status != http.StatusNotFound {
		t.Fatalf("another department's GET receipt: %d %s", other.status, other.body)
	}

	var h intake.HistoryBody
	hist := e.do("GET", "/api/v1/projects/"+pumped+"/reports", tokFGJ, nil, nil)
	hist.json(t, &h)
	if hist.status != http.StatusOK || len(h.Reports) != 1 || h.Reports[0].EventID != ev.EventID || !h.Reports[0].Current || h.Reports[0].Seq != ev.Seq {
		t.Fatalf("history %d: %s", hist.status, hist.body)
	}
}

// The same idempotency key twice returns the same receipt and publishes
// nothing new; with another request it is refused.
func TestAPIIdempotencyKey(t *testing.T) {
	e := newEnv(t, intake.Config{})
	body := report(pumped, "2025-09", "12000.5", "98000", "356000", nil)
	first := e.postKey(tokFGJ, "retry-me-1", body)
	if first.status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	n := e.msgs()
	second := e.postKey(tokFGJ, "retry-me-1", body)
	if second.status != http.StatusOK || second.header.Get(intake.HeaderReplayed) != "true" {
		t.Fatalf("second: %d %v %s", second.status, second.header, second.body)
	}
	if a, b := first.receipt(t), second.receipt(t); a.ID != b.ID || a.Events[0].Seq != b.Events[0].Seq || !a.ReceivedAt.Equal(b.ReceivedAt) {
		t.Fatalf("receipts differ:\n%s\n%s", first.body, second.body)
	}
	if e.msgs() != n {
		t.Fatalf("the second request published: %d → %d messages", n, e.msgs())
	}

	reused := e.postKey(tokFGJ, "retry-me-1", report(pumped, "2025-09", "1", "98000", "356000", nil))
	b := reused.errorBody(t)
	if reused.status != http.StatusUnprocessableEntity || b.Error.Code != "idempotency_key_reused" || !strings.Contains(b.Error.MessageEn, "already used for a different request") {
		t.Fatalf("reused key: %d %s", reused.status, reused.body)
	}
	if e.msgs() != n {
		t.Fatal("a reused key published")
	}
	// The same key is another department's own key.
	other := e.postKey(tokJTJ, "retry-me-1", report(highway, "2025-09", "100", "900", "9000", nil))
	if other.status != http.StatusCreated {
		t.Fatalf("another department's same key: %d %s", other.status, other.body)
	}
}

// The table of bad inputs: each is refused with its message, and nothing
// is published.
func TestAPIRejections(t *testing.T) {
	e := newEnv(t, intake.Config{Limits: intake.Limits{MaxRows: 3}})
	// August is stored: September's cumulative amounts are checked against it.
	if res := e.post(tokFGJ, report(pumped, "2025-08", "12000", "98000", "356000", nil)); res.status != http.StatusCreated {
		t.Fatalf("August: %d %s", res.status, res.body)
	}
	sep := func(fields map[string]any) string {
		return report(pumped, "2025-09", "9000", "107000", "365000", fields)
	}
	big := `[` + strings.Repeat(" ", intake.DefaultMaxBodyBytes) + sep(nil) + `]`

	cases := []struct {
		name   string
		token  string
		body   string
		hdr    map[string]string
		status int
		code   string
		field  string
		rule   schema.Rule
		msg    string // in message_zh or message_en (of the field error, else of the error)
	}{
		{name: "missing field", token: tokFGJ, body: sep(map[string]any{"ytd_completed_wan": nil}),
			status: 422, code: "invalid", field: "ytd_completed_wan", rule: schema.RuleRequired, msg: "必填项缺失"},
		{name: "missing reporter", token: tokFGJ, body: sep(map[string]any{"reported_by": nil}),
			status: 422, code: "invalid", field: "reported_by", rule: schema.RuleRequired, msg: "is required"},
		{name: "malformed period", token: tokFGJ, body: sep(map[string]any{"period": "2025-13"}),
			status: 422, code: "invalid", field: "period", rule: schema.RulePeriod, msg: "不是有效月份"},
		{name: "malformed project id", token: tokFGJ, body: sep(map[string]any{"project_id": "Qingyuan Pumped"}),
			status: 422, code: "invalid", field: "project_id", rule: schema.RuleIdentifier, msg: "is not an identifier"},
		{name: "non-numeric amount", token: tokFGJ, body: sep(map[string]any{"month_completed_wan": "12万"}),
			status: 422, code: "invalid", field: "month_completed_wan", rule: schema.RuleDecimal, msg: "不是数字"},
		{name: "negative amount", token: tokFGJ, body: sep(map[string]any{"month_completed_wan": "-5"}),
			status: 422, code: "invalid", field: "month_completed_wan", rule: schema.RuleNonNegative, msg: "不能为负数"},
		// Issue 9: every number is bounded by the column it is stored in.
		{name: "amount of 1e15 万元", token: tokFGJ, body: sep(map[string]any{"since_start_completed_wan": "1000000000000000"}),
			status: 422, code: "invalid", field: "since_start_completed_wan", rule: schema.RuleRange, msg: "below 100000000000000 万元"},
		{name: "amount of 1e15 万元 as a JSON number", token: tokFGJ, body: sep(map[string]any{"since_start_completed_wan": json.Number("1000000000000000")}),
			status: 422, code: "invalid", field: "since_start_completed_wan", rule: schema.RuleRange, msg: "Decimal(18,4)"},
		{name: "amount of 10^14 万元, one past the largest", token: tokFGJ, body: sep(map[string]any{"since_start_completed_wan": "100000000000000"}),
			status: 422, code: "invalid", field: "since_start_completed_wan", rule: schema.RuleRange, msg: "金额过大"},
		{name: "a 900,000-digit amount", token: tokFGJ, body: sep(map[string]any{"since_start_completed_wan": strings.Repeat("9", 900_000)}),
			status: 422, code: "invalid", field: "since_start_completed_wan", rule: schema.RuleRange, msg: "at most 40 characters"},
		{name: "milestone percent over 100", token: tokFGJ, body: sep(map[string]any{"milestones": []map[string]any{{"milestone_id": "tunnel-through", "status": "in_progress", "percent_complete": "100.0001"}}}),
			status: 422, code: "invalid", field: "milestones[0].percent_complete", rule: schema.RuleRange, msg: "0-100"},
		{name: "milestone forecast past 2100", token: tokFGJ, body: sep(map[string]any{"milestones": []map[string]any{{"milestone_id": "tunnel-through", "status": "in_progress", "forecast_date": "2101-01-01"}}}),
			status: 422, code: "invalid", field: "milestones[0].forecast_date", rule: schema.RuleRange, msg: "2100-12-31"},
		{name: "wrong JSON type", token: tokFGJ, body: sep(map[string]any{"revision": "two"}),
			status: 422, code: "invalid", field: "revision", rule: schema.RuleType, msg: "类型错误"},
		{name: "unknown field", token: tokFGJ, body: sep(map[string]any{"ytd": "1"}),
			status: 422, code: "invalid", field: "ytd", rule: schema.RuleDecode, msg: "未知字段"},
		{name: "ytd below last month", token: tokFGJ, body: sep(map[string]any{"month_completed_wan": "500", "ytd_completed_wan": "90000"}),
			status: 422, code: "invalid", field: "ytd_completed_wan", rule: intake.RulePreviousMonth, msg: "「本年累计」应不小于上月累计（2025-08 第1版：98000.00 万元）"},
		{name: "since-start below last month", token: tokFGJ, body: sep(map[string]any{"since_start_completed_wan": "300000"}),
			status: 422, code: "invalid", field: "since_start_completed_wan", rule: intake.RulePreviousMonth, msg: "「自开工累计」应不小于上月自开工累计"},
		{name: "ytd not last month's plus the month", token: tokFGJ, body: sep(map[string]any{"ytd_completed_wan": "108000", "since_start_completed_wan": "366000"}),
			status: 422, code: "invalid", field: "ytd_completed_wan", rule: schema.RuleCumulative, msg: "不等于上月本年累计（2025-08 第1版：98000.00万元）加本月完成（9000.00万元），即107000.00万元"},
		{name: "ytd below month", token: tokFGJ, body: sep(map[string]any{"month_completed_wan": "200000", "ytd_completed_wan": "150000", "since_start_completed_wan": "400000"}),
			status: 422, code: "invalid", field: "ytd_completed_wan", rule: schema.RuleConsistency, msg: "应不小于本月完成（200000.00万元）"},
		{name: "period in the future", token: tokFGJ, body: sep(map[string]any{"period": "2025-11"}),
			status: 422, code: "invalid", field: "period", rule: schema.RuleFuturePeriod, msg: "月份尚未开始"},
		{name: "correction without reason", token: tokFGJ, body: report(pumped, "2025-08", "12500", "98500", "356500", nil),
			status: 422, code: "invalid", field: "correction_reason", rule: schema.RuleRequired, msg: "2025-08 已报送第1版"},
		{name: "unknown project", token: tokFGJ, body: sep(map[string]any{"project_id": "no-such-project"}),
			status: 422, code: "invalid", field: "project_id", rule: schema.RuleUnknownProject, msg: "项目未登记"},
		{name: "another department's project", token: tokFGJ, body: report(highway, "2025-09", "1", "2", "3", nil),
			status: 403, code: "forbidden", field: "department_id", rule: schema.RuleNotOwner, msg: "无权为该项目报送：项目属于 qy-jtj"},
		{name: "another department in the body", token: tokFGJ, body: sep(map[string]any{"department_id": jtj}),
			status: 403, code: "forbidden", field: "department_id", rule: intake.RuleDepartment, msg: "与登录的部门（qy-fgj）不一致"},
		{name: "other schema", token: tokFGJ, body: sep(map[string]any{"schema": "kpp.project.v1"}),
			status: 422, code: "invalid", field: "schema", rule: schema.RuleSchema, msg: "只受理投资完成月报"},
		{name: "unknown milestone", token: tokFGJ, body: sep(map[string]any{"milestones": []map[string]any{{"milestone_id": "no-such", "status": "in_progress"}}}),
			status: 422, code: "invalid", field: "milestones[0].milestone_id", rule: intake.RuleUnknownMilestone, msg: "不在项目登记的节点中"},
		{name: "bad milestone percent", token: tokFGJ, body: sep(map[string]any{"milestones": []map[string]any{{"milestone_id": "tunnel-through", "status": "in_progress", "percent_complete": "lots"}}}),
			status: 422, code: "invalid", field: "milestones[0].percent_complete", rule: schema.RuleDecimal, msg: "百分比"},
		{name: "milestone met without date", token: tokFGJ, body: sep(map[string]any{"milestones": []map[string]any{{"milestone_id": "tunnel-through", "status": "met"}}}),
			status: 422, code: "invalid", field: "milestones[0].actual_date", rule: schema.RuleRequired, msg: "实际完成日期"},
		{name: "malformed JSON", token: tokFGJ, body: `{"project_id": "x",`, status: 400, code: "malformed_json", msg: "not valid JSON"},
		{name: "not an object", token: tokFGJ, body: `"report"`, status: 400, code: "malformed_json", msg: "not { or ["},
		{name: "empty array", token: tokFGJ, body: `[]`, status: 400, code: "malformed_json", msg: "empty"},
		{name: "too many reports", token: tokFGJ, body: "[" + strings.Join([]string{sep(nil), sep(nil), sep(nil), sep(nil)}, ",") + "]",
			status: 413, code: "too_many_rows", msg: "the limit is 3 per request"},
		{name: "oversized body", token: tokFGJ, body: big, status: 413, code: "payload_too_large", msg: "1 MiB (1048576 bytes)"},
		{name: "missing token", body: sep(nil), status: 401, code: "unauthorized", msg: "Authorization: Bearer"},
		{name: "wrong token", token: "kpp_fgj_wrong", body: sep(nil), status: 401, code: "unauthorized", msg: "invalid token"},
		{name: "missing idempotency key", token: tokFGJ, body: sep(nil), hdr: map[string]string{intake.HeaderIdempotencyKey: ""},
			status: 400, code: "missing_idempotency_key", msg: "Idempotency-Key"},
		{name: "idempotency key with spaces", token: tokFGJ, body: sep(nil), hdr: map[string]string{intake.HeaderIdempotencyKey: "a b"},
			status: 400, code: "invalid_idempotency_key", msg: "printable ASCII"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.msgs()
			hdr := map[string]string{"Content-Type": "application/json", intake.HeaderIdempotencyKey: key()}
			for k, v := range c.hdr {
				hdr[k] = v
			}
			res := e.do("POST", "/api/v1/reports", c.token, strings.NewReader(c.body), hdr)
			b := res.errorBody(t)
			if res.status != c.status || b.Error.Code != c.code {
				t.Fatalf("status %d code %q, want %d %q: %s", res.status, b.Error.Code, c.status, c.code, res.body)
			}
			if c.field != "" {
				p := findProblem(t, b.Errors, c.field, c.rule)
				if !strings.Contains(p.MessageZh+" "+p.MessageEn, c.msg) || p.Line != 1 {
					t.Fatalf("problem %+v; want line 1 and %q", p, c.msg)
				}
				if len(b.Errors) != 1 {
					t.Fatalf("%d problems, want only %s/%s: %s", len(b.Errors), c.field, c.rule, res.body)
				}
				if !strings.Contains(b.Error.MessageEn, "nothing was published") {
					t.Fatalf("error %+v does not say nothing was published", b.Error)
				}
			} else if !strings.Contains(b.Error.MessageEn+" "+b.Error.MessageZh, c.msg) {
				t.Fatalf("error %+v; want %q", b.Error, c.msg)
			}
			if b.Error.MessageEn == "" || b.Error.MessageZh == "" {
				t.Fatalf("error without both languages: %+v", b.Error)
			}
			if res.status == 401 && res.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			if got := e.msgs(); got != before {
				t.Fatalf("published %d messages on a refused request", got-before)
			}
		})
	}
}

// 本年累计 = 上月本年累计 + 本月完成: a difference is refused unless the
// correction_reason explains it; January's year-to-date is its month's.
func TestAPICumulative(t *testing.T) {
	e := newEnv(t, intake.Config{})
	if res := e.post(tokFGJ, report(pumped, "2025-08", "12000", "98000", "356000", nil)); res.status != 201 {
		t.Fatalf("August: %d %s", res.status, res.body)
	}
	res := e.post(tokFGJ, report(pumped, "2025-09", "9000", "106500", "365000", nil))
	b := res.errorBody(t)
	if p := findProblem(t, b.Errors, "ytd_completed_wan", schema.RuleCumulative); res.status != 422 || !strings.Contains(p.MessageZh, "相差-500.00万元") || !strings.Contains(p.MessageZh, "更正原因/说明") {
		t.Fatalf("unexplained difference: %d %s", res.status, res.body)
	}
	res = e.post(tokFGJ, report(pumped, "2025-09", "9000", "106500", "365000", map[string]any{"correction_reason": "8月统计口径调整核减500万元"}))
	if res.status != 201 {
		t.Fatalf("explained difference: %d %s", res.status, res.body)
	}
	res = e.post(tokFGJ, report(pumped, "2025-01", "100", "150", "300000", nil))
	b = res.errorBody(t)
	if p := findProblem(t, b.Errors, "ytd_completed_wan", schema.RuleCumulative); res.status != 422 || !strings.Contains(p.MessageZh, "1月的本年累计（150.00万元）应等于本月完成（100.00万元）") {
		t.Fatalf("January: %d %s", res.status, res.body)
	}
}

// A request with one bad report among good ones publishes nothing and
// names the bad one's line; the previous month may come in the same
// request.
func TestAPIArrayAllOrNothing(t *testing.T) {
	e := newEnv(t, intake.Config{})
	before := e.msgs()
	bad := "[" + report(pumped, "2025-08", "12000", "98000", "356000", nil) + "," +
		report(park, "2025-09", "100", "500", "800", nil) + "," +
		report(pumped, "2025-09", "100", "97000", "357000", nil) + "]"
	res := e.post(tokFGJ, bad)
	b := res.errorBody(t)
	p := findProblem(t, b.Errors, "ytd_completed_wan", intake.RulePreviousMonth)
	if res.status != 422 || p.Line != 3 || !strings.Contains(p.MessageZh, "本次提交第1行") || len(b.Errors) != 1 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	if e.msgs() != before {
		t.Fatal("a request with a bad report published")
	}
	good := "[" + report(pumped, "2025-08", "12000", "98000", "356000", nil) + "," +
		report(park, "2025-09", "100", "500", "800", nil) + "," +
		report(pumped, "2025-09", "100", "98100", "356100", nil) + "]"
	res = e.post(tokFGJ, good)
	rc := res.receipt(t)
	if res.status != 201 || rc.Published != 3 || len(rc.Events) != 3 || rc.Events[2].Line != 3 || e.msgs() != before+3 {
		t.Fatalf("%d %s", res.status, res.body)
	}
}

// A correction is a new revision with a reason; the history lists both,
// newest first, and says which is current. Sending the same report again
// stores nothing new.
func TestAPICorrectionAndHistory(t *testing.T) {
	e := newEnv(t, intake.Config{})
	first := e.post(tokFGJ, report(pumped, "2025-09", "12000", "98000", "356000", nil))
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	n := e.msgs()
	same := e.post(tokFGJ, report(pumped, "2025-09", "12000", "98000", "356000", nil))
	if rc := same.receipt(t); same.status != 201 || rc.Published != 0 || rc.Duplicates != 1 || rc.Events[0].Revision != 1 || !rc.Events[0].Duplicate || e.msgs() != n {
		t.Fatalf("resend: %d %s", same.status, same.body)
	}
	corr := e.post(tokFGJ, report(pumped, "2025-09", "12500", "98500", "356500", map[string]any{"correction_reason": "监理复核后调增"}))
	rc := corr.receipt(t)
	if corr.status != 201 || rc.Events[0].Revision != 2 || rc.Published != 1 {
		t.Fatalf("correction: %d %s", corr.status, corr.body)
	}
	var h intake.HistoryBody
	res := e.do("GET", "/api/v1/projects/"+pumped+"/reports?period=2025-09", tokFGJ, nil, nil)
	res.json(t, &h)
	if len(h.Reports) != 2 {
		t.Fatalf("history: %s", res.body)
	}
	newest, oldest := h.Reports[0], h.Reports[1]
	if newest.Revision != 2 || !newest.Current || newest.CorrectionReason != "监理复核后调增" || oldest.Revision != 1 || oldest.Current ||
		oldest.MonthCompletedWan.String() != "12000.0000" || newest.Seq <= oldest.Seq {
		t.Fatalf("history: %s", res.body)
	}
	// An explicit revision is kept as sent.
	third := e.post(tokFGJ, report(pumped, "2025-09", "12600", "98600", "356600", map[string]any{"revision": 5, "correction_reason": "再次复核"}))
	if rc := third.receipt(t); third.status != 201 || rc.Events[0].Revision != 5 {
		t.Fatalf("explicit revision: %d %s", third.status, third.body)
	}
}

// The API lists only the department's own projects; another department's
// history is forbidden, an unknown project is not found.
func TestAPIProjectsAndAccess(t *testing.T) {
	e := newEnv(t, intake.Config{})
	var pb intake.ProjectsBody
	res := e.do("GET", "/api/v1/projects", tokFGJ, nil, nil)
	res.json(t, &pb)
	if res.status != 200 || pb.Department.ID != fgj || len(pb.Projects) != 2 || pb.Projects[0].ID != park || pb.Projects[1].ID != pumped ||
		len(pb.Projects[1].Milestones) != 2 || pb.Projects[1].NameZh != "庆元抽水蓄能电站" {
		t.Fatalf("projects: %d %s", res.status, res.body)
	}
	if res := e.do("GET", "/api/v1/projects/"+highway+"/reports", tokFGJ, nil, nil); res.status != 403 || res.errorBody(t).Error.Code != "forbidden" {
		t.Fatalf("another department's history: %d %s", res.status, res.body)
	}
	if res := e.do("GET", "/api/v1/projects/nope/reports", tokFGJ, nil, nil); res.status != 404 {
		t.Fatalf("unknown project's history: %d %s", res.status, res.body)
	}
	if res := e.do("GET", "/api/v1/projects", "", nil, nil); res.status != 401 {
		t.Fatalf("projects without a token: %d %s", res.status, res.body)
	}
	if res := e.do("GET", "/api/v1/nothing", tokFGJ, nil, nil); res.status != 404 || res.errorBody(t).Error.Code != "not_found" {
		t.Fatalf("unknown endpoint: %d %s", res.status, res.body)
	}
}

// The rate limit is per credential: over it, 429 with Retry-After and
// nothing published; another department is not affected.
func TestAPIRateLimit(t *testing.T) {
	e := newEnv(t, intake.Config{Limits: intake.Limits{RatePerSecond: 1, RateBurst: 2}})
	for i := 0; i < 2; i++ {
		if res := e.do("GET", "/api/v1/projects", tokFGJ, nil, nil); res.status != 200 {
			t.Fatalf("request %d: %d %s", i+1, res.status, res.body)
		}
	}
	before := e.msgs()
	res := e.post(tokFGJ, report(pumped, "2025-09", "1", "2", "3", nil))
	b := res.errorBody(t)
	if res.status != http.StatusTooManyRequests || b.Error.Code != "rate_limited" || res.header.Get("Retry-After") != "1" ||
		!strings.Contains(b.Error.MessageEn, "the limit is 1 per second with bursts of 2") || !strings.Contains(b.Error.MessageZh, "请 1 秒后重试") {
		t.Fatalf("%d %v %s", res.status, res.header, res.body)
	}
	if e.msgs() != before {
		t.Fatal("a rate-limited request published")
	}
	if res := e.do("GET", "/api/v1/projects", tokJTJ, nil, nil); res.status != 200 {
		t.Fatalf("another department: %d %s", res.status, res.body)
	}
}

// Milestone progress sent with a report is published with the title and
// planned date of the registration; sent again unchanged, it is left out
// with a notice.
func TestAPIMilestones(t *testing.T) {
	e := newEnv(t, intake.Config{})
	body := report(pumped, "2025-09", "12000", "98000", "356000", map[string]any{"milestones": []map[string]any{
		{"milestone_id": "main-works-start", "status": "met", "actual_date": "2025-09-18"},
		{"milestone_id": "tunnel-through", "status": "in_progress", "percent_complete": 60, "forecast_date": "2026-01-31"},
	}})
	res := e.post(tokFGJ, body)
	rc := res.receipt(t)
	if res.status != 201 || rc.Published != 3 || rc.Events[1].Kind != "milestone" || rc.Events[1].Line != 1 || rc.Events[1].Revision != 1 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	s, _ := e.js.Stream(t.Context(), schema.UpdatesStream)
	for _, ev := range rc.Events[1:] {
		m, err := s.GetMsg(t.Context(), ev.Seq)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := schema.Decode(schema.KindMilestone, m.Data)
		if err != nil {
			t.Fatal(err)
		}
		u := dec.(*schema.MilestoneUpdate)
		if u.Title == "" || u.PlannedDate == "" || u.AsOf != "2025-09-30" || u.DepartmentID != fgj {
			t.Fatalf("stored milestone update %+v", u)
		}
	}
	again := e.post(tokFGJ, body)
	rc = again.receipt(t)
	if again.status != 201 || rc.Published != 0 || rc.Duplicates != 1 || len(rc.Notices) != 2 || !strings.Contains(rc.Notices[0].MessageZh, "未重复提交") {
		t.Fatalf("again: %d %s", again.status, again.body)
	}
	moved := e.post(tokFGJ, report(pumped, "2025-09", "12000", "98000", "356000", map[string]any{"milestones": []map[string]any{
		{"milestone_id": "tunnel-through", "status": "in_progress", "percent_complete": 60, "forecast_date": "2026-03-31"},
	}}))
	if rc := moved.receipt(t); moved.status != 201 || rc.Published != 1 || rc.Events[1].Revision != 2 {
		t.Fatalf("moved forecast: %d %s", moved.status, moved.body)
	}
}

// Uploads go through the SheetReader: a good sheet is published, a sheet
// with a bad row publishes nothing and lists the row, an oversized upload
// is refused.
func TestAPIUpload(t *testing.T) {
	e := newEnv(t, intake.Config{Sheets: csvSheets, Limits: intake.Limits{MaxUploadBytes: 4096}})
	head := "项目编号,部门编号,填报人,报告期,本月完成投资（万元）,本年累计完成（万元）,自开工累计完成（万元）\n"
	before := e.msgs()
	bad := head + pumped + ",qy-fgj,王敏,2025-09,12000,98000,356000\n" + park + ",qy-fgj,王敏,2025-09,abc,500,800\n"
	res := e.upload(tokFGJ, "九月.csv", []byte(bad))
	b := res.errorBody(t)
	p := findProblem(t, b.Errors, "month_completed_wan", schema.RuleDecimal)
	if res.status != 422 || p.Line != 3 || p.File != "九月.csv" || e.msgs() != before {
		t.Fatalf("bad sheet: %d %s", res.status, res.body)
	}
	good := head + pumped + ",qy-fgj,王敏,2025-09,12000,98000,356000\n" + park + ",qy-fgj,王敏,2025-09,100,500,800\n"
	res = e.upload(tokFGJ, "九月.csv", []byte(good))
	rc := res.receipt(t)
	if res.status != 201 || rc.Published != 2 || rc.File != "九月.csv" || rc.Source != "csv" || rc.Events[0].Line != 2 || e.msgs() != before+2 {
		t.Fatalf("good sheet: %d %s", res.status, res.body)
	}
	other := head + highway + ",qy-fgj,王敏,2025-09,1,2,3\n"
	if res := e.upload(tokFGJ, "other.csv", []byte(other)); res.status != 403 {
		t.Fatalf("another department's project in a sheet: %d %s", res.status, res.body)
	}
	huge := head + strings.Repeat(pumped+",qy-fgj,王敏,2025-09,12000,98000,356000\n", 100)
	res = e.upload(tokFGJ, "huge.csv", []byte(huge))
	if b := res.errorBody(t); res.status != 413 || b.Error.Code != "payload_too_large" || !strings.Contains(b.Error.MessageEn, "4 KiB (4096 bytes)") {
		t.Fatalf("huge sheet: %d %s", res.status, res.body)
	}
	res = e.upload(tokFGJ, "photo.png", []byte("\x89PNG\r\n\x1a\n"))
	if b := res.errorBody(t); res.status != 422 || b.Errors[0].Rule != "file" || !strings.Contains(b.Errors[0].MessageEn, "not a .csv file") {
		t.Fatalf("not a sheet: %d %s", res.status, res.body)
	}
	if e.msgs() != before+2 {
		t.Fatal("a refused upload published")
	}
}

// Without a SheetReader, uploads are refused with 501.
func TestAPIUploadDisabled(t *testing.T) {
	e := newEnv(t, intake.Config{})
	res := e.upload(tokFGJ, "a.csv", []byte("x"))
	if res.status != http.StatusNotImplemented || res.errorBody(t).Error.Code != "not_configured" {
		t.Fatalf("%d %s", res.status, res.body)
	}
}
