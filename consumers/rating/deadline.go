package rating

import (
	"fmt"
	"time"

	"github.com/keyproject/kpp/schema"
)

// Deadline is when a month's investment report is due: by a day of the
// next month, counted in calendar days (the default: the 5th) or in working
// days. A report whose first revision the server received after the
// deadline is late (迟报); no report once the deadline has passed is
// missing (未报送).
type Deadline struct {
	// Day is the day of the next month by which the report is due, that
	// day included: the calendar day (1-28) or, with WorkingDays, the
	// ordinal working day (1-20). Default 5.
	Day int `json:"day"`
	// WorkingDays counts Day in working days: Monday to Friday, except
	// Holidays, plus Workdays.
	WorkingDays bool `json:"working_days"`
	// Holidays are public holidays (YYYY-MM-DD) on weekdays that are not
	// working days. Used only with WorkingDays.
	Holidays []string `json:"holidays"`
	// Workdays are make-up working days (调休, YYYY-MM-DD): weekend days
	// that are working days. Used only with WorkingDays.
	Workdays []string `json:"workdays"`
}

func (d Deadline) withDefaults() Deadline {
	if d.Day == 0 {
		d.Day = DefaultDeadlineDay
	}
	return d
}

func (d Deadline) validate() error {
	d = d.withDefaults()
	if d.WorkingDays {
		if d.Day < 1 || d.Day > 20 {
			return keyErr("deadline.day", "deadline.day %d is not a working day of a month; expected 1-20 with working_days = true", d.Day)
		}
	} else if d.Day < 1 || d.Day > 28 {
		return keyErr("deadline.day", "deadline.day %d is not a day every month has; expected 1-28", d.Day)
	}
	holidays := map[string]bool{}
	for _, s := range d.Holidays {
		if _, err := schema.ParseDate(s); err != nil {
			return keyErr("deadline.holidays", "deadline.holidays: %v", err)
		}
		holidays[s] = true
	}
	for _, s := range d.Workdays {
		if _, err := schema.ParseDate(s); err != nil {
			return keyErr("deadline.workdays", "deadline.workdays: %v", err)
		}
		if holidays[s] {
			return keyErr("deadline.workdays", "deadline.workdays: %s is also listed in deadline.holidays; expected a day in one list only", s)
		}
	}
	return nil
}

// LastDay is the last day (midnight, Asia/Shanghai) on which the report of
// month is on time: the Day-th calendar or working day of the next month.
// The deadline must be valid.
func (d Deadline) LastDay(month schema.Period) time.Time {
	d = d.withDefaults()
	first := month.Next().Start()
	if !d.WorkingDays {
		return first.AddDate(0, 0, d.Day-1)
	}
	holidays, workdays := dateSet(d.Holidays), dateSet(d.Workdays)
	n := 0
	for day := first; ; day = day.AddDate(0, 0, 1) {
		key := day.Format(schema.DateLayout)
		weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
		if workdays[key] || (!weekend && !holidays[key]) {
			n++
			if n == d.Day {
				return day
			}
		}
	}
}

// End is the instant the deadline of month's report passes: midnight after
// its LastDay. A first revision received before End is on time.
func (d Deadline) End(month schema.Period) time.Time { return d.LastDay(month).AddDate(0, 0, 1) }

// String describes the deadline, e.g. "the 5th day of the next month".
func (d Deadline) String() string {
	d = d.withDefaults()
	if d.WorkingDays {
		return fmt.Sprintf("working day %d of the next month (%d holidays, %d make-up days listed)", d.Day, len(d.Holidays), len(d.Workdays))
	}
	return fmt.Sprintf("day %d of the next month", d.Day)
}

func dateSet(days []string) map[string]bool {
	m := make(map[string]bool, len(days))
	for _, s := range days {
		if t, err := schema.ParseDate(s); err == nil {
			m[t.Format(schema.DateLayout)] = true
		}
	}
	return m
}
