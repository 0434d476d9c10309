package schema

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// The bounds of the stored values: every value Validate accepts fits the
// ClickHouse column it is stored in (schema/migrations), so ingest never
// meets a value ClickHouse cannot hold.
const (
	// MaxNumberText is the longest text of a number that is parsed at all.
	// The largest amount, 99999999999999.9999, has 19 characters; a longer
	// text (such as 900,000 digits) is refused before it costs any CPU.
	MaxNumberText = 40
	// MaxRevision is the highest revision: the columns are UInt32.
	MaxRevision = 1<<32 - 1
	// MinYear and MaxYear bound plan years, periods, dates and reported_at.
	// ClickHouse's Date and DateTime hold 1970 to 2105; kpp's years are
	// 2000-2100.
	MinYear = 2000
	MaxYear = 2100
	// PercentScale is the number of decimal places of percent_complete,
	// Decimal(9, 4).
	PercentScale = 4
)

// MaxWan is the exclusive upper bound of an amount in 万元: Decimal(18, 4)
// holds |x| < 10^14.
var MaxWan = decimal.New(1, 14)

var hundred = decimal.NewFromInt(100)

// ErrNumberTooLong and ErrNotDecimal are the errors of [ParseDecimal].
var (
	ErrNumberTooLong = errors.New("number text too long")
	ErrNotDecimal    = errors.New("not a plain decimal number")
)

// ParseDecimal is the one parser of numbers that reach an event: amounts
// in 万元 and percent_complete from JSON, CSV, the web form, the API and
// sheets. It accepts a plain decimal — an optional sign, digits, an
// optional fraction ("1234.5", "-3", ".5") — of at most MaxNumberText
// characters, and nothing else: no exponent, no separators, no spaces.
// The length is checked before anything is parsed. The error wraps
// ErrNumberTooLong or ErrNotDecimal.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if len(s) > MaxNumberText {
		return decimal.Decimal{}, fmt.Errorf("%w: %d characters, at most %d", ErrNumberTooLong, len(s), MaxNumberText)
	}
	if !plainDecimal(s) {
		return decimal.Decimal{}, fmt.Errorf("%w: %q", ErrNotDecimal, s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%w: %q: %w", ErrNotDecimal, s, err)
	}
	return d, nil
}

// plainDecimal reports whether s is [+-]digits[.digits] with at least one
// digit.
func plainDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// ParseFloatText parses the text of a floating-point number as
// spreadsheets store number cells ("1.5E+15", "0.1"): at most
// MaxNumberText characters, checked before parsing, and an exponent within
// ±400 (a float64 is within ±308), so that no value costs more than a
// plain number to compare or round.
func ParseFloatText(s string) (decimal.Decimal, error) {
	if len(s) > MaxNumberText {
		return decimal.Decimal{}, fmt.Errorf("%w: %d characters, at most %d", ErrNumberTooLong, len(s), MaxNumberText)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%w: %q: %w", ErrNotDecimal, s, err)
	}
	if e := d.Exponent(); e < -400 || e > 400 {
		return decimal.Decimal{}, fmt.Errorf("%w: %q: exponent %d outside ±400", ErrNotDecimal, s, e)
	}
	return d, nil
}

// sane reports whether d is small enough in digits and exponent to be
// compared and rounded cheaply. Every parser here gives such values; a
// decimal built in Go code may not.
func sane(d decimal.Decimal) bool {
	e := d.Exponent()
	return e >= -2*MaxNumberText && e <= 2*MaxNumberText && d.Coefficient().BitLen() <= 8*MaxNumberText
}

// textValue is the value a FieldError shows for a text: the text itself,
// or its first characters and its length when it is longer than a number
// may be, so that an error never carries a megabyte back.
func textValue(s string) string {
	if len(s) <= MaxNumberText {
		return s
	}
	r := []rune(s[:MaxNumberText])
	if len(r) > 20 {
		r = r[:20]
	}
	return string(r) + "…(" + strconv.Itoa(len(s)) + " characters)"
}

// tooLong adds the error of a number text longer than MaxNumberText.
func tooLong(l *errs, field, s string) {
	n := strconv.Itoa(len(s))
	max := strconv.Itoa(MaxNumberText)
	l.add(field, textValue(s), RuleRange, "数字过长（"+n+"个字符），数字最多"+max+"个字符",
		"is "+n+" characters long; expected a number of at most "+max+" characters")
}

// checkPercent validates percent_complete: 0-100 with at most four
// decimal places (Decimal(9, 4)).
func checkPercent(l *errs, field string, pc decimal.Decimal) {
	if !sane(pc) {
		l.add(field, textValue(pc.String()), RuleRange, "完成百分比应在0至100之间，最多4位小数",
			"is not a percentage the column holds; expected 0-100 with at most 4 decimal places")
		return
	}
	switch {
	case pc.IsNegative() || pc.GreaterThan(hundred):
		l.add(field, pc.String(), RuleRange, "完成百分比应在0至100之间", pc.String()+" is outside 0-100; expected a percentage 0-100")
	case pc.Exponent() < -PercentScale && !pc.Equal(pc.Round(PercentScale)):
		l.add(field, pc.String(), RuleScale, "小数位超过4位（完成百分比精确到0.0001）",
			pc.String()+" has more than 4 decimal places; expected a percentage exact to 0.0001")
	}
}

// checkRevision validates a revision: 1 to MaxRevision (UInt32).
func checkRevision(l *errs, field string, rev int) {
	if rev < 1 || rev > MaxRevision {
		s := strconv.Itoa(rev)
		l.add(field, s, RuleRange, "版本号应为从1开始的整数（最大4294967295）",
			s+" is not a revision; expected an integer ≥ 1 (at most 4294967295)")
	}
}

// checkDateRange validates that a parsed date is within MinYear-MaxYear.
func checkDateRange(l *errs, field, s string, t time.Time) bool {
	if y := t.Year(); y < MinYear || y > MaxYear {
		l.add(field, s, RuleRange, "日期应在2000-01-01至2100-12-31之间",
			quote(s)+" is outside the dates kpp stores; expected a date from 2000-01-01 to 2100-12-31")
		return false
	}
	return true
}

// checkReportedAt validates reported_at: within MinYear-MaxYear in
// Asia/Shanghai (a DateTime column).
func checkReportedAt(l *errs, t *time.Time) {
	if t == nil {
		return
	}
	if y := t.In(shanghai).Year(); y < MinYear || y > MaxYear {
		s := t.Format(time.RFC3339)
		l.add("reported_at", s, RuleRange, "填报时间应在2000年至2100年之间",
			s+" is outside the times kpp stores; expected a time from 2000-01-01 to 2100-12-31 (Asia/Shanghai)")
	}
}

// ParsePercent parses the text of a percent_complete with [ParseDecimal]
// ("" is no value; spaces are not trimmed). A text that is not a plain
// decimal of at most MaxNumberText characters comes back as a FieldError on
// field; the range is checked by Validate.
func ParsePercent(field, s string) (*decimal.Decimal, *FieldError) {
	if s == "" {
		return nil, nil
	}
	d, err := ParseDecimal(s)
	if err == nil {
		return &d, nil
	}
	var l errs
	if errors.Is(err, ErrNumberTooLong) {
		tooLong(&l, field, s)
	} else {
		l.add(field, s, RuleDecimal, "不是数字，应为0至100的百分比，如 45.5（不用科学计数法）",
			quote(s)+" is not a plain decimal; expected a percentage 0-100 such as 45.5 (no exponent)")
	}
	return nil, &l[0]
}
