package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/demo"
	"github.com/keyproject/kpp/producers/sheet"
	"github.com/keyproject/kpp/schema"
)

// TestMain runs the tests; with KPP_TEST_AS_KPP=1 the test binary is the
// kpp command instead (the docs' examples call kpp from bash).
func TestMain(m *testing.M) {
	if os.Getenv("KPP_TEST_AS_KPP") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	testenv.Main(m)
}

// kpp runs the command line in-process and returns its exit code and output.
func kpp(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestEveryCommandHasHelpWithEnvironmentVariables(t *testing.T) {
	ctx := context.Background()
	cmds := map[string][]string{
		"serve":          {"KPP_NATS_URL", "KPP_CLICKHOUSE", "KPP_DATA_DIR", "KPP_INGEST_BATCH_SIZE", "KPP_SCHEDULE_WEEKLY", "KPP_SCHEDULE_LOOKBACK", "KPP_HTTP_LISTEN", "KPP_RULES"},
		"submit":         {"KPP_NATS_URL", "--skip-invalid", "--receipt"},
		"migrate":        {"KPP_CLICKHOUSE", "--analyst-password", "KPP_ANALYST_PASSWORD"},
		"rollup monthly": {"--period", "--from", "--to", "KPP_RULES", "KPP_NATS_URL"},
		"rollup weekly":  {"2025-W39"},
		"rollup dekad":   {"2025-09-D2"},
		"report monthly": {"--period", "--format", "table", "csv", "md", "html", "xlsx"},
		"report weekly":  {"--output"},
		"rules default":  {},
		"rules check":    {},
		"dlq list":       {"--source", "KPP_CLICKHOUSE"},
		"dlq replay":     {"--seq", "--payload", "--all"},
		"demo":           {"--keep-running", "--now", "KPP_DEMO_NOW"},
		"bench":          {"--events"},
	}
	for cmd, wants := range cmds {
		code, out, errOut := kpp(t, ctx, append(strings.Fields(cmd), "--help")...)
		if code != 0 {
			t.Errorf("kpp %s --help: exit %d, stderr %s", cmd, code, errOut)
		}
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("kpp %s --help does not mention %s:\n%s", cmd, w, out)
			}
		}
	}
	code, _, errOut := kpp(t, ctx, "rollup", "monthly")
	if code != 2 || !strings.Contains(errOut, "say what to compute: --period 2025-09") {
		t.Errorf("missing --period: exit %d, %s", code, errOut)
	}
	code, _, errOut = kpp(t, ctx, "rollup", "monthly", "--period", "2025-13", "--clickhouse", "clickhouse://127.0.0.1:1/kpp")
	if code != 1 || !strings.Contains(errOut, `month 13 is not 01-12`) {
		t.Errorf("bad period: exit %d, %s", code, errOut)
	}
}

