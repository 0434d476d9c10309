package report_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/report")

var testdata = filepath.Join("..", "..", "testdata", "report")

func render(t *testing.T, r *report.Review, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Render(&buf, format); err != nil {
		t.Fatalf("Render(%s): %v", format, err)
	}
	return buf.Bytes()
}

func TestReviewOrder(t *testing.T) {
	r := report.New(fixtureBoard())
	var got []string
	for _, p := range r.Projects {
		got = append(got, p.ProjectID)
	}
	want := []string{"p-red-dam", "p-red-road", "p-yellow-park", "p-green-school", "p-green-power", "p-unrated-mushroom"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("board order: red, yellow, green, unrated, then gap ascending\n got %v\nwant %v", got, want)
	}
	var ranks []string
	for _, g := range r.Ranking(rollup.DimensionDepartment) {
		ranks = append(ranks, g.Key)
	}
	// Completion: fg 77.50 (93000.5/120000), jy 76.00, jt 60.00, sl 25.00.
	if strings.Join(ranks, " ") != "fg jy jt sl" {
		t.Errorf("department ranking = %v, want fg jy jt sl (completion descending)", ranks)
	}
	var alerts []string
	for _, m := range r.Milestones {
		alerts = append(alerts, string(m.Alert)+" "+m.MilestoneID)
	}
	if strings.Join(alerts, ", ") != "overdue fill, overdue roof, due grid, slipped open" {
		t.Errorf("milestone order = %v, want overdue (most days first), due, slipped", alerts)
	}
	var missing []string
	for _, g := range r.MissingByDepartment() {
		missing = append(missing, g.DepartmentID+":"+itoa(len(g.Rows)))
	}
	if strings.Join(missing, " ") != "fg:2 jt:1 sl:1" {
		t.Errorf("missing by department = %v, want fg:2 jt:1 sl:1 (most first)", missing)
	}
	if got := r.Title(); got != "2025年第39周（9月22日至9月28日） 重点项目投资周分析（红黄绿榜）" {
		t.Errorf("title = %q", got)
	}
}

func itoa(n int) string { return decimal.NewFromInt(int64(n)).String() }

func TestTextFormats(t *testing.T) {
	r := report.New(fixtureBoard())
	for _, f := range []string{report.FormatTable, report.FormatMarkdown} {
		out := string(render(t, r, f))
		for _, want := range []string{
			"2025年第39周（9月22日至9月28日） 重点项目投资周分析（红黄绿榜）",
			"共6个项目；2025年8月月报已报送2个（其中迟报1个）、未报送4个；绿2个、黄1个、红2个、未评级1个；较上次周分析新晋红榜1个、摘牌1个。",
			"全部项目本周完成0.26亿元，本年累计完成10.51亿元；评级项目本年累计完成10.48亿元，年度计划14.30亿元，投资完成率73.29%，序时进度74.25%，差距-0.96个百分点。",
			// status changes
			"状态变化（较上次周分析）", "新晋红榜1个、退步1个、好转0个、摘牌1个。", "新晋红榜", "摘牌",
			// rankings
			"排名（按部门）", "排名（按地区）", "排名（按类别）", "77.50%",
			// missing grouped by department, late separately
			"2025年8月月报（报送截止2025-09-05 24:00）：3个部门共4个项目未报送。", "丽水市发展和改革委员会（2个）",
			"迟报", "2025-09-08 10:30",
			// milestones
			"逾期节点", "大坝填筑完成", "即将到期节点", "全容并网", "延后节点", "2026-03-31",
			// trend
			"2025年各月完成投资", "1.31",
			"序时进度为271/365（截至9月28日）", "kpp rollup weekly --period 2025-W39",
		} {
			// The terminal table wraps long sentences.
			if !strings.Contains(out, want) && !strings.Contains(strings.ReplaceAll(out, "\n", ""), want) {
				t.Errorf("%s output lacks %q", f, want)
			}
		}
		golden(t, filepath.Join(testdata, "weekly."+f+".golden"), out)
	}

	t.Run("markdown tables have as many cells as their header", func(t *testing.T) {
		cols := 0
		for _, line := range strings.Split(string(render(t, r, report.FormatMarkdown)), "\n") {
			if !strings.HasPrefix(line, "|") {
				cols = 0
				continue
			}
			n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") - 1
			if cols == 0 {
				cols = n
			} else if n != cols {
				t.Errorf("markdown row has %d cells, header %d: %s", n, cols, line)
			}
		}
	})

	t.Run("terminal table lines of a section are equally wide", func(t *testing.T) {
		width := 0
		for _, line := range strings.Split(string(render(t, r, report.FormatTable)), "\n") {
			if !strings.HasPrefix(line, "+") && !strings.HasPrefix(line, "|") {
				width = 0
				continue
			}
			w := cells(line)
			if width == 0 {
				width = w
			} else if w != width {
				t.Errorf("table line is %d cells wide, its table %d: %s", w, width, line)
			}
		}
	})
}

