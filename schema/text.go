package schema

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"
)

// The text parsers read values typed by people — a web form field, a sheet
// cell, a CSV cell — into the values of an event. They are the one reading
// of such text: the intake form, sheet uploads (xlsx and CSV) and
// `kpp submit` CSV files accept exactly the same forms, documented in
// docs/sheets.md. JSON (the API and `kpp submit` JSON Lines) is written by
// programs and takes the canonical forms only.
//
// Every parser first applies [FoldText]: full-width digits, letters and
// punctuation as typed with a Chinese input method become ASCII, and
// surrounding spaces are trimmed. Beyond that each accepts a short, fixed
// list of forms and nothing else; a text it does not accept is handed on
// unchanged so that validation reports it with the field's name and what
// is expected.

// FoldText writes the full-width forms of ASCII characters (U+FF01 to
// U+FF5E, "１２３４．５" → "1234.5") as ASCII and the ideographic space
// as a space, and trims spaces, including the no-break space.
func FoldText(s string) string {
	fold := false
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E || r == 0x3000 {
			fold = true
			break
		}
	}
	if fold {
		s = strings.Map(func(r rune) rune {
			switch {
			case r >= 0xFF01 && r <= 0xFF5E:
				return r - 0xFEE0
			case r == 0x3000:
				return ' '
			}
			return r
		}, s)
	}
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' })
}

// ParseWanText reads an amount in 万元: a plain decimal ([ParseDecimal])
// after [FoldText], optionally with thousands separators in their places
// ("1,234,567.5"; "1,2345" is refused). No units, no spaces inside, no
// exponent. "" is no value; a text it does not accept is kept in Raw, as
// typed, for validation to report.
func ParseWanText(s string) Wan {
	t := FoldText(s)
	if t == "" {
		return Wan{}
	}
	if g, ok := ungroup(t); ok {
		t = g
	}
	d, err := ParseDecimal(t)
	if err != nil {
		return Wan{Raw: strings.TrimSpace(s), Set: true}
	}
	return Wan{Value: d, Set: true}
}

// ungroup removes thousands separators from a number written with them in
// their places: an optional sign, one to three digits, groups of ",ddd",
// an optional fraction.
func ungroup(s string) (string, bool) {
	if !strings.Contains(s, ",") {
		return s, false
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i = 1
	}
	intPart, frac, _ := strings.Cut(s[i:], ".")
	groups := strings.Split(intPart, ",")
	if len(groups[0]) < 1 || len(groups[0]) > 3 || !asciiDigits(groups[0]) || !asciiDigits(frac) {
		return s, false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !asciiDigits(g) {
			return s, false
		}
	}
	return strings.ReplaceAll(s, ",", ""), true
}

// ParsePercentText reads a percent_complete: like [ParsePercent] after
// [FoldText], with an optional trailing "%" ("45.5%"). "" is no value.
func ParsePercentText(field, s string) (*decimal.Decimal, *FieldError) {
	t := strings.TrimSpace(strings.TrimSuffix(FoldText(s), "%"))
	d, fe := ParsePercent(field, t)
	if fe != nil {
		fe.Value = strings.TrimSpace(s)
	}
	return d, fe
}

// ParsePeriodText reads a month and returns it as YYYY-MM. After
// [FoldText] it accepts 2025-09, 2025-9, 2025/9, 2025/09, 2025年9月 and
// 202509, with a month 01-12, and nothing else: not 2025.9 (a spreadsheet
// stores 2025.10 typed as a number as 2025.1), not a date. A text it does
// not accept comes back unchanged, with false, for validation to report.
func ParsePeriodText(s string) (string, bool) {
	t := FoldText(s)
	var y, m string
	switch {
	case len(t) == 6 && asciiDigits(t):
		y, m = t[:4], t[4:]
	case strings.HasSuffix(t, "月"):
		var ok bool
		y, m, ok = strings.Cut(strings.TrimSuffix(t, "月"), "年")
		if !ok {
			return s, false
		}
	default:
		sep := strings.IndexAny(t, "-/")
		if sep < 0 {
			return s, false
		}
		y, m = t[:sep], t[sep+1:]
	}
	y, m = strings.TrimSpace(y), strings.TrimSpace(m)
	if len(y) != 4 || !asciiDigits(y) || len(m) < 1 || len(m) > 2 || !asciiDigits(m) {
		return s, false
	}
	mo, _ := strconv.Atoi(m)
	if mo < 1 || mo > 12 {
		return s, false
	}
	return y + "-" + twoDigits(mo), true
}

