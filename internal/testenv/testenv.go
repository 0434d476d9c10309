// Package testenv gives tests real servers: an embedded NATS server with
// JetStream (file storage in a temp dir) and a clickhouse-server process on
// free ports in a temp dir. There are no mocks of either.
//
// A package that uses ClickHouse calls [Main] from its TestMain; the server
// starts on first use and stops when the package's tests end. When no
// ClickHouse server is installed a test is skipped — except under CI=true,
// where it fails loudly.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/internal/chserver"
	"github.com/keyproject/kpp/internal/natsserver"
)

// shared is the package's ClickHouse server, started on first use.
var shared struct {
	once sync.Once
	dir  string
	srv  *chserver.Server
	err  error
}

// Main runs the package's tests and stops the shared ClickHouse server
// afterwards. Call it from TestMain: func TestMain(m *testing.M) { testenv.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		_ = shared.srv.Stop()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// InCI reports whether the tests run under CI (CI=true): there, a missing
// server is a failure, never a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

func missing(tb testing.TB, err error) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("ClickHouse is required under CI=true: %v", err)
	}
	tb.Skipf("skipping: %v", err)
}

// ClickHouseDSN returns the DSN of a new, empty database on the package's
// shared ClickHouse server. Each call gets its own database, dropped by
// nothing: the server's temp dir goes when the package's tests end.
func ClickHouseDSN(tb testing.TB) string {
	tb.Helper()
	shared.once.Do(func() {
		if _, _, err := chserver.Find(""); err != nil {
			shared.err = err
			return
		}
		shared.dir, shared.err = os.MkdirTemp("", "kpp-clickhouse-")
		if shared.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		// The analyst user may read every database: each test makes its own.
		shared.srv, shared.err = chserver.Start(ctx, chserver.Config{Dir: shared.dir, Analyst: chserver.Analyst{Database: "*"}})
	})
	if errors.Is(shared.err, chserver.ErrNotInstalled) {
		missing(tb, shared.err)
	}
	if shared.err != nil {
		tb.Fatalf("start ClickHouse: %v", shared.err)
	}
	return shared.srv.DSN(NewName("t"))
}

// ClickHouseHTTPAddr returns host:port of the HTTP interface of the
// package's shared ClickHouse server (started on first use), for tests
// that read answers as text.
func ClickHouseHTTPAddr(tb testing.TB) string {
	tb.Helper()
	ClickHouseDSN(tb)
	return shared.srv.HTTPAddr()
}

// ClickHouseServer starts a ClickHouse server of the test's own, for tests
// that stop or kill it. It is stopped when the test ends.
func ClickHouseServer(tb testing.TB) *chserver.Server {
	tb.Helper()
	if _, _, err := chserver.Find(""); err != nil {
		missing(tb, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, err := chserver.Start(ctx, chserver.Config{Dir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("start ClickHouse: %v", err)
	}
	tb.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// NATS starts an embedded NATS server with JetStream (file storage in a
// temp dir, sync before ack) for the test, and returns it with a connection
// and a JetStream context. All are closed when the test ends.
func NATS(tb testing.TB) (*natsserver.Server, *nats.Conn, jetstream.JetStream) {
	tb.Helper()
	srv, err := natsserver.Start(natsserver.Config{StoreDir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("start NATS: %v", err)
	}
	tb.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		tb.Fatalf("connect to NATS: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("JetStream: %v", err)
	}
	return srv, nc, js
}

// NewName returns prefix_ and 12 random hex digits, for databases, streams
// and consumers that tests must not share.
func NewName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s_%s", prefix, hex.EncodeToString(b))
}

// Eventually polls cond every 50ms until it returns true or the timeout
// passes, then fails the test with msg. Use it instead of sleeping.
func Eventually(tb testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("after %s: "+msg, append([]any{timeout}, args...)...)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SQLExamples returns the SQL of every ```sql fenced block of a Markdown
// file, for tests that run the queries a document shows. It fails the test
// when the file cannot be read or has no SQL block.
func SQLExamples(tb testing.TB, path string) []string {
	tb.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var queries []string
	for _, block := range strings.Split(string(doc), "```sql\n")[1:] {
		queries = append(queries, strings.SplitN(block, "```", 2)[0])
	}
	if len(queries) == 0 {
		tb.Fatalf("%s has no ```sql examples", path)
	}
	return queries
}
