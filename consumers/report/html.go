package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
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
}

type htmlSub struct {
	ID, Heading string
	Note        string
	Table       *htmlTable
}

type htmlTable struct {
	Header []string
	Rows   []htmlRow
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
	t := &htmlTable{Header: s.header}
	for i, r := range s.rows {
		row := htmlRow{}
		if i < len(s.classes) {
			row.Class = s.classes[i]
		}
		for j, c := range r {
			row.Cells = append(row.Cells, htmlCell{Text: c, Num: j < len(s.numeric) && s.numeric[j]})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func subOf(id string, s section) htmlSub {
	return htmlSub{ID: id, Heading: s.heading, Note: s.note, Table: tableOf(s)}
}

// renderHTML writes the printable page. links are the downloads shown in
// the page's navigation (none for a file on its own); index is the href of
// the index of reports ("" for none).
func (r *Review) renderHTML(w io.Writer, nav *pageNav) error {
	page := r.htmlPage()
	if nav != nil {
		page.IndexHref, page.Links = nav.index, nav.links
	}
	return templates.ExecuteTemplate(w, "review.html", page)
}

// pageNav is the navigation of a served page.
type pageNav struct {
	index string
	links []link
}

func (r *Review) htmlPage() htmlPage {
	o := r.Overall
	p := htmlPage{Title: r.Title(), Summary: r.Summary(), Footer: r.Footer()}
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

	changes := r.changeSection()
	boards := htmlSection{ID: "boards", Heading: "三、红黄榜", Subs: []htmlSub{
		subOf("red", r.statusListSection(rating.Red)),
		subOf("yellow", r.statusListSection(rating.Yellow)),
		subOf("changes", changes),
	}}
	projects := r.projectSection(false)
	all := htmlSection{ID: "projects", Heading: "四、全部项目", Wide: true, Table: tableOf(projects),
		Note: fmt.Sprintf("共%d个项目，按红、黄、绿、未评级排列，同一状态按差距从大到小。", len(r.Projects))}
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
	return p
}
