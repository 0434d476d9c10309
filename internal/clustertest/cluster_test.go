package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/consumers/schedule"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	dept  = "qy-fgj"
	token = "kpp_fgj_0123456789abcdef0123456789abcdef"
	// months is how many monthly reports each project gets from the
	// producer: 2001-01 to 2017-08.
	months = 200
	// replicas of every stream and bucket.
	replicas = 3
)

// reportCount is the number of reports the producer sends.
func reportCount(t *testing.T) int {
	n := 20000
	if s := os.Getenv("KPP_CLUSTER_REPORTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < months {
			t.Fatalf("KPP_CLUSTER_REPORTS=%q: expected a number of reports, at least %d", s, months)
		}
		n = v
	}
	return n / months * months
}

func logger(t *testing.T, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: level}))
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func connect(t *testing.T, urls string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(urls, append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(200 * time.Millisecond)}, opts...)...)
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

func openStore(t *testing.T, dsn string) *chstore.Store {
	t.Helper()
	st, err := chstore.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func projectID(i int) string { return fmt.Sprintf("cluster-p%04d", i) }

func registration(id string) *schema.Project {
	return &schema.Project{
		Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: dept, Revision: 1, ReportedBy: "张三"},
		ProjectID: id, NameZh: "集群测试项目 " + id, Region: "丽水市庆元县",
		Category: schema.CategoryEnergy, Stage: schema.StageConstruction,
		TotalInvestmentWan: schema.MustWan("1060000"),
		AnnualPlans:        []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("120000")}},
	}
}

// report k of a project: month k from 2001-01, 10 万元 a month.
func report(id string, k int) *schema.InvestmentReport {
	m := 1 + k%12
	return &schema.InvestmentReport{
		Common:            schema.Common{Schema: schema.SchemaInvestment, DepartmentID: dept, Revision: 1, ReportedBy: "张三"},
		ProjectID:         id,
		Period:            fmt.Sprintf("%d-%02d", 2001+k/12, m),
		MonthCompletedWan: schema.MustWan("10"),
		YTDCompletedWan:   schema.MustWan(strconv.Itoa(10 * m)),
		PhysicalProgress:  "主体施工中",
	}
}

