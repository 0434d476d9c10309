package submit

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// Column is a column of the CSV formats.
type Column struct {
	// Field is the English header: the event's JSON field name.
	Field string
	// Chinese are the accepted Chinese headers.
	Chinese []string
	// Unit is the only unit a header may name in parentheses (万元, %), or
	// "" when the column has none.
	Unit string
	// Kinds are the kinds of file the column belongs to.
	Kinds []schema.Kind
	// Required columns must be in the header.
	Required bool
}

// Columns returns the CSV columns, common ones first, as the package
// documentation lists them.
func Columns() []Column {
	out := make([]Column, len(columns))
	for i, c := range columns {
		c.Chinese = append([]string(nil), c.Chinese...)
		c.Kinds = append([]schema.Kind(nil), c.Kinds...)
		out[i] = c
	}
	return out
}

var (
	both = []schema.Kind{schema.KindInvestment, schema.KindMilestone}
	inv  = []schema.Kind{schema.KindInvestment}
	ms   = []schema.Kind{schema.KindMilestone}
)

// columns is the CSV vocabulary, in the order the package documentation
// lists it. Keep the two in step (a test checks that every name is
// documented).
var columns = []Column{
	{Field: "project_id", Chinese: []string{"项目编号"}, Kinds: both, Required: true},
	{Field: "department_id", Chinese: []string{"部门编号", "责任单位编号"}, Kinds: both, Required: true},
	{Field: "revision", Chinese: []string{"版本", "版本号"}, Kinds: both},
	{Field: "reported_by", Chinese: []string{"填报人"}, Kinds: both, Required: true},
	{Field: "reported_at", Chinese: []string{"填报时间"}, Kinds: both},
	{Field: "source", Chinese: []string{"来源"}, Kinds: both},
	{Field: "schema", Chinese: []string{"事件类型"}, Kinds: both},

	{Field: "period", Chinese: []string{"月份", "报告期"}, Kinds: inv, Required: true},
	{Field: "month_completed_wan", Chinese: []string{"本月完成投资", "本月完成"}, Unit: "万元", Kinds: inv, Required: true},
	{Field: "ytd_completed_wan", Chinese: []string{"本年累计完成", "本年累计完成投资"}, Unit: "万元", Kinds: inv, Required: true},
	{Field: "since_start_completed_wan", Chinese: []string{"自开工累计完成", "开累完成", "自开工累计完成投资"}, Unit: "万元", Kinds: inv},
	{Field: "physical_progress", Chinese: []string{"形象进度"}, Kinds: inv},
	{Field: "problems", Chinese: []string{"存在问题"}, Kinds: inv},
	{Field: "next_steps", Chinese: []string{"下步计划"}, Kinds: inv},
	{Field: "correction_reason", Chinese: []string{"更正原因"}, Kinds: inv},

	{Field: "milestone_id", Chinese: []string{"节点编号"}, Kinds: ms, Required: true},
	{Field: "title", Chinese: []string{"节点名称"}, Kinds: ms},
	{Field: "status", Chinese: []string{"状态"}, Kinds: ms, Required: true},
	{Field: "planned_date", Chinese: []string{"计划日期"}, Kinds: ms},
	{Field: "forecast_date", Chinese: []string{"预计日期"}, Kinds: ms},
	{Field: "actual_date", Chinese: []string{"实际日期"}, Kinds: ms},
	{Field: "as_of", Chinese: []string{"评估日期"}, Kinds: ms, Required: true},
	{Field: "percent_complete", Chinese: []string{"完成百分比"}, Unit: "%", Kinds: ms},
	{Field: "note", Chinese: []string{"备注"}, Kinds: ms},
}

func (c Column) of(k schema.Kind) bool {
	for _, ck := range c.Kinds {
		if ck == k {
			return true
		}
	}
	return false
}

// label renders "field (中文名, 别名)".
func (c Column) label() string {
	s := c.Field + " (" + strings.Join(c.Chinese, ", ") + ")"
	if c.Unit != "" {
		s += " [" + c.Unit + "]"
	}
	return s
}

// lookupColumn finds the column a header cell names, by English name
// (case-insensitive) or Chinese name.
func lookupColumn(name string) (Column, bool) {
	lower := strings.ToLower(name)
	for _, c := range columns {
		if lower == c.Field {
			return c, true
		}
		for _, z := range c.Chinese {
			if name == z {
				return c, true
			}
		}
	}
	return Column{}, false
}

// splitHeader splits a header cell into its name and the unit written
// after it in ASCII or full-width parentheses: "本月完成投资（万元）" is
// ("本月完成投资", "万元"). Surrounding spaces (also full-width) go.
func splitHeader(h string) (name, unit string) {
	h = strings.TrimSpace(h)
	for _, p := range [][2]string{{"(", ")"}, {"（", "）"}, {"(", "）"}, {"（", ")"}} {
		if strings.HasSuffix(h, p[1]) {
			if i := strings.LastIndex(h, p[0]); i > 0 {
				return strings.TrimSpace(h[:i]), strings.TrimSpace(h[i+len(p[0]) : len(h)-len(p[1])])
			}
		}
	}
	return h, ""
}

