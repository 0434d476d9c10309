package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/browsertest"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// The clerk's whole path through the real binary's servers: the operator
// adds the department (kpp dept add) and registers its project (kpp
// submit); kpp serve runs ingest and the intake; a clerk in headless
// Chromium signs in with the token, fills September with an error, sees it
// beside the field, fixes it, submits and gets the receipt; ingest then
// stores the report in ClickHouse as typed, with source web.
func TestBrowserReportEndToEnd(t *testing.T) {
	browsertest.Binary(t) // skip (or, under CI=true, fail) before starting the servers
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := testenv.ClickHouseDSN(t)
	natsSrv, _, js := testenv.NATS(t)
	httpAddr := freeAddr(t)
	base := "http://" + httpAddr
	dir := t.TempDir()
	deptFile := filepath.Join(dir, "departments.json")

	token, _ := addDepartment(t, ctx, deptFile, "qy-fgj", "庆元县发展和改革局")
	defer serveInBackground(t, ctx, cancel, "--nats-url", natsSrv.URL(), "--clickhouse", dsn, "--file", deptFile, "--http-listen", httpAddr)()
	var code int
	var out, errOut string

	// The operator registers the department's project, with a plan for 2025.
	const project = "qingyuan-pumped-storage"
	registration := filepath.Join(dir, "projects.jsonl")
	if err := os.WriteFile(registration, []byte(`{"schema":"kpp.project.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏",`+
		`"reported_at":"2025-01-06T09:00:00+08:00","project_id":"`+project+`","name_zh":"庆元抽水蓄能电站",`+
		`"name_en":"Qingyuan pumped-storage power plant","region":"丽水市庆元县","category":"energy","stage":"construction",`+
		`"department_name":"庆元县发展和改革局","total_investment_wan":"1050000","annual_plans":[{"year":2025,"amount_wan":"150000"}],`+
		`"milestones":[{"milestone_id":"main-works-start","title":"抽蓄主体工程开工","planned_date":"2025-06-30"}]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut = kpp(t, ctx, "submit", "--nats-url", natsSrv.URL(), registration); code != 0 {
		t.Fatalf("submit the registration: exit %d\n%s\n%s", code, out, errOut)
	}
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	registered := func() bool {
		var n uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM projects WHERE project_id = ? AND department_id = 'qy-fgj'", project).Scan(&n); err != nil || n != 1 {
			return false
		}
		// Ingest records the owner for the intake right after the insert.
		kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
		if err != nil {
			return false
		}
		e, err := kv.Get(ctx, project)
		return err == nil && string(e.Value()) == "qy-fgj"
	}
	testenv.Eventually(t, 20*time.Second, registered, "ingest has not stored the registration of %s", project)
	healthy := func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	testenv.Eventually(t, 10*time.Second, healthy, "kpp serve does not answer on %s", httpAddr)
	updates, err := js.Stream(ctx, schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	published := func() uint64 {
		info, err := updates.Info(ctx)
		if err != nil {
			t.Fatalf("stream info: %v", err)
		}
		return info.State.Msgs
	}
	before := published()

	// The clerk, in a real browser.
	bctx, bcancel := context.WithTimeout(ctx, 60*time.Second)
	defer bcancel()
	cctx := browsertest.New(t, bctx)

	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(cctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// navigate runs a step that loads a page and checks the page's status.
	navigate := func(what string, status int64, step chromedp.Action[chromedp.Void]) {
		t.Helper()
		res, err := chromedp.RunResponse(cctx, step)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if res.Status != status {
			t.Fatalf("%s: %s answered %d, want %d", what, res.URL, res.Status, status)
		}
	}
	textOf := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(cctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("text of #%s: %v", id, err)
		}
		return s
	}
	valueOf := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(cctx, chromedp.Value(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("value of #%s: %v", id, err)
		}
		return s
	}

	navigate("open the intake", http.StatusOK, chromedp.Navigate(base+"/intake/"))
	run("type the token", chromedp.SendKeys(chromedp.ID("token"), token))
	navigate("sign in", http.StatusOK, chromedp.Click(chromedp.ID("login")))
	run("see the projects", chromedp.WaitVisible(chromedp.ID("projects")))
	if dept := textOf("dept"); !strings.Contains(dept, "庆元县发展和改革局") {
		t.Errorf("signed in as %q", dept)
	}
	// September 2025 is older than the month picker's year, so the clerk
	// opens it by its address, as a link from a reminder would.
	navigate("show September", http.StatusOK, chromedp.Navigate(base+"/intake/projects?period=2025-09"))
	if row := textOf("row-" + project); !strings.Contains(row, "庆元抽水蓄能电站") || !strings.Contains(row, "未报送") {
		t.Fatalf("September's row: %q", row)
	}
	navigate("open the form", http.StatusOK, chromedp.Click(chromedp.CSS("#row-"+project+" a.button")))
	run("see the form", chromedp.WaitVisible(chromedp.ID("report-form")))
	if h, err := chromedp.Run(cctx, chromedp.Text(chromedp.CSS("main"))); err != nil || !strings.Contains(h, "2025-09") || !strings.Contains(h, "年度计划投资：150000.00 万元") {
		t.Fatalf("the form does not show the month and the registered plan: %v\n%s", err, h)
	}
	run("fill the form",
		chromedp.SendKeys(chromedp.ID("month_completed_wan"), "1200"),
		chromedp.SendKeys(chromedp.ID("ytd_completed_wan"), "800"), // below the month's 1200
		chromedp.SendKeys(chromedp.ID("since_start_completed_wan"), "357200"),
		chromedp.SendKeys(chromedp.ID("physical_progress"), "地下厂房开挖完成70%"),
		chromedp.SendKeys(chromedp.ID("reported_by"), "王敏"),
	)
	navigate("submit with an error", http.StatusUnprocessableEntity, chromedp.Click(chromedp.ID("submit")))
	run("see the error", chromedp.WaitVisible(chromedp.ID("ytd_completed_wan-error")))
	if msg := textOf("ytd_completed_wan-error"); !strings.Contains(msg, "应不小于本月完成（1200.00万元）") {
		t.Fatalf("error beside 本年累计: %q", msg)
	}
	if v := valueOf("ytd_completed_wan"); v != "800" {
		t.Errorf("the typed year-to-date was not kept: %q", v)
	}
	if n := published(); n != before {
		t.Fatalf("the form with an error published %d message(s)", n-before)
	}

	run("fix the field", chromedp.SetValue(chromedp.ID("ytd_completed_wan"), "9600"))
	navigate("submit", http.StatusOK, chromedp.Click(chromedp.ID("submit")))
	run("see the receipt", chromedp.WaitVisible(chromedp.ID("receipt-ok")))
	if ok, id, counts := textOf("receipt-ok"), strings.TrimSpace(textOf("receipt-id")), textOf("receipt-counts"); !strings.Contains(ok, "已成功提交") || len(id) != 32 || !strings.Contains(counts, "新保存 1 条") {
		t.Fatalf("receipt page: %q %q %q", ok, id, counts)
	}

	// Ingest stores it as the clerk typed it.
	type row struct {
		month, ytd, sinceStart, progress, by, source, dept string
		revision                                           uint32
	}
	var got row
	stored := func() bool {
		err := st.Conn().QueryRow(ctx, `SELECT toString(month_completed_wan), toString(ytd_completed_wan), ifNull(toString(since_start_completed_wan), ''),
			physical_progress, reported_by, source, department_id, revision
			FROM investment_latest WHERE project_id = ? AND period = '2025-09'`, project).
			Scan(&got.month, &got.ytd, &got.sinceStart, &got.progress, &got.by, &got.source, &got.dept, &got.revision)
		return err == nil
	}
	testenv.Eventually(t, 20*time.Second, stored, "the report sent from the browser is not in investment_latest")
	for _, c := range []struct{ name, got, want string }{
		{"month_completed_wan", got.month, "1200"},
		{"ytd_completed_wan", got.ytd, "9600"},
		{"since_start_completed_wan", got.sinceStart, "357200"},
	} {
		if d, err := decimal.NewFromString(c.got); err != nil || !d.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("%s = %q, want %s", c.name, c.got, c.want)
		}
	}
	if got.progress != "地下厂房开挖完成70%" || got.by != "王敏" || got.source != "web" || got.dept != "qy-fgj" || got.revision != 1 {
		t.Errorf("stored: %+v", got)
	}
	if n := published(); n != before+1 {
		t.Errorf("the browser published %d message(s), want 1 (the untouched milestone is not sent)", n-before)
	}
}
