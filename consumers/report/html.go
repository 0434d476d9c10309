package report

import (
	"bufio"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"iter"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
)

//go:embed templates/*.html
var templateFiles embed.FS

// templates are the review page, the index and the error page. html/template
// escapes every value; the charts are drawn by the same templates.
var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"f":   func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"add": func(a, b float64) float64 { return a + b },
	// dict passes a table and its class to the table template.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}).ParseFS(templateFiles, "templates/*.html"))

// link is a link on a page: a relative href (never to another site) and
// its text.
type link struct {
	Href, Label string
}

// htmlPage is what the review template draws.
type htmlPage struct {
	Title, Meta, Summary, Footer string
	// TitleBlock is the printed head of the board: 编制单位, 期次, 数据截至,
	// 计算时间.
	TitleBlock []figure
	// Command computes the review again; shown on screen, never printed.
	Command string
	// Stale says what arrived after the board was computed ("" when
	// nothing did).
	Stale string
	// Recompute is the action of the 重新计算 button, shown on screen to
	// a signed-in leader ("" for anyone else and in files).
	Recompute string
	// IndexHref and Links are set when the page is served over HTTP: the
	// index of reports and the downloads of the same review.
	IndexHref string
	Links     []link
	Figures   []figure
	Status    hBarChart
	Charts    []hBarChart
	Trend     vBarChart
	Sections  []htmlSection
}

// figure is one key figure of the summary.
type figure struct {
	Label, Value, Class string
}

// htmlSection is a page section (h2) with an optional note and table, and
// its sub-tables (h3).
type htmlSection struct {
	ID, Heading string
	Wide        bool
	Note        string
	Table       *htmlTable
	Subs        []htmlSub
	// Full links to the full list of projects, and Commands say how to
	// write it, on the page of a large board (see LargeBoard).
	Full     []link
	Commands []string
	// Print, when set, replaces Table on paper: a long list condensed to
	// a paragraph per department.
	Print []htmlLine
}

// htmlLine is a paragraph of a condensed list: a department and its
// projects.
type htmlLine struct {
	Head, Text string
}

type htmlSub struct {
	ID, Heading string
	Note        string
	Table       *htmlTable
	// Print, when set, replaces Table on paper (see htmlSection.Print).
	Print []htmlLine
}

// htmlTable is a table; its rows are produced as the template writes them,
// so that the red list of a board of 100,000 projects is never all in
// memory.
type htmlTable struct {
	Header []string
	Rows   iter.Seq[htmlRow]
}

type htmlRow struct {
	Class string
	Cells []htmlCell
}

type htmlCell struct {
	Text string
	Num  bool
	// NoWrap keeps a short label on one line.
	NoWrap bool
}

// tableOf turns a display section into an HTML table (nil when empty).
func tableOf(s section) *htmlTable {
	if len(s.rows) == 0 {
		return nil
	}
	rows := make([]htmlRow, len(s.rows))
	for i, r := range s.rows {
		class := ""
		if i < len(s.classes) {
			class = s.classes[i]
		}
		rows[i] = rowOf(s, class, r)
	}
	return &htmlTable{Header: s.header, Rows: slices.Values(rows)}
}

// rowOf is a row of cells of a section, numbers marked by its columns.
func rowOf(s section, class string, cells []string) htmlRow {
	row := htmlRow{Class: class, Cells: make([]htmlCell, len(cells))}
	for j, c := range cells {
		row.Cells[j] = htmlCell{Text: c, Num: j < len(s.numeric) && s.numeric[j], NoWrap: j < len(s.nowrap) && s.nowrap[j]}
	}
	return row
}

