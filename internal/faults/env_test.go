//go:build faults

package faults

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/chserver"
	"github.com/keyproject/kpp/schema"
)

// env is one scenario's processes: a clickhouse-server, a NATS server of
// its own (natsd, or a cluster of them: newClusterEnv) and the `kpp serve`
// replicas, all in a temp dir, and the test's own connections to both
// servers.
type env struct {
	t       *testing.T
	dir     string
	ch      *chserver.Server
	dsn     string
	nats    *proc
	natsURL string
	nc      *nats.Conn
	js      jetstream.JetStream
	// nodes are the natsd processes of a cluster (newClusterEnv; nats is
	// then nil, and natsURL lists every node, comma-separated).
	nodes []*proc
}

// newEnv starts NATS and connects to it; ch is the scenario's ClickHouse
// server (testenv.ClickHouseServer, or one on a small disk).
func newEnv(t *testing.T, ch *chserver.Server) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), ch: ch, dsn: ch.DSN("kpp")}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	e.nats = startProc(t, e.dir, "natsd", bin.natsd, "-listen", listen, "-store", filepath.Join(e.dir, "jetstream"))
	e.nats.waitLine("ready", 30*time.Second)
	e.natsURL = "nats://" + listen
	e.connect()
	return e
}

// connect connects the test's client to e.natsURL. It reconnects for
// ever, as the producers and kpp serve do.
func (e *env) connect() {
	e.t.Helper()
	var err error
	e.nc, err = nats.Connect(e.natsURL, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		e.t.Fatalf("connect to NATS: %v", err)
	}
	e.t.Cleanup(e.nc.Close)
	if e.js, err = jetstream.New(e.nc); err != nil {
		e.t.Fatal(err)
	}
}

// serve starts a `kpp serve` replica on the scenario's servers: ingest with
// a 5 s ack wait (so that a killed replica's batch comes again within
// seconds), the web server off, and the review schedules off unless extra
// turns them on (later flags win).
func (e *env) serve(name string, extra ...string) *proc {
	e.t.Helper()
	p := e.startServe(name, extra...)
	p.waitLine("serving;", 90*time.Second)
	return p
}

// startServe starts a replica as serve does, without waiting for it to
// be ready.
func (e *env) startServe(name string, extra ...string) *proc {
	e.t.Helper()
	args := []string{"--log-level", "info", "serve", "--nats-url", e.natsURL, "--clickhouse", e.dsn, "--http-listen", "",
		"--ack-wait", "5s", "--schedule-weekly", "off", "--schedule-dekad", "off", "--schedule-monthly", "off"}
	return startProc(e.t, e.dir, name, bin.kpp, append(args, extra...)...)
}

// kpp runs a kpp command to its end and returns its output.
func (e *env) kpp(args ...string) string {
	e.t.Helper()
	p := startProc(e.t, e.dir, "kpp-"+args[0], bin.kpp, args...)
	<-p.done
	if err := p.stop(); err != nil {
		e.t.Fatalf("kpp %v: %v\n%s", args, err, p.tail(30))
	}
	return p.tail(1000)
}

// store opens the scenario's database (migrated by kpp serve).
func (e *env) store() *chstore.Store {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := chstore.Open(ctx, e.dsn, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = st.Close() })
	return st
}

// progress is where ingest stands: the stream's last sequence, the
// consumer's ack floor and what it holds unacknowledged or undelivered.
type progress struct {
	last, acked            uint64
	ackPending, numPending uint64
	// redelivered counts deliveries beyond the first of each message:
	// the consumer's delivery sequence past the last stream sequence it
	// delivered (the consumer delivers the whole stream from 1).
	redelivered uint64
}

func (p progress) caughtUp() bool {
	return p.acked >= p.last && p.ackPending == 0 && p.numPending == 0
}

func (p progress) String() string {
	return fmt.Sprintf("stream last seq %d, ack floor %d, %d unacknowledged, %d not delivered", p.last, p.acked, p.ackPending, p.numPending)
}

// progress reads the stream and the ingest consumer; it errs while NATS is
// down or before kpp serve created the consumer.
func (e *env) progress() (progress, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := e.js.Stream(ctx, schema.UpdatesStream)
	if err != nil {
		return progress{}, err
	}
	c, err := s.Consumer(ctx, ingest.DefaultDurable)
	if err != nil {
		return progress{}, err
	}
	ci, err := c.Info(ctx)
	if err != nil {
		return progress{}, err
	}
	si, err := s.Info(ctx)
	if err != nil {
		return progress{}, err
	}
	pr := progress{last: si.State.LastSeq, acked: ci.AckFloor.Stream, ackPending: uint64(ci.NumAckPending), numPending: ci.NumPending}
	if ci.Delivered.Consumer > ci.Delivered.Stream {
		pr.redelivered = ci.Delivered.Consumer - ci.Delivered.Stream
	}
	return pr, nil
}

// waitFor polls cond every 20ms until it holds; the test fails after
// timeout, saying what it waited for and where ingest stood.
func (e *env) waitFor(what string, timeout time.Duration, cond func(progress) bool) progress {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	var last progress
	var lastErr error
	for {
		p, err := e.progress()
		if err == nil {
			last = p
			if cond(p) {
				return p
			}
		}
		lastErr = err
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not within %s (%s; last error: %v)", what, timeout, last, lastErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitIngested waits until ingest has acknowledged every message of the
// stream.
func (e *env) waitIngested(timeout time.Duration) progress {
	e.t.Helper()
	return e.waitFor("ingest to acknowledge the whole stream", timeout, progress.caughtUp)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
