package ingest_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/deadletter"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// badCase is a message that must be dead-lettered, with the rule and the
// words a person reading the reason needs.
type badCase struct {
	name    string
	subject string
	payload []byte
	rule    schema.Rule
	words   []string // in reason_en
	zh      string   // in reason_zh
}

func TestBadMessagesAreDeadLetteredWhileNeighboursAreStored(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	// The client claims a reporting time; the server's receive time must
	// win for received_at.
	claimed := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

	bad := func(ev schema.Event) []byte { return marshal(t, ev) }
	negative := report("fgj", "qingyuan-pumped-storage", "2025-08", 1, "-5", "100")
	nonNumeric := report("fgj", "qingyuan-pumped-storage", "2025-07", 1, "1", "100")
	nonNumeric.MonthCompletedWan = schema.Wan{Raw: "12万", Set: true}
	missing := report("fgj", "qingyuan-pumped-storage", "2025-06", 1, "1", "100")
	missing.ReportedBy = ""
	badPeriod := report("fgj", "qingyuan-pumped-storage", "2025-13", 1, "1", "100")
	unknown := report("fgj", "no-such-project", "2025-09", 1, "1", "100")
	notOwner := report("jtj", "qingyuan-pumped-storage", "2025-09", 1, "1", "100")
	mismatch := report("fgj", "qingyuan-pumped-storage", "2025-05", 1, "1", "100")

	cases := []badCase{
		{"unknown project", schema.Subject(unknown), bad(unknown), schema.RuleUnknownProject,
			[]string{`"no-such-project" is not a registered project`}, "项目未登记"},
		{"period 2025-13", schema.Subject(badPeriod), bad(badPeriod), schema.RulePeriod,
			[]string{"period", `"2025-13" is not a month`, "YYYY-MM"}, "不是有效月份"},
		{"negative amount", schema.Subject(negative), bad(negative), schema.RuleNonNegative,
			[]string{"month_completed_wan", "-5 is negative"}, "不能为负数"},
		{"non-numeric amount", schema.Subject(nonNumeric), bad(nonNumeric), schema.RuleDecimal,
			[]string{"month_completed_wan", `"12万" is not a number`}, "不是数字"},
		{"another department's project", schema.Subject(notOwner), bad(notOwner), schema.RuleNotOwner,
			[]string{`department "jtj" may not report for project "qingyuan-pumped-storage", which belongs to "fgj"`}, "无权为该项目报送"},
		{"missing field", schema.Subject(missing), bad(missing), schema.RuleRequired,
			[]string{"reported_by: is required"}, "必填项缺失"},
		{"undecodable JSON", schema.Subject(report("fgj", "qingyuan-pumped-storage", "2025-09", 1, "1", "1")),
			[]byte(`{"schema": "kpp.investment_report.v1", "project_id": `), schema.RuleDecode,
			[]string{"not a valid JSON object"}, "不是有效的JSON对象"},
		{"subject names no kind", "kpp.v1.fgj.budget.qingyuan-pumped-storage", bad(report("fgj", "qingyuan-pumped-storage", "2025-09", 1, "1", "1")),
			schema.RuleSubject, []string{`"kpp.v1.fgj.budget.qingyuan-pumped-storage"`, "expected one of project, investment, milestone"}, "主题格式不正确"},
		{"payload for another department's subject", schema.SubjectFor("jtj", schema.KindInvestment, "qingyuan-pumped-storage"), bad(mismatch),
			schema.RuleSubjectMismatch, []string{`"fgj" differs from the subject's department "jtj"`}, "不一致"},
	}

	// One stream, good and bad interleaved: every bad message sits between
	// good ones, and a project registered in the middle is reported on
	// right after.
	e.publish(project("fgj", "qingyuan-pumped-storage"))
	e.publish(project("jtj", "yilongqing-expressway"))
	type good struct {
		ev  schema.Event
		seq uint64
	}
	var goods []good
	addGood := func(ev schema.Event) {
		goods = append(goods, good{ev, e.publish(ev).Sequence})
	}
	badSeq := map[uint64]badCase{}
	months := []string{"2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10"}
	for i, c := range cases {
		r := report("fgj", "qingyuan-pumped-storage", months[i], 1, "1000.5", strconv.Itoa(1000*(i+1)+1))
		r.ReportedAt = &claimed
		addGood(r)
		ack := e.publishRaw(c.subject, c.payload, "bad-"+strconv.Itoa(i))
		badSeq[ack.Sequence] = c
		addGood(report("jtj", "yilongqing-expressway", months[i], 1, "200", strconv.Itoa(200*(i+1))))
		if i == 3 {
			addGood(project("slj", "lingxi-reservoir"))
			addGood(report("slj", "lingxi-reservoir", "2025-09", 1, "88.8888", "300"))
		}
	}
	addGood(milestone("jtj", "yilongqing-expressway", "tunnel-through", 1))

	run := e.start(ingest.Config{BatchSize: 1000, FlushInterval: 200 * time.Millisecond, Logger: testLogger(t)})
	total := uint64(len(goods) + len(cases) + 2)
	testenv.Eventually(t, 30*time.Second, func() bool {
		tot := run.in.Stats().Total()
		return tot.Accepted+tot.Rejected+tot.Duplicate == total
	}, "ingest did not finish %d messages: %+v", total, run.in.Stats())

	st := run.in.Stats()
	if st.Batches != 1 {
		t.Errorf("batches = %d, want 1: the bad messages must share a batch with the good ones", st.Batches)
	}
	wantCounts := map[schema.Kind]ingest.Counts{
		schema.KindProject:    {Accepted: 3},
		schema.KindInvestment: {Accepted: uint64(2*len(cases) + 1), Rejected: uint64(len(cases) - 1)},
		schema.KindMilestone:  {Accepted: 1},
		"":                    {Rejected: 1},
	}
	for k, want := range wantCounts {
		if got := st.ByKind[k]; got != want {
			t.Errorf("stats for kind %q = %+v, want %+v", k, got, want)
		}
	}

	// Every good event is stored, once, with the server's receive time.
	if n := e.count("SELECT count() FROM investment_latest"); n != uint64(2*len(cases)+1) {
		t.Errorf("investment_latest has %d rows, want %d", n, 2*len(cases)+1)
	}
	if n := e.count("SELECT count() FROM projects"); n != 3 {
		t.Errorf("projects has %d rows, want 3", n)
	}
	if n := e.count("SELECT count() FROM milestone_latest"); n != 1 {
		t.Errorf("milestone_latest has %d rows, want 1", n)
	}
	if got, want := e.sum("SELECT toString(sum(month_completed_wan)) FROM investment_latest WHERE project_id = ?", "qingyuan-pumped-storage"),
		decimal.RequireFromString("1000.5").Mul(decimal.NewFromInt(int64(len(cases)))); !got.Equal(want) {
		t.Errorf("sum of months for qingyuan = %s, want %s (exact decimals)", got, want)
	}
	if got := e.sum("SELECT toString(sum(month_completed_wan)) FROM investment_latest WHERE project_id = ?", "lingxi-reservoir"); !got.Equal(decimal.RequireFromString("88.8888")) {
		t.Errorf("report after an in-batch registration: sum = %s, want 88.8888", got)
	}
	stream, err := e.js.Stream(ctx, schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goods[:1] {
		raw, err := stream.GetMsg(ctx, g.seq)
		if err != nil {
			t.Fatal(err)
		}
		var recv, reported time.Time
		var seq uint64
		if err := e.st.Conn().QueryRow(ctx, "SELECT received_at, reported_at, stream_seq FROM investment_reports FINAL WHERE event_id = ?", schema.EventID(g.ev)).
			Scan(&recv, &reported, &seq); err != nil {
			t.Fatal(err)
		}
		if !recv.Equal(raw.Time.Truncate(time.Second)) {
			t.Errorf("received_at = %s, want the JetStream time %s (not the client's claim %s)", recv, raw.Time, claimed)
		}
		if !reported.Equal(claimed) || seq != g.seq {
			t.Errorf("reported_at = %s, stream_seq = %d; want %s, %d", reported, seq, claimed, g.seq)
		}
	}
	var planYears []uint16
	var monthlyPlan [][]decimal.Decimal
	var planned []time.Time
	var total2 *decimal.Decimal
	var unit, person, lead string
	if err := e.st.Conn().QueryRow(ctx, "SELECT plan_years, plan_monthly_wan, milestone_planned, total_investment_wan, responsible_unit, responsible_person, lead_official FROM projects WHERE project_id = ?", "lingxi-reservoir").
		Scan(&planYears, &monthlyPlan, &planned, &total2, &unit, &person, &lead); err != nil {
		t.Fatal(err)
	}
	if unit != "项目公司 lingxi-reservoir" || person != "张三" || lead != "李副县长" {
		t.Errorf("register duties: 责任单位 %q, 责任人 %q, 分管领导 %q; want what was registered", unit, person, lead)
	}
	if len(planYears) != 2 || planYears[1] != 2026 || len(monthlyPlan) != 2 || len(monthlyPlan[0]) != 0 || len(monthlyPlan[1]) != 12 ||
		!monthlyPlan[1][11].Equal(decimal.RequireFromString("12500")) || len(planned) != 2 || planned[0].Format("2006-01-02") != "2025-06-30" ||
		total2 == nil || !total2.Equal(decimal.RequireFromString("1060000")) {
		t.Errorf("project row: years %v, monthly %v, planned %v, total %v", planYears, monthlyPlan, planned, total2)
	}

	// Every bad message is in rejected_updates and on the dead-letter
	// stream, with reasons a person understands.
	dlq, err := e.js.Stream(ctx, schema.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	for seq, c := range badSeq {
		var dlqSeq uint64
		var subject, rule, reasonEn, reasonZh, errs, payload, dept string
		err := e.st.Conn().QueryRow(ctx, `SELECT dlq_seq, subject, rule, reason_en, reason_zh, errors, payload, department_id
FROM rejected_updates FINAL WHERE stream_seq = ?`, seq).Scan(&dlqSeq, &subject, &rule, &reasonEn, &reasonZh, &errs, &payload, &dept)
		if err != nil {
			t.Errorf("%s: no rejected_updates row for stream sequence %d: %v", c.name, seq, err)
			continue
		}
		if rule != string(c.rule) || subject != c.subject || payload != string(c.payload) {
			t.Errorf("%s: rule %q subject %q payload %q; want %q %q %q", c.name, rule, subject, payload, c.rule, c.subject, c.payload)
		}
		for _, w := range c.words {
			if !strings.Contains(reasonEn, w) {
				t.Errorf("%s: reason_en %q lacks %q", c.name, reasonEn, w)
			}
		}
		if !strings.Contains(reasonZh, c.zh) {
			t.Errorf("%s: reason_zh %q lacks %q", c.name, reasonZh, c.zh)
		}
		var fes []schema.FieldError
		if err := json.Unmarshal([]byte(errs), &fes); err != nil || len(fes) == 0 || fes[0].Rule != c.rule {
			t.Errorf("%s: errors column %q is not a list of field errors starting with rule %s (%v)", c.name, errs, c.rule, err)
		}
		msg, err := dlq.GetMsg(ctx, dlqSeq)
		if err != nil {
			t.Errorf("%s: dead-letter sequence %d: %v", c.name, dlqSeq, err)
			continue
		}
		h := msg.Header
		if msg.Subject != schema.DeadLetterSubject(c.subject) || string(msg.Data) != string(c.payload) ||
			h.Get(schema.HeaderRejectReason) != reasonEn || h.Get(schema.HeaderRejectErrors) != errs ||
			h.Get(schema.HeaderOriginalSubject) != c.subject || h.Get(schema.HeaderOriginalSequence) != strconv.FormatUint(seq, 10) ||
			h.Get(schema.HeaderMsgID) != "dlq:"+strconv.FormatUint(seq, 10) {
			t.Errorf("%s: dead-letter copy %s %q headers %v", c.name, msg.Subject, msg.Data, h)
		}
		if _, err := time.Parse(time.RFC3339, h.Get(schema.HeaderOriginalReceived)); err != nil {
			t.Errorf("%s: %s = %q is not RFC 3339", c.name, schema.HeaderOriginalReceived, h.Get(schema.HeaderOriginalReceived))
		}
	}
	if info, err := dlq.Info(ctx); err != nil || info.State.Msgs != uint64(len(cases)) {
		t.Errorf("dead-letter stream: %v messages (%v), want %d", info.State.Msgs, err, len(cases))
	}

	// Producers can read the owners.
	kv, err := e.js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	for p, d := range map[string]string{"qingyuan-pumped-storage": "fgj", "yilongqing-expressway": "jtj", "lingxi-reservoir": "slj"} {
		if v, err := kv.Get(ctx, p); err != nil || string(v.Value()) != d {
			t.Errorf("%s in %s: %v, want %q", p, schema.ProjectsBucket, err, d)
		}
	}

	// kpp dlq list: by department, newest first.
	list, err := deadletter.List(ctx, e.st, deadletter.Filter{Department: "jtj"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Seq < list[1].Seq || list[0].Rule != string(schema.RuleSubjectMismatch) || list[1].Rule != string(schema.RuleNotOwner) ||
		list[0].DLQSeq == 0 || list[0].ReasonZh == "" || !strings.HasPrefix(list[0].PayloadExcerpt, `{"schema":"kpp.investment_report.v1"`) || len(list[0].Errors) == 0 {
		t.Errorf("dlq list for jtj = %+v", list)
	}

	if err := run.stop(); err != nil {
		t.Errorf("Run returned %v after cancel, want nil", err)
	}
	info := e.consumerInfo(ingest.DefaultDurable)
	if info.NumAckPending != 0 || info.NumPending != 0 || info.NumRedelivered != 0 {
		t.Errorf("consumer: ack pending %d, pending %d, redelivered %d; want 0, 0, 0", info.NumAckPending, info.NumPending, info.NumRedelivered)
	}
	if info.Config.AckPolicy != jetstream.AckExplicitPolicy || info.Config.FilterSubject != schema.UpdatesSubjects || info.Config.MaxAckPending < 1000 {
		t.Errorf("consumer config %+v", info.Config)
	}
}
