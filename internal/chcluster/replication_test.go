package chcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/internal/chserver"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/internal/zkserver"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

const (
	cluster  = "kpp"
	dept     = "qy-fgj"
	projects = 100
	months   = 24
)

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// replicas starts ZooKeeper and two clickhouse-server replicas of the
// cluster "kpp" on loopback.
func replicas(t *testing.T) []*chserver.Server {
	t.Helper()
	skip := t.Skipf
	if testenv.InCI() {
		skip = t.Fatalf
	}
	if _, _, err := chserver.Find(""); err != nil {
		skip("ClickHouse: %v", err)
	}
	if _, _, err := zkserver.Find(""); err != nil {
		skip("ZooKeeper: %v", err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	zk, err := zkserver.Start(ctx, zkserver.Config{Dir: filepath.Join(dir, "zookeeper")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zk.Stop)
	var ports []int
	for range 2 {
		p, err := chserver.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, p)
	}
	var srvs []*chserver.Server
	for i, p := range ports {
		s, err := chserver.Start(ctx, chserver.Config{
			Dir: filepath.Join(dir, fmt.Sprintf("replica%d", i+1)), TCPPort: p,
			Analyst: chserver.Analyst{Database: "*"},
			Replication: &chserver.Replication{
				Cluster: cluster, ZooKeeper: []string{zk.Addr()}, Replicas: ports, Replica: fmt.Sprintf("r%d", i+1),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Stop() })
		srvs = append(srvs, s)
	}
	return srvs
}

func open(t *testing.T, dsn string) *chstore.Store {
	t.Helper()
	st, err := chstore.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func count(t *testing.T, st *chstore.Store, q string) uint64 {
	t.Helper()
	var n uint64
	if err := st.Conn().QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s on %s: %v", q, st.Database(), err)
	}
	return n
}

func projectID(i int) string { return fmt.Sprintf("repl-p%03d", i) }

// reports are the monthly reports of the months before now's, oldest first.
func reports(now time.Time) []schema.Event {
	var out []schema.Event
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, schema.Location()).AddDate(0, -months, 0)
	for k := range months {
		m := first.AddDate(0, k, 0)
		for p := range projects {
			out = append(out, &schema.InvestmentReport{
				Common:            schema.Common{Schema: schema.SchemaInvestment, DepartmentID: dept, Revision: 1, ReportedBy: "张三"},
				ProjectID:         projectID(p),
				Period:            fmt.Sprintf("%d-%02d", m.Year(), int(m.Month())),
				MonthCompletedWan: schema.MustWan("10"),
				YTDCompletedWan:   schema.MustWan(strconv.Itoa(10 * int(m.Month()))),
				PhysicalProgress:  "主体施工中",
			})
		}
	}
	return out
}

// TestReplicaDiesMidStream creates the schema on a two-replica cluster,
// runs ingest with a DSN listing both replicas, kills the first replica a
// third of the way through the reports and restarts it two thirds
// through. Both replicas must end with every report stored once, and the
// monthly board computed on either replica must be the same.
func TestReplicaDiesMidStream(t *testing.T) {
	srvs := replicas(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	log := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))

	db := testenv.NewName("kpp")
	both := "clickhouse://" + srvs[0].Addr() + "," + srvs[1].Addr() + "/" + db
	st := open(t, both)
	if err := st.UseCluster(cluster); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	applied, err := st.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("migrations on the cluster: %d applied in %s", len(applied), time.Since(start).Round(time.Millisecond))
	if again, err := st.Migrate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second migrate: applied %d, error %v; want nothing to do", len(again), err)
	}

	var on []*chstore.Store
	for _, s := range srvs {
		on = append(on, open(t, s.DSN(db)))
	}
	// Same tables and views on both replicas, every table replicated.
	const objects = "SELECT groupArray(name || ' ' || engine) FROM (SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name)"
	var lists [2][]string
	for i, r := range on {
		if err := r.Conn().QueryRow(ctx, objects).Scan(&lists[i]); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(lists[0], ",") != strings.Join(lists[1], ",") {
		t.Fatalf("replicas differ:\n%v\n%v", lists[0], lists[1])
	}
	for _, o := range lists[0] {
		name, engine, _ := strings.Cut(o, " ")
		if engine != "View" && !strings.HasPrefix(engine, "Replicated") {
			t.Errorf("table %s has engine %s; want a Replicated…MergeTree", name, engine)
		}
	}
	for _, want := range []string{"investment_reports ReplicatedReplacingMergeTree", "dispatch_projects ReplicatedMergeTree", "dispatch_monthly View", "schema_migrations ReplicatedReplacingMergeTree"} {
		if !strings.Contains(strings.Join(lists[0], ","), want) {
			t.Errorf("no %q among %v", want, lists[0])
		}
	}
	if t.Failed() {
		return
	}

	// NATS, ingest through both replicas.
	_, _, js := testenv.NATS(t)
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(js, open(t, both), ingest.Config{
		BatchSize: 500, FlushInterval: 50 * time.Millisecond, AckWait: 10 * time.Second,
		RetryMin: 100 * time.Millisecond, RetryMax: time.Second, StoreTimeout: 10 * time.Second, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := in.Run(ctx); err != nil && ctx.Err() == nil {
			t.Errorf("ingest: %v", err)
		}
	}()
	pub, err := submit.New(js, submit.Config{Source: "cli", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(schema.Location())
	var regs []schema.Event
	for p := range projects {
		regs = append(regs, &schema.Project{
			Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: dept, Revision: 1, ReportedBy: "张三"},
			ProjectID: projectID(p), NameZh: "副本测试项目 " + projectID(p), Region: "丽水市庆元县",
			Category: schema.CategoryEnergy, Stage: schema.StageConstruction,
			TotalInvestmentWan: schema.MustWan("1060000"),
			AnnualPlans:        []schema.AnnualPlan{{Year: now.Year(), AmountWan: schema.MustWan("120")}},
		})
	}
	if _, err := pub.PublishEvents(ctx, regs); err != nil {
		t.Fatal(err)
	}
	accepted := func() uint64 { return in.Stats().Total().Accepted }
	testenv.Eventually(t, 60*time.Second, func() bool { return accepted() >= projects }, "ingest did not store the registrations")

	evs := reports(now)
	const chunk = 200
	for i := 0; i < len(evs); i += chunk {
		part := evs[i:min(i+chunk, len(evs))]
		if rc, err := pub.PublishEvents(ctx, part); err != nil || rc.Files[0].Published != len(part) {
			t.Fatalf("publish reports %d-%d: %+v, %v", i, i+len(part), rc, err)
		}
		switch i / chunk {
		case len(evs) / chunk / 3:
			// Wait until ingest has written some, so the kill comes mid-stream.
			testenv.Eventually(t, 60*time.Second, func() bool { return accepted() > projects }, "ingest stored no report")
			srvs[0].Kill()
			t.Logf("replica 1 killed after %d reports published, %d events stored", i+len(part), accepted())
		case 2 * len(evs) / chunk / 3:
			testenv.Eventually(t, 60*time.Second, func() bool { return accepted() >= uint64(projects+i) }, "ingest did not go on through replica 2: %d events stored", accepted())
			if err := srvs[0].Restart(ctx); err != nil {
				t.Fatal(err)
			}
			t.Logf("replica 1 restarted after %d reports published, %d events stored", i+len(part), accepted())
		}
	}
	want := uint64(projects + len(evs))
	testenv.Eventually(t, 90*time.Second, func() bool { return accepted() >= want }, "ingest stored %d of %d events", accepted(), want)

	// Both replicas converge: every report once.
	for i, r := range on {
		testenv.Eventually(t, 60*time.Second, func() bool {
			var n uint64
			err := r.Conn().QueryRow(ctx, "SELECT count() FROM investment_reports FINAL").Scan(&n)
			return err == nil && n == uint64(len(evs))
		}, "replica %d never held the %d reports", i+1, len(evs))
		for q, n := range map[string]uint64{
			"SELECT count() FROM investment_reports FINAL":                                          uint64(len(evs)),
			"SELECT uniqExact(project_id, period) FROM investment_reports":                          uint64(len(evs)),
			"SELECT count() FROM investment_latest":                                                 uint64(len(evs)),
			"SELECT count() FROM project_registrations FINAL":                                       projects,
			"SELECT count() FROM (SELECT event_id FROM investment_reports FINAL GROUP BY event_id)": uint64(len(evs)),
		} {
			if got := count(t, r, q); got != n {
				t.Errorf("replica %d: %s = %d, want %d", i+1, q, got, n)
			}
		}
		t.Logf("replica %d: %d rows in investment_reports before merges, %d FINAL", i+1,
			count(t, r, "SELECT count() FROM investment_reports"), count(t, r, "SELECT count() FROM investment_reports FINAL"))
	}

	// The monthly board, computed on each replica in turn (each run drops
	// the partitions of the one before, on both replicas), read on both.
	period := schema.ReviewPeriodContaining(schema.ReviewMonthly, now)
	var boards []string
	for i, r := range on {
		if _, err := rollup.Run(ctx, r, period, rating.DefaultRules(), rollup.RunOptions{RunID: fmt.Sprintf("repl-run-%d", i+1)}); err != nil {
			t.Fatalf("monthly rollup on replica %d: %v", i+1, err)
		}
		for j, rr := range on {
			var b *rollup.Board
			testenv.Eventually(t, 30*time.Second, func() bool {
				b, err = rollup.Load(ctx, rr, period)
				return err == nil && b.RunID == fmt.Sprintf("repl-run-%d", i+1) && len(b.Projects) == projects
			}, "replica %d never had the board computed on replica %d (last error %v)", j+1, i+1, err)
			if n := count(t, rr, fmt.Sprintf("SELECT count() FROM dispatch_projects WHERE run_id != 'repl-run-%d'", i+1)); i > 0 && n != 0 {
				t.Errorf("replica %d: %d rows of the earlier run left in dispatch_projects; want its partitions dropped", j+1, n)
			}
			b.RunID, b.ComputedAt, b.Cutoff = "", time.Time{}, time.Time{}
			js, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			boards = append(boards, string(js))
		}
	}
	for i := 1; i < len(boards); i++ {
		if boards[i] != boards[0] {
			t.Errorf("board %d differs from board 1:\n%.2000s\n%.2000s", i+1, boards[i], boards[0])
		}
	}
	if !strings.Contains(boards[0], projectID(0)) {
		t.Errorf("board has no project %s: %.500s", projectID(0), boards[0])
	}
}
