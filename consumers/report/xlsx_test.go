package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/consumers/report"
)

// openXLSX reads a rendered workbook back with excelize.
func openXLSX(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the xlsx does not open: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// sheetTable reads the table of a sheet (header on row 3) as maps from
// column header to cell reference, one per data row.
func sheetTable(t *testing.T, f *excelize.File, sheet string) []map[string]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	if len(rows) < 3 {
		t.Fatalf("sheet %s has %d rows, want a title, a subtitle and a header", sheet, len(rows))
	}
	header := rows[2]
	var out []map[string]string
	for i := 3; i < len(rows); i++ {
		if len(rows[i]) == 0 || strings.TrimSpace(strings.Join(rows[i], "")) == "" {
			break
		}
		m := map[string]string{}
		for j, h := range header {
			ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
			m[h] = ref
		}
		out = append(out, m)
	}
	return out
}

func get(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// number checks a cell is stored as a number equal to want, with the
// number format (a built-in id, or a custom code when id is 0).
func number(t *testing.T, f *excelize.File, sheet, ref, want string, fmtID int, custom string) {
	t.Helper()
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("%s!%s has cell type %v, want a number", sheet, ref, typ)
	}
	raw, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decimal.NewFromString(raw)
	if err != nil || !got.Equal(decimal.RequireFromString(want)) {
		t.Errorf("%s!%s = %q, want the number %s", sheet, ref, raw, want)
	}
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	gotCustom := ""
	if st.CustomNumFmt != nil {
		gotCustom = *st.CustomNumFmt
	}
	if custom != "" && gotCustom != custom || custom == "" && st.NumFmt != fmtID {
		t.Errorf("%s!%s number format = %d %q, want %d %q", sheet, ref, st.NumFmt, gotCustom, fmtID, custom)
	}
}