// streamed is a table of a section's header whose rows are the projects sel
// selects, read as the template writes them (see Review.eachProject); n is
// how many there are (nil table when none). The first error reading them
// ends the rows and is kept in *failed.
func (r *Review) streamed(ctx context.Context, s section, n int, sel rollup.ProjectSelection,
	row func(i int, p rollup.ProjectRow) []string, failed *error) *htmlTable {
	if n == 0 {
		return nil
	}
	return &htmlTable{Header: s.header, Rows: func(yield func(htmlRow) bool) {
		i := 0
		err := r.eachProject(ctx, sel, func(p rollup.ProjectRow) error {
			i++
			if !yield(rowOf(s, "s-"+string(p.Status), row(i, p))) {
				return errStopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopped) && *failed == nil {
			*failed = err
		}
	}}
}

// errStopped ends reading rows the template no longer wants.
var errStopped = errors.New("stopped")

func subOf(id string, s section) htmlSub {
	return htmlSub{ID: id, Heading: s.heading, Note: s.note, Table: tableOf(s)}
}

// LargeBoard is the most projects whose HTML page lists every project.
// 300 rows of the projects table print on about ten A4 pages; a larger
// board — a province has thousands of key projects — would make a page of
// tens of megabytes that no one reads. The page of a larger board shows the
// summary, the charts and the rankings and, in full, the red and yellow
// lists, the status changes, the missing and late reports and the
// milestone alerts; instead of the table of every project (四、全部项目) it
// counts the green and unrated projects per department and links to the
// full list: the XLSX and CSV downloads of the same review on the pages of
// kpp serve, the sibling files kpp-<kind>-<period>.xlsx and .csv (written by
// kpp report … --format xlsx|csv) for a page written by kpp report.
const LargeBoard = 300

// renderHTML writes the printable page. nav is the navigation of a served
// page (nil for a file on its own).
func (r *Review) renderHTML(ctx context.Context, w io.Writer, nav *pageNav) error {
	var failed error
	page, err := r.htmlPage(ctx, nav, &failed)
	if err != nil {
		return err
	}
	// The template writes a piece at a time: tens of thousands of small
	// writes for a large board, one system call each to a file.
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := templates.ExecuteTemplate(bw, "review.html", page); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	if failed != nil {
		return failed
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}

// pageNav is the navigation of a served page: the index of reports and the
// downloads of the same review, by format.
type pageNav struct {
	index string
	links []link
	// full are the links to the full list (xlsx, csv).
	full []link
	// recompute is the action of a leader's 重新计算 button.
	recompute string
}

// htmlPage is what the page shows. The rows of the red, yellow and
// status-change lists are read as the template writes them: an error
// reading them is kept in *failed.
func (r *Review) htmlPage(ctx context.Context, nav *pageNav, failed *error) (htmlPage, error) {
	o := r.Overall
	p := htmlPage{Title: r.Title(), Summary: r.Summary(), Footer: r.footerNote() + "。", Command: r.RecomputeCommand(),
		Stale: r.StaleNote()}
	issuer := r.Issuer
	if issuer == "" {
		issuer = "　　　　　　　　"
	}
	p.TitleBlock = []figure{{Label: "编制单位", Value: issuer}, {Label: "期次", Value: r.Period.Kind.Label() + " " + r.Period.Label()}}
	if !r.Cutoff.IsZero() {
		p.TitleBlock = append(p.TitleBlock, figure{Label: "数据截至", Value: minute(r.Cutoff)})
	}
	p.TitleBlock = append(p.TitleBlock, figure{Label: "计算时间", Value: minute(r.ComputedAt)})
	if nav != nil {
		p.IndexHref, p.Links, p.Recompute = nav.index, nav.links, nav.recompute
	}
	p.Meta = fmt.Sprintf("%s · %s", r.Period.Kind.Label(), r.Period.Label())
	if !r.Cutoff.IsZero() {
		p.Meta += " · 数据截至" + minute(r.Cutoff)
	}
	p.Meta += " · 计算时间" + minute(r.ComputedAt)

	pw := r.periodWord()
	p.Figures = []figure{
		{Label: "项目数", Value: itoa(o.Projects) + "个"},
		{Label: "红榜", Value: itoa(o.Red) + "个", Class: "s-red"},
		{Label: "黄榜", Value: itoa(o.Yellow) + "个", Class: "s-yellow"},
		{Label: "绿榜", Value: itoa(o.Green) + "个", Class: "s-green"},
		{Label: "未评级", Value: itoa(o.Unrated) + "个", Class: "s-unrated"},
		{Label: monthLabel(r.DueMonth()) + "月报已报送", Value: itoa(o.Reported) + "个"},
		{Label: "未报送", Value: itoa(o.Missing) + "个"},
		{Label: "迟报", Value: itoa(o.Late) + "个"},
		{Label: pw + "完成投资", Value: yi(o.PeriodCompletedWan) + "亿元"},
		{Label: "本年累计完成", Value: yi(o.YTDCompletedWan) + "亿元"},
		{Label: "评级项目年度计划", Value: yi(o.AnnualPlanWan) + "亿元"},
		{Label: "投资完成率", Value: optFixed(o.CompletionPct, "%")},
		{Label: "序时进度", Value: o.TimeProgressPct.StringFixed(2) + "%"},
		{Label: "差距（百分点）", Value: optSigned(o.GapPP)},
	}
	p.Status = statusChart(o)
	p.Charts = []hBarChart{
		completionChart("chart-category", "按类别：投资完成率与序时进度", r.Ranking(rollup.DimensionCategory), o.TimeProgressPct),
		completionChart("chart-department", "按部门：投资完成率与序时进度", r.Ranking(rollup.DimensionDepartment), o.TimeProgressPct),
	}
	p.Trend = trendChart(r.Period.Year(), r.Trend)

	boards := htmlSection{ID: "boards", Heading: "三、红黄榜", Wide: true}
	for _, st := range []rating.Status{rating.Red, rating.Yellow} {
		s := r.statusListSpec(st)
		boards.Subs = append(boards.Subs, htmlSub{ID: string(st), Heading: s.heading, Note: s.note,
			Table: r.streamed(ctx, s, r.CountStatus(st), rollup.ProjectSelection{Status: st}, statusListRow, failed)})
	}
	changes := r.changeSpec()
	boards.Subs = append(boards.Subs, htmlSub{ID: "changes", Heading: changes.heading, Note: changes.note,
		Table: r.streamed(ctx, changes, r.countChanged(), rollup.ProjectSelection{Changed: true},
			func(_ int, p rollup.ProjectRow) []string { return changeRow(p) }, failed)})
	var all htmlSection
	if r.ProjectCount() > LargeBoard {
		all = r.largeBoardSection(nav)
	} else {
		projects, err := r.projectSection(ctx)
		if err != nil {
			return p, err
		}
		all = htmlSection{ID: "projects", Heading: "四、全部项目", Wide: true, Table: tableOf(projects),
			Note:  fmt.Sprintf("共%d个项目，按红、黄、绿、未评级排列，同一状态按差距从大到小。打印稿中红黄榜项目见三，绿榜和未评级项目按部门列出。", r.ProjectCount()),
			Print: projectsByDepartment(projects)}
	}
	rankings := htmlSection{ID: "rankings", Heading: "五、排名", Wide: true, Note: "按投资完成率从高到低排列；无评级项目的分组排在最后。"}
	for _, s := range r.rankingSections() {
		rankings.Subs = append(rankings.Subs, subOf(s.id, s))
	}
	missing, late := subOf("missing", r.missingSection()), subOf("late", r.lateSection())
	missing.Print = r.reportingByDepartment(rollup.ReportingMissing, "已逾期")
	late.Print = r.reportingByDepartment(rollup.ReportingLate, "迟报")
	reporting := htmlSection{ID: "reporting", Heading: "六、未报送与迟报", Wide: true, Subs: []htmlSub{missing, late}}
	ms := r.milestoneSections()
	milestones := htmlSection{ID: "milestones", Heading: "七、节点预警", Wide: true, Note: ms[0].note}
	for i, id := range []string{"overdue", "due", "slipped"} {
		milestones.Subs = append(milestones.Subs, subOf("milestones-"+id, ms[i+1]))
	}
	p.Sections = []htmlSection{boards, all, rankings, reporting, milestones}
	return p, nil
}

// largeBoardSection stands for the table of every project on the page of a
// board of more than LargeBoard projects: the green and unrated projects
// counted per department, the most green first, and where the full list
// is.
func (r *Review) largeBoardSection(nav *pageNav) htmlSection {
	o := r.Overall
	s := htmlSection{ID: "projects", Heading: "四、全部项目",
		Note: fmt.Sprintf("共%d个项目，多于%d个，网页只列出红榜%d个、黄榜%d个（见三、红黄榜）；绿榜%d个、未评级%d个按部门计数如下。每个项目一行的完整清单见 Excel（XLSX）或 CSV。",
			r.ProjectCount(), LargeBoard, r.CountStatus(rating.Red), r.CountStatus(rating.Yellow),
			r.CountStatus(rating.Green), r.CountStatus(rating.Unrated))}
	depts := append([]rollup.TotalRow(nil), r.Ranking(rollup.DimensionDepartment)...)
	sort.SliceStable(depts, func(i, j int) bool {
		if depts[i].Green != depts[j].Green {
			return depts[i].Green > depts[j].Green
		}
		return depts[i].Key < depts[j].Key
	})
	var rows []htmlRow
	for _, d := range depts {
		row := htmlRow{Cells: []htmlCell{{Text: d.Label}}}
		for _, n := range []int{d.Projects, d.Red, d.Yellow, d.Green, d.Unrated} {
			row.Cells = append(row.Cells, htmlCell{Text: itoa(n), Num: true})
		}
		rows = append(rows, row)
	}
	row := htmlRow{Class: "total", Cells: []htmlCell{{Text: "合计"}}}
	for _, n := range []int{o.Projects, o.Red, o.Yellow, o.Green, o.Unrated} {
		row.Cells = append(row.Cells, htmlCell{Text: itoa(n), Num: true})
	}
	if len(depts) > 0 {
		s.Table = &htmlTable{Header: []string{"部门", "项目数", "红", "黄", "绿", "未评级"}, Rows: slices.Values(append(rows, row))}
	}
	if nav != nil && len(nav.full) > 0 {
		s.Full = nav.full
		return s
	}
	for _, f := range []string{FormatXLSX, FormatCSV} {
		name := r.FileName(f)
		s.Full = append(s.Full, link{Href: name, Label: name})
		s.Commands = append(s.Commands, fmt.Sprintf("kpp report %s --period %s --format %s -o %s", r.Period.Kind, r.Period.Key(), f, name))
	}
	return s
}

// projectsByDepartment condenses the green and unrated projects of the
// projects table (a display section) for print: a row per department
// with their names, the department with the most first. The red and yellow
// projects are printed in full in 三、红黄榜.
func projectsByDepartment(projects section) []htmlLine {
	type dept struct {
		name           string
		green, unrated []string
	}
	var depts []*dept
	index := map[string]*dept{}
	for _, row := range projects.rows {
		name, status := row[1], row[10]
		if status != rating.Green.Label() && status != rating.Unrated.Label() {
			continue
		}
		d, ok := index[name]
		if !ok {
			d = &dept{name: name}
			index[name] = d
			depts = append(depts, d)
		}
		if status == rating.Green.Label() {
			d.green = append(d.green, row[0])
		} else {
			d.unrated = append(d.unrated, row[0])
		}
	}
	if len(depts) == 0 {
		return nil
	}
	sort.SliceStable(depts, func(i, j int) bool {
		return len(depts[i].green)+len(depts[i].unrated) > len(depts[j].green)+len(depts[j].unrated)
	})
	var lines []htmlLine
	for _, d := range depts {
		var parts []string
		if len(d.green) > 0 {
			parts = append(parts, fmt.Sprintf("绿榜%d个：%s", len(d.green), joinNames(d.green)))
		}
		if len(d.unrated) > 0 {
			parts = append(parts, fmt.Sprintf("未评级%d个：%s", len(d.unrated), joinNames(d.unrated)))
		}
		lines = append(lines, htmlLine{Head: d.name, Text: strings.Join(parts, "；")})
	}
	return lines
}

// reportingByDepartment condenses the missing or late reports for print: a
// row per department with its projects, those of the same number of days
// together: 项目甲、项目乙（已逾期23天）.
func (r *Review) reportingByDepartment(s rollup.ReportingStatus, days string) []htmlLine {
	var groups []DepartmentGroup
	if s == rollup.ReportingMissing {
		groups = r.MissingByDepartment()
	} else {
		index := map[string]int{}
		for _, x := range r.ReportingWith(s) {
			i, ok := index[x.DepartmentID]
			if !ok {
				i = len(groups)
				index[x.DepartmentID] = i
				groups = append(groups, DepartmentGroup{DepartmentID: x.DepartmentID, DepartmentName: x.DepartmentName})
			}
			groups[i].Rows = append(groups[i].Rows, x)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	var lines []htmlLine
	for _, g := range groups {
		byDays := map[int][]string{}
		var order []int
		for _, x := range g.Rows {
			if _, ok := byDays[x.DaysLate]; !ok {
				order = append(order, x.DaysLate)
			}
			byDays[x.DaysLate] = append(byDays[x.DaysLate], x.NameZh)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(order)))
		var parts []string
		for _, n := range order {
			parts = append(parts, fmt.Sprintf("%s（%s%d天）", joinNames(byDays[n]), days, n))
		}
		lines = append(lines, htmlLine{Head: fmt.Sprintf("%s（%d个）", department(g.DepartmentName, g.DepartmentID), len(g.Rows)),
			Text: strings.Join(parts, "；")})
	}
	return lines
}

// joinNames lists project names with the Chinese enumeration comma.
func joinNames(names []string) string { return strings.Join(names, "、") }
