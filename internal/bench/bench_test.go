package bench_test

import (
	"context"
	"strings"
	"testing"

	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// A small run of every measurement: each must move every message, and the
// end-to-end run must find every report in ClickHouse (Run checks the
// stored count itself).
func TestRunMeasuresEveryPath(t *testing.T) {
	res, err := bench.Run(context.Background(), bench.Config{
		Events: 1500, SingleEvents: 200, DSN: testenv.ClickHouseDSN(t), Dir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]bench.Rate{"raw sync": res.RawSync, "raw no sync": res.RawNoSync, "single": res.SingleSync, "batch": res.BatchSync, "end to end": res.EndToEnd} {
		if r.PerSecond() <= 0 {
			t.Errorf("%s: no rate measured: %+v", name, r)
		}
	}
	if res.EndToEnd.N != 1500 || res.SingleSync.N != 200 {
		t.Errorf("counts: %+v", res)
	}
	var b strings.Builder
	res.WriteText(&b)
	if !strings.Contains(b.String(), "end to end: submit → ingest → ClickHouse") {
		t.Errorf("report:\n%s", b.String())
	}
}

func TestEventsAreValidAndDistinct(t *testing.T) {
	projects, reports := bench.Events(1000)
	if len(reports) != 1000 || len(projects) != 5 {
		t.Fatalf("%d projects, %d reports", len(projects), len(reports))
	}
	seen := map[string]bool{}
	for _, ev := range reports {
		if err := ev.Validate(testNow); err != nil {
			t.Fatalf("invalid bench event: %v", err)
		}
		id := ev.Project() + "|" + strings.Join(ev.Key(), "|") + "|" + string(rune('0'+ev.Rev()))
		if seen[id] {
			t.Fatalf("duplicate key %s", id)
		}
		seen[id] = true
	}
}
