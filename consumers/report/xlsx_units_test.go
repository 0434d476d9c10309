package report_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/schema"
)

// headers returns a sheet's header row (row 3).
func headers(t *testing.T, f *excelize.File, sheet string) []string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) < 3 {
		t.Fatalf("sheet %s: %v, %d rows", sheet, err, len(rows))
	}
	return rows[2]
}

// TestXLSXOneMonthColumnOneUnitChineseLabels reads the workbook back: a
// monthly review's 全部项目 gives 本月完成 once (a weekly one adds the
// report month's), 汇总 gives every amount in 万元 as its subtitle says —
// the key figures, the trend and the summary in words — and no cell but
// an id column (…编号) shows an English code where a Chinese label exists.
func TestXLSXOneMonthColumnOneUnitChineseLabels(t *testing.T) {
	weekly := openXLSX(t, render(t, report.New(fixtureBoard()), report.FormatXLSX))
	mb := fixtureBoard()
	p, err := schema.ParseReviewPeriod(schema.ReviewMonthly, "2025-08")
	if err != nil {
		t.Fatal(err)
	}
	mb.Period = p
	monthly := openXLSX(t, render(t, report.New(mb), report.FormatXLSX))

	t.Run("本月完成 once on a monthly review", func(t *testing.T) {
		count := func(f *excelize.File) []string {
			var got []string
			for _, h := range headers(t, f, report.SheetProjects) {
				if strings.Contains(h, "完成(万元)") {
					got = append(got, h)
				}
			}
			return got
		}
		if got := count(monthly); strings.Join(got, ",") != "本月完成(万元)" {
			t.Errorf("monthly 全部项目 completion columns %q, want 本月完成(万元) once", got)
		}
		if got := count(weekly); strings.Join(got, ",") != "本周完成(万元),报送月份本月完成(万元)" {
			t.Errorf("weekly 全部项目 completion columns %q, want 本周完成 and 报送月份本月完成", got)
		}
		rows := sheetTable(t, monthly, report.SheetProjects)
		number(t, monthly, report.SheetProjects, rows[4]["本月完成(万元)"], "2000.5", 4, "")
		number(t, monthly, report.SheetProjects, rows[4]["本年累计(万元)"], "80000.5", 4, "")
	})

	t.Run("汇总 is in 万元 throughout", func(t *testing.T) {
		rows, err := weekly.GetRows(report.SheetSummary)
		if err != nil {
			t.Fatal(err)
		}
		var trend int
		for i, row := range rows {
			line := strings.Join(row, "|")
			if strings.Contains(line, "亿") {
				t.Errorf("汇总 row %d says 亿 on a sheet in 万元: %s", i+1, line)
			}
			if strings.HasPrefix(line, "月份|") {
				trend = i + 1
				if line != "月份|完成投资(万元)|累计(万元)" {
					t.Errorf("trend header %q", line)
				}
			}
		}
		if !strings.Contains(rows[1][0], "金额单位：万元") {
			t.Errorf("subtitle %q does not name 万元", rows[1][0])
		}
		if trend == 0 || len(rows) < trend+8 {
			t.Fatalf("汇总 has no trend of 8 months (header at row %d)", trend)
		}
		// Eight months adding up to 105100.5: the last cumulative cell.
		last := trend + 8
		if got := get(t, weekly, report.SheetSummary, "A"+itoa(last)); got != "2025年8月" {
			t.Errorf("last trend month %q, want 2025年8月", got)
		}
		number(t, weekly, report.SheetSummary, "C"+itoa(last), "105100.5", 4, "")
		all := strings.Join(flatten(rows), "\n")
		if !strings.Contains(all, "本年累计完成105,100.50万元") {
			t.Errorf("汇总's summary in words is not in 万元:\n%s", all)
		}
		if strings.Contains(all, "kpp rollup") {
			t.Errorf("汇总 prints a command line")
		}
	})

	t.Run("labels, not codes", func(t *testing.T) {
		code := regexp.MustCompile(`\b(red|yellow|green|unrated|first|same|better|worse|newly_red|recovered|due|overdue|slipped|on_time|late|missing|met|not_met|in_progress|pending|construction|planning|completed|transport|water|industry|energy|public|urban|weekly|dekad|monthly|none)\b`)
		for _, f := range []*excelize.File{weekly, monthly} {
			for _, sheet := range report.Sheets() {
				rows, err := f.GetRows(sheet)
				if err != nil {
					t.Fatal(err)
				}
				head := rows[2]
				for i, row := range rows {
					for j, v := range row {
						if i > 2 && j < len(head) && strings.HasSuffix(head[j], "编号") {
							continue
						}
						if m := code.FindString(v); m != "" {
							t.Errorf("%s row %d column %d shows the code %q: %q", sheet, i+1, j+1, m, v)
						}
					}
				}
			}
		}
	})
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, "|"))
	}
	return out
}
