package sheet_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/producers/sheet"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// registered is qy-jtj's current registration of the expressway, as the
// registration template is made of.
func registered() schema.Project {
	return schema.Project{
		Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: "qy-jtj", Revision: 3, ReportedBy: "王敏"},
		ProjectID: "yilongqing-expressway-qingyuan", NameZh: "义龙庆高速公路庆元段", Region: "丽水市庆元县",
		Category: schema.CategoryTransport, Stage: schema.StageConstruction, TotalInvestmentWan: schema.MustWan("1369500.7512"),
		ResponsibleUnit: "庆元县交通投资集团", ResponsiblePerson: "李强", LeadOfficial: "张副县长",
		AnnualPlans: []schema.AnnualPlan{
			{Year: 2025, AmountWan: schema.MustWan("300000")},
			{Year: 2026, AmountWan: schema.MustWan("1200"), MonthlyWan: []schema.Wan{
				schema.MustWan("100"), schema.MustWan("100"), schema.MustWan("100"), schema.MustWan("100"), schema.MustWan("100"), schema.MustWan("100"),
				schema.MustWan("100"), schema.MustWan("100"), schema.MustWan("100"), schema.MustWan("100"), schema.MustWan("100"), schema.MustWan("100.5")}},
		},
		Milestones: []schema.PlannedMilestone{{MilestoneID: "tunnel-through", Title: "隧道贯通", PlannedDate: "2026-06-30"}},
	}
}

