package report

import (
	"context"
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

// workbook builds the sheets with shared styles. Every sheet is written
// row by row through excelize's stream writer, which keeps at most 16 MB of
// a sheet in memory and the rest in a temporary file, so that a board of
// any size makes a workbook in bounded memory.
type workbook struct {
	f      *excelize.File
	styles map[string]int
}

func (r *Review) renderXLSX(ctx context.Context, w io.Writer) error {
	f, err := r.Workbook(ctx)
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
// widths; numbers are numbers with number formats. The sheets are written
// with stream writers: the file can be saved, not read back. ctx bounds the
// reading of the project rows of a review read by [Open]. The caller closes
// the file.
func (r *Review) Workbook(ctx context.Context) (*excelize.File, error) {
	wb := &workbook{f: excelize.NewFile(), styles: map[string]int{}}
	if err := wb.build(ctx, r); err != nil {
		_ = wb.f.Close()
		return nil, fmt.Errorf("build the workbook: %w", err)
	}
	return wb.f, nil
}

func (wb *workbook) build(ctx context.Context, r *Review) error {
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
	for _, step := range []func(context.Context, *Review) error{wb.summary, wb.projects, wb.reporting, wb.milestones, wb.rankings} {
		if err := step(ctx, r); err != nil {
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

// cellOf is a value as a stream writer cell with its style. Money,
// percentages and points are written as float64: the stored numbers have
// at most 15 significant digits (Decimal(18, 4) amounts below 10^11 万元),
// which a float64 holds exactly and excelize writes back as the same
// shortest decimal text.
func (wb *workbook) cellOf(v value) excelize.Cell {
	c := excelize.Cell{StyleID: wb.styleOf(v)}
	switch {
	case v.empty:
	case v.kind == kindText:
		c.Value = v.text
	case v.kind == kindDate || v.kind == kindMinute:
		c.Value = v.at
	case v.kind == kindInt:
		c.Value = v.num.IntPart()
	default:
		c.Value = v.num.InexactFloat64()
	}
	return c
}

// cell is the name of a cell: column and row from 1.
func cell(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		panic(err) // the sheets are far below Excel's limits
	}
	return name
}

// sheetTable is a sheet's table: the columns, how many data rows it will have
// (for the auto filter, which is written before the rows) and how many
// columns stay frozen left of the header (-1: no frozen header, no
// filter).
type sheetTable struct {
	cols       []column
	rows       int
	freezeCols int
}

// sheet writes one sheet in row order through a stream writer.
type sheet struct {
	wb   *workbook
	name string
	sw   *excelize.StreamWriter
	// row is the last row written.
	row int
}

// openSheet starts writing a sheet whose table t has its header at
// headerRow: what the stream writer writes before the rows — the filter
// over the table, the page layout of a landscape sheet, the column widths
// and the frozen panes — is set first.
func (wb *workbook) openSheet(name string, t sheetTable, landscape bool) (*sheet, error) {
	f := wb.f
	if t.freezeCols >= 0 && t.rows > 0 {
		if err := f.AutoFilter(name, cell(1, headerRow)+":"+cell(len(t.cols), headerRow+t.rows), nil); err != nil {
			return nil, fmt.Errorf("sheet %s: filter: %w", name, err)
		}
	}
	// Every sheet prints on A4 landscape, fitted to the width, with the
	// title and header rows on every page.
	if err := wb.landscape(name, headerRow); err != nil {
		return nil, fmt.Errorf("sheet %s: page layout: %w", name, err)
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("sheet %s: %w", name, err)
	}
	for i, c := range t.cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return nil, fmt.Errorf("sheet %s: column width: %w", name, err)
		}
	}
	if t.freezeCols >= 0 {
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: t.freezeCols, YSplit: headerRow,
			TopLeftCell: cell(t.freezeCols+1, headerRow+1), ActivePane: "bottomRight"}); err != nil {
			return nil, fmt.Errorf("sheet %s: panes: %w", name, err)
		}
	}
	return &sheet{wb: wb, name: name, sw: sw}, nil
}

// write writes the next row, at row n (after the last one written).
func (s *sheet) write(n int, cells []any, opts ...excelize.RowOpts) error {
	if err := s.sw.SetRow(cell(1, n), cells, opts...); err != nil {
		return fmt.Errorf("sheet %s row %d: %w", s.name, n, err)
	}
	s.row = n
	return nil
}

// values writes a data row on the next row.
func (s *sheet) values(vs []value) error {
	cells := make([]any, len(vs))
	for i, v := range vs {
		cells[i] = s.wb.cellOf(v)
	}
	return s.write(s.row+1, cells)
}

