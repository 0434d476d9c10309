package schema_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/schema"
)

var now = time.Date(2025, 10, 3, 10, 0, 0, 0, schema.Location())

func goodReport() *schema.InvestmentReport {
	return &schema.InvestmentReport{
		Common:    schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "qy-fgj", Revision: 1, ReportedBy: "张三"},
		ProjectID: "qingyuan-pumped-storage", Period: "2025-09",
		MonthCompletedWan: schema.MustWan("1200.5"), YTDCompletedWan: schema.MustWan("9800"),
		SinceStartCompletedWan: schema.MustWan("350000"),
	}
}

func decodeReport(t *testing.T, js string) *schema.InvestmentReport {
	t.Helper()
	ev, err := schema.Decode(schema.KindInvestment, []byte(js))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return ev.(*schema.InvestmentReport)
}

func TestInvestmentReportRules(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(r *schema.InvestmentReport)
		field  string
		rule   schema.Rule
		inText string
	}{
		{"a valid report passes", func(r *schema.InvestmentReport) {}, "", "", ""},
		{"month 13 is not a period", func(r *schema.InvestmentReport) { r.Period = "2025-13" }, "period", schema.RulePeriod, `"2025-13" is not a month`},
		{"a period without dash is rejected", func(r *schema.InvestmentReport) { r.Period = "202509" }, "period", schema.RulePeriod, "expected YYYY-MM"},
		{"a future month is rejected", func(r *schema.InvestmentReport) { r.Period = "2025-11" }, "period", schema.RuleFuturePeriod, "has not started"},
		{"the current month is allowed", func(r *schema.InvestmentReport) { r.Period = "2025-10" }, "", "", ""},
		{"a negative month amount is rejected", func(r *schema.InvestmentReport) { r.MonthCompletedWan = schema.MustWan("-5") }, "month_completed_wan", schema.RuleNonNegative, "-5 is negative"},
		{"a non-numeric amount is rejected", func(r *schema.InvestmentReport) { r.MonthCompletedWan = schema.ParseWan("12万") }, "month_completed_wan", schema.RuleDecimal, `"12万" is not a number`},
		{"five decimals are more than one yuan precision", func(r *schema.InvestmentReport) { r.MonthCompletedWan = schema.MustWan("1.00001") }, "month_completed_wan", schema.RuleScale, "more than 4 decimal places"},
		{"trailing zeros beyond four places are fine", func(r *schema.InvestmentReport) { r.MonthCompletedWan = schema.MustWan("1.500000") }, "", "", ""},
		{"a missing month amount is rejected", func(r *schema.InvestmentReport) { r.MonthCompletedWan = schema.Wan{} }, "month_completed_wan", schema.RuleRequired, "is required"},
		{"ytd below the month is rejected", func(r *schema.InvestmentReport) { r.YTDCompletedWan = schema.MustWan("100") }, "ytd_completed_wan", schema.RuleConsistency, "below the month's"},
		{"since-start below ytd is rejected", func(r *schema.InvestmentReport) { r.SinceStartCompletedWan = schema.MustWan("10") }, "since_start_completed_wan", schema.RuleConsistency, "below year-to-date"},
		{"revision 0 is rejected", func(r *schema.InvestmentReport) { r.Revision = 0 }, "revision", schema.RuleRange, "expected an integer ≥ 1"},
		{"a correction needs a reason", func(r *schema.InvestmentReport) { r.Revision = 2 }, "correction_reason", schema.RuleRequired, "revision > 1"},
		{"an upper-case project id is rejected", func(r *schema.InvestmentReport) { r.ProjectID = "Qingyuan" }, "project_id", schema.RuleIdentifier, "not an identifier"},
		{"a missing department is rejected", func(r *schema.InvestmentReport) { r.DepartmentID = "" }, "department_id", schema.RuleRequired, "is required"},
		{"a missing reporter is rejected", func(r *schema.InvestmentReport) { r.ReportedBy = " " }, "reported_by", schema.RuleRequired, "is required"},
		{"another schema id is rejected", func(r *schema.InvestmentReport) { r.Schema = schema.SchemaMilestone }, "schema", schema.RuleSchema, "expected kpp.investment_report.v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := goodReport()
			tc.edit(r)
			err := r.Validate(now)
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ve *schema.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, schema.ErrInvalid) {
				t.Fatalf("want a *ValidationError wrapping ErrInvalid, got %v", err)
			}
			for _, fe := range ve.Errors {
				if fe.Field == tc.field && fe.Rule == tc.rule {
					if !strings.Contains(fe.MessageEn, tc.inText) {
						t.Errorf("message %q does not contain %q", fe.MessageEn, tc.inText)
					}
					if fe.MessageZh == "" {
						t.Errorf("no Chinese message for %s", tc.rule)
					}
					return
				}
			}
			t.Fatalf("want %s/%s, got %v", tc.field, tc.rule, err)
		})
	}
}