func TestXLSX(t *testing.T) {
	b := fixtureBoard()
	r := report.New(b)
	f := openXLSX(t, render(t, r, report.FormatXLSX))

	blank := excelize.NewFile()
	defaultWidth, _ := blank.GetColWidth("Sheet1", "B")
	blank.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "汇总,全部项目,红黄榜,未报送,节点预警,排名" {
		t.Fatalf("sheets = %v", got)
	}
	for _, sheet := range report.Sheets() {
		if title := get(t, f, sheet, "A1"); !strings.HasPrefix(title, r.Title()) {
			t.Errorf("%s!A1 = %q, want the title", sheet, title)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 3 {
			t.Errorf("%s: panes %+v, want the header row frozen (rows 1-3)", sheet, panes)
		}
		id, _ := f.GetCellStyle(sheet, "A3")
		if st, _ := f.GetStyle(id); st == nil || st.Font == nil || !st.Font.Bold {
			t.Errorf("%s: the header row is not bold", sheet)
		}
		if w, _ := f.GetColWidth(sheet, "B"); w == defaultWidth {
			t.Errorf("%s: column widths are not set", sheet)
		}
	}

	t.Run("全部项目 has every project with numbers as numbers", func(t *testing.T) {
		rows := sheetTable(t, f, report.SheetProjects)
		if len(rows) != len(b.Projects) {
			t.Fatalf("%d project rows, want %d", len(rows), len(b.Projects))
		}
		for i, p := range r.Projects {
			if got := get(t, f, report.SheetProjects, rows[i]["项目编号"]); got != p.ProjectID {
				t.Errorf("row %d is %s, want %s", i, got, p.ProjectID)
			}
			number(t, f, report.SheetProjects, rows[i]["本年累计(万元)"], p.YTDCompletedWan.String(), 4, "")
		}
		power := rows[4]
		number(t, f, report.SheetProjects, power["本年累计(万元)"], "80000.5", 4, "")
		number(t, f, report.SheetProjects, power["本周完成(万元)"], "2000.5", 4, "")
		number(t, f, report.SheetProjects, power["完成率"], "0.8", 10, "")
		number(t, f, report.SheetProjects, power["序时进度"], "0.7425", 10, "")
		number(t, f, report.SheetProjects, power["差距(百分点)"], "5.75", 0, "+0.00;-0.00;0.00")
		number(t, f, report.SheetProjects, power["序号"], "5", 1, "")
		if got := get(t, f, report.SheetProjects, power["完成率"]); got != "80.00%" {
			t.Errorf("completion shows %q, want 80.00%%", got)
		}
		if got := get(t, f, report.SheetProjects, power["本年累计(万元)"]); got != "80,000.50" {
			t.Errorf("ytd shows %q, want 80,000.50", got)
		}
		unrated := rows[5]
		for _, h := range []string{"年度计划(万元)", "完成率", "差距(百分点)"} {
			if got := get(t, f, report.SheetProjects, unrated[h]); got != "" {
				t.Errorf("unrated %s = %q, want an empty cell", h, got)
			}
		}
		if got := get(t, f, report.SheetProjects, unrated["状态"]); got != "未评级" {
			t.Errorf("unrated status = %q", got)
		}
	})

	t.Run("红黄榜 lists the red projects, then the yellow", func(t *testing.T) {
		rows := sheetTable(t, f, report.SheetBoards)
		var got []string
		for _, row := range rows {
			got = append(got, get(t, f, report.SheetBoards, row["榜单"])+" "+get(t, f, report.SheetBoards, row["项目编号"]))
		}
		if strings.Join(got, ",") != "红 p-red-dam,红 p-red-road,黄 p-yellow-park" {
			t.Errorf("红黄榜 = %v", got)
		}
		number(t, f, report.SheetBoards, rows[0]["差距(百分点)"], "-49.25", 0, "+0.00;-0.00;0.00")
	})

	t.Run("未报送 groups the missing reports by department, then the late", func(t *testing.T) {
		rows := sheetTable(t, f, report.SheetReporting)
		var got []string
		for _, row := range rows {
			got = append(got, get(t, f, report.SheetReporting, row["情况"])+" "+get(t, f, report.SheetReporting, row["项目编号"]))
		}
		want := "未报送 p-unrated-mushroom,未报送 p-yellow-park,未报送 p-red-road,未报送 p-red-dam,迟报 p-green-school"
		if strings.Join(got, ",") != want {
			t.Errorf("未报送\n got %v\nwant %s", got, want)
		}
		late := rows[4]
		if got := get(t, f, report.SheetReporting, late["首次报送时间"]); got != "2025-09-08 10:30" {
			t.Errorf("late first received shows %q", got)
		}
		number(t, f, report.SheetReporting, late["天数"], "2", 1, "")
	})

	t.Run("节点预警 and 排名", func(t *testing.T) {
		ms := sheetTable(t, f, report.SheetMilestones)
		if len(ms) != 4 {
			t.Fatalf("%d milestone rows, want 4", len(ms))
		}
		if got := get(t, f, report.SheetMilestones, ms[3]["本次预计"]); got != "2026-03-31" {
			t.Errorf("slipped forecast shows %q", got)
		}
		number(t, f, report.SheetMilestones, ms[0]["天数"], "40", 1, "")
		rk := sheetTable(t, f, report.SheetRankings)
		if len(rk) != len(b.Totals)-1 {
			t.Fatalf("%d ranking rows, want %d", len(rk), len(b.Totals)-1)
		}
		if get(t, f, report.SheetRankings, rk[0]["维度"]) != "按部门" || get(t, f, report.SheetRankings, rk[0]["分组"]) != "丽水市发展和改革委员会" {
			t.Errorf("the first ranking row is not the first department")
		}
		number(t, f, report.SheetRankings, rk[0]["完成率"], "0.775", 10, "")
		number(t, f, report.SheetRankings, rk[0]["名次"], "1", 1, "")
	})

	t.Run("汇总 has the key figures", func(t *testing.T) {
		rows := sheetTable(t, f, report.SheetSummary)
		fig := map[string]string{}
		for _, row := range rows {
			fig[get(t, f, report.SheetSummary, row["指标"])] = row["数值"]
		}
		number(t, f, report.SheetSummary, fig["红榜"], "2", 1, "")
		number(t, f, report.SheetSummary, fig["未报送"], "4", 1, "")
		number(t, f, report.SheetSummary, fig["本年累计完成投资"], "105100.5", 4, "")
		number(t, f, report.SheetSummary, fig["投资完成率"], "0.7329", 10, "")
	})
}

// Every sheet prints on A4 landscape fitted to the width, repeats its
// title and header rows on every page and keeps the header frozen; the red
// and yellow lists carry what the clerks reported and who answers.
func TestXLSXPrintSetup(t *testing.T) {
	f := openXLSX(t, render(t, report.New(fixtureBoard()), report.FormatXLSX))
	for _, sheet := range report.Sheets() {
		pl, err := f.GetPageLayout(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Orientation == nil || *pl.Orientation != "landscape" || pl.Size == nil || *pl.Size != 9 || pl.FitToWidth == nil || *pl.FitToWidth != 1 {
			t.Errorf("%s: page layout %+v, want A4 (9) landscape fitted to one page wide", sheet, pl)
		}
		titles := ""
		for _, dn := range f.GetDefinedName() {
			if dn.Name == "_xlnm.Print_Titles" && dn.Scope == sheet {
				titles = dn.RefersTo
			}
		}
		if titles != "'"+sheet+"'!$1:$3" {
			t.Errorf("%s: print titles %q, want rows 1 to 3", sheet, titles)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 3 {
			t.Errorf("%s: panes %+v, want frozen below the header row 3", sheet, panes)
		}
	}
	rows := sheetTable(t, f, report.SheetBoards)
	road := map[string]string{}
	for _, r := range rows {
		if get(t, f, report.SheetBoards, r["项目编号"]) == "p-red-road" {
			for h, ref := range r {
				road[h] = get(t, f, report.SheetBoards, ref)
			}
		}
	}
	if road["存在问题"] != "征地拆迁滞后，资金未到位" || road["下步计划"] != "10月底前完成征地，争取专项债" ||
		road["责任单位"] != "莲都区交通建设投资有限公司" || road["责任人"] != "张建国" || road["分管领导"] != "李明" {
		t.Errorf("红黄榜 row of p-red-road = %v", road)
	}
}
