package schema

import (
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the machine's zoneinfo
)

// Shanghai is the time zone of every date and deadline: Asia/Shanghai.
// It is loaded from the embedded zone database (time/tzdata), so it does not
// depend on the machine's zoneinfo files.
var shanghai = mustZone("Asia/Shanghai")

// Location returns Asia/Shanghai, the zone of every date and period.
func Location() *time.Location { return shanghai }

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("schema: load zone %s: %v", name, err))
	}
	return loc
}

// Period is a calendar month, the unit of monthly reporting.
type Period struct {
	Year  int
	Month time.Month
}

// ParsePeriod parses "YYYY-MM", e.g. "2025-09".
func ParsePeriod(s string) (Period, error) {
	if len(s) != 7 || s[4] != '-' || !asciiDigits(s[:4]) || !asciiDigits(s[5:]) {
		return Period{}, fmt.Errorf("period %q: expected YYYY-MM, e.g. 2025-09", s)
	}
	y, _ := strconv.Atoi(s[:4])
	mo, _ := strconv.Atoi(s[5:])
	if mo < 1 || mo > 12 {
		return Period{}, fmt.Errorf("period %q: month %02d is not 01-12", s, mo)
	}
	if y < MinYear || y > MaxYear {
		return Period{}, fmt.Errorf("period %q: year %d is outside %d-%d", s, y, MinYear, MaxYear)
	}
	return Period{Year: y, Month: time.Month(mo)}, nil
}

// asciiDigits reports whether s is all ASCII digits.
func asciiDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// PeriodOf returns the month containing t in Asia/Shanghai.
func PeriodOf(t time.Time) Period {
	t = t.In(shanghai)
	return Period{Year: t.Year(), Month: t.Month()}
}

// String renders "YYYY-MM".
func (p Period) String() string {
	if p.Year < 0 || p.Year > 9999 || p.Month < 0 || p.Month > 99 {
		return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month))
	}
	y, m := p.Year, int(p.Month)
	b := [7]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-', byte('0' + m/10), byte('0' + m%10)}
	return string(b[:])
}

// Start is the first instant of the month in Asia/Shanghai.
func (p Period) Start() time.Time { return time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, shanghai) }

// End is the first instant of the next month in Asia/Shanghai.
func (p Period) End() time.Time { return p.Start().AddDate(0, 1, 0) }

// LastDay is the last calendar day of the month (midnight, Asia/Shanghai).
func (p Period) LastDay() time.Time { return p.End().AddDate(0, 0, -1) }

// Next is the following month.
func (p Period) Next() Period { return PeriodOf(p.End()) }

// Prev is the preceding month.
func (p Period) Prev() Period { return PeriodOf(p.Start().AddDate(0, 0, -1)) }

// Before reports whether p is earlier than q.
func (p Period) Before(q Period) bool {
	return p.Year < q.Year || (p.Year == q.Year && p.Month < q.Month)
}

// Index is the month number within the year, 1-12: the m of the time
// progress m/12.
func (p Period) Index() int { return int(p.Month) }

// DateLayout is the layout of every date field: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// ParseDate parses "YYYY-MM-DD" as midnight in Asia/Shanghai.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, s, shanghai)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: expected YYYY-MM-DD, e.g. 2025-09-30", s)
	}
	return t, nil
}

func checkPeriod(l *errs, field, s string, now time.Time) {
	if s == "" {
		l.required(field)
		return
	}
	p, err := ParsePeriod(s)
	if err != nil && len(s) == 7 && s[4] == '-' && asciiDigits(s[:4]) && asciiDigits(s[5:]) && s[5:] >= "01" && s[5:] <= "12" {
		l.add(field, s, RuleRange, "月份应在2000-01至2100-12之间",
			quote(s)+" is outside the months kpp stores; expected 2000-01 to 2100-12")
		return
	}
	if err != nil {
		l.add(field, textValue(s), RulePeriod, "不是有效月份，应为 YYYY-MM（月份01-12），如 2025-09",
			quote(textValue(s))+" is not a month; expected YYYY-MM with month 01-12, e.g. 2025-09")
		return
	}
	if !now.IsZero() && PeriodOf(now).Before(p) {
		l.add(field, s, RuleFuturePeriod, "月份尚未开始，不能提前报送",
			quote(s)+" is a month that has not started yet (now "+PeriodOf(now).String()+"); expected the current or an earlier month")
	}
}

func checkDate(l *errs, field, s string, required bool) (time.Time, bool) {
	if s == "" {
		if required {
			l.required(field)
		}
		return time.Time{}, false
	}
	t, err := ParseDate(s)
	if err != nil {
		l.add(field, textValue(s), RuleDate, "不是有效日期，应为 YYYY-MM-DD，如 2025-09-30",
			quote(textValue(s))+" is not a date; expected YYYY-MM-DD, e.g. 2025-09-30")
		return time.Time{}, false
	}
	return t, checkDateRange(l, field, s, t)
}
