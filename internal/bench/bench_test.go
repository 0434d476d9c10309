package bench_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// A small run of every ingest scenario: each must move every report (the
// runs check the stored counts themselves) and print its figures.
func TestRunMeasuresEveryScenario(t *testing.T) {
	res, err := bench.Run(context.Background(), bench.Config{
		Events: 1500, DSN: testenv.ClickHouseDSN(t), Dir: t.TempDir(), Self: kppBinary(t),
		History: 6000, Latency: 2 * time.Second, LatencyRate: 200, Burst: 3000, Projects: 250, Months: 14,
	})
	if err != nil {
		t.Fatal(err)
	}
	in := res.Ingest
	for name, r := range map[string]bench.Rate{"ceiling": in.Ceiling, "plain": in.Plain, "kpp": in.KPP, "history": res.History.Full} {
		if r.PerSecond() <= 0 || r.N != 1500 {
			t.Errorf("%s: %+v, want 1500 reports at a rate", name, r)
		}
	}
	// 50 projects × 120 months, one of which misses its last month.
	if res.History.History != 5999 {
		t.Errorf("history: %d reports stored, want 5999", res.History.History)
	}
	if l := res.Latency; l.N != 400 || l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.Max {
		t.Errorf("latency: %+v", l)
	}
	if b := res.Burst; b.Reports != 3000 || b.Time <= 0 || b.PeakRSS < 10<<20 || b.MaxRSS > b.PeakRSS {
		t.Errorf("burst: %+v", b)
	}
	if res.Rollups == nil || res.Rollups.Monthly.ProjectRows != 250 || res.Reports == nil || len(res.Reports.Runs) != 3 {
		t.Errorf("rollups and reports at scale: %+v %+v", res.Rollups, res.Reports)
	}
	var out strings.Builder
	res.WriteText(&out)
	for _, want := range []string{"JetStream atomic-batch publish (ceiling)", "plain consumer", "kpp ÷ plain consumer",
		"with history ÷ empty", "p50", "p99", "kpp serve resident memory", "kpp rollup monthly", "xlsx"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEventsAreValidAndDistinct(t *testing.T) {
	projects, reports := bench.Events("t-", 1000)
	if len(reports) != 1000 || len(projects) != 42 {
		t.Fatalf("%d projects, %d reports; want 42 and 1000", len(projects), len(reports))
	}
	checkValidAndDistinct(t, projects, reports)
	projects, reports = bench.MonthEnd("m-", 1000)
	if len(reports) != 1000 || len(projects) != 125 {
		t.Fatalf("month end: %d projects, %d reports; want 125 and 1000", len(projects), len(reports))
	}
	for _, r := range reports {
		if r.Key()[1] != "2025-12" {
			t.Fatalf("month end report for %v, want 2025-12", r.Key())
		}
	}
	checkValidAndDistinct(t, projects, reports)
}

func checkValidAndDistinct(t *testing.T, projects, reports []schema.Event) {
	t.Helper()
	seen := map[string]bool{}
	for _, ev := range append(projects, reports...) {
		if err := ev.Validate(testNow); err != nil {
			t.Fatalf("invalid bench event: %v", err)
		}
		id := string(ev.Kind()) + "|" + ev.Project() + "|" + strings.Join(ev.Key(), "|") + "|" + string(rune('0'+ev.Rev()))
		if seen[id] {
			t.Fatalf("duplicate key %s", id)
		}
		seen[id] = true
	}
}

// The cluster scenario moves every report through a three-node NATS
// cluster with every stream replicated three times.
func TestRunMeasuresKPPOnACluster(t *testing.T) {
	res, err := bench.Run(context.Background(), bench.Config{
		Events: 1500, DSN: testenv.ClickHouseDSN(t), Dir: t.TempDir(), Cluster: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Cluster
	if c == nil || c.Nodes != 3 || c.KPP.N != 1500 || c.KPP.PerSecond() <= 0 || c.Ceiling.N != 1500 || c.Single != res.Ingest.KPP {
		t.Fatalf("cluster: %+v", c)
	}
	var out strings.Builder
	res.WriteText(&out)
	if !strings.Contains(out.String(), "cluster ÷ one node") {
		t.Errorf("report lacks the cluster:\n%s", out.String())
	}
}
