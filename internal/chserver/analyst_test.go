package chserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/keyproject/kpp/internal/chserver"
	"github.com/keyproject/kpp/internal/testenv"
)

// TestAnalystIsBounded starts a server whose analyst may read database kpp
// with small limits, and checks each refusal: writes, settings, another
// database, a query past the time, memory or row limit.
func TestAnalystIsBounded(t *testing.T) {
	if _, _, err := chserver.Find(""); err != nil {
		if testenv.InCI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := chserver.Start(ctx, chserver.Config{Dir: t.TempDir(), Analyst: chserver.Analyst{
		MaxExecutionTime: time.Second, MaxMemoryUsage: 50 << 20, MaxResultRows: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	open := func(user, db string) driver.Conn {
		t.Helper()
		c, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}, Auth: clickhouse.Auth{Username: user, Database: db}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	admin := open("default", "")
	for _, q := range []string{
		"CREATE DATABASE kpp", "CREATE DATABASE other",
		"CREATE TABLE kpp.t (x UInt64) ENGINE = MergeTree ORDER BY x",
		"CREATE TABLE other.secret (x UInt64) ENGINE = MergeTree ORDER BY x",
	} {
		if err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	analyst := open("analyst", "kpp")
	var n uint64
	if err := analyst.QueryRow(ctx, "SELECT count() FROM t").Scan(&n); err != nil {
		t.Fatalf("analyst cannot read kpp: %v", err)
	}

	refused := func(what, q, want string) {
		t.Helper()
		rows, err := analyst.Query(ctx, q)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		if err == nil {
			t.Errorf("%s: analyst ran %q", what, q)
			return
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q failed with %v, want an error saying %q", what, q, err, want)
		}
	}
	refused("write", "CREATE TABLE kpp.mine (x UInt8) ENGINE = Memory", "readonly")
	refused("write", "INSERT INTO kpp.t SELECT 1", "readonly")
	refused("setting", "SELECT 1 SETTINGS max_execution_time = 0", "readonly")
	refused("other database", "SELECT count() FROM other.secret", "Access denied to database other")
	refused("time limit", "SELECT count() FROM system.numbers", "Timeout exceeded")
	refused("memory limit", "SELECT length(groupArray(number)) FROM (SELECT number FROM system.numbers LIMIT 100000000)", "Memory limit")
	refused("row limit", "SELECT number FROM system.numbers LIMIT 5000", "Limit for result exceeded")

}