func count(t *testing.T, st *chstore.Store, q string) uint64 {
	t.Helper()
	var n uint64
	if err := st.Conn().QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestStreamLeaderDiesMidStream runs the pipeline on a three-node NATS
// cluster with every stream and bucket replicated three times: a producer
// publishing reports, the intake API giving receipts, two ingest replicas
// sharing the durable consumer, two schedulers sharing the lease. The node
// that leads KPP_UPDATES is shut down a third of the way through the
// stream and restarted two thirds through. Every acknowledged report must
// be in ClickHouse exactly once, every receipt must still be served and
// true, and the lease must move from the scheduler that lost its node to
// the other without any review run twice.
func TestStreamLeaderDiesMidStream(t *testing.T) {
	n := reportCount(t)
	projects := n / months
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	log := logger(t, slog.LevelWarn)

	cl := testenv.NATSCluster(t, 3)
	dsn := testenv.ClickHouseDSN(t)
	opts := schema.StreamOptions{Replicas: replicas}

	_, js := connect(t, cl.URLs())
	if err := schema.EnsureStreams(ctx, js, opts); err != nil {
		t.Fatal(err)
	}
	leaderName := func(stream string) string {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatalf("stream %s: %v", stream, err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatalf("stream %s: %v", stream, err)
		}
		if info.Config.Replicas != replicas || info.Cluster == nil || len(info.Cluster.Replicas) != replicas-1 {
			t.Fatalf("stream %s: %d replicas configured, cluster %+v; want %d", stream, info.Config.Replicas, info.Cluster, replicas)
		}
		return info.Cluster.Leader
	}
	leader := cl.Index(leaderName(schema.UpdatesStream))
	if leader < 0 {
		t.Fatal("KPP_UPDATES has no leader")
	}
	var others []string
	for i := range cl.Len() {
		if i != leader {
			others = append(others, cl.URL(i))
		}
	}

	// A client without --stream-replicas must not scale the streams down.
	_, jsClient := connect(t, cl.URLs())
	if err := schema.EnsureStreams(ctx, jsClient, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	leaderName(schema.UpdatesStream)

	// The schedulers: a on the leader's node only, as if it ran on the
	// same machine and went down with it (it does not move to the nodes
	// the cluster tells of); b on the others.
	var calls sync.Map // "kind period" -> *atomic.Int32
	job := func(_ context.Context, r schedule.Request) (schedule.Result, error) {
		c, _ := calls.LoadOrStore(string(r.Period.Kind)+" "+r.Period.Key(), new(atomic.Int32))
		c.(*atomic.Int32).Add(1)
		return schedule.Result{Rows: 1}, nil
	}
	newScheduler := func(name, urls string, nopts ...nats.Option) *schedule.Scheduler {
		_, js := connect(t, urls, nopts...)
		s, err := schedule.New(js, openStore(t, dsn), job, schedule.Config{
			Replica: name, LookBack: 40 * 24 * time.Hour, LeaseTTL: 3 * time.Second, Streams: opts,
			Logger: logger(t, slog.LevelInfo).With("scheduler", name),
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
	}
	t.Logf("streams ready; KPP_UPDATES led by %s", cl.Name(leader))
	a := newScheduler("a", cl.URL(leader), nats.IgnoreDiscoveredServers())
	run("scheduler a", a.Run)
	testenv.Eventually(t, 30*time.Second, func() bool { return a.Status().Leader }, "scheduler a never took the lease")
	b := newScheduler("b", strings.Join(others, ","))
	run("scheduler b", b.Run)
	testenv.Eventually(t, 30*time.Second, func() bool { return b.Status().LeaseHolder == "a" }, "scheduler b never saw a's lease")

	t.Logf("schedulers running; a leads")
	// Two ingest replicas on one durable consumer, listing the nodes in
	// different orders.
	var ingesters []*ingest.Ingester
	for i, urls := range []string{cl.URLs(), strings.Join(append(others, cl.URL(leader)), ",")} {
		_, js := connect(t, urls)
		in, err := ingest.New(js, openStore(t, dsn), ingest.Config{
			BatchSize: 2000, FlushInterval: 50 * time.Millisecond, AckWait: 5 * time.Second, Streams: opts, Logger: log,
		})
		if err != nil {
			t.Fatal(err)
		}
		ingesters = append(ingesters, in)
		run(fmt.Sprintf("ingest %d", i), in.Run)
	}
	accepted := func() (n uint64) {
		for _, in := range ingesters {
			n += in.Stats().Total().Accepted
		}
		return n
	}

	// The producer registers the projects, then sends the reports.
	_, jsPub := connect(t, cl.URLs())
	pub, err := submit.New(jsPub, submit.Config{Streams: opts, Source: "cli", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	var regs []schema.Event
	for p := range projects {
		regs = append(regs, registration(projectID(p)))
	}
	if _, err := pub.PublishEvents(ctx, regs); err != nil {
		t.Fatalf("register the projects: %v", err)
	}
	testenv.Eventually(t, 60*time.Second, func() bool { return accepted() >= uint64(projects) }, "ingest did not store the %d registrations", projects)

	t.Logf("%d projects registered", projects)
	// The intake, on its own connection, with receipts in KPP_RECEIPTS.
	_, jsIntake := connect(t, cl.URLs())
	in, err := intake.New(ctx, jsIntake, intake.Config{
		Auth: intake.AuthFunc(func(tok string) (intake.Department, error) {
			if tok != token {
				return intake.Department{}, fmt.Errorf("%w: unknown token", intake.ErrUnauthorized)
			}
			return intake.Department{ID: dept, Name: "庆元县发展和改革局"}, nil
		}),
		Limits:  intake.Limits{RatePerSecond: 10000, RateBurst: 10000},
		Streams: opts,
		Logger:  log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(in.Handler())
	defer ts.Close()
	for _, b := range []string{intake.ReceiptsBucket, schedule.LeaseBucket, schema.ProjectsBucket} {
		leaderName("KV_" + b)
	}
	for _, s := range []string{schema.DeadLetterStream, schema.ReviewsStream} {
		leaderName(s)
	}

	var acked atomic.Int64
	producerDone := make(chan struct{})
	producerStart := time.Now()
	go func() {
		defer close(producerDone)
		const chunk = 1000
		// Month by month, as departments report: a batch of ingest then
		// spans a few monthly partitions. (Project by project, each batch
		// spanned 200 months, and ClickHouse wrote a part in each month's
		// partition per insert: ~430 reports/s; see docs/performance.md.)
		var evs []schema.Event
		for k := range months {
			for p := range projects {
				evs = append(evs, report(projectID(p), k))
			}
		}
		for start := 0; start < len(evs); start += chunk {
			part := evs[start:min(start+chunk, len(evs))]
			// A producer retries what was not acknowledged; message ids
			// make a retry of what was stored a duplicate.
			for try := 0; ; try++ {
				rc, err := pub.PublishEvents(ctx, part)
				if err == nil {
					if got := rc.Files[0].Published + rc.Files[0].Duplicates; got != len(part) {
						t.Errorf("chunk at %d: %d published + duplicates, want %d", start, got, len(part))
					}
					break
				}
				if ctx.Err() != nil || try == 100 {
					t.Errorf("chunk at %d: not acknowledged after %d tries: %v", start, try+1, err)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			acked.Add(int64(len(part)))
		}
	}()

	// The intake's clients post one report at a time until the producer
	// is done and the node is back, retrying a failed request with the same idempotency key.
	type sent struct {
		receipt intake.Receipt
		key     string
	}
	var receipts []sent
	intakeDone, restarted := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(intakeDone)
		for i := 0; i < 10*48; i++ {
			select {
			case <-restarted:
				select {
				case <-producerDone:
					if i >= 20 {
						return
					}
				default:
				}
			default:
			}
			k := i / 10 // month from 2018-01
			m := 1 + k%12
			body := fmt.Sprintf(`{"project_id":%q,"period":"%d-%02d","reported_by":"王敏","month_completed_wan":"7","ytd_completed_wan":"%d"}`,
				projectID(i%10), 2018+k/12, m, 7*m)
			key := fmt.Sprintf("cluster-%d", i)
			for try := 0; ; try++ {
				status, resp := do(t, ts.URL, "POST", "/api/v1/reports", key, body)
				if status == http.StatusCreated || status == http.StatusOK {
					var rc intake.Receipt
					if err := json.Unmarshal(resp, &rc); err != nil {
						t.Errorf("receipt %s: %v", resp, err)
						return
					}
					receipts = append(receipts, sent{rc, key})
					break
				}
				if status < 500 || try == 100 {
					t.Errorf("intake report %d: %d %s (try %d)", i, status, resp, try+1)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	// A third of the way through, the leader of KPP_UPDATES dies.
	testenv.Eventually(t, 5*time.Minute, func() bool { return acked.Load() >= int64(n/3) }, "the producer did not reach a third of the stream")
	if now := cl.Index(leaderName(schema.UpdatesStream)); now != leader {
		t.Fatalf("the leader of KPP_UPDATES moved from %s to %s before the kill", cl.Name(leader), cl.Name(now))
	}
	killedAt := acked.Load()
	cl.Stop(leader)
	t.Logf("stopped %s, leader of KPP_UPDATES, after %d acknowledged reports", cl.Name(leader), killedAt)
	testenv.Eventually(t, 30*time.Second, func() bool { return b.Status().Leader }, "the lease did not move to b after a's node died: a %+v, b %+v", a.Status(), b.Status())
	if a.Status().Leader {
		t.Error("a still leads without its node")
	}
	testenv.Eventually(t, 5*time.Minute, func() bool { return acked.Load() >= int64(2*n/3) }, "the producer did not reach two thirds of the stream without the old leader")
	if acked.Load() == killedAt {
		t.Error("nothing was acknowledged while the old leader was down")
	}
	cl.Start(leader)
	close(restarted)
	t.Logf("restarted %s after %d acknowledged reports; KPP_UPDATES is led by %s", cl.Name(leader), acked.Load(), leaderName(schema.UpdatesStream))

	<-producerDone
	t.Logf("the producer's %d reports acknowledged by JetStream %s after its first publish; %d stored by ingest", n, time.Since(producerStart).Round(time.Millisecond), accepted()-uint64(projects))
	<-intakeDone
	if acked.Load() != int64(n) {
		t.Fatalf("%d of %d reports acknowledged", acked.Load(), n)
	}
	want := uint64(n + len(receipts))
	st := openStore(t, dsn)
	testenv.Eventually(t, 2*time.Minute, func() bool {
		return count(t, st, "SELECT count() FROM investment_reports FINAL") >= want
	}, "ClickHouse did not get every acknowledged report (%d): %d accepted by ingest", want, accepted())
	t.Logf("every report stored %s after the producer's first publish", time.Since(producerStart).Round(time.Millisecond))
	if got := count(t, st, "SELECT count() FROM investment_reports FINAL"); got != want {
		t.Errorf("investment_reports FINAL has %d reports, want %d", got, want)
	}
	if got := count(t, st, "SELECT count() FROM investment_latest"); got != want {
		t.Errorf("investment_latest has %d reports, want %d, each once", got, want)
	}
	if got := count(t, st, "SELECT toUInt64(sum(month_completed_wan)) FROM investment_latest WHERE period < '2018'"); got != uint64(10*n) {
		t.Errorf("the producer's reports sum to %d 万元, want %d", got, 10*n)
	}
	raw := count(t, st, "SELECT count() FROM investment_reports")
	var dup uint64
	for _, in := range ingesters {
		dup += in.Stats().Total().Duplicate
	}
	t.Logf("%d reports (%d from the producer, %d receipts from the intake); %d rows before merges, %d redeliveries recognised as duplicates by ingest",
		want, n, len(receipts), raw, dup)

	if dl, err := js.Stream(ctx, schema.DeadLetterStream); err != nil {
		t.Fatal(err)
	} else if info, err := dl.Info(ctx); err != nil {
		t.Fatal(err)
	} else if info.State.Msgs != 0 {
		t.Errorf("KPP_DEADLETTER holds %d messages; every report was valid", info.State.Msgs)
	}

	// Every receipt is still served, the same, and its report is stored.
	for _, s := range receipts {
		status, body := do(t, ts.URL, "GET", "/api/v1/receipts/"+s.receipt.ID, "", "")
		if status != http.StatusOK {
			t.Errorf("receipt %s (key %s): %d %s", s.receipt.ID, s.key, status, body)
			continue
		}
		var again intake.Receipt
		if err := json.Unmarshal(body, &again); err != nil {
			t.Fatal(err)
		}
		if len(again.Events) != 1 || len(s.receipt.Events) != 1 || again.Events[0] != s.receipt.Events[0] {
			t.Errorf("receipt %s changed:\n was %+v\n now %+v", s.receipt.ID, s.receipt.Events, again.Events)
			continue
		}
		ev := again.Events[0]
		if got := count(t, st, fmt.Sprintf("SELECT count() FROM investment_reports FINAL WHERE event_id = '%s' AND stream_seq = %d", ev.EventID, ev.Seq)); got != 1 {
			t.Errorf("receipt %s: event %s at seq %d stored %d times, want once", s.receipt.ID, ev.EventID, ev.Seq, got)
		}
	}

	// No review ran twice, and each is recorded and announced once.
	var ran []string
	calls.Range(func(k, v any) bool {
		ran = append(ran, k.(string))
		if c := v.(*atomic.Int32).Load(); c != 1 {
			t.Errorf("review %s ran %d times", k, c)
		}
		return true
	})
	slices.Sort(ran)
	if len(ran) == 0 {
		t.Error("no review was caught up at start")
	}
	runs, err := schedule.Runs(ctx, st, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, r := range runs {
		if r.Status == schedule.StatusOK {
			recorded = append(recorded, string(r.Period.Kind)+" "+r.Period.Key())
		}
	}
	slices.Sort(recorded)
	if !slices.Equal(recorded, ran) {
		t.Errorf("rollup_runs ok %q, want each review run once: %q", recorded, ran)
	}
	t.Logf("reviews run once each: %q; lease holder now %s", ran, b.Status().LeaseHolder)
	rs, err := js.Stream(ctx, schema.ReviewsStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := rs.Info(ctx); err != nil {
		t.Fatal(err)
	} else if info.State.Msgs != uint64(len(ran)) {
		t.Errorf("KPP_REVIEWS has %d events, want %d (one per review)", info.State.Msgs, len(ran))
	}
	// The restarted node rejoins: a and b agree on one holder. (The lease
	// may have moved again: a renewal that misses the TTL on a loaded
	// machine hands it over, which is what the lease is for.)
	testenv.Eventually(t, 30*time.Second, func() bool {
		sa, sb := a.Status(), b.Status()
		return sa.LeaseHolder != "" && sa.LeaseHolder == sb.LeaseHolder && sa.Leader != sb.Leader
	}, "after n%d came back, a and b do not agree on one lease holder: a %+v, b %+v", leader+1, a.Status(), b.Status())
	cancel()
}

// do sends a request to the intake as the department and returns the
// status and body.
func do(t *testing.T, base, method, path, key, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(intake.HeaderIdempotencyKey, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 599, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestIngestReplicaDiesMidBatch runs two ingest replicas on one durable
// consumer of a three-node cluster (every stream ×3) and kills one — its
// NATS connection closed under it, as when its process dies — while
// reports stream in: it holds the batch it is collecting and often one it
// has stored without its acks getting out. The other replica gets them
// again after the ack wait: every report must be stored once, and the
// sums must match what was sent.
func TestIngestReplicaDiesMidBatch(t *testing.T) {
	const projects, perProject = 50, 200 // 10,000 reports, month by month
	n := projects * perProject
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cl := testenv.NATSCluster(t, 3)
	dsn := testenv.ClickHouseDSN(t)
	opts := schema.StreamOptions{Replicas: replicas}
	log := logger(t, slog.LevelWarn)
	_, js := connect(t, cl.URLs())
	if err := schema.EnsureStreams(ctx, js, opts); err != nil {
		t.Fatal(err)
	}

	type replica struct {
		nc   *nats.Conn
		in   *ingest.Ingester
		done chan error
	}
	var rs []*replica
	for i := range 2 {
		nc, js := connect(t, cl.URLs())
		in, err := ingest.New(js, openStore(t, dsn), ingest.Config{
			BatchSize: 500, FlushInterval: 50 * time.Millisecond, AckWait: 2 * time.Second, Streams: opts,
			Logger: log.With("replica", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		r := &replica{nc: nc, in: in, done: make(chan error, 1)}
		go func() { r.done <- in.Run(ctx) }()
		rs = append(rs, r)
	}
	a, b := rs[0], rs[1]
	defer func() {
		cancel()
		for _, r := range rs {
			<-r.done
		}
	}()
	accepted := func(r *replica) uint64 { return r.in.Stats().ByKind[schema.KindInvestment].Accepted }

	_, jsPub := connect(t, cl.URLs())
	pub, err := submit.New(jsPub, submit.Config{Streams: opts, Source: "cli", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	var regs []schema.Event
	for p := range projects {
		regs = append(regs, registration(projectID(p)))
	}
	if _, err := pub.PublishEvents(ctx, regs); err != nil {
		t.Fatalf("register the projects: %v", err)
	}
	testenv.Eventually(t, time.Minute, func() bool {
		return a.in.Stats().ByKind[schema.KindProject].Accepted+b.in.Stats().ByKind[schema.KindProject].Accepted >= projects
	}, "the registrations were not stored")

	published := make(chan error, 1)
	go func() {
		var evs []schema.Event
		for k := range perProject {
			for p := range projects {
				evs = append(evs, report(projectID(p), k))
			}
		}
		for start := 0; start < len(evs); start += 500 {
			if _, err := pub.PublishEvents(ctx, evs[start:min(start+500, len(evs))]); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()

	// Kill a once it has stored some batches and while the rest is
	// still coming.
	testenv.Eventually(t, 2*time.Minute, func() bool { return accepted(a) >= 1000 }, "replica a stored nothing")
	a.nc.Close()
	killedAt := accepted(a)
	if killedAt >= uint64(n) {
		t.Fatalf("replica a stored all %d reports before it was killed", killedAt)
	}
	select {
	case err := <-a.done:
		rs = rs[1:]
		t.Logf("replica a killed after %d reports stored and acknowledged: Run returned %v", killedAt, err)
		killedAt = accepted(a) // with the batch it was storing, whose acks were lost
	case <-time.After(30 * time.Second):
		t.Fatal("replica a did not stop after its NATS connection was closed")
	}
	if err := <-published; err != nil {
		t.Fatalf("publish the reports: %v", err)
	}

	st := openStore(t, dsn)
	testenv.Eventually(t, 2*time.Minute, func() bool {
		return count(t, st, "SELECT count() FROM investment_reports FINAL") >= uint64(n)
	}, "the surviving replica did not store every report: %d by a, %d by b", killedAt, accepted(b))
	for q, want := range map[string]uint64{
		"SELECT count() FROM investment_reports FINAL":                     uint64(n),
		"SELECT count() FROM investment_latest":                            uint64(n),
		"SELECT toUInt64(sum(month_completed_wan)) FROM investment_latest": uint64(10 * n),
		"SELECT count(DISTINCT stream_seq) FROM investment_reports":        uint64(n),
	} {
		if got := count(t, st, q); got != want {
			t.Errorf("%s: %d, want %d", q, got, want)
		}
	}
	bs := b.in.Stats().ByKind[schema.KindInvestment]
	t.Logf("a stored %d reports, b %d and recognised %d redelivered ones a had stored without its acks arriving; %d rows before merges",
		killedAt, bs.Accepted, bs.Duplicate, count(t, st, "SELECT count() FROM investment_reports"))
}
