package report

import (
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// The workbook's sheets, in order.
const (
	SheetSummary    = "汇总"
	SheetProjects   = "全部项目"
	SheetBoards     = "红黄榜"
	SheetReporting  = "未报送"
	SheetMilestones = "节点预警"
	SheetRankings   = "排名"
)

// Sheets returns the workbook's sheet names in order.
func Sheets() []string {
	return []string{SheetSummary, SheetProjects, SheetBoards, SheetReporting, SheetMilestones, SheetRankings}
}

// headerRow is the row of every sheet's table header: row 1 is the title,
// row 2 the review and when it was computed.
const headerRow = 3

// The number formats. Money is stored in 万元 and shown with thousands
// separators and two places (built-in format 4, "#,##0.00"); percentages
// are stored as fractions (0.625) and shown as 62.50% (built-in 10,
// "0.00%"); points are signed.
const (
	numFmtWan     = 4  // #,##0.00
	numFmtPct     = 10 // 0.00%
	numFmtInt     = 1  // 0
	fmtPoints     = "+0.00;-0.00;0.00"
	fmtDate       = "yyyy-mm-dd"
	fmtDateMinute = "yyyy-mm-dd hh:mm"
)

// cellKind is how a cell is stored and formatted.
type cellKind int

const (
	kindText cellKind = iota
	kindInt
	kindWan
	kindPct
	kindPoints
	kindDate
	kindMinute
)

// column is a table column: its header and width in characters.
type column struct {
	head  string
	width float64
}

// value is one cell. Numbers are written as their exact decimal text into
// the sheet (no float conversion) with a number type, so Excel reads them
// as numbers.
type value struct {
	kind  cellKind
	text  string
	num   *decimal.Decimal
	at    time.Time
	empty bool
	// status colours the cell (the 状态 column).
	status rating.Status
}

func str(s string) value { return value{kind: kindText, text: s} }
func integer(n int) value {
	d := decimal.NewFromInt(int64(n))
	return value{kind: kindInt, num: &d}
}
func wan(d decimal.Decimal) value { return value{kind: kindWan, num: &d} }
func optWan(d *decimal.Decimal) value {
	if d == nil {
		return value{kind: kindWan, empty: true}
	}
	return wan(*d)
}

// pct stores a percentage (62.50) as the fraction 0.625.
func pct(d *decimal.Decimal) value {
	if d == nil {
		return value{kind: kindPct, empty: true}
	}
	f := d.Shift(-2)
	return value{kind: kindPct, num: &f}
}
func points(d *decimal.Decimal) value {
	if d == nil {
		return value{kind: kindPoints, empty: true}
	}
	return value{kind: kindPoints, num: d}
}
func day(t time.Time) value     { return value{kind: kindDate, at: t, empty: t.IsZero()} }
func instant(t time.Time) value { return value{kind: kindMinute, at: t, empty: t.IsZero()} }
func statusCell(s rating.Status) value {
	return value{kind: kindText, text: s.Label(), status: s}
}

// workbook builds the sheets with shared styles.
type workbook struct {
	f      *excelize.File
	styles map[string]int
}

func (r *Review) renderXLSX(w io.Writer) error {
	f, err := r.Workbook()
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// Workbook builds the review's Excel workbook: sheets 汇总 (the key
// figures and the monthly trend), 全部项目, 红黄榜, 未报送 (missing and late
// reports), 节点预警 and 排名 (by department, region and category). Each
// sheet has a title row, a frozen and filterable header row and set column
// widths; numbers are numbers with number formats. The caller closes the
// file.
func (r *Review) Workbook() (*excelize.File, error) {
	wb := &workbook{f: excelize.NewFile(), styles: map[string]int{}}
	if err := wb.build(r); err != nil {
		_ = wb.f.Close()
		return nil, fmt.Errorf("build the workbook: %w", err)
	}
	return wb.f, nil
}

func (wb *workbook) build(r *Review) error {
	if err := wb.makeStyles(); err != nil {
		return err
	}
	f := wb.f
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	for _, s := range Sheets()[1:] {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	_ = f.SetDocProps(&excelize.DocProperties{Title: r.Title(), Creator: "kpp", Subject: r.Period.Kind.Label() + " " + r.Period.Key(),
		Created: r.ComputedAt.UTC().Format(time.RFC3339), Modified: r.ComputedAt.UTC().Format(time.RFC3339)})
	for _, step := range []func(*Review) error{wb.summary, wb.projects, wb.boards, wb.reporting, wb.milestones, wb.rankings} {
		if err := step(r); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	return nil
}

func (wb *workbook) makeStyles() error {
	border := []excelize.Border{{Type: "left", Color: "BBBBBB", Style: 1}, {Type: "right", Color: "BBBBBB", Style: 1},
		{Type: "top", Color: "BBBBBB", Style: 1}, {Type: "bottom", Color: "BBBBBB", Style: 1}}
	top := &excelize.Alignment{Vertical: "top", WrapText: true}
	right := &excelize.Alignment{Vertical: "top", Horizontal: "right"}
	custom := func(s string) *string { return &s }
	fill := func(color string) excelize.Fill {
		return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
	}
	defs := map[string]*excelize.Style{
		"title":    {Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Vertical: "center"}},
		"subtitle": {Font: &excelize.Font{Color: "555555"}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}},
		"header": {Font: &excelize.Font{Bold: true}, Fill: fill("EFE7E6"), Border: border,
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}},
		"text":    {Border: border, Alignment: top},
		"int":     {Border: border, Alignment: right, NumFmt: numFmtInt},
		"wan":     {Border: border, Alignment: right, NumFmt: numFmtWan},
		"pct":     {Border: border, Alignment: right, NumFmt: numFmtPct},
		"points":  {Border: border, Alignment: right, CustomNumFmt: custom(fmtPoints)},
		"date":    {Border: border, Alignment: right, CustomNumFmt: custom(fmtDate)},
		"minute":  {Border: border, Alignment: right, CustomNumFmt: custom(fmtDateMinute)},
		"red":     {Border: border, Alignment: top, Fill: fill("F4C7C3"), Font: &excelize.Font{Bold: true, Color: "B3261E"}},
		"yellow":  {Border: border, Alignment: top, Fill: fill("FCE8B2")},
		"green":   {Border: border, Alignment: top, Fill: fill("B7E1CD")},
		"unrated": {Border: border, Alignment: top, Fill: fill("E8EAED")},
	}
	for name, s := range defs {
		id, err := wb.f.NewStyle(s)
		if err != nil {
			return fmt.Errorf("style %s: %w", name, err)
		}
		wb.styles[name] = id
	}
	return nil
}

func (wb *workbook) styleOf(v value) int {
	if v.status != "" {
		return wb.styles[string(v.status)]
	}
	return wb.styles[[...]string{"text", "int", "wan", "pct", "points", "date", "minute"}[v.kind]]
}

// cell is the name of a cell: column and row from 1.
func cell(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		panic(err) // the sheets are far below Excel's limits
	}
	return name
}

