package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fakeClock is a Clock the test sets by hand; WaitUntil returns when the
// test moves it to or past the time waited for.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters map[*clockWaiter]struct{}
}

type clockWaiter struct {
	at time.Time
	ch chan struct{}
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, waiters: map[*clockWaiter]struct{}{}}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) WaitUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if !c.now.Before(t) {
		c.mu.Unlock()
		return nil
	}
	w := &clockWaiter{at: t, ch: make(chan struct{})}
	c.waiters[w] = struct{}{}
	c.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiters, w)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Set moves the clock to t and wakes the waiters it reached.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	for w := range c.waiters {
		if !t.Before(w.at) {
			close(w.ch)
			delete(c.waiters, w)
		}
	}
}

// Waiting returns how many are waiting and the earliest time waited for.
func (c *fakeClock) Waiting() (int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first time.Time
	for w := range c.waiters {
		if first.IsZero() || w.at.Before(first) {
			first = w.at
		}
	}
	return len(c.waiters), first
}

// logBuffer collects a scheduler's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the log lines containing every one of parts.
func (b *logBuffer) lines(parts ...string) []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		ok := l != ""
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

func newLogger(t *testing.T, name string) (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, b.String())
		}
	})
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// openStore opens a fresh database with the migrations applied.
func openStore(t *testing.T, dsn string) *chstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// connect opens a NATS connection of its own (closed at the end of the
// test) and its JetStream context.
func connect(t *testing.T, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// call is one call of a test job.
type call struct {
	Replica string
	Kind    schema.ReviewKind
	Period  string
	Trigger Trigger
	Now     time.Time
	RunID   string
}

func (c call) String() string {
	return fmt.Sprintf("%s %s %s %s at %s", c.Replica, c.Kind, c.Period, c.Trigger, c.Now.In(schema.Location()).Format("2006-01-02 15:04"))
}

// calls records every call of the test jobs of a test.
type calls struct {
	mu   sync.Mutex
	list []call
}

func (c *calls) add(r Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, call{Replica: r.Replica, Kind: r.Period.Kind, Period: r.Period.Key(), Trigger: r.Trigger, Now: r.Now, RunID: r.RunID})
}

func (c *calls) all() []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]call(nil), c.list...)
}

func (c *calls) strings() []string {
	var out []string
	for _, x := range c.all() {
		out = append(out, x.String())
	}
	return out
}

// okJob records the call and reports a fixed result.
func okJob(c *calls) Job {
	return func(ctx context.Context, r Request) (Result, error) {
		c.add(r)
		return Result{Rows: 10, Projects: 4, Green: 1, Yellow: 1, Red: 1, Unrated: 1}, nil
	}
}

// waitIdle waits until every scheduler sharing the clock waits on it (one
// waiter per kind) and none is running anything.
func waitIdle(t *testing.T, clock *fakeClock, ss ...*Scheduler) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, _ := clock.Waiting()
		idle := n == 3*len(ss)
		var running []Running
		for _, s := range ss {
			running = append(running, s.Status().Running...)
		}
		if idle && len(running) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("schedulers not idle after 20s: %d clock waiters (want %d), running %v", n, 3*len(ss), running)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// start runs s until the test ends or stop is called; stop waits for Run
// to return.
func start(t *testing.T, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("Run did not return within 30s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitLeader(t *testing.T, s *Scheduler) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, func() bool { return s.Status().Leader }, "%s never became the leader", s.cfg.Replica)
}

// events reads every review-completed event in the stream, in order, with
// its message id.
func events(t *testing.T, js jetstream.JetStream) ([]schema.ReviewCompleted, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, schema.ReviewsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		t.Fatalf("stream %s: %v", schema.ReviewsStream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var evs []schema.ReviewCompleted
	var ids []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		var ev schema.ReviewCompleted
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatalf("message %d on %s: %v: %s", seq, m.Subject, err, m.Data)
		}
		if want := schema.ReviewCompletedSubject(ev.Kind); m.Subject != want {
			t.Errorf("event %s %s on subject %s, want %s", ev.Kind, ev.Period, m.Subject, want)
		}
		evs = append(evs, ev)
		ids = append(ids, m.Header.Get(schema.HeaderMsgID))
	}
	return evs, ids
}

// runStrings lists rollup_runs as "kind period trigger status replica",
// sorted.
func runStrings(t *testing.T, st *chstore.Store) []string {
	t.Helper()
	runs, err := Runs(context.Background(), st, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range runs {
		out = append(out, fmt.Sprintf("%s %s %s %s %s", r.Period.Kind, r.Period.Key(), r.Trigger, r.Status, r.Replica))
	}
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}
