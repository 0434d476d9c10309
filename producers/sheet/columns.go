package sheet

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// infoHeaders are the columns a sheet may have that are read by people, not
// by kpp: the template's reference columns and the usual leading columns of
// a department's own sheet. Their cells are ignored.
var infoHeaders = []string{
	"序号", "项目名称", "年度计划投资", "年度计划", "本年计划投资", "上月本年累计", "截至上月本年累计",
}

// Field names of the event that the reader fills, besides the common ones.
const (
	fProject    = "project_id"
	fDepartment = "department_id"
	fRevision   = "revision"
	fReportedBy = "reported_by"
	fReportedAt = "reported_at"
	fSource     = "source"
	fSchema     = "schema"
	fPeriod     = "period"
	fMonth      = "month_completed_wan"
	fYTD        = "ytd_completed_wan"
	fSinceStart = "since_start_completed_wan"
	fProgress   = "physical_progress"
	fProblems   = "problems"
	fNextSteps  = "next_steps"
	fCorrection = "correction_reason"
)

// figureFields are the cells a clerk fills for a report: a row with all of
// them empty (a project row of the template left as it came) is skipped.
var figureFields = []string{fMonth, fYTD, fSinceStart, fProgress, fProblems, fNextSteps, fCorrection, fRevision}

// column is one recognised column of the header row.
type column struct {
	// index is the 0-based column position.
	index int
	// header is the header cell as written (trimmed), used in problems.
	header string
	// field is the event field the column fills; "" for an informational
	// column whose cells are ignored.
	field string
	// money columns are amounts; factor converts the column's unit to 万元.
	money  bool
	unit   string
	factor decimal.Decimal
}

// vocabulary is what a header cell may name: the investment-report and
// common columns of producers/submit (the same names `kpp submit` accepts
// in CSV) plus the informational ones.
type vocabulary struct {
	cols      []submit.Column
	milestone map[string]bool // names of milestone-only columns
}

func newVocabulary() vocabulary {
	v := vocabulary{milestone: map[string]bool{}}
	for _, c := range submit.Columns() {
		inv := false
		for _, k := range c.Kinds {
			inv = inv || k == schema.KindInvestment
		}
		if inv {
			v.cols = append(v.cols, c)
			continue
		}
		if c.Field == "note" {
			continue // 备注 is also a common column of report sheets
		}
		v.milestone[c.Field] = true
		for _, z := range c.Chinese {
			v.milestone[z] = true
		}
	}
	return v
}

// lookup finds the column a header name (without its unit) stands for.
// info is true for an informational column.
func (v vocabulary) lookup(name string) (c submit.Column, info, ok bool) {
	lower := strings.ToLower(name)
	for _, c := range v.cols {
		if lower == c.Field {
			return c, false, true
		}
		for _, z := range c.Chinese {
			if name == z {
				return c, false, true
			}
		}
	}
	for _, z := range infoHeaders {
		if name == z {
			return submit.Column{}, true, true
		}
	}
	return submit.Column{}, false, false
}

// accepted lists the accepted header names, for messages.
func (v vocabulary) accepted() string {
	var parts []string
	for _, c := range v.cols {
		s := strings.Join(c.Chinese, "/")
		if c.Unit != "" {
			s += "（" + c.Unit + "）"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ") + "; ignored: " + strings.Join(infoHeaders, ", ")
}

// required lists the fields a report sheet must have a column for.
func (v vocabulary) required() []submit.Column {
	var out []submit.Column
	for _, c := range v.cols {
		if c.Required {
			out = append(out, c)
		}
	}
	return out
}

// headerName removes every space (also full-width, and line breaks in
// wrapped headers) and a trailing required-mark '*', and splits off a unit
// written in ASCII or full-width parentheses:
// "本月完成\n投资（万元）" is ("本月完成投资", "万元").
func headerName(cell string) (name, unit string) {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, cell)
	s = strings.TrimRight(s, "*＊")
	s = strings.NewReplacer("（", "(", "）", ")").Replace(s)
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndex(s, "("); i > 0 {
			return s[:i], s[i+1 : len(s)-1]
		}
	}
	return s, ""
}

// units are the money units a header (or a 单位：… line above it) may name,
// with the factor that converts them to 万元.
var units = map[string]decimal.Decimal{
	"万元": decimal.NewFromInt(1),
	"万":  decimal.NewFromInt(1),
	"亿元": decimal.NewFromInt(10000),
	"亿":  decimal.NewFromInt(10000),
	"千元": decimal.RequireFromString("0.1"),
	"元":  decimal.RequireFromString("0.0001"),
}

// canonicalUnit writes 万 as 万元 and 亿 as 亿元.
func canonicalUnit(u string) string {
	if u == "万" || u == "亿" {
		return u + "元"
	}
	return u
}

var sheetUnitRE = regexp.MustCompile(`单位\s*[:：]\s*(万元|亿元|千元|元|万|亿)`)

