package sheet

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/schema"
)

// TemplateSheet is the name of the report sheet of the template, and the
// sheet the reader prefers in a workbook.
const TemplateSheet = "月报"

// InstructionsSheet is the template's second sheet, with instructions.
const InstructionsSheet = "说明"

// ContentType is the MIME type of an .xlsx workbook, for downloads.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Layout of the template's report sheet: the title is row 1, a line with
// the department, period and unit row 2, the header row 3, and the
// projects start at row 4.
const (
	TitleRow     = 1
	HeaderRow    = 3
	FirstDataRow = 4
)

// TemplateColumns returns the header cells of the template, column A
// first. The last two (grey) are for reference and are ignored when the
// sheet is read back.
func TemplateColumns() []string { return append([]string(nil), templateColumns...) }

var templateColumns = []string{
	"项目编号", "项目名称", "报告期",
	"本月完成投资（万元）", "本年累计完成（万元）", "自开工累计完成（万元）",
	"形象进度", "存在问题", "下步计划", "更正原因", "填报人",
	"年度计划投资（万元）", "上月本年累计（万元）",
}

// ProjectInfo is one project row of the template.
type ProjectInfo struct {
	// ID is the project id (项目编号), e.g. qingyuan-pumped-storage.
	ID string
	// NameZh is the project's Chinese name (项目名称).
	NameZh string
	// AnnualPlanWan is the year's planned investment in 万元, shown for
	// reference; nil leaves the cell empty.
	AnnualPlanWan *decimal.Decimal
	// LastYTDWan is the year-to-date completed investment reported for the
	// previous month (latest revision), shown for reference; nil leaves
	// the cell empty (no report, or January).
	LastYTDWan *decimal.Decimal
}

// TemplateInput is what the template is made of.
type TemplateInput struct {
	// DepartmentID is the department's id, e.g. qy-jtj.
	DepartmentID string
	// DepartmentName is its Chinese name, e.g. 庆元县交通运输局, used in the
	// title; "" uses the id.
	DepartmentName string
	// Period is the month reported.
	Period schema.Period
	// Projects are the department's projects, one row each in this order.
	Projects []ProjectInfo
}

// Validate reports input a template cannot be made of.
func (t TemplateInput) Validate() error {
	if !schema.ValidIdentifier(t.DepartmentID) {
		return fmt.Errorf("%w: department id %q is not an id; expected lower-case letters, digits, '-' or '_', e.g. qy-jtj", ErrTemplateInput, t.DepartmentID)
	}
	if _, err := schema.ParsePeriod(t.Period.String()); err != nil {
		return fmt.Errorf("%w: %w", ErrTemplateInput, err)
	}
	if len(t.Projects) == 0 {
		return fmt.Errorf("%w: department %s has no projects; expected at least one registered project (register projects first)", ErrTemplateInput, t.DepartmentID)
	}
	seen := map[string]int{}
	for i, p := range t.Projects {
		if !schema.ValidIdentifier(p.ID) {
			return fmt.Errorf("%w: project %d id %q is not an id; expected lower-case letters, digits, '-' or '_', e.g. qingyuan-pumped-storage", ErrTemplateInput, i+1, p.ID)
		}
		if j, dup := seen[p.ID]; dup {
			return fmt.Errorf("%w: project %s is listed twice (%d and %d); expected each project once", ErrTemplateInput, p.ID, j+1, i+1)
		}
		seen[p.ID] = i
	}
	return nil
}

// FileName is the template's suggested file name, ASCII so that it
// survives any download header: kpp-report-qy-jtj-2025-09.xlsx.
func FileName(departmentID string, p schema.Period) string {
	return "kpp-report-" + departmentID + "-" + p.String() + ".xlsx"
}

// Title is the template's title row, e.g. 「庆元县交通运输局 2025年9月 重点项目月报」.
func (t TemplateInput) Title() string {
	return t.name() + " " + periodZh(t.Period) + " 重点项目月报"
}

func (t TemplateInput) name() string {
	if t.DepartmentName != "" {
		return t.DepartmentName
	}
	return t.DepartmentID
}

func periodZh(p schema.Period) string {
	return strconv.Itoa(p.Year) + "年" + strconv.Itoa(int(p.Month)) + "月"
}