func TestDecodeReportsShapeProblemsAsFieldErrors(t *testing.T) {
	tests := []struct {
		name, body, field string
		rule              schema.Rule
	}{
		{"not json", `{"schema":`, "", schema.RuleDecode},
		{"revision as text", `{"schema":"kpp.investment_report.v1","revision":"one"}`, "revision", schema.RuleType},
		{"unknown field", `{"schema":"kpp.investment_report.v1","montly_completed_wan":"1"}`, "montly_completed_wan", schema.RuleDecode},
		{"two values", `{"schema":"kpp.investment_report.v1"} {}`, "", schema.RuleDecode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := schema.Decode(schema.KindInvestment, []byte(tc.body))
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *ValidationError, got %v", err)
			}
			if ve.Errors[0].Field != tc.field || ve.Errors[0].Rule != tc.rule {
				t.Fatalf("got %+v, want field %q rule %s", ve.Errors[0], tc.field, tc.rule)
			}
		})
	}
}

func TestWanAcceptsStringsAndNumbersAndKeepsBadInput(t *testing.T) {
	r := decodeReport(t, `{"month_completed_wan": 12.5, "ytd_completed_wan": "100.25", "since_start_completed_wan": "abc"}`)
	if !r.MonthCompletedWan.Valid() || r.MonthCompletedWan.String() != "12.5000" {
		t.Errorf("number: got %+v", r.MonthCompletedWan)
	}
	if r.YTDCompletedWan.String() != "100.2500" {
		t.Errorf("string: got %+v", r.YTDCompletedWan)
	}
	if r.SinceStartCompletedWan.Valid() || r.SinceStartCompletedWan.Raw != "abc" {
		t.Errorf("bad input kept: got %+v", r.SinceStartCompletedWan)
	}
	b, err := json.Marshal(goodReport())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"month_completed_wan":"1200.5000"`) {
		t.Errorf("money is written as a 4-place decimal string: %s", b)
	}
}

func TestEventIDDependsOnIdentityNotContent(t *testing.T) {
	a, b := goodReport(), goodReport()
	b.MonthCompletedWan = schema.MustWan("1")
	b.ReportedBy = "李四"
	if schema.EventID(a) != schema.EventID(b) {
		t.Error("same project, period and revision must give the same id")
	}
	b.Revision = 2
	if schema.EventID(a) == schema.EventID(b) {
		t.Error("a new revision must give a new id")
	}
	c := goodReport()
	c.Period = "2025-08"
	if schema.EventID(a) == schema.EventID(c) {
		t.Error("another period must give another id")
	}
	if len(schema.EventID(a)) != 32 {
		t.Errorf("id %q: want 32 hex digits", schema.EventID(a))
	}
}

func TestSubjectsCarryTheDepartment(t *testing.T) {
	r := goodReport()
	s := schema.Subject(r)
	if s != "kpp.v1.qy-fgj.investment.qingyuan-pumped-storage" {
		t.Fatalf("subject %q", s)
	}
	p, err := schema.ParseSubject(s)
	if err != nil || p.Department != "qy-fgj" || p.Kind != schema.KindInvestment || p.Project != "qingyuan-pumped-storage" {
		t.Fatalf("ParseSubject = %+v, %v", p, err)
	}
	if err := schema.CheckSubject(p, r); err != nil {
		t.Fatalf("matching subject: %v", err)
	}
	p.Department = "qy-jtj"
	err = schema.CheckSubject(p, r)
	if err == nil || !strings.Contains(err.Error(), "publishes only on its own subjects") {
		t.Fatalf("mismatch: %v", err)
	}
	for _, bad := range []string{"kpp.v2.a.investment.b", "kpp.v1.a.report.b", "kpp.v1.a.investment"} {
		if _, err := schema.ParseSubject(bad); !errors.Is(err, schema.ErrBadSubject) {
			t.Errorf("ParseSubject(%q) = %v, want ErrBadSubject", bad, err)
		}
	}
	if got := schema.OriginalSubject(schema.DeadLetterSubject(s)); got != s {
		t.Errorf("dead-letter round trip: %q", got)
	}
}

func TestOwnersCheckDepartmentBoundary(t *testing.T) {
	owners := schema.Owners{"qingyuan-pumped-storage": "qy-fgj"}
	r := goodReport()
	if err := owners.CheckOwner(r); err != nil {
		t.Fatalf("owner reporting: %v", err)
	}
	r.DepartmentID = "qy-jtj"
	if err := owners.CheckOwner(r); err == nil || !strings.Contains(err.Error(), "belongs to \"qy-fgj\"") {
		t.Fatalf("other department: %v", err)
	}
	r.ProjectID = "no-such-project"
	var ve *schema.ValidationError
	if err := owners.CheckOwner(r); !errors.As(err, &ve) || ve.Errors[0].Rule != schema.RuleUnknownProject {
		t.Fatalf("unknown project: %v", err)
	}
	p := &schema.Project{Common: schema.Common{DepartmentID: "qy-jtj"}, ProjectID: "new-road"}
	if err := owners.CheckOwner(p); err != nil {
		t.Fatalf("registering a new project: %v", err)
	}
	owners.Register(p)
	if owners["new-road"] != "qy-jtj" {
		t.Fatal("Register did not record the owner")
	}
}

func TestProjectAndMilestoneRules(t *testing.T) {
	p := &schema.Project{
		Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: "qy-fgj", Revision: 1, ReportedBy: "x"},
		ProjectID: "p1", NameZh: "测试项目", Region: "丽水市庆元县", Category: "energy", Stage: "construction",
		AnnualPlans: []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("100")}, {Year: 2025, AmountWan: schema.MustWan("1")}},
		Milestones:  []schema.PlannedMilestone{{MilestoneID: "m1", Title: "开工", PlannedDate: "2025-02-30"}},
	}
	err := p.Validate(now)
	for _, want := range []string{"annual_plans[1].year", "milestones[0].planned_date"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error on %s, got %v", want, err)
		}
	}
	p.Category = "roads"
	if err := p.Validate(now); err == nil || !strings.Contains(err.Error(), "expected one of transport (交通)") {
		t.Errorf("bad category: %v", err)
	}

	m := &schema.MilestoneUpdate{
		Common:    schema.Common{Schema: schema.SchemaMilestone, DepartmentID: "qy-fgj", Revision: 1, ReportedBy: "x"},
		ProjectID: "p1", MilestoneID: "m1", Status: schema.MilestoneMet, AsOf: "2025-09-30",
	}
	if err := m.Validate(now); err == nil || !strings.Contains(err.Error(), "actual_date: is required when status is met") {
		t.Errorf("met without a date: %v", err)
	}
	m.ActualDate = "2025-10-02"
	if err := m.Validate(now); err == nil || !strings.Contains(err.Error(), "after as_of") {
		t.Errorf("actual after as_of: %v", err)
	}
	m.ActualDate = "2025-09-01"
	if err := m.Validate(now); err != nil {
		t.Errorf("valid milestone: %v", err)
	}
}

func TestParseLabelsAcceptChinese(t *testing.T) {
	if c, ok := schema.ParseCategory("交通"); !ok || c != schema.CategoryTransport {
		t.Errorf("交通 -> %q %v", c, ok)
	}
	if s, ok := schema.ParseStage("在建"); !ok || s != schema.StageConstruction {
		t.Errorf("在建 -> %q %v", s, ok)
	}
	if s, ok := schema.ParseMilestoneStatus("已完成"); !ok || s != schema.MilestoneMet {
		t.Errorf("已完成 -> %q %v", s, ok)
	}
	if _, ok := schema.ParseStage("unknown"); ok {
		t.Error("unknown stage accepted")
	}
}

func TestPeriodArithmetic(t *testing.T) {
	p, err := schema.ParsePeriod("2025-12")
	if err != nil {
		t.Fatal(err)
	}
	if p.Next().String() != "2026-01" || p.Prev().String() != "2025-11" || p.Index() != 12 {
		t.Errorf("next %s prev %s index %d", p.Next(), p.Prev(), p.Index())
	}
	if p.LastDay().Format(schema.DateLayout) != "2025-12-31" {
		t.Errorf("last day %s", p.LastDay())
	}
	if _, err := schema.ParsePeriod("2025-00"); err == nil {
		t.Error("month 00 accepted")
	}
}

func TestMigrationsAreOrderedAndSplit(t *testing.T) {
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 || ms[0].Version != 1 {
		t.Fatalf("migrations: %+v", ms)
	}
	for _, m := range ms {
		for _, s := range m.Statements() {
			if strings.HasSuffix(s, ";") || strings.HasPrefix(strings.TrimSpace(s), "--") {
				t.Errorf("%s: statement not cleanly split: %q", m.Name, s)
			}
		}
	}
	got := schema.SplitStatements("-- c\nSELECT 1;\nSELECT\n 2;\n")
	if len(got) != 2 || got[1] != "SELECT\n 2" {
		t.Errorf("split: %q", got)
	}
}
