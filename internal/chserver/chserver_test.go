package chserver_test

import (
	"context"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/keyproject/kpp/internal/chserver"
	"github.com/keyproject/kpp/internal/testenv"
)

// A stopped or killed server restarts on the same ports with its data.
func TestRestartKeepsData(t *testing.T) {
	srv := testenv.ClickHouseServer(t)
	ctx := context.Background()
	query := func(q string) uint64 {
		t.Helper()
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n uint64
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(ctx, "CREATE TABLE default.keep (x UInt8) ENGINE = MergeTree ORDER BY x"); err != nil {
		t.Fatal(err)
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO default.keep (x)")
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Append(uint8(7))
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	srv.Kill()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if n := query("SELECT count() FROM default.keep"); n != 1 {
		t.Fatalf("after kill and restart: %d rows, want 1", n)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if n := query("SELECT sum(x) FROM default.keep"); n != 7 {
		t.Fatalf("after stop and restart: sum %d, want 7", n)
	}
}

func TestFindNamesTheInstallCommand(t *testing.T) {
	_, _, err := chserver.Find("/nonexistent/clickhouse-server")
	if err == nil {
		t.Fatal("a missing binary was found")
	}
	t.Setenv("PATH", t.TempDir())
	if _, _, err := chserver.Find(""); err != nil && err != chserver.ErrNotInstalled {
		// /usr/sbin is probed by absolute path, so on a machine with
		// Debian's package the server is still found.
		t.Fatalf("Find without PATH: %v", err)
	}
}

func TestMain(m *testing.M) { testenv.Main(m) }
