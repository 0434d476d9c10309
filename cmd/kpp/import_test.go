package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/natsauth"
	"github.com/keyproject/kpp/schema"
)

// kpp import publishes past ledgers with their declared submission times:
// ingest stores the declared time as received_at (the board's lateness
// follows it) and who imported and when; a department can publish no
// import, neither with kpp import nor straight to NATS.
func TestImportEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	deptFile := filepath.Join(dir, "departments.json")
	_, out := addDepartment(t, ctx, deptFile, "qy-fgj", "庆元县发展和改革局")
	deptPassword := natsPassword(t, out)
	store, err := credentials.Open(deptFile)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := store.NATSDepartments()
	if err != nil {
		t.Fatal(err)
	}
	const servicePassword = "service-password-for-the-import-test"
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(), SyncAlways: true, NoSigs: true, NoLog: true}
	if err := natsauth.Apply(opts, natsauth.Config{Departments: ds, ServicePassword: servicePassword}); err != nil {
		t.Fatal(err)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS not ready")
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL(), natsauth.ServiceConnectOptions("", servicePassword)...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}

	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(js, st, ingest.Config{FlushInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ictx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(ictx) }()
	defer func() { stop(); <-done }()

	// Two projects registered in January; their August reports: one on
	// time (3 September), one late (12 September, 7 days after the 5th).
	reg := func(id string) string {
		return `{"schema":"kpp.project.v1","department_id":"qy-fgj","revision":1,"reported_by":"项目科","project_id":"` + id +
			`","name_zh":"项目` + id + `","region":"丽水市庆元县","category":"energy","stage":"construction","total_investment_wan":"100000",` +
			`"annual_plans":[{"year":2025,"amount_wan":"12000"}],"submitted_at":"2025-01-02T09:00:00+08:00"}`
	}
	rep := func(id, period, ytd, at string) string {
		return `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"` + id +
			`","period":"` + period + `","month_completed_wan":"1000","ytd_completed_wan":"` + ytd + `","submitted_at":"` + at + `"}`
	}
	ledger := filepath.Join(dir, "ledger.jsonl")
	lines := []string{reg("p-ontime"), reg("p-late"),
		rep("p-ontime", "2025-08", "8000", "2025-09-03T10:00:00+08:00"),
		rep("p-late", "2025-08", "8000", "2025-09-12T16:00:00+08:00")}
	if err := os.WriteFile(ledger, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The CSV form of a report, with a 报送时间 column.
	csvFile := filepath.Join(dir, "ledger.csv")
	if err := os.WriteFile(csvFile, []byte("项目编号,部门编号,填报人,月份,本月完成投资（万元）,本年累计完成（万元）,报送时间\n"+
		"p-ontime,qy-fgj,王敏,2025-07,1000,7000,2025-08-04 11:00\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A department is refused by kpp import, and by NATS itself.
	t.Setenv("KPP_NATS_PASSWORD", deptPassword)
	code, _, errOut := kpp(t, ctx, "import", "--nats-url", srv.ClientURL(), "--nats-user", "qy-fgj", "--by", "王敏", ledger)
	if code == 0 || !strings.Contains(errOut, "only the operator imports") {
		t.Errorf("import as a department: exit %d, %s", code, errOut)
	}
	dnc, err := nats.Connect(srv.ClientURL(), natsauth.DepartmentConnectOptions("qy-fgj", deptPassword)...)
	if err != nil {
		t.Fatal(err)
	}
	defer dnc.Close()
	djs, _ := jetstream.New(dnc)
	m := nats.NewMsg("kpp.v1._import.qy-fgj.investment.p-late")
	m.Data = []byte(rep("p-late", "2025-09", "9000", "2025-10-01T09:00:00+08:00"))
	m.Header.Set(schema.HeaderSubmittedAt, "2025-10-01T09:00:00+08:00")
	m.Header.Set(schema.HeaderImportedBy, "qy-fgj")
	pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
	_, err = djs.PublishMsg(pctx, m)
	pcancel()
	if err == nil {
		t.Fatal("a department's NATS user published on kpp.v1._import.>")
	}

	// The operator imports.
	t.Setenv("KPP_NATS_PASSWORD", servicePassword)
	code, out, errOut = kpp(t, ctx, "import", "--nats-url", srv.ClientURL(), "--nats-user", natsauth.DefaultServiceUser, "--by", "张三", ledger, csvFile)
	if code != 0 || !strings.Contains(out, "导入人 张三") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	// A file without submitted_at is refused whole.
	bare := filepath.Join(dir, "bare.csv")
	if err := os.WriteFile(bare, []byte("项目编号,部门编号,填报人,月份,本月完成投资（万元）,本年累计完成（万元）\np-ontime,qy-fgj,王敏,2025-06,1000,6000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := kpp(t, ctx, "import", "--nats-url", srv.ClientURL(), "--nats-user", natsauth.DefaultServiceUser, "--by", "张三", bare); code != 3 || !strings.Contains(out, "报送时间") {
		t.Errorf("import without submitted_at: exit %d\n%s", code, out)
	}

	testenv.Eventually(t, 30*time.Second, func() bool { t := in.Stats().Total(); return t.Accepted >= 5 }, "ingest did not store the import")
	if r := in.Stats().Total().Rejected; r != 0 {
		t.Errorf("ingest rejected %d messages", r)
	}
	rows, err := st.Conn().Query(ctx, `SELECT project_id, period, toString(received_at), source, imported_by, imported_at IS NOT NULL AND imported_at > received_at
FROM investment_reports FINAL ORDER BY project_id, period`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var p, period, at, src, by string
		var later uint8
		if err := rows.Scan(&p, &period, &at, &src, &by, &later); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{p, period, at, src, by}, " ")+map[uint8]string{0: "", 1: " imported later"}[later])
	}
	rows.Close()
	want := []string{
		"p-late 2025-08 2025-09-12 16:00:00 import 张三 imported later",
		"p-ontime 2025-07 2025-08-04 11:00:00 import 张三 imported later",
		"p-ontime 2025-08 2025-09-03 10:00:00 import 张三 imported later",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stored reports:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The monthly review of August sees the registrations and the reports
	// as of their declared times: on 6 September, as scheduled, the late
	// report has not come yet (missing, 1 day); run again on the 15th, it
	// is late by 7 days.
	rp, _ := schema.ParseReviewPeriod(schema.ReviewMonthly, "2025-08")
	for _, c := range []struct {
		day  int
		want string
	}{{6, "p-late missing 1, p-ontime on_time 0"}, {15, "p-late late 7, p-ontime on_time 0"}} {
		if _, err := rollup.Run(ctx, st, rp, rating.DefaultRules(), rollup.RunOptions{Now: time.Date(2025, 9, c.day, 7, 0, 0, 0, schema.Location())}); err != nil {
			t.Fatal(err)
		}
		rows, err = st.Conn().Query(ctx, `SELECT project_id, toString(status), days_late FROM dispatch_reporting WHERE kind = 'monthly' AND period = '2025-08' ORDER BY project_id`)
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for rows.Next() {
			var p, status string
			var days int32
			if err := rows.Scan(&p, &status, &days); err != nil {
				t.Fatal(err)
			}
			got = append(got, p+" "+status+" "+strconv.Itoa(int(days)))
		}
		rows.Close()
		if strings.Join(got, ", ") != c.want {
			t.Errorf("reporting of 2025-08 as of 2025-09-%02d: %v, want %s", c.day, got, c.want)
		}
	}
}