func sameUnit(want, got string) bool {
	if want == "%" {
		return got == "%" || got == "％"
	}
	return got == want
}

func acceptedColumns(k schema.Kind) string {
	var parts []string
	for _, c := range columns {
		if c.of(k) {
			parts = append(parts, c.label())
		}
	}
	return strings.Join(parts, ", ")
}

func kindNameEn(k schema.Kind) string {
	if k == schema.KindMilestone {
		return "milestone updates"
	}
	return "investment reports"
}

func kindNameZh(k schema.Kind) string {
	if k == schema.KindMilestone {
		return "节点进展"
	}
	return "投资完成月报"
}

// csvHeader is a parsed header row: the field of each column position.
type csvHeader struct {
	kind   schema.Kind
	fields []string
}

func colField(i int) string { return "column " + strconv.Itoa(i+1) }

func parseHeader(name string, row []string) (csvHeader, []Problem) {
	prob := func(field, value, en, zh string) Problem {
		return Problem{File: name, Line: 1, FieldError: schema.FieldError{Field: field, Value: value, Rule: RuleColumn, MessageEn: en, MessageZh: zh}}
	}
	var h csvHeader
	found := map[string]bool{}
	for _, cell := range row {
		n, _ := splitHeader(cell)
		if c, ok := lookupColumn(n); ok {
			found[c.Field] = true
		}
	}
	switch {
	case found["milestone_id"]:
		h.kind = schema.KindMilestone
	case found["period"]:
		h.kind = schema.KindInvestment
	default:
		return h, []Problem{prob("header", strings.Join(row, ","),
			"cannot tell what the file holds; expected a milestone_id (节点编号) column for milestone updates or a period (月份) column for investment reports (project registrations go in JSON Lines)",
			"无法判断文件内容：节点进展应有“节点编号”列，投资完成月报应有“月份”列（项目登记请用 JSON Lines）")}
	}
	var probs []Problem
	h.fields = make([]string, len(row))
	seen := map[string]int{}
	for i, cell := range row {
		n, unit := splitHeader(cell)
		c, ok := lookupColumn(n)
		switch {
		case n == "":
			// An unnamed column, as spreadsheets write after the last one:
			// its cells must stay empty (checked per row).
			continue
		case !ok || !c.of(h.kind):
			probs = append(probs, prob(colField(i), cell,
				"is not a column of "+kindNameEn(h.kind)+"; expected one of: "+acceptedColumns(h.kind),
				"不是"+kindNameZh(h.kind)+"的列，可用的列为："+acceptedColumns(h.kind)))
			continue
		case unit != "" && !sameUnit(c.Unit, unit):
			want := "no unit"
			wantZh := "不带单位"
			if c.Unit != "" {
				want, wantZh = "the unit "+c.Unit, "单位应为"+c.Unit
			}
			probs = append(probs, prob(colField(i), cell,
				"the unit "+unit+" is not accepted for "+c.Field+"; expected "+want,
				"单位“"+unit+"”不正确，"+wantZh))
			continue
		}
		if j, dup := seen[c.Field]; dup {
			probs = append(probs, prob(colField(i), cell,
				"repeats column "+strconv.Itoa(j+1)+" ("+c.Field+"); expected each column once",
				"与第"+strconv.Itoa(j+1)+"列（"+c.Field+"）重复，每列只能出现一次"))
			continue
		}
		seen[c.Field] = i
		h.fields[i] = c.Field
	}
	for _, c := range columns {
		if c.Required && c.of(h.kind) {
			if _, ok := seen[c.Field]; !ok && !found[c.Field] {
				probs = append(probs, prob("header", c.Field,
					"the column "+c.label()+" is missing; expected it in "+kindNameEn(h.kind),
					kindNameZh(h.kind)+"缺少必填列："+c.label()))
			}
		}
	}
	return h, probs
}

func readCSV(name string, r io.Reader) (*Input, error) {
	in := &Input{Name: name, Format: FormatCSV}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		in.Problems = append(in.Problems, Problem{File: name, FieldError: schema.FieldError{Rule: RuleFile,
			MessageEn: "the file is empty; expected a header row naming the columns", MessageZh: "文件为空，应有表头行"}})
		return in, nil
	}
	if err != nil {
		return csvError(in, err)
	}
	head[0] = strings.TrimPrefix(head[0], "\uFEFF")
	h, probs := parseHeader(name, head)
	if len(probs) > 0 {
		in.Problems = append(in.Problems, probs...)
		return in, nil
	}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return in, nil
		}
		if err != nil {
			return csvError(in, err)
		}
		line, _ := cr.FieldPos(0)
		if blank(row) {
			continue
		}
		in.Records = append(in.Records, h.record(line, row))
	}
}

