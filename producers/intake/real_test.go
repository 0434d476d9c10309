package intake_test

// Tests with the production token store (producers/credentials) and sheet
// reader (producers/sheet), plugged in as cmd/kpp does.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/producers/sheet"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// realEnv is an intake wired like kpp serve: a departments file with both
// departments, producers/sheet for uploads and the template.
type realEnv struct {
	*env
	store    *credentials.Store
	fgj, jtj string // tokens
}

func newRealEnv(t *testing.T, limits intake.Limits) *realEnv {
	t.Helper()
	st, err := credentials.New(credentials.Config{Path: filepath.Join(t.TempDir(), "departments.json"),
		Argon2: credentials.Argon2Params{Time: 1, MemoryKiB: 1024, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.Add(fgj, "庆元县发展和改革局")
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Add(jtj, "庆元县交通运输局")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, intake.Config{
		Auth:     intake.CredentialsAuth(st),
		Sheets:   intake.SheetReaderOf(sheet.Options{Now: clock}),
		Template: intake.SheetTemplate,
		Limits:   limits,
	})
	return &realEnv{env: e, store: st, fgj: a.Token, jtj: b.Token}
}

// Tokens from the departments file: accepted, and refused with the store's
// own message once rotated or mangled.
func TestRealCredentials(t *testing.T) {
	e := newRealEnv(t, intake.Limits{})
	var pb intake.ProjectsBody
	res := e.do("GET", "/api/v1/projects", e.fgj, nil, nil)
	res.json(t, &pb)
	if res.status != 200 || pb.Department.ID != fgj || pb.Department.Name != "庆元县发展和改革局" || len(pb.Projects) != 2 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	if _, err := e.store.Rotate(fgj); err != nil {
		t.Fatal(err)
	}
	before := e.msgs()
	res = e.post(e.fgj, report(pumped, "2025-09", "1", "2", "3", nil))
	if b := res.errorBody(t); res.status != 401 || !strings.Contains(b.Error.MessageEn, "was replaced on") || strings.Contains(string(res.body), e.fgj) {
		t.Fatalf("rotated token: %d %s", res.status, res.body)
	}
	res = e.do("GET", "/api/v1/projects", "kpp_nonsense", nil, nil)
	if b := res.errorBody(t); res.status != 401 || b.Error.MessageZh == "" || strings.Contains(string(res.body), "kpp_nonsense") {
		t.Fatalf("malformed token: %d %s", res.status, res.body)
	}
	if e.msgs() != before {
		t.Fatal("a refused token published")
	}
	// The web sign-in shows the store's message too.
	p := e.clerk().login(e.fgj)
	if p.status != 401 || !strings.Contains(p.text("login-error"), "已于") || !strings.Contains(p.text("login-error"), "更换，旧令牌不再有效") {
		t.Fatalf("sign in with a rotated token: %d %s", p.status, p.text("login-error"))
	}
}

// A mistyped token — a character of the secret changed — is refused as
// 令牌无效 first, then what is wrong with it, on the API and the sign-in
// page alike.
func TestRealMistypedToken(t *testing.T) {
	e := newRealEnv(t, intake.Limits{})
	typo := e.fgj[:len(e.fgj)-3] + "+" + e.fgj[len(e.fgj)-2:]
	res := e.do("GET", "/api/v1/projects", typo, nil, nil)
	b := res.errorBody(t)
	if res.status != 401 || !strings.HasPrefix(b.Error.MessageZh, "令牌无效：") || !strings.HasPrefix(b.Error.MessageEn, "invalid token: ") {
		t.Fatalf("mistyped token: %d %s", res.status, res.body)
	}
	p := e.clerk().login(typo)
	if msg := p.text("login-error"); p.status != 401 || !strings.HasPrefix(msg, "令牌无效：") {
		t.Fatalf("sign in with a mistyped token: %d %q", p.status, msg)
	}
}

// A web session ends at its next request once its token was rotated or
// its department disabled: the clerk must sign in again with the new token.
func TestRealRotationEndsWebSessions(t *testing.T) {
	e := newRealEnv(t, intake.Limits{})
	c := e.clerk()
	c.signIn(e.fgj)
	if p := c.get("/intake/projects"); p.status != 200 {
		t.Fatalf("signed in: %d %s", p.status, p.body)
	}
	tok, err := e.store.Rotate(fgj)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.get("/intake/projects"); p.status != http.StatusSeeOther || p.location != "/intake/login" {
		t.Fatalf("after rotation: %d %q, want a redirect to sign in", p.status, p.location)
	}
	c.signIn(tok)
	if p := c.get("/intake/projects"); p.status != 200 {
		t.Fatalf("signed in with the new token: %d", p.status)
	}
	if err := e.store.Disable(fgj); err != nil {
		t.Fatal(err)
	}
	if p := c.get("/intake/projects"); p.status != http.StatusSeeOther {
		t.Fatalf("after disabling: %d, want a redirect to sign in", p.status)
	}
}

// The department's template, downloaded from the page, filled as a clerk
// would, uploaded: every row is published; its cells' problems are named
// by cell.
func TestRealTemplateRoundTrip(t *testing.T) {
	e := newRealEnv(t, intake.Limits{})
	if res := e.post(e.fgj, report(pumped, "2025-08", "12000", "98000", "356000", nil)); res.status != 201 {
		t.Fatalf("August: %d %s", res.status, res.body)
	}
	c := e.clerk()
	c.signIn(e.fgj)
	req, _ := http.NewRequest("GET", e.ts.URL+"/intake/template.xlsx?period=2025-09", nil)
	res, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tpl bytes.Buffer
	_, _ = tpl.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "kpp-qy-fgj-2025-09.xlsx") {
		t.Fatalf("template: %d %v", res.StatusCode, res.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader(tpl.Bytes()))
	if err != nil {
		t.Fatalf("the template is not a workbook: %v", err)
	}
	rows, err := f.GetRows(sheet.TemplateSheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	// Rows 4 and 5: the two projects by id, with last month's year to date.
	if len(rows) < 5 || rows[3][0] != park || rows[4][0] != pumped || rows[4][12] != "98000" {
		t.Fatalf("template rows: %q", rows)
	}
	fill := func(row int, month, ytd, since string) {
		for col, v := range map[string]string{"D": month, "E": ytd, "F": since, "K": "王敏"} {
			if err := f.SetCellValue(sheet.TemplateSheet, fmt.Sprintf("%s%d", col, row), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill(4, "100", "500", "800")
	fill(5, "1200", "90000", "357200") // below August's 98000
	var bad bytes.Buffer
	if err := f.Write(&bad); err != nil {
		t.Fatal(err)
	}
	before := e.msgs()
	up := e.upload(e.fgj, "九月.xlsx", bad.Bytes())
	b := up.errorBody(t)
	p := findProblem(t, b.Errors, "本年累计完成（万元） (月报!E5)", intake.RulePreviousMonth)
	if up.status != 422 || p.Line != 5 || !strings.Contains(p.MessageZh, "「本年累计」应不小于上月累计") || e.msgs() != before {
		t.Fatalf("bad sheet: %d %s", up.status, up.body)
	}
	fill(5, "1200", "99200", "357200")
	var good bytes.Buffer
	if err := f.Write(&good); err != nil {
		t.Fatal(err)
	}
	up = e.upload(e.fgj, "九月.xlsx", good.Bytes())
	rc := up.receipt(t)
	if up.status != 201 || rc.Published != 2 || rc.Source != "xlsx" || rc.Events[1].Line != 5 || e.msgs() != before+2 {
		t.Fatalf("good sheet: %d %s", up.status, up.body)
	}
	reports, err := intake.LoadReports(context.Background(), e.js, fgj, pumped)
	if err != nil || reports[0].Period != "2025-09" || reports[0].YTDCompletedWan.String() != "99200.0000" || reports[0].Source != "xlsx" {
		t.Fatalf("stored: %+v %v", reports, err)
	}
}

// The spreadsheet rows of the table: not a spreadsheet, a formula
// cell, a GBK CSV (converted, with a notice), another department's
// project, 10,000 rows over the default limit.
func TestRealBadSheets(t *testing.T) {
	e := newRealEnv(t, intake.Limits{})
	head := "项目编号,报告期,本月完成投资（万元）,本年累计完成（万元）,自开工累计完成（万元）,填报人\n"

	xlsx := func(rows ...[]any) []byte {
		f := excelize.NewFile()
		_ = f.SetSheetName("Sheet1", sheet.TemplateSheet)
		for i, r := range append([][]any{{"项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "填报人"}}, rows...) {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet.TemplateSheet, cell, &r); err != nil {
				t.Fatal(err)
			}
		}
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	withFormula := func() []byte {
		f, err := excelize.OpenReader(bytes.NewReader(xlsx([]any{park, "2025-09", 100, 500, "王敏"})))
		if err != nil {
			t.Fatal(err)
		}
		_ = f.SetCellFormula(sheet.TemplateSheet, "C2", "SUM(1,2)")
		var b bytes.Buffer
		_ = f.Write(&b)
		return b.Bytes()
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(head + park + ",2025年9月,100,500,800,王敏\n")
	if err != nil {
		t.Fatal(err)
	}
	var many strings.Builder
	many.WriteString(head)
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&many, "%s,2025-09,1,1,1,王敏\n", park)
	}

	cases := []struct {
		name, file string
		data       []byte
		status     int
		field      string
		msg        string
	}{
		{"not a spreadsheet", "九月.xlsx", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 422, "", "PNG"},
		{"a text file named .xlsx", "九月.xlsx", []byte("项目编号,报告期\n"), 422, "", "is not an Excel workbook: it holds plain text"},
		{"formula cell", "九月.xlsx", withFormula(), 422, "本月完成投资（万元） (月报!C2)", "contains a formula =SUM(1,2)"},
		{"another department's project", "九月.xlsx", xlsx([]any{highway, "2025-09", 1, 2, "王敏"}), 403, "项目编号 (月报!A2)", "无权为该项目报送"},
		{"10,000 rows over the default limit", "big.csv", []byte(many.String()), 422, "", "at most 5000 are accepted in one upload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.msgs()
			res := e.upload(e.fgj, c.file, c.data)
			b := res.errorBody(t)
			if res.status != c.status || len(b.Errors) == 0 {
				t.Fatalf("%d %s", res.status, res.body)
			}
			found := false
			for _, p := range b.Errors {
				if p.Field == c.field && strings.Contains(p.MessageEn+" "+p.MessageZh, c.msg) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no problem %q with %q in %s", c.field, c.msg, res.body)
			}
			if e.msgs() != before {
				t.Fatal("a refused sheet published")
			}
		})
	}

	t.Run("GBK CSV converted", func(t *testing.T) {
		before := e.msgs()
		res := e.upload(e.fgj, "九月.csv", []byte(gbk))
		rc := res.receipt(t)
		if res.status != 201 || rc.Published != 1 || len(rc.Notices) == 0 || rc.Notices[0].Code != sheet.NoticeConvertedGBK || e.msgs() != before+1 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		reports, err := intake.LoadReports(context.Background(), e.js, fgj, park)
		if err != nil || len(reports) != 1 || reports[0].ReportedBy != "王敏" || reports[0].Period != "2025-09" {
			t.Fatalf("stored: %+v %v", reports, err)
		}
	})
}

// One upload, one answer: a cell that cannot be read and a year-to-date
// that is not last month's stored one plus the month are reported
// together, each at its cell.
func TestRealUploadOnePass(t *testing.T) {
	e := newRealEnv(t, intake.Limits{})
	if res := e.post(e.fgj, report(park, "2025-08", "100", "500", "800", nil)); res.status != 201 {
		t.Fatalf("August: %d %s", res.status, res.body)
	}
	csv := "项目编号,报告期,本月完成投资（万元）,本年累计完成（万元）,自开工累计完成（万元）,填报人,填报时间\n" +
		park + ",2025年9月,１００,650,950,王敏,昨天\n"
	res := e.upload(e.fgj, "九月.csv", []byte(csv))
	b := res.errorBody(t)
	if res.status != 422 || len(b.Errors) != 2 {
		t.Fatalf("want two problems in one answer: %d %s", res.status, res.body)
	}
	cum := findProblem(t, b.Errors, "本年累计完成（万元） (D2)", schema.RuleCumulative)
	if !strings.Contains(cum.MessageZh, "即600.00万元") {
		t.Fatalf("cumulative problem %+v", cum)
	}
	if p := findProblem(t, b.Errors, "填报时间 (G2)", schema.RuleDate); p.Value != "昨天" {
		t.Fatalf("time problem %+v", p)
	}
}

// A 10,000-row upload within a raised limit: 1,000 projects × 10 months,
// read, checked (each month against the one before, in the same sheet)
// and published in atomic batches.
func TestRealTenThousandRows(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 10,000-row upload")
	}
	e := newRealEnv(t, intake.Limits{MaxRows: 10000, MaxUploadBytes: 20 << 20})
	ctx := context.Background()
	var regs []schema.Event
	for i := 0; i < 1000; i++ {
		regs = append(regs, &schema.Project{
			Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: jtj, Revision: 1, ReportedBy: "管理员"},
			ProjectID: fmt.Sprintf("road-%04d", i), NameZh: fmt.Sprintf("乡村道路%04d", i), Region: "丽水市庆元县",
			Category: schema.CategoryTransport, Stage: schema.StageConstruction, TotalInvestmentWan: schema.MustWan("5000"),
		})
	}
	pub, err := submit.New(e.js, submit.Config{Now: clock, Source: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.PublishEvents(ctx, regs); err != nil {
		t.Fatal(err)
	}
	kv, err := e.js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range regs {
		if _, err := kv.PutString(ctx, r.Project(), jtj); err != nil {
			t.Fatal(err)
		}
	}
	var csv strings.Builder
	csv.WriteString("项目编号,报告期,本月完成投资（万元）,本年累计完成（万元）,填报人\n")
	for i := 0; i < 1000; i++ {
		for m := 1; m <= 10; m++ {
			fmt.Fprintf(&csv, "road-%04d,2025-%02d,10,%d,李华\n", i, m, 10*m)
		}
	}
	before := e.msgs()
	res := e.upload(e.jtj, "全年.csv", []byte(csv.String()))
	rc := res.receipt(t)
	if res.status != 201 || rc.Published != 10000 || len(rc.Events) != 10000 || e.msgs() != before+10000 {
		t.Fatalf("%d published %d: %.2000s", res.status, rc.Published, res.body)
	}
}
