package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// deadLettered returns the rule and reasons recorded for a stream
// sequence in rejected_updates, and the reason header of its copy on the
// dead-letter stream.
func (e *env) deadLettered(seq uint64) (rule, reasonEn, reasonZh, header string) {
	e.t.Helper()
	ctx := context.Background()
	var dlqSeq uint64
	if err := e.st.Conn().QueryRow(ctx, "SELECT dlq_seq, rule, reason_en, reason_zh FROM rejected_updates FINAL WHERE stream_seq = ?", seq).
		Scan(&dlqSeq, &rule, &reasonEn, &reasonZh); err != nil {
		e.t.Fatalf("no rejected_updates row for stream sequence %d: %v", seq, err)
	}
	dlq, err := e.js.Stream(ctx, schema.DeadLetterStream)
	if err != nil {
		e.t.Fatal(err)
	}
	msg, err := dlq.GetMsg(ctx, dlqSeq)
	if err != nil {
		e.t.Fatalf("dead-letter copy %d of stream sequence %d: %v", dlqSeq, seq, err)
	}
	return rule, reasonEn, reasonZh, msg.Header.Get(schema.HeaderRejectReason)
}

// goodReports publishes n valid reports of distinct months of 2024 and
// returns their event ids.
func (e *env) goodReports(from, n int) []string {
	var ids []string
	for i := from; i < from+n; i++ {
		r := report("fgj", "qingyuan-pumped-storage", fmt.Sprintf("%d-%02d", 2015+i/12, 1+i%12), 1, "10.0001", "10.0001")
		e.publish(r)
		ids = append(ids, schema.EventID(r))
	}
	return ids
}

// The attack of issue 9: a report of 1e15 万元, which overflows
// Decimal(18,4), published past the producers' checks between good
// reports. Ingest refuses it at validation, dead-letters it with the
// reason and stores and acks the others; before, it retried the batch
// forever and everything behind it stopped.
func TestOverflowingAmountIsDeadLetteredAndIngestGoesOn(t *testing.T) {
	e := newEnv(t)
	e.publish(project("fgj", "qingyuan-pumped-storage"))
	good := e.goodReports(0, 5)
	attack := func(period, month, ytd string) uint64 {
		r := report("fgj", "qingyuan-pumped-storage", period, 1, "1", "1")
		body := strings.Replace(string(marshal(t, r)), `"month_completed_wan":"1.0000","ytd_completed_wan":"1.0000"`,
			`"month_completed_wan":`+month+`,"ytd_completed_wan":`+ytd, 1)
		if !strings.Contains(body, month) {
			t.Fatalf("the attack's body was not built: %s", body)
		}
		return e.publishRaw(schema.Subject(r), []byte(body), "").Sequence
	}
	bad := []uint64{
		attack("2025-01", "1000000000000000", `"1000000000000000"`),
		attack("2025-02", `"100000000000000"`, `"100000000000000"`), // 10^14: one past the largest Decimal(18,4)
		attack("2025-03", `"`+strings.Repeat("9", 900_000)+`"`, `"1"`),
	}
	good = append(good, e.goodReports(5, 5)...)
	run := e.start(fastConfig(t))

	testenv.Eventually(t, 30*time.Second, func() bool {
		tot := run.in.Stats().Total()
		return tot.Accepted == 11 && tot.Rejected == 3
	}, "good reports stored and attacks dead-lettered: %+v", run.in.Stats())
	for _, seq := range bad {
		rule, en, zh, header := e.deadLettered(seq)
		if rule != string(schema.RuleRange) || header != en || zh == "" {
			t.Errorf("stream sequence %d: rule %q, reason %q, header %q; want rule range with the reason in both places", seq, rule, en, header)
		}
		if !strings.Contains(en, "100000000000000 万元") && !strings.Contains(en, "at most 40 characters") {
			t.Errorf("stream sequence %d: reason %q does not say what is expected", seq, en)
		}
		if len(en) > 1000 {
			t.Errorf("stream sequence %d: the reason carries the number back (%d bytes)", seq, len(en))
		}
	}
	if got := e.count("SELECT count() FROM investment_latest WHERE has(?, event_id)", good); got != uint64(len(good)) {
		t.Errorf("%d of the %d good reports are stored", got, len(good))
	}
	// Ingest goes on.
	more := e.goodReports(10, 3)
	testenv.Eventually(t, 30*time.Second, func() bool { return run.in.Stats().Total().Accepted == 14 },
		"reports after the attack: %+v", run.in.Stats())
	if got := e.count("SELECT count() FROM investment_latest WHERE has(?, event_id)", more); got != 3 {
		t.Errorf("%d of the 3 reports after the attack are stored", got)
	}
	if err := run.stop(); err != nil {
		t.Fatal(err)
	}
	info := e.consumerInfo(ingest.DefaultDurable)
	if info.NumAckPending != 0 || info.NumPending != 0 || info.NumRedelivered != 0 {
		t.Errorf("consumer: ack pending %d, pending %d, redelivered %d; want every message acked once", info.NumAckPending, info.NumPending, info.NumRedelivered)
	}
}

