package bench_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/internal/natsserver"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// Reports renders a computed review of a filled portfolio in each format
// as a kpp child process and measures it; the files are complete.
func TestReportsRendersEachFormat(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.ClickHouseDSN(t)
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// More projects than report.LargeBoard: the page links to the workbook.
	pf := bench.Portfolio{Prefix: "rep-", Projects: 320, First: schema.Period{Year: 2024, Month: 11}, Months: 14}
	if err := bench.Fill(ctx, st.Conn(), pf, nil); err != nil {
		t.Fatal(err)
	}
	ns, err := natsserver.Start(natsserver.Config{StoreDir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	self := kppBinary(t)
	last := pf.Last().String()
	if _, err := bench.RunChild(ctx, self, "rollup", "monthly", "--period", last, "--clickhouse", dsn, "--nats-url", ns.URL()); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	var progress strings.Builder
	res, err := bench.Reports(ctx, bench.ReportsConfig{Self: self, DSN: dsn, Kind: schema.ReviewMonthly, Period: last, Dir: dir, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	var formats []string
	for _, run := range res.Runs {
		formats = append(formats, run.Format)
		fi, err := os.Stat(run.File)
		if err != nil || fi.Size() == 0 || fi.Size() != run.Size {
			t.Errorf("%s: file %s: %v, size %d (measured %d)", run.Format, run.File, err, fi.Size(), run.Size)
		}
		if run.Duration <= 0 || run.PeakRSS < 1<<20 {
			t.Errorf("%s: not measured: %+v", run.Format, run)
		}
		if filepath.Base(run.File) != "kpp-monthly-"+last+"."+run.Format {
			t.Errorf("%s written to %s, want the name kpp report gives it", run.Format, run.File)
		}
	}
	if strings.Join(formats, ",") != "html,xlsx,csv" {
		t.Fatalf("formats = %v, want html, xlsx, csv", formats)
	}
	f, err := excelize.OpenFile(res.Runs[1].File)
	if err != nil {
		t.Fatalf("the xlsx does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("全部项目")
	if err != nil || len(rows) != 3+pf.Projects {
		t.Errorf("the xlsx lists %d rows (%v), want the title, subtitle, header and %d projects", len(rows), err, pf.Projects)
	}
	html, err := os.ReadFile(res.Runs[0].File)
	if err != nil || !strings.Contains(string(html), `href="kpp-monthly-`+last+`.xlsx"`) {
		t.Errorf("the page of %d projects does not link to the workbook beside it (%v)", pf.Projects, err)
	}
	var table strings.Builder
	res.WriteText(&table)
	t.Logf("\n%s", table.String())
	for _, want := range []string{"kpp report monthly --period " + last, "html", "xlsx", "csv", "MiB"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	if strings.Count(progress.String(), "\n") != 3 {
		t.Errorf("progress = %q, want a line per format", progress.String())
	}
	if _, err := bench.Reports(ctx, bench.ReportsConfig{Self: self, DSN: dsn, Kind: schema.ReviewMonthly, Period: "2024-01", Dir: dir}); err == nil ||
		!strings.Contains(err.Error(), "kpp rollup monthly --period 2024-01") {
		t.Errorf("a review not computed: %v, want the error of kpp report naming the command", err)
	}
}
