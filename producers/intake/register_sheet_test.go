package intake_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/producers/sheet"
	"github.com/keyproject/kpp/schema"
)

// newSheetEnv is an intake with producers/sheet's registration workbook
// reader and writer, as kpp serve wires it.
func newSheetEnv(t *testing.T) *env {
	return newEnv(t, intake.Config{
		ProjectSheets:    intake.ProjectSheetReaderOf(sheet.Options{Now: clock}),
		ProjectsTemplate: intake.SheetProjectsTemplate,
	})
}

// projectsWorkbook downloads the signed-in department's registration
// workbook from the page's link.
func (c *clerk) projectsWorkbook(t *testing.T) *excelize.File {
	t.Helper()
	p := c.get("/intake/register/upload")
	if p.status != 200 || byID(p.doc, "projects-template") == nil || byID(p.doc, "upload-form") == nil {
		t.Fatalf("upload page: %d %s", p.status, p.body)
	}
	res, err := c.c.Get(c.e.ts.URL + "/intake/projects.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != sheet.ContentType {
		t.Fatalf("workbook: %d %v", res.StatusCode, res.Header)
	}
	f, err := excelize.OpenReader(res.Body)
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	return f
}

func cells(t *testing.T, f *excelize.File, sh string, vals map[string]any) {
	t.Helper()
	for cell, v := range vals {
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
	}
}

func workbookBytes(t *testing.T, f *excelize.File) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// uploadProjects sends a registration workbook to POST
// /api/v1/projects/uploads.
func (e *env) uploadProjects(token, name string, content []byte) response {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	return e.do("POST", "/api/v1/projects/uploads", token, &b, map[string]string{"Content-Type": mw.FormDataContentType(), intake.HeaderIdempotencyKey: key()})
}

