package schema_test

import (
	"testing"
	"time"

	"github.com/keyproject/kpp/schema"
)

func TestReviewPeriodsRoundTripAndTile(t *testing.T) {
	for _, k := range schema.ReviewKinds() {
		p := schema.ReviewPeriodContaining(k, time.Date(2024, 12, 20, 12, 0, 0, 0, schema.Location()))
		for i := 0; i < 60; i++ {
			q, err := schema.ParseReviewPeriod(k, p.Key())
			if err != nil || q != p {
				t.Fatalf("%s %s: parse back %+v %v", k, p.Key(), q, err)
			}
			if n := p.Next(); !n.Start.Equal(p.End) || n.Prev() != p {
				t.Fatalf("%s %s: next %s does not follow", k, p, n)
			}
			p = p.Next()
		}
	}
}

func TestReviewPeriodExamples(t *testing.T) {
	at := func(s string) time.Time {
		d, err := schema.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(8 * time.Hour)
	}
	tests := []struct {
		kind              schema.ReviewKind
		t                 string
		key, label, first string
		last              string
		num, den          int
	}{
		{schema.ReviewWeekly, "2025-09-24", "2025-W39", "2025年第39周（9月22日至9月28日）", "2025-09-22", "2025-09-28", 271, 365},
		{schema.ReviewWeekly, "2025-12-31", "2026-W01", "2026年第1周（12月29日至1月4日）", "2025-12-29", "2026-01-04", 4, 365},
		{schema.ReviewDekad, "2025-09-15", "2025-09-D2", "2025年9月中旬", "2025-09-11", "2025-09-20", 263, 365},
		{schema.ReviewDekad, "2024-02-29", "2024-02-D3", "2024年2月下旬", "2024-02-21", "2024-02-29", 60, 366},
		{schema.ReviewMonthly, "2025-09-30", "2025-09", "2025年9月", "2025-09-01", "2025-09-30", 9, 12},
	}
	for _, tc := range tests {
		p := schema.ReviewPeriodContaining(tc.kind, at(tc.t))
		if p.Key() != tc.key || p.Label() != tc.label || p.Start.Format(schema.DateLayout) != tc.first || p.LastDay().Format(schema.DateLayout) != tc.last {
			t.Errorf("%s at %s: got %s %s %s..%s", tc.kind, tc.t, p.Key(), p.Label(), p.Start.Format(schema.DateLayout), p.LastDay().Format(schema.DateLayout))
		}
		if n, d := p.TimeProgress(); n != tc.num || d != tc.den {
			t.Errorf("%s %s: time progress %d/%d, want %d/%d", tc.kind, tc.key, n, d, tc.num, tc.den)
		}
	}
	// A review run on Monday 2025-09-29 07:00 reviews the week just ended.
	if got := schema.LastEnded(schema.ReviewWeekly, at("2025-09-29")).Key(); got != "2025-W39" {
		t.Errorf("LastEnded weekly = %s", got)
	}
	if got := schema.LastEnded(schema.ReviewDekad, at("2025-10-01")).Key(); got != "2025-09-D3" {
		t.Errorf("LastEnded dekad = %s", got)
	}
	if got := schema.LastEnded(schema.ReviewMonthly, at("2025-10-06")).Key(); got != "2025-09" {
		t.Errorf("LastEnded monthly = %s", got)
	}
}

func TestParseReviewPeriodRejects(t *testing.T) {
	for k, keys := range map[schema.ReviewKind][]string{
		schema.ReviewWeekly:  {"2025-W54", "2025-39", "2025-W53", "2025-W00"},
		schema.ReviewDekad:   {"2025-09-D4", "2025-13-D1", "2025-09-2"},
		schema.ReviewMonthly: {"2025-13", "2025-W39"},
	} {
		for _, key := range keys {
			if _, err := schema.ParseReviewPeriod(k, key); err == nil {
				t.Errorf("%s %q accepted", k, key)
			}
		}
	}
	if _, err := schema.ParseReviewPeriod(schema.ReviewWeekly, "2020-W53"); err != nil {
		t.Errorf("2020 has an ISO week 53: %v", err)
	}
}
