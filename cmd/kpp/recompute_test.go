package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/schedule"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/demo"
	"github.com/keyproject/kpp/schema"
)

// The 重新计算 button of kpp serve's report pages, on real servers: a
// correction received after the monthly board was computed makes it out
// of date; a leader recomputes it with the button (the board then takes
// the correction, the run is recorded with trigger manual); a reader is
// refused, and so is a POST forged by another site.
func TestRecomputeButton(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := testenv.ClickHouseDSN(t)
	natsSrv, _, js := testenv.NATS(t)
	conn := []string{"--nats-url", natsSrv.URL(), "--clickhouse", dsn}
	httpAddr := freeAddr(t)
	base := "http://" + httpAddr + "/"
	d, err := demo.Build(demo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	owner := demoProject(t, d, "qingyuan-pumped-storage")
	deptFile := filepath.Join(t.TempDir(), "departments.json")
	addDepartment(t, ctx, deptFile, owner.DepartmentID, owner.DepartmentName)
	readersFile := filepath.Join(t.TempDir(), "readers.json")
	passwords := map[string]string{}
	for name, role := range map[string]string{"zhang-wei": "leader", "li-na": "reader"} {
		code, out, errOut := kpp(t, ctx, "reader", "add", "--readers-file", readersFile, name, "--role", role)
		m := regexp.MustCompile(`\n  (\S{32})\n`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("reader add %s: exit %d\n%s\n%s", name, code, out, errOut)
		}
		passwords[name] = m[1]
	}
	defer serveInBackground(t, ctx, cancel, append([]string{"--http-listen", httpAddr, "--file", deptFile, "--readers-file", readersFile}, conn...)...)()

	dir := t.TempDir()
	file := filepath.Join(dir, "reports.jsonl")
	writeJSONL(t, file, d.Events())
	if code, out, errOut := kpp(t, ctx, "submit", "--nats-url", natsSrv.URL(), file); code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errOut)
	}
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var september *schema.InvestmentReport
	var want uint64
	for _, ev := range d.Reports {
		if r, ok := ev.(*schema.InvestmentReport); ok {
			want++
			if r.ProjectID == owner.ProjectID && r.Period == "2025-09" {
				september = r
			}
		}
	}
	if september == nil {
		t.Fatal("the demo has no September report of " + owner.ProjectID)
	}
	stored := func(q string, args ...any) uint64 {
		var n uint64
		_ = st.Conn().QueryRow(ctx, q, args...).Scan(&n)
		return n
	}
	testenv.Eventually(t, 60*time.Second, func() bool { return stored("SELECT count() FROM investment_reports FINAL") == want },
		"investment_reports has %d rows, want %d", stored("SELECT count() FROM investment_reports FINAL"), want)
	if code, out, errOut := kpp(t, ctx, append([]string{"rollup", "monthly", "--period", "2025-09"}, conn...)...); code != 0 {
		t.Fatalf("rollup: exit %d\n%s\n%s", code, out, errOut)
	}
	p, _ := schema.ParseReviewPeriod(schema.ReviewMonthly, "2025-09")
	var cutoff time.Time
	ytd := func() (decimal.Decimal, string) {
		t.Helper()
		b, err := rollup.Load(ctx, st, p)
		if err != nil {
			t.Fatal(err)
		}
		cutoff = b.Cutoff
		for _, r := range b.Projects {
			if r.ProjectID == owner.ProjectID {
				return r.YTDCompletedWan, b.RunID
			}
		}
		t.Fatalf("the board lacks %s", owner.ProjectID)
		return decimal.Decimal{}, ""
	}
	before, firstRun := ytd()
	// A monthly board reads what was received by the second after its run
	// started (received_at has whole seconds): the correction must come
	// after that to be "received after the board".
	time.Sleep(time.Until(cutoff))

	// The department corrects September after the board was computed.
	correction := *september
	correction.Revision = 2
	correction.CorrectionReason = "补录漏报的设备购置款"
	extra := schema.MustWan("1000")
	correction.MonthCompletedWan = schema.NewWan(september.MonthCompletedWan.Value.Add(extra.Value))
	correction.YTDCompletedWan = schema.NewWan(september.YTDCompletedWan.Value.Add(extra.Value))
	correction.SinceStartCompletedWan = schema.NewWan(september.SinceStartCompletedWan.Value.Add(extra.Value))
	corrFile := filepath.Join(dir, "correction.jsonl")
	writeJSONL(t, corrFile, []schema.Event{&correction})
	if code, out, errOut := kpp(t, ctx, "submit", "--nats-url", natsSrv.URL(), corrFile); code != 0 {
		t.Fatalf("submit the correction: exit %d\n%s\n%s", code, out, errOut)
	}
	testenv.Eventually(t, 30*time.Second, func() bool {
		return stored("SELECT count() FROM investment_latest WHERE project_id = ? AND period = '2025-09' AND revision = 2", owner.ProjectID) == 1
	}, "the correction is not stored")
	// kpp serve's scheduler holds the lease (it runs no schedule here, but
	// takes part in the election).
	testenv.Eventually(t, 30*time.Second, func() bool {
		kv, err := js.KeyValue(ctx, schedule.LeaseBucket)
		if err != nil {
			return false
		}
		_, err = kv.Get(ctx, schedule.LeaseKey)
		return err == nil
	}, "kpp serve did not take the schedule's lease")

	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	do := func(c *http.Client, method, path string, mod func(*http.Request)) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		if mod != nil {
			mod(req)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	basic := func(name string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(name, passwords[name]) }
	}
	client := &http.Client{CheckRedirect: noRedirect}
	const page, action = "reports/monthly/2025-09", "reports/monthly/2025-09/recompute"
	button := `action="2025-09/recompute"`

	// Both see that the board is out of date; only the leader has the button.
	resp, body := do(client, "GET", page, basic("li-na"))
	if resp.StatusCode != 200 || !strings.Contains(body, "本榜计算后收到0条迟报、1条更正") || strings.Contains(body, button) {
		t.Fatalf("reader's page: %d, want the stale notice and no button\n%s", resp.StatusCode, body)
	}
	resp, body = do(client, "GET", page, basic("zhang-wei"))
	if resp.StatusCode != 200 || !strings.Contains(body, "本榜计算后收到0条迟报、1条更正") || !strings.Contains(body, button) {
		t.Fatalf("leader's page: %d, want the stale notice and the button\n%s", resp.StatusCode, body)
	}

	runs := func() uint64 {
		return stored("SELECT count() FROM rollup_runs WHERE period = '2025-09' AND kind = 'monthly'")
	}
	runsBefore := runs()

	// A reader is refused.
	resp, body = do(client, "POST", action, basic("li-na"))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "只有领导账号可以重新计算") {
		t.Errorf("reader's POST: %d, want 403\n%s", resp.StatusCode, body)
	}
	// So is no one.
	if resp, _ = do(client, "POST", action, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous POST: %d, want 401", resp.StatusCode)
	}

	// The leader signs in with the form; a page of another site that posts
	// to the button with the leader's cookie is refused.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: noRedirect}
	resp, _ = do(browser, "POST", "signin", func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Body = io.NopCloser(strings.NewReader(url.Values{"name": {"zhang-wei"}, "password": {passwords["zhang-wei"]}, "next": {page}}.Encode()))
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	resp, _ = do(browser, "POST", action, func(r *http.Request) {
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", "https://attacker.example")
	})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
	resp, _ = do(browser, "POST", action, func(r *http.Request) { r.Header.Set("Origin", "https://attacker.example") })
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with another site's Origin: %d, want 403", resp.StatusCode)
	}
	if n := runs(); n != runsBefore {
		t.Fatalf("refused POSTs ran the review: rollup_runs %d → %d", runsBefore, n)
	}
	if now, run := ytd(); !now.Equal(before) || run != firstRun {
		t.Fatalf("refused POSTs changed the board: %s (run %s) → %s (run %s)", before, firstRun, now, run)
	}

	// The leader's button recomputes it: back to the page, which shows the
	// new board with the correction and no stale notice.
	resp, body = do(browser, "POST", action, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-origin") })
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "../2025-09" {
		t.Fatalf("leader's POST: %d Location %q, want 303 to ../2025-09\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	after, run := ytd()
	if run == firstRun || !after.Equal(before.Add(extra.Value)) {
		t.Errorf("after the recompute the board has %s (run %s), want %s + 1000 (a new run)", after, run, before)
	}
	if n := stored("SELECT count() FROM rollup_runs WHERE run_id = ? AND trigger = 'manual' AND status = 'ok'", run); n != 1 {
		t.Errorf("run %s is not in rollup_runs as an ok manual run", run)
	}
	resp, body = do(browser, "GET", page, nil)
	if resp.StatusCode != 200 || strings.Contains(body, "本榜计算后收到") || !strings.Contains(body, button) {
		t.Errorf("the page after the recompute: %d, want the new board without the stale notice\n%s", resp.StatusCode, body)
	}
}