func TestFirstReviewSaysSo(t *testing.T) {
	b := fixtureBoard()
	for i := range b.Projects {
		b.Projects[i].Change, b.Projects[i].PrevStatus = rollup.ChangeFirst, ""
	}
	out := string(render(t, report.New(b), report.FormatMarkdown))
	if !strings.Contains(out, "首次周分析，无上次结果可比。") || strings.Contains(out, "较上次周分析新晋红榜") {
		t.Errorf("a first review should say there is nothing to compare with:\n%s", out)
	}
}

func TestCSV(t *testing.T) {
	b := fixtureBoard()
	r := report.New(b)
	data := render(t, r, report.FormatCSV)
	if !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		t.Fatalf("csv does not start with the UTF-8 BOM: % x", data[:min(3, len(data))])
	}
	cr := csv.NewReader(bytes.NewReader(data[3:]))
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v", err)
	}
	if records[0][0] != r.Title() {
		t.Fatalf("csv title = %q", records[0][0])
	}
	projects := csvTable(t, records, "项目")
	if len(projects) != len(b.Projects) {
		t.Fatalf("csv has %d project rows, want %d", len(projects), len(b.Projects))
	}
	for i, p := range r.Projects {
		row := projects[i]
		if row["项目编号"] != p.ProjectID || row["状态"] != p.Status.Label() || row["原因"] != p.ReasonZh || row["原因(英文)"] != p.ReasonEn ||
			row["变化"] != report.ChangeLabel(p.Change) || row["连续落后次数"] != itoa(p.ShortStreak) {
			t.Errorf("csv row %d = %v, want project %s %s", i, row, p.ProjectID, p.Status.Label())
		}
		sameNumber(t, p.ProjectID+" 本周完成", row["本周完成(万元)"], &p.PeriodCompletedWan)
		sameNumber(t, p.ProjectID+" 本年累计", row["本年累计(万元)"], &p.YTDCompletedWan)
		sameNumber(t, p.ProjectID+" 年度计划", row["年度计划(万元)"], p.AnnualPlanWan)
		sameNumber(t, p.ProjectID+" 完成率", row["完成率(%)"], p.CompletionPct)
		sameNumber(t, p.ProjectID+" 差距", row["差距(百分点)"], p.GapPP)
	}
	if road := projects[1]; road["项目编号"] != "p-red-road" || road["存在问题"] != "征地拆迁滞后，资金未到位" ||
		road["下步计划"] != "10月底前完成征地，争取专项债" || road["责任单位"] != "莲都区交通建设投资有限公司" ||
		road["责任人"] != "张建国" || road["分管领导"] != "李明" {
		t.Errorf("road row = %v, want its problems, next steps and who answers for it", road)
	}
	if power := projects[4]; power["项目编号"] != "p-green-power" || power["本年累计(万元)"] != "80000.5" || power["完成率(%)"] != "80.00" ||
		power["上次状态"] != "红" || power["变化"] != "摘牌" || power["报送月份"] != "2025-08" {
		t.Errorf("power row = %v", power)
	}

	totals := csvTable(t, records, "维度")
	if len(totals) != len(b.Totals) {
		t.Fatalf("csv has %d total rows, want %d", len(totals), len(b.Totals))
	}
	all := totals[0]
	if all["维度"] != "合计" || all["项目数"] != "6" || all["已报送"] != "2" || all["未报送"] != "4" || all["迟报"] != "1" || all["红"] != "2" || all["名次"] != "" {
		t.Errorf("csv overall row = %v", all)
	}
	// An independent sum of the projects' year-to-date.
	ytd := decimal.Zero
	for _, p := range b.Projects {
		ytd = ytd.Add(p.YTDCompletedWan)
	}
	sameNumber(t, "overall ytd", all["本年累计(万元)"], &ytd)
	var deptOrder []string
	for _, row := range totals {
		if row["维度"] == "按部门" {
			deptOrder = append(deptOrder, row["名次"]+":"+row["分组编号"])
		}
	}
	if strings.Join(deptOrder, " ") != "1:fg 2:jy 3:jt 4:sl" {
		t.Errorf("csv department rows = %v, want by rank", deptOrder)
	}

	rep := csvTable(t, records, "报送状态")
	if len(rep) != len(b.Reporting) || rep[0]["报送状态"] != "未报送" || rep[len(rep)-1]["报送状态"] != "按时" {
		t.Errorf("csv reporting rows = %v, want %d: missing first, on time last", rep, len(b.Reporting))
	}
	ms := csvTable(t, records, "预警")
	if len(ms) != 4 || ms[0]["节点"] != "大坝填筑完成" || ms[0]["天数"] != "40" || ms[3]["上次预计"] != "2025-12-31" || ms[3]["本次预计"] != "2026-03-31" {
		t.Errorf("csv milestone rows = %v", ms)
	}
	trend := csvTable(t, records, "月份")
	if len(trend) != 8 || trend[7]["累计(万元)"] != "105100.5" {
		t.Errorf("csv trend = %v, want 8 months adding up to 105100.5", trend)
	}
}

