package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/replay"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

var now = time.Date(2025, 10, 20, 10, 0, 0, 0, schema.Location())

const (
	subject = "kpp.v1.qy-fgj.investment.qingyuan-pumped-storage"
	// report is the payload ingest rejected: the project was not
	// registered yet.
	report = `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","period":"2025-09","month_completed_wan":"13500.25","ytd_completed_wan":"111500.75","since_start_completed_wan":"369500.75"}`
	// badPeriod was rejected for its period.
	badPeriod = `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","period":"2025-13","month_completed_wan":"9800","ytd_completed_wan":"85999.5"}`
)

// env is an embedded NATS server with the kpp streams, the fixture
// projects registered in the bucket, and a Replayer.
type env struct {
	js jetstream.JetStream
	r  *replay.Replayer
}

func newEnv(t *testing.T) env {
	t.Helper()
	ctx := context.Background()
	_, _, js := testenv.NATS(t)
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	for p, d := range map[string]string{"qingyuan-pumped-storage": "qy-fgj", "yilongqing-expressway-qingyuan": "qy-jtj"} {
		if _, err := kv.PutString(ctx, p, d); err != nil {
			t.Fatal(err)
		}
	}
	r, err := replay.New(js, replay.Config{Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return env{js: js, r: r}
}

// reject stores an update in KPP_UPDATES and its dead-letter copy as
// ingest does (same subject scheme and headers), and returns the
// dead-letter sequence.
func (e env) reject(t *testing.T, subj, payload, reason string) uint64 {
	t.Helper()
	ctx := context.Background()
	orig := nats.NewMsg(subj)
	orig.Data = []byte(payload)
	if ev, err := schema.DecodeAny([]byte(payload)); err == nil {
		orig.Header.Set(schema.HeaderMsgID, schema.EventID(ev))
	}
	oa, err := e.js.PublishMsg(ctx, orig)
	if err != nil {
		t.Fatal(err)
	}
	errs, _ := json.Marshal([]schema.FieldError{{Field: "project_id", Rule: schema.RuleUnknownProject, MessageEn: reason}})
	m := nats.NewMsg(schema.DeadLetterSubject(subj))
	m.Data = []byte(payload)
	m.Header.Set(schema.HeaderMsgID, "dlq:"+strconv.FormatUint(oa.Sequence, 10))
	m.Header.Set(schema.HeaderRejectReason, reason)
	m.Header.Set(schema.HeaderRejectErrors, string(errs))
	m.Header.Set(schema.HeaderOriginalSubject, subj)
	m.Header.Set(schema.HeaderOriginalSequence, strconv.FormatUint(oa.Sequence, 10))
	m.Header.Set(schema.HeaderOriginalReceived, now.Format(time.RFC3339Nano))
	a, err := e.js.PublishMsg(ctx, m, jetstream.WithExpectStream(schema.DeadLetterStream))
	if err != nil {
		t.Fatal(err)
	}
	return a.Sequence
}

func (e env) updates(t *testing.T) uint64 {
	t.Helper()
	s, err := e.js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func (e env) stored(t *testing.T, seq uint64) *jetstream.RawStreamMsg {
	t.Helper()
	s, err := e.js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func eventID(t *testing.T, payload string) string {
	t.Helper()
	ev, err := schema.DecodeAny([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return schema.EventID(ev)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReplayOriginalPayloadOnce: the entry goes back to its original
// subject with a replay message id; replaying it again stores nothing new.
func TestReplayOriginalPayloadOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	seq := e.reject(t, subject, report, `project_id: "qingyuan-pumped-storage" is not a registered project`)
	before := e.updates(t)

	res, err := e.r.Replay(ctx, replay.Request{Seqs: []uint64{seq}})
	if err != nil {
		t.Fatal(err)
	}
	wantID := "qy-fgj:" + eventID(t, report) + ":replay:" + strconv.FormatUint(seq, 10)
	if len(res.Replayed) != 1 || res.Replayed[0].Duplicate || res.Replayed[0].MsgID != wantID || res.Replayed[0].Fixed {
		t.Fatalf("result %+v; want one new replay with msg id %s", res.Replayed, wantID)
	}
	if got := e.updates(t); got != before+1 {
		t.Fatalf("updates stream went from %d to %d; want one more", before, got)
	}
	m := e.stored(t, res.Replayed[0].Seq)
	if m.Subject != subject || string(m.Data) != report || m.Header.Get(schema.HeaderMsgID) != wantID || m.Header.Get(replay.HeaderReplayOf) != strconv.FormatUint(seq, 10) {
		t.Fatalf("stored %s %v %s", m.Subject, m.Header, m.Data)
	}

	again, err := e.r.Replay(ctx, replay.Request{Seqs: []uint64{seq}})
	if err != nil {
		t.Fatal(err)
	}
	if r := again.Replayed[0]; !r.Duplicate || r.Seq != res.Replayed[0].Seq {
		t.Fatalf("second replay %+v; want a duplicate of seq %d", r, res.Replayed[0].Seq)
	}
	if got := e.updates(t); got != before+1 {
		t.Fatalf("second replay stored a message: %d → %d", before+1, got)
	}
	var text bytes.Buffer
	if err := again.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "already replayed, nothing new stored") {
		t.Errorf("text result %q", text.String())
	}
}

// TestReplayIDSquattingCannotLoseAnEntry is issue 9, item 5 for kpp dlq
// replay: another department publishes, on its own subject, a message
// with the id the replay of an entry will have. The replay is not counted
// as "already replayed" on that message's word: it is published again
// under a unique id and stored. A message on the entry's own subject with
// other content under the id is a conflict: reported, nothing stored.
func TestReplayIDSquattingCannotLoseAnEntry(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	seq := e.reject(t, subject, report, `project_id: "qingyuan-pumped-storage" is not a registered project`)
	id := "qy-fgj:" + eventID(t, report) + ":replay:" + strconv.FormatUint(seq, 10)
	squat := nats.NewMsg(schema.SubjectFor("qy-jtj", schema.KindInvestment, "yilongqing-expressway-qingyuan"))
	squat.Data = []byte(`{"squatting":true}`)
	squat.Header.Set(schema.HeaderMsgID, id)
	held, err := e.js.PublishMsg(ctx, squat)
	if err != nil || held.Duplicate {
		t.Fatalf("squatting message: %+v %v", held, err)
	}
	before := e.updates(t)

	res, err := e.r.Replay(ctx, replay.Request{Seqs: []uint64{seq}})
	if err != nil {
		t.Fatal(err)
	}
	rp := res.Replayed[0]
	if rp.Duplicate || !rp.Resent || rp.HeldBy != held.Sequence || rp.Seq == held.Sequence || !strings.HasPrefix(rp.MsgID, id+":") {
		t.Fatalf("result %+v; want the entry resent under a unique id, held by seq %d", rp, held.Sequence)
	}
	if got := e.updates(t); got != before+1 {
		t.Fatalf("updates stream went from %d to %d; want the entry stored", before, got)
	}
	m := e.stored(t, rp.Seq)
	if m.Subject != subject || string(m.Data) != report || m.Header.Get(replay.HeaderReplayOf) != strconv.FormatUint(seq, 10) {
		t.Fatalf("stored %s %v %s; want the entry", m.Subject, m.Header, m.Data)
	}
	var text bytes.Buffer
	if err := res.WriteText(&text); err != nil || !strings.Contains(text.String(), "held by another message") {
		t.Errorf("text result %q %v", text.String(), err)
	}

	// Other content on the entry's own subject under its replay id.
	seq2 := e.reject(t, subject, badPeriod, `period: "2025-13" is not a month`)
	fixed := strings.Replace(badPeriod, `"2025-13"`, `"2025-07"`, 1)
	other := strings.Replace(fixed, `"9800"`, `"9900"`, 1)
	if other == fixed {
		t.Fatal("the test payload has no 9800 to change")
	}
	forged := nats.NewMsg(subject)
	forged.Data = []byte(other)
	forged.Header.Set(schema.HeaderMsgID, "qy-fgj:"+eventID(t, fixed)+":replay:"+strconv.FormatUint(seq2, 10))
	if _, err := e.js.PublishMsg(ctx, forged); err != nil {
		t.Fatal(err)
	}
	before = e.updates(t)
	res, err = e.r.Replay(ctx, replay.Request{Seqs: []uint64{seq2}, PayloadFile: writeFile(t, "fix.json", fixed)})
	var ie *submit.InvalidError
	if !errors.As(err, &ie) || len(res.Replayed) != 0 || len(ie.Problems) != 1 || ie.Problems[0].Rule != submit.RuleConflict || ie.Problems[0].Line != int(seq2) {
		t.Fatalf("replay over other content: %+v, %v; want one conflict problem and nothing replayed", res, err)
	}
	if got := e.updates(t); got != before {
		t.Fatalf("a conflict stored a message: %d → %d", before, got)
	}
}

// TestReplayFixedPayload: a corrected event replaces the rejected payload.
func TestReplayFixedPayload(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	seq := e.reject(t, subject, badPeriod, `period: "2025-13" is not a month`)
	fixed := strings.Replace(badPeriod, `"2025-13"`, `"2025-07"`, 1)
	// Indented over several lines, as people write files.
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(fixed), "", "  "); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "fix.json", pretty.String())

	res, err := e.r.Replay(ctx, replay.Request{Seqs: []uint64{seq}, PayloadFile: path})
	if err != nil {
		t.Fatal(err)
	}
	rp := res.Replayed[0]
	if !rp.Fixed || rp.EventID != eventID(t, fixed) || rp.MsgID != "qy-fgj:"+eventID(t, fixed)+":replay:"+strconv.FormatUint(seq, 10) {
		t.Fatalf("result %+v", rp)
	}
	m := e.stored(t, rp.Seq)
	ev, err := schema.Decode(schema.KindInvestment, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if r := ev.(*schema.InvestmentReport); m.Subject != subject || r.Period != "2025-07" || r.MonthCompletedWan.String() != "9800.0000" {
		t.Fatalf("stored %s: %s", m.Subject, m.Data)
	}
}

// TestReplayRefusesBadFixedPayload: a fixed payload is validated like a
// submitted record, against the original subject too, and nothing is
// published when it has problems.
func TestReplayRefusesBadFixedPayload(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	seq := e.reject(t, subject, badPeriod, `period: "2025-13" is not a month`)
	cases := []struct{ name, payload, want string }{
		{"still invalid", strings.Replace(badPeriod, `"9800"`, `"-1"`, 1),
			`fix.json: period: "2025-13": "2025-13" is not a month; expected YYYY-MM with month 01-12, e.g. 2025-09 (不是有效月份，应为 YYYY-MM（月份01-12），如 2025-09)` + "\n" +
				`fix.json: month_completed_wan: "-1": -1 is negative; expected an amount ≥ 0 (a reduction is a new revision of the month it concerns) (不能为负数；核减请提交该月的更正版本)`},
		{"another project", strings.NewReplacer(`"2025-13"`, `"2025-07"`, `"qy-fgj"`, `"qy-jtj"`, "qingyuan-pumped-storage", "yilongqing-expressway-qingyuan").Replace(badPeriod),
			`fix.json: department_id: "qy-jtj": "qy-jtj" differs from the subject's department "qy-fgj"; a department publishes only on its own subjects (部门与主题中的部门（qy-fgj）不一致)` + "\n" +
				`fix.json: project_id: "yilongqing-expressway-qingyuan": "yilongqing-expressway-qingyuan" differs from the subject's project "qingyuan-pumped-storage" (项目与主题中的项目（qingyuan-pumped-storage）不一致)`},
		{"not an event", `{"period":"2025-07"}`,
			`fix.json: schema: is required (the event type, e.g. kpp.investment_report.v1) (必填项缺失（事件类型，如 kpp.investment_report.v1）)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.updates(t)
			path := writeFile(t, "fix.json", tc.payload)
			_, err := e.r.Replay(ctx, replay.Request{Seqs: []uint64{seq}, PayloadFile: path})
			var ie *submit.InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v; want *submit.InvalidError", err)
			}
			var got []string
			for _, p := range ie.Problems {
				got = append(got, strings.ReplaceAll(p.String(), path, "fix.json"))
			}
			if strings.Join(got, "\n") != tc.want {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), tc.want)
			}
			if after := e.updates(t); after != before {
				t.Errorf("updates stream went from %d to %d; want nothing published", before, after)
			}
		})
	}
}

// TestReplayAll: an entry whose payload is not an event blocks the replay
// of all, unless SkipInvalid; the subject filter keeps one department's.
func TestReplayAll(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s1 := e.reject(t, subject, report, "unknown project")
	s2 := e.reject(t, "kpp.v1.qy-jtj.investment.yilongqing-expressway-qingyuan", "12万", "not JSON")
	before := e.updates(t)

	res, err := e.r.Replay(ctx, replay.Request{All: true})
	var ie *submit.InvalidError
	if !errors.As(err, &ie) || len(res.Replayed) != 0 || e.updates(t) != before {
		t.Fatalf("replay all with a bad entry: %v, %+v; want nothing replayed", err, res)
	}
	prefix := "KPP_DEADLETTER:" + strconv.FormatUint(s2, 10) + `: "12万": not a valid JSON object: `
	hint := "; the original payload is not an event, so replay it with a fixed payload (a file with the corrected event) ("
	if len(ie.Problems) != 1 || !strings.HasPrefix(ie.Problems[0].String(), prefix) || !strings.Contains(ie.Problems[0].String(), hint) {
		t.Fatalf("problems %v;\nwant %s… %s…", ie.Problems, prefix, hint)
	}

	res, err = e.r.Replay(ctx, replay.Request{All: true, SkipInvalid: true})
	if !errors.As(err, &ie) || !ie.Skipped || len(res.Replayed) != 1 || res.Replayed[0].DLQSeq != s1 || e.updates(t) != before+1 {
		t.Fatalf("skip invalid: %v, %+v", err, res)
	}

	res, err = e.r.Replay(ctx, replay.Request{All: true, Subject: "kpp.v1.qy-fgj.>"})
	if err != nil || len(res.Replayed) != 1 || !res.Replayed[0].Duplicate {
		t.Fatalf("replay of qy-fgj's entries: %v, %+v; want one duplicate", err, res)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if got, err := e.r.List(ctx, replay.ListOptions{}); err != nil || len(got) != 0 {
		t.Fatalf("empty stream: %v, %v", got, err)
	}
	s1 := e.reject(t, subject, report, "unknown project")
	s2 := e.reject(t, "kpp.v1.qy-jtj.investment.yilongqing-expressway-qingyuan", "12万", "not JSON")
	s3 := e.reject(t, subject, badPeriod, "bad period")

	all, err := e.r.List(ctx, replay.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Seq != s1 || all[1].Seq != s2 || all[2].Seq != s3 {
		t.Fatalf("list %+v", all)
	}
	first := all[0]
	if first.OriginalSubject != subject || first.Reason != "unknown project" || first.EventID != eventID(t, report) ||
		first.OriginalSeq != 1 || !first.OriginalReceived.Equal(now) || first.Received.IsZero() ||
		len(first.Errors) != 1 || first.Errors[0].Rule != schema.RuleUnknownProject || !strings.HasSuffix(first.Excerpt, "…") {
		t.Errorf("entry %+v", first)
	}
	if all[1].EventID != "" || all[1].Excerpt != "12万" {
		t.Errorf("entry %+v", all[1])
	}

	fgj, err := e.r.List(ctx, replay.ListOptions{Subject: "kpp.v1.qy-fgj.>"})
	if err != nil || len(fgj) != 2 || fgj[0].Seq != s1 || fgj[1].Seq != s3 {
		t.Fatalf("filtered list %+v, %v", fgj, err)
	}
	page, err := e.r.List(ctx, replay.ListOptions{FromSeq: s2, Limit: 1})
	if err != nil || len(page) != 1 || page[0].Seq != s2 {
		t.Fatalf("page %+v, %v", page, err)
	}

	var text bytes.Buffer
	if err := replay.WriteList(&text, all); err != nil {
		t.Fatal(err)
	}
	if out := text.String(); !strings.Contains(out, "ORIGINAL SUBJECT") || !strings.Contains(out, "bad period") || !strings.HasSuffix(out, "3 entries\n") {
		t.Errorf("text list:\n%s", out)
	}
}

func TestReplayRequestErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	seq := e.reject(t, subject, report, "unknown project")
	for _, req := range []replay.Request{
		{},
		{All: true, Seqs: []uint64{seq}},
		{Seqs: []uint64{seq, seq + 1}, PayloadFile: "fix.json"},
		{Seqs: []uint64{seq}, Subject: "kpp.v1.qy-fgj.>"},
		{Seqs: []uint64{0}},
	} {
		if _, err := e.r.Replay(ctx, req); !errors.Is(err, replay.ErrRequest) {
			t.Errorf("Replay(%+v) = %v; want ErrRequest", req, err)
		}
	}
	_, err := e.r.Replay(ctx, replay.Request{Seqs: []uint64{seq, 99}})
	if !errors.Is(err, replay.ErrNotFound) || !strings.Contains(err.Error(), "sequence 99") {
		t.Errorf("unknown sequence: %v; want ErrNotFound naming 99", err)
	}
	if got := e.updates(t); got != 1 {
		t.Errorf("updates stream holds %d; want only the original", got)
	}
}