// banner writes text at row n in a cell merged across width columns, all
// of them with the style.
func (s *sheet) banner(n, width int, text, style string, height float64) error {
	width = max(width, 1)
	cells := make([]any, width)
	id := s.wb.styles[style]
	cells[0] = excelize.Cell{StyleID: id, Value: text}
	for i := 1; i < width; i++ {
		cells[i] = excelize.Cell{StyleID: id}
	}
	var opts []excelize.RowOpts
	if height > 0 {
		opts = append(opts, excelize.RowOpts{Height: height})
	}
	if err := s.write(n, cells, opts...); err != nil {
		return err
	}
	if err := s.sw.MergeCell(cell(1, n), cell(width, n)); err != nil {
		return fmt.Errorf("sheet %s: merge row %d: %w", s.name, n, err)
	}
	return nil
}

// titled writes the title (row 1) and the subtitle (row 2) across width
// columns.
func (s *sheet) titled(title, subtitle string, width int) error {
	if err := s.banner(1, width, title, "title", 24); err != nil {
		return err
	}
	return s.banner(2, width, subtitle, "subtitle", 0)
}

// header writes the column headings at row n.
func (s *sheet) header(n int, cols []column) error {
	cells := make([]any, len(cols))
	for i, c := range cols {
		cells[i] = excelize.Cell{StyleID: s.wb.styles["header"], Value: c.head}
	}
	return s.write(n, cells)
}

func (s *sheet) close() error {
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("sheet %s: %w", s.name, err)
	}
	return nil
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
		RefersTo: fmt.Sprintf("'%s'!$1:$%d", sheet, header)})
}

func (r *Review) subtitle() string {
	s := r.Period.Kind.Label() + " · " + r.Period.Label() + " · 计算时间" + minute(r.ComputedAt)
	if !r.Cutoff.IsZero() {
		s += " · 数据截至" + minute(r.Cutoff)
	}
	return s + "。金额单位：万元"
}

// summary writes 汇总: the key figures, then the monthly trend.
func (wb *workbook) summary(_ context.Context, r *Review) error {
	o := r.Overall
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
	cols := []column{{"指标", 22}, {"数值", 18}, {"说明", 60}}
	s, err := wb.openSheet(SheetSummary, sheetTable{cols: cols, rows: len(rows), freezeCols: 0}, false)
	if err != nil {
		return err
	}
	if err := s.titled(r.Title(), r.subtitle(), len(cols)); err != nil {
		return err
	}
	if err := s.header(headerRow, cols); err != nil {
		return err
	}
	for _, row := range rows {
		if err := s.values(row); err != nil {
			return err
		}
	}
	// The monthly trend, below an empty row, without a filter.
	if err := s.header(s.row+2, []column{{"月份", 22}, {"完成投资(万元)", 18}, {"说明", 60}}); err != nil {
		return err
	}
	sum := decimal.Zero
	for _, m := range r.Trend {
		sum = sum.Add(m.AmountWan)
		if err := s.values([]value{str(m.Month.String()), wan(m.AmountWan), str("累计" + yi(sum) + "亿元")}); err != nil {
			return err
		}
	}
	// The summary and the footer in words, below the tables.
	next := s.row + 1
	for i, line := range []string{r.Summary(), r.Footer()} {
		if err := s.banner(next+1+i, len(cols), line, "subtitle", 48); err != nil {
			return err
		}
	}
	return s.close()
}