// A row ClickHouse itself refuses — valid to kpp, but not to the table —
// is found by bisecting the batch, dead-lettered with ClickHouse's reason
// (rule storage), and the rest of the batch is stored and acked. The test
// makes ClickHouse refuse rows: a MATERIALIZED column that overflows
// Decimal(18,4) for amounts above about 9.2e8 万元 (DECIMAL_OVERFLOW, 407),
// which ClickHouse computes before it writes anything.
func TestRowClickHouseRefusesIsIsolatedAndDeadLettered(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.st.Conn().Exec(ctx, "ALTER TABLE investment_reports ADD COLUMN test_overflow Decimal(18, 4) MATERIALIZED month_completed_wan * 10000000000"); err != nil {
		t.Fatal(err)
	}
	e.publish(project("fgj", "qingyuan-pumped-storage"))
	good := e.goodReports(0, 20)
	var bad []uint64
	for i, period := range []string{"2024-01", "2024-07"} {
		r := report("fgj", "qingyuan-pumped-storage", period, 1, "90000000000000", "90000000000000")
		if err := r.Validate(time.Now()); err != nil {
			t.Fatalf("the refused report must be valid to kpp: %v", err)
		}
		bad = append(bad, e.publish(r).Sequence)
		good = append(good, e.goodReports(20+10*i, 10)...)
	}
	run := e.start(fastConfig(t)) // everything is published: one batch

	testenv.Eventually(t, 30*time.Second, func() bool {
		tot := run.in.Stats().Total()
		return tot.Accepted == uint64(len(good))+1 && tot.Rejected == 2
	}, "good reports stored and the refused ones dead-lettered: %+v", run.in.Stats())
	if st := run.in.Stats(); st.Refused != 2 || st.Batches != 1 {
		t.Errorf("stats %+v; want 2 rows refused in 1 batch", st)
	}
	for _, seq := range bad {
		rule, en, zh, header := e.deadLettered(seq)
		if rule != string(schema.RuleStorage) || header != en ||
			!strings.Contains(en, "code 407 DECIMAL_OVERFLOW") || !strings.Contains(en, "investment_reports") || !strings.Contains(zh, "407") {
			t.Errorf("stream sequence %d: rule %q, reason %q / %q, header %q; want rule storage naming ClickHouse's reason", seq, rule, en, zh, header)
		}
	}
	if got := e.count("SELECT count() FROM investment_reports FINAL"); got != uint64(len(good)) {
		t.Errorf("investment_reports has %d rows; want the %d good reports, each once, and none of the refused", got, len(good))
	}
	if got := e.count("SELECT count() FROM investment_latest WHERE has(?, event_id)", good); got != uint64(len(good)) {
		t.Errorf("%d of the %d good reports are stored", got, len(good))
	}

	// Ingest goes on, and a corrected report (a revision within bounds) is stored.
	fix := report("fgj", "qingyuan-pumped-storage", "2024-01", 2, "9000", "9000")
	e.publish(fix)
	testenv.Eventually(t, 30*time.Second, func() bool { return run.in.Stats().Total().Accepted == uint64(len(good))+2 },
		"the correction: %+v", run.in.Stats())
	if err := run.stop(); err != nil {
		t.Fatal(err)
	}
	info := e.consumerInfo(ingest.DefaultDurable)
	if info.NumAckPending != 0 || info.NumPending != 0 || info.NumRedelivered != 0 {
		t.Errorf("consumer: ack pending %d, pending %d, redelivered %d; want every message acked once", info.NumAckPending, info.NumPending, info.NumRedelivered)
	}
}

