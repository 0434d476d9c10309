package sheet

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// RuleUnknownProject: a row of 年度计划 or 节点 names a project that is not
// a row of sheet 项目.
const RuleUnknownProject schema.Rule = "unknown_project_row"

// ProjectsUpload is what [ReadProjects] read from a registration
// workbook: one registration (*schema.Project) per row of sheet 项目, with
// the plans and milestones of the other sheets, for the intake.
type ProjectsUpload struct {
	// Input holds the registrations (Line = the row of sheet 项目) and the
	// problems found while reading. Revisions are 0: the intake numbers
	// them.
	Input *submit.Input
	// Bases holds, by record line, the 登记版本 the row was downloaded at;
	// a line without an entry had the cell empty (a new project).
	Bases map[int]int
	// Notices are what the reader did besides reading.
	Notices []Notice

	// cells maps a record line and an event field path
	// (annual_plans[1].amount_wan) to its cell.
	cells map[int]map[string]cellAt
	// rows maps a cell label to its row, for problems already named by
	// cell.
	rows map[string]int
}

// cellAt is a cell of a registration sheet, by its label and row.
type cellAt struct {
	label string
	row   int
}

// Locate rewrites a problem found after reading (by the intake: another
// department's project, a stale 登记版本, the schema's rules) from the
// event field of a registration to the cell it came from, e.g.
// annual_plans[0].amount_wan of the project in row 5 becomes
// "年度计划（万元） (年度计划!D7)" at line 7. Other problems are returned
// unchanged.
func (u *ProjectsUpload) Locate(p submit.Problem) submit.Problem {
	if u == nil || u.Input == nil || p.File != u.Input.Name {
		return p
	}
	if row, ok := u.rows[p.Field]; ok {
		p.Line = row
		return p
	}
	field := p.Field
	if field == "department_id" && p.Rule == schema.RuleNotOwner || field == "" && p.Line > 0 {
		field = rProject
	}
	if c, ok := u.cells[p.Line][field]; ok {
		p.Field, p.Line = c.label, c.row
	}
	return p
}

// ReadProjects reads a registration workbook (sheets 项目, 年度计划 and 节点,
// as [ProjectsTemplate] writes them) into one registration per project
// row. It reads within the budgets of [ReadUpload] (file size, unzipped
// size, cells, columns and text; at most [Options.MaxRows] rows per
// sheet). Problems of content are recorded in the Input, each named by
// sheet and cell; the error is for invalid options and I/O failures.
func ReadProjects(name string, r io.Reader, opts Options) (*ProjectsUpload, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	rd := &reader{name: name, opts: opts, vocab: newVocabulary(), now: opts.Now()}
	rd.up = &Upload{Input: &submit.Input{Name: name, Format: FormatXLSX}}
	pu := &ProjectsUpload{Input: rd.up.Input, Bases: map[int]int{}, cells: map[int]map[string]cellAt{}, rows: map[string]int{}}
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload %s: %w", name, err)
	}
	if int64(len(data)) > opts.MaxBytes {
		rd.fileProblem(submit.RuleFile, fmt.Sprintf("is larger than %s, the most one upload may be; expected a smaller file", size(opts.MaxBytes)),
			"文件超过"+sizeZh(opts.MaxBytes)+"的上传上限")
		return pu, nil
	}
	switch k, en, zh := sniff(name, data); k {
	case kindXLSX:
		pr := &projectsReader{rd: rd, up: pu}
		pr.read(data)
	case kindCSV:
		rd.fileProblem(submit.RuleFile,
			"is a CSV file; a registration sheet is an .xlsx workbook with the sheets 项目, 年度计划 and 节点 (download the registration template)",
			"是CSV文件；项目登记表应为含“项目”“年度计划”“节点”三个工作表的 .xlsx 工作簿（请下载登记表模板）")
	default:
		rd.fileProblem(submit.RuleFile, en, zh)
	}
	rd.up.Notices = append(rd.up.Notices, pu.Notices...)
	pu.Notices = rd.up.Notices
	return pu, nil
}

