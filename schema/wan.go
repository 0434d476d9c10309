package schema

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/shopspring/decimal"
)

// MaxScale is the number of decimal places an amount in 万元 may have:
// 0.0001 万元 is one yuan.
const MaxScale = 4

// Wan is an amount of money in 万元 (10,000 CNY), exact to four decimal
// places. In JSON it is a decimal string ("1234.5600"); a JSON number is
// accepted on input.
//
// Decoding never fails: a value that is not a number is kept in Raw so that
// validation can report it with the field's name. Use [Wan.Valid] or the
// event's Validate method before reading Value.
type Wan struct {
	Value decimal.Decimal
	// Raw holds the input when it was not a decimal number.
	Raw string
	// Set is true when the field was present and not null.
	Set bool
}

// NewWan returns a set amount.
func NewWan(d decimal.Decimal) Wan { return Wan{Value: d, Set: true} }

// MustWan parses s and panics if it is not a decimal. For tests and fixed
// demo data.
func MustWan(s string) Wan { return NewWan(decimal.RequireFromString(s)) }

// ParseWan parses a decimal string such as "1234.56" with [ParseDecimal]:
// a text that is not a plain decimal of at most MaxNumberText characters
// is kept in Raw, unparsed, for validation to report.
func ParseWan(s string) Wan {
	s = strings.TrimSpace(s)
	if s == "" {
		return Wan{}
	}
	d, err := ParseDecimal(s)
	if err != nil {
		return Wan{Raw: s, Set: true}
	}
	return Wan{Value: d, Set: true}
}

// UnmarshalJSON accepts a decimal string or number; anything else is kept
// in Raw for validation to report.
func (w *Wan) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*w = Wan{}
		return nil
	}
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			*w = Wan{Raw: string(b), Set: true}
			return nil
		}
	} else {
		s = string(b)
	}
	*w = ParseWan(s)
	if !w.Set { // an empty string is a missing value
		*w = Wan{}
	}
	return nil
}

// MarshalJSON writes the amount as a decimal string with four places, or
// null when unset.
func (w Wan) MarshalJSON() ([]byte, error) {
	if !w.Set {
		return []byte("null"), nil
	}
	if w.Raw != "" {
		return json.Marshal(w.Raw)
	}
	return json.Marshal(w.Value.StringFixed(MaxScale))
}

// Valid reports whether the amount is set and a decimal number.
func (w Wan) Valid() bool { return w.Set && w.Raw == "" }

// String renders the amount as found: the decimal with four places, the raw
// input, or "" when unset.
func (w Wan) String() string {
	switch {
	case !w.Set:
		return ""
	case w.Raw != "":
		return w.Raw
	}
	return w.Value.StringFixed(MaxScale)
}

// Display renders the amount for people: with two decimal places, or
// with as many as it has up to four when it is finer than a fen
// ("1234.50", "0.0012" 万元); the raw input when it is not a number; ""
// when unset.
func (w Wan) Display() string {
	if !w.Valid() {
		return w.String()
	}
	return DisplayWan(w.Value)
}

// DisplayWan renders an amount in 万元 as [Wan.Display] does.
func DisplayWan(d decimal.Decimal) string {
	if d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.Round(MaxScale).String()
}

// check validates a money field: present when required, a decimal of at
// most MaxNumberText characters, at most four places, not negative, below
// MaxWan (what Decimal(18, 4) holds).
func (w Wan) check(l *errs, field string, required bool) {
	switch {
	case !w.Set:
		if required {
			l.required(field)
		}
	case len(w.Raw) > MaxNumberText:
		tooLong(l, field, w.Raw)
	case w.Raw != "":
		l.add(field, w.Raw, RuleDecimal, "不是数字，应为以万元计的小数，如 1234.5",
			quote(w.Raw)+" is not a number; expected a decimal amount in 万元 such as 1234.5")
	case !sane(w.Value) || w.Value.Abs().GreaterThanOrEqual(MaxWan):
		v := textValue(w.Value.String())
		l.add(field, v, RuleRange, "金额过大，应小于100000000000000万元（10^14万元，数据库字段Decimal(18,4)的上限）",
			v+" is too large; expected an amount below 100000000000000 万元 (10^14, what the column Decimal(18,4) holds)")
	case w.Value.Exponent() < -MaxScale && !w.Value.Equal(w.Value.Round(MaxScale)):
		l.add(field, w.Value.String(), RuleScale, "小数位超过4位（万元精确到0.0001，即1元）",
			w.Value.String()+" has more than 4 decimal places; expected an amount exact to 0.0001 万元 (one yuan)")
	case w.Value.IsNegative():
		l.add(field, w.Value.String(), RuleNonNegative, "不能为负数；核减请提交该月的更正版本",
			w.Value.String()+" is negative; expected an amount ≥ 0 (a reduction is a new revision of the month it concerns)")
	}
}
