package chstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// oldDatabase opens a database at the state before migration 3: the
// statements of migrations 1 and 2 run and recorded, and reports stored
// (one of them twice, as a redelivery may leave it before a merge).
// applied runs migration m's statements whose conditions hold and records
// it as applied, as chstore.Migrate does.
func applied(t *testing.T, st *chstore.Store, m schema.Migration) {
	t.Helper()
	for _, s := range m.Steps() {
		if s.When != "" && count(t, st, "SELECT toUInt64(("+s.When+"))") == 0 {
			continue
		}
		exec(t, st, s.SQL)
	}
	b, err := st.Conn().PrepareBatch(context.Background(), "INSERT INTO schema_migrations (version, name, checksum, applied_at)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(uint32(m.Version), m.Name, m.Checksum(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func oldDatabase(t *testing.T) *chstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	exec(t, st, `CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, checksum String, applied_at DateTime('Asia/Shanghai'))
ENGINE = ReplacingMergeTree ORDER BY version`)
	for _, m := range ms[:2] {
		applied(t, st, m)
	}
	for _, seq := range []int{1, 2, 3, 3} {
		insertReport(t, st, seq)
	}
	return st
}

func exec(t *testing.T, st *chstore.Store, q string) {
	t.Helper()
	if err := st.Conn().Exec(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// insertReport stores the report of month seq of 2025 with stream sequence seq.
func insertReport(t *testing.T, st *chstore.Store, seq int) {
	t.Helper()
	b, err := st.Conn().PrepareBatch(context.Background(), `INSERT INTO investment_reports (event_id, project_id, department_id, period, period_start, revision,
 month_completed_wan, ytd_completed_wan, received_at, stream_seq, keep_rank)`)
	if err != nil {
		t.Fatal(err)
	}
	p := schema.Period{Year: 2025, Month: time.Month(seq)}
	if err := b.Append("e"+p.String(), "qingyuan-pumped-storage", "fgj", p.String(), p.Start(), uint32(1),
		"100", "100", p.End(), uint64(seq), ^uint64(0)-uint64(seq)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, st *chstore.Store, q string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := st.Conn().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func partitionKey(t *testing.T, st *chstore.Store, table string) string {
	t.Helper()
	var key string
	if err := st.Conn().QueryRow(context.Background(), "SELECT partition_key FROM system.tables WHERE database = currentDatabase() AND name = ?", table).Scan(&key); err != nil {
		t.Fatalf("partition key of %s: %v", table, err)
	}
	return key
}

// Migration 3 rebuilds a database's investment_reports partitioned by
// month, keeps every report and the views working, and keeps the old
// table for the operator to drop.
func TestUpgradePartitionsInvestmentReportsByMonth(t *testing.T) {
	st := oldDatabase(t)
	if key := partitionKey(t, st, "investment_reports"); key != "" {
		t.Fatalf("the old table is partitioned already: %q", key)
	}
	applied, err := st.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0].Version != 3 {
		t.Fatalf("applied %v, want migration 3 first", applied)
	}
	if key := partitionKey(t, st, "investment_reports"); key != "toYYYYMM(period_start)" {
		t.Errorf("investment_reports partition key %q, want toYYYYMM(period_start)", key)
	}
	if n := count(t, st, "SELECT count() FROM investment_latest"); n != 3 {
		t.Errorf("investment_latest has %d reports after the upgrade, want 3", n)
	}
	if n := count(t, st, "SELECT count() FROM investment_reports_unpartitioned"); n != 4 {
		t.Errorf("the old table holds %d rows, want the 4 it had", n)
	}
	parts := count(t, st, "SELECT uniqExact(partition) FROM system.parts WHERE database = currentDatabase() AND table = 'investment_reports' AND active")
	if parts != 3 {
		t.Errorf("investment_reports has %d partitions, want one per month (3)", parts)
	}
}

// A migration that stopped after the rename (another replica kept writing
// into the old table meanwhile) completes when run again: the rows written
// late are copied, nothing twice.
func TestUpgradeResumesAfterStoppingHalfWay(t *testing.T) {
	st := oldDatabase(t)
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	steps := ms[2].Steps()
	// Run the steps up to and including the rename, by hand.
	for _, s := range steps {
		exec(t, st, s.SQL)
		if len(s.SQL) >= 12 && s.SQL[:12] == "RENAME TABLE" {
			break
		}
	}
	// A write that reached the old table before the rename, but after the copy.
	b, err := st.Conn().PrepareBatch(context.Background(), `INSERT INTO investment_reports_unpartitioned (event_id, project_id, department_id, period, period_start, revision,
 month_completed_wan, ytd_completed_wan, received_at, stream_seq, keep_rank)`)
	if err != nil {
		t.Fatal(err)
	}
	p := schema.Period{Year: 2025, Month: 4}
	if err := b.Append("e"+p.String(), "qingyuan-pumped-storage", "fgj", p.String(), p.Start(), uint32(1), "100", "100", p.End(), uint64(4), ^uint64(0)-4); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("running the migration again: %v", err)
	}
	if n := count(t, st, "SELECT count() FROM investment_latest"); n != 4 {
		t.Errorf("investment_latest has %d reports, want 4 (the late write copied)", n)
	}
	if n := count(t, st, "SELECT count() FROM investment_reports WHERE stream_seq = 4"); n != 1 {
		t.Errorf("the late write is stored %d times, want once", n)
	}
	if key := partitionKey(t, st, "investment_reports"); key != "toYYYYMM(period_start)" {
		t.Errorf("partition key %q", key)
	}
}

// A new database ends with the partitioned table and no leftover.
func TestNewDatabaseHasNoUnpartitionedLeftover(t *testing.T) {
	ctx := context.Background()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if key := partitionKey(t, st, "investment_reports"); key != "toYYYYMM(period_start)" {
		t.Errorf("partition key %q", key)
	}
	if n := count(t, st, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE 'investment_reports_%'"); n != 0 {
		t.Errorf("%d leftover investment_reports_* tables in a new database", n)
	}
}

// Migration 6 rebuilds the review tables partitioned by run and wider,
// keeps every stored review readable (its latest run becomes its current
// run) and the monthly views working, and can run again after stopping
// half-way.
func TestUpgradeKeepsStoredReviewsReadable(t *testing.T) {
	st := oldDatabase(t)
	ctx := context.Background()
	b, err := st.Conn().PrepareBatch(ctx, `INSERT INTO dispatch_projects (kind, period, project_id, completion_pct, computed_at, run_id)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		kind, period, project, pct string
		at                         time.Time
		run                        string
	}{
		{"monthly", "2025-09", "a", "1234567.89", time.Date(2025, 10, 6, 7, 0, 0, 0, time.UTC), "run-1"},
		{"monthly", "2025-09", "b", "1.5", time.Date(2025, 10, 6, 7, 0, 0, 0, time.UTC), "run-1"},
		{"weekly", "2025-W41", "a", "3", time.Date(2025, 10, 13, 7, 0, 0, 0, time.UTC), "run-2"},
	} {
		if err := b.Append(r.kind, r.period, r.project, r.pct, r.at, r.run); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	// Stop half-way through migration 6: dispatch_projects rebuilt, the
	// other tables not yet.
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	// The database is at migration 2: apply the ones up to 5 as kpp would,
	// then run migration 6 half-way.
	var m6 schema.Migration
	for _, m := range ms {
		switch {
		case m.Version > 2 && m.Version < 6:
			applied(t, st, m)
		case m.Version == 6:
			m6 = m
		}
	}
	for _, s := range m6.Steps() {
		if s.When != "" && count(t, st, "SELECT toUInt64(("+s.When+"))") == 0 {
			continue
		}
		exec(t, st, s.SQL)
		if strings.HasPrefix(s.SQL, "RENAME TABLE dispatch_projects ") {
			break
		}
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("running the migrations after migration 6 stopped half-way: %v", err)
	}
	for _, table := range []string{"dispatch_projects", "dispatch_totals", "dispatch_milestones", "dispatch_reporting"} {
		if key := partitionKey(t, st, table); key != "(kind, period, run_id)" {
			t.Errorf("%s partition key %q, want (kind, period, run_id)", table, key)
		}
		if n := count(t, st, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE ?", table+"_by_%"); n != 0 {
			t.Errorf("%s: %d tables left from the rebuild", table, n)
		}
	}
	if n := count(t, st, "SELECT count() FROM dispatch_monthly WHERE period = '2025-09' AND toString(completion_pct) = '1234567.89'"); n != 1 {
		t.Errorf("dispatch_monthly has %d rows of the stored review's project a, want 1", n)
	}
	if n := count(t, st, "SELECT count() FROM review_current WHERE (kind = 'monthly' AND run_id = 'run-1') OR (kind = 'weekly' AND run_id = 'run-2')"); n != 2 {
		t.Errorf("review_current has %d of the two stored reviews", n)
	}
	var typ string
	if err := st.Conn().QueryRow(ctx, "SELECT type FROM system.columns WHERE database = currentDatabase() AND table = 'dispatch_totals' AND name = 'ytd_completed_wan'").Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "Decimal(38, 4)" {
		t.Errorf("dispatch_totals.ytd_completed_wan is %s, want Decimal(38, 4)", typ)
	}
	if n := count(t, st, "SELECT count() FROM dispatch_projects"); n != 3 {
		t.Errorf("dispatch_projects has %d rows after the upgrade, want the 3 it had", n)
	}
}