// csvError records a CSV syntax error as a problem of the file: the rest
// of the file cannot be trusted, so nothing of it is published.
func csvError(in *Input, err error) (*Input, error) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return nil, fmt.Errorf("read %s: %w", in.Name, err)
	}
	in.Problems = append(in.Problems, Problem{File: in.Name, Line: pe.StartLine, FieldError: schema.FieldError{
		Field: "row", Rule: RuleRow,
		MessageEn: pe.Err.Error() + " at byte " + strconv.Itoa(pe.Column) + " of line " + strconv.Itoa(pe.Line) + "; expected RFC 4180 CSV (a cell with a quote, comma or line break is quoted, quotes doubled)",
		MessageZh: "CSV格式错误（第" + strconv.Itoa(pe.Line) + "行第" + strconv.Itoa(pe.Column) + "字节）：含引号、逗号或换行的单元格应加双引号，引号写两次"}})
	return in, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// record builds the event of one row.
func (h csvHeader) record(line int, row []string) Record {
	rec := Record{Line: line}
	if len(row) < len(h.fields) || (len(row) > len(h.fields) && !blank(row[len(h.fields):])) {
		rec.Problems = []schema.FieldError{{Field: "row", Value: strings.Join(row, ","), Rule: RuleRow,
			MessageEn: "has " + strconv.Itoa(len(row)) + " cells; expected " + strconv.Itoa(len(h.fields)) + " as in the header",
			MessageZh: "该行有" + strconv.Itoa(len(row)) + "个单元格，应与表头一致（" + strconv.Itoa(len(h.fields)) + "个）"}}
		return rec
	}
	v := map[string]string{}
	var l []schema.FieldError
	for i, f := range h.fields {
		cell := strings.TrimSpace(row[i])
		if f != "" {
			v[f] = cell
		} else if cell != "" {
			l = append(l, schema.FieldError{Field: colField(i), Value: cell, Rule: RuleRow,
				MessageEn: "is under a column without a header; expected a header naming the column, or an empty cell",
				MessageZh: "该单元格所在列没有表头，应补充表头或清空单元格"})
		}
	}
	c := commonOf(v, h.kind, &l)
	switch h.kind {
	case schema.KindInvestment:
		rec.Event = &schema.InvestmentReport{
			Common:                 c,
			ProjectID:              schema.FoldText(v["project_id"]),
			Period:                 period(v["period"]),
			MonthCompletedWan:      schema.ParseWanText(v["month_completed_wan"]),
			YTDCompletedWan:        schema.ParseWanText(v["ytd_completed_wan"]),
			SinceStartCompletedWan: schema.ParseWanText(v["since_start_completed_wan"]),
			PhysicalProgress:       v["physical_progress"],
			Problems:               v["problems"],
			NextSteps:              v["next_steps"],
			CorrectionReason:       v["correction_reason"],
		}
	case schema.KindMilestone:
		st, _ := schema.ParseMilestoneStatus(v["status"])
		rec.Event = &schema.MilestoneUpdate{
			Common:          c,
			ProjectID:       schema.FoldText(v["project_id"]),
			MilestoneID:     schema.FoldText(v["milestone_id"]),
			Title:           v["title"],
			Status:          st,
			PlannedDate:     date(v["planned_date"]),
			ForecastDate:    date(v["forecast_date"]),
			ActualDate:      date(v["actual_date"]),
			AsOf:            date(v["as_of"]),
			PercentComplete: percent(v["percent_complete"], &l),
			Note:            v["note"],
		}
	}
	if len(l) > 0 {
		// The rest of the row is validated too, so that one pass lists
		// every problem; the fields with a problem above are not repeated.
		bad := map[string]bool{}
		for _, fe := range l {
			bad[fe.Field] = true
		}
		if ve, ok := rec.Event.Validate(time.Time{}).(*schema.ValidationError); ok { // the clock is submit's: not the future month
			for _, fe := range ve.Errors {
				if !bad[fe.Field] {
					l = append(l, fe)
				}
			}
		}
		rec.Problems = l
	}
	return rec
}

func commonOf(v map[string]string, k schema.Kind, l *[]schema.FieldError) schema.Common {
	c := schema.Common{
		Schema:       k.SchemaID(),
		DepartmentID: schema.FoldText(v["department_id"]),
		Revision:     1,
		ReportedBy:   v["reported_by"],
		Source:       v["source"],
	}
	if s := v["schema"]; s != "" {
		c.Schema = s
	}
	if s := v["revision"]; s != "" {
		n, ok := schema.ParseRevisionText(s)
		switch {
		case !ok:
			*l = append(*l, schema.RevisionTextProblem("revision", s))
		case n > 0:
			c.Revision = n
		}
	}
	if s := v["reported_at"]; s != "" {
		t, ok := schema.ParseTimeText(s)
		if !ok {
			*l = append(*l, schema.TimeTextProblem("reported_at", s))
		} else {
			c.ReportedAt = &t
		}
	}
	return c
}

// period reads a month with [schema.ParsePeriodText]; a text it does not
// accept is left for validation to report.
func period(s string) string {
	p, _ := schema.ParsePeriodText(s)
	return p
}

// date reads a date with [schema.ParseDateText]; a text it does not
// accept is left for validation to report.
func date(s string) string {
	d, _ := schema.ParseDateText(s)
	return d
}

func percent(s string, l *[]schema.FieldError) *decimal.Decimal {
	d, fe := schema.ParsePercentText("percent_complete", s)
	if fe != nil {
		*l = append(*l, *fe)
	}
	return d
}
