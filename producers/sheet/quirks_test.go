package sheet_test

import (
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/schema"
)

// The quirks of real sheets, one fixture each (testdata/sheet, made by the
// builders below; regenerate with go test ./producers/sheet -update).

const (
	expressway = "yilongqing-expressway-qingyuan"
	g235       = "qingyuan-g235"
	station    = "qingyuan-bus-station"
)

// buildMergedTitle: two merged title rows and a 单位 line above the header
// (row 4), a 序号 column, a header wrapped over two lines, 报告期 merged
// down the column, a 合计 row with formulas, and formatted blank rows
// (one holding only spaces) at the end.
func buildMergedTitle(t *testing.T) []byte {
	b := newBook(t, "月报")
	b.set("A1", "庆元县交通运输局 2025年9月 重点项目月报").merge("A1", "L1")
	b.set("A2", "填报单位：庆元县交通运输局").merge("A2", "F2").set("G2", "单位：万元").merge("G2", "L2")
	b.row(4, "序号", "项目编号", "项目名称", "报告期", "本月完成\n投资（万元）", "本年累计完成（万元）", "自开工累计完成（万元）",
		"形象进度", "存在问题", "下步计划", "更正原因", "填报人")
	b.row(5, 1, expressway, "义龙庆高速公路庆元段", "2025年9月", 350, 2100, 5600, "工可报告通过评审", nil, nil, nil, "李强")
	b.row(6, 2, g235, "国道G235庆元段改建工程", nil, 1200, 8400, 20100, nil, nil, nil, nil, "李强")
	b.row(7, 3, station, "庆元县客运中心", nil, 80, 560, 900, nil, nil, nil, nil, "王芳")
	b.merge("D5", "D7")
	b.row(8, nil, "合计").formula("E8", "SUM(E5:E7)").formula("F8", "SUM(F5:F7)")
	style, err := b.f.NewStyle(&excelize.Style{Border: []excelize.Border{{Type: "bottom", Style: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.f.SetCellStyle("月报", "A9", "L40", style); err != nil {
		t.Fatal(err)
	}
	b.set("C12", "   ")
	return b.bytes()
}

func TestQuirkMergedTitleRows(t *testing.T) {
	up := read(t, "merged.xlsx", fixture(t, "quirk-merged-title.xlsx", buildMergedTitle), opts())
	first := report(expressway, "2025-09", "350", "2100", "5600", "李强")
	first.PhysicalProgress = "工可报告通过评审"
	wantRecords(t, up, []int{5, 6, 7}, first,
		report(g235, "2025-09", "1200", "8400", "20100", "李强"),
		report(station, "2025-09", "80", "560", "900", "王芳"))
	if up.HeaderRow != 4 {
		t.Errorf("header row %d; want 4", up.HeaderRow)
	}
	wantNotices(t, up, "total rows in sheet 月报 were skipped: 8 (工作表“月报”第8行为合计行，已跳过)")
}

// buildTextNumbers: numbers stored as text, with thousands separators.
func buildTextNumbers(t *testing.T) []byte {
	b := newBook(t, "月报")
	b.row(1, header()...)
	b.row(2, expressway, "义龙庆高速公路庆元段", "2025-09", "13,500.25", "111,500.75", "1,369,500.7512", nil, nil, nil, nil, "李强")
	b.row(3, g235, "国道G235庆元段改建工程", "2025-09", "0.5", " 2100 ", "2100", nil, nil, nil, nil, "李强")
	return b.bytes()
}

func TestQuirkNumbersAsText(t *testing.T) {
	up := read(t, "text.xlsx", fixture(t, "quirk-text-numbers.xlsx", buildTextNumbers), opts())
	wantRecords(t, up, []int{2, 3},
		report(expressway, "2025-09", "13500.25", "111500.75", "1369500.7512", "李强"),
		report(g235, "2025-09", "0.5", "2100", "2100", "李强"))
	wantNotices(t, up)
}

// buildFullWidth: full-width digits and punctuation in amounts, the period
// and the project id, as a Chinese input method types them.
func buildFullWidth(t *testing.T) []byte {
	b := newBook(t, "月报")
	b.row(1, header()...)
	b.row(2, "ｑｉｎｇｙｕａｎ－ｇ２３５", "国道G235庆元段改建工程", "２０２５年９月", "１３，５００．２５", "１１１５００．７５", "　３６９５００　", nil, nil, nil, nil, "李强")
	return b.bytes()
}

func TestQuirkFullWidth(t *testing.T) {
	up := read(t, "fullwidth.xlsx", fixture(t, "quirk-fullwidth.xlsx", buildFullWidth), opts())
	wantRecords(t, up, []int{2}, report(g235, "2025-09", "13500.25", "111500.75", "369500", "李强"))
}

// buildUnits: each money column names another unit in its header.
func buildUnits(t *testing.T) []byte {
	b := newBook(t, "月报")
	b.row(1, "项目编号", "报告期", "本月完成投资（亿元）", "本年累计完成(元)", "自开工累计完成（千元）", "填报人")
	b.row(2, expressway, "2025-09", 0.035, "21,000,000", 56000, "李强")
	b.row(3, g235, "2025-09", "0.00012345", 12345, 123.4, "李强")
	return b.bytes()
}

func TestQuirkUnitsInHeader(t *testing.T) {
	up := read(t, "units.xlsx", fixture(t, "quirk-units.xlsx", buildUnits), opts())
	wantRecords(t, up, []int{2, 3},
		report(expressway, "2025-09", "350", "2100", "5600", "李强"),
		report(g235, "2025-09", "1.2345", "1.2345", "12.34", "李强"))
	wantNotices(t, up,
		"the column 本月完成投资（亿元） is in 亿元: its amounts were converted to 万元 (×10000) (“本月完成投资（亿元）”列单位为亿元，金额已换算为万元（×10000）)",
		"the column 本年累计完成(元) is in 元: its amounts were converted to 万元 (×0.0001) (“本年累计完成(元)”列单位为元，金额已换算为万元（×0.0001）)",
		"the column 自开工累计完成（千元） is in 千元: its amounts were converted to 万元 (×0.1) (“自开工累计完成（千元）”列单位为千元，金额已换算为万元（×0.1）)")
}

// buildUnitLine: "单位：亿元" above the header; the headers name no unit.
func buildUnitLine(t *testing.T) []byte {
	b := newBook(t, "月报")
	b.set("A1", "2025年9月重点项目月报").merge("A1", "F1")
	b.set("F2", "单位：亿元")
	b.row(3, "项目编号", "月份", "本月完成", "本年累计完成", "开累完成", "填报人")
	b.row(4, expressway, "2025-09", 0.035, 0.21, 0.56, "李强")
	return b.bytes()
}

func TestQuirkUnitLineAboveHeader(t *testing.T) {
	up := read(t, "unitline.xlsx", fixture(t, "quirk-unit-line.xlsx", buildUnitLine), opts())
	wantRecords(t, up, []int{4}, report(expressway, "2025-09", "350", "2100", "5600", "李强"))
	if len(up.Notices) != 3 {
		t.Errorf("notices %v; want one per converted column", up.Notices)
	}
}

// buildPeriods: the month written every way a clerk writes it.
func buildPeriods(t *testing.T) []byte {
	b := newBook(t, "月报")
	b.row(1, "项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "填报人")
	for i, p := range []any{"2025-03", "2025/4", "2025/05", "2025年6月", "２０２５年７月", time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), 202509, "2025 年 10 月"} {
		b.row(i+2, expressway, p, 100, 100*(i+1), "李强")
	}
	return b.bytes()
}

func TestQuirkPeriods(t *testing.T) {
	up := read(t, "periods.xlsx", fixture(t, "quirk-periods.xlsx", buildPeriods), opts())
	var want []*schema.InvestmentReport
	for i, p := range []string{"2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10"} {
		want = append(want, report(expressway, p, "100", itoa(100*(i+1)), "", "李强"))
	}
	wantRecords(t, up, []int{2, 3, 4, 5, 6, 7, 8, 9}, want...)
}

// TestQuirkPeriodsRefused: a dotted month (Excel stores 2025.10 typed as
// a number as 2025.1) and a date are not months; the message says what is.
func TestQuirkPeriodsRefused(t *testing.T) {
	csv := "项目编号,报告期,本月完成投资（万元）,本年累计完成（万元）,填报人\n" +
		expressway + ",2025.5,100,100,李强\n" +
		expressway + ",2025年10月20日,100,200,李强\n"
	up := read(t, "periods.csv", []byte(csv), opts())
	if len(up.Input.Records) != 2 {
		t.Fatalf("records %+v; want 2", up.Input.Records)
	}
	for i, v := range []string{"2025.5", "2025年10月20日"} {
		ps := up.Input.Records[i].Problems
		if len(ps) != 1 || ps[0].Value != v || ps[0].Rule != schema.RulePeriod || !strings.Contains(ps[0].MessageZh, "应为 YYYY-MM") {
			t.Errorf("row %d: problems %+v; want one period problem about %q saying what is expected", i+2, ps, v)
		}
	}
}

// buildPrecision: number cells as Excel stores them: a pasted formula
// result with 17 digits, four places shown as two, scientific notation.
func buildPrecision(t *testing.T) []byte {
	b := newBook(t, "月报")
	b.row(1, "项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "自开工累计完成（万元）", "填报人")
	b.row(2, expressway, "2025-09", nil, nil, nil, "李强")
	b.raw("C2", "1357.0245999999999").raw("D2", "1234567.8912").raw("E2", "1.2345678912E+6")
	two, err := b.f.NewStyle(&excelize.Style{NumFmt: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.f.SetCellStyle("月报", "D2", "D2", two); err != nil {
		t.Fatal(err)
	}
	b.row(3, g235, "2025-09", nil, nil, nil, "李强")
	b.raw("C3", "1E-4").raw("D3", "0.30000000000000004").raw("E3", "0.3")
	return b.bytes()
}

func TestQuirkExcelNumbers(t *testing.T) {
	up := read(t, "precision.xlsx", fixture(t, "quirk-precision.xlsx", buildPrecision), opts())
	wantRecords(t, up, []int{2, 3},
		report(expressway, "2025-09", "1357.0246", "1234567.8912", "1234567.8912", "李强"),
		report(g235, "2025-09", "0.0001", "0.3", "0.3", "李强"))
}

// buildCSV: a UTF-8 CSV with a BOM, a title line, numbers with thousands
// separators and full-width digits, and trailing empty rows.
func buildCSV(*testing.T) []byte {
	return []byte("\uFEFF庆元县交通运输局 2025年9月 重点项目月报,,,,,\n" +
		",,,,,\n" +
		"项目编号,报告期,本月完成投资（万元）,本年累计完成（万元）,形象进度,填报人\n" +
		"yilongqing-expressway-qingyuan,2025年9月,\"13,500.25\",\"111,500.75\",\"路基完成60%，桥梁开工\",李强\n" +
		"qingyuan-g235,2025/9,３５０,２１００,,王芳\n" +
		",,,,,\n,,,,,\n")
}

func TestQuirkCSV(t *testing.T) {
	up := read(t, "quirks.csv", fixture(t, "quirk.csv", buildCSV), opts())
	first := report(expressway, "2025-09", "13500.25", "111500.75", "", "李强")
	first.PhysicalProgress, first.Source = "路基完成60%，桥梁开工", "csv"
	second := report(g235, "2025-09", "350", "2100", "", "王芳")
	second.Source = "csv"
	wantRecords(t, up, []int{4, 5}, first, second)
	if up.Sheet != "" || up.HeaderRow != 3 || up.Input.Format != "csv" {
		t.Errorf("sheet %q header %d format %q", up.Sheet, up.HeaderRow, up.Input.Format)
	}
}

// A department column is read: empty cells are the signed-in department.
// 填报人 may come from the options.
func TestDepartmentColumnAndReporter(t *testing.T) {
	b := newBook(t, "Sheet1")
	b.row(1, "部门编号", "项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "填报人")
	b.row(2, "qy-jtj", expressway, "2025-09", 1, 2, nil)
	b.row(3, nil, g235, "2025-09", 3, 4, "王芳")
	o := opts()
	o.ReportedBy = "李强"
	up := read(t, "dept.xlsx", b.bytes(), o)
	wantRecords(t, up, []int{2, 3},
		report(expressway, "2025-09", "1", "2", "", "李强"),
		report(g235, "2025-09", "3", "4", "", "王芳"))
	if up.Sheet != "Sheet1" {
		t.Errorf("sheet %q", up.Sheet)
	}
}

// Without a signed-in department the sheet must name it.
func TestNoDepartment(t *testing.T) {
	b := newBook(t, "月报")
	b.row(1, "部门编号", "项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "填报人")
	b.row(2, "qy-fgj", "qingyuan-pumped-storage", "2025-09", 1, 2, "王敏")
	up := read(t, "fgj.xlsx", b.bytes(), ropts(func(o *sheetOptions) { o.DepartmentID = "" }))
	want := report("qingyuan-pumped-storage", "2025-09", "1", "2", "", "王敏")
	want.DepartmentID = "qy-fgj"
	wantRecords(t, up, []int{2}, want)
}

// The sheet named 月报 is read even when it is not the first; other
// sheets with a header are named in a notice.
func TestSheetChoice(t *testing.T) {
	b := newBook(t, "汇总")
	b.row(1, header()...)
	b.row(2, expressway, nil, "2025-08", 1, 1, nil, nil, nil, nil, nil, "李强")
	if _, err := b.f.NewSheet("月报"); err != nil {
		t.Fatal(err)
	}
	b.sheet = "月报"
	b.row(1, header()...)
	b.row(2, expressway, nil, "2025-09", 2, 3, nil, nil, nil, nil, nil, "李强")
	data := b.bytes()
	up := read(t, "two.xlsx", data, opts())
	wantRecords(t, up, []int{2}, report(expressway, "2025-09", "2", "3", "", "李强"))
	wantNotices(t, up, "read sheet 月报; sheet(s) 汇总 also have a header row and were not read (upload each as its own file) (已读取工作表“月报”；工作表“汇总”也有表头，未读取（请分别上传）)")
	up = read(t, "two.xlsx", data, ropts(func(o *sheetOptions) { o.Sheet = "汇总" }))
	wantRecords(t, up, []int{2}, report(expressway, "2025-08", "1", "1", "", "李强"))
}

// Header cells as people write them: a required mark, 万 for 万元, spaces,
// English names in any case.
func TestHeaderSpellings(t *testing.T) {
	b := newBook(t, "月报")
	b.row(1, "项目编号*", " Period ", "本月完成（万）", "YTD_Completed_Wan", "填 报 人＊")
	b.row(2, g235, "2025-09", 1, 2, "李强")
	up := read(t, "spell.xlsx", b.bytes(), opts())
	wantRecords(t, up, []int{2}, report(g235, "2025-09", "1", "2", "", "李强"))
	wantNotices(t, up)
}
