package intake_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyproject/kpp/internal/browsertest"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/producers/submit"
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
// The realistic project of the phone test: a long Chinese name, several
// milestones with long titles, as the demo and the 全口径项目分析表 have them.
const (
	waterworks     = "qingyuan-water-supply-integration"
	waterworksName = "庆元县城乡供水一体化暨饮用水水源地保护与兰溪桥水库扩容提升改造工程（一期）"
)

// registerWaterworks registers the realistic project for qy-fgj, as ingest
// would (the event in KPP_UPDATES, the owner in KPP_PROJECTS), and reports
// January to September on it through the API, with what clerks write in
// 存在问题 and 下步计划, and a correction of August with its reason: a
// history of ten rows.
func registerWaterworks(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	pub, err := submit.New(e.js, submit.Config{Now: clock, Source: "demo", Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	ms := func(id, title, date string) schema.PlannedMilestone {
		return schema.PlannedMilestone{MilestoneID: id, Title: title, PlannedDate: date}
	}
	reg := &schema.Project{
		Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: fgj, Revision: 1, ReportedBy: "管理员"},
		ProjectID: waterworks, NameZh: waterworksName, Region: "丽水市庆元县", Category: schema.CategoryEnergy, Stage: schema.StageConstruction,
		TotalInvestmentWan: schema.MustWan("386500.75"),
		AnnualPlans:        []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("128000")}},
		Milestones: []schema.PlannedMilestone{
			ms("land-acquisition", "水库淹没区及输水管线沿线征地拆迁和移民安置全部完成", "2025-03-31"),
			ms("cofferdam-closure", "导流隧洞贯通及上下游围堰截流合龙", "2025-06-30"),
			ms("dam-foundation", "大坝基础开挖与固结灌浆帷幕灌浆工程完成", "2025-09-30"),
			ms("treatment-plant", "城北水厂扩建工程（日供水能力十万吨）主体结构封顶", "2025-11-30"),
			ms("pipeline", "城乡供水主干管网（DN1200球墨铸铁管）全线贯通试压", "2025-12-31"),
			ms("water-on", "乡镇供水站提标改造完成并实现城乡同质供水通水", "2026-06-30"),
		},
	}
	if _, err := pub.PublishEvents(ctx, []schema.Event{reg}); err != nil {
		t.Fatalf("register %s: %v", waterworks, err)
	}
	kv, err := e.js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, waterworks, fgj); err != nil {
		t.Fatal(err)
	}
	for m := 1; m <= 9; m++ {
		period := fmt.Sprintf("2025-%02d", m)
		fields := map[string]any{
			"problems":   "输水管线穿越国道及河道段涉路涉河审批手续办理滞后，部分标段征迁补偿协议尚未签订，汛期施工受限，钢材价格上涨导致施工单位资金压力较大。",
			"next_steps": "县水利局牵头协调交通、自然资源部门加快审批，乡镇政府包干推进征迁签约，督促施工单位增加作业面和人员设备投入，确保年度投资计划完成。",
		}
		if res := e.post(tokFGJ, report(waterworks, period, "10234.56", fmt.Sprintf("%d.%02d", 10234*m+56*m/100, 56*m%100), fmt.Sprintf("%d.%02d", 150000+10234*m+56*m/100, 56*m%100), fields)); res.status != 201 {
			t.Fatalf("%s %s: %d %s", waterworks, period, res.status, res.body)
		}
	}
	fields := map[string]any{"correction_reason": "经县统计局联审核实，8月份完成投资中误含已列入7月份的设备采购款项，现予以更正并同步调整本年累计数。"}
	if res := e.post(tokFGJ, report(waterworks, "2025-08", "10234.56", "81876.48", "231876.48", fields)); res.status != 201 {
		t.Fatalf("%s August correction: %d %s", waterworks, res.status, res.body)
	}
}

// TestBrowserPhone opens every intake page on a 375 px phone screen with a
// realistic project (registerWaterworks) and checks that nothing is wider
// than the screen: not the document, not any element outside a table that
// scrolls inside itself; and that Chromium did not zoom the page out to
// fit it (a page wider than the screen makes a phone browser widen its
// viewport, which would hide the overflow from a check against
// window.innerWidth alone).
func TestBrowserPhone(t *testing.T) {
	browsertest.Binary(t)
	e := newEnv(t, intake.Config{})
	registerWaterworks(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bctx := browsertest.New(t, ctx)
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	const screen = 375
	fits := func(page string) {
		t.Helper()
		w, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth,
			Math.ceil(Math.max(...[...document.querySelectorAll('body *')].filter(el => !el.closest('table:not(.ms)')).map(el => el.getBoundingClientRect().right))),
			window.innerWidth, document.documentElement.clientWidth]`))
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		if w[0] > screen || w[1] > screen || w[2] > screen || w[3] > screen {
			t.Errorf("%s does not fit a %d px screen: document %d px, widest element's right edge %d px, viewport %d px (layout %d px)",
				page, screen, w[0], w[1], w[2], w[3])
		}
	}
	run("a phone's screen", chromedp.EmulateViewport(screen, 740, chromedp.EmulateMobile))
	run("sign-in page", chromedp.Navigate(e.ts.URL+"/intake/"))
	fits("the sign-in page")
	run("sign in", chromedp.SendKeys(chromedp.ID("token"), tokFGJ), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("projects")))
	fits("the projects")
	run("open the form", chromedp.Navigate(e.ts.URL+"/intake/projects/"+waterworks+"/report?period=2025-10"), chromedp.WaitVisible(chromedp.ID("report-form")))
	fits("the form")
	run("submit with errors",
		chromedp.SendKeys(chromedp.ID("month_completed_wan"), "1200"),
		chromedp.SendKeys(chromedp.ID("ytd_completed_wan"), "99000"),
		chromedp.SendKeys(chromedp.ID("reported_by"), "王敏"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("ytd_completed_wan-error")))
	fits("the form with its errors")
	run("fix and submit", chromedp.SetValue(chromedp.ID("ytd_completed_wan"), "93311.04"), chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("receipt-ok")))
	fits("the receipt")
	run("history", chromedp.Navigate(e.ts.URL+"/intake/projects/"+waterworks+"/history"), chromedp.WaitVisible(chromedp.ID("history")))
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
