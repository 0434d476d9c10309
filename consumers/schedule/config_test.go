package schedule

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/schema"
)

func sh(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, schema.Location())
	if err != nil {
		panic(err)
	}
	return t
}

func TestValidateNamesTheProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // all in the message
	}{
		{"short spec", Config{WeeklySpec: "0 7 * *"}, []string{"weekly schedule", `"0 7 * *"`, "expected exactly 5 fields", `"0 7 * * 1"`, "Mondays 07:00"}},
		{"bad field", Config{DekadSpec: "0 7 1,11,32 * *"}, []string{"dekad schedule", `"0 7 1,11,32 * *"`, "32", `"0 7 1,11,21 * *"`}},
		{"never fires", Config{MonthlySpec: "0 7 30 2 *"}, []string{"monthly schedule", "never fires"}},
		{"every", Config{MonthlySpec: "@every 1h"}, []string{"monthly schedule", "@every is not a time of day"}},
		{"bad zone", Config{WeeklySpec: "CRON_TZ=Mars/Olympus 0 7 * * 1"}, []string{"weekly schedule", "Mars/Olympus"}},
		{"look-back", Config{LookBack: 30 * time.Second}, []string{"look-back 30s", "expected 1m to", "--from P1 --to P2"}},
		{"look-back too long", Config{LookBack: 400 * 24 * time.Hour}, []string{"look-back 400 days", "expected 1m to 366 days (default 35 days)"}},
		{"lease", Config{LeaseTTL: 100 * time.Millisecond}, []string{"lease TTL 100ms", "expected 1s to 10m0s", "default 15s"}},
		{"replica", Config{Replica: "  "}, []string{"replica name", "1 to 200 characters"}},
		{"rules", Config{Rules: "{mode: pp_gap"}, []string{"rules", "JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("Validate() = %v, want an error wrapping ErrConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
		})
	}
	for _, ok := range []Config{
		{},
		{WeeklySpec: SpecOff, DekadSpec: "@daily", MonthlySpec: "CRON_TZ=UTC 0 23 5 * *"},
		{LookBack: time.Minute, LeaseTTL: time.Second, Rules: `{"mode":"pp_gap"}`},
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", ok, err)
		}
	}
}

func dueStrings(ds []Due) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s %s", d.Kind, d.At.In(schema.Location()).Format("2006-01-02 15:04 Mon"), d.Period.Key()))
	}
	return out
}

func TestDefaultSchedulesReviewThePeriodJustEnded(t *testing.T) {
	from, to := sh("2025-09-28 23:00"), sh("2025-10-12 23:59")
	want := map[schema.ReviewKind][]string{
		schema.ReviewWeekly: {
			"weekly 2025-09-29 07:00 Mon 2025-W39",
			"weekly 2025-10-06 07:00 Mon 2025-W40",
		},
		schema.ReviewDekad: {
			"dekad 2025-10-01 07:00 Wed 2025-09-D3",
			"dekad 2025-10-11 07:00 Sat 2025-10-D1",
		},
		schema.ReviewMonthly: {
			"monthly 2025-10-06 07:00 Mon 2025-09",
		},
	}
	for k, w := range want {
		got, err := Config{}.Due(k, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if g := dueStrings(got); strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s due from %s to %s:\n got %q\nwant %q", k, from, to, g, w)
		}
	}
	// Dekad 下旬 of February ends on the 28th; the 21st reviews 中旬.
	got, _ := Config{}.Due(schema.ReviewDekad, sh("2026-02-20 00:00"), sh("2026-03-01 23:00"))
	if g := dueStrings(got); strings.Join(g, ";") != "dekad 2026-02-21 07:00 Sat 2026-02-D2;dekad 2026-03-01 07:00 Sun 2026-02-D3" {
		t.Errorf("February dekads: %q", g)
	}
	// Monthly across the year end.
	got, _ = Config{}.Due(schema.ReviewMonthly, sh("2025-12-31 00:00"), sh("2026-01-31 00:00"))
	if g := dueStrings(got); strings.Join(g, ";") != "monthly 2026-01-06 07:00 Tue 2025-12" {
		t.Errorf("January: %q", g)
	}
}

func TestSpecsAreReadInTheConfiguredZone(t *testing.T) {
	// 07:00 in UTC is 15:00 in Shanghai; the period is still Shanghai's.
	utc := Config{Location: time.UTC, WeeklySpec: "0 7 * * 1"}
	got, err := utc.Due(schema.ReviewWeekly, sh("2025-09-29 00:00"), sh("2025-10-06 00:00"))
	if err != nil {
		t.Fatal(err)
	}
	if g := dueStrings(got); strings.Join(g, ";") != "weekly 2025-09-29 15:00 Mon 2025-W39" {
		t.Errorf("UTC weekly: %q", g)
	}
	// A CRON_TZ prefix overrides the location: Sunday 23:30 UTC is Monday
	// 07:30 in Shanghai, after the week ended.
	tz := Config{MonthlySpec: "CRON_TZ=UTC 30 23 5 * *"}
	got, _ = tz.Due(schema.ReviewMonthly, sh("2025-10-01 00:00"), sh("2025-10-31 00:00"))
	if g := dueStrings(got); strings.Join(g, ";") != "monthly 2025-10-06 07:30 Mon 2025-09" {
		t.Errorf("CRON_TZ monthly: %q", g)
	}
	off, _ := Config{DekadSpec: SpecOff}.Due(schema.ReviewDekad, sh("2025-10-01 00:00"), sh("2025-10-31 00:00"))
	if len(off) != 0 {
		t.Errorf("spec off: due %q", dueStrings(off))
	}
}

func TestPeriods(t *testing.T) {
	keys := func(ps []schema.ReviewPeriod) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Key())
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		kind     schema.ReviewKind
		from, to string
		want     string
	}{
		{schema.ReviewWeekly, "2025-W52", "2026-W02", "2025-W52 2026-W01 2026-W02"},
		{schema.ReviewDekad, "2025-09-D3", "2025-10-D2", "2025-09-D3 2025-10-D1 2025-10-D2"},
		{schema.ReviewMonthly, "2025-11", "2026-01", "2025-11 2025-12 2026-01"},
		{schema.ReviewMonthly, "2025-09", "2025-09", "2025-09"},
	} {
		ps, err := Periods(tc.kind, tc.from, tc.to)
		if err != nil {
			t.Fatalf("Periods(%s, %s, %s): %v", tc.kind, tc.from, tc.to, err)
		}
		if got := keys(ps); got != tc.want {
			t.Errorf("Periods(%s, %s, %s) = %s, want %s", tc.kind, tc.from, tc.to, got, tc.want)
		}
	}
	for _, tc := range []struct {
		kind     schema.ReviewKind
		from, to string
		want     string
	}{
		{schema.ReviewWeekly, "2025-09", "2025-W40", "from: weekly period \"2025-09\""},
		{schema.ReviewDekad, "2025-09-D1", "2025-09-D4", "to: dekad period \"2025-09-D4\""},
		{schema.ReviewMonthly, "2025-10", "2025-09", "the end is before the start"},
		{schema.ReviewWeekly, "2000-W01", "2025-W01", "more than 530 periods"},
		{"daily", "2025-10", "2025-11", "review kind \"daily\""},
	} {
		_, err := Periods(tc.kind, tc.from, tc.to)
		if !errors.Is(err, ErrBadRange) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Periods(%s, %s, %s) = %v, want ErrBadRange saying %q", tc.kind, tc.from, tc.to, err, tc.want)
		}
	}
}