func projectsTemplate(t *testing.T, ps ...schema.Project) *excelize.File {
	t.Helper()
	var b bytes.Buffer
	err := sheet.ProjectsTemplate(&b, sheet.ProjectsTemplateInput{DepartmentID: "qy-jtj", DepartmentName: "庆元县交通运输局", Projects: ps})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readProjects(t *testing.T, f *excelize.File) *sheet.ProjectsUpload {
	t.Helper()
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	u, err := sheet.ReadProjects("登记.xlsx", &b, sheet.Options{DepartmentID: "qy-jtj", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func set(t *testing.T, f *excelize.File, s, cell string, v any) {
	t.Helper()
	if err := f.SetCellValue(s, cell, v); err != nil {
		t.Fatal(err)
	}
}

// The template holds the registration as it is stored, and reads back as
// the same registration; a new project added in new rows of the three
// sheets reads as a second registration.
func TestProjectsTemplateRoundTrip(t *testing.T) {
	reg := registered()
	f := projectsTemplate(t, reg)
	if got := f.GetSheetList(); strings.Join(got, ",") != "项目,年度计划,节点,说明" {
		t.Fatalf("sheets %v", got)
	}
	rows, _ := f.GetRows(sheet.ProjectsSheet, excelize.Options{RawCellValue: true})
	if len(rows) != 4 || strings.Join(rows[2], ",") != strings.Join(sheet.ProjectColumns(), ",") ||
		rows[3][0] != reg.ProjectID || rows[3][4] != "交通" || rows[3][5] != "在建" || rows[3][6] != "1369500.7512" || rows[3][11] != "3" {
		t.Fatalf("项目 rows: %q", rows)
	}
	dvs, err := f.GetDataValidations(sheet.ProjectsSheet)
	if err != nil || len(dvs) != 3 || !strings.Contains(dvs[0].Formula1, "交通,能源") {
		t.Fatalf("data validations: %+v %v", dvs, err)
	}
	u := readProjects(t, f)
	if len(u.Input.Problems) != 0 || len(u.Input.Records) != 1 || len(u.Input.Records[0].Problems) != 0 {
		t.Fatalf("read back: %+v", u.Input)
	}
	got := u.Input.Records[0].Event.(*schema.Project)
	want := reg
	want.Revision, want.Source = 0, "xlsx"
	if !sameJSON(t, got, &want) {
		t.Fatalf("read back\n got %s\nwant %s", mustJSON(t, got), mustJSON(t, &want))
	}
	if u.Bases[4] != 3 {
		t.Fatalf("登记版本: %v", u.Bases)
	}

	// A new project, typed as clerks type: labels, full-width digits,
	// thousands separators, a date typed with slashes, one month of a
	// phased plan.
	for cell, v := range map[string]any{"A5": "qingyuan-g235-bridge", "B5": "G235庆元段大桥", "D5": "丽水市庆元县", "E5": "交通", "F5": "前期",
		"G5": "５２,０００", "H5": "庆元县交通投资集团", "K5": "王敏"} {
		set(t, f, sheet.ProjectsSheet, cell, v)
	}
	for cell, v := range map[string]any{"A6": "qingyuan-g235-bridge", "C6": 2026, "D6": "12000", "F6": 500} {
		set(t, f, sheet.PlansSheet, cell, v)
	}
	for cell, v := range map[string]any{"A5": "qingyuan-g235-bridge", "C5": "start", "D5": "开工", "E5": "2026/3/31"} {
		set(t, f, sheet.MilestonesSheet, cell, v)
	}
	u = readProjects(t, f)
	if len(u.Input.Problems) != 0 || len(u.Input.Records) != 2 || len(u.Input.Records[1].Problems) != 0 {
		t.Fatalf("read back: %+v", u.Input)
	}
	nb := u.Input.Records[1].Event.(*schema.Project)
	if nb.TotalInvestmentWan.String() != "52000.0000" || nb.Stage != schema.StagePreparation || len(nb.AnnualPlans) != 1 ||
		len(nb.AnnualPlans[0].MonthlyWan) != 12 || nb.AnnualPlans[0].MonthlyWan[1].String() != "500.0000" || nb.AnnualPlans[0].MonthlyWan[0].String() != "0.0000" ||
		len(nb.Milestones) != 1 || nb.Milestones[0].PlannedDate != "2026-03-31" {
		t.Fatalf("new project: %s", mustJSON(t, nb))
	}
	if _, ok := u.Bases[5]; ok {
		t.Fatalf("a new project has no 登记版本: %v", u.Bases)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameJSON(t *testing.T, a, b any) bool { return mustJSON(t, a) == mustJSON(t, b) }

// Every problem of a registration workbook in one pass, each at its
// sheet and cell: a missing name, a category not in the list, an amount
// with a unit typed in, a formula, a bad year, a plan of a project that is
// not in 项目, a milestone id that is not an id, a date that is not one, a
// milestone id twice.
func TestProjectsReadProblems(t *testing.T) {
	f := projectsTemplate(t, registered())
	for cell, v := range map[string]any{"B4": "", "E4": "铁路", "G4": "12万"} {
		set(t, f, sheet.ProjectsSheet, cell, v)
	}
	if err := f.SetCellFormula(sheet.ProjectsSheet, "L4", "1+2"); err != nil {
		t.Fatal(err)
	}
	for cell, v := range map[string]any{"C5": "二〇二六", "A6": "no-such-project", "C6": 2027, "D6": 5} {
		set(t, f, sheet.PlansSheet, cell, v)
	}
	for cell, v := range map[string]any{"A5": "yilongqing-expressway-qingyuan", "C5": "隧道", "D5": "通车", "E5": "2026.12.31",
		"A6": "yilongqing-expressway-qingyuan", "C6": "tunnel-through", "D6": "再次", "E6": "2027-01-01"} {
		set(t, f, sheet.MilestonesSheet, cell, v)
	}
	u := readProjects(t, f)
	var got []string
	for _, p := range u.Input.Problems {
		got = append(got, p.Field+" "+string(p.Rule))
	}
	for _, rec := range u.Input.Records {
		for _, fe := range rec.Problems {
			got = append(got, fe.Field+" "+string(fe.Rule))
		}
	}
	want := []string{
		"项目编号 (年度计划!A6) " + string(sheet.RuleUnknownProject),
		"项目名称 (项目!B4) required",
		"项目类别 (项目!E4) enum",
		"总投资（万元） (项目!G4) decimal",
		"登记版本 (项目!L4) formula",
		"年份 (年度计划!C5) range",
		"节点编号 (节点!C5) identifier",
		"计划完成日期 (节点!E5) date",
		"节点编号 (节点!C6) consistency",
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("no problem %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	// Problems the intake finds later (by event field) are located too.
	loc := u.Locate(submitProblem("登记.xlsx", 4, "annual_plans[1].amount_wan"))
	if loc.Field != "年度计划（万元） (年度计划!D5)" || loc.Line != 5 {
		t.Fatalf("located %+v", loc)
	}
}

func submitProblem(file string, line int, field string) submit.Problem {
	return submit.Problem{File: file, Line: line, FieldError: schema.FieldError{Field: field, Rule: schema.RuleRequired}}
}
