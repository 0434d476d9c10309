package sheet

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/schema"
)

// The sheets of the registration workbook (项目登记表): one row per
// project, one row per project and year, one row per milestone, keyed by
// the project id. [ProjectsTemplate] writes it, [ReadProjects] reads it.
const (
	ProjectsSheet   = "项目"
	PlansSheet      = "年度计划"
	MilestonesSheet = "节点"
)

// The columns of the registration sheets, column A first. A header may
// also carry a money unit (总投资（亿元）); the reader converts it to 万元.
var (
	projectColumns = []regColumn{
		{"项目编号", rProject, true}, {"项目名称", rNameZh, true}, {"英文名称", rNameEn, false},
		{"所在地区", rRegion, true}, {"项目类别", rCategory, true}, {"项目阶段", rStage, true},
		{"总投资（万元）", rTotal, true}, {"责任单位", rUnit, false}, {"责任人", rPerson, false},
		{"分管领导", rLead, false}, {"填报人", rReportedBy, false}, {"登记版本", rBase, false},
	}
	planColumns = func() []regColumn {
		cs := []regColumn{{"项目编号", rProject, true}, {"项目名称", "", false}, {"年份", rYear, true}, {"年度计划（万元）", rAmount, true}}
		for m := 1; m <= 12; m++ {
			cs = append(cs, regColumn{strconv.Itoa(m) + "月（万元）", rMonth + strconv.Itoa(m), false})
		}
		return cs
	}()
	milestoneColumns = []regColumn{
		{"项目编号", rProject, true}, {"项目名称", "", false}, {"节点编号", rMilestoneID, true},
		{"节点名称", rTitle, true}, {"计划完成日期", rPlanned, true},
	}
)

// regColumn is a column of a registration sheet: its header in the
// template, the value it holds ("" for a column read by people only) and
// whether the header must be present.
type regColumn struct {
	header, key string
	required    bool
}

// The values of the registration sheets' columns.
const (
	rProject, rNameZh, rNameEn, rRegion     = "project_id", "name_zh", "name_en", "region"
	rCategory, rStage, rTotal, rUnit        = "category", "stage", "total_investment_wan", "responsible_unit"
	rPerson, rLead, rReportedBy, rBase      = "responsible_person", "lead_official", "reported_by", "base_revision"
	rYear, rAmount, rMonth                  = "year", "amount_wan", "m"
	rMilestoneID, rTitle, rPlanned          = "milestone_id", "title", "planned_date"
	regHeaderRow, regFirstRow, regSpareRows = 3, 4, 200
)

// ProjectColumns, PlanColumns and MilestoneColumns return the header cells
// of the registration template's sheets 项目, 年度计划 and 节点.
func ProjectColumns() []string   { return headers(projectColumns) }
func PlanColumns() []string      { return headers(planColumns) }
func MilestoneColumns() []string { return headers(milestoneColumns) }

func headers(cs []regColumn) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.header
	}
	return out
}

// ProjectsTemplateInput is what the registration template is made of.
type ProjectsTemplateInput struct {
	// DepartmentID is the department's id, e.g. qy-jtj.
	DepartmentID string
	// DepartmentName is its Chinese name, used in the title; "" uses the id.
	DepartmentName string
	// Projects are the department's current registrations (latest
	// revisions), one row each in this order. None gives an empty
	// template for a department's first projects.
	Projects []schema.Project
}

// Validate reports input a template cannot be made of.
func (t ProjectsTemplateInput) Validate() error {
	if !schema.ValidIdentifier(t.DepartmentID) {
		return fmt.Errorf("%w: department id %q is not an id; expected lower-case letters, digits, '-' or '_', e.g. qy-jtj", ErrTemplateInput, t.DepartmentID)
	}
	seen := map[string]bool{}
	for i, p := range t.Projects {
		if !schema.ValidIdentifier(p.ProjectID) {
			return fmt.Errorf("%w: project %d id %q is not an id", ErrTemplateInput, i+1, p.ProjectID)
		}
		if seen[p.ProjectID] {
			return fmt.Errorf("%w: project %s is listed twice; expected each project once", ErrTemplateInput, p.ProjectID)
		}
		seen[p.ProjectID] = true
	}
	return nil
}

