package schema

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// ReviewKind is the rhythm of a dispatch review: 周分析, 旬调度 or 月例会.
type ReviewKind string

// The review kinds.
const (
	// ReviewWeekly is the weekly analysis (周分析): ISO weeks, Monday to Sunday.
	ReviewWeekly ReviewKind = "weekly"
	// ReviewDekad is the ten-day dispatch (旬调度): the 1st-10th (上旬),
	// 11th-20th (中旬) and 21st-end (下旬) of a month.
	ReviewDekad ReviewKind = "dekad"
	// ReviewMonthly is the monthly review meeting (月例会): calendar months.
	ReviewMonthly ReviewKind = "monthly"
)

// ReviewKinds returns every kind, shortest rhythm first.
func ReviewKinds() []ReviewKind { return []ReviewKind{ReviewWeekly, ReviewDekad, ReviewMonthly} }

// ParseReviewKind accepts weekly, dekad or monthly.
func ParseReviewKind(s string) (ReviewKind, error) {
	for _, k := range ReviewKinds() {
		if s == string(k) {
			return k, nil
		}
	}
	return "", fmt.Errorf("review kind %q: expected weekly, dekad or monthly", s)
}

// Label is the Chinese name of the review: 周分析, 旬调度 or 月例会.
func (k ReviewKind) Label() string {
	switch k {
	case ReviewWeekly:
		return "周分析"
	case ReviewDekad:
		return "旬调度"
	case ReviewMonthly:
		return "月例会"
	}
	return string(k)
}

// KeyFormat describes the period keys of the kind, for messages.
func (k ReviewKind) KeyFormat() string {
	switch k {
	case ReviewWeekly:
		return "YYYY-Www, an ISO week such as 2025-W39"
	case ReviewDekad:
		return "YYYY-MM-Dn with n 1 (1st-10th), 2 (11th-20th) or 3 (21st-end), such as 2025-09-D2"
	}
	return "YYYY-MM, such as 2025-09"
}

// ReviewPeriod is one period of a review kind: from Start (inclusive) to
// End (exclusive), both at midnight in Asia/Shanghai. End is the cut-off:
// a review sees the data received before it.
type ReviewPeriod struct {
	Kind  ReviewKind
	Start time.Time
	End   time.Time
}

var (
	weekKeyRE  = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)
	dekadKeyRE = regexp.MustCompile(`^(\d{4})-(\d{2})-D([123])$`)
)

// ParseReviewPeriod parses a period key of the kind: 2025-W39 (weekly),
// 2025-09-D2 (dekad) or 2025-09 (monthly).
func ParseReviewPeriod(k ReviewKind, key string) (ReviewPeriod, error) {
	bad := func(why string) (ReviewPeriod, error) {
		return ReviewPeriod{}, fmt.Errorf("%s period %q: %s; expected %s", k, key, why, k.KeyFormat())
	}
	switch k {
	case ReviewWeekly:
		m := weekKeyRE.FindStringSubmatch(key)
		if m == nil {
			return bad("not a week")
		}
		y, _ := strconv.Atoi(m[1])
		w, _ := strconv.Atoi(m[2])
		if y < 2000 || y > 2100 {
			return bad("year outside 2000-2100")
		}
		start := isoWeekStart(y, w)
		if gy, gw := start.ISOWeek(); gy != y || gw != w {
			return bad(fmt.Sprintf("%d has no week %02d", y, w))
		}
		return ReviewPeriod{Kind: k, Start: start, End: start.AddDate(0, 0, 7)}, nil
	case ReviewDekad:
		m := dekadKeyRE.FindStringSubmatch(key)
		if m == nil {
			return bad("not a ten-day period")
		}
		p, err := ParsePeriod(m[1] + "-" + m[2])
		if err != nil {
			return bad(err.Error())
		}
		n, _ := strconv.Atoi(m[3])
		return dekad(p, n), nil
	case ReviewMonthly:
		p, err := ParsePeriod(key)
		if err != nil {
			return bad(err.Error())
		}
		return ReviewPeriod{Kind: k, Start: p.Start(), End: p.End()}, nil
	}
	return ReviewPeriod{}, fmt.Errorf("review kind %q: expected weekly, dekad or monthly", k)
}