// projectsReader reads the three sheets of a registration workbook.
type projectsReader struct {
	rd   *reader
	up   *ProjectsUpload
	text int // bytes of cell text read, all sheets together
	// bads holds, by record index, the fields the reader reported itself.
	bads []map[string]bool
}

// regSheet is one sheet of a registration workbook as read: its header
// (column key → 0-based index and header text) and its data rows.
type regSheet struct {
	name    string
	meta    *sheetMeta
	head    int // header row, 0 when none
	cols    map[string]regCol
	rows    []row
	tooMany bool
}

type regCol struct {
	index  int
	header string
	factor decimal.Decimal // money columns: the unit's factor to 万元
	unit   string
}

func (pr *projectsReader) read(data []byte) {
	rd := pr.rd
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err == nil {
		err = rd.checkParts(zr)
	}
	if rd.budgetProblem(err) {
		return
	}
	var f *excelize.File
	if err == nil {
		f, err = excelize.OpenReader(bytes.NewReader(data), excelize.Options{
			UnzipSizeLimit:    rd.opts.MaxUnzippedBytes,
			UnzipXMLSizeLimit: min(rd.opts.MaxUnzippedBytes, streamPartBytes),
		})
	}
	var parts zipParts
	var sheetPart map[string]string
	if err == nil {
		defer f.Close()
		parts = newZipParts(zr)
		err = countStrings(parts, rd.opts.MaxCells)
		if rd.budgetProblem(err) {
			return
		}
		if err == nil {
			sheetPart, err = sheetParts(parts)
		}
	}
	if err != nil {
		rd.fileProblem(submit.RuleFile,
			"cannot be read as an .xlsx workbook: its parts are missing or damaged ("+err.Error()+"); open it in Excel or WPS and save it again as .xlsx",
			"无法作为 .xlsx 工作簿读取：文件内容缺失或损坏（"+err.Error()+"）；请用Excel或WPS打开后重新另存为 .xlsx")
		return
	}
	info := &xlsxInfo{}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		info.date1904 = *props.Date1904
	}
	rd.info = info
	var missing []string
	for _, s := range []string{ProjectsSheet, PlansSheet, MilestonesSheet} {
		if _, ok := sheetPart[s]; !ok {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		rd.fileProblem(submit.RuleFile,
			"has no sheet "+strings.Join(missing, ", ")+" (its sheets are "+strings.Join(f.GetSheetList(), ", ")+"); expected the registration workbook's sheets 项目, 年度计划 and 节点 (download the registration template; keep a sheet with its header only when no project has rows there)",
			"缺少工作表“"+strings.Join(missing, "”“")+"”（现有工作表："+strings.Join(f.GetSheetList(), "、")+"）；项目登记表应有“项目”“年度计划”“节点”三个工作表（请下载登记表模板；没有年度计划或节点时保留表头即可）")
		return
	}
	var sheets []*regSheet
	for _, spec := range []struct {
		name string
		cols []regColumn
	}{{ProjectsSheet, projectColumns}, {PlansSheet, planColumns}, {MilestonesSheet, milestoneColumns}} {
		s, ok := pr.sheet(f, parts, sheetPart, spec.name, spec.cols)
		if !ok {
			return // a budget exceeded or the sheet unreadable: the rest is not read
		}
		sheets = append(sheets, s)
	}
	for _, s := range sheets {
		if s.head == 0 || s.tooMany {
			return // reported; records are not built from a sheet without its header
		}
	}
	if len(rd.up.Input.Problems) > 0 {
		return
	}
	pr.build(sheets[0], sheets[1], sheets[2])
}

