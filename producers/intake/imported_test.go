package intake_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/producers/history"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/schema"
)

// importHistory imports events as `kpp import` does (producers/history:
// kpp.v1._import.<dept>.…, Kpp-Submitted-At, Kpp-Imported-By) and records
// the owners of imported registrations in KPP_PROJECTS, as ingest does.
func (e *env) importHistory(by string, items ...history.Item) *history.Receipt {
	e.t.Helper()
	ctx := context.Background()
	im, err := history.New(e.js, history.Config{ImportedBy: by, Now: clock})
	if err != nil {
		e.t.Fatal(err)
	}
	rc, err := im.ImportEvents(ctx, items)
	if err != nil {
		e.t.Fatalf("import: %v %+v", err, rc)
	}
	kv, err := e.js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, it := range items {
		if p, ok := it.Event.(*schema.Project); ok {
			if _, err := kv.PutString(ctx, p.ProjectID, p.DepartmentID); err != nil {
				e.t.Fatal(err)
			}
		}
	}
	return rc
}

func importedReport(project, period, month, ytd, since string) *schema.InvestmentReport {
	return &schema.InvestmentReport{
		Common:    schema.Common{Schema: schema.SchemaInvestment, DepartmentID: fgj, Revision: 1, ReportedBy: "档案室"},
		ProjectID: project, Period: period, MonthCompletedWan: schema.MustWan(month), YTDCompletedWan: schema.MustWan(ytd),
		SinceStartCompletedWan: schema.MustWan(since),
	}
}

