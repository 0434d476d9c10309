package intake_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/schema"
)

// latestRegistration reads the newest registration stored on the
// project's subject of dept.
func (e *env) latestRegistration(dept, project string) *schema.Project {
	e.t.Helper()
	s, err := e.js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(context.Background(), schema.SubjectFor(dept, schema.KindProject, project))
	if err != nil {
		e.t.Fatalf("no registration of %s by %s: %v", project, dept, err)
	}
	ev, err := schema.Decode(schema.KindProject, m.Data)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev.(*schema.Project)
}

func (e *env) register(token, body string) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/projects", token, strings.NewReader(body),
		map[string]string{"Content-Type": "application/json", intake.HeaderIdempotencyKey: key()})
}

const bridge = `{"project_id":"qingyuan-g235-bridge","name_zh":"G235庆元段大桥","region":"丽水市庆元县","category":"transport","stage":"preparation",
 "responsible_unit":"庆元县交通投资集团","responsible_person":"李强","lead_official":"张副县长","total_investment_wan":"52000",
 "annual_plans":[{"year":2026,"amount_wan":"12000"}],"milestones":[{"milestone_id":"start","title":"开工","planned_date":"2026-03-31"}],"reported_by":"王敏"}`

// Registrations through the API: a new project is revision 1, the same
// again is stored once, a change is the next revision; another
// department's project is refused at its id; every problem is listed.
func TestAPIRegister(t *testing.T) {
	e := newEnv(t, intake.Config{})
	res := e.register(tokJTJ, bridge)
	if res.status != http.StatusCreated {
		t.Fatalf("new project: %d %s", res.status, res.body)
	}
	rc := res.receipt(t)
	if len(rc.Events) != 1 || rc.Events[0].Kind != "project" || rc.Events[0].Revision != 1 {
		t.Fatalf("receipt: %+v", rc.Events)
	}
	got := e.latestRegistration(jtj, "qingyuan-g235-bridge")
	if got.DepartmentID != jtj || got.DepartmentName != "庆元县交通运输局" || got.ResponsibleUnit != "庆元县交通投资集团" || got.Source != "api" {
		t.Fatalf("stored: %+v", got)
	}
	// The same registration again: stored once.
	before := e.msgs()
	if res := e.register(tokJTJ, bridge); res.status != http.StatusCreated || res.receipt(t).Events[0].Revision != 1 || !res.receipt(t).Events[0].Duplicate {
		t.Fatalf("again: %d %s", res.status, res.body)
	}
	if e.msgs() != before {
		t.Fatal("the same registration was stored twice")
	}
	// A change: revision 2.
	changed := strings.Replace(bridge, `"stage":"preparation"`, `"stage":"planned_start"`, 1)
	if res := e.register(tokJTJ, changed); res.status != http.StatusCreated || res.receipt(t).Events[0].Revision != 2 {
		t.Fatalf("change: %d %s", res.status, res.body)
	}
	if got := e.latestRegistration(jtj, "qingyuan-g235-bridge"); got.Revision != 2 || got.Stage != schema.StagePlannedStart {
		t.Fatalf("stored change: %+v", got)
	}

	// Another department's project.
	other := strings.Replace(bridge, "qingyuan-g235-bridge", pumped, 1)
	res = e.register(tokJTJ, other)
	if res.status != http.StatusForbidden {
		t.Fatalf("another department's project: %d %s", res.status, res.body)
	}
	p := findProblem(t, res.errorBody(t).Errors, "project_id", schema.RuleNotOwner)
	if !strings.Contains(p.MessageZh, "已登记在 qy-fgj 名下") {
		t.Fatalf("message: %+v", p)
	}

	// Every problem in one answer.
	bad := `{"project_id":"New Bridge","name_zh":"","region":"丽水市庆元县","category":"roads","stage":"construction","total_investment_wan":"-5",
	 "annual_plans":[{"year":2026,"amount_wan":"12万"},{"year":2026,"amount_wan":"1"}],
	 "milestones":[{"milestone_id":"a","title":"甲","planned_date":"2026-02-30"},{"milestone_id":"a","title":"","planned_date":"2026-03-01"}],"reported_by":"王敏"}`
	before = e.msgs()
	res = e.register(tokJTJ, bad)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad registration: %d %s", res.status, res.body)
	}
	errs := res.errorBody(t).Errors
	findProblem(t, errs, "project_id", schema.RuleIdentifier)
	findProblem(t, errs, "name_zh", schema.RuleRequired)
	findProblem(t, errs, "category", schema.RuleEnum)
	findProblem(t, errs, "total_investment_wan", schema.RuleNonNegative)
	findProblem(t, errs, "annual_plans[0].amount_wan", schema.RuleDecimal)
	findProblem(t, errs, "annual_plans[1].year", schema.RuleConsistency)
	findProblem(t, errs, "milestones[0].planned_date", schema.RuleDate)
	findProblem(t, errs, "milestones[1].milestone_id", schema.RuleConsistency)
	findProblem(t, errs, "milestones[1].title", schema.RuleRequired)
	if e.msgs() != before {
		t.Fatal("a bad registration was published")
	}
	// A report is not a registration.
	res = e.register(tokJTJ, `{"schema":"kpp.investment_report.v1"}`)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a report sent as a registration: %d %s", res.status, res.body)
	}
	findProblem(t, res.errorBody(t).Errors, "schema", schema.RuleSchema)
}