func TestUnknownFormat(t *testing.T) {
	err := report.New(fixtureBoard()).Render(&bytes.Buffer{}, "pdf")
	if !errors.Is(err, report.ErrUnknownFormat) || !strings.Contains(err.Error(), `"pdf"; expected one of table, csv, md, html, xlsx`) {
		t.Fatalf("Render(pdf) = %v", err)
	}
}

func TestFileNames(t *testing.T) {
	r := report.New(fixtureBoard())
	if got := r.FileName(report.FormatXLSX); got != "kpp-weekly-2025-W39.xlsx" {
		t.Errorf("FileName = %q", got)
	}
	cd := r.ContentDisposition(report.FormatCSV)
	if !strings.HasPrefix(cd, `attachment; filename="kpp-weekly-2025-W39.csv"; filename*=UTF-8''2025%E5%B9%B4`) {
		t.Errorf("ContentDisposition = %q", cd)
	}
	if got := decodeFilenameStar(t, cd); got != r.Title()+".csv" {
		t.Errorf("filename* decodes to %q, want %q", got, r.Title()+".csv")
	}
	for _, f := range report.Formats() {
		if report.ContentType(f) == "" {
			t.Errorf("format %s has no content type", f)
		}
	}
}

// csvTable returns the rows of the CSV section whose header starts with
// first, as maps from column to value.
func csvTable(t *testing.T, records [][]string, first string) []map[string]string {
	t.Helper()
	for i, rec := range records {
		if len(rec) == 0 || rec[0] != first || len(rec) < 3 {
			continue
		}
		var out []map[string]string
		for _, r := range records[i+1:] {
			if len(r) != len(rec) {
				break
			}
			m := map[string]string{}
			for j, h := range rec {
				m[h] = r[j]
			}
			out = append(out, m)
		}
		return out
	}
	t.Fatalf("csv has no section with header %q", first)
	return nil
}

func sameNumber(t *testing.T, what, cell string, want *decimal.Decimal) {
	t.Helper()
	if want == nil {
		if cell != "" {
			t.Errorf("%s: has %q, want an empty cell", what, cell)
		}
		return
	}
	got, err := decimal.NewFromString(cell)
	if err != nil || !got.Equal(*want) {
		t.Errorf("%s: has %q, want the number %s", what, cell, want)
	}
}

// cells is the display width of a line: East Asian wide characters take two.
func cells(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
			(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6)):
			n += 2
		default:
			n++
		}
	}
	return n
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./consumers/report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (run with -update to accept):\n%s", path, got)
	}
}

func TestKinds(t *testing.T) {
	for _, c := range []struct {
		kind               schema.ReviewKind
		key, title, column string
		progress           string
	}{
		{schema.ReviewWeekly, "2025-W39", "2025年第39周（9月22日至9月28日） 重点项目投资周分析（红黄绿榜）", "本周完成(万元)", "序时进度为271/365（截至9月28日）"},
		{schema.ReviewDekad, "2025-09-D2", "2025年9月中旬 重点项目投资旬调度（红黄绿榜）", "本旬完成(万元)", "序时进度为263/365（截至9月20日）"},
		{schema.ReviewMonthly, "2025-09", "2025年9月 重点项目投资月度调度（红黄绿榜）", "本月完成(万元)", "序时进度为9/12"},
	} {
		b := fixtureBoard()
		p, err := schema.ParseReviewPeriod(c.kind, c.key)
		if err != nil {
			t.Fatal(err)
		}
		b.Period = p
		r := report.New(b)
		out := string(render(t, r, report.FormatMarkdown))
		for _, want := range []string{"# " + c.title, c.column, c.progress, "kpp rollup " + string(c.kind) + " --period " + c.key} {
			if !strings.Contains(out, want) {
				t.Errorf("%s %s: markdown lacks %q", c.kind, c.key, want)
			}
		}
		// No column heading twice in the CSV: a monthly review's period is
		// its month, so 本月完成 is one column.
		cr := csv.NewReader(bytes.NewReader(render(t, r, report.FormatCSV)[3:]))
		cr.FieldsPerRecord = -1
		records, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range records {
			seen := map[string]bool{}
			for _, h := range rec {
				if strings.HasSuffix(h, "(万元)") && seen[h] {
					t.Errorf("%s %s: csv heading %q twice in %q", c.kind, c.key, h, rec)
				}
				seen[h] = true
			}
		}
		if got := r.FileName(report.FormatCSV); got != "kpp-"+string(c.kind)+"-"+c.key+".csv" {
			t.Errorf("FileName = %q", got)
		}
	}
}