// writeJSONL writes events as a JSON Lines file.
func writeJSONL(t *testing.T, path string, events []schema.Event) {
	t.Helper()
	var b bytes.Buffer
	for _, ev := range events {
		line, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The README's commands, end to end on real servers: serve ingests what
// submit publishes, rollup stores the month, report prints it, dlq lists
// the rejected; a re-submission changes nothing.
func TestCommandsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := testenv.ClickHouseDSN(t)
	natsSrv, _, js := testenv.NATS(t)
	conn := []string{"--nats-url", natsSrv.URL(), "--clickhouse", dsn}
	httpAddr := freeAddr(t)
	d, err := demo.Build(demo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The department of 庆元抽水蓄能电站 reports through the API below.
	owner := demoProject(t, d, "qingyuan-pumped-storage")
	deptFile := filepath.Join(t.TempDir(), "departments.json")
	token, _ := addDepartment(t, ctx, deptFile, owner.DepartmentID, owner.DepartmentName)
	// A leader reads the report pages.
	readersFile := filepath.Join(t.TempDir(), "readers.json")
	code, out, errOut := kpp(t, ctx, "reader", "add", "--readers-file", readersFile, "zhang-wei", "--role", "leader")
	leaderPassword := regexp.MustCompile(`\n  (\S{32})\n`).FindStringSubmatch(out)
	if code != 0 || leaderPassword == nil {
		t.Fatalf("reader add: exit %d\n%s\n%s", code, out, errOut)
	}
	defer serveInBackground(t, ctx, cancel, append([]string{"--http-listen", httpAddr, "--file", deptFile, "--readers-file", readersFile}, conn...)...)()

	dir := t.TempDir()
	file := filepath.Join(dir, "reports.jsonl")
	writeJSONL(t, file, d.Events())
	receipt := filepath.Join(dir, "receipt.json")
	code, out, errOut = kpp(t, ctx, "submit", "--nats-url", natsSrv.URL(), "--receipt", receipt, file)
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errOut)
	}
	var rc struct {
		Files []struct {
			Published int `json:"published"`
		} `json:"files"`
	}
	b, err := os.ReadFile(receipt)
	if err != nil || json.Unmarshal(b, &rc) != nil || len(rc.Files) != 1 || rc.Files[0].Published != len(d.Events()) {
		t.Fatalf("receipt %s: %v %s", receipt, err, b)
	}

	// A file with an error publishes nothing and says where.
	var good []*schema.InvestmentReport
	for _, ev := range d.Reports {
		if r, ok := ev.(*schema.InvestmentReport); ok {
			good = append(good, r)
		}
	}
	badCopy := *good[0]
	badCopy.Period = "2025-13"
	badFile := filepath.Join(dir, "bad.jsonl")
	writeJSONL(t, badFile, []schema.Event{good[1], &badCopy})
	code, out, _ = kpp(t, ctx, "submit", "--nats-url", natsSrv.URL(), badFile)
	if code != 3 || !strings.Contains(out, "bad.jsonl:2") || !strings.Contains(out, "2025-13") {
		t.Fatalf("invalid file: exit %d\n%s", code, out)
	}

	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	count := func() uint64 {
		var n uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM investment_reports FINAL").Scan(&n); err != nil {
			return 0
		}
		return n
	}
	var wantReports uint64
	for _, ev := range d.Reports {
		if ev.Kind() == schema.KindInvestment {
			wantReports++
		}
	}
	testenv.Eventually(t, 60*time.Second, func() bool { return count() == wantReports }, "investment_reports has %d rows, want %d", count(), wantReports)

	// A department reports October through the HTTP API of kpp serve with its
	// token; the report reaches ClickHouse. The intake checks ownership in
	// KPP_PROJECTS, which ingest writes just after storing the rows.
	testenv.Eventually(t, 30*time.Second, func() bool {
		kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
		if err != nil {
			return false
		}
		_, err = kv.Get(ctx, "qingyuan-pumped-storage")
		return err == nil
	}, "ingest did not record the project's owner in %s", schema.ProjectsBucket)
	var sepYTD string
	for _, r := range good {
		if r.ProjectID == "qingyuan-pumped-storage" && r.Period == "2025-09" {
			sepYTD = r.YTDCompletedWan.Value.Add(schema.MustWan("1500").Value).String()
		}
	}
	body := `{"project_id":"qingyuan-pumped-storage","period":"2025-10","reported_by":"王敏","month_completed_wan":"1500","ytd_completed_wan":"` + sepYTD + `"}`
	req, _ := http.NewRequest("POST", "http://"+httpAddr+"/api/v1/reports", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "e2e-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	apiBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST /api/v1/reports: %d %s", resp.StatusCode, apiBody)
	}
	octoberStored := func() bool {
		var n uint64
		_ = st.Conn().QueryRow(ctx, "SELECT count() FROM investment_latest WHERE project_id = ? AND period = '2025-10' AND source = 'api'", "qingyuan-pumped-storage").Scan(&n)
		return n == 1
	}
	testenv.Eventually(t, 30*time.Second, octoberStored, "the report sent through the API is not in investment_latest")
	req.Header.Set("Authorization", "Bearer kpp_000000000000_wrong")
	req.Body = io.NopCloser(strings.NewReader(body))
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("a wrong token: %v %v", resp.StatusCode, err)
	}
	xlsxTemplate := filepath.Join(dir, "template.xlsx")
	if code, out, errOut = kpp(t, ctx, "template", "xlsx", "--nats-url", natsSrv.URL(), "--file", deptFile, "--department", owner.DepartmentID, "--period", "2025-11", "-o", xlsxTemplate); code != 0 || !strings.Contains(out, "project(s) of "+owner.DepartmentID+" "+owner.DepartmentName) {
		t.Errorf("template xlsx: exit %d %s %s", code, out, errOut)
	}
	projectsTemplate := filepath.Join(dir, "projects.xlsx")
	if code, out, errOut = kpp(t, ctx, "template", "xlsx", "--kind", "projects", "--nats-url", natsSrv.URL(), "--file", deptFile, "--department", owner.DepartmentID, "-o", projectsTemplate); code != 0 || !strings.Contains(out, "registration workbook with") {
		t.Errorf("template xlsx --kind projects: exit %d %s %s", code, out, errOut)
	} else if f, err := excelize.OpenFile(projectsTemplate); err != nil {
		t.Errorf("the registration workbook: %v", err)
	} else {
		ids, _ := f.GetCellValue(sheet.ProjectsSheet, "A4")
		f.Close()
		if ids == "" {
			t.Errorf("the registration workbook has no project row: %s", out)
		}
	}

	// Re-submitting is not a second copy: every event is a duplicate.
	code, out, _ = kpp(t, ctx, "submit", "--nats-url", natsSrv.URL(), "--receipt", receipt, file)
	var again struct {
		Files []struct {
			Published  int `json:"published"`
			Duplicates int `json:"duplicates"`
		} `json:"files"`
	}
	b, err = os.ReadFile(receipt)
	if code != 0 || err != nil || json.Unmarshal(b, &again) != nil || len(again.Files) != 1 ||
		again.Files[0].Published != 0 || again.Files[0].Duplicates != len(d.Events()) || !strings.Contains(out, "already stored") {
		t.Fatalf("resubmit: exit %d, want 0 published and %d duplicates\n%s\n%s", code, len(d.Events()), out, b)
	}

	code, out, errOut = kpp(t, ctx, append([]string{"rollup", "monthly", "--period", "2025-09"}, conn...)...)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d projects", len(d.Projects))) || !strings.Contains(out, "月例会 2025-09") {
		t.Fatalf("rollup: exit %d\n%s\n%s", code, out, errOut)
	}
	// Weekly and ten-day reviews see what was received by each period's end;
	// the reports here were received today, so a backfill of months shows
	// the range and progress instead (the rollup package tests the cut-offs).
	code, out, errOut = kpp(t, ctx, append([]string{"rollup", "monthly", "--from", "2025-06", "--to", "2025-09"}, conn...)...)
	if code != 0 || !strings.Contains(out, "4 periods computed, 2025-06 … 2025-09") {
		t.Fatalf("rollup monthly backfill: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = kpp(t, ctx, "report", "monthly", "--period", "2025-09", "--format", "csv", "--clickhouse", dsn)
	if code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff")))
	cr.FieldsPerRecord = -1 // sections: projects, then totals by dimension
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("report csv: %v\n%s", err, out)
	}
	var found bool
	for _, r := range rows {
		if strings.Contains(strings.Join(r, ","), "庆元抽水蓄能电站") {
			found = true
		}
	}
	if !found {
		t.Errorf("the board lacks 庆元抽水蓄能电站:\n%s", out)
	}
	code, out, _ = kpp(t, ctx, "report", "monthly", "--period", "2025-09", "--format", "md", "--clickhouse", dsn)
	if code != 0 || !strings.Contains(out, "义龙庆高速公路庆元段") {
		t.Errorf("report md: exit %d\n%s", code, out)
	}
	xlsx := filepath.Join(dir, "board.xlsx")
	if code, _, errOut = kpp(t, ctx, "report", "monthly", "--period", "2025-08", "--format", "xlsx", "-o", xlsx, "--clickhouse", dsn); code != 0 {
		t.Errorf("report xlsx: exit %d: %s", code, errOut)
	} else if fi, err := os.Stat(xlsx); err != nil || fi.Size() < 5000 {
		t.Errorf("report xlsx: %v %v", fi, err)
	}
	if code, _, errOut = kpp(t, ctx, "report", "monthly", "--period", "2025-08", "--format", "xlsx", "--clickhouse", dsn); code != 2 || !strings.Contains(errOut, "give -o FILE.xlsx") {
		t.Errorf("xlsx to a terminal: exit %d: %s", code, errOut)
	}
	// The web server of kpp serve lists the reviews and serves them to a
	// signed-in account, and to no one else.
	for _, path := range []string{"/", "/reports/monthly/2025-09", "/reports/monthly/2025-06.xlsx"} {
		resp, err := http.Get("http://" + httpAddr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: %d, want 401", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/", "/reports/monthly/2025-09", "/reports/monthly/2025-06.xlsx", "/healthz", "/metrics"} {
		req, _ := http.NewRequest("GET", "http://"+httpAddr+path, nil)
		req.SetBasicAuth("zhang-wei", leaderPassword[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		if path == "/metrics" && !regexp.MustCompile(`kpp_ingest_messages_total\{kind="investment",outcome="accepted"\} [1-9]`).Match(body) {
			t.Errorf("/metrics lacks the accepted investment reports:\n%s", body)
		}
		if path == "/" && (!strings.Contains(string(body), "2025-09") || !strings.Contains(string(body), "2025-06")) {
			t.Errorf("index lacks the computed reviews:\n%s", body)
		}
	}
	if code, out, _ = kpp(t, ctx, "migrate", "--clickhouse", dsn); code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("migrate again: exit %d, %s", code, out)
	}
	if code, out, _ = kpp(t, ctx, "dlq", "list", "--clickhouse", dsn); code != 0 || !strings.Contains(out, "no rejected updates") {
		t.Errorf("dlq list: exit %d, %s", code, out)
	}
}

// demoProject returns the demo's registration of a project.
func demoProject(t *testing.T, d *demo.Demo, id string) *schema.Project {
	t.Helper()
	for _, p := range d.Projects {
		if p.ProjectID == id {
			return p
		}
	}
	t.Fatalf("the demo portfolio has no project %s", id)
	return nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestRulesCommands(t *testing.T) {
	ctx := context.Background()
	code, out, _ := kpp(t, ctx, "rules", "default")
	if code != 0 || !strings.Contains(out, "yellow_band") {
		t.Fatalf("rules default: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "rules.toml")
	if err := os.WriteFile(good, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := kpp(t, ctx, "rules", "check", good); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("rules check of the default: exit %d %s %s", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("yellow_bnad = 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := kpp(t, ctx, "rules", "check", bad); code != 1 || !strings.Contains(errOut, "yellow_bnad") {
		t.Errorf("rules check of a bad file: exit %d %s", code, errOut)
	}
}

// kpp demo on a fixed clock (20 October 2025): the history runs to
// September, imported with its submission times; the reviews of the last
// weeks and months are backfilled at their scheduled times, so the boards
// have data, late and missing reports are counted from the declared times,
// and 变化 compares with a previous board.
func TestDemoPrintsTheBoard(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := kpp(t, ctx, "demo", "--dir", dir, "--clickhouse", dsn, "--now", "2025-10-20 10:00")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	d, err := demo.Build(demo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := demo.BadMessages(d.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2025年9月", "庆元抽水蓄能电站", "义龙庆高速公路庆元段", "未报送2个",
		fmt.Sprintf("被拒收的报送 (rejected updates, kpp dlq list): %d", len(bad)),
		fmt.Sprintf("imported %d projects", len(d.Projects)), "history to 2025-09",
		fmt.Sprintf("imported the same %d events again: 0 new, %d duplicates", len(d.Events()), len(d.Events())), "月例会 2025-09", "done"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if regexp.MustCompile(`(迟报|late)[^\n|]*[0-9]{3,} ?(天|days)`).MatchString(out) {
		t.Errorf("demo output reports a lateness of hundreds of days:\n%s", out)
	}
	for _, f := range []string{"kpp-monthly-2025-09.html", "kpp-monthly-2025-09.xlsx"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() < 5000 {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}

	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	one := func(q string, dst ...any) {
		t.Helper()
		if err := st.Conn().QueryRow(ctx, q).Scan(dst...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The boards by colour and reporting, dimension 'all'.
	totals := func(kind, period string) string {
		var projects, reported, missing, late, green, yellow, red, unrated uint32
		one(`SELECT projects, reported, missing, late, green, yellow, red, unrated FROM dispatch_totals
WHERE kind = '`+kind+`' AND period = '`+period+`' AND dimension = 'all'`, &projects, &reported, &missing, &late, &green, &yellow, &red, &unrated)
		return fmt.Sprintf("projects %d reported %d missing %d late %d green %d yellow %d red %d unrated %d", projects, reported, missing, late, green, yellow, red, unrated)
	}
	// September, reviewed on 6 October: 濛杨线 did not report, and the
	// museum's report (a late reporter in odd months) had not come yet.
	// Red: three projects behind time progress by more than 10 points and
	// 丽水机场 (通航 planned 2025-06-30, more than 30 days overdue); the four
	// projects whose 2017 milestones the sources show missed reached them
	// in 2018 and are green on their pace.
	if got, want := totals("monthly", "2025-09"), "projects 151 reported 149 missing 2 late 0 green 109 yellow 5 red 4 unrated 33"; got != want {
		t.Errorf("monthly 2025-09: %s, want %s", got, want)
	}
	// The week of 13-19 October: the museum's September report came after
	// the deadline (迟报), 濛杨线 still missing.
	if got, want := totals("weekly", "2025-W42"), "projects 151 reported 150 missing 1 late 1"; !strings.HasPrefix(got, want) {
		t.Errorf("weekly 2025-W42: %s, want %s …", got, want)
	}
	if got := totals("dekad", "2025-10-D1"); !strings.HasPrefix(got, "projects 151 reported 1") {
		t.Errorf("dekad 2025-10-D1: %s, want the projects and their reports", got)
	}
	var weekly, dekad, monthly uint64
	one(`SELECT countIf(kind = 'weekly'), countIf(kind = 'dekad'), countIf(kind = 'monthly') FROM rollup_runs WHERE status = 'ok' AND trigger = 'backfill'`, &weekly, &dekad, &monthly)
	if weekly < 5 || dekad < 4 || monthly < 2 {
		t.Errorf("backfilled runs: %d weekly, %d dekad, %d monthly; want the last six weeks and three months", weekly, dekad, monthly)
	}
	var first, compared uint64
	one(`SELECT countIf(change = 'first'), countIf(change != 'first') FROM dispatch_projects WHERE kind = 'monthly' AND period = '2025-09'`, &first, &compared)
	if compared < 100 {
		t.Errorf("monthly 2025-09: %d projects compared with the previous board, %d 首次; want nearly all compared", compared, first)
	}
	var imported, late uint64
	one(`SELECT countIf(imported_by = 'kpp demo' AND source = 'demo' AND imported_at > received_at), countIf(toDate(received_at) > addDays(addMonths(period_start, 1), 4))
FROM investment_reports FINAL WHERE period >= '2025-01'`, &imported, &late)
	if imported < 1000 || late < 5 || late > 20 {
		t.Errorf("reports of 2025: %d imported by the demo, %d late; want every one imported and a few late", imported, late)
	}
}

// kpp demo --keep-running serves the board and the intake until stopped.
func TestDemoKeepRunningServesThePages(t *testing.T) {
	testenv.ClickHouseDSN(t) // fails loudly under CI=true when ClickHouse is missing
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := freeAddr(t)
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := kpp(t, ctx, "demo", "--dir", filepath.Join(t.TempDir(), "demo"), "--keep-running", "--http-listen", addr, "--now", "2025-10-20 10:00")
		done <- result{code, out, errOut}
	}()
	get := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// The board is served to the demo's leader only (its password is in
	// the output, read below).
	testenv.Eventually(t, 90*time.Second, func() bool { return get("/reports/monthly/2025-09") == http.StatusUnauthorized }, "the demo's board page is not served")
	if code := get("/intake/"); code != 200 && code != 303 {
		t.Errorf("GET /intake/: %d", code)
	}
	cancel()
	r := <-done
	d, err := demo.Build(demo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	owner := demoProject(t, d, "qingyuan-pumped-storage")
	for _, want := range []string{"sign in as " + owner.DepartmentName + " (" + owner.DepartmentID + ") with the token kpp_",
		"ClickHouse HTTP (BI tools, curl): http://127.0.0.1:", "rollup monthly --period 2025-10 --clickhouse", "--nats-url", "sign in as demo-leader with the password ",
		"the examples of docs/api.md run as written after: . "} {
		if r.code != 0 || !strings.Contains(r.out, want) {
			t.Errorf("demo --keep-running: exit %d, output lacks %q\n%s\n%s", r.code, want, r.out, r.err)
		}
	}
}
