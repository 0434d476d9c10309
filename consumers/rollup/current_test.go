package rollup_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/rollup/rolluptest"
	"github.com/keyproject/kpp/internal/currentch"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// sentQueries is a slog handler that keeps the queries clickhouse-go
// logs at debug level ("sending query"), with their bound values.
type sentQueries struct {
	mu      *sync.Mutex
	queries *[]string
}

func (h sentQueries) Enabled(context.Context, slog.Level) bool { return true }
func (h sentQueries) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h sentQueries) WithGroup(string) slog.Handler            { return h }
func (h sentQueries) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "sending query" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "query" {
			h.mu.Lock()
			*h.queries = append(*h.queries, a.Value.String())
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

// TestSQLOnCurrentClickHouse runs reviews of every kind on ClickHouse
// 18.16, keeping every query the rollup sent with its bound values; then
// it copies the database into current ClickHouse (chDB), writes the
// review tables there through the columns of sql/insert_*.sql, and runs
// every query the rollup sent on both, comparing the answers row for
// row, and the examples of docs/dispatch.md too. Every file of sql/ must
// have been used.
func TestSQLOnCurrentClickHouse(t *testing.T) {
	engine := currentch.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var sent []string
	log := slog.New(sentQueries{mu: &sync.Mutex{}, queries: &sent})
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	receipts, err := rolluptest.ReadReceipts(filepath.Join("..", "..", "testdata", "review", "receipts.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rolluptest.InsertReceipts(ctx, st, receipts, 1); err != nil {
		t.Fatal(err)
	}
	sent = nil // the migrations and the fixture
	for _, p := range []schema.ReviewPeriod{w40, w41, sepD3, octD1, period("monthly", "2025-08"), sepMonthly} {
		if _, err := rollup.Run(ctx, st, p, rating.Rules{}, rollup.RunOptions{Now: reviewNow, RunID: "test-" + p.Key()}); err != nil {
			t.Fatal(err)
		}
		b, err := rollup.Load(ctx, st, p)
		if err != nil {
			t.Fatal(err)
		}
		// What the report pages ask of a stored review besides its board.
		if _, err := rollup.ArrivedAfter(ctx, st, p, b.Cutoff); err != nil {
			t.Fatal(err)
		}
		if _, _, err := rollup.EmptyRun(ctx, st, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rollup.ListComputed(ctx, st); err != nil {
		t.Fatal(err)
	}

	files, err := filepath.Glob(filepath.Join("sql", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("sql/*.sql: %v (%d files)", err, len(files))
	}
	httpAddr := testenv.ClickHouseHTTPAddr(t)
	var inserts []currentch.Step
	var reviewTables []string
	var queries []currentch.Query
	for _, f := range files {
		text := withoutComments(t, f)
		name := strings.TrimSuffix(filepath.Base(f), ".sql")
		if strings.HasPrefix(name, "insert_") {
			// INSERT INTO table (columns): the rows 18.16 stored, through
			// the same column list.
			m := regexp.MustCompile(`(?s)^INSERT INTO (\w+) \((.*?)\)\s*$`).FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("%s: expected INSERT INTO table (columns), got %q", f, text)
			}
			data, err := currentch.Select18(ctx, httpAddr, st.Database(), "SELECT "+m[2]+" FROM "+m[1])
			if err != nil {
				t.Fatal(err)
			}
			if data == "" {
				t.Fatalf("%s: the reviews stored no rows in %s", f, m[1])
			}
			reviewTables = append(reviewTables, m[1])
			inserts = append(inserts, currentch.Step{SQL: text + " FORMAT TabSeparated\n" + data})
			continue
		}
		parts := strings.Split(text, "?")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re := regexp.MustCompile("(?s)^" + strings.Join(parts, ".*?") + "$")
		n := 0
		for _, q := range uniq(sent) {
			if re.MatchString(strings.TrimSpace(q)) {
				n++
				queries = append(queries, currentch.Query{Name: fmt.Sprintf("%s #%d", f, n), SQL: q})
			}
		}
		if n == 0 {
			t.Errorf("%s: the reviews never ran it; the test cannot check it on current ClickHouse", f)
		}
	}
	// And every example of docs/dispatch.md.
	for i, block := range testenv.SQLExamples(t, filepath.Join("..", "..", "docs", "dispatch.md")) {
		for _, q := range schema.SplitStatements(block) {
			queries = append(queries, currentch.Query{Name: fmt.Sprintf("docs/dispatch.md example %d", i+1), SQL: q})
		}
	}
	steps, err := currentch.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	data, err := currentch.Dump(ctx, httpAddr, st.Database(), reviewTables...)
	if err != nil {
		t.Fatal(err)
	}
	steps = append(append(steps, data...), inserts...)
	answer, err := engine.Run(ctx, "kpp", steps, queries)
	if err != nil {
		t.Fatalf("migrations, data and sql/insert_*.sql on current ClickHouse: %v", err)
	}
	rows := 0
	for i, q := range queries {
		old, err := currentch.Query18(ctx, httpAddr, "default", st.Database(), q.Name, q.SQL)
		if err != nil {
			t.Fatal(err)
		}
		rows += len(old.Rows)
		if d := currentch.Diff(old, answer.Results[i]); d != "" {
			t.Errorf("%s answers differently on ClickHouse %s and %s: %s\n%s", q.Name, st.ServerVersion(), answer.Version, d, q.SQL)
		}
	}
	t.Logf("%d files: %d queries with their bound values (%d rows) and %d inserts on ClickHouse %s (chDB) and %s",
		len(files), len(queries), rows, len(inserts), answer.Version, st.ServerVersion())
}

// withoutComments reads an SQL file without its comment lines, as the
// rollup does.
func withoutComments(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			out = append(out, line)
		}
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func uniq(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	out := c[:0]
	for i, q := range c {
		if i == 0 || q != c[i-1] {
			out = append(out, q)
		}
	}
	return out
}
