package submit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/keyproject/kpp/schema"
)

// Rules of the problems that submit finds beyond the schema's own
// ([schema.Rule] values such as period or not_owner).
const (
	// RuleFile: the file cannot be read, or its type is not supported.
	RuleFile schema.Rule = "file"
	// RuleColumn: a CSV header names an unknown, repeated or missing column,
	// or a unit other than the column's.
	RuleColumn schema.Rule = "column"
	// RuleRow: a CSV row is malformed (cell count, quoting).
	RuleRow schema.Rule = "row"
	// RuleDuplicateEvent: the same event id appears twice in one submission
	// with different content.
	RuleDuplicateEvent schema.Rule = "duplicate_event"
	// RuleConflict: JetStream already holds the event id with different
	// content, so the record was not stored (found while publishing).
	RuleConflict schema.Rule = "conflict"
)

// Problem is one problem of a submission: where (file and line) and the
// field error — field, value, rule and what is expected, in English and
// Chinese. Line is 1-based; 0 means the problem concerns the whole file.
// For [Publisher.PublishEvents], File is "events" and Line is the event's
// 1-based position in the slice.
type Problem struct {
	// File is the file name as given.
	File string `json:"file"`
	// Line is the 1-based line, 0 for the whole file.
	Line int `json:"line"`
	// FieldError says which field, the value, the rule broken and what is
	// expected.
	schema.FieldError
}

// String renders the problem on one line as
// "file:line: field: value: expected (Chinese)", e.g.
//
//	reports.csv:3: period: "2025-13": "2025-13" is not a month; expected YYYY-MM with month 01-12, e.g. 2025-09 (不是有效月份，应为 YYYY-MM（月份01-12），如 2025-09)
//
// The field and value are left out when empty.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	if p.Value != "" {
		b.WriteString(strconv.Quote(p.Value) + ": ")
	}
	b.WriteString(p.MessageEn)
	if p.MessageZh != "" {
		b.WriteString(" (" + p.MessageZh + ")")
	}
	return b.String()
}

// problemsOf turns the field errors of err (a *schema.ValidationError, or
// any other error) into field errors.
func fieldErrors(err error) []schema.FieldError {
	if err == nil {
		return nil
	}
	if ve, ok := err.(*schema.ValidationError); ok {
		return ve.Errors
	}
	return []schema.FieldError{{Rule: schema.RuleDecode, MessageEn: err.Error(), MessageZh: "无法解析：" + err.Error()}}
}

// InvalidError is returned when records of a submission had problems. It
// lists every problem; the receipt returned with it says what was published.
// Besides the problems found before publishing, it lists the records that
// JetStream already held with different content (rule conflict): they were
// not stored.
//
// Without SkipInvalid nothing is published from a file with a problem
// (Rejected names those files; other files are published). With SkipInvalid
// the valid records are published and the invalid ones skipped (Skipped is
// true). Either way the caller decides the exit status; `kpp submit` exits
// non-zero.
type InvalidError struct {
	// Problems lists every problem, in file and line order.
	Problems []Problem `json:"problems"`
	// Rejected names the files from which nothing was published.
	Rejected []string `json:"rejected,omitempty"`
	// Skipped is true when SkipInvalid published the valid records of the
	// files with problems.
	Skipped bool `json:"skipped,omitempty"`
}

// Error summarizes the problems and quotes the first one.
func (e *InvalidError) Error() string {
	n := len(e.Problems)
	s := fmt.Sprintf("%d %s", n, plural(n, "problem", "problems"))
	switch {
	case len(e.Rejected) > 0:
		s += fmt.Sprintf(": nothing published from %s", strings.Join(e.Rejected, ", "))
	case e.Skipped:
		s += ": invalid records skipped, valid records published"
	}
	if n > 0 {
		s += "; first: " + e.Problems[0].String()
	}
	return s
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