// sheet streams one sheet within the budgets and finds its header.
func (pr *projectsReader) sheet(f *excelize.File, parts zipParts, sheetPart map[string]string, name string, spec []regColumn) (*regSheet, bool) {
	rd := pr.rd
	meta, err := rd.meta(parts, sheetPart, name, 0)
	if rd.budgetProblem(err) {
		return nil, false
	}
	rd.sheet = name
	if err != nil {
		rd.unreadable(err)
		return nil, false
	}
	s := &regSheet{name: name, meta: meta}
	var budget error
	count := 0
	err = rd.scan(f, name, func(num int, cells []string) bool {
		for _, c := range cells {
			pr.text += len(c)
		}
		if pr.text > MaxTextBytes {
			budget = rd.textBudget(name)
			return false
		}
		if blank(cells) {
			return s.head != 0 || num <= HeaderSearchRows
		}
		if s.head == 0 {
			if num > HeaderSearchRows {
				return false
			}
			if isRegHeader(cells, spec) {
				s.head = num
				pr.header(s, row{num: num, cells: cells}, spec)
			}
			return true
		}
		if count++; count > rd.opts.MaxRows {
			s.tooMany = true
			limit := strconv.Itoa(rd.opts.MaxRows)
			rd.up.Input.Problems = append(rd.up.Input.Problems, submit.Problem{File: rd.name, Line: num, FieldError: schema.FieldError{
				Rule: RuleTooManyRows, Value: limit,
				MessageEn: "sheet " + name + " has more than " + limit + " rows (reading stopped at row " + strconv.Itoa(num) + "); at most " + limit + " are accepted in one upload; split the projects into several files",
				MessageZh: "工作表“" + name + "”超过" + limit + "行（读到第" + strconv.Itoa(num) + "行时停止），每次上传每个工作表最多" + limit + "行，请将项目拆分为多个文件"}})
			return false
		}
		s.rows = append(s.rows, row{num: num, cells: cells})
		return true
	})
	if budget != nil {
		rd.budgetProblem(budget)
		return nil, false
	}
	if err != nil {
		rd.unreadable(err)
		return nil, false
	}
	if s.head == 0 {
		rd.fileProblem(submit.RuleColumn,
			"sheet "+name+" has no header row in its first "+strconv.Itoa(HeaderSearchRows)+" rows; expected a row naming the columns "+strings.Join(headers(spec), ", ")+" (download the registration template)",
			"工作表“"+name+"”前"+strconv.Itoa(HeaderSearchRows)+"行中没有表头行，应有一行列名："+strings.Join(headers(spec), "、")+"（可下载登记表模板）")
	}
	return s, true
}

// regName is a header cell's name for matching: spaces and a trailing *
// removed, the unit cut off.
func regName(cell string) (name, unit string) { return headerName(cell) }

func specOf(spec []regColumn, cell string) (regColumn, string, bool) {
	name, unit := regName(cell)
	for _, c := range spec {
		if n, _ := regName(c.header); n == name {
			return c, unit, true
		}
	}
	return regColumn{}, unit, false
}

// isRegHeader tells a sheet's header row: it names 项目编号 and at least
// two other columns of the sheet.
func isRegHeader(cells []string, spec []regColumn) bool {
	known, project := 0, false
	for _, cell := range cells {
		if c, _, ok := specOf(spec, cell); ok {
			known++
			project = project || c.key == rProject
		}
	}
	return project && known >= 3
}