func (t ProjectsTemplateInput) name() string {
	if t.DepartmentName != "" {
		return t.DepartmentName
	}
	return t.DepartmentID
}

// ProjectsFileName is the registration template's suggested file name:
// kpp-projects-qy-jtj.xlsx.
func ProjectsFileName(departmentID string) string {
	return "kpp-projects-" + departmentID + ".xlsx"
}

// ProjectsTemplate writes the department's registration workbook (.xlsx)
// to w: sheet 项目 (one row per project: 项目编号, 项目名称, 英文名称, 所在地区,
// 项目类别 and 项目阶段 with drop-down lists, 总投资, 责任单位, 责任人,
// 分管领导, 填报人, and 登记版本, the stored revision the row was made
// from), sheet 年度计划 (one row per project and year: 年份, 年度计划 and
// optionally the twelve months), sheet 节点 (one row per planned
// milestone: 节点编号, 节点名称, 计划完成日期) and sheet 说明. The rows are
// pre-filled with the current registrations; [ReadProjects] reads the
// workbook back.
func ProjectsTemplate(w io.Writer, t ProjectsTemplateInput) error {
	if err := t.Validate(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	b := &builder{f: f}
	pb := &projectsBuilder{builder: b, t: t}
	for _, step := range []func() error{b.styles, pb.projects, pb.plans, pb.milestones, pb.instructions, pb.props} {
		if err := step(); err != nil {
			return fmt.Errorf("registration template for %s: %w", t.DepartmentID, err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write registration template for %s: %w", t.DepartmentID, err)
	}
	return nil
}

type projectsBuilder struct {
	*builder
	t ProjectsTemplateInput
}

// sheet writes a registration sheet's title, subtitle and header, its
// rows (each a list of cells: a string is a text cell, a schema.Wan or
// int a number cell, nil empty), the column styles and widths, and
// freezes the panes below the header.
func (b *projectsBuilder) sheet(name, title, subtitle string, cols []regColumn, widths []float64, rows [][]any, styleOf func(col int) int) error {
	f := b.f
	if name == ProjectsSheet {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return err
	}
	last := colName(len(cols) - 1)
	hs := headers(cols)
	steps := []func() error{
		func() error { return f.MergeCell(name, "A1", last+"1") },
		func() error { return f.SetCellStr(name, "A1", title) },
		func() error { return f.SetCellStyle(name, "A1", last+"1", b.title) },
		func() error { return f.SetRowHeight(name, 1, 30) },
		func() error { return f.MergeCell(name, "A2", last+"2") },
		func() error { return f.SetCellStr(name, "A2", subtitle) },
		func() error { return f.SetCellStyle(name, "A2", last+"2", b.subtitle) },
		func() error { return f.SetSheetRow(name, "A"+strconv.Itoa(regHeaderRow), &hs) },
		func() error {
			return f.SetCellStyle(name, "A"+strconv.Itoa(regHeaderRow), last+strconv.Itoa(regHeaderRow), b.head)
		},
		func() error { return f.SetRowHeight(name, regHeaderRow, 36) },
		func() error {
			return f.SetPanes(name, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: regHeaderRow,
				TopLeftCell: "B" + strconv.Itoa(regFirstRow), ActivePane: "bottomRight"})
		},
	}
	for i, w := range widths {
		c := colName(i)
		steps = append(steps, func() error { return f.SetColWidth(name, c, c, w) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	end := regFirstRow + len(rows) + regSpareRows - 1
	for i := range cols {
		c := colName(i)
		if err := f.SetCellStyle(name, c+strconv.Itoa(regFirstRow), c+strconv.Itoa(end), styleOf(i)); err != nil {
			return err
		}
	}
	for i, r := range rows {
		for j, v := range r {
			ref := colName(j) + strconv.Itoa(regFirstRow+i)
			var err error
			switch v := v.(type) {
			case string:
				if v != "" {
					err = f.SetCellStr(name, ref, v)
				}
			case schema.Wan:
				if v.Valid() {
					// The decimal's digits as they are: no float64 on the way.
					err = f.SetCellDefault(name, ref, v.Value.String())
				}
			case int:
				err = f.SetCellInt(name, ref, int64(v))
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// amountValidation refuses a negative amount in the ranges given.
func amountValidation(sqref string) (*excelize.DataValidation, error) {
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(sqref)
	if err := dv.SetRange(0, 1e12, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween); err != nil {
		return nil, err
	}
	dv.SetInput("金额（万元）", "填写数值，单位万元，最多4位小数；不要使用公式")
	dv.SetError(excelize.DataValidationErrorStyleStop, "金额有误", "请填写不小于0的数值（万元）。")
	return dv, nil
}

func (b *projectsBuilder) projects() error {
	t := b.t
	var rows [][]any
	for _, p := range t.Projects {
		rows = append(rows, []any{p.ProjectID, p.NameZh, p.NameEn, p.Region, p.Category.Label(), p.Stage.Label(),
			p.TotalInvestmentWan, p.ResponsibleUnit, p.ResponsiblePerson, p.LeadOfficial, p.ReportedBy, p.Revision})
	}
	styleOf := func(col int) int {
		switch projectColumns[col].key {
		case rTotal:
			return b.money
		case rBase:
			return b.ref
		}
		return b.text
	}
	err := b.sheet(ProjectsSheet, t.name()+" 重点项目登记表",
		"填报单位："+t.name()+"（"+t.DepartmentID+"）　单位：万元　　每行一个项目；年度计划、节点分别在“"+PlansSheet+"”“"+MilestonesSheet+
			"”表中按项目编号填写；登记版本为下载时的版本，请勿修改，新项目留空",
		projectColumns, []float64{30, 30, 24, 18, 12, 12, 16, 24, 12, 14, 12, 10}, rows, styleOf)
	if err != nil {
		return err
	}
	end := strconv.Itoa(regFirstRow + len(rows) + regSpareRows - 1)
	first := strconv.Itoa(regFirstRow)
	var cats, stages []string
	for _, c := range schema.Categories() {
		cats = append(cats, c.Label())
	}
	for _, s := range schema.Stages() {
		stages = append(stages, s.Label())
	}
	var dvs []*excelize.DataValidation
	for _, l := range []struct {
		col, title string
		list       []string
	}{{"E", "项目类别", cats}, {"F", "项目阶段", stages}} {
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(l.col + first + ":" + l.col + end)
		if err := dv.SetDropList(l.list); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, l.title+"有误", "请从下拉列表中选择。")
		dvs = append(dvs, dv)
	}
	amount, err := amountValidation("G" + first + ":G" + end)
	if err != nil {
		return err
	}
	for _, dv := range append(dvs, amount) {
		if err := b.f.AddDataValidation(ProjectsSheet, dv); err != nil {
			return err
		}
	}
	return nil
}

func (b *projectsBuilder) plans() error {
	var rows [][]any
	for _, p := range b.t.Projects {
		for _, ap := range p.AnnualPlans {
			r := []any{p.ProjectID, p.NameZh, ap.Year, ap.AmountWan}
			for _, m := range ap.MonthlyWan {
				r = append(r, m)
			}
			rows = append(rows, r)
		}
	}
	styleOf := func(col int) int {
		switch {
		case col == 1:
			return b.ref
		case col == 2:
			return b.text
		case col > 2:
			return b.money
		}
		return b.text
	}
	widths := []float64{30, 30, 8, 16}
	for m := 0; m < 12; m++ {
		widths = append(widths, 12)
	}
	err := b.sheet(PlansSheet, b.t.name()+" 重点项目年度计划", "单位：万元　　每行一个项目的一个年度：项目编号须为“"+ProjectsSheet+
		"”表中的项目；分月计划可不填，填了任一月份时未填的月份按0计；项目名称仅供参考，不导入",
		planColumns, widths, rows, styleOf)
	if err != nil {
		return err
	}
	end := strconv.Itoa(regFirstRow + len(rows) + regSpareRows - 1)
	amount, err := amountValidation("D" + strconv.Itoa(regFirstRow) + ":P" + end)
	if err != nil {
		return err
	}
	return b.f.AddDataValidation(PlansSheet, amount)
}

func (b *projectsBuilder) milestones() error {
	var rows [][]any
	for _, p := range b.t.Projects {
		for _, m := range p.Milestones {
			rows = append(rows, []any{p.ProjectID, p.NameZh, m.MilestoneID, m.Title, m.PlannedDate})
		}
	}
	styleOf := func(col int) int {
		if col == 1 {
			return b.ref
		}
		return b.text
	}
	return b.sheet(MilestonesSheet, b.t.name()+" 重点项目计划节点", "每行一个计划节点：项目编号须为“"+ProjectsSheet+
		"”表中的项目；节点编号为小写字母、数字或连字符（如 main-works-start），同一项目内不重复；计划完成日期如 2026-06-30；项目名称仅供参考，不导入",
		milestoneColumns, []float64{30, 30, 22, 30, 14}, rows, styleOf)
}

// projectsInstructionLines are the 说明 sheet of the registration workbook.
func (b *projectsBuilder) projectsInstructionLines() []string {
	t := b.t
	return []string{
		"本表为" + t.name() + "（" + t.DepartmentID + "）的重点项目登记表，由 kpp 生成，已预填本部门当前登记的项目。",
		"1. “" + ProjectsSheet + "”表每行一个项目。项目编号、项目名称、所在地区、项目类别、项目阶段、总投资为必填；项目类别和项目阶段请从下拉列表选择。",
		"2. 新项目：在“" + ProjectsSheet + "”表末尾新增一行，登记版本留空；项目编号为小写字母、数字或连字符（如 qingyuan-g235-bridge），不能与已登记的项目重复。",
		"3. 修改项目：直接修改该行及其年度计划、节点行，并在填报人处填写您的姓名。登记版本为下载时的版本，请勿修改：如下载后该项目已被他人修改，上传会被拒收，请重新下载。未修改的项目原样保留，不会产生新版本。",
		"4. “" + PlansSheet + "”表每行一个项目的一个年度：年份、年度计划（万元）必填，1月至12月的分月计划可不填；填了任一月份时，未填的月份按0计。",
		"5. “" + MilestonesSheet + "”表每行一个计划节点：节点编号、节点名称、计划完成日期（如 2026-06-30）必填。",
		"6. 登记整体替换：上传后，项目的年度计划和节点即为表中所列；删除某一行即删除该年度计划或节点。从表中删除整个项目不会注销该项目（如需注销，请联系管理员）。",
		"7. 金额单位为万元，最多4位小数；可带千分位，全角数字亦可；不要使用公式。",
		"8. 上传：在 kpp 网页“登记新项目”页的“上传登记表”处上传本文件。系统先检查全部项目，有任何错误则一个也不登记，并按工作表、单元格列出每个错误；全部无误才登记，并给出回执。",
		"9. 只能登记和修改本部门的项目；其他部门已登记的项目编号会被拒收。每个工作表最多 " + strconv.Itoa(DefaultMaxRows) + " 行。",
	}
}

func (b *projectsBuilder) instructions() error {
	f, s := b.f, InstructionsSheet
	if _, err := f.NewSheet(s); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "A", "A", 110); err != nil {
		return err
	}
	if err := f.SetCellStr(s, "A1", "重点项目登记表填报说明"); err != nil {
		return err
	}
	if err := f.SetCellStyle(s, "A1", "A1", b.bold); err != nil {
		return err
	}
	for i, line := range b.projectsInstructionLines() {
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

func (b *projectsBuilder) props() error {
	return b.f.SetDocProps(&excelize.DocProperties{
		Title:       b.t.name() + " 重点项目登记表",
		Subject:     "kpp projects " + b.t.DepartmentID,
		Creator:     "kpp",
		Description: "重点项目登记表模板：" + b.t.name(),
		Language:    "zh-CN",
	})
}