// A row the driver cannot encode for its column (here a column narrowed
// to Decimal(9,4) that 900000 万元 overflows) is set aside at once and
// dead-lettered; its neighbours are stored.
func TestRowTheDriverCannotEncodeIsDeadLettered(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.st.Conn().Exec(ctx, "ALTER TABLE investment_reports MODIFY COLUMN since_start_completed_wan Nullable(Decimal(9, 4))"); err != nil {
		t.Fatal(err)
	}
	e.publish(project("fgj", "qingyuan-pumped-storage"))
	good := e.goodReports(0, 5)
	r := report("fgj", "qingyuan-pumped-storage", "2024-03", 1, "10", "10")
	r.SinceStartCompletedWan = schema.MustWan("900000")
	bad := e.publish(r).Sequence
	good = append(good, e.goodReports(5, 5)...)
	run := e.start(fastConfig(t))

	testenv.Eventually(t, 30*time.Second, func() bool {
		tot := run.in.Stats().Total()
		return tot.Accepted == uint64(len(good))+1 && tot.Rejected == 1
	}, "good reports stored and the refused one dead-lettered: %+v", run.in.Stats())
	rule, en, _, _ := e.deadLettered(bad)
	if rule != string(schema.RuleStorage) || !strings.Contains(en, "overflows") {
		t.Errorf("rule %q, reason %q; want rule storage saying the value overflows", rule, en)
	}
	if got := e.count("SELECT count() FROM investment_latest WHERE has(?, event_id)", good); got != uint64(len(good)) {
		t.Errorf("%d of the %d good reports are stored", got, len(good))
	}
}

// A bisection that fails half-way (ClickHouse gone just after a half was
// stored) is retried without writing the stored half again; a crash
// between storing and acking makes JetStream redeliver the batch, and the
// redelivery stores nothing twice and dead-letters the refused row once.
func TestHalfDoneBisectionAndCrashStoreNothingTwice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.st.Conn().Exec(ctx, "ALTER TABLE investment_reports ADD COLUMN test_overflow Decimal(18, 4) MATERIALIZED month_completed_wan * 10000000000"); err != nil {
		t.Fatal(err)
	}
	e.publish(project("fgj", "qingyuan-pumped-storage"))
	good := e.goodReports(0, 20)
	badReport := report("fgj", "qingyuan-pumped-storage", "2024-05", 1, "90000000000000", "90000000000000")
	bad := e.publish(badReport).Sequence
	good = append(good, e.goodReports(20, 20)...)

	cfg := fastConfig(t)
	cfg.AckWait = 2 * time.Second
	cfg.RetryMin = 50 * time.Millisecond
	var failed atomic.Bool
	crashed := e.start(cfg, func(in *ingest.Ingester) {
		ingest.SetAfterInsert(in, func(table string, rows int) error {
			if table == "investment_reports" && rows < len(good) && failed.CompareAndSwap(false, true) {
				return errors.New("test: ClickHouse went away just after storing a half")
			}
			return nil
		})
		ingest.SetCrashAfterStore(in, func() bool { return true })
	})
	select {
	case err := <-crashed.done:
		if !errors.Is(err, ingest.ErrCrash) {
			t.Fatalf("Run returned %v, want the simulated crash", err)
		}
		crashed.once.Do(func() {})
	case <-time.After(30 * time.Second):
		t.Fatal("the first ingester never stored its batch")
	}
	if !failed.Load() {
		t.Fatal("the bisection never stored a half")
	}
	if st := crashed.in.Stats(); st.Retries == 0 || st.Refused != 1 {
		t.Errorf("first ingester: %+v; want a retry after the half-done bisection and one refused row", st)
	}
	// Not even before merges: the retry did not write the stored half again.
	if got := e.count("SELECT count() FROM investment_reports"); got != uint64(len(good)) {
		t.Errorf("investment_reports has %d rows before any merge; want %d, none written twice", got, len(good))
	}

	again := e.start(cfg)
	testenv.Eventually(t, 30*time.Second, func() bool {
		tot := again.in.Stats().Total()
		return tot.Duplicate == uint64(len(good))+1 && tot.Rejected == 1
	}, "the redelivered batch: %+v", again.in.Stats())
	if got := e.count("SELECT count() FROM investment_latest WHERE has(?, event_id)", good); got != uint64(len(good)) {
		t.Errorf("%d of the %d good reports are in investment_latest", got, len(good))
	}
	if got := e.count("SELECT count() FROM investment_reports FINAL"); got != uint64(len(good)) {
		t.Errorf("investment_reports FINAL has %d rows, want %d", got, len(good))
	}
	if got := e.count("SELECT count() FROM rejected_updates FINAL WHERE stream_seq = ?", bad); got != 1 {
		t.Errorf("rejected_updates has %d rows for the refused report, want 1", got)
	}
	dlq, err := e.js.Stream(ctx, schema.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := dlq.Info(ctx); err != nil || info.State.Msgs != 1 {
		t.Errorf("dead-letter stream holds %d messages (%v), want the refused report once", info.State.Msgs, err)
	}
	if err := again.stop(); err != nil {
		t.Fatal(err)
	}
	if info := e.consumerInfo(ingest.DefaultDurable); info.NumAckPending != 0 || info.NumPending != 0 {
		t.Errorf("consumer: ack pending %d, pending %d; want everything acked", info.NumAckPending, info.NumPending)
	}
}
