package report_test

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/rollup"
)

// node helpers over golang.org/x/net/html.

func parseHTML(t *testing.T, data []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("html does not parse: %v", err)
	}
	return doc
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	for _, c := range strings.Fields(v) {
		if c == class {
			return true
		}
	}
	return false
}

// findAll returns the element nodes below n (n included) that match.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func byID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	found := findAll(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id })
	if len(found) != 1 {
		t.Fatalf("%d elements with id %q, want 1", len(found), id)
	}
	return found[0]
}

func textOf(n *html.Node) string {
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return sb.String()
}

// rowsOf returns the cells' text of the body rows of the first table below n.
func rowsOf(t *testing.T, n *html.Node) [][]string {
	t.Helper()
	tables := findAll(n, tag("table"))
	if len(tables) == 0 {
		t.Fatalf("no table in #%s", idOf(n))
	}
	var out [][]string
	for _, tb := range findAll(tables[0], tag("tbody")) {
		for _, tr := range findAll(tb, tag("tr")) {
			var row []string
			for _, td := range findAll(tr, tag("td")) {
				row = append(row, textOf(td))
			}
			out = append(out, row)
		}
	}
	return out
}

// headerOf returns the column headers of the first table below n.
func headerOf(n *html.Node) []string {
	var out []string
	for _, th := range findAll(findAll(n, tag("thead"))[0], tag("th")) {
		out = append(out, textOf(th))
	}
	return out
}

func idOf(n *html.Node) string { v, _ := attr(n, "id"); return v }

// column returns the cell of row under header h.
func column(t *testing.T, header, row []string, h string) string {
	t.Helper()
	for i, x := range header {
		if x == h && i < len(row) {
			return row[i]
		}
	}
	t.Fatalf("no column %q in %v", h, header)
	return ""
}

