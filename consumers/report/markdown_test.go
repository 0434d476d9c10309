package report_test

import (
	"strings"
	"testing"

	"github.com/keyproject/kpp/consumers/report"
)

// TestMarkdownEscapesWhatDepartmentsWrote puts Markdown and HTML into the
// texts a department controls — a project name, 存在问题 and 下步计划 with
// line breaks, a responsible person — and checks that the download keeps
// every table whole, shows no HTML and no emphasis, link or heading the
// clerk did not mean, and still says what the clerk wrote.
func TestMarkdownEscapesWhatDepartmentsWrote(t *testing.T) {
	b := fixtureBoard()
	name := "一期|二期*工程*_A_ <script>alert(1)</script> [链接](http://x.example) `code` & #1"
	for i := range b.Projects {
		p := &b.Projects[i]
		if p.ProjectID != "p-red-road" {
			continue
		}
		p.NameZh = name
		p.Problems = "征地滞后\n| 伪造 | 表格 |\n# 伪造标题\r\n<img src=x onerror=alert(2)>"
		p.NextSteps = "1. 加快\n2. **督办**\\"
		p.ResponsiblePerson = "张<b>建国</b>"
	}
	for i := range b.Milestones {
		if b.Milestones[i].ProjectID == "p-red-road" {
			b.Milestones[i].NameZh = name
		}
	}
	out := string(render(t, report.New(b), report.FormatMarkdown))

	for _, bad := range []string{"<script", "<img", "<b>", "[链接](", "**督办**", "*工程*", "_A_", "`code`"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown contains %q unescaped", bad)
		}
	}
	for _, want := range []string{
		`一期\|二期\*工程\*\_A\_ &lt;script&gt;alert(1)&lt;/script&gt; \[链接\](http://x.example) \` + "`code\\`" + ` &amp; \#1`,
		`征地滞后 \| 伪造 \| 表格 \| \# 伪造标题 &lt;img src=x onerror=alert(2)&gt;`,
		`1. 加快 2. \*\*督办\*\*\\`,
		`张&lt;b&gt;建国&lt;/b&gt;`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks the escaped text %q", want)
		}
	}
	// Every line is a heading, a paragraph or a table row of its table's
	// width: no text of a cell starts a line of its own.
	cols := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "# 伪造") || strings.HasPrefix(line, "| 伪造") || strings.HasPrefix(line, "2.") {
			t.Errorf("a cell's text starts a line: %s", line)
		}
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(strings.ReplaceAll(line, `\\`, ""), `\|`, ""), "|") - 1
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("markdown row has %d cells, its header %d: %s", n, cols, line)
		}
	}
}