// The registration forms: a change of a project pre-filled with its
// registration, and a new project; problems beside their fields.
func TestWebRegister(t *testing.T) {
	e := newEnv(t, intake.Config{})
	c := e.clerk()
	c.signIn(tokFGJ)
	if p := c.get("/intake/projects"); !strings.Contains(p.body, `href="/intake/projects/`+pumped+`/register"`) || !strings.Contains(p.body, `href="/intake/register"`) {
		t.Fatalf("the project list has no registration links: %s", p.body)
	}

	// Change: pre-filled with the current registration.
	p := c.get("/intake/projects/" + pumped + "/register")
	if p.status != 200 {
		t.Fatalf("change form: %d %s", p.status, p.body)
	}
	f := p.form(t, "register-form")
	if f.Get("name_zh") != "庆元抽水蓄能电站" || f.Get("category") != "energy" || f.Get("total_investment_wan") != "1050000" ||
		f.Get("plan.0.year") != "2025" || f.Get("plan.0.amount") != "150000" || f.Get("ms.1.id") != "tunnel-through" || f.Get("ms.1.planned") != "2025-12-31" {
		t.Fatalf("not pre-filled: %v", f)
	}
	if !strings.Contains(p.text("registration-notice"), "当前为第1版登记") {
		t.Fatalf("notice: %q", p.text("registration-notice"))
	}
	// Problems, each beside its field, in one pass.
	f.Set("name_zh", "")
	f.Set("total_investment_wan", "12万")
	f.Set("plan.1.year", "二〇二六")
	f.Set("plan.1.amount", "80000")
	f.Set("plan.0.m3", "abc")
	f.Set("ms.2.id", "Dam Top")
	f.Set("ms.2.title", "大坝封顶")
	f.Set("ms.2.planned", "2026-02-30")
	f.Set("reported_by", "")
	before := e.msgs()
	p = c.post("/intake/projects/"+pumped+"/register", f)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d %s", p.status, p.body)
	}
	for field, want := range map[string]string{
		"name_zh": "必填项缺失", "total_investment_wan": "不是数字", "plan.1.year": "不是年份", "plan.0.m3": "不是数字",
		"ms.2.id": "标识只能包含", "ms.2.planned": "不是有效日期", "reported_by": "必填项缺失",
	} {
		if msg := p.fieldError(t, field); !strings.Contains(msg, want) {
			t.Errorf("beside %s: %q, want %q", field, msg, want)
		}
	}
	if msg := p.fieldError(t, "plan.0.amount"); msg != "" {
		t.Errorf("a valid field has an error: %q", msg)
	}
	if e.msgs() != before {
		t.Fatal("a form with errors published")
	}
	// Fixed: stored as revision 2 with the new fields.
	f = p.form(t, "register-form")
	if f.Get("total_investment_wan") != "12万" {
		t.Fatalf("typed values not kept: %v", f)
	}
	f.Set("name_zh", "庆元抽水蓄能电站")
	f.Set("total_investment_wan", "１,０５０,０００")
	f.Set("plan.1.year", "2026")
	f.Set("plan.0.m3", "")
	f.Set("plan.1.m1", "5000")
	f.Set("ms.2.id", "dam-top")
	f.Set("ms.2.planned", "2026/6/30")
	f.Set("responsible_unit", "浙江庆元抽水蓄能有限公司")
	f.Set("responsible_person", "陈工")
	f.Set("lead_official", "李副县长")
	f.Set("reported_by", "王敏")
	p = c.post("/intake/projects/"+pumped+"/register", f)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/intake/receipts/") {
		t.Fatalf("fixed form: %d %s", p.status, p.body)
	}
	got := e.latestRegistration(fgj, pumped)
	if got.Revision != 2 || got.ResponsibleUnit != "浙江庆元抽水蓄能有限公司" || got.LeadOfficial != "李副县长" || got.Source != "web" ||
		len(got.AnnualPlans) != 2 || got.AnnualPlans[1].Year != 2026 || len(got.AnnualPlans[1].MonthlyWan) != 12 ||
		got.AnnualPlans[1].MonthlyWan[0].Display() != "5000.00" || got.AnnualPlans[1].MonthlyWan[1].Display() != "0.00" ||
		len(got.Milestones) != 3 || got.Milestones[2].PlannedDate != "2026-06-30" || got.TotalInvestmentWan.Display() != "1050000.00" {
		t.Fatalf("stored: %+v", got)
	}
	if r := c.get(p.location); !strings.Contains(r.body, "项目登记") {
		t.Fatalf("receipt: %s", r.body)
	}
	// A form opened on revision 1 and submitted now is stale.
	f.Set("base_revision", "1")
	f.Set("idem", strings.Repeat("b", 32))
	f.Set("lead_official", "王副县长")
	if p = c.post("/intake/projects/"+pumped+"/register", f); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "打开表单后该项目的登记已有新版本（第2版") {
		t.Fatalf("stale form: %d %s", p.status, p.body)
	}

	// Another department's project: no form.
	if p := c.get("/intake/projects/" + highway + "/register"); p.status != http.StatusForbidden {
		t.Fatalf("another department's project: %d", p.status)
	}

	// New project: an id in use is refused at the id.
	p = c.get("/intake/register")
	f = p.form(t, "register-form")
	if f.Get("department_name") != "庆元县发展和改革局" {
		t.Fatalf("new form: %v", f)
	}
	f.Set("project_id", park)
	f.Set("name_zh", "庆元县新材料产业园")
	f.Set("region", "丽水市庆元县")
	f.Set("category", "industry")
	f.Set("stage", "preparation")
	f.Set("total_investment_wan", "30000")
	f.Set("reported_by", "王敏")
	p = c.post("/intake/register", f)
	if msg := p.fieldError(t, "project_id"); p.status != http.StatusUnprocessableEntity || !strings.Contains(msg, "已是本部门项目“庆元县产业园区基础设施”的编号") {
		t.Fatalf("id in use: %d %q", p.status, msg)
	}
	f = p.form(t, "register-form")
	f.Set("project_id", highway)
	p = c.post("/intake/register", f)
	if msg := p.fieldError(t, "project_id"); p.status != http.StatusForbidden || !strings.Contains(msg, "已登记在 qy-jtj 名下") {
		t.Fatalf("another department's id: %d %q", p.status, msg)
	}
	f = p.form(t, "register-form")
	f.Set("project_id", "qingyuan-new-materials")
	p = c.post("/intake/register", f)
	if p.status != http.StatusSeeOther {
		t.Fatalf("new project: %d %s", p.status, p.body)
	}
	if got := e.latestRegistration(fgj, "qingyuan-new-materials"); got.Revision != 1 || got.Category != schema.CategoryIndustry || got.DepartmentName != "庆元县发展和改革局" {
		t.Fatalf("stored new project: %+v", got)
	}
}
