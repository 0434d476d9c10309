package rating_test

import (
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

func TestDeadline(t *testing.T) {
	september := schema.Period{Year: 2025, Month: time.September}
	// National Day 2025: Wednesday 1 to Wednesday 8 October off; Saturday
	// 11 October is a make-up working day (调休).
	holidays := []string{"2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08"}
	tests := []struct {
		name     string
		deadline rating.Deadline
		lastDay  string
	}{
		{"by default the September report is due by 5 October", rating.Deadline{}, "2025-10-05"},
		{"a calendar day is counted from the 1st, weekends included", rating.Deadline{Day: 10}, "2025-10-10"},
		{"the 5th working day without holidays skips the weekend", rating.Deadline{WorkingDays: true}, "2025-10-07"},
		{"the 5th working day after National Day with its make-up Saturday", rating.Deadline{WorkingDays: true, Holidays: holidays, Workdays: []string{"2025-10-11"}}, "2025-10-14"},
		{"without the make-up Saturday it is one day later", rating.Deadline{WorkingDays: true, Holidays: holidays}, "2025-10-15"},
		{"holidays do not matter in calendar days", rating.Deadline{Holidays: holidays}, "2025-10-05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := (rating.Rules{Deadline: tt.deadline}).Validate(); err != nil {
				t.Fatal(err)
			}
			last := tt.deadline.LastDay(september)
			if got := last.Format(schema.DateLayout); got != tt.lastDay || last.Location() != schema.Location() {
				t.Fatalf("LastDay(2025-09) = %s (%s), want %s in Asia/Shanghai", got, last.Location(), tt.lastDay)
			}
			end := tt.deadline.End(september)
			if want := last.AddDate(0, 0, 1); !end.Equal(want) || end.Hour() != 0 {
				t.Fatalf("End(2025-09) = %s, want midnight after the last day %s", end, want)
			}
		})
	}
	// December's report is due in January of the next year.
	if got := (rating.Deadline{}).LastDay(schema.Period{Year: 2025, Month: time.December}).Format(schema.DateLayout); got != "2026-01-05" {
		t.Errorf("LastDay(2025-12) = %s, want 2026-01-05", got)
	}
}