// The intake reads the department's imported history too: a clerk's
// correction of an imported month becomes revision 2 and is stored (it
// used to get revision 1, the imported report's event id, and be dropped
// as a duplicate); the cumulative check uses the imported previous month;
// the projects, the history (API and page) and the form show the imports,
// marked as imported, at their declared times.
func TestImportedHistory(t *testing.T) {
	e := newEnv(t, intake.Config{})
	at := func(s string) time.Time {
		t.Helper()
		v, err := history.ParseSubmittedAt(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	school := &schema.Project{
		Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: fgj, Revision: 1, ReportedBy: "档案室"},
		ProjectID: "qingyuan-new-school", NameZh: "庆元县新城学校", Region: "丽水市庆元县", Category: schema.CategoryPublic,
		Stage: schema.StageConstruction, TotalInvestmentWan: schema.MustWan("30000"),
		AnnualPlans: []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("12000")}},
	}
	rc := e.importHistory("档案员李华",
		history.Item{Event: school, SubmittedAt: at("2025-01-10 09:00")},
		history.Item{Event: importedReport(pumped, "2025-08", "10000", "86000", "344000"), SubmittedAt: at("2025-09-04 16:20")},
		history.Item{Event: importedReport(pumped, "2025-09", "12000", "98000", "356000"), SubmittedAt: at("2025-10-05 09:30")},
		history.Item{Event: &schema.MilestoneUpdate{
			Common:    schema.Common{Schema: schema.SchemaMilestone, DepartmentID: fgj, Revision: 1, ReportedBy: "档案室"},
			ProjectID: pumped, MilestoneID: "tunnel-through", Title: "通风兼安全洞贯通", PlannedDate: "2025-12-31",
			Status: schema.MilestoneInProgress, ForecastDate: "2025-12-31", AsOf: "2025-09-30",
		}, SubmittedAt: at("2025-10-05 09:30")},
	)
	if rc.Files[0].Published != 4 {
		t.Fatalf("import receipt: %+v", rc.Files[0])
	}
	before := e.msgs()

	// The imported registration is one of the department's projects.
	var ps intake.ProjectsBody
	e.do("GET", "/api/v1/projects", tokFGJ, nil, nil).json(t, &ps)
	found := false
	for _, p := range ps.Projects {
		found = found || p.ID == school.ProjectID && p.NameZh == school.NameZh
	}
	if !found {
		t.Fatalf("imported registration not among the projects: %+v", ps.Projects)
	}

	// October against the imported September (98000): 103000 expected.
	res := e.post(tokFGJ, report(pumped, "2025-10", "5000", "100000", "361000", nil))
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("October not adding up to the imported September: %d %s", res.status, res.body)
	}
	p := findProblem(t, res.errorBody(t).Errors, "ytd_completed_wan", schema.RuleCumulative)
	if !strings.Contains(p.MessageZh, "2025-09 第1版：98,000.00万元") && !strings.Contains(p.MessageZh, "98000") {
		t.Errorf("the cumulative problem does not name the imported September: %s", p.MessageZh)
	}
	if !strings.Contains(p.MessageZh, "2025-09") {
		t.Errorf("the cumulative problem does not name the month: %s", p.MessageZh)
	}

	// A correction of the imported September without a reason: it is
	// revision 2, and the reason is asked for, naming the declared time.
	res = e.post(tokFGJ, report(pumped, "2025-09", "12500", "98500", "356500", nil))
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("correction without reason: %d %s", res.status, res.body)
	}
	p = findProblem(t, res.errorBody(t).Errors, "correction_reason", schema.RuleRequired)
	if !strings.Contains(p.MessageZh, "第1版（2025-10-05 09:30 收到）") || !strings.Contains(p.MessageZh, "第2版") {
		t.Errorf("correction reason problem: %s", p.MessageZh)
	}
	if e.msgs() != before {
		t.Fatalf("refused submissions published %d messages", e.msgs()-before)
	}

	// With the reason: revision 2, stored on the department's subject.
	res = e.post(tokFGJ, report(pumped, "2025-09", "12500", "98500", "356500", map[string]any{"correction_reason": "监理复核后调增"}))
	if res.status != http.StatusCreated {
		t.Fatalf("correction: %d %s", res.status, res.body)
	}
	rcp := res.receipt(t)
	if rcp.Published != 1 || rcp.Duplicates != 0 || len(rcp.Events) != 1 || rcp.Events[0].Revision != 2 || rcp.Events[0].Duplicate {
		t.Fatalf("correction receipt: %+v", rcp)
	}
	subj, stored := e.stored(rcp.Events[0].Seq)
	if subj != schema.SubjectFor(fgj, schema.KindInvestment, pumped) || stored.Revision != 2 || !stored.YTDCompletedWan.Value.Equal(schema.MustWan("98500").Value) {
		t.Fatalf("stored %s: %+v", subj, stored)
	}

	// October now adds up to the corrected September; its milestone
	// update follows the imported one as revision 2.
	res = e.post(tokFGJ, report(pumped, "2025-10", "5000", "103500", "361500", map[string]any{
		"milestones": []map[string]any{{"milestone_id": "tunnel-through", "status": "in_progress", "forecast_date": "2026-01-31"}}}))
	if res.status != http.StatusCreated {
		t.Fatalf("October after the correction: %d %s", res.status, res.body)
	}
	rcp = res.receipt(t)
	ms := 0
	for _, ev := range rcp.Events {
		if ev.Kind == string(schema.KindMilestone) {
			ms++
			if ev.Revision != 2 || ev.Duplicate {
				t.Errorf("milestone update after an imported one: %+v", ev)
			}
		}
	}
	if ms != 1 || rcp.Published != 2 {
		t.Fatalf("October receipt: %+v", rcp)
	}

	// The history: newest first by received time, imports marked with
	// their declared time and importer.
	var h intake.HistoryBody
	e.do("GET", "/api/v1/projects/"+pumped+"/reports", tokFGJ, nil, nil).json(t, &h)
	if len(h.Reports) != 4 {
		t.Fatalf("history has %d reports: %+v", len(h.Reports), h.Reports)
	}
	got := []string{}
	for _, r := range h.Reports {
		mark := ""
		if r.Imported {
			mark = " imported by " + r.ImportedBy + " received " + r.ReceivedAt.Format("2006-01-02 15:04")
		}
		cur := ""
		if r.Current {
			cur = " current"
		}
		got = append(got, r.Period+" r"+string(rune('0'+r.Revision))+cur+mark)
	}
	want := []string{
		"2025-10 r1 current",
		"2025-09 r2 current",
		"2025-09 r1 imported by 档案员李华 received 2025-10-05 09:30",
		"2025-08 r1 current imported by 档案员李华 received 2025-09-04 16:20",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if h.Reports[3].ImportedAt.IsZero() || h.Reports[1].Imported || !h.Reports[1].ImportedAt.IsZero() {
		t.Errorf("imported_at: %+v", h.Reports)
	}

	// The history page marks the imports.
	c := e.clerk()
	c.signIn(tokFGJ)
	pg := c.get("/intake/projects/" + pumped + "/history")
	if pg.status != http.StatusOK || strings.Count(pg.body, "历史导入 · 档案员李华") != 2 {
		t.Errorf("history page: %d, %d imported marks\n%s", pg.status, strings.Count(pg.body, "历史导入 · 档案员李华"), pg.body)
	}
	// The form of the imported August offers a correction as revision 2.
	pg = c.get("/intake/projects/" + pumped + "/report?period=2025-08")
	if pg.status != http.StatusOK || !strings.Contains(pg.body, "本月已报送第1版（2025-09-04 16:20 收到）。提交将作为第2版更正") {
		t.Errorf("form of an imported month: %d\n%s", pg.status, pg.body)
	}
}
