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
	"net"
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

// Cluster is a NATS cluster of embedded servers on loopback, each with
// JetStream and its own store dir, for tests that stop and restart nodes.
// Every node keeps its ports and store dir across a restart.
type Cluster struct {
	tb   testing.TB
	cfgs []natsserver.Config
	srvs []*natsserver.Server
}

// NATSCluster starts an n-node NATS cluster (JetStream on every node,
// routes between all on free loopback ports) and waits until JetStream
// has a meta leader. Every node is shut down when the test ends.
func NATSCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	name := NewName("kpp")
	clientPorts, routePorts := make([]int, n), make([]int, n)
	var routes []string
	for i := range n {
		clientPorts[i], routePorts[i] = freePort(tb), freePort(tb)
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", routePorts[i]))
	}
	c := &Cluster{tb: tb, srvs: make([]*natsserver.Server, n)}
	for i := range n {
		c.cfgs = append(c.cfgs, natsserver.Config{
			StoreDir:   tb.TempDir(),
			Port:       clientPorts[i],
			ServerName: fmt.Sprintf("n%d", i+1),
			Cluster:    &natsserver.Cluster{Name: name, Port: routePorts[i], Routes: routes},
		})
	}
	tb.Cleanup(func() {
		for i := range c.srvs {
			c.Stop(i)
		}
	})
	// The nodes wait for each other's routes: start them together.
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.srvs[i], errs[i] = natsserver.Start(c.cfgs[i])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatalf("start NATS cluster: %v", err)
	}
	c.waitJetStream()
	return c
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitJetStream waits until every running node answers a JetStream
// account request (the cluster has a meta leader).
func (c *Cluster) waitJetStream() {
	c.tb.Helper()
	for i, s := range c.srvs {
		if s == nil {
			continue
		}
		nc, err := nats.Connect(c.URL(i))
		if err != nil {
			c.tb.Fatalf("connect to NATS node %s: %v", c.Name(i), err)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			nc.Close()
			c.tb.Fatal(err)
		}
		Eventually(c.tb, 60*time.Second, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := js.AccountInfo(ctx)
			return err == nil
		}, "NATS node %s: JetStream not ready in the cluster", c.Name(i))
		nc.Close()
	}
}

// Len is the number of nodes.
func (c *Cluster) Len() int { return len(c.cfgs) }

// URLs are the client URLs of every node, comma-separated, as nats.go and
// kpp's --nats-url take them.
func (c *Cluster) URLs() string {
	var us []string
	for i := range c.cfgs {
		us = append(us, c.URL(i))
	}
	return strings.Join(us, ",")
}

// URL is the client URL of node i, running or not.
func (c *Cluster) URL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.cfgs[i].Port) }

// Name is the server name of node i (n1, n2, …).
func (c *Cluster) Name(i int) string { return c.cfgs[i].ServerName }

// Index is the index of the node named name, or -1.
func (c *Cluster) Index(name string) int {
	for i, cfg := range c.cfgs {
		if cfg.ServerName == name {
			return i
		}
	}
	return -1
}

// Stop shuts node i down (a no-op when it is not running).
func (c *Cluster) Stop(i int) {
	if c.srvs[i] != nil {
		c.srvs[i].Shutdown()
		c.srvs[i] = nil
	}
}

// Start starts node i again, with its ports and store dir, and waits until
// it has rejoined the cluster's JetStream.
func (c *Cluster) Start(i int) {
	c.tb.Helper()
	if c.srvs[i] != nil {
		return
	}
	srv, err := natsserver.Start(c.cfgs[i])
	if err != nil {
		c.tb.Fatalf("restart NATS node %s: %v", c.Name(i), err)
	}
	c.srvs[i] = srv
	c.waitJetStream()
}
