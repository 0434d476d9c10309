package report_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/readers"
	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/internal/passhash"
	"github.com/keyproject/kpp/schema"
)

// runner recomputes with rollup.Run on the real store, or refuses while
// busy is set (as kpp serve's scheduler does without the lease).
type runner struct {
	run   func(ctx context.Context, p schema.ReviewPeriod) (*rollup.Summary, error)
	busy  atomic.Bool
	calls atomic.Int32
}

func (r *runner) Recompute(ctx context.Context, p schema.ReviewPeriod, by string) (report.Recomputed, error) {
	if r.busy.Load() {
		return report.Recomputed{}, &report.RecomputeRefused{Reason: "另一次计算正在进行。", Err: errors.New("busy")}
	}
	r.calls.Add(1)
	sum, err := r.run(ctx, p)
	if err != nil {
		return report.Recomputed{}, err
	}
	return report.Recomputed{Rows: int64(sum.RowsWritten())}, nil
}

// The 重新计算 button: shown to a leader only, on a board and on a review
// not computed; a leader's POST computes it and goes back to the board; a
// reader's is 403; a refusal is 409 with its reason; a period not ended is
// not computed. Without sign-in there is no button.
func TestRecompute(t *testing.T) {
	st, _ := storedReviews(t)
	rn := &runner{run: func(ctx context.Context, p schema.ReviewPeriod) (*rollup.Summary, error) {
		return rollup.Run(ctx, st, p, rating.DefaultRules(), rollup.RunOptions{})
	}}
	if _, err := report.NewHandler(st, report.Config{Recompute: rn}); !errors.Is(err, report.ErrInvalidConfig) {
		t.Errorf("a recompute without sign-in: %v, want ErrInvalidConfig", err)
	}
	store, err := readers.New(readers.Config{Path: filepath.Join(t.TempDir(), "readers.json"), Argon2: passhash.Params{Time: 1, MemoryKiB: 1024, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	pw := map[string]string{}
	for name, role := range map[string]string{"zhang-wei": readers.RoleLeader, "li-na": readers.RoleReader} {
		if pw[name], err = store.Add(name, role); err != nil {
			t.Fatal(err)
		}
	}
	h, err := report.NewHandler(st, report.Config{Accounts: accounts{store}, Recompute: rn})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, name string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.SetBasicAuth(name, pw[name])
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	if _, body := do("GET", "/reports/monthly/2025-09", "zhang-wei"); !strings.Contains(body, `<form class="recompute noprint" id="recompute" method="post" action="2025-09/recompute">`) {
		t.Errorf("the leader's board has no button:\n%s", body)
	}
	if _, body := do("GET", "/reports/monthly/2025-09", "li-na"); strings.Contains(body, "/recompute\"") {
		t.Errorf("the reader's board has a button:\n%s", body)
	}
	resp, body := do("GET", "/reports/monthly/2025-08", "zhang-wei")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `action="2025-08/recompute"`) || !strings.Contains(body, "计算这一期") {
		t.Errorf("not computed, for a leader: %d, want 404 with the button\n%s", resp.StatusCode, body)
	}
	if _, body := do("GET", "/reports/monthly/2025-08", "li-na"); strings.Contains(body, "/recompute\"") || !strings.Contains(body, "kpp rollup monthly --period 2025-08") {
		t.Errorf("not computed, for a reader: want the command and no button\n%s", body)
	}

	if resp, body := do("POST", "/reports/monthly/2025-08/recompute", "li-na"); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "只有领导账号可以重新计算") {
		t.Errorf("reader's POST: %d, want 403\n%s", resp.StatusCode, body)
	}
	if resp, body := do("POST", "/reports/monthly/2099-01/recompute", "zhang-wei"); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "本期尚未结束") {
		t.Errorf("a period not ended: %d, want 409\n%s", resp.StatusCode, body)
	}
	if resp, _ := do("POST", "/reports/yearly/2025/recompute", "zhang-wei"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown kind: %d, want 404", resp.StatusCode)
	}
	rn.busy.Store(true)
	if resp, body := do("POST", "/reports/monthly/2025-08/recompute", "zhang-wei"); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "现在不能重新计算") || !strings.Contains(body, "另一次计算正在进行") {
		t.Errorf("a refused recompute: %d, want 409 with the reason\n%s", resp.StatusCode, body)
	}
	rn.busy.Store(false)
	if n := rn.calls.Load(); n != 0 {
		t.Fatalf("refused POSTs ran %d reviews", n)
	}
	resp, body = do("POST", "/reports/monthly/2025-08/recompute", "zhang-wei")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "../2025-08" || rn.calls.Load() != 1 {
		t.Fatalf("leader's POST: %d Location %q, %d runs\n%s", resp.StatusCode, resp.Header.Get("Location"), rn.calls.Load(), body)
	}
	if resp, body := do("GET", "/reports/monthly/2025-08", "zhang-wei"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "2025年8月") {
		t.Errorf("the board after the recompute: %d\n%s", resp.StatusCode, body)
	}
}