// projects writes 全部项目 and 红黄榜 in one read of the board: every
// project in board order on 全部项目, the red ones, then the yellow ones —
// the first projects of the board — on 红黄榜 as they pass.
func (wb *workbook) projects(ctx context.Context, r *Review) error {
	pw := r.periodWord()
	cols := []column{{"序号", 6}, {"项目", 30}, {"项目编号", 26}, {"部门", 22},
		{"地区", 14}, {"类别", 8}, {"阶段", 8}, {pw + "完成(万元)", 14},
		{"本月完成(万元)", 14}, {"本年累计(万元)", 14}, {"年度计划(万元)", 14},
		{"完成率", 10}, {"序时进度", 10}, {"差距(百分点)", 10}, {"状态", 8},
		{"变化", 10}, {"上次状态", 8}, {"原因", 60}, {"已报送", 8},
		{"报送月份", 10}, {"报送版本", 8}, {"逾期节点数", 10}, {"最长逾期天数", 12},
		{"连续落后次数", 12}}
	all, err := wb.openSheet(SheetProjects, sheetTable{cols: cols, rows: r.ProjectCount(), freezeCols: 2}, true)
	if err != nil {
		return err
	}
	if err := all.titled(r.Title()+" · 全部项目", r.subtitle(), len(cols)); err != nil {
		return err
	}
	if err := all.header(headerRow, cols); err != nil {
		return err
	}
	boards, err := wb.openBoards(r)
	if err != nil {
		return err
	}
	i := 0
	listed := map[rating.Status]int{}
	err = r.eachProject(ctx, rollup.ProjectSelection{}, func(p rollup.ProjectRow) error {
		i++
		rp := ""
		if p.ReportPeriod.Year != 0 {
			rp = p.ReportPeriod.String()
		}
		reported := "否"
		if p.Reported {
			reported = "是"
		}
		if err := all.values([]value{integer(i), str(p.NameZh), str(p.ProjectID), str(department(p.DepartmentName, p.DepartmentID)),
			str(p.Region), str(schema.Category(p.Category).Label()), str(schema.Stage(p.Stage).Label()), wan(p.PeriodCompletedWan),
			wan(p.MonthCompletedWan), wan(p.YTDCompletedWan), optWan(p.AnnualPlanWan), pct(p.CompletionPct),
			pct(&p.TimeProgressPct), points(p.GapPP), statusCell(p.Status), str(ChangeLabel(p.Change)),
			str(prevLabel(p.PrevStatus)), str(p.ReasonZh), str(reported), str(rp), integer(int(p.ReportRevision)),
			integer(p.OverdueMilestones), integer(p.MaxOverdueDays), integer(p.ShortStreak)}); err != nil {
			return err
		}
		if p.Status != rating.Red && p.Status != rating.Yellow {
			return nil
		}
		listed[p.Status]++
		return boards.values([]value{statusCell(p.Status), integer(listed[p.Status]), str(p.NameZh), str(p.ProjectID),
			str(department(p.DepartmentName, p.DepartmentID)), str(p.Region), wan(p.YTDCompletedWan),
			optWan(p.AnnualPlanWan), pct(p.CompletionPct), pct(&p.TimeProgressPct), points(p.GapPP),
			integer(p.OverdueMilestones), integer(p.ShortStreak), str(ChangeLabel(p.Change)), str(p.ReasonZh),
			str(p.Problems), str(p.NextSteps), str(p.ResponsibleUnit), str(p.ResponsiblePerson), str(p.LeadOfficial)})
	})
	if err != nil {
		return err
	}
	if err := all.close(); err != nil {
		return err
	}
	return boards.close()
}

// openBoards starts 红黄榜, the red list, then the yellow list, in board
// order; projects writes its rows.
func (wb *workbook) openBoards(r *Review) (*sheet, error) {
	cols := []column{{"榜单", 6}, {"序号", 6}, {"项目", 30}, {"项目编号", 26},
		{"部门", 22}, {"地区", 14}, {"本年累计(万元)", 14}, {"年度计划(万元)", 14},
		{"完成率", 10}, {"序时进度", 10}, {"差距(百分点)", 10}, {"逾期节点数", 10},
		{"连续落后次数", 12}, {"变化", 10}, {"原因", 60}, {"存在问题", 40}, {"下步计划", 40},
		{"责任单位", 24}, {"责任人", 10}, {"分管领导", 10}}
	n := r.CountStatus(rating.Red) + r.CountStatus(rating.Yellow)
	s, err := wb.openSheet(SheetBoards, sheetTable{cols: cols, rows: n, freezeCols: 3}, true)
	if err != nil {
		return nil, err
	}
	sub := fmt.Sprintf("%s。红榜%d个、黄榜%d个；新晋红榜%d个、摘牌%d个", r.subtitle(), r.Overall.Red, r.Overall.Yellow,
		r.CountChange(rollup.ChangeNewlyRed), r.CountChange(rollup.ChangeRecovered))
	if err := s.titled(r.Title()+" · 红黄榜", sub, len(cols)); err != nil {
		return nil, err
	}
	if err := s.header(headerRow, cols); err != nil {
		return nil, err
	}
	return s, nil
}

// smallSheet writes a sheet whose rows are in memory: the title, the
// header, the rows.
func (wb *workbook) smallSheet(name, title, subtitle string, cols []column, rows [][]value, landscape bool) error {
	s, err := wb.openSheet(name, sheetTable{cols: cols, rows: len(rows), freezeCols: 0}, landscape)
	if err != nil {
		return err
	}
	if err := s.titled(title, subtitle, len(cols)); err != nil {
		return err
	}
	if err := s.header(headerRow, cols); err != nil {
		return err
	}
	for _, row := range rows {
		if err := s.values(row); err != nil {
			return err
		}
	}
	return s.close()
}

// reporting writes 未报送: the missing reports grouped by department, then
// the late ones.
func (wb *workbook) reporting(_ context.Context, r *Review) error {
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
	return wb.smallSheet(SheetReporting, r.Title()+" · 未报送与迟报", sub, cols, rows, false)
}

// milestones writes 节点预警: overdue, due soon, slipped.
func (wb *workbook) milestones(_ context.Context, r *Review) error {
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
	return wb.smallSheet(SheetMilestones, r.Title()+" · 节点预警", sub, cols, rows, false)
}

// rankings writes 排名 by department, region and category.
func (wb *workbook) rankings(_ context.Context, r *Review) error {
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
	return wb.smallSheet(SheetRankings, r.Title()+" · 排名", sub, cols, rows, true)
}
