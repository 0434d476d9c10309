package report_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/schema"
)

// largeBoard is the fixture's weekly review with n generated projects over
// ten departments: one in 50 red, two in 50 yellow, one in 50 unrated, the
// rest green; one in 100 missing its report and one in 100 late; one in
// 500 with an overdue milestone.
func largeBoard(n int) *rollup.Board {
	b := fixtureBoard()
	b.Projects, b.Reporting, b.Milestones = nil, nil, nil
	august := schema.Period{Year: 2025, Month: time.August}
	deadline := at(2025, 9, 6, 0, 0)
	for i := 0; i < n; i++ {
		dept := fmt.Sprintf("d%02d", i%10)
		p := rollup.ProjectRow{ProjectID: fmt.Sprintf("big-%05d", i), NameZh: fmt.Sprintf("生成项目%05d号", i),
			Region: "丽水市莲都区", Category: "transport", DepartmentID: dept, DepartmentName: "生成部门" + dept,
			Stage: "construction", Reported: true, ReportPeriod: august, ReportRevision: 1,
			PeriodCompletedWan: d("10"), MonthCompletedWan: d("100"), TimeProgressPct: d(timeProgress), Change: rollup.ChangeSame}
		var ytd string
		switch i % 50 {
		case 0:
			p.Status, ytd = rating.Red, "5000"
		case 1, 2:
			p.Status, ytd = rating.Yellow, "6800"
		case 3:
			p.Status, ytd = rating.Unrated, "300"
		default:
			p.Status, ytd = rating.Green, "8000"
		}
		p.YTDCompletedWan, p.PrevStatus = d(ytd), p.Status
		p.ReasonZh = fmt.Sprintf("%s：生成项目%05d号的原因", p.Status.Label(), i)
		if p.Status != rating.Unrated {
			p.AnnualPlanWan = dp("10000")
			c := p.YTDCompletedWan.Div(*p.AnnualPlanWan).Shift(2).Round(2)
			g := c.Sub(p.TimeProgressPct)
			p.CompletionPct, p.GapPP = &c, &g
		}
		b.Projects = append(b.Projects, p)
		rep := rollup.ReportingRow{ProjectID: p.ProjectID, NameZh: p.NameZh, DepartmentID: dept, DepartmentName: p.DepartmentName,
			ReportPeriod: august, Status: rollup.ReportingOnTime, Deadline: deadline, FirstReceivedAt: at(2025, 9, 3, 9, 0)}
		switch i % 100 {
		case 5:
			rep.Status, rep.FirstReceivedAt, rep.DaysLate = rollup.ReportingMissing, time.Time{}, 23
		case 6:
			rep.Status, rep.FirstReceivedAt, rep.DaysLate = rollup.ReportingLate, at(2025, 9, 8, 10, 30), 2
		}
		b.Reporting = append(b.Reporting, rep)
		if i%500 == 7 {
			b.Milestones = append(b.Milestones, rollup.MilestoneAlert{ProjectID: p.ProjectID, NameZh: p.NameZh, DepartmentID: dept,
				DepartmentName: p.DepartmentName, MilestoneID: "m1", Title: "主体完工", Alert: rollup.AlertOverdue,
				Status: "in_progress", PlannedDate: at(2025, 9, 1, 0, 0), Days: 27})
		}
	}
	b.Totals = totalsOf(b.Projects)
	return b
}

