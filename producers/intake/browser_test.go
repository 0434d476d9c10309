package intake_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyproject/kpp/internal/browsertest"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/schema"
)

// A clerk in a real headless Chromium: signs in, fills a report with an
// error, sees the error beside the field, fixes it, submits, sees the
// receipt; the report is then in the NATS stream.
func TestBrowserReport(t *testing.T) {
	browsertest.Binary(t) // skip (or, under CI=true, fail) before starting the servers
	e := newEnv(t, intake.Config{})
	if res := e.post(tokFGJ, report(pumped, "2025-08", "12000", "98000", "356000", nil)); res.status != 201 {
		t.Fatalf("August: %d %s", res.status, res.body)
	}
	before := e.msgs()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bctx := browsertest.New(t, ctx)

	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	navigate := func(what string, step chromedp.Action[chromedp.Void]) {
		t.Helper()
		res, err := chromedp.RunResponse(bctx, step)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s: %s %d", what, res.URL, res.Status)
	}
	textOf := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("text of #%s: %v", id, err)
		}
		return s
	}

	navigate("open the intake", chromedp.Navigate(e.ts.URL+"/intake/"))
	run("type the token", chromedp.SendKeys(chromedp.ID("token"), tokFGJ))
	navigate("sign in", chromedp.Click(chromedp.ID("login")))
	if projects := textOf("projects"); !strings.Contains(projects, "庆元抽水蓄能电站") || strings.Contains(projects, "义龙庆") {
		t.Fatalf("projects seen: %q", projects)
	}
	run("pick September", chromedp.SetValue(chromedp.ID("period"), "2025-09"))
	navigate("show September", chromedp.Submit(chromedp.ID("period")))
	navigate("open the form", chromedp.Click(chromedp.CSS("#row-"+pumped+" a.button")))
	run("fill the form",
		chromedp.SendKeys(chromedp.ID("month_completed_wan"), "1200"),
		chromedp.SendKeys(chromedp.ID("ytd_completed_wan"), "90000"), // below August's 98000
		chromedp.SendKeys(chromedp.ID("since_start_completed_wan"), "357200"),
		chromedp.SendKeys(chromedp.ID("physical_progress"), "地下厂房开挖完成70%"),
		chromedp.SendKeys(chromedp.ID("reported_by"), "王敏"),
	)
	navigate("submit with an error", chromedp.Click(chromedp.ID("submit")))
	run("see the error", chromedp.WaitVisible(chromedp.ID("ytd_completed_wan-error")))
	if msg := textOf("ytd_completed_wan-error"); !strings.Contains(msg, "「本年累计」应不小于上月累计（2025-08 第1版：98000.00 万元）") {
		t.Fatalf("error beside the field: %q", msg)
	}
	if e.msgs() != before {
		t.Fatal("the form with an error published")
	}
	run("fix the field", chromedp.SetValue(chromedp.ID("ytd_completed_wan"), "99200"))
	navigate("submit", chromedp.Click(chromedp.ID("submit")))
	run("see the receipt", chromedp.WaitVisible(chromedp.ID("receipt-ok")))
	if ok, id := textOf("receipt-ok"), strings.TrimSpace(textOf("receipt-id")); !strings.Contains(ok, "已成功提交") || len(id) != 32 {
		t.Fatalf("receipt page: %q %q", ok, id)
	}

	// The report is in the stream, as the clerk typed it.
	reports, err := intake.LoadReports(context.Background(), e.js, fgj, pumped)
	if err != nil {
		t.Fatal(err)
	}
	var sep *intake.Report
	for i := range reports {
		if reports[i].Period == "2025-09" {
			sep = &reports[i]
		}
	}
	if e.msgs() != before+1 || sep == nil || sep.YTDCompletedWan.String() != "99200.0000" || sep.MonthCompletedWan.String() != "1200.0000" ||
		sep.Source != "web" || sep.ReportedBy != "王敏" || sep.PhysicalProgress != "地下厂房开挖完成70%" || sep.Revision != 1 {
		t.Fatalf("stored: %+v", sep)
	}
	s, err := e.js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(context.Background(), sep.Seq)
	if err != nil || m.Subject != schema.SubjectFor(fgj, schema.KindInvestment, pumped) {
		t.Fatalf("stream message %d: %v %v", sep.Seq, m, err)
	}
}