func TestHTML(t *testing.T) {
	b := fixtureBoard()
	r := report.New(b)
	data := render(t, r, report.FormatHTML)
	doc := parseHTML(t, data)

	t.Run("a Chinese A4 page with its title", func(t *testing.T) {
		htmlEl := findAll(doc, tag("html"))[0]
		if lang, _ := attr(htmlEl, "lang"); lang != "zh-CN" {
			t.Errorf(`<html lang=%q>, want "zh-CN"`, lang)
		}
		metas := findAll(doc, func(n *html.Node) bool {
			v, _ := attr(n, "charset")
			return n.Data == "meta" && strings.EqualFold(v, "utf-8")
		})
		if len(metas) != 1 {
			t.Errorf("no <meta charset=utf-8>")
		}
		if got := textOf(findAll(doc, tag("title"))[0]); got != r.Title() {
			t.Errorf("<title> = %q, want %q", got, r.Title())
		}
		if got := textOf(findAll(doc, tag("h1"))[0]); got != r.Title() {
			t.Errorf("<h1> = %q", got)
		}
		style := textOf(findAll(doc, tag("style"))[0])
		for _, want := range []string{"@page", "size: A4", "A4 landscape", "counter(page)", "table-header-group"} {
			if !strings.Contains(style, want) {
				t.Errorf("the style lacks %q (print layout)", want)
			}
		}
		// The title block names the review and its cut-off; the command
		// that computes it again is on screen only.
		if got := textOf(findAll(doc, func(n *html.Node) bool { return n.Data == "table" && hasClass(n, "titleblock") })[0]); !strings.Contains(got, "期次") || !strings.Contains(got, "数据截至2025-09-29 00:00") {
			t.Errorf("title block = %q", got)
		}
		for _, c := range findAll(doc, func(n *html.Node) bool { return hasClass(n, "command") }) {
			for p := c; ; p = p.Parent {
				if p == nil {
					t.Errorf("command %q is printed", textOf(c))
					break
				}
				if hasClass(p, "noprint") {
					break
				}
			}
		}
	})

	t.Run("the sections in reading order", func(t *testing.T) {
		var got []string
		for _, h := range findAll(doc, tag("h2")) {
			got = append(got, textOf(h))
		}
		want := []string{"一、总体情况", "二、投资完成率与序时进度", "三、红黄榜", "四、全部项目", "五、排名", "六、未报送与迟报", "七、节点预警"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("h2 headings\n got %v\nwant %v", got, want)
		}
		var subs []string
		for _, h := range findAll(doc, tag("h3")) {
			subs = append(subs, textOf(h))
		}
		for _, want := range []string{"红榜（2个）", "黄榜（1个）", "状态变化（较上次周分析）", "排名（按部门）", "排名（按地区）", "排名（按类别）",
			"未报送", "迟报", "逾期节点", "即将到期节点", "延后节点"} {
			if !contains(subs, want) {
				t.Errorf("no h3 %q among %v", want, subs)
			}
		}
	})

	t.Run("summary figures", func(t *testing.T) {
		summary := byID(t, doc, "summary")
		txt := textOf(summary)
		for _, want := range []string{r.Summary(), "投资完成率73.29%", "差距（百分点）-0.96", "未报送4个", "迟报1个"} {
			if !strings.Contains(strings.ReplaceAll(txt, "\n", ""), want) {
				t.Errorf("summary lacks %q:\n%s", want, txt)
			}
		}
	})

	t.Run("every project has a row with its figures", func(t *testing.T) {
		sec := byID(t, doc, "projects")
		rows, header := rowsOf(t, sec), headerOf(sec)
		if len(rows) != len(b.Projects) {
			t.Fatalf("all-projects table has %d rows, want %d", len(rows), len(b.Projects))
		}
		for i, p := range r.Projects {
			row := rows[i]
			if column(t, header, row, "项目") != p.NameZh || column(t, header, row, "状态") != p.Status.Label() ||
				column(t, header, row, "变化") != report.ChangeLabel(p.Change) || column(t, header, row, "原因") != p.ReasonZh {
				t.Errorf("row %d = %v, want %s", i, row, p.ProjectID)
			}
			if got := column(t, header, row, "本年累计(万元)"); got != p.YTDCompletedWan.StringFixed(2) {
				t.Errorf("%s 本年累计 = %q, want %s", p.ProjectID, got, p.YTDCompletedWan.StringFixed(2))
			}
		}
		power := rows[4]
		if column(t, header, power, "完成率") != "80.00%" || column(t, header, power, "差距(百分点)") != "+5.75" || column(t, header, power, "本周完成(万元)") != "2000.50" {
			t.Errorf("power row = %v", power)
		}
		trs := findAll(findAll(sec, tag("tbody"))[0], tag("tr"))
		if !hasClass(trs[0], "s-red") || !hasClass(trs[len(trs)-1], "s-unrated") {
			t.Errorf("rows are not classed by status")
		}
	})

	t.Run("red and yellow lists", func(t *testing.T) {
		var red []string
		// The red list is the table right after h3#red.
		for _, row := range tableAfter(t, doc, "red") {
			red = append(red, row[1])
		}
		if strings.Join(red, "|") != "庆元县城乡供水水库提升工程|莲都区环城南路改建工程" {
			t.Errorf("red list = %v", red)
		}
		yellow := tableAfter(t, doc, "yellow")
		if len(yellow) != 1 || yellow[0][1] != "龙泉市智能制造产业园" {
			t.Errorf("yellow list = %v", yellow)
		}
		changes := tableAfter(t, doc, "changes")
		if len(changes) != 3 || changes[0][0] != "新晋红榜" || changes[2][0] != "摘牌" || changes[2][1] != "庆元抽水蓄能电站" {
			t.Errorf("changes = %v", changes)
		}
	})

	t.Run("rankings, reporting and milestones", func(t *testing.T) {
		dept := tableAfter(t, doc, "ranking-department")
		if len(dept) != 4 || dept[0][0] != "1" || dept[0][1] != "丽水市发展和改革委员会" || dept[0][13] != "77.50%" || dept[3][1] != "丽水市水利局" {
			t.Errorf("department ranking = %v", dept)
		}
		missing := tableAfter(t, doc, "missing")
		if len(missing) != 4 || missing[0][0] != "丽水市发展和改革委员会（2个）" || missing[1][0] != "" {
			t.Errorf("missing reports = %v, want grouped by department", missing)
		}
		late := tableAfter(t, doc, "late")
		if len(late) != 1 || late[0][1] != "丽水市第二实验学校" || late[0][5] != "2" {
			t.Errorf("late reports = %v", late)
		}
		overdue := tableAfter(t, doc, "milestones-overdue")
		if len(overdue) != 2 || overdue[0][2] != "大坝填筑完成" || overdue[0][3] != "未更新" || overdue[0][6] != "40" {
			t.Errorf("overdue milestones = %v", overdue)
		}
		slipped := tableAfter(t, doc, "milestones-slipped")
		if len(slipped) != 1 || slipped[0][5] != "2025-12-31" || slipped[0][6] != "2026-03-31" || slipped[0][7] != "90" {
			t.Errorf("slipped milestones = %v", slipped)
		}
	})

	t.Run("charts are inline SVG with a bar per group", func(t *testing.T) {
		count := func(dim rollup.Dimension) int { return len(r.Ranking(dim)) }
		for id, want := range map[string]int{
			"chart-category":   count(rollup.DimensionCategory),
			"chart-department": count(rollup.DimensionDepartment),
			"chart-trend":      len(b.Trend),
			"chart-status":     4,
		} {
			fig := byID(t, doc, id)
			svgs := findAll(fig, tag("svg"))
			if len(svgs) != 1 {
				t.Errorf("#%s has %d svg, want 1", id, len(svgs))
				continue
			}
			bars := findAll(svgs[0], func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "bar") })
			if len(bars) != want {
				t.Errorf("#%s has %d bars, want %d", id, len(bars), want)
			}
			if len(findAll(svgs[0], tag("title"))) != 1 {
				t.Errorf("#%s has no <title>", id)
			}
		}
		// Bars carry their figure; the department chart has the time
		// progress line.
		dept := byID(t, doc, "chart-department")
		values := map[string]string{}
		for _, g := range findAll(dept, func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "bar") }) {
			k, _ := attr(g, "data-key")
			v, _ := attr(g, "data-value")
			values[k] = v
		}
		if values["fg"] != "77.50%" || values["sl"] != "25.00%" {
			t.Errorf("department bars = %v", values)
		}
		if m := findAll(dept, func(n *html.Node) bool { return hasClass(n, "marker") }); len(m) != 1 || !strings.Contains(textOf(m[0]), "序时进度74.25%") {
			t.Errorf("department chart has no time-progress marker")
		}
		status := map[string]string{}
		for _, g := range findAll(byID(t, doc, "chart-status"), func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "bar") }) {
			k, _ := attr(g, "data-key")
			v, _ := attr(g, "data-value")
			status[k] = v
		}
		if status["red"] != "2个" || status["yellow"] != "1个" || status["green"] != "2个" || status["unrated"] != "1个" {
			t.Errorf("status bars = %v", status)
		}
		trend := map[string]string{}
		for _, g := range findAll(byID(t, doc, "chart-trend"), func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "bar") }) {
			k, _ := attr(g, "data-key")
			v, _ := attr(g, "data-value")
			trend[k] = v
		}
		if trend["2025-02"] != "0.80" || trend["2025-08"] != "1.31" {
			t.Errorf("trend bars = %v", trend)
		}
	})

	t.Run("self-contained: no scripts, no external assets", func(t *testing.T) {
		selfContained(t, doc)
		if len(findAll(doc, tag("script"))) != 0 || len(findAll(doc, tag("img"))) != 0 || len(findAll(doc, tag("link"))) != 0 {
			t.Errorf("the page has a script, img or link element")
		}
		if len(findAll(doc, tag("nav"))) != 0 {
			t.Errorf("a page rendered on its own has no download links (they would not resolve)")
		}
	})
}

