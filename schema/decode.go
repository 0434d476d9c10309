package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/shopspring/decimal"
)

// New returns an empty event of the kind, ready to decode into.
func New(k Kind) (Event, error) {
	switch k {
	case KindProject:
		return &Project{}, nil
	case KindInvestment:
		return &InvestmentReport{}, nil
	case KindMilestone:
		return &MilestoneUpdate{}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownKind, k)
}

// Decode parses one event of the given kind from JSON. Problems of shape —
// not JSON, not an object, a field of the wrong type, an unknown field —
// come back as a *ValidationError, like the problems found by Validate.
// Decode does not validate values; call Validate on the result.
//
// A well-formed event decodes with github.com/go-json-experiment/json (the
// prototype of encoding/json/v2, about twice as fast; ingest decodes every
// message); anything it refuses is decoded again with encoding/json, whose
// rules (case-insensitive names, the last of repeated names) and messages
// decide. Where the first succeeds, both give the same event.
func Decode(k Kind, data []byte) (Event, error) {
	ev, err := New(k)
	if err != nil {
		return nil, err
	}
	if jsonv2.Unmarshal(data, ev, jsonv2.RejectUnknownMembers(true), strictDecimals) == nil {
		return ev, nil
	}
	return decodeV1(k, data)
}

// strictDecimals makes the fast path parse every decimal.Decimal (the
// percent_complete field; amounts are [Wan]) with [ParseDecimal]; anything
// else, null included, fails the fast path and is judged by decodeV1.
var strictDecimals = jsonv2.WithUnmarshalers(jsonv2.UnmarshalFunc(func(b []byte, d *decimal.Decimal) error {
	if len(b) > 1 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		b = b[1 : len(b)-1]
	}
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}))

// decodeV1 is Decode with encoding/json alone. Before encoding/json parses
// percent_complete (with shopspring/decimal, whose cost grows with the
// square of the digits and whose exponents are unbounded), its text is
// checked by [ParseDecimal].
func decodeV1(k Kind, data []byte) (Event, error) {
	ev, err := New(k)
	if err != nil {
		return nil, err
	}
	if fe := percentProblems(data); len(fe) > 0 {
		return nil, &ValidationError{Errors: fe}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ev); err != nil {
		return nil, decodeError(err, data)
	}
	if dec.More() {
		return nil, &ValidationError{Errors: []FieldError{{Rule: RuleDecode, Value: excerpt(data),
			MessageZh: "消息中有多个JSON值，应只有一个JSON对象", MessageEn: "more than one JSON value; expected a single JSON object"}}}
	}
	return ev, nil
}

// DecodeAny parses an event whose kind is named by its "schema" field.
func DecodeAny(data []byte) (Event, error) {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, decodeError(err, data)
	}
	if head.Schema == "" {
		return nil, &ValidationError{Errors: []FieldError{{Field: "schema", Rule: RuleRequired,
			MessageZh: "必填项缺失（事件类型，如 kpp.investment_report.v1）", MessageEn: "is required (the event type, e.g. kpp.investment_report.v1)"}}}
	}
	k, err := ParseKind(head.Schema)
	if err != nil {
		return nil, &ValidationError{Errors: []FieldError{{Field: "schema", Value: head.Schema, Rule: RuleSchema,
			MessageZh: "未知的事件类型，应为 kpp.project.v1、kpp.investment_report.v1 或 kpp.milestone_update.v1",
			MessageEn: quote(head.Schema) + " is not a known event type; expected kpp.project.v1, kpp.investment_report.v1 or kpp.milestone_update.v1"}}}
	}
	return Decode(k, data)
}

// percentField is the one JSON field decoded as a decimal.Decimal.
const percentField = "percent_complete"

// percentProblems checks the text of every top-level member named
// percent_complete (in any case, as encoding/json matches names) with
// [ParseDecimal]. It reads the JSON once, in linear time, and leaves every
// other problem to encoding/json.
func percentProblems(data []byte) []FieldError {
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil
	}
	var out []FieldError
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return out
		}
		isPercent := strings.EqualFold(tok.String(), percentField) // a token is valid until the next read
		val, err := dec.ReadValue()
		if err != nil {
			return out
		}
		if !isPercent {
			continue
		}
		var text string
		switch val.Kind() {
		case '0':
			text = string(val)
		case '"':
			if len(val) > MaxNumberText+2 { // longer than any number, quotes included: not unquoted at all
				text = string(val[1 : len(val)-1])
				break
			}
			if jsonv2.Unmarshal(val, &text) != nil {
				continue
			}
		default:
			continue // null, or a type error for encoding/json to report
		}
		if _, fe := ParsePercent(percentField, text); fe != nil {
			out = append(out, *fe)
		}
	}
	return out
}

func decodeError(err error, data []byte) error {
	return &ValidationError{Errors: []FieldError{JSONProblem(err, data)}}
}

// JSONProblem describes an error of decoding an event from JSON as a
// FieldError: a field of the wrong type (with the field's name), an
// unknown field, a time that is not RFC 3339, or text that is not JSON.
// The producers' readers and the HTTP API use it, so every reader words
// shape problems alike.
func JSONProblem(err error, data []byte) FieldError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// Go names fields of the embedded Common struct "Common.revision".
		field := strings.ReplaceAll(te.Field, "Common.", "")
		if field == "" {
			return FieldError{Rule: RuleType, Value: excerpt(data),
				MessageZh: "应为事件对象（JSON对象）", MessageEn: "is a JSON " + te.Value + "; expected an event object"}
		}
		v := textValue(te.Value)
		return FieldError{Field: field, Value: v, Rule: RuleType,
			MessageZh: "类型错误：应为" + typeZh(te.Type.Kind().String()),
			MessageEn: "has a JSON " + v + "; expected " + typeEn(te.Type.String())}
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return FieldError{Field: "reported_at", Value: textValue(pe.Value), Rule: RuleDate,
			MessageZh: "不是有效时间，应为 RFC 3339 格式，如 2025-10-03T09:30:00+08:00",
			MessageEn: "is not a time; expected RFC 3339 such as 2025-10-03T09:30:00+08:00"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return FieldError{Field: strings.Trim(f, `"`), Rule: RuleDecode,
			MessageZh: "未知字段（请检查拼写）", MessageEn: "is not a field of this event; check the spelling"}
	}
	return FieldError{Rule: RuleDecode, Value: excerpt(data),
		MessageZh: "不是有效的JSON对象：" + msg, MessageEn: "not a valid JSON object: " + msg}
}

func typeZh(kind string) string {
	switch kind {
	case "int", "int64", "int32":
		return "整数"
	case "string":
		return "文本"
	case "slice":
		return "列表"
	case "struct", "ptr":
		return "对象"
	}
	return kind
}

func typeEn(t string) string {
	switch {
	case t == "int":
		return "an integer"
	case t == "string" || strings.HasSuffix(t, "MilestoneStatus") || strings.HasSuffix(t, "Category") || strings.HasSuffix(t, "Stage"):
		return "a string"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	}
	return t
}

func excerpt(b []byte) string {
	const max = 200
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
