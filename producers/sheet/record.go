package sheet

import (
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// rowReader builds the event of one row, collecting the problems of its
// cells.
type rowReader struct {
	rd    *reader
	h     *header
	r     row
	probs []cellProblem
	bad   map[string]bool // fields with a problem of the reader's own
}

// cellProblem is a problem with the column it concerns, by which a row's
// problems are ordered (noColumn: after the cells).
type cellProblem struct {
	col int
	fe  schema.FieldError
}

const noColumn = 1 << 30

func (x *rowReader) text(field string) string {
	c, ok := x.h.byField[field]
	if !ok {
		return ""
	}
	return strings.TrimSpace(x.r.cell(c.index))
}

func (x *rowReader) numeric(field string) bool {
	c, ok := x.h.byField[field]
	return ok && x.rd.info.numeric(x.r, c.index)
}

func (x *rowReader) label(field string) string {
	c := x.h.byField[field]
	return x.rd.label(c.header, c.index, x.r.num)
}

func (x *rowReader) problem(field, value string, rule schema.Rule, en, zh string) {
	x.probs = append(x.probs, cellProblem{x.h.byField[field].index,
		schema.FieldError{Field: x.label(field), Value: value, Rule: rule, MessageEn: en, MessageZh: zh}})
	x.bad[field] = true
}

// record reads one report row. skip is true for a row without figures.
func (rd *reader) record(h *header, r row) (rec submit.Record, skip bool, err error) {
	x := &rowReader{rd: rd, h: h, r: r, bad: map[string]bool{}}
	rec.Line = r.num
	for i := range r.cells {
		if !h.known[i] && strings.TrimSpace(r.cells[i]) != "" {
			x.probs = append(x.probs, cellProblem{i, schema.FieldError{Field: rd.label("", i, r.num), Value: strings.TrimSpace(r.cells[i]), Rule: submit.RuleRow,
				MessageEn: "is under a column without a header; expected a header naming the column, or an empty cell",
				MessageZh: "该单元格所在列没有表头，应补充表头或清空单元格"}})
		}
	}
	formulas := false
	for _, c := range h.columns {
		if c.field == "" {
			continue
		}
		f, err := rd.info.formula(r, c.index)
		if err != nil {
			return rec, false, err
		}
		if f != "" {
			formulas = true
			ref := colName(c.index) + strconv.Itoa(r.num)
			x.problem(c.field, "="+f, RuleFormula,
				ref+" contains a formula ="+f+"; enter the value (copy the cells, then Paste Special → Values)",
				ref+"单元格是公式 ="+f+"，请填写数值（复制后“选择性粘贴→数值”）")
		}
	}
	if !formulas && len(x.probs) == 0 {
		empty := true
		for _, f := range figureFields {
			empty = empty && x.text(f) == ""
		}
		if empty {
			return rec, true, nil
		}
	}
	ev := x.event()
	if verr := ev.Validate(rd.now); verr != nil {
		if ve, ok := verr.(*schema.ValidationError); ok {
			for _, fe := range ve.Errors {
				if x.bad[fe.Field] {
					continue
				}
				col := noColumn
				if c, ok := h.byField[fe.Field]; ok {
					if v := x.text(fe.Field); v != "" {
						fe.Value = v
					}
					fe.Field, col = x.label(fe.Field), c.index
				}
				x.probs = append(x.probs, cellProblem{col, fe})
			}
		} else {
			x.probs = append(x.probs, cellProblem{noColumn, schema.FieldError{Rule: schema.RuleDecode, MessageEn: verr.Error(), MessageZh: verr.Error()}})
		}
	}
	if len(x.probs) > 0 {
		sort.SliceStable(x.probs, func(i, j int) bool { return x.probs[i].col < x.probs[j].col })
		rec.Problems = make([]schema.FieldError, len(x.probs))
		for i, p := range x.probs {
			rec.Problems[i] = p.fe
		}
		rec.Event = ev // as far as it was read: the intake checks it against the stored months too
		return rec, false, nil
	}
	rec.Event = ev
	return rec, false, nil
}

// event builds the row's investment report; cells it cannot read are
// recorded as problems (and left for validation where its message serves).
func (x *rowReader) event() *schema.InvestmentReport {
	rd := x.rd
	src := rd.opts.Source
	if src == "" {
		src = string(rd.up.Input.Format)
	}
	ev := &schema.InvestmentReport{
		Common: schema.Common{
			Schema:       schema.SchemaInvestment,
			DepartmentID: rd.opts.DepartmentID,
			Revision:     1,
			ReportedBy:   x.text(fReportedBy),
			Source:       src,
		},
		ProjectID:        narrow(x.text(fProject)),
		Period:           x.period(),
		PhysicalProgress: x.text(fProgress),
		Problems:         x.text(fProblems),
		NextSteps:        x.text(fNextSteps),
		CorrectionReason: x.text(fCorrection),
	}
	ev.MonthCompletedWan = x.money(fMonth)
	ev.YTDCompletedWan = x.money(fYTD)
	ev.SinceStartCompletedWan = x.money(fSinceStart)
	if ev.ReportedBy == "" {
		ev.ReportedBy = rd.opts.ReportedBy
	}
	if s := narrow(x.text(fSchema)); s != "" {
		ev.Schema = s
	}
	if s := narrow(x.text(fSource)); s != "" {
		ev.Source = s
	}
	if d := narrow(x.text(fDepartment)); d != "" {
		if rd.opts.DepartmentID != "" && d != rd.opts.DepartmentID {
			x.problem(fDepartment, d, RuleOtherDepartment,
				"is department "+d+", but the upload is signed in as "+rd.opts.DepartmentID+"; a department reports only its own projects (expected "+rd.opts.DepartmentID+" or an empty cell)",
				"该行部门为 "+d+"，当前登录部门为 "+rd.opts.DepartmentID+"，只能报送本部门项目（应填 "+rd.opts.DepartmentID+" 或留空）")
		}
		ev.DepartmentID = d
	}
	if s := x.text(fRevision); s != "" {
		if x.numeric(fRevision) {
			s = strings.TrimSuffix(s, ".0") // a number cell: 2 is stored as 2 or 2.0
		}
		n, ok := schema.ParseRevisionText(s)
		if !ok {
			fe := schema.RevisionTextProblem("", s)
			x.problem(fRevision, fe.Value, fe.Rule, fe.MessageEn, fe.MessageZh)
			n = 1
		}
		if n > 0 {
			ev.Revision = n
		}
	}
	if s := x.text(fReportedAt); s != "" {
		if t, ok := x.time(s); ok {
			ev.ReportedAt = &t
		} else {
			x.problem(fReportedAt, s, schema.RuleDate,
				"is not a time; expected 2025-10-03 09:30 (Beijing time), a date-time cell, or RFC 3339 such as 2025-10-03T09:30:00+08:00",
				"不是有效时间，应为 2025-10-03 09:30（北京时间）、日期时间格式的单元格或 2025-10-03T09:30:00+08:00")
		}
	}
	return ev
}

// maxDigits is the precision of an Excel number: it shows and computes
// with 15 significant digits, so 1357.0245999999999 (a pasted formula
// result) is the 1357.0246 the clerk saw.
const maxDigits = 15

// money reads an amount cell and converts it to 万元: a text cell with
// [schema.ParseWanText] (full-width digits and thousands separators in
// their places are accepted), a number cell rounded to Excel's 15
// significant digits. A cell that is not a number is kept raw for
// validation to report.
func (x *rowReader) money(field string) schema.Wan {
	raw := x.text(field)
	if raw == "" {
		return schema.Wan{}
	}
	var d decimal.Decimal
	if x.numeric(field) {
		v, err := schema.ParseFloatText(raw) // bounded: a crafted cell may hold any text
		if err != nil {
			return schema.Wan{Raw: raw, Set: true}
		}
		d = excelDigits(v)
	} else {
		w := schema.ParseWanText(raw)
		if !w.Valid() {
			return schema.Wan{Raw: raw, Set: true}
		}
		d = w.Value
	}
	c := x.h.byField[field]
	if c.unit == "万元" {
		return schema.NewWan(d)
	}
	wan := d.Mul(c.factor)
	if wan.Exponent() < -schema.MaxScale && !wan.Equal(wan.Round(schema.MaxScale)) {
		x.problem(field, raw, schema.RuleScale,
			raw+" "+c.unit+" is "+wan.String()+" 万元, finer than 0.0001 万元 (one yuan); expected an amount exact to the yuan",
			raw+c.unit+"折合"+wan.String()+"万元，精度超过0.0001万元（1元），应精确到元")
	}
	return schema.NewWan(wan)
}

// excelDigits rounds d to Excel's 15 significant digits.
func excelDigits(d decimal.Decimal) decimal.Decimal {
	n := len(new(big.Int).Abs(d.Coefficient()).String())
	if n <= maxDigits {
		return d
	}
	return d.Round(-d.Exponent() - int32(n-maxDigits))
}

// period reads the 报告期 cell: a text cell with [schema.ParsePeriodText]
// (2025-09, 2025/9, 2025年9月, 202509), a number cell 202509, or a date
// cell (its month). A number cell that is neither is ambiguous (Excel
// stores 2025.10 typed as a number as 2025.1) and refused; other text is
// left for validation to report.
func (x *rowReader) period() string {
	raw := x.text(fPeriod)
	if raw == "" {
		return ""
	}
	if x.numeric(fPeriod) {
		if p, ok := schema.ParsePeriodText(raw); ok && len(raw) == 6 {
			return p
		}
		if f, err := strconv.ParseFloat(raw, 64); err == nil && f >= 20000 && f < 80000 {
			if t, ok := x.rd.info.serialTime(f); ok {
				return schema.Period{Year: t.Year(), Month: t.Month()}.String()
			}
		}
		x.problem(fPeriod, raw, schema.RulePeriod,
			raw+" is a number, not a month; expected a month such as 2025-09 or 2025年9月 (format the cell as text: Excel stores 2025.10 typed as a number as 2025.1)",
			raw+" 是数字而不是月份，应为 2025-09 或 2025年9月 这样的月份（请将单元格设为文本格式：Excel会把数字 2025.10 存为 2025.1）")
		return raw
	}
	p, _ := schema.ParsePeriodText(raw)
	return p
}

// time reads the 填报时间 cell: a date-time cell, or text as
// [schema.ParseTimeText] reads it.
func (x *rowReader) time(s string) (time.Time, bool) {
	if x.numeric(fReportedAt) {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			if t, ok := x.rd.info.serialTime(f); ok {
				return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, schema.Location()), true
			}
		}
		return time.Time{}, false
	}
	return schema.ParseTimeText(s)
}