// ReviewPeriodContaining returns the period of the kind that contains t.
func ReviewPeriodContaining(k ReviewKind, t time.Time) ReviewPeriod {
	t = t.In(shanghai)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, shanghai)
	switch k {
	case ReviewWeekly:
		start := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		return ReviewPeriod{Kind: k, Start: start, End: start.AddDate(0, 0, 7)}
	case ReviewDekad:
		n := min((t.Day()-1)/10+1, 3)
		return dekad(PeriodOf(t), n)
	}
	p := PeriodOf(t)
	return ReviewPeriod{Kind: ReviewMonthly, Start: p.Start(), End: p.End()}
}

// LastEnded returns the latest period of the kind that ended at or before t:
// what a review run at t reviews.
func LastEnded(k ReviewKind, t time.Time) ReviewPeriod {
	return ReviewPeriodContaining(k, t).Prev()
}

func dekad(p Period, n int) ReviewPeriod {
	start := p.Start().AddDate(0, 0, (n-1)*10)
	end := p.End()
	if n < 3 {
		end = start.AddDate(0, 0, 10)
	}
	return ReviewPeriod{Kind: ReviewDekad, Start: start, End: end}
}

// isoWeekStart is the Monday of ISO week w of year y.
func isoWeekStart(y, w int) time.Time {
	jan4 := time.Date(y, time.January, 4, 0, 0, 0, 0, shanghai)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, (w-1)*7)
}

// Key is the period's identifier: 2025-W39, 2025-09-D2 or 2025-09.
func (p ReviewPeriod) Key() string {
	switch p.Kind {
	case ReviewWeekly:
		y, w := p.Start.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case ReviewDekad:
		return fmt.Sprintf("%s-D%d", PeriodOf(p.Start), (p.Start.Day()-1)/10+1)
	}
	return PeriodOf(p.Start).String()
}

// String is the key.
func (p ReviewPeriod) String() string { return p.Key() }

// Label is the Chinese name of the period, e.g. 2025年第39周（9月22日至9月28日）,
// 2025年9月中旬, 2025年9月.
func (p ReviewPeriod) Label() string {
	last := p.LastDay()
	switch p.Kind {
	case ReviewWeekly:
		y, w := p.Start.ISOWeek()
		return fmt.Sprintf("%d年第%d周（%d月%d日至%d月%d日）", y, w, int(p.Start.Month()), p.Start.Day(), int(last.Month()), last.Day())
	case ReviewDekad:
		return fmt.Sprintf("%d年%d月%s", p.Start.Year(), int(p.Start.Month()), [...]string{"上旬", "中旬", "下旬"}[(p.Start.Day()-1)/10])
	}
	return fmt.Sprintf("%d年%d月", p.Start.Year(), int(p.Start.Month()))
}

// LastDay is the last day of the period (midnight, Asia/Shanghai).
func (p ReviewPeriod) LastDay() time.Time { return p.End.AddDate(0, 0, -1) }

// Month is the calendar month of the period's last day: the month a
// monthly review reviews, and the month a part-month cut-off falls in.
func (p ReviewPeriod) Month() Period { return PeriodOf(p.LastDay()) }

// Year is the year of the period's last day, whose plans and year-to-date
// figures the review compares.
func (p ReviewPeriod) Year() int { return p.LastDay().Year() }

// Prev is the period of the same kind just before.
func (p ReviewPeriod) Prev() ReviewPeriod {
	return ReviewPeriodContaining(p.Kind, p.Start.AddDate(0, 0, -1))
}

// Next is the period of the same kind just after.
func (p ReviewPeriod) Next() ReviewPeriod { return ReviewPeriodContaining(p.Kind, p.End) }

// TimeProgress is the share of the year elapsed at the period's end (序时进度)
// as a fraction num/den: m/12 for a monthly review of month m; for a
// part-month cut-off (weekly, dekad), the days elapsed to the period's last
// day inclusive over the days in the year.
func (p ReviewPeriod) TimeProgress() (num, den int) {
	if p.Kind == ReviewMonthly {
		return int(p.Start.Month()), 12
	}
	last := p.LastDay()
	days := time.Date(last.Year(), time.December, 31, 0, 0, 0, 0, shanghai).YearDay()
	return last.YearDay(), days
}