// ParseDateText reads a date and returns it as YYYY-MM-DD. After
// [FoldText] it accepts 2025-09-30, 2025-9-30, 2025/9/30 and 2025年9月30日,
// optionally followed by a midnight time " 00:00" or " 00:00:00" (what a
// spreadsheet writes for a date cell exported as text), and nothing else.
// A text it does not accept comes back unchanged, with false, for
// validation to report.
func ParseDateText(s string) (string, bool) {
	t := FoldText(s)
	if d, rest, ok := strings.Cut(t, " "); ok {
		rest = strings.TrimSpace(rest)
		if rest != "00:00" && rest != "00:00:00" && rest != "0:00" && rest != "0:00:00" {
			return s, false
		}
		t = d
	}
	var parts []string
	switch {
	case strings.HasSuffix(t, "日"):
		y, rest, ok1 := strings.Cut(strings.TrimSuffix(t, "日"), "年")
		m, d, ok2 := strings.Cut(rest, "月")
		if !ok1 || !ok2 {
			return s, false
		}
		parts = []string{y, m, d}
	case strings.Count(t, "-") == 2:
		parts = strings.Split(t, "-")
	case strings.Count(t, "/") == 2:
		parts = strings.Split(t, "/")
	default:
		return s, false
	}
	y, m, d := parts[0], parts[1], parts[2]
	if len(y) != 4 || !asciiDigits(y) || len(m) < 1 || len(m) > 2 || !asciiDigits(m) || len(d) < 1 || len(d) > 2 || !asciiDigits(d) {
		return s, false
	}
	mo, _ := strconv.Atoi(m)
	day, _ := strconv.Atoi(d)
	out := y + "-" + twoDigits(mo) + "-" + twoDigits(day)
	if _, err := ParseDate(out); err != nil {
		return s, false
	}
	return out, true
}

// timeLayouts are the local times [ParseTimeText] accepts, in
// Asia/Shanghai.
var timeLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04",
	"2006/1/2 15:04:05", "2006/1/2 15:04",
}

// ParseTimeText reads a reported_at: RFC 3339 (2025-10-03T09:30:00+08:00)
// or, after [FoldText], a local time in Asia/Shanghai written
// 2025-10-03 09:30, 2025-10-03 09:30:00, 2025/10/3 09:30 (or with T for
// the space). A date alone is not a time and is refused.
func ParseTimeText(s string) (time.Time, bool) {
	t := FoldText(s)
	if v, err := time.Parse(time.RFC3339, t); err == nil {
		return v, true
	}
	for _, l := range timeLayouts {
		if v, err := time.ParseInLocation(l, t, shanghai); err == nil {
			return v, true
		}
	}
	return time.Time{}, false
}

// ParseRevisionText reads a revision: digits after [FoldText], at least 1
// and at most MaxRevision. "" is no value (0, true): the revision is then
// 1, or chosen by the intake.
func ParseRevisionText(s string) (int, bool) {
	t := FoldText(s)
	if t == "" {
		return 0, true
	}
	if len(t) > 10 || !asciiDigits(t) {
		return 0, false
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > MaxRevision {
		return 0, false
	}
	return n, true
}

// RevisionTextProblem is the problem of a revision [ParseRevisionText]
// refused.
func RevisionTextProblem(field, s string) FieldError {
	return FieldError{Field: field, Value: strings.TrimSpace(s), Rule: RuleType,
		MessageZh: "版本号应为从1开始的整数，如 2（留空表示第1版）",
		MessageEn: quote(strings.TrimSpace(s)) + " is not a revision; expected an integer ≥ 1 such as 2 (empty means 1)"}
}

// TimeTextProblem is the problem of a reported_at [ParseTimeText] refused.
func TimeTextProblem(field, s string) FieldError {
	return FieldError{Field: field, Value: strings.TrimSpace(s), Rule: RuleDate,
		MessageZh: "不是有效时间，应为 2025-10-03 09:30（北京时间）或 2025-10-03T09:30:00+08:00",
		MessageEn: quote(strings.TrimSpace(s)) + " is not a time; expected 2025-10-03 09:30 (Beijing time) or RFC 3339 such as 2025-10-03T09:30:00+08:00"}
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
