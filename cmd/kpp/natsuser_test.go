package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/natsauth"
	"github.com/keyproject/kpp/schema"
)

// A department signed in as its own NATS user (kpp nats-config) can submit
// its reports with kpp submit; NATS itself refuses what is not its own.
func TestSubmitAsDepartmentNATSUser(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	deptFile := filepath.Join(dir, "departments.json")
	_, out := addDepartment(t, ctx, deptFile, "qy-fgj", "庆元县发展和改革局")
	deptPassword := natsPassword(t, out)
	var code int
	var errOut string
	store, err := credentials.Open(deptFile)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := store.NATSDepartments()
	if err != nil {
		t.Fatal(err)
	}
	const servicePassword = "service-password-for-the-test"
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

	// kpp serve (the service user) creates the streams and records the
	// owner of the project, as ingest does.
	nc, err := nats.Connect(srv.ClientURL(), natsauth.ServiceConnectOptions("", servicePassword)...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, "qingyuan-pumped-storage", "qy-fgj"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, "yilongqing-expressway-qingyuan", "qy-jtj"); err != nil {
		t.Fatal(err)
	}

	report := `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","period":"2025-09","month_completed_wan":"1200","ytd_completed_wan":"9800"}` + "\n"
	file := filepath.Join(dir, "mine.jsonl")
	if err := os.WriteFile(file, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KPP_NATS_PASSWORD", deptPassword)
	code, out, errOut = kpp(t, ctx, "submit", "--nats-url", srv.ClientURL(), "--nats-user", "qy-fgj", file)
	if code != 0 || !strings.Contains(out, "1 record") {
		t.Fatalf("submit as qy-fgj: exit %d\n%s\n%s", code, out, errOut)
	}
	s, _ := js.Stream(ctx, schema.UpdatesStream)
	if info, _ := s.Info(ctx); info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1", info.State.Msgs)
	}

	// Sending the same file again: JetStream holds the message id, and a
	// department's user may not read the stream to check that the stored
	// message is this report (another department could have set its id),
	// so the report is published again under a fresh id; ingest stores the
	// event once.
	start := time.Now()
	code, out, errOut = kpp(t, ctx, "submit", "--nats-url", srv.ClientURL(), "--nats-user", "qy-fgj", file)
	if code != 0 || !strings.Contains(out, "1 record published again under a fresh message id") {
		t.Fatalf("resubmit as qy-fgj: exit %d after %s\n%s\n%s", code, time.Since(start), out, errOut)
	}

	// Another department's project is refused before anything is published.
	other := strings.ReplaceAll(strings.ReplaceAll(report, "qingyuan-pumped-storage", "yilongqing-expressway-qingyuan"), `"qy-fgj"`, `"qy-fgj"`)
	otherFile := filepath.Join(dir, "other.jsonl")
	if err := os.WriteFile(otherFile, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = kpp(t, ctx, "submit", "--nats-url", srv.ClientURL(), "--nats-user", "qy-fgj", otherFile)
	if code != 3 || !strings.Contains(out, "belongs to \"qy-jtj\"") {
		t.Fatalf("another department's project: exit %d\n%s", code, out)
	}
	if info, _ := s.Info(ctx); info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages after a refused file, want 2", info.State.Msgs)
	}

	// A wrong password is refused at connect.
	t.Setenv("KPP_NATS_PASSWORD", "wrong")
	if code, _, errOut = kpp(t, ctx, "submit", "--nats-url", srv.ClientURL(), "--nats-user", "qy-fgj", file); code != 1 || !strings.Contains(errOut, "Authorization Violation") {
		t.Fatalf("wrong password: exit %d %s", code, errOut)
	}
}

// kpp serve with its embedded NATS server and a departments file turns on
// NATS authorization: a department signs in as its user and its reports
// reach ClickHouse; a client without a user is refused.
func TestServeEmbeddedNATSAuthorization(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	deptFile := filepath.Join(dir, "departments.json")
	_, out := addDepartment(t, ctx, deptFile, "qy-fgj", "庆元县发展和改革局")
	deptPassword := natsPassword(t, out)
	var code int
	var errOut string
	natsAddr := freeAddr(t)
	t.Setenv("KPP_NATS_PASSWORD", "the-service-password")
	done := make(chan string, 1)
	go func() {
		code, _, errOut := kpp(t, ctx, "serve", "--nats-listen", natsAddr, "--data-dir", filepath.Join(dir, "data"), "--clickhouse", dsn,
			"--file", deptFile, "--http-listen", "", "--flush-interval", "100ms",
			"--schedule-weekly", "off", "--schedule-dekad", "off", "--schedule-monthly", "off")
		done <- fmt.Sprintf("exit %d: %s", code, errOut)
	}()
	url := "nats://" + natsAddr
	testenv.Eventually(t, 30*time.Second, func() bool {
		nc, err := nats.Connect(url, natsauth.ServiceConnectOptions("", "the-service-password")...)
		if err == nil {
			nc.Close()
		}
		return err == nil
	}, "kpp serve's embedded NATS did not come up")

	events := `{"schema":"kpp.project.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","name_zh":"庆元抽水蓄能电站","region":"丽水市庆元县","category":"energy","stage":"construction","annual_plans":[{"year":2025,"amount_wan":"150000"}]}
{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","period":"2025-09","month_completed_wan":"1200","ytd_completed_wan":"9800"}
`
	file := filepath.Join(dir, "reports.jsonl")
	if err := os.WriteFile(file, []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KPP_NATS_PASSWORD", "")
	if code, _, errOut = kpp(t, ctx, "submit", "--nats-url", url, file); code != 1 || !strings.Contains(errOut, "Authorization Violation") {
		t.Fatalf("submit without a user: exit %d %s", code, errOut)
	}
	t.Setenv("KPP_NATS_PASSWORD", deptPassword)
	if code, out, errOut = kpp(t, ctx, "submit", "--nats-url", url, "--nats-user", "qy-fgj", file); code != 0 {
		t.Fatalf("submit as qy-fgj: exit %d\n%s\n%s", code, out, errOut)
	}
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testenv.Eventually(t, 30*time.Second, func() bool {
		var n uint64
		_ = st.Conn().QueryRow(ctx, "SELECT count() FROM investment_latest WHERE project_id = 'qingyuan-pumped-storage'").Scan(&n)
		return n == 1
	}, "the department's report did not reach ClickHouse")
	cancel()
	if res := <-done; !strings.HasPrefix(res, "exit 0") {
		t.Errorf("serve: %s", res)
	}
}