// Template writes the department's monthly report workbook (.xlsx) to w:
// sheet 月报 with a merged title row, a line naming the department, period
// and unit, the header row ([TemplateColumns]), and one row per project with
// its id, name and the period filled in and the figures empty; amounts
// are number cells in 万元 with data validation; sheet 说明 explains how to
// fill it in. [Read] reads the filled workbook back.
func Template(w io.Writer, t TemplateInput) error {
	if err := t.Validate(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	b := &builder{f: f, t: t}
	for _, step := range []func() error{b.styles, b.report, b.instructions, b.props} {
		if err := step(); err != nil {
			return fmt.Errorf("template for %s %s: %w", t.DepartmentID, t.Period, err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write template for %s %s: %w", t.DepartmentID, t.Period, err)
	}
	return nil
}

// builder makes the template workbook.
type builder struct {
	f *excelize.File
	t TemplateInput
	// style ids
	title, subtitle, head, fixed, money, text, ref, note, bold int
}

func (b *builder) styles() error {
	thin := []excelize.Border{{Type: "left", Color: "999999", Style: 1}, {Type: "right", Color: "999999", Style: 1},
		{Type: "top", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1}}
	moneyFmt := "#,##0.00##"
	grey := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}
	defs := []struct {
		id *int
		s  *excelize.Style
	}{
		{&b.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&b.subtitle, &excelize.Style{Font: &excelize.Font{Size: 10, Color: "595959"}, Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}}},
		{&b.head, &excelize.Style{Font: &excelize.Font{Bold: true}, Border: thin, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&b.fixed, &excelize.Style{NumFmt: 49, Border: thin, Fill: grey, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&b.money, &excelize.Style{CustomNumFmt: &moneyFmt, Border: thin, Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&b.text, &excelize.Style{NumFmt: 49, Border: thin, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&b.ref, &excelize.Style{CustomNumFmt: &moneyFmt, Border: thin, Fill: grey, Font: &excelize.Font{Italic: true, Color: "7F7F7F"}, Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&b.note, &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&b.bold, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
	}
	for _, d := range defs {
		id, err := b.f.NewStyle(d.s)
		if err != nil {
			return err
		}
		*d.id = id
	}
	return nil
}

// Column letters of the template.
const (
	colID, colProject, colPeriod             = "A", "B", "C"
	colMonth, colYTD, colSinceStart          = "D", "E", "F"
	colFirstText, colLastText, colReportedBy = "G", "J", "K"
	colPlan, colLastYTD, colLast             = "L", "M", "M"
)

func (b *builder) report() error {
	f, t := b.f, b.t
	s := TemplateSheet
	if err := f.SetSheetName("Sheet1", s); err != nil {
		return err
	}
	last := FirstDataRow + len(t.Projects) - 1
	cell := func(col string, row int) string { return col + strconv.Itoa(row) }
	steps := []func() error{
		func() error { return f.MergeCell(s, cell("A", TitleRow), cell(colLast, TitleRow)) },
		func() error { return f.SetCellStr(s, cell("A", TitleRow), t.Title()) },
		func() error { return f.SetCellStyle(s, cell("A", TitleRow), cell(colLast, TitleRow), b.title) },
		func() error { return f.SetRowHeight(s, TitleRow, 30) },
		func() error { return f.MergeCell(s, cell("A", 2), cell(colLast, 2)) },
		func() error {
			return f.SetCellStr(s, "A2", "填报单位："+t.name()+"（"+t.DepartmentID+"）　报告期："+periodZh(t.Period)+
				"　单位：万元　　白色单元格由填报人填写，灰色为预填或参考（参考列不导入）；请填写数值，不要使用公式")
		},
		func() error { return f.SetCellStyle(s, "A2", cell(colLast, 2), b.subtitle) },
		func() error { cols := TemplateColumns(); return f.SetSheetRow(s, cell("A", HeaderRow), &cols) },
		func() error { return f.SetCellStyle(s, cell("A", HeaderRow), cell(colLast, HeaderRow), b.head) },
		func() error { return f.SetRowHeight(s, HeaderRow, 36) },
	}
	widths := []struct {
		from, to string
		w        float64
	}{
		{colID, colID, 30}, {colProject, colProject, 32}, {colPeriod, colPeriod, 10},
		{colMonth, colSinceStart, 16}, {colFirstText, colLastText, 30},
		{colReportedBy, colReportedBy, 10}, {colPlan, colLastYTD, 16},
	}
	for _, wd := range widths {
		steps = append(steps, func() error { return f.SetColWidth(s, wd.from, wd.to, wd.w) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	for i, p := range t.Projects {
		r := FirstDataRow + i
		for _, c := range []struct{ col, v string }{{colID, p.ID}, {colProject, p.NameZh}, {colPeriod, t.Period.String()}} {
			if err := f.SetCellStr(s, cell(c.col, r), c.v); err != nil {
				return err
			}
		}
		for _, c := range []struct {
			col string
			v   *decimal.Decimal
		}{{colPlan, p.AnnualPlanWan}, {colLastYTD, p.LastYTDWan}} {
			if c.v != nil {
				// SetCellDefault writes the decimal's digits as they are: no
				// float64 on the way.
				if err := f.SetCellDefault(s, cell(c.col, r), c.v.String()); err != nil {
					return err
				}
			}
		}
	}
	for _, st := range []struct {
		from, to string
		id       int
	}{
		{colID, colPeriod, b.fixed}, {colMonth, colSinceStart, b.money},
		{colFirstText, colReportedBy, b.text}, {colPlan, colLastYTD, b.ref},
	} {
		if err := f.SetCellStyle(s, cell(st.from, FirstDataRow), cell(st.to, last), st.id); err != nil {
			return err
		}
	}
	if err := b.validations(last); err != nil {
		return err
	}
	return f.SetPanes(s, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: HeaderRow,
		TopLeftCell: cell(colPeriod, FirstDataRow), ActivePane: "bottomRight"})
}

// validations guide the clerk in Excel; the reader checks everything again.
func (b *builder) validations(last int) error {
	rng := func(col string) string {
		return col + strconv.Itoa(FirstDataRow) + ":" + col + strconv.Itoa(last)
	}
	amount := excelize.NewDataValidation(true)
	amount.SetSqref(rng(colMonth) + " " + rng(colSinceStart))
	if err := amount.SetRange(0, 1e12, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween); err != nil {
		return err
	}
	amount.SetInput("金额（万元）", "填写数值，单位万元，最多4位小数；不要使用公式")
	amount.SetError(excelize.DataValidationErrorStyleStop, "金额有误", "请填写不小于0的数值（万元）。核减请对该月提交更正，而不是填负数。")
	ytd := excelize.NewDataValidation(true)
	ytd.SetSqref(rng(colYTD))
	ytd.Type = "custom"
	r := strconv.Itoa(FirstDataRow)
	ytd.Formula1 = "AND(ISNUMBER(" + colYTD + r + ")," + colYTD + r + "&gt;=0," + colYTD + r + "&gt;=N(" + colMonth + r + "),OR(" + colLastYTD + r + "=\"\"," + colYTD + r + "&gt;=" + colLastYTD + r + "))"
	ytd.SetInput("本年累计（万元）", "1月至本月累计完成，应不小于本月完成和上月本年累计（M列）")
	ytd.SetError(excelize.DataValidationErrorStyleWarning, "请核对本年累计", "本年累计应不小于本月完成，且不小于上月本年累计（M列）。如确需调减，请在“更正原因”中说明。")
	for _, dv := range []*excelize.DataValidation{amount, ytd} {
		if err := b.f.AddDataValidation(TemplateSheet, dv); err != nil {
			return err
		}
	}
	return nil
}

// instructionLines are the 说明 sheet, one paragraph per row.
func (b *builder) instructionLines() []string {
	t := b.t
	return []string{
		"本表为" + t.name() + "（" + t.DepartmentID + "）" + periodZh(t.Period) + "重点项目月报，由 kpp 生成。",
		"1. 在“" + TemplateSheet + "”表中逐个项目填写：白色单元格由填报人填写；灰色的项目编号、项目名称、报告期已预填，请勿修改项目编号；最后两列（年度计划投资、上月本年累计）仅供参考，不导入。",
		"2. 金额单位为万元，最多4位小数（0.0001万元即1元）。表头括号中也可写亿元、千元或元，系统自动换算为万元；也可在表头上方写“单位：亿元”。",
		"3. 本月完成投资、本年累计完成为必填；本年累计应不小于本月完成，自开工累计应不小于本年累计。核减不填负数，而是对该月提交更正。",
		"4. 请直接填写数值，不要使用公式；从其他表格复制时请使用“选择性粘贴→数值”。含公式的单元格会被拒收。",
		"5. 数字可带千分位（1,234.5），全角数字（１２３４．５）亦可；报告期可写 2025-09、2025年9月 或 2025/9。",
		"6. 填报人必填。形象进度、存在问题、下步计划请简要填写。",
		"7. 更正已报送的月份：修改数据并在“更正原因”中说明原因后重新上传，作为该月的新版本报送，原版本保留在历史记录中。",
		"8. 某个项目本月不报：保留该行、不填数据即可（系统跳过未填数据的行并在回执中列出）。合计行会被跳过。",
		"9. 上传：在 kpp 网页“上传表格”处上传本文件（.xlsx；也接受 CSV UTF-8）。系统先检查全部行，有任何错误则一行也不报送，并按工作表、行、列列出每个错误；全部无误才报送，并给出回执。",
		"10. 每次上传最多 " + strconv.Itoa(DefaultMaxRows) + " 行数据。只能报送本部门的项目。",
	}
}

func (b *builder) instructions() error {
	f, s := b.f, InstructionsSheet
	if _, err := f.NewSheet(s); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "A", "A", 110); err != nil {
		return err
	}
	if err := f.SetCellStr(s, "A1", "重点项目月报填报说明"); err != nil {
		return err
	}
	if err := f.SetCellStyle(s, "A1", "A1", b.bold); err != nil {
		return err
	}
	for i, line := range b.instructionLines() {
		c := "A" + strconv.Itoa(i+2)
		if err := f.SetCellStr(s, c, line); err != nil {
			return err
		}
		if err := f.SetCellStyle(s, c, c, b.note); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	return nil
}

func (b *builder) props() error {
	return b.f.SetDocProps(&excelize.DocProperties{
		Title:       b.t.Title(),
		Subject:     "kpp " + b.t.DepartmentID + " " + b.t.Period.String(),
		Creator:     "kpp",
		Description: "重点项目月报模板：" + strings.TrimSpace(b.t.name()) + " " + periodZh(b.t.Period),
		Language:    "zh-CN",
	})
}
