package rollup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/rating"
)

// TestRunWritesTheCalendarInForce runs the September review under a
// working-day deadline, then again under the default: reporting_deadlines
// holds the deadline of each month of the year under the rules of the
// latest run, and the review's reporting rows agree with it.
func TestRunWritesTheCalendarInForce(t *testing.T) {
	st, _ := setupReview(t)
	ctx := context.Background()
	type row struct {
		lastDay, deadline  string
		day, working       uint8
		holidays, workdays string
		runID              string
	}
	read := func(month string) row {
		t.Helper()
		var r row
		var last, deadline time.Time
		var holidays, workdays []time.Time
		err := st.Conn().QueryRow(ctx, `SELECT last_day, deadline, day, working_days, holidays, workdays, run_id
FROM reporting_deadlines FINAL WHERE month = ?`, month).Scan(&last, &deadline, &r.day, &r.working, &holidays, &workdays, &r.runID)
		if err != nil {
			t.Fatalf("reporting_deadlines %s: %v", month, err)
		}
		r.lastDay, r.deadline = last.Format(time.DateOnly), deadline.Format(time.DateTime)
		var h, w []string
		for _, d := range holidays {
			h = append(h, d.Format(time.DateOnly))
		}
		for _, d := range workdays {
			w = append(w, d.Format(time.DateOnly))
		}
		r.holidays, r.workdays = strings.Join(h, ","), strings.Join(w, ",")
		return r
	}

	working := rating.Rules{Deadline: rating.Deadline{Day: 5, WorkingDays: true, Workdays: []string{"2025-10-11"},
		Holidays: []string{"2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08"}}}
	run(t, st, sepMonthly, working)
	want := row{"2025-10-14", "2025-10-15 00:00:00", 5, 1, "2025-10-01,2025-10-02,2025-10-03,2025-10-06,2025-10-07,2025-10-08", "2025-10-11", "test-2025-09"}
	if got := read("2025-09"); got != want {
		t.Errorf("2025-09 under working days:\n got %+v\nwant %+v", got, want)
	}
	// The board's deadline is the calendar's.
	for _, r := range load(t, st, sepMonthly).Reporting {
		if got := r.Deadline.Format(time.DateTime); got != want.deadline {
			t.Errorf("%s: the board's deadline is %s, the calendar's %s", r.ProjectID, got, want.deadline)
		}
	}
	var months uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM reporting_deadlines FINAL WHERE month >= '2024-12' AND month <= '2025-12'").Scan(&months); err != nil {
		t.Fatal(err)
	}
	if months != 13 {
		t.Errorf("reporting_deadlines has %d months of December 2024 to December 2025, want 13", months)
	}

	// A later run under the default rules: the calendar in force changes.
	run(t, st, w41, rating.Rules{})
	if got, want := read("2025-09"), (row{"2025-10-05", "2025-10-06 00:00:00", 5, 0, "", "", "test-2025-W41"}); got != want {
		t.Errorf("2025-09 after a run under the default rules:\n got %+v\nwant %+v", got, want)
	}
	if got := read("2025-01"); got.lastDay != "2025-02-05" {
		t.Errorf("2025-01: last day %s, want 2025-02-05", got.lastDay)
	}
}
