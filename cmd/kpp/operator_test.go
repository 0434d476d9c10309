package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
)

// After kpp dept add, kpp serve's embedded NATS server requires a user.
// The operator's own commands on the same machine keep working without
// any password in the environment: kpp serve keeps the service password
// in <data-dir>/nats-service.secret (0600) and they read it. A command
// that cannot sign in says what to do, not "is kpp serve running".
func TestOperatorCommandsWithEmbeddedAuthorization(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	deptFile := filepath.Join(dir, "departments.json")
	addDepartment(t, ctx, deptFile, "qy-fgj", "庆元县发展和改革局")
	dataDir := filepath.Join(dir, "data")
	natsAddr := freeAddr(t)
	url := "nats://" + natsAddr
	t.Setenv("KPP_NATS_PASSWORD", "")
	stop := serveInBackground(t, ctx, cancel, "--nats-listen", natsAddr, "--data-dir", dataDir, "--clickhouse", dsn,
		"--file", deptFile, "--http-listen", "")
	defer stop()

	secret := filepath.Join(dataDir, serviceSecretName)
	testenv.Eventually(t, 30*time.Second, func() bool {
		_, err := os.Stat(secret)
		return err == nil
	}, "kpp serve wrote no "+secret)
	info, err := os.Stat(secret)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", secret, info.Mode().Perm())
	}

	events := `{"schema":"kpp.project.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","name_zh":"庆元抽水蓄能电站","region":"丽水市庆元县","category":"energy","stage":"construction","annual_plans":[{"year":2025,"amount_wan":"150000"}]}
{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","period":"2025-09","month_completed_wan":"1200","ytd_completed_wan":"9800"}
`
	file := filepath.Join(dir, "reports.jsonl")
	if err := os.WriteFile(file, []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	op := []string{"--nats-url", url, "--data-dir", dataDir}
	// The server may still be starting: the secret is written before the
	// server listens.
	var code int
	var out, errOut string
	testenv.Eventually(t, 30*time.Second, func() bool {
		code, out, errOut = kpp(t, ctx, append([]string{"submit"}, append(op, file)...)...)
		return code == 0 || !strings.Contains(errOut, "no NATS server answered")
	}, "kpp serve's NATS did not come up")
	if code != 0 || !strings.Contains(out, "2 record") {
		t.Fatalf("the operator's submit: exit %d\n%s\n%s", code, out, errOut)
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
	}, "the operator's report did not reach ClickHouse")

	code, out, errOut = kpp(t, ctx, append([]string{"rollup", "monthly", "--period", "2025-09", "--clickhouse", dsn}, op...)...)
	if code != 0 {
		t.Fatalf("the operator's rollup: exit %d\n%s\n%s", code, out, errOut)
	}
	xlsx := filepath.Join(dir, "template.xlsx")
	code, out, errOut = kpp(t, ctx, append([]string{"template", "xlsx", "--department", "qy-fgj", "--period", "2025-10", "--file", deptFile, "-o", xlsx}, op...)...)
	if code != 0 || !strings.Contains(out, "1 project(s)") {
		t.Fatalf("the operator's template: exit %d\n%s\n%s", code, out, errOut)
	}

	// Another data dir (no secret): refused, and told where the password is.
	code, _, errOut = kpp(t, ctx, "submit", "--nats-url", url, "--data-dir", filepath.Join(dir, "elsewhere"), file)
	if code != 1 || !strings.Contains(errOut, "refused a client without a user") || !strings.Contains(errOut, serviceSecretName) || strings.Contains(errOut, "is kpp serve running") {
		t.Errorf("no password: exit %d, stderr:\n%s", code, errOut)
	}
	// A secret that is not the server's: says which file and why.
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, serviceSecretName), []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = kpp(t, ctx, "rollup", "monthly", "--period", "2025-09", "--clickhouse", dsn, "--nats-url", url, "--data-dir", other)
	if code != 1 || !strings.Contains(errOut, "refused user kpp-service with the password in "+filepath.Join(other, serviceSecretName)) {
		t.Errorf("wrong password file: exit %d, stderr:\n%s", code, errOut)
	}
	// A secret others may read is refused before it is sent.
	if err := os.Chmod(filepath.Join(other, serviceSecretName), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = kpp(t, ctx, "submit", "--nats-url", url, "--data-dir", other, file)
	if code != 1 || !strings.Contains(errOut, "expected 0600") {
		t.Errorf("readable secret: exit %d, stderr:\n%s", code, errOut)
	}
	// KPP_NATS_PASSWORD wins over the file, and a wrong one says so.
	t.Setenv("KPP_NATS_PASSWORD", "wrong")
	code, _, errOut = kpp(t, ctx, append([]string{"submit"}, append(op, file)...)...)
	if code != 1 || !strings.Contains(errOut, "password in KPP_NATS_PASSWORD") {
		t.Errorf("wrong KPP_NATS_PASSWORD: exit %d, stderr:\n%s", code, errOut)
	}
	t.Setenv("KPP_NATS_PASSWORD", "")

	// No server at all: that, and only that, asks whether kpp serve runs.
	code, _, errOut = kpp(t, ctx, "submit", "--nats-url", "nats://"+freeAddr(t), "--data-dir", dataDir, file)
	if code != 1 || !strings.Contains(errOut, "is kpp serve running") {
		t.Errorf("no server: exit %d, stderr:\n%s", code, errOut)
	}
}