// header reads a sheet's header row: every named column must be one of
// the sheet's, once; the required ones must be there; a money column may
// name its unit.
func (pr *projectsReader) header(s *regSheet, r row, spec []regColumn) {
	rd := pr.rd
	s.cols = map[string]regCol{}
	prob := func(col int, cell, en, zh string) {
		rd.up.Input.Problems = append(rd.up.Input.Problems, submit.Problem{File: rd.name, Line: r.num, FieldError: schema.FieldError{
			Field: cellLabel(s.name, strings.TrimSpace(cell), col, r.num), Value: strings.TrimSpace(cell), Rule: submit.RuleColumn, MessageEn: en, MessageZh: zh}})
	}
	accepted := strings.Join(headers(spec), ", ")
	for i, cell := range r.cells {
		if strings.TrimSpace(cell) == "" {
			continue
		}
		c, unit, ok := specOf(spec, cell)
		if !ok {
			prob(i, cell, "is not a column of sheet "+s.name+"; expected one of "+accepted+" (other columns are refused so that nothing typed is silently dropped)",
				"不是工作表“"+s.name+"”的列，应为："+strings.Join(headers(spec), "、")+"（其他列不予接受，以免填写的内容被忽略）")
			continue
		}
		key := c.key
		if key == "" {
			key = "info:" + c.header
		}
		if old, dup := s.cols[key]; dup {
			prob(i, cell, "repeats column "+colName(old.index)+" ("+old.header+"); expected each column once",
				"与"+colName(old.index)+"列（"+old.header+"）重复，每列只能出现一次")
			continue
		}
		rc := regCol{index: i, header: strings.TrimSpace(cell), factor: decimal.NewFromInt(1), unit: "万元"}
		if money(c.key) && unit != "" {
			f, ok := units[unit]
			if !ok {
				prob(i, cell, "names the unit "+unit+"; expected 万元, 亿元, 千元 or 元", "单位“"+unit+"”无法识别，应为万元、亿元、千元或元")
				continue
			}
			rc.factor, rc.unit = f, canonicalUnit(unit)
		}
		s.cols[key] = rc
	}
	for _, c := range spec {
		if _, ok := s.cols[c.key]; c.required && !ok {
			rd.up.Input.Problems = append(rd.up.Input.Problems, submit.Problem{File: rd.name, Line: r.num, FieldError: schema.FieldError{
				Field: cellLabel(s.name, "", 0, r.num), Value: c.header, Rule: submit.RuleColumn,
				MessageEn: "sheet " + s.name + " has no column " + c.header + "; expected the columns " + accepted,
				MessageZh: "工作表“" + s.name + "”缺少“" + c.header + "”列，应有：" + strings.Join(headers(spec), "、")}})
		}
	}
}

func money(key string) bool {
	return key == rTotal || key == rAmount || strings.HasPrefix(key, rMonth) && len(key) > 1 && key[1] >= '0' && key[1] <= '9'
}

// cellReader reads the cells of one data row of a registration sheet.
type cellReader struct {
	pr   *projectsReader
	s    *regSheet
	r    row
	line int // the registration's record line
	bad  map[string]bool
}

func (c *cellReader) has(key string) bool { _, ok := c.s.cols[key]; return ok }

func (c *cellReader) text(key string) string {
	col, ok := c.s.cols[key]
	if !ok {
		return ""
	}
	return strings.TrimSpace(c.r.cell(col.index))
}

func (c *cellReader) numeric(key string) bool {
	col, ok := c.s.cols[key]
	return ok && c.text(key) != "" && c.s.meta.cell(c.r.num, col.index+1).numeric
}

func (c *cellReader) label(key string) string {
	col := c.s.cols[key]
	return cellLabel(c.s.name, col.header, col.index, c.r.num)
}

// at records that the event field path of registration line comes from
// the cell of key in this row.
func (c *cellReader) at(path, key string) {
	u := c.pr.up
	if u.cells[c.line] == nil {
		u.cells[c.line] = map[string]cellAt{}
	}
	if _, ok := c.s.cols[key]; ok {
		l := c.label(key)
		u.cells[c.line][path] = cellAt{label: l, row: c.r.num}
		u.rows[l] = c.r.num
	}
}

