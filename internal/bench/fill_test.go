package bench_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// kppBinary builds cmd/kpp once per test run, for the scenarios that run
// kpp as a child process.
var kppBuild struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

func kppBinary(t *testing.T) string {
	t.Helper()
	kppBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "kpp-bench-bin-")
		if err != nil {
			kppBuild.err = err
			return
		}
		kppBuild.path = filepath.Join(dir, "kpp")
		cmd := exec.Command("go", "build", "-o", kppBuild.path, "github.com/keyproject/kpp/cmd/kpp")
		kppBuild.out, kppBuild.err = cmd.CombinedOutput()
	})
	if kppBuild.err != nil {
		t.Fatalf("build kpp: %v\n%s", kppBuild.err, kppBuild.out)
	}
	return kppBuild.path
}

func migrated(t *testing.T) *chstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// Fill stores exactly the portfolio it describes: every project, one
// report per month but the documented missing ones, the figures of the
// documented formula, and late reports where it says.
func TestFillStoresThePortfolio(t *testing.T) {
	ctx := context.Background()
	st := migrated(t)
	pf := bench.Portfolio{Prefix: "hist-", Projects: 250, First: schema.Period{Year: 2024, Month: 11}, Months: 14}
	var calls int
	if err := bench.Fill(ctx, st.Conn(), pf, func(done, total int) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("no progress reported")
	}
	var projects, reports uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM projects").Scan(&projects); err != nil {
		t.Fatal(err)
	}
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM investment_latest").Scan(&reports); err != nil {
		t.Fatal(err)
	}
	if projects != 250 || int(reports) != pf.Reports() || pf.Reports() != 250*14-3 {
		t.Errorf("stored %d projects and %d reports, want 250 and %d (= %d)", projects, reports, pf.Reports(), 250*14-3)
	}
	// Project 13 completes 1,000 + 6 × 20 万元 a month; in 2025-12 its YTD is 12 months of it.
	var month, ytd decimal.Decimal
	var received string
	if err := st.Conn().QueryRow(ctx, "SELECT month_completed_wan, ytd_completed_wan, toString(received_at) FROM investment_latest WHERE project_id = ? AND period = '2025-12'",
		pf.ProjectID(13)).Scan(&month, &ytd, &received); err != nil {
		t.Fatal(err)
	}
	if month.String() != "1120" || ytd.String() != "13440" || !strings.HasPrefix(received, "2026-01-02") {
		t.Errorf("project 13, 2025-12: month %s ytd %s received %s; want 1120, 13440, 2026-01-02", month, ytd, received)
	}
	// Projects 50 (red) and 105 (yellow) complete 500 and 950 a month.
	for n, want := range map[int]string{50: "500", 105: "950"} {
		var m decimal.Decimal
		if err := st.Conn().QueryRow(ctx, "SELECT month_completed_wan FROM investment_latest WHERE project_id = ? AND period = '2025-03'", pf.ProjectID(n)).Scan(&m); err != nil {
			t.Fatal(err)
		}
		if m.String() != want {
			t.Errorf("project %d completes %s a month, want %s", n, m, want)
		}
	}
	var late string
	if err := st.Conn().QueryRow(ctx, "SELECT toString(received_at) FROM investment_latest WHERE project_id = ? AND period = '2025-12'",
		pf.ProjectID(107)).Scan(&late); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(late, "2026-01-25") {
		t.Errorf("project 107 reported 2025-12 at %s, want late on 2026-01-25", late)
	}
	var missing uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM investment_latest WHERE project_id = ? AND period = '2025-12'", pf.ProjectID(101)).Scan(&missing); err != nil || missing != 0 {
		t.Errorf("project 101 should miss 2025-12: %d rows, %v", missing, err)
	}
}

// A child process is measured: its duration, its peak memory, its output.
// kpp dept add hashes a token with argon2id, which takes tens of MiB for a
// fraction of a second. The parent holds 300 MiB meanwhile, which the
// child's peak must not count.
func TestRunChildMeasuresTheProcess(t *testing.T) {
	ballast := make([]byte, 300<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	defer runtime.KeepAlive(ballast)
	file := filepath.Join(t.TempDir(), "departments.toml")
	run, err := bench.RunChild(context.Background(), kppBinary(t), "dept", "add", "--file", file, "--department", "d1", "--name", "测试局")
	if err != nil {
		t.Fatal(err)
	}
	if run.PeakRSS < 20<<20 || run.PeakRSS > 200<<20 || run.Duration <= 0 || !strings.Contains(run.Output, "d1") {
		t.Errorf("child run: duration %s, peak %s, output %q", run.Duration, bench.MiB(run.PeakRSS), run.Output)
	}
	if _, err := bench.RunChild(context.Background(), kppBinary(t), "no-such-command"); err == nil || !strings.Contains(err.Error(), "no-such-command") {
		t.Errorf("a failing child: %v", err)
	}
}
