package rollup_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// boardOrder sorts project rows as a report shows them: red, yellow,
// green, unrated; within a status by gap ascending (no gap last), then by
// project id.
func boardOrder(rows []rollup.ProjectRow) []rollup.ProjectRow {
	out := append([]rollup.ProjectRow(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.Status.Rank() != c.Status.Rank() {
			return a.Status.Rank() < c.Status.Rank()
		}
		if (a.GapPP == nil) != (c.GapPP == nil) {
			return a.GapPP != nil
		}
		if a.GapPP != nil && !a.GapPP.Equal(*c.GapPP) {
			return a.GapPP.LessThan(*c.GapPP)
		}
		return a.ProjectID < c.ProjectID
	})
	return out
}

func ids(rows []rollup.ProjectRow) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ProjectID)
	}
	return strings.Join(out, " ")
}

// The streaming reader reads the rows Load reads: every project row, in
// board order, by status and by change; the reporting rows by status; and
// an outline with the board's totals, alerts, trend and counts.
func TestStreamReadsWhatLoadReads(t *testing.T) {
	st, _ := setupReview(t)
	ctx := context.Background()
	reviews := []schema.ReviewPeriod{w39, w40, w41, octD1, sepMonthly}
	for _, p := range reviews {
		run(t, st, p, rating.Rules{})
	}
	changed := 0
	for _, p := range reviews {
		b := load(t, st, p)
		each := func(sel rollup.ProjectSelection) []rollup.ProjectRow {
			var out []rollup.ProjectRow
			if err := rollup.EachProject(ctx, st, p, sel, func(r rollup.ProjectRow) error {
				out = append(out, r)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		board := boardOrder(b.Projects)
		all := each(rollup.ProjectSelection{})
		if !reflect.DeepEqual(fmt.Sprint(all), fmt.Sprint(board)) {
			t.Errorf("%s: EachProject\n got %s\nwant %s (board order, rows as Load reads them)", p.Key(), ids(all), ids(board))
		}
		for _, s := range rating.Statuses() {
			var want []rollup.ProjectRow
			for _, r := range board {
				if r.Status == s {
					want = append(want, r)
				}
			}
			if got := each(rollup.ProjectSelection{Status: s}); ids(got) != ids(want) {
				t.Errorf("%s %s: EachProject %s, want %s", p.Key(), s, ids(got), ids(want))
			}
		}
		var want []rollup.ProjectRow
		for _, c := range []rollup.Change{rollup.ChangeNewlyRed, rollup.ChangeWorse, rollup.ChangeBetter, rollup.ChangeRecovered} {
			for _, r := range board {
				if r.Change == c {
					want = append(want, r)
				}
			}
		}
		changed += len(want)
		if got := each(rollup.ProjectSelection{Changed: true}); ids(got) != ids(want) {
			t.Errorf("%s changed: EachProject %s, want %s", p.Key(), ids(got), ids(want))
		}

		o, err := rollup.LoadOutline(ctx, st, p)
		if err != nil {
			t.Fatal(err)
		}
		if o.Projects != len(b.Projects) || o.Board.Projects != nil {
			t.Errorf("%s: outline counts %d projects and holds %d, want %d and none", p.Key(), o.Projects, len(o.Board.Projects), len(b.Projects))
		}
		rated, byStatus, byChange := decimal.Zero, map[rating.Status]int{}, map[rollup.Change]int{}
		for _, r := range b.Projects {
			byStatus[r.Status]++
			byChange[r.Change]++
			if r.Status != rating.Unrated {
				rated = rated.Add(r.YTDCompletedWan)
			}
		}
		if !reflect.DeepEqual(o.ByStatus, byStatus) || !reflect.DeepEqual(o.ByChange, byChange) || !o.RatedYTDWan.Equal(rated) {
			t.Errorf("%s: outline counts %v %v %s, want %v %v %s", p.Key(), o.ByStatus, o.ByChange, o.RatedYTDWan, byStatus, byChange, rated)
		}
		if !o.ComputedAt.Equal(b.ComputedAt) || o.RunID != b.RunID || !o.Cutoff.Equal(b.Cutoff) {
			t.Errorf("%s: outline run %s %s %s, want %s %s %s", p.Key(), o.ComputedAt, o.RunID, o.Cutoff, b.ComputedAt, b.RunID, b.Cutoff)
		}
		if fmt.Sprint(o.Totals) != fmt.Sprint(b.Totals) || fmt.Sprint(o.Milestones) != fmt.Sprint(b.Milestones) ||
			fmt.Sprint(o.Trend) != fmt.Sprint(b.Trend) {
			t.Errorf("%s: the outline's totals, alerts or trend differ from Load's", p.Key())
		}
		byReporting := map[rollup.ReportingStatus][]rollup.ReportingRow{}
		for _, r := range b.Reporting {
			byReporting[r.Status] = append(byReporting[r.Status], r)
		}
		late := append(append([]rollup.ReportingRow(nil), byReporting[rollup.ReportingMissing]...), byReporting[rollup.ReportingLate]...)
		if fmt.Sprint(o.Reporting) != fmt.Sprint(late) || o.OnTime != len(byReporting[rollup.ReportingOnTime]) {
			t.Errorf("%s: outline reporting %d rows and %d on time, want the %d missing and late and %d", p.Key(), len(o.Reporting), o.OnTime,
				len(late), len(byReporting[rollup.ReportingOnTime]))
		}
		if len(b.Reporting) > 0 && (o.DueMonth != b.Reporting[0].ReportPeriod || !o.Deadline.Equal(b.Reporting[0].Deadline)) {
			t.Errorf("%s: outline due %s by %s, want %s by %s", p.Key(), o.DueMonth, o.Deadline, b.Reporting[0].ReportPeriod, b.Reporting[0].Deadline)
		}
		for status, rows := range byReporting {
			var got []rollup.ReportingRow
			if err := rollup.EachReporting(ctx, st, p, status, func(r rollup.ReportingRow) error {
				got = append(got, r)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(rows) {
				t.Errorf("%s %s: EachReporting read %d rows, want %d (by department, project)", p.Key(), status, len(got), len(rows))
			}
		}
	}
	if changed == 0 {
		t.Errorf("no review has a status change: the changed selection is not tested")
	}

	// fn's error stops the read and comes back wrapped.
	stop := errors.New("enough")
	n := 0
	err := rollup.EachProject(ctx, st, w41, rollup.ProjectSelection{}, func(rollup.ProjectRow) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 || !strings.Contains(err.Error(), "dispatch_projects") {
		t.Errorf("EachProject after fn's error: %v after %d rows, want the error wrapped after one", err, n)
	}
	if _, err := rollup.LoadOutline(ctx, st, period("monthly", "2025-08")); !errors.Is(err, rollup.ErrNotComputed) ||
		!strings.Contains(err.Error(), "kpp rollup monthly --period 2025-08") {
		t.Errorf("LoadOutline of a review not computed = %v, want ErrNotComputed with the command", err)
	}
	if err := rollup.EachProject(ctx, nil, w41, rollup.ProjectSelection{}, nil); err == nil {
		t.Errorf("EachProject without a store succeeded")
	}
}