// The page of a board larger than LargeBoard lists the red and yellow
// projects, the missing and late reports and the milestone alerts in full,
// counts the green and unrated projects per department and links to the
// full list; its size grows with the listed rows, not with the board.
func TestLargeBoardPage(t *testing.T) {
	const n = 5000
	b := largeBoard(n)
	r := report.New(b)
	data := render(t, r, report.FormatHTML)
	doc := parseHTML(t, data)

	listed := len(r.WithStatus(rating.Red)) + len(r.WithStatus(rating.Yellow)) + len(r.ReportingWith(rollup.ReportingMissing)) +
		len(r.ReportingWith(rollup.ReportingLate)) + len(r.Milestones)
	if max := 100<<10 + listed*1000; len(data) > max {
		t.Errorf("the page of %d projects is %d bytes, want at most %d (100 KiB and 1 KB per listed row)", n, len(data), max)
	}
	t.Logf("page of %d projects: %d bytes, %d listed rows", n, len(data), listed)

	var h2 []string
	for _, h := range findAll(doc, tag("h2")) {
		h2 = append(h2, textOf(h))
	}
	if want := "一、总体情况|二、投资完成率与序时进度|三、红黄榜|四、全部项目|五、排名|六、未报送与迟报|七、节点预警"; strings.Join(h2, "|") != want {
		t.Errorf("h2 headings = %v, want %s", h2, want)
	}
	for _, st := range []rating.Status{rating.Red, rating.Yellow} {
		var got, want []string
		for _, row := range tableAfter(t, doc, string(st)) {
			got = append(got, row[1])
		}
		for _, p := range r.WithStatus(st) {
			want = append(want, p.NameZh)
		}
		if len(want) == 0 || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s list: %d rows, want all %d in board order", st, len(got), len(want))
		}
	}
	for id, want := range map[string]int{"missing": n / 100, "late": n / 100, "milestones-overdue": n / 500} {
		if got := len(tableAfter(t, doc, id)); got != want {
			t.Errorf("#%s has %d rows, want %d", id, got, want)
		}
	}

	sec := byID(t, doc, "projects")
	rows, header := rowsOf(t, sec), headerOf(sec)
	green := map[string]int{}
	for _, p := range r.WithStatus(rating.Green) {
		green[p.DepartmentName]++
	}
	if len(rows) != len(green)+1 {
		t.Fatalf("#projects has %d rows, want a row per department (%d) and the total", len(rows), len(green))
	}
	for _, row := range rows[:len(rows)-1] {
		dept := column(t, header, row, "部门")
		if got := column(t, header, row, "绿"); got != itoa(green[dept]) {
			t.Errorf("%s: %s green, want %d", dept, got, green[dept])
		}
	}
	total := rows[len(rows)-1]
	if column(t, header, total, "部门") != "合计" || column(t, header, total, "绿") != itoa(len(r.WithStatus(rating.Green))) ||
		column(t, header, total, "未评级") != itoa(len(r.WithStatus(rating.Unrated))) {
		t.Errorf("total row = %v", total)
	}
	if name := r.WithStatus(rating.Green)[0].NameZh; bytes.Contains(data, []byte(name)) {
		t.Errorf("the page lists the green project %s", name)
	}
	hrefs := map[string]bool{}
	for _, a := range findAll(sec, tag("a")) {
		v, _ := attr(a, "href")
		hrefs[v] = true
	}
	for _, want := range []string{"kpp-weekly-2025-W39.xlsx", "kpp-weekly-2025-W39.csv"} {
		if !hrefs[want] {
			t.Errorf("#projects does not link to %s: %v", want, hrefs)
		}
	}
	if txt := textOf(sec); !strings.Contains(txt, "kpp report weekly --period 2025-W39 --format xlsx -o kpp-weekly-2025-W39.xlsx") ||
		!strings.Contains(txt, "共5000个项目") {
		t.Errorf("#projects does not say how to write the full list:\n%s", txt)
	}
	selfContained(t, doc)

	// At the threshold the page still lists every project.
	small := report.New(largeBoard(report.LargeBoard))
	sec = byID(t, parseHTML(t, render(t, small, report.FormatHTML)), "projects")
	if got := len(rowsOf(t, sec)); got != report.LargeBoard {
		t.Errorf("a board of %d projects lists %d, want every one", report.LargeBoard, got)
	}
}

// A review read with Open, which reads the project rows as it renders,
// renders every format exactly as the review loaded whole — in particular
// the board order, the counts of the summary and the status changes.
func TestOpenRendersAsLoad(t *testing.T) {
	st, dsn := storedReviews(t)
	ctx := context.Background()
	w40, _ := schema.ParseReviewPeriod(schema.ReviewWeekly, "2025-W40")
	w41, _ := schema.ParseReviewPeriod(schema.ReviewWeekly, "2025-W41")
	// W41 again after W40, so that it has changes since the previous review.
	for _, run := range []struct {
		p   schema.ReviewPeriod
		now time.Time
	}{{w40, time.Date(2025, 10, 6, 7, 0, 0, 0, schema.Location())}, {w41, time.Date(2025, 10, 13, 7, 0, 0, 0, schema.Location())}} {
		if _, err := rollup.Run(ctx, st, run.p, rating.DefaultRules(), rollup.RunOptions{RunID: "open-" + run.p.Key(), Now: run.now}); err != nil {
			t.Fatal(err)
		}
	}
	september, _ := schema.ParseReviewPeriod(schema.ReviewMonthly, "2025-09")
	changes := 0
	for _, p := range []schema.ReviewPeriod{september, w40, w41} {
		loaded, err := report.Load(ctx, st, p)
		if err != nil {
			t.Fatal(err)
		}
		opened, err := report.Open(ctx, st, p)
		if err != nil {
			t.Fatal(err)
		}
		if opened.Projects != nil || opened.ProjectCount() != len(loaded.Projects) {
			t.Errorf("%s: Open holds %d projects and counts %d, want none held and %d counted", p.Key(), len(opened.Projects),
				opened.ProjectCount(), len(loaded.Projects))
		}
		changes += len(loaded.Changed())
		for _, f := range report.Formats() {
			want, got := render(t, loaded, f), render(t, opened, f)
			if f == report.FormatXLSX {
				// The style ids vary from workbook to workbook: compare the cells.
				want, got = xlsxText(t, want), xlsxText(t, got)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s: Open renders %d bytes, Load %d; they differ", p.Key(), f, len(got), len(want))
			}
		}
	}
	if changes == 0 {
		t.Errorf("no status changed between W40 and W41: the changes list is not compared")
	}
	// The rows are read as the review renders: with the store closed by
	// then, rendering fails and says so.
	other, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := report.Open(ctx, other, w41)
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	for _, f := range report.Formats() {
		if err := closed.RenderContext(ctx, io.Discard, f); err == nil || !strings.Contains(err.Error(), "review_runs") {
			t.Errorf("%s with the store closed: %v, want an error reading review_runs (the review's current run)", f, err)
		}
	}
	if _, err := report.Open(ctx, st, schema.ReviewPeriod{}); err == nil {
		t.Errorf("Open of the zero period succeeded")
	}
	aug, _ := schema.ParseReviewPeriod(schema.ReviewMonthly, "2025-08")
	if _, err := report.Open(ctx, st, aug); err == nil || !strings.Contains(err.Error(), "kpp rollup monthly --period 2025-08") {
		t.Errorf("Open of a review not computed = %v, want ErrNotComputed with the command", err)
	}
}