// sheetUnit finds a "单位：万元" line in the rows above the header.
func sheetUnit(rows []row) string {
	for _, r := range rows {
		for _, c := range r.cells {
			if m := sheetUnitRE.FindStringSubmatch(c); m != nil {
				return canonicalUnit(m[1])
			}
		}
	}
	return ""
}

// isHeader tells whether a row is the header row: it names the project id
// column and at least two other columns kpp knows.
func (v vocabulary) isHeader(cells []string) bool {
	known, project := 0, false
	for _, cell := range cells {
		name, _ := headerName(cell)
		if name == "" {
			continue
		}
		if c, info, ok := v.lookup(name); ok {
			known++
			project = project || (!info && c.Field == fProject)
		}
	}
	return project && known >= 3
}

// header is the parsed header row.
type header struct {
	row     int
	columns []column          // recognised columns, in sheet order
	byField map[string]column // event field → column
	// known are the positions of the recognised columns; cells elsewhere
	// (under an empty header cell, or right of the header) must be empty.
	known map[int]bool
}

// parseHeader reads the header row; problems concern the whole file.
func (rd *reader) parseHeader(r row, defUnit string) (*header, []submit.Problem) {
	h := &header{row: r.num, byField: map[string]column{}, known: map[int]bool{}}
	var probs []submit.Problem
	prob := func(col int, cell, en, zh string) {
		probs = append(probs, submit.Problem{File: rd.name, Line: r.num, FieldError: schema.FieldError{
			Field: rd.label(strings.TrimSpace(cell), col, r.num), Value: cell, Rule: submit.RuleColumn, MessageEn: en, MessageZh: zh}})
	}
	if defUnit == "" {
		defUnit = "万元"
	}
	for i, cell := range r.cells {
		name, unit := headerName(cell)
		if name == "" {
			continue
		}
		c, info, ok := rd.vocab.lookup(name)
		switch {
		case !ok && rd.vocab.milestone[name]:
			prob(i, cell, "is a column of milestone updates; a sheet upload holds monthly investment reports (send milestone updates through the web form, the API or kpp submit)",
				"是节点进展的列；上传的表格应为投资完成月报（节点进展请通过网页表单、接口或 kpp submit 报送）")
			continue
		case !ok:
			prob(i, cell, "is not a column of the monthly report; expected one of: "+rd.vocab.accepted()+" (download the template to see them)",
				"不是月报的列，可用的列为："+rd.vocab.accepted()+"（可下载模板查看）")
			continue
		case info:
			h.columns = append(h.columns, column{index: i, header: strings.TrimSpace(cell)})
			h.known[i] = true
			continue
		}
		col := column{index: i, header: strings.TrimSpace(cell), field: c.Field}
		if c.Unit == "万元" {
			col.money = true
			if unit == "" {
				unit = defUnit
			}
			f, ok := units[unit]
			if !ok {
				prob(i, cell, "the unit "+unit+" is not a unit of money; expected 万元, 亿元, 千元 or 元",
					"单位“"+unit+"”不是金额单位，应为万元、亿元、千元或元")
				continue
			}
			col.unit, col.factor = canonicalUnit(unit), f
		} else if unit != "" {
			prob(i, cell, "the column "+c.Field+" has no unit; expected the header without "+unit,
				"该列没有单位，表头不应带“"+unit+"”")
			continue
		}
		if prev, dup := h.byField[c.Field]; dup {
			prob(i, cell, "repeats column "+colName(prev.index)+" ("+prev.header+"); expected each column once",
				"与"+colName(prev.index)+"列（"+prev.header+"）重复，每列只能出现一次")
			continue
		}
		h.byField[c.Field] = col
		h.columns = append(h.columns, col)
		h.known[i] = true
	}
	for _, c := range rd.vocab.required() {
		if _, ok := h.byField[c.Field]; ok {
			continue
		}
		if (c.Field == fDepartment && rd.opts.DepartmentID != "") || (c.Field == fReportedBy && rd.opts.ReportedBy != "") {
			continue
		}
		probs = append(probs, submit.Problem{File: rd.name, Line: r.num, FieldError: schema.FieldError{
			Field: "header", Value: c.Field, Rule: submit.RuleColumn,
			MessageEn: "the column " + strings.Join(c.Chinese, "/") + " (" + c.Field + ") is missing from the header row " + strconv.Itoa(r.num) + rd.where() + "; expected it (download the template to see the columns)",
			MessageZh: rd.whereZh() + "第" + strconv.Itoa(r.num) + "行表头缺少必填列：" + strings.Join(c.Chinese, "/") + "（可下载模板查看）"}})
	}
	return h, probs
}

// colName is the column's letters, e.g. D.
func colName(i int) string {
	s := ""
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		s = string(rune('A'+(n-1)%26)) + s
	}
	return s
}

// narrow writes full-width digits, letters and punctuation as ASCII
// ("１２３４．５" → "1234.5") and trims spaces, also the full-width space and
// no-break space: [schema.FoldText].
func narrow(s string) string { return schema.FoldText(s) }