// set writes one cell with its style.
func (wb *workbook) set(sheet string, col, row int, v value) error {
	ref := cell(col, row)
	var err error
	switch {
	case v.empty:
	case v.kind == kindText:
		err = wb.f.SetCellStr(sheet, ref, v.text)
	case v.kind == kindDate || v.kind == kindMinute:
		err = wb.f.SetCellValue(sheet, ref, v.at)
	default:
		// The exact decimal text as a number-typed cell.
		err = wb.f.SetCellDefault(sheet, ref, exact(*v.num))
	}
	if err != nil {
		return fmt.Errorf("sheet %s cell %s: %w", sheet, ref, err)
	}
	return wb.f.SetCellStyle(sheet, ref, ref, wb.styleOf(v))
}

// titled writes the title (row 1) and the subtitle (row 2) across width
// columns.
func (wb *workbook) titled(sheet, title, subtitle string, width int) error {
	f := wb.f
	last := cell(max(width, 1), 1)
	if err := f.SetCellStr(sheet, "A1", title); err != nil {
		return err
	}
	if err := f.MergeCell(sheet, "A1", last); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", last, wb.styles["title"]); err != nil {
		return err
	}
	if err := f.SetRowHeight(sheet, 1, 24); err != nil {
		return err
	}
	last2 := cell(max(width, 1), 2)
	if err := f.SetCellStr(sheet, "A2", subtitle); err != nil {
		return err
	}
	if err := f.MergeCell(sheet, "A2", last2); err != nil {
		return err
	}
	return f.SetCellStyle(sheet, "A2", last2, wb.styles["subtitle"])
}

