package chstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestMigrateCreatesTablesAndIsSafeToRepeat(t *testing.T) {
	ctx := context.Background()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(ms) {
		t.Fatalf("first run applied %d migrations, want %d", len(applied), len(ms))
	}
	again, err := st.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("second run applied %d migrations, want 0", len(again))
	}
	var n uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM schema_migrations FINAL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if int(n) != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
	}
	for _, table := range []string{"projects", "investment_reports", "investment_latest", "milestone_updates", "rejected_updates", "dispatch_monthly"} {
		var c uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", st.Database(), table).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c != 1 {
			t.Errorf("table %s missing after migrate", table)
		}
	}
}

func TestOpenRejectsHTTPAndBadDatabase(t *testing.T) {
	ctx := context.Background()
	for dsn, want := range map[string]string{
		"http://127.0.0.1:8123/kpp":            "native protocol",
		"clickhouse://127.0.0.1:9000/kpp;drop": "not a plain identifier",
	} {
		_, err := chstore.Open(ctx, dsn, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", dsn, err, want)
		}
	}
}