// The registration workbook, downloaded from the page, changed and
// extended as a clerk would and uploaded: a changed project is its next
// revision, an unchanged one is stored once (no new revision), a new one
// is revision 1 with its plans and milestones.
func TestRegistrationSheetRoundTrip(t *testing.T) {
	e := newSheetEnv(t)
	if res := e.register(tokJTJ, bridge); res.status != http.StatusCreated {
		t.Fatalf("bridge: %d %s", res.status, res.body)
	}
	c := e.clerk()
	c.signIn(tokJTJ)
	f := c.projectsWorkbook(t)
	rows, err := f.GetRows(sheet.ProjectsSheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	// Rows 4 and 5: the bridge (registered above, not yet stored by
	// ingest) and the expressway, by id, at their revisions.
	if len(rows) != 5 || rows[3][0] != "qingyuan-g235-bridge" || rows[3][4] != "交通" || rows[3][11] != "1" ||
		rows[4][0] != highway || rows[4][1] != "义龙庆高速公路庆元段" || rows[4][11] != "1" {
		t.Fatalf("项目 rows: %q", rows)
	}
	// The expressway changes stage and total; a new project comes with a
	// phased plan and a milestone; the bridge is left as it is.
	cells(t, f, sheet.ProjectsSheet, map[string]any{"F5": "建成", "G5": "1,369,500.75", "K5": "李华",
		"A6": "qingyuan-g235-tunnel", "B6": "G235庆元段隧道", "D6": "丽水市庆元县", "E6": "交通", "F6": "前期", "G6": 8000, "K6": "李华"})
	cells(t, f, sheet.PlansSheet, map[string]any{"A7": "qingyuan-g235-tunnel", "C7": 2026, "D7": 1200, "E7": 100, "P7": "１１００"})
	cells(t, f, sheet.MilestonesSheet, map[string]any{"A6": "qingyuan-g235-tunnel", "C6": "start", "D6": "进洞", "E6": "2026年5月1日"})
	before := e.msgs()
	res := e.uploadProjects(tokJTJ, "登记.xlsx", workbookBytes(t, f))
	rc := res.receipt(t)
	if res.status != http.StatusCreated || rc.Source != "xlsx" || rc.File != "登记.xlsx" || len(rc.Events) != 3 || rc.Published != 2 || rc.Duplicates != 1 || e.msgs() != before+2 {
		t.Fatalf("upload: %d %s", res.status, res.body)
	}
	revs := map[int]int{}
	for _, ev := range rc.Events {
		revs[ev.Line] = ev.Revision
	}
	if revs[4] != 1 || revs[5] != 2 || revs[6] != 1 {
		t.Fatalf("revisions by row: %v", revs)
	}
	hw := e.latestRegistration(jtj, highway)
	if hw.Revision != 2 || hw.Stage != schema.StageCompleted || hw.TotalInvestmentWan.String() != "1369500.7500" || hw.DepartmentName != "庆元县交通运输局" ||
		hw.ReportedBy != "李华" || hw.Source != "xlsx" || len(hw.AnnualPlans) != 1 || hw.AnnualPlans[0].Year != 2025 {
		t.Fatalf("expressway: %+v", hw)
	}
	tun := e.latestRegistration(jtj, "qingyuan-g235-tunnel")
	if tun.Revision != 1 || len(tun.AnnualPlans) != 1 || len(tun.AnnualPlans[0].MonthlyWan) != 12 || tun.AnnualPlans[0].MonthlyWan[11].String() != "1100.0000" ||
		tun.AnnualPlans[0].MonthlyWan[5].String() != "0.0000" || len(tun.Milestones) != 1 || tun.Milestones[0].PlannedDate != "2026-05-01" {
		t.Fatalf("new project: %+v", tun)
	}
	if br := e.latestRegistration(jtj, "qingyuan-g235-bridge"); br.Revision != 1 || br.Source != "api" {
		t.Fatalf("the unchanged bridge got a new revision: %+v", br)
	}
	// The same workbook downloaded before this upload is now stale for
	// the expressway: refused at its 登记版本 cell, nothing stored.
	before = e.msgs()
	cells(t, f, sheet.ProjectsSheet, map[string]any{"H5": "另一个单位"})
	res = e.uploadProjects(tokJTJ, "登记.xlsx", workbookBytes(t, f))
	b := res.errorBody(t)
	p := findProblem(t, b.Errors, "登记版本 (项目!L5)", intake.RuleStaleSheet)
	if res.status != 422 || p.Line != 5 || !strings.Contains(p.MessageZh, "现为第2版") || e.msgs() != before {
		t.Fatalf("stale: %d %s", res.status, res.body)
	}
}

// A workbook with many problems, uploaded on the page: every problem is
// listed at its sheet and cell, nothing is published; another
// department's project is refused at its id (403).
func TestRegistrationSheetProblems(t *testing.T) {
	e := newSheetEnv(t)
	c := e.clerk()
	c.signIn(tokFGJ)
	f := c.projectsWorkbook(t)
	// Row 4 is the park, row 5 the pumped-storage plant (by id).
	cells(t, f, sheet.ProjectsSheet, map[string]any{"B4": "", "E4": "铁路", "G4": "12万", "L5": 7,
		"A6": highway, "B6": "义龙庆高速", "D6": "庆元县", "E6": "交通", "F6": "在建", "G6": 1, "K6": "王敏"})
	cells(t, f, sheet.PlansSheet, map[string]any{"C4": "二〇二五", "A7": "no-such-project", "C7": 2026, "D7": 1})
	cells(t, f, sheet.MilestonesSheet, map[string]any{"E4": "2025.6.30", "A6": pumped, "C6": "Tunnel Through", "D6": "", "E6": "2026-01-01"})
	up := c.get("/intake/register/upload")
	form := up.form(t, "upload-form")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k := range form {
		_ = mw.WriteField(k, form.Get(k))
	}
	fw, _ := mw.CreateFormFile("file", "登记.xlsx")
	_, _ = io.Copy(fw, bytes.NewReader(workbookBytes(t, f)))
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.ts.URL+"/intake/register/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	before := e.msgs()
	p := c.do(req)
	tbl := p.text("problems")
	want := []string{
		"登记.xlsx 4 项目名称 (项目!B4)",
		"登记.xlsx 4 项目类别 (项目!E4) 铁路",
		"登记.xlsx 4 总投资（万元） (项目!G4) 12万 不是数字",
		"登记.xlsx 5 登记版本 (项目!L5) 7 本行按第7版登记填写，但该项目现为第1版",
		"登记.xlsx 6 项目编号 (项目!A6) " + highway + " 项目编号 " + highway + " 已登记在 qy-jtj 名下",
		"登记.xlsx 4 年份 (年度计划!C4) 二〇二五 不是年份",
		"登记.xlsx 7 项目编号 (年度计划!A7) no-such-project 项目编号 no-such-project 不在“项目”表中",
		"登记.xlsx 4 计划完成日期 (节点!E4) 2025.6.30",
		"登记.xlsx 6 节点编号 (节点!C6) Tunnel Through",
		"登记.xlsx 6 节点名称 (节点!D6)",
	}
	for _, w := range want {
		if !strings.Contains(tbl, w) {
			t.Errorf("no problem %q in the page's table:\n%s", w, tbl)
		}
	}
	if p.status != http.StatusForbidden || e.msgs() != before {
		t.Fatalf("status %d, %d message(s) published", p.status, e.msgs()-before)
	}
	if !strings.Contains(p.text("upload-errors"), "处问题") {
		t.Fatalf("no summary: %s", p.text("upload-errors"))
	}
}