// table writes a header at row first and the rows below it, sets the
// column widths, freezes the header (and freezeCols columns) and adds a
// filter; it returns the row after the table.
func (wb *workbook) table(sheet string, first int, cols []column, rows [][]value, freezeCols int) (int, error) {
	f := wb.f
	for i, c := range cols {
		if err := f.SetCellStr(sheet, cell(i+1, first), c.head); err != nil {
			return 0, err
		}
		colName, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, colName, colName, c.width); err != nil {
			return 0, err
		}
	}
	if err := f.SetCellStyle(sheet, cell(1, first), cell(len(cols), first), wb.styles["header"]); err != nil {
		return 0, err
	}
	for i, row := range rows {
		for j, v := range row {
			if err := wb.set(sheet, j+1, first+1+i, v); err != nil {
				return 0, err
			}
		}
	}
	if freezeCols >= 0 {
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: freezeCols, YSplit: first,
			TopLeftCell: cell(freezeCols+1, first+1), ActivePane: "bottomRight"}); err != nil {
			return 0, err
		}
		if len(rows) > 0 {
			if err := f.AutoFilter(sheet, cell(1, first)+":"+cell(len(cols), first+len(rows)), nil); err != nil {
				return 0, err
			}
		}
	}
	return first + 1 + len(rows), nil
}

// landscape prints the sheet on A4 landscape, fitted to the page width,
// with the header row repeated on every page.
func (wb *workbook) landscape(sheet string, header int) error {
	size, orient, one, zero := 9, "landscape", 1, 0
	if err := wb.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	fit := true
	if err := wb.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return wb.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: sheet,
		RefersTo: fmt.Sprintf("'%s'!$%d:$%d", sheet, header, header)})
}

func (r *Review) subtitle() string {
	s := r.Period.Kind.Label() + " · " + r.Period.Label() + " · 计算时间" + minute(r.ComputedAt)
	if !r.Cutoff.IsZero() {
		s += " · 数据截至" + minute(r.Cutoff)
	}
	return s + "。金额单位：万元"
}

// summary writes 汇总: the key figures, then the monthly trend.
func (wb *workbook) summary(r *Review) error {
	const sheet = SheetSummary
	o := r.Overall
	if err := wb.titled(sheet, r.Title(), r.subtitle(), 3); err != nil {
		return err
	}
	pw := r.periodWord()
	rows := [][]value{
		{str("项目数"), integer(o.Projects), str("个")},
		{str("红榜"), integer(o.Red), str("个")},
		{str("黄榜"), integer(o.Yellow), str("个")},
		{str("绿榜"), integer(o.Green), str("个")},
		{str("未评级"), integer(o.Unrated), str("个，未下达年度计划")},
		{str(monthLabel(r.DueMonth()) + "月报已报送"), integer(o.Reported), str("个")},
		{str("未报送"), integer(o.Missing), str("个，截止后仍未报送")},
		{str("迟报"), integer(o.Late), str("个，截止后报送（已计入报送）")},
		{str("新晋红榜"), integer(r.CountChange(rollup.ChangeNewlyRed)), str("个，较上次" + r.Name())},
		{str("摘牌"), integer(r.CountChange(rollup.ChangeRecovered)), str("个，较上次" + r.Name())},
		{str(pw + "完成投资"), wan(o.PeriodCompletedWan), str("万元")},
		{str("本年累计完成投资"), wan(o.YTDCompletedWan), str("万元，全部项目")},
		{str("评级项目年度计划"), wan(o.AnnualPlanWan), str("万元")},
		{str("投资完成率"), pct(o.CompletionPct), str("评级项目本年累计 ÷ 年度计划")},
		{str("序时进度"), pct(&o.TimeProgressPct), str(r.TimeProgressNote())},
		{str("差距"), points(o.GapPP), str("百分点，投资完成率 − 序时进度")},
	}
	next, err := wb.table(sheet, headerRow, []column{{"指标", 22}, {"数值", 18}, {"说明", 60}}, rows, 0)
	if err != nil {
		return err
	}
	trendHeader := next + 1
	var trend [][]value
	sum := decimal.Zero
	for _, m := range r.Trend {
		sum = sum.Add(m.AmountWan)
		trend = append(trend, []value{str(m.Month.String()), wan(m.AmountWan), str("累计" + yi(sum) + "亿元")})
	}
	next, err = wb.table(sheet, trendHeader, []column{{"月份", 22}, {"完成投资(万元)", 18}, {"说明", 60}}, trend, -1)
	if err != nil {
		return err
	}
	// The summary and the footer in words, below the tables.
	for i, line := range []string{r.Summary(), r.Footer()} {
		row := next + 1 + i
		if err := wb.f.SetCellStr(sheet, cell(1, row), line); err != nil {
			return err
		}
		if err := wb.f.MergeCell(sheet, cell(1, row), cell(3, row)); err != nil {
			return err
		}
		if err := wb.f.SetCellStyle(sheet, cell(1, row), cell(3, row), wb.styles["subtitle"]); err != nil {
			return err
		}
		if err := wb.f.SetRowHeight(sheet, row, 48); err != nil {
			return err
		}
	}
	return nil
}

