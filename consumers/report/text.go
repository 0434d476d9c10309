package report

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/keyproject/kpp/consumers/rollup"
)

// renderTable writes aligned text tables. go-pretty measures Chinese
// characters as two cells; the borders are ASCII so that no character of
// ambiguous width is drawn.
func (r *Review) renderTable(ctx context.Context, w io.Writer) error {
	sections, err := r.displaySections(ctx)
	if err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString(r.Title() + "\n\n" + wrap(r.Summary(), summaryWidth) + "\n")
	for _, s := range sections {
		sb.WriteString("\n" + s.heading + "\n")
		if s.note != "" {
			sb.WriteString(wrap(s.note, summaryWidth) + "\n")
		}
		if len(s.rows) == 0 {
			continue
		}
		t := table.NewWriter()
		style := table.StyleDefault
		style.Format.Header = text.FormatDefault
		t.SetStyle(style)
		header := make(table.Row, len(s.header))
		var configs []table.ColumnConfig
		for i, h := range s.header {
			header[i] = h
			c := table.ColumnConfig{Number: i + 1, AlignHeader: text.AlignCenter}
			if i < len(s.numeric) && s.numeric[i] {
				c.Align = text.AlignRight
			}
			configs = append(configs, c)
		}
		t.AppendHeader(header)
		t.SetColumnConfigs(configs)
		for _, cells := range s.rows {
			row := make(table.Row, len(cells))
			for i, v := range cells {
				if i < len(s.wrap) && s.wrap[i] > 0 {
					v = wrap(v, s.wrap[i])
				}
				row[i] = v
			}
			t.AppendRow(row)
		}
		sb.WriteString(t.Render() + "\n")
	}
	sb.WriteString("\n" + wrap(r.Footer(), summaryWidth) + "\n")
	_, err = io.WriteString(w, sb.String())
	return err
}

// wrap breaks s into lines of at most width terminal cells, preferably
// after Chinese punctuation (，；。、）) or before （ so that numbers and clauses stay
// whole; a clause longer than a line is broken between characters.
func wrap(s string, width int) string {
	var lines []string
	var line strings.Builder
	lineWidth := 0
	flush := func() {
		if line.Len() > 0 {
			lines = append(lines, line.String())
			line.Reset()
			lineWidth = 0
		}
	}
	for _, clause := range clauses(s) {
		cw := text.StringWidthWithoutEscSequences(clause)
		if lineWidth+cw > width {
			flush()
		}
		if cw <= width {
			line.WriteString(clause)
			lineWidth += cw
			continue
		}
		for _, r := range clause {
			rw := text.RuneWidth(r)
			if lineWidth+rw > width {
				flush()
			}
			line.WriteRune(r)
			lineWidth += rw
		}
	}
	flush()
	return strings.Join(lines, "\n")
}

// clauses splits s after each Chinese punctuation mark that may end a line,
// and before an opening parenthesis.
func clauses(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if r == '（' && i > start {
			out = append(out, s[start:i])
			start = i
		}
		if strings.ContainsRune("，；。、）", r) {
			end := i + len(string(r))
			out = append(out, s[start:end])
			start = end
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// renderMarkdown writes a heading and a Markdown table per section.
func (r *Review) renderMarkdown(ctx context.Context, w io.Writer) error {
	sections, err := r.displaySections(ctx)
	if err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("# " + r.Title() + "\n\n" + r.Summary() + "\n")
	for _, s := range sections {
		sb.WriteString("\n" + strings.Repeat("#", max(s.level, 2)) + " " + s.heading + "\n")
		if s.note != "" {
			sb.WriteString("\n" + s.note + "\n")
		}
		if len(s.rows) == 0 {
			continue
		}
		sb.WriteString("\n" + mdRow(s.header))
		align := make([]string, len(s.header))
		for i := range align {
			align[i] = "---"
			if i < len(s.numeric) && s.numeric[i] {
				align[i] = "---:"
			}
		}
		sb.WriteString("|" + strings.Join(align, "|") + "|\n")
		for _, row := range s.rows {
			sb.WriteString(mdRow(row))
		}
	}
	sb.WriteString("\n" + r.Footer() + "\n")
	_, err = io.WriteString(w, sb.String())
	return err
}

var mdEscaper = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ")

func mdRow(cells []string) string {
	esc := make([]string, len(cells))
	for i, c := range cells {
		esc[i] = mdEscaper.Replace(c)
	}
	return "| " + strings.Join(esc, " | ") + " |\n"
}

// utf8BOM makes Excel read the CSV as UTF-8.
const utf8BOM = "\ufeff"

// renderCSV writes the title, then the projects, the totals (the overall
// row first, then the groups by dimension with their rank), the reporting
// status of every project, the milestone alerts and the monthly trend, as
// CSV sections separated by an empty line, then the footer; numbers are
// plain and exact. It writes record by record: the projects and the
// reporting rows are never all in memory.
func (r *Review) renderCSV(ctx context.Context, w io.Writer) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	write := func(record []string) error {
		if err := cw.Write(record); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		return nil
	}
	table := func(s section) error {
		for _, rec := range append([][]string{{}, s.header}, s.rows...) {
			if err := write(rec); err != nil {
				return err
			}
		}
		return nil
	}
	for _, rec := range [][]string{{r.Title()}, {r.Summary()}, {}, r.projectDataHeader()} {
		if err := write(rec); err != nil {
			return err
		}
	}
	if err := r.eachProject(ctx, rollup.ProjectSelection{}, func(p rollup.ProjectRow) error {
		return write(r.projectDataRow(p))
	}); err != nil {
		return err
	}
	if err := table(r.totalsData()); err != nil {
		return err
	}
	for _, rec := range [][]string{{}, reportingDataHeader} {
		if err := write(rec); err != nil {
			return err
		}
	}
	if err := r.eachReporting(ctx, func(x rollup.ReportingRow) error { return write(reportingDataRow(x)) }); err != nil {
		return err
	}
	for _, s := range []section{r.milestonesData(), r.trendSection(true)} {
		if err := table(s); err != nil {
			return err
		}
	}
	for _, rec := range [][]string{{}, {r.Footer()}} {
		if err := write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
