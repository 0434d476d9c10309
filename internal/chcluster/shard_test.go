package chcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
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

// shards starts ZooKeeper and two clickhouse-server processes on
// loopback, each the one replica of a shard of the cluster "kpp".
func shards(t *testing.T) []*chserver.Server {
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
	var ports [][]int
	for range 2 {
		p, err := chserver.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, []int{p})
	}
	var srvs []*chserver.Server
	for i, p := range ports {
		s, err := chserver.Start(ctx, chserver.Config{
			Dir: filepath.Join(dir, fmt.Sprintf("shard%d", i+1)), TCPPort: p[0],
			Analyst: chserver.Analyst{Database: "*"},
			Replication: &chserver.Replication{
				Cluster: cluster, ZooKeeper: []string{zk.Addr()}, Shards: ports,
				Shard: fmt.Sprintf("%02d", i+1), Replica: "r1",
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

// ingestAll runs ingest from a NATS server of its own into the database
// of st, publishes evs (the projects' registrations first) and waits until every event is stored.
func ingestAll(t *testing.T, ctx context.Context, wg *sync.WaitGroup, st *chstore.Store, evs []schema.Event) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	_, _, js := testenv.NATS(t)
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(js, st, ingest.Config{
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
	// Registrations first: submit refuses reports of unregistered projects.
	if _, err := pub.PublishEvents(ctx, evs[:projects]); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, func() bool { return in.Stats().Total().Accepted >= projects }, "ingest did not store the registrations")
	const chunk = 500
	for i := projects; i < len(evs); i += chunk {
		part := evs[i:min(i+chunk, len(evs))]
		if rc, err := pub.PublishEvents(ctx, part); err != nil || rc.Files[0].Published != len(part) {
			t.Fatalf("publish events %d-%d: %+v, %v", i, i+len(part), rc, err)
		}
	}
	testenv.Eventually(t, 120*time.Second, func() bool { return in.Stats().Total().Accepted >= uint64(len(evs)) },
		"ingest stored %d of %d events", in.Stats().Total().Accepted, len(evs))
}

// TestShardedByProject creates the schema on a cluster of two shards,
// ingests the registrations and reports of many projects through the
// Distributed tables, and checks that both shards hold rows, each
// project's rows on one shard, the counts through the Distributed tables
// are those sent, and the monthly board computed on the cluster is the
// board a single server computes from the same events.
func TestShardedByProject(t *testing.T) {
	srvs := shards(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()

	db := testenv.NewName("kpp")
	st := open(t, srvs[0].DSN(db))
	if err := st.UseCluster(cluster); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	applied, err := st.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("migrations on two shards: %d applied in %s", len(applied), time.Since(start).Round(time.Millisecond))
	if again, err := st.Migrate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second migrate: applied %d, error %v; want nothing to do", len(again), err)
	}
	var on []*chstore.Store
	for _, s := range srvs {
		on = append(on, open(t, s.DSN(db)))
	}
	const objects = "SELECT groupArray(name || ' ' || engine) FROM (SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name)"
	var lists [2][]string
	for i, r := range on {
		if err := r.Conn().QueryRow(ctx, objects).Scan(&lists[i]); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(lists[0], ",") != strings.Join(lists[1], ",") {
		t.Fatalf("shards differ:\n%v\n%v", lists[0], lists[1])
	}
	all := strings.Join(lists[0], ",")
	for _, want := range []string{
		"investment_reports Distributed", "investment_reports_local ReplicatedReplacingMergeTree",
		"milestone_updates Distributed", "project_registrations Distributed", "project_registrations_local ReplicatedReplacingMergeTree",
		"dispatch_projects ReplicatedMergeTree", "schema_migrations ReplicatedReplacingMergeTree", "dispatch_monthly View",
	} {
		if !strings.Contains(all+",", want+",") {
			t.Errorf("no %q among %v", want, lists[0])
		}
	}
	if t.Failed() {
		return
	}

	now := time.Now().In(schema.Location())
	var evs []schema.Event
	for p := range projects {
		evs = append(evs, &schema.Project{
			Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: dept, Revision: 1, ReportedBy: "张三"},
			ProjectID: projectID(p), NameZh: "分片测试项目 " + projectID(p), Region: "丽水市庆元县",
			Category: schema.CategoryEnergy, Stage: schema.StageConstruction,
			TotalInvestmentWan: schema.MustWan("1060000"),
			AnnualPlans:        []schema.AnnualPlan{{Year: now.Year(), AmountWan: schema.MustWan("120")}},
		})
	}
	reps := reports(now)
	evs = append(evs, reps...)
	single := open(t, testenv.ClickHouseDSN(t))
	if _, err := single.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ingestAll(t, ctx, &wg, open(t, srvs[0].DSN(db)), evs)
	ingestAll(t, ctx, &wg, single, evs)

	// Both shards hold rows, each project on one shard.
	var perShard [2]uint64
	where := map[string]int{}
	for i, r := range on {
		perShard[i] = count(t, r, "SELECT count() FROM investment_reports_local FINAL")
		var ids []string
		if err := r.Conn().QueryRow(ctx, "SELECT groupUniqArray(project_id) FROM investment_reports_local").Scan(&ids); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if j, ok := where[id]; ok {
				t.Errorf("project %s has reports on shard %d and on shard %d", id, j+1, i+1)
			}
			where[id] = i
		}
		var regs []string
		if err := r.Conn().QueryRow(ctx, "SELECT groupUniqArray(project_id) FROM project_registrations_local").Scan(&regs); err != nil {
			t.Fatal(err)
		}
		for _, id := range regs {
			if j, ok := where[id]; !ok || j != i {
				t.Errorf("project %s is registered on shard %d, its reports are on shard %d", id, i+1, j+1)
			}
		}
	}
	t.Logf("reports per shard: %v", perShard)
	if perShard[0] == 0 || perShard[1] == 0 || perShard[0]+perShard[1] != uint64(len(reps)) {
		t.Errorf("reports per shard %v; want both non-empty, %d in all", perShard, len(reps))
	}
	if len(where) != projects {
		t.Errorf("%d projects have reports; want %d", len(where), projects)
	}
	for i, r := range on {
		for q, n := range map[string]uint64{
			"SELECT count() FROM investment_reports FINAL":                 uint64(len(reps)),
			"SELECT uniqExact(project_id, period) FROM investment_reports": uint64(len(reps)),
			"SELECT count() FROM project_registrations FINAL":              projects,
			"SELECT count() FROM investment_latest":                        uint64(len(reps)),
			"SELECT count() FROM projects":                                 projects,
			"SELECT count() FROM project_plans":                            projects,
			"SELECT count() FROM report_months":                            uint64(len(reps)),
			"SELECT count() FROM milestone_latest":                         0,
		} {
			if got := count(t, r, q); got != n {
				t.Errorf("shard %d: %s = %d, want %d", i+1, q, got, n)
			}
		}
	}

	// Every example of docs/analysts.md runs on the cluster: the same rows
	// through either shard, as many as on the single server (whose
	// received_at and ingested_at differ: it ingested the events apart).
	for _, q := range analystQueries(t) {
		var got [2][]string
		for i, r := range on {
			rows, err := queryRows(ctx, r, q)
			if err != nil {
				t.Errorf("docs/analysts.md query on shard %d: %v\n%s", i+1, err, q)
			}
			got[i] = rows
		}
		one, err := queryRows(ctx, single, q)
		if err != nil {
			t.Errorf("docs/analysts.md query on the single server: %v\n%s", err, q)
		}
		if strings.Join(got[0], "\n") != strings.Join(got[1], "\n") || len(got[0]) != len(one) {
			t.Errorf("docs/analysts.md query: %d rows through shard 1, %d through shard 2 (same: %v), %d on the single server\n%s",
				len(got[0]), len(got[1]), strings.Join(got[0], "\n") == strings.Join(got[1], "\n"), len(one), q)
		}
	}

	// The monthly board on the cluster (computed through shard 1, read on
	// both) and on the single server.
	period := schema.ReviewPeriodContaining(schema.ReviewMonthly, now)
	board := func(st *chstore.Store, runID string) string {
		t.Helper()
		b, err := rollup.Load(ctx, st, period)
		if err != nil {
			t.Fatal(err)
		}
		if b.RunID != runID || len(b.Projects) != projects {
			t.Fatalf("board of run %s with %d projects; want run %s, %d projects", b.RunID, len(b.Projects), runID, projects)
		}
		b.RunID, b.ComputedAt, b.Cutoff = "", time.Time{}, time.Time{}
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(js)
	}
	var boards []string
	for i, run := range []string{"shard-run-1", "shard-run-2"} {
		if _, err := rollup.Run(ctx, on[i], period, rating.DefaultRules(), rollup.RunOptions{RunID: run}); err != nil {
			t.Fatalf("monthly rollup through shard %d: %v", i+1, err)
		}
		for j := range on {
			testenv.Eventually(t, 30*time.Second, func() bool {
				b, err := rollup.Load(ctx, on[j], period)
				return err == nil && b.RunID == run
			}, "shard %d never had the board of %s", j+1, run)
			boards = append(boards, board(on[j], run))
			// The second run dropped the first's partitions on every server.
			if n := count(t, on[j], "SELECT count() FROM dispatch_projects WHERE run_id != '"+run+"'"); i > 0 && n != 0 {
				t.Errorf("server of shard %d: %d rows of the earlier run left in dispatch_projects; want its partitions dropped", j+1, n)
			}
		}
	}
	if _, err := rollup.Run(ctx, single, period, rating.DefaultRules(), rollup.RunOptions{RunID: "single-run"}); err != nil {
		t.Fatalf("monthly rollup on one server: %v", err)
	}
	want := board(single, "single-run")
	for i, b := range boards {
		if b != want {
			t.Errorf("board %d on the sharded cluster differs from the single server's:\n%.2000s\n%.2000s", i+1, b, want)
		}
	}
	if !strings.Contains(want, projectID(0)) {
		t.Errorf("board has no project %s: %.500s", projectID(0), want)
	}
}

// analystQueries are the ```sql examples of docs/analysts.md.
func analystQueries(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "analysts.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(raw), -1) {
		out = append(out, schema.SplitStatements(m[1])...)
	}
	if len(out) < 8 {
		t.Fatalf("docs/analysts.md has %d sql examples, want at least 8", len(out))
	}
	return out
}

// queryRows runs q and renders each row as JSON.
func queryRows(ctx context.Context, st *chstore.Store, q string) ([]string, error) {
	rows, err := st.Conn().Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := rows.ColumnTypes()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		for i, c := range cols {
			vals[i] = reflect.New(c.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		js, err := json.Marshal(vals)
		if err != nil {
			return nil, err
		}
		out = append(out, string(js))
	}
	return out, rows.Err()
}