// projects writes 全部项目 in board order.
func (wb *workbook) projects(r *Review) error {
	const sheet = SheetProjects
	pw := r.periodWord()
	cols := []column{{"序号", 6}, {"项目", 30}, {"项目编号", 26}, {"部门", 22},
		{"地区", 14}, {"类别", 8}, {"阶段", 8}, {pw + "完成(万元)", 14},
		{"本月完成(万元)", 14}, {"本年累计(万元)", 14}, {"年度计划(万元)", 14},
		{"完成率", 10}, {"序时进度", 10}, {"差距(百分点)", 10}, {"状态", 8},
		{"变化", 10}, {"上次状态", 8}, {"原因", 60}, {"已报送", 8},
		{"报送月份", 10}, {"报送版本", 8}, {"逾期节点数", 10}, {"最长逾期天数", 12},
		{"连续落后次数", 12}}
	var rows [][]value
	for i, p := range r.Projects {
		rp := ""
		if p.ReportPeriod.Year != 0 {
			rp = p.ReportPeriod.String()
		}
		reported := "否"
		if p.Reported {
			reported = "是"
		}
		rows = append(rows, []value{integer(i + 1), str(p.NameZh), str(p.ProjectID), str(department(p.DepartmentName, p.DepartmentID)),
			str(p.Region), str(schema.Category(p.Category).Label()), str(schema.Stage(p.Stage).Label()), wan(p.PeriodCompletedWan),
			wan(p.MonthCompletedWan), wan(p.YTDCompletedWan), optWan(p.AnnualPlanWan), pct(p.CompletionPct),
			pct(&p.TimeProgressPct), points(p.GapPP), statusCell(p.Status), str(ChangeLabel(p.Change)),
			str(prevLabel(p.PrevStatus)), str(p.ReasonZh), str(reported), str(rp), integer(int(p.ReportRevision)),
			integer(p.OverdueMilestones), integer(p.MaxOverdueDays), integer(p.ShortStreak)})
	}
	if err := wb.titled(sheet, r.Title()+" · 全部项目", r.subtitle(), len(cols)); err != nil {
		return err
	}
	if _, err := wb.table(sheet, headerRow, cols, rows, 2); err != nil {
		return err
	}
	return wb.landscape(sheet, headerRow)
}

// boards writes 红黄榜: the red list, then the yellow list, in board order.
func (wb *workbook) boards(r *Review) error {
	const sheet = SheetBoards
	cols := []column{{"榜单", 6}, {"序号", 6}, {"项目", 30}, {"项目编号", 26},
		{"部门", 22}, {"地区", 14}, {"本年累计(万元)", 14}, {"年度计划(万元)", 14},
		{"完成率", 10}, {"序时进度", 10}, {"差距(百分点)", 10}, {"逾期节点数", 10},
		{"连续落后次数", 12}, {"变化", 10}, {"原因", 60}}
	var rows [][]value
	for _, st := range []rating.Status{rating.Red, rating.Yellow} {
		for i, p := range r.WithStatus(st) {
			rows = append(rows, []value{statusCell(st), integer(i + 1), str(p.NameZh), str(p.ProjectID),
				str(department(p.DepartmentName, p.DepartmentID)), str(p.Region), wan(p.YTDCompletedWan),
				optWan(p.AnnualPlanWan), pct(p.CompletionPct), pct(&p.TimeProgressPct), points(p.GapPP),
				integer(p.OverdueMilestones), integer(p.ShortStreak), str(ChangeLabel(p.Change)), str(p.ReasonZh)})
		}
	}
	sub := fmt.Sprintf("%s。红榜%d个、黄榜%d个；新晋红榜%d个、摘牌%d个", r.subtitle(), r.Overall.Red, r.Overall.Yellow,
		r.CountChange(rollup.ChangeNewlyRed), r.CountChange(rollup.ChangeRecovered))
	if err := wb.titled(sheet, r.Title()+" · 红黄榜", sub, len(cols)); err != nil {
		return err
	}
	if _, err := wb.table(sheet, headerRow, cols, rows, 3); err != nil {
		return err
	}
	return wb.landscape(sheet, headerRow)
}

