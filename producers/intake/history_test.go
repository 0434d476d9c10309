package intake_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/schema"
)

// consumers is the number of consumers on KPP_UPDATES.
func (e *env) consumers() int {
	e.t.Helper()
	s, err := e.js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.Consumers
}

// Issue 9, item 3: every history read used to leave a consumer on
// KPP_UPDATES for five minutes; after 1000 reads the stream's consumer
// limit was reached and every submission answered 503. Now 1,500 reads
// (16 at a time) leave no consumer, each returns the same history, and a
// submission still succeeds.
func TestHistoryReadsLeaveNoConsumers(t *testing.T) {
	e := newEnv(t, intake.Config{Limits: intake.Limits{RatePerSecond: 1e6, RateBurst: 1e6}})
	for _, body := range []string{
		report(pumped, "2025-08", "10000", "86000", "344000", nil),
		report(pumped, "2025-09", "12000", "98000", "356000", nil),
		report(pumped, "2025-09", "12500", "98500", "356500", map[string]any{"correction_reason": "监理复核后调增"}),
	} {
		if res := e.post(tokFGJ, body); res.status != http.StatusCreated {
			t.Fatalf("submit: %d %s", res.status, res.body)
		}
	}
	before := e.consumers()
	path := "/api/v1/projects/" + pumped + "/reports"
	want := e.do("GET", path, tokFGJ, nil, nil)
	var h intake.HistoryBody
	want.json(t, &h)
	if want.status != http.StatusOK || len(h.Reports) != 3 || h.Reports[0].Revision != 2 || !h.Reports[0].Current || h.Reports[1].Current || h.Reports[2].Period != "2025-08" {
		t.Fatalf("history: %d %s", want.status, want.body)
	}

	const reads, workers = 1500, 16
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= reads {
				// e.do calls t.Fatal, which must not run off the test's
				// goroutine: send the request here.
				req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+tokFGJ)
				res, err := e.ts.Client().Do(req)
				if err != nil {
					t.Errorf("read: %v", err)
					failed.Add(1)
					continue
				}
				var b bytes.Buffer
				_, _ = b.ReadFrom(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || !bytes.Equal(b.Bytes(), want.body) {
					if failed.Add(1) <= 3 {
						t.Errorf("read: %d %s", res.StatusCode, b.Bytes())
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d history reads failed or differed from the first", n, reads)
	}
	if got := e.consumers(); got > before {
		t.Fatalf("after %d history reads KPP_UPDATES has %d consumers (%d before): reads leave consumers behind", reads, got, before)
	}
	res := e.post(tokFGJ, report(pumped, "2025-10", "1000", "99500", "357500", nil))
	if res.status != http.StatusCreated {
		t.Fatalf("submission after %d history reads: %d %s", reads, res.status, res.body)
	}
	if got := e.consumers(); got > before {
		t.Fatalf("after the submission KPP_UPDATES has %d consumers (%d before)", got, before)
	}
}

// A client that goes away in the middle of a read (its request context is
// cancelled) leaves no consumer either: the read deletes it on the way
// out, long before the server would remove it for inactivity.
func TestHistoryReadsCancelledLeaveNoConsumers(t *testing.T) {
	e := newEnv(t, intake.Config{Limits: intake.Limits{RatePerSecond: 1e6, RateBurst: 1e6}})
	for m := 1; m <= 9; m++ {
		period := fmt.Sprintf("2025-%02d", m)
		if res := e.post(tokFGJ, report(pumped, period, "1000", intakeYTD(m), "300000", nil)); res.status != http.StatusCreated {
			t.Fatalf("submit %s: %d %s", period, res.status, res.body)
		}
	}
	var wg sync.WaitGroup
	var gone, answered, most atomic.Int64
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() { // the most consumers seen while the requests run
		defer close(polled)
		s, err := e.js.Stream(context.Background(), schema.UpdatesStream)
		if err != nil {
			return
		}
		for {
			select {
			case <-stop:
				return
			default:
			}
			if info, err := s.Info(context.Background()); err == nil && int64(info.State.Consumers) > most.Load() {
				most.Store(int64(info.State.Consumers))
			}
		}
	}()
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// From before the request reaches the server to well after a
			// read ends: some are cancelled while the consumer exists.
			// Every tenth waits for its answer, which must be a success.
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%30)*5*time.Millisecond)
			if i%10 == 9 {
				ctx, cancel = context.WithCancel(context.Background())
			}
			defer cancel()
			path := "/api/v1/projects/" + pumped + "/reports"
			if i%2 == 1 {
				path = "/api/v1/projects"
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+tokFGJ)
			res, err := e.ts.Client().Do(req)
			if err != nil {
				if gone.Add(1) == 1 {
					t.Logf("first cancelled request: %v", err)
				}
				return
			}
			res.Body.Close()
			answered.Add(1)
			if i%10 == 9 && res.StatusCode != http.StatusOK {
				t.Errorf("%s: %d", path, res.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-polled
	t.Logf("%d requests answered, %d cancelled by the client; at most %d consumers at once (limit %d)", answered.Load(), gone.Load(), most.Load(), intake.MaxConcurrentReads)
	if gone.Load() == 0 || answered.Load() == 0 || most.Load() == 0 {
		t.Fatalf("%d answered, %d cancelled, %d consumers seen: the test wants all three above 0; adjust the client timeouts", answered.Load(), gone.Load(), most.Load())
	}
	if most.Load() > intake.MaxConcurrentReads {
		t.Fatalf("%d consumers at once, more than MaxConcurrentReads (%d)", most.Load(), intake.MaxConcurrentReads)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return e.consumers() == 0 },
		"cancelled history reads left consumers on KPP_UPDATES")
	if res := e.post(tokFGJ, report(pumped, "2025-10", "1000", intakeYTD(10), "300000", nil)); res.status != http.StatusCreated {
		t.Fatalf("submission after cancelled reads: %d %s", res.status, res.body)
	}
}

// intakeYTD is a year-to-date that grows by 1000 a month.
func intakeYTD(month int) string {
	return fmt.Sprintf("%d000", month)
}

// A history longer than Limits.MaxHistoryMessages is refused before
// anything is read, with a message that says what to do; a submission that
// needs that history is refused and publishes nothing. Other projects are
// not affected.
func TestHistoryReadBound(t *testing.T) {
	e := newEnv(t, intake.Config{Limits: intake.Limits{RatePerSecond: 1e6, RateBurst: 1e6, MaxHistoryMessages: 3}})
	for m := 1; m <= 4; m++ {
		period := fmt.Sprintf("2025-%02d", m)
		if res := e.post(tokFGJ, report(pumped, period, "1000", intakeYTD(m), "300000", nil)); res.status != http.StatusCreated {
			t.Fatalf("submit %s: %d %s", period, res.status, res.body)
		}
	}
	res := e.do("GET", "/api/v1/projects/"+pumped+"/reports", tokFGJ, nil, nil)
	if res.status != http.StatusServiceUnavailable {
		t.Fatalf("history of 4 reports with a limit of 3: %d %s", res.status, res.body)
	}
	if b := res.errorBody(t); b.Error.Code != "history_too_long" || !bytes.Contains([]byte(b.Error.MessageEn), []byte("more than 3 messages")) ||
		!bytes.Contains([]byte(b.Error.MessageEn), []byte("--max-history")) {
		t.Fatalf("history too long: %s", res.body)
	}
	n := e.msgs()
	if res := e.post(tokFGJ, report(pumped, "2025-05", "1000", intakeYTD(5), "300000", nil)); res.status != http.StatusServiceUnavailable ||
		res.errorBody(t).Error.Code != "history_too_long" || e.msgs() != n {
		t.Fatalf("submission needing a history over the limit: %d %s (messages %d → %d)", res.status, res.body, n, e.msgs())
	}
	if res := e.do("GET", "/api/v1/projects/"+park+"/reports", tokFGJ, nil, nil); res.status != http.StatusOK {
		t.Fatalf("another project's history: %d %s", res.status, res.body)
	}
	// The history page says the same in the clerk's language.
	c := e.clerk()
	c.signIn(tokFGJ)
	if p := c.get("/intake/projects/" + pumped + "/history"); p.status != http.StatusServiceUnavailable ||
		!strings.Contains(p.body, "超过 3 条") || !strings.Contains(p.body, "--max-history") {
		t.Fatalf("history page over the limit: %d %s", p.status, p.body)
	}
	if p := c.get("/intake/projects/" + park + "/history"); p.status != http.StatusOK {
		t.Fatalf("another project's history page: %d %s", p.status, p.body)
	}
	if got := e.consumers(); got != 0 {
		t.Fatalf("%d consumers left on KPP_UPDATES", got)
	}
}