// selfContained fails when an element refers to another site.
func selfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			switch a.Key {
			case "src", "href", "xlink:href", "action", "data", "poster":
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(v, "http:") || strings.HasPrefix(v, "https:") || strings.HasPrefix(v, "//") {
					t.Errorf("<%s %s=%q> refers to another site", n.Data, a.Key, a.Val)
				}
			}
		}
	}
	for _, s := range findAll(doc, tag("style")) {
		if css := textOf(s); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
			t.Errorf("the style loads something: %s", css)
		}
	}
}

// tableAfter returns the body rows of the first table after the element
// with the id (an h3 and its table are siblings).
func tableAfter(t *testing.T, doc *html.Node, id string) [][]string {
	t.Helper()
	h := byID(t, doc, id)
	for n := h.NextSibling; n != nil; n = n.NextSibling {
		if n.Type != html.ElementNode {
			continue
		}
		if n.Data == "h3" || n.Data == "h2" {
			break
		}
		if n.Data == "table" {
			return rowsOf(t, n)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestHTMLEscapes(t *testing.T) {
	b := fixtureBoard()
	b.Projects[0].NameZh = `<script>alert("x")</script> & 工程`
	b.Projects[0].ReasonZh = `<img src="https://example.com/x.png">`
	data := render(t, report.New(b), report.FormatHTML)
	doc := parseHTML(t, data)
	if len(findAll(doc, tag("script"))) != 0 || len(findAll(doc, tag("img"))) != 0 {
		t.Fatalf("project text became markup")
	}
	if !strings.Contains(textOf(doc), `<script>alert("x")</script> & 工程`) {
		t.Errorf("the escaped name is not shown as text")
	}
	selfContained(t, doc)
}