// reporting writes 未报送: the missing reports grouped by department, then
// the late ones.
func (wb *workbook) reporting(r *Review) error {
	const sheet = SheetReporting
	cols := []column{{"情况", 8}, {"部门", 24}, {"项目", 30}, {"项目编号", 26},
		{"应报月份", 10}, {"报送截止", 17}, {"首次报送时间", 17}, {"天数", 8}}
	var rows [][]value
	add := func(x rollup.ReportingRow) {
		rows = append(rows, []value{str(ReportingLabel(x.Status)), str(department(x.DepartmentName, x.DepartmentID)),
			str(x.NameZh), str(x.ProjectID), str(x.ReportPeriod.String()), instant(x.Deadline),
			instant(x.FirstReceivedAt), integer(x.DaysLate)})
	}
	for _, g := range r.MissingByDepartment() {
		for _, x := range g.Rows {
			add(x)
		}
	}
	for _, x := range r.ReportingWith(rollup.ReportingLate) {
		add(x)
	}
	sub := fmt.Sprintf("%s。%s：未报送%d个（天数为截止后已过天数），迟报%d个（天数为迟报天数）", r.subtitle(), r.dueLabel(),
		r.Overall.Missing, r.Overall.Late)
	if err := wb.titled(sheet, r.Title()+" · 未报送与迟报", sub, len(cols)); err != nil {
		return err
	}
	_, err := wb.table(sheet, headerRow, cols, rows, 0)
	return err
}

// milestones writes 节点预警: overdue, due soon, slipped.
func (wb *workbook) milestones(r *Review) error {
	const sheet = SheetMilestones
	cols := []column{{"预警", 10}, {"项目", 30}, {"项目编号", 26}, {"部门", 22},
		{"节点", 24}, {"状态", 8}, {"计划日期", 12}, {"上次预计", 12},
		{"本次预计", 12}, {"天数", 8}}
	var rows [][]value
	for _, m := range r.Milestones {
		rows = append(rows, []value{str(AlertLabel(m.Alert)), str(m.NameZh), str(m.ProjectID),
			str(department(m.DepartmentName, m.DepartmentID)), str(m.Title), str(milestoneStatusLabel(m.Status)),
			day(m.PlannedDate), day(m.PrevForecastDate), day(m.ForecastDate), integer(m.Days)})
	}
	sub := r.subtitle() + "。天数：逾期为超过计划日期的天数，即将到期为距到期天数，延后为预计日期较上次推迟的天数"
	if err := wb.titled(sheet, r.Title()+" · 节点预警", sub, len(cols)); err != nil {
		return err
	}
	_, err := wb.table(sheet, headerRow, cols, rows, 0)
	return err
}

// rankings writes 排名 by department, region and category.
func (wb *workbook) rankings(r *Review) error {
	const sheet = SheetRankings
	pw := r.periodWord()
	cols := []column{{"维度", 8}, {"名次", 6}, {"分组", 24}, {"项目数", 8},
		{"红", 6}, {"黄", 6}, {"绿", 6}, {"未评级", 8}, {"已报送", 8},
		{"未报送", 8}, {"迟报", 6}, {pw + "完成(万元)", 14}, {"本年累计(万元)", 14},
		{"评级项目年度计划(万元)", 16}, {"完成率", 10}, {"序时进度", 10}, {"差距(百分点)", 10}}
	var rows [][]value
	for _, d := range rankingDimensions {
		for _, t := range r.Ranking(d) {
			rank := integer(t.Rank)
			if t.Rank <= 0 {
				rank = value{kind: kindInt, empty: true}
			}
			rows = append(rows, []value{str(d.Label()), rank, str(t.Label), integer(t.Projects), integer(t.Red),
				integer(t.Yellow), integer(t.Green), integer(t.Unrated), integer(t.Reported), integer(t.Missing),
				integer(t.Late), wan(t.PeriodCompletedWan), wan(t.YTDCompletedWan), wan(t.AnnualPlanWan),
				pct(t.CompletionPct), pct(&t.TimeProgressPct), points(t.GapPP)})
		}
	}
	sub := r.subtitle() + "。按投资完成率从高到低排名，无评级项目的分组排在最后"
	if err := wb.titled(sheet, r.Title()+" · 排名", sub, len(cols)); err != nil {
		return err
	}
	if _, err := wb.table(sheet, headerRow, cols, rows, 0); err != nil {
		return err
	}
	return wb.landscape(sheet, headerRow)
}