// problem records a problem at the cell of key, for the registration
// (line > 0) or the file.
func (c *cellReader) problem(rec *submit.Record, path, key, value string, rule schema.Rule, en, zh string) {
	fe := schema.FieldError{Field: c.label(key), Value: value, Rule: rule, MessageEn: en, MessageZh: zh}
	c.pr.up.rows[fe.Field] = c.r.num
	if rec != nil {
		rec.Problems = append(rec.Problems, fe)
		c.bad[path] = true
		return
	}
	c.pr.rd.up.Input.Problems = append(c.pr.rd.up.Input.Problems, submit.Problem{File: c.pr.rd.name, Line: c.r.num, FieldError: fe})
}

// formulas reports the row's formula cells; true when there was one.
func (c *cellReader) formulas(rec *submit.Record, paths map[string]string) bool {
	found := false
	for key, col := range c.s.cols {
		if strings.HasPrefix(key, "info:") {
			continue
		}
		fm := c.s.meta.cell(c.r.num, col.index+1).formula
		if fm == "" {
			continue
		}
		found = true
		ref := colName(col.index) + strconv.Itoa(c.r.num)
		c.problem(rec, paths[key], key, "="+fm, RuleFormula,
			ref+" contains a formula ="+fm+"; enter the value (copy the cells, then Paste Special → Values)",
			ref+"单元格是公式 ="+fm+"，请填写数值（复制后“选择性粘贴→数值”）")
	}
	return found
}

// wan reads an amount cell as [rowReader.money] does: a number cell
// rounded to Excel's 15 digits, a text cell with [schema.ParseWanText],
// converted from the column's unit to 万元.
func (c *cellReader) wan(rec *submit.Record, path, key string) schema.Wan {
	raw := c.text(key)
	if raw == "" {
		return schema.Wan{}
	}
	var d decimal.Decimal
	if c.numeric(key) {
		v, err := schema.ParseFloatText(raw)
		if err != nil {
			return schema.Wan{Raw: raw, Set: true}
		}
		d = excelDigits(v)
	} else {
		w := schema.ParseWanText(raw)
		if !w.Valid() {
			return w
		}
		d = w.Value
	}
	col := c.s.cols[key]
	if col.unit == "万元" {
		return schema.NewWan(d)
	}
	wan := d.Mul(col.factor)
	if wan.Exponent() < -schema.MaxScale && !wan.Equal(wan.Round(schema.MaxScale)) {
		c.problem(rec, path, key, raw, schema.RuleScale,
			raw+" "+col.unit+" is "+wan.String()+" 万元, finer than 0.0001 万元 (one yuan); expected an amount exact to the yuan",
			raw+col.unit+"折合"+wan.String()+"万元，精度超过0.0001万元（1元），应精确到元")
	}
	return schema.NewWan(wan)
}

// date reads a date cell: a date cell (its day) or text as
// [schema.ParseDateText] reads it; other text is kept for validation.
func (c *cellReader) date(key string) string {
	raw := c.text(key)
	if raw == "" {
		return ""
	}
	if c.numeric(key) {
		if f, err := strconv.ParseFloat(raw, 64); err == nil && f >= 1 && f < 80000 {
			if t, ok := c.pr.rd.info.serialTime(f); ok {
				return t.Format("2006-01-02")
			}
		}
		return raw
	}
	d, _ := schema.ParseDateText(raw)
	return d
}

