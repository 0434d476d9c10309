package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// writeCalendar stores the reporting calendar a run used in
// reporting_deadlines: for each month from the December before year to the
// December of year, the last day its report is on time under d, the
// instant the deadline passes and the holidays and make-up days of the
// month the report is due in. Analysts join it for lateness; the latest
// row of a month is the calendar in force.
func writeCalendar(ctx context.Context, conn driver.Conn, d rating.Deadline, year int, runID string, writtenAt time.Time) error {
	day := d.Day
	if day == 0 {
		day = rating.DefaultDeadlineDay
	}
	working := uint8(0)
	if d.WorkingDays {
		working = 1
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO reporting_deadlines (month, month_start, last_day, deadline, day, working_days, holidays, workdays, run_id, written_at)")
	if err != nil {
		return fmt.Errorf("write the reporting calendar %d: %w", year, err)
	}
	for m := (schema.Period{Year: year - 1, Month: time.December}); m.Year <= year; m = m.Next() {
		next := m.Next()
		err := b.Append(m.String(), dateOnly(m.Start()), dateOnly(d.LastDay(m)), d.End(m), uint8(day), working,
			datesIn(d.Holidays, next), datesIn(d.Workdays, next), runID, writtenAt)
		if err != nil {
			_ = b.Abort()
			return fmt.Errorf("write the reporting calendar %d, month %s: %w", year, m, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("write the reporting calendar %d: %w", year, err)
	}
	return nil
}

// datesIn returns the days of list (YYYY-MM-DD) that fall in month m.
func datesIn(list []string, m schema.Period) []time.Time {
	out := []time.Time{}
	for _, s := range list {
		t, err := schema.ParseDate(s)
		if err != nil {
			continue
		}
		if t.Year() == m.Year && t.Month() == m.Month {
			out = append(out, dateOnly(t))
		}
	}
	return out
}
