package schema

import (
	"fmt"
	"strings"
)

// Rule names a validation rule. Rules are stable identifiers that tests,
// the dead-letter table and API clients can match on.
type Rule string

// The validation rules.
const (
	RuleRequired        Rule = "required"         // the field is missing or empty
	RuleDecode          Rule = "decode"           // the message is not a JSON object of the expected shape
	RuleType            Rule = "type"             // the value has the wrong JSON type
	RuleDecimal         Rule = "decimal"          // not a decimal number
	RuleScale           Rule = "scale"            // more than four decimal places
	RuleNonNegative     Rule = "non_negative"     // below zero
	RuleRange           Rule = "range"            // outside the allowed range
	RulePeriod          Rule = "period"           // not a YYYY-MM month
	RuleFuturePeriod    Rule = "future_period"    // a month that has not started yet
	RuleDate            Rule = "date"             // not a YYYY-MM-DD date
	RuleEnum            Rule = "enum"             // not one of the allowed values
	RuleIdentifier      Rule = "identifier"       // not a lower-case ASCII identifier
	RuleSchema          Rule = "schema"           // the schema field names another event type
	RuleConsistency     Rule = "consistency"      // two fields contradict each other
	RuleUnknownProject  Rule = "unknown_project"  // the project is not registered
	RuleNotOwner        Rule = "not_owner"        // the department does not own the project
	RuleSubjectMismatch Rule = "subject_mismatch" // the subject and the payload disagree
	RuleSubject         Rule = "subject"          // the subject is not kpp.v1.<department>.<kind>.<project>
	RuleStorage         Rule = "storage"          // ClickHouse refused to store the row (set by ingest)
)

// FieldError is one validation problem: which field, the value found, the
// rule it broke and what is expected, in Chinese and English.
type FieldError struct {
	Field     string `json:"field"`
	Value     string `json:"value"`
	Rule      Rule   `json:"rule"`
	MessageZh string `json:"message_zh"`
	MessageEn string `json:"message_en"`
}

// String renders the error in English, e.g.
// `period: "2025-13" is not a month; expected YYYY-MM with month 01-12`.
func (e FieldError) String() string {
	if e.Field == "" {
		return e.MessageEn
	}
	return e.Field + ": " + e.MessageEn
}

// ValidationError lists every problem found in one event. It wraps
// [ErrInvalid].
type ValidationError struct {
	Errors []FieldError `json:"errors"`
}

// Error joins the English messages.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.String()
	}
	return "invalid event: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// ReasonZh joins the Chinese messages, for people reading the dead-letter
// table or a receipt.
func (e *ValidationError) ReasonZh() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		if fe.Field == "" {
			parts[i] = fe.MessageZh
		} else {
			parts[i] = fe.Field + "：" + fe.MessageZh
		}
	}
	return strings.Join(parts, "；")
}

// errs collects field errors while validating.
type errs []FieldError

func (l *errs) add(field, value string, rule Rule, zh, en string) {
	*l = append(*l, FieldError{Field: field, Value: value, Rule: rule, MessageZh: zh, MessageEn: en})
}

func (l *errs) required(field string) {
	l.add(field, "", RuleRequired, "必填项缺失", "is required")
}

func (l errs) err() error {
	if len(l) == 0 {
		return nil
	}
	return &ValidationError{Errors: l}
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
