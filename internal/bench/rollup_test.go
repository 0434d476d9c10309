package bench_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// The rollups scenario at a small size: the portfolio is stored, the single
// query and the three reviews run, each review stores a row per project,
// and the table names every row.
func TestRollupsMeasuresTheReviews(t *testing.T) {
	ctx := context.Background()
	var progress bytes.Buffer
	// A fixed time in the past, so that the period keys are known; kpp
	// itself runs at the real time, after it.
	now := time.Date(2025, 11, 10, 9, 0, 0, 0, schema.Location())
	res, err := bench.Rollups(ctx, bench.RollupConfig{Self: kppBinary(t), DSN: testenv.ClickHouseDSN(t), Dir: t.TempDir(),
		Projects: 300, Months: 14, Progress: &progress, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reports != 300*14-3 || res.QueryRows != 300 || res.QueryTime <= 0 || res.EveryPartition <= 0 {
		t.Errorf("portfolio of %d reports, query %d rows in %s; want %d reports and 300 rows", res.Reports, res.QueryRows, res.QueryTime, 300*14-3)
	}
	// The last month is 2025-09: the monthly review of it, the week holding
	// the 20th (2025-W38) and the second ten days.
	for _, c := range []struct {
		run bench.RollupRun
		key string
	}{{res.Monthly, "2025-09"}, {res.Weekly, "2025-W38"}, {res.Dekad, "2025-09-D2"}} {
		if c.run.Period.Key() != c.key || c.run.ProjectRows != 300 || c.run.Duration <= 0 || c.run.PeakRSS <= 0 || c.run.Ratio <= 0 {
			t.Errorf("review %s: %+v; want %s with 300 project rows, a duration, a peak RSS and a ratio", c.run.Period.Key(), c.run, c.key)
		}
	}
	if !strings.Contains(res.Query, "argMax(ytd_completed_wan, revision)") || !strings.Contains(res.Query, "period >= '2025-01' AND period <= '2025-09'") {
		t.Errorf("query as run: %s", res.Query)
	}
	var out bytes.Buffer
	res.WriteText(&out)
	for _, want := range []string{"single query", "kpp rollup monthly --period 2025-09", "kpp rollup weekly --period 2025-W38",
		"kpp rollup dekad --period 2025-09-D2", "every partition", "×query", "peak RSS", "MiB"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(progress.String(), "kpp rollup monthly") {
		t.Errorf("progress: %s", progress.String())
	}
}
