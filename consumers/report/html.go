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
}).ParseFS(templateFiles, "templates/*.html"))

// link is a link on a page: a relative href (never to another site) and
// its text.
type link struct {
	Href, Label string
}

// htmlPage is what the review template draws.
type htmlPage struct {
	Title, Meta, Summary, Footer string
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
}

type htmlSub struct {
	ID, Heading string
	Note        string
	Table       *htmlTable
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
		row.Cells[j] = htmlCell{Text: c, Num: j < len(s.numeric) && s.numeric[j]}
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
}

// htmlPage is what the page shows. The rows of the red, yellow and
// status-change lists are read as the template writes them: an error
// reading them is kept in *failed.
func (r *Review) htmlPage(ctx context.Context, nav *pageNav, failed *error) (htmlPage, error) {
	o := r.Overall
	p := htmlPage{Title: r.Title(), Summary: r.Summary(), Footer: r.Footer()}
	if nav != nil {
		p.IndexHref, p.Links = nav.index, nav.links
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

	boards := htmlSection{ID: "boards", Heading: "三、红黄榜"}
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
			Note: fmt.Sprintf("共%d个项目，按红、黄、绿、未评级排列，同一状态按差距从大到小。", r.ProjectCount())}
	}
	rankings := htmlSection{ID: "rankings", Heading: "五、排名", Note: "按投资完成率从高到低排列；无评级项目的分组排在最后。"}
	for _, s := range r.rankingSections() {
		rankings.Subs = append(rankings.Subs, subOf(s.id, s))
	}
	reporting := htmlSection{ID: "reporting", Heading: "六、未报送与迟报", Subs: []htmlSub{
		subOf("missing", r.missingSection()),
		subOf("late", r.lateSection()),
	}}
	ms := r.milestoneSections()
	milestones := htmlSection{ID: "milestones", Heading: "七、节点预警", Note: ms[0].note}
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