// xlsxText is every cell of every sheet of a workbook, as text.
func xlsxText(t *testing.T, data []byte) []byte {
	t.Helper()
	f := openXLSX(t, data)
	var buf bytes.Buffer
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&buf, "== %s\n", sheet)
		for _, row := range rows {
			fmt.Fprintf(&buf, "%q\n", row)
		}
	}
	return buf.Bytes()
}

// kpp serve's page of a board larger than LargeBoard links to the XLSX and
// CSV downloads of the same review for the full list; the downloads have
// every project.
func TestServedLargeBoard(t *testing.T) {
	st, dsn := storedReviews(t)
	ctx := context.Background()
	pf := bench.Portfolio{Prefix: "lg-", Projects: report.LargeBoard + 100, First: schema.Period{Year: 2025, Month: time.October}, Months: 3, Departments: 7}
	if err := bench.Fill(ctx, st.Conn(), pf, nil); err != nil {
		t.Fatal(err)
	}
	p, _ := schema.ParseReviewPeriod(schema.ReviewMonthly, pf.Last().String())
	if _, err := rollup.Run(ctx, st, p, rating.DefaultRules(), rollup.RunOptions{RunID: "large", Now: time.Date(2026, 1, 6, 7, 0, 0, 0, schema.Location())}); err != nil {
		t.Fatal(err)
	}
	h, err := report.NewHandler(st, report.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	get := func(path string) []byte {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d, %v:\n%s", path, resp.StatusCode, err, body)
		}
		return body
	}
	opened, err := report.Open(ctx, st, p)
	if err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, get("/reports/monthly/2025-12"))
	sec := byID(t, doc, "projects")
	var hrefs []string
	for _, a := range findAll(sec, tag("a")) {
		v, _ := attr(a, "href")
		hrefs = append(hrefs, v)
	}
	if strings.Join(hrefs, " ") != "2025-12.xlsx 2025-12.csv" {
		t.Errorf("the full-list links are %v, want the downloads 2025-12.xlsx and 2025-12.csv", hrefs)
	}
	if got, want := len(tableAfter(t, doc, "red")), opened.CountStatus(rating.Red); got != want || want == 0 {
		t.Errorf("the red list has %d rows, want %d", got, want)
	}
	if strings.Contains(textOf(sec), "kpp report") {
		t.Errorf("a served page names the kpp report command instead of its downloads")
	}
	// The red list is read as the page is written: an error reading it
	// fails the page.
	other, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := report.Open(ctx, other, p)
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := closed.RenderContext(ctx, io.Discard, report.FormatHTML); err == nil || !strings.Contains(err.Error(), "review_runs") {
		t.Errorf("the page of a large board with the store closed: %v, want an error reading review_runs (the review's current run)", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(get("/reports/monthly/2025-12.xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetProjects)
	if err != nil || len(rows) != 3+opened.ProjectCount() || opened.ProjectCount() < pf.Projects {
		t.Errorf("the XLSX lists %d rows (%v), want the title, subtitle, header and %d projects", len(rows), err, opened.ProjectCount())
	}
	// The CSV names every project twice, in the projects and in the
	// reporting status, and those with a milestone alert once more.
	want := 2 * pf.Projects
	for _, m := range opened.Milestones {
		if strings.HasPrefix(m.ProjectID, "lg-") {
			want++
		}
	}
	if got := bytes.Count(get("/reports/monthly/2025-12.csv"), []byte(",lg-")); got != want {
		t.Errorf("the CSV names the portfolio's project ids %d times, want %d", got, want)
	}
}