// The intake on a phone (375 px wide, as an iPhone SE or most Android
// phones): no page — sign-in, the projects, the form with its milestones
// and errors, the receipt, the history, the upload, the registration
// forms — is wider than the
// screen, and no element but the cells of a table that scrolls inside
// itself reaches past its right edge.
func TestBrowserPhone(t *testing.T) {
	browsertest.Binary(t)
	e := newEnv(t, intake.Config{})
	if res := e.post(tokFGJ, report(pumped, "2025-08", "12000", "98000", "356000", nil)); res.status != 201 {
		t.Fatalf("August: %d %s", res.status, res.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bctx := browsertest.New(t, ctx)
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	fits := func(page string) {
		t.Helper()
		w, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth,
			Math.ceil(Math.max(...[...document.querySelectorAll('body *')].filter(el => !el.closest('table:not(.ms)')).map(el => el.getBoundingClientRect().right))),
			window.innerWidth]`))
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		if w[0] > w[2] || w[1] > w[2] {
			t.Errorf("%s is %d px wide on a %d px screen; want nothing wider than the screen", page, max(w[0], w[1]), w[2])
		}
	}
	run("a phone's screen", chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile))
	run("sign-in page", chromedp.Navigate(e.ts.URL+"/intake/"))
	fits("the sign-in page")
	run("sign in", chromedp.SendKeys(chromedp.ID("token"), tokFGJ), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("projects")))
	fits("the projects")
	run("open the form", chromedp.Navigate(e.ts.URL+"/intake/projects/"+pumped+"/report?period=2025-09"), chromedp.WaitVisible(chromedp.ID("report-form")))
	fits("the form")
	run("submit with errors",
		chromedp.SendKeys(chromedp.ID("month_completed_wan"), "1200"),
		chromedp.SendKeys(chromedp.ID("ytd_completed_wan"), "99000"),
		chromedp.SendKeys(chromedp.ID("reported_by"), "王敏"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("ytd_completed_wan-error")))
	fits("the form with its errors")
	run("fix and submit", chromedp.SetValue(chromedp.ID("ytd_completed_wan"), "99200"), chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("receipt-ok")))
	fits("the receipt")
	run("history", chromedp.Navigate(e.ts.URL+"/intake/projects/"+pumped+"/history"))
	fits("the history")
	run("upload", chromedp.Navigate(e.ts.URL+"/intake/upload"))
	fits("the upload page")
	run("registration form", chromedp.Navigate(e.ts.URL+"/intake/projects/"+pumped+"/register"), chromedp.WaitVisible(chromedp.ID("register-form")))
	fits("the registration form")
	run("registration with errors",
		chromedp.Clear(chromedp.ID("name_zh")),
		chromedp.SendKeys(chromedp.CSS(`[id="plan.1.year"]`), "2026"),
		chromedp.SendKeys(chromedp.CSS(`[id="plan.1.amount"]`), "12万"),
		chromedp.SendKeys(chromedp.ID("reported_by"), "王敏"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("name_zh-error")))
	fits("the registration form with its errors")
	run("fix and register",
		chromedp.SetValue(chromedp.ID("name_zh"), "庆元抽水蓄能电站"),
		chromedp.SetValue(chromedp.CSS(`[id="plan.1.amount"]`), "80000"),
		chromedp.SendKeys(chromedp.ID("responsible_unit"), "浙江庆元抽水蓄能有限公司"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("receipt-ok")))
	if got := e.latestRegistration(fgj, pumped); got.Revision != 2 || got.ResponsibleUnit != "浙江庆元抽水蓄能有限公司" || len(got.AnnualPlans) != 2 {
		t.Fatalf("registered through the browser: %+v", got)
	}
	run("new project form", chromedp.Navigate(e.ts.URL+"/intake/register"), chromedp.WaitVisible(chromedp.ID("register-form")))
	fits("the new-project form")
}