// build assembles the registrations: one per row of 项目, with the plans
// and milestones of the rows naming its id, in sheet order.
func (pr *projectsReader) build(ps, plans, mss *regSheet) {
	rd, u := pr.rd, pr.up
	in := u.Input
	src := rd.opts.Source
	if src == "" {
		src = string(FormatXLSX)
	}
	byID := map[string]int{} // project id → index in in.Records
	firstRow := map[string]int{}
	for _, r := range ps.rows {
		c := &cellReader{pr: pr, s: ps, r: r, line: r.num, bad: map[string]bool{}}
		rec := submit.Record{Line: r.num}
		for _, col := range projectColumns {
			if col.key != "" && col.key != rBase {
				c.at(col.key, col.key)
			}
		}
		c.at("revision", rBase)
		c.formulas(&rec, map[string]string{rProject: rProject, rNameZh: rNameZh, rNameEn: rNameEn, rRegion: rRegion, rCategory: rCategory,
			rStage: rStage, rTotal: rTotal, rUnit: rUnit, rPerson: rPerson, rLead: rLead, rReportedBy: rReportedBy, rBase: "revision"})
		p := &schema.Project{Common: schema.Common{Schema: schema.SchemaProject, DepartmentID: rd.opts.DepartmentID, Source: src,
			ReportedBy: c.text(rReportedBy)},
			ProjectID: narrow(c.text(rProject)), NameZh: c.text(rNameZh), NameEn: c.text(rNameEn), Region: c.text(rRegion),
			ResponsibleUnit: c.text(rUnit), ResponsiblePerson: c.text(rPerson), LeadOfficial: c.text(rLead)}
		if p.ReportedBy == "" {
			p.ReportedBy = rd.opts.ReportedBy
		}
		cat, _ := schema.ParseCategory(narrow(c.text(rCategory)))
		p.Category = cat
		st, _ := schema.ParseStage(narrow(c.text(rStage)))
		p.Stage = st
		if !c.bad[rTotal] {
			p.TotalInvestmentWan = c.wan(&rec, rTotal, rTotal)
		}
		if s := c.text(rBase); s != "" && !c.bad["revision"] {
			if c.numeric(rBase) {
				s = strings.TrimSuffix(s, ".0")
			}
			if n, ok := schema.ParseRevisionText(s); ok {
				u.Bases[r.num] = n
			} else {
				c.problem(&rec, "revision", rBase, s, schema.RuleRange,
					strconv.Quote(s)+" is not a revision; expected the 登记版本 the template was downloaded with (a whole number ≥ 1), or an empty cell for a new project",
					"“"+s+"”不是登记版本，应为下载模板时的版本号（不小于1的整数），新项目留空")
			}
		}
		if j, dup := firstRow[p.ProjectID]; dup && p.ProjectID != "" {
			c.problem(&rec, rProject, rProject, p.ProjectID, schema.RuleConsistency,
				"project "+p.ProjectID+" is also row "+strconv.Itoa(j)+" of sheet "+ProjectsSheet+"; expected each project in one row",
				"项目编号 "+p.ProjectID+" 与第"+strconv.Itoa(j)+"行重复，每个项目只能占一行")
		} else if p.ProjectID != "" {
			firstRow[p.ProjectID] = r.num
			byID[p.ProjectID] = len(in.Records)
		}
		rec.Event = p
		in.Records = append(in.Records, rec)
		pr.bads = append(pr.bads, c.bad)
	}
	// project returns the registration a plan or milestone row belongs
	// to, or records the row's problem.
	project := func(c *cellReader, what, whatZh string) (*submit.Record, *schema.Project) {
		id := narrow(c.text(rProject))
		i, ok := byID[id]
		if !ok {
			if id == "" {
				c.problem(nil, "", rProject, "", schema.RuleRequired,
					"is empty; expected the id of a project of sheet "+ProjectsSheet+" that the "+what+" belongs to",
					"项目编号为空，应填写该"+whatZh+"所属项目（“"+ProjectsSheet+"”表中的项目编号）")
			} else {
				c.problem(nil, "", rProject, id, RuleUnknownProject,
					"project "+id+" is not a row of sheet "+ProjectsSheet+"; expected the id of a project listed there (add the project's row, or correct the id)",
					"项目编号 "+id+" 不在“"+ProjectsSheet+"”表中；请在“"+ProjectsSheet+"”表中填写该项目，或改正项目编号")
			}
			return nil, nil
		}
		rec := &in.Records[i]
		c.line = rec.Line
		c.bad = pr.bads[i]
		return rec, rec.Event.(*schema.Project)
	}
	for _, r := range plans.rows {
		c := &cellReader{pr: pr, s: plans, r: r}
		rec, p := project(c, "plan", "年度计划")
		if p == nil {
			continue
		}
		ep := "annual_plans[" + strconv.Itoa(len(p.AnnualPlans)) + "]"
		c.at(ep+".year", rYear)
		c.at(ep+".amount_wan", rAmount)
		c.at(ep+".monthly_wan", rYear)
		c.at(ep, rYear)
		paths := map[string]string{rProject: rProject, rYear: ep + ".year", rAmount: ep + ".amount_wan"}
		for m := 1; m <= 12; m++ {
			k := rMonth + strconv.Itoa(m)
			paths[k] = ep + ".monthly_wan[" + strconv.Itoa(m-1) + "]"
			c.at(paths[k], k)
		}
		c.formulas(rec, paths)
		var ap schema.AnnualPlan
		if y := c.text(rYear); y != "" {
			t := narrow(y)
			if c.numeric(rYear) {
				t = strings.TrimSuffix(t, ".0")
			}
			n, err := strconv.Atoi(t)
			if err != nil || len(t) != 4 {
				c.problem(rec, ep+".year", rYear, y, schema.RuleRange,
					strconv.Quote(y)+" is not a year; expected four digits such as 2026", "不是年份，应为四位数字，如 2026")
			}
			ap.Year = n
		}
		if !c.bad[ep+".amount_wan"] {
			ap.AmountWan = c.wan(rec, ep+".amount_wan", rAmount)
		}
		anyMonth := false
		for m := 1; m <= 12; m++ {
			anyMonth = anyMonth || c.text(rMonth+strconv.Itoa(m)) != ""
		}
		if anyMonth {
			for m := 1; m <= 12; m++ {
				w := schema.NewWan(decimal.Zero) // a month left empty has nothing planned
				if k := rMonth + strconv.Itoa(m); c.text(k) != "" && !c.bad[paths[k]] {
					w = c.wan(rec, paths[k], k)
				}
				ap.MonthlyWan = append(ap.MonthlyWan, w)
			}
		}
		p.AnnualPlans = append(p.AnnualPlans, ap)
	}
	for _, r := range mss.rows {
		c := &cellReader{pr: pr, s: mss, r: r}
		rec, p := project(c, "milestone", "节点")
		if p == nil {
			continue
		}
		ep := "milestones[" + strconv.Itoa(len(p.Milestones)) + "]"
		c.at(ep+".milestone_id", rMilestoneID)
		c.at(ep+".title", rTitle)
		c.at(ep+".planned_date", rPlanned)
		c.at(ep, rMilestoneID)
		c.formulas(rec, map[string]string{rProject: rProject, rMilestoneID: ep + ".milestone_id", rTitle: ep + ".title", rPlanned: ep + ".planned_date"})
		p.Milestones = append(p.Milestones, schema.PlannedMilestone{MilestoneID: narrow(c.text(rMilestoneID)), Title: c.text(rTitle), PlannedDate: c.date(rPlanned)})
	}
	// Validate each registration as it was read, naming each problem's
	// cell; fields the reader already reported are not reported again.
	for i := range in.Records {
		rec := &in.Records[i]
		p := rec.Event.(*schema.Project)
		verr := p.Validate(rd.now)
		ve, ok := verr.(*schema.ValidationError)
		if !ok {
			continue
		}
		var probs []schema.FieldError
		for _, fe := range ve.Errors {
			if pr.bads[i][fe.Field] || fe.Field == "revision" || fe.Field == "department_id" && rd.opts.DepartmentID == "" {
				continue // the revision is the intake's to number; the department, the signed-in one's
			}
			if c, ok := u.cells[rec.Line][fe.Field]; ok {
				fe.Field = c.label
			}
			probs = append(probs, fe)
		}
		if len(probs) > 0 || len(rec.Problems) > 0 {
			rec.Problems = append(rec.Problems, probs...)
			if len(rec.Problems) == 0 {
				rec.Problems = nil
			}
		}
	}
}
