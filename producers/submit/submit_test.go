package submit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

var allFixtures = []string{"projects.jsonl", "reports.jsonl", "investment-en.csv", "milestones-zh.csv"}

func fixturePaths(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fixture(n)
	}
	return out
}

// TestSubmitPublishesEveryFile submits registrations and reports in one go:
// the reports are accepted because the registrations come earlier in the
// submission, and every receipt entry points at the stored message.
func TestSubmitPublishesEveryFile(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	rc, err := newPublisher(t, js, submit.Config{}).Submit(ctx, fixturePaths(allFixtures...)...)
	if err != nil {
		t.Fatal(err)
	}
	wantPublished := []int{2, 3, 2, 3}
	for i, f := range rc.Files {
		if f.Status != submit.StatusPublished || f.Published != wantPublished[i] || f.Read != wantPublished[i] || f.Invalid != 0 || len(f.Batches) != 1 {
			t.Errorf("%s: %+v", f.File, f)
		}
	}
	if got := streamMsgs(t, js); got != 10 {
		t.Fatalf("stream holds %d messages; want 10", got)
	}
	checkStored(t, js, rc)

	// The first messages are the registrations, in one atomic batch.
	b := rc.Files[0].Batches[0]
	if b.ID == "" || b.FirstSeq != 1 || b.LastSeq != 2 || b.Size != 2 || b.OneByOne {
		t.Errorf("projects.jsonl batch = %+v; want one atomic batch at seq 1-2", b)
	}
	// The body is the event's JSON with the source of its file.
	s, _ := js.Stream(ctx, schema.UpdatesStream)
	ev := rc.Files[2].Events[0]
	m, err := s.GetMsg(ctx, ev.Seq)
	if err != nil {
		t.Fatal(err)
	}
	got, err := schema.Decode(schema.KindInvestment, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	r := got.(*schema.InvestmentReport)
	if r.Source != "csv" || r.ProjectID != "qingyuan-pumped-storage" || r.Period != "2025-09" || schema.EventID(r) != ev.EventID ||
		m.Subject != "kpp.v1.qy-fgj.investment.qingyuan-pumped-storage" {
		t.Errorf("stored %s: %+v", m.Subject, r)
	}
}

// TestSubmitRejectsBadInput: each bad input is reported with its exact
// message, and nothing of the file is published — not even its valid rows.
func TestSubmitRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	registerOwners(t, js, bothProjects)
	good := "qingyuan-pumped-storage,qy-fgj,2025-08,100,200,300,王敏\n"
	const head = "project_id,department_id,period,month_completed_wan,ytd_completed_wan,since_start_completed_wan,reported_by\n"
	dupID := schema.EventID(&schema.InvestmentReport{ProjectID: "qingyuan-pumped-storage", Period: "2025-08", Common: schema.Common{Revision: 1}})
	cases := []struct {
		name, file, content string
		want                []string
	}{
		{"missing field", "bad.jsonl",
			`{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","period":"2025-08","month_completed_wan":"100","ytd_completed_wan":"200"}` + "\n" +
				`{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"project_id":"qingyuan-pumped-storage","period":"2025-09","month_completed_wan":"100","ytd_completed_wan":"300"}` + "\n",
			[]string{`bad.jsonl:2: reported_by: is required (必填项缺失)`}},
		{"period 2025-13", "bad.csv", head + good + "qingyuan-pumped-storage,qy-fgj,2025-13,100,200,300,王敏\n",
			[]string{`bad.csv:3: period: "2025-13": "2025-13" is not a month; expected YYYY-MM with month 01-12, e.g. 2025-09 (不是有效月份，应为 YYYY-MM（月份01-12），如 2025-09)`}},
		{"negative amount", "bad.csv", head + good + "qingyuan-pumped-storage,qy-fgj,2025-09,-5,200,300,王敏\n",
			[]string{`bad.csv:3: month_completed_wan: "-5": -5 is negative; expected an amount ≥ 0 (a reduction is a new revision of the month it concerns) (不能为负数；核减请提交该月的更正版本)`}},
		{"non-numeric amount", "bad.csv", head + good + "qingyuan-pumped-storage,qy-fgj,2025-09,12万,200,300,王敏\n",
			[]string{`bad.csv:3: month_completed_wan: "12万": "12万" is not a number; expected a decimal amount in 万元 such as 1234.5 (不是数字，应为以万元计的小数，如 1234.5)`}},
		{"unknown project", "bad.csv", head + good + "xiyan-reservoir,qy-slj,2025-09,100,200,300,赵刚\n",
			[]string{`bad.csv:3: project_id: "xiyan-reservoir": "xiyan-reservoir" is not a registered project; register it first or check the id (项目未登记，请先登记项目或检查项目编号)`}},
		{"another department's project", "bad.csv", head + good + "qingyuan-pumped-storage,qy-jtj,2025-09,100,200,300,李强\n",
			[]string{`bad.csv:3: department_id: "qy-jtj": department "qy-jtj" may not report for project "qingyuan-pumped-storage", which belongs to "qy-fgj" (无权为该项目报送：项目属于 qy-fgj)`}},
		{"unknown CSV column", "bad.csv", "项目编号,项目名称,部门编号,月份,本月完成投资（万元）,本年累计完成（万元）,填报人\nqingyuan-pumped-storage,庆元抽水蓄能电站,qy-fgj,2025-08,100,200,王敏\n",
			[]string{`bad.csv:1: column 2: "项目名称": is not a column of investment reports; expected one of: project_id (项目编号), department_id (部门编号, 责任单位编号), revision (版本, 版本号), reported_by (填报人), reported_at (填报时间), source (来源), schema (事件类型), period (月份, 报告期), month_completed_wan (本月完成投资, 本月完成) [万元], ytd_completed_wan (本年累计完成, 本年累计完成投资) [万元], since_start_completed_wan (自开工累计完成, 开累完成, 自开工累计完成投资) [万元], physical_progress (形象进度), problems (存在问题), next_steps (下步计划), correction_reason (更正原因) (不是投资完成月报的列，可用的列为：project_id (项目编号), department_id (部门编号, 责任单位编号), revision (版本, 版本号), reported_by (填报人), reported_at (填报时间), source (来源), schema (事件类型), period (月份, 报告期), month_completed_wan (本月完成投资, 本月完成) [万元], ytd_completed_wan (本年累计完成, 本年累计完成投资) [万元], since_start_completed_wan (自开工累计完成, 开累完成, 自开工累计完成投资) [万元], physical_progress (形象进度), problems (存在问题), next_steps (下步计划), correction_reason (更正原因))`}},
		{"wrong unit in header", "bad.csv", "项目编号,部门编号,月份,本月完成投资（元）,本年累计完成（万元）,填报人\n" + "qingyuan-pumped-storage,qy-fgj,2025-08,1000000,2000000,王敏\n",
			[]string{`bad.csv:1: column 4: "本月完成投资（元）": the unit 元 is not accepted for month_completed_wan; expected the unit 万元 (单位“元”不正确，单位应为万元)`}},
		{"missing column", "bad.csv", "project_id,department_id,period,month_completed_wan,reported_by\n" + "qingyuan-pumped-storage,qy-fgj,2025-08,100,王敏\n",
			[]string{`bad.csv:1: header: "ytd_completed_wan": the column ytd_completed_wan (本年累计完成, 本年累计完成投资) [万元] is missing; expected it in investment reports (投资完成月报缺少必填列：ytd_completed_wan (本年累计完成, 本年累计完成投资) [万元])`}},
		{"duplicate event id with different content", "bad.csv", head + good + "qingyuan-pumped-storage,qy-fgj,2025-08,150,250,350,王敏\n",
			[]string{`bad.csv:3: event_id: "` + dupID + `": the same event (investment qingyuan-pumped-storage 2025-08 revision 1) as ` + "%s" + `:2 but with different content; expected one content per revision (send a correction as a higher revision) (与 %s:2 为同一事件（同一项目、期间/节点和版本号）但内容不同；更正请提高版本号)`}},
		{"year-to-date not last month's plus the month", "bad.csv", head + good + "qingyuan-pumped-storage,qy-fgj,2025-09,100,250,400,王敏\n",
			[]string{`bad.csv:3: ytd_completed_wan: "250.0000": year-to-date 250.00 is not the previous month's 200.00 (2025-08, line 2) plus the month's 100.00 = 300.00 万元 (difference -50.00); expected them equal, or a correction_reason explaining the difference (a reduction, a change of scope), or a correction of the previous month (本年累计（250.00万元）不等于上月本年累计（2025-08 第2行：200.00万元）加本月完成（100.00万元），即300.00万元，相差-50.00万元；如差额属实（如核减、统计口径调整），请在“更正原因/说明”中写明原因，否则请核对数字或更正上月)`}},
		{"a bad cell and a bad sum in one pass", "bad.csv", "project_id,department_id,period,month_completed_wan,ytd_completed_wan,reported_by,reported_at\n" +
			"qingyuan-pumped-storage,qy-fgj,2025年8月,１００,50,王敏,昨天\n",
			[]string{`bad.csv:2: reported_at: "昨天": "昨天" is not a time; expected 2025-10-03 09:30 (Beijing time) or RFC 3339 such as 2025-10-03T09:30:00+08:00 (不是有效时间，应为 2025-10-03 09:30（北京时间）或 2025-10-03T09:30:00+08:00)`,
				`bad.csv:2: ytd_completed_wan: "50.0000": year-to-date 50.00 is below the month's 100.00 万元; expected ytd ≥ month (本年累计（50.00万元）应不小于本月完成（100.00万元）)`}},
		{"month not started", "bad.csv", head + good + "qingyuan-pumped-storage,qy-fgj,2025-11,100,200,300,王敏\n",
			[]string{`bad.csv:3: period: "2025-11": "2025-11" is a month that has not started yet (now 2025-10); expected the current or an earlier month (月份尚未开始，不能提前报送)`}},
		{"not JSON", "bad.jsonl", "{\"schema\": \"kpp.investment_report.v1\",\n",
			[]string{`bad.jsonl:1: "{\"schema\": \"kpp.investment_report.v1\",": not a valid JSON object: unexpected end of JSON input (不是有效的JSON对象：unexpected end of JSON input)`}},
		{"bad quoting", "bad.csv", head + good + "qingyuan-pumped-storage,qy-fgj,2025-09,100,200,300,\"王\"敏\"\n",
			[]string{`bad.csv:3: row: extraneous or missing " in quoted-field at byte 56 of line 3; expected RFC 4180 CSV (a cell with a quote, comma or line break is quoted, quotes doubled) (CSV格式错误（第3行第56字节）：含引号、逗号或换行的单元格应加双引号，引号写两次)`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := streamMsgs(t, js)
			path := writeFile(t, tc.file, tc.content)
			rc, err := newPublisher(t, js, submit.Config{}).Submit(ctx, path)
			ie := invalidError(t, err)
			var got []string
			for _, p := range ie.Problems {
				got = append(got, strings.ReplaceAll(p.String(), path, tc.file))
			}
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = w
				if strings.Contains(w, "%s") {
					want[i] = fmt.Sprintf(w, tc.file, tc.file)
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if len(ie.Rejected) != 1 || rc.Files[0].Status != submit.StatusRejected || rc.Files[0].Published != 0 {
				t.Errorf("receipt %+v, rejected %v; want the file rejected", rc.Files[0], ie.Rejected)
			}
			if after := streamMsgs(t, js); after != before {
				t.Errorf("stream went from %d to %d messages; want nothing published", before, after)
			}
		})
	}
}

func TestSkipInvalidPublishesOnlyTheValid(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	registerOwners(t, js, bothProjects)
	path := fixture("investment-mixed.csv")

	// Without SkipInvalid nothing of the file is published.
	rc, err := newPublisher(t, js, submit.Config{}).Submit(ctx, path)
	ie := invalidError(t, err)
	if len(ie.Problems) != 2 || ie.Skipped || rc.Files[0].Status != submit.StatusRejected || streamMsgs(t, js) != 0 {
		t.Fatalf("without SkipInvalid: %v, %+v, %d stored", err, rc.Files[0], streamMsgs(t, js))
	}

	rc, err = newPublisher(t, js, submit.Config{SkipInvalid: true}).Submit(ctx, path)
	ie = invalidError(t, err)
	f := rc.Files[0]
	if !ie.Skipped || len(ie.Rejected) != 0 || f.Status != submit.StatusPartial ||
		f.Read != 4 || f.Valid != 2 || f.Invalid != 2 || f.Published != 2 {
		t.Fatalf("with SkipInvalid: %v; receipt %+v", err, f)
	}
	if ie.Problems[0].Line != 3 || ie.Problems[0].Field != "period" || ie.Problems[1].Line != 4 || ie.Problems[1].Field != "month_completed_wan" {
		t.Errorf("problems %v; want line 3 period and line 4 month_completed_wan", ie.Problems)
	}
	if f.Events[0].Line != 2 || f.Events[1].Line != 5 {
		t.Errorf("published lines %d and %d; want 2 and 5", f.Events[0].Line, f.Events[1].Line)
	}
	if got := streamMsgs(t, js); got != 2 {
		t.Fatalf("stream holds %d; want the 2 valid records", got)
	}
	checkStored(t, js, rc)
}

// TestResubmitStoresNothingNew: the second submission's atomic batches are
// refused by the server (a stored message id), so they go one at a time,
// and every acknowledgement is a duplicate of the first submission's.
func TestResubmitStoresNothingNew(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	paths := fixturePaths(allFixtures...)
	first, err := newPublisher(t, js, submit.Config{}).Submit(ctx, paths...)
	if err != nil {
		t.Fatal(err)
	}
	stored := streamMsgs(t, js)

	again, err := newPublisher(t, js, submit.Config{}).Submit(ctx, paths...)
	if err != nil {
		t.Fatal(err)
	}
	if got := streamMsgs(t, js); got != stored {
		t.Fatalf("stream went from %d to %d messages", stored, got)
	}
	tot := again.Totals()
	if tot.Published != 0 || tot.Duplicates != int(stored) {
		t.Fatalf("second receipt totals %+v; want 0 published, %d duplicates", tot, stored)
	}
	for i, f := range again.Files {
		if len(f.Batches) != 1 || !f.Batches[0].OneByOne || f.Batches[0].Duplicates != f.Read {
			t.Errorf("%s batches %+v; want one, one by one, all duplicates", f.File, f.Batches)
		}
		for j, e := range f.Events {
			if !e.Duplicate || e.Seq != first.Files[i].Events[j].Seq {
				t.Errorf("%s line %d: %+v; want a duplicate of seq %d", f.File, e.Line, e, first.Files[i].Events[j].Seq)
			}
		}
	}

	// A file mixing stored and new records stores only the new ones. (The
	// registrations are in the bucket by now, as ingest would have put them.)
	registerOwners(t, js, bothProjects)
	mixed := writeFile(t, "more.jsonl", mustRead(t, fixture("reports.jsonl"))+
		`{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":2,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","period":"2025-08","month_completed_wan":"12100.5","ytd_completed_wan":"98100","since_start_completed_wan":"356100","correction_reason":"补录8月结算"}`+"\n")
	rc, err := newPublisher(t, js, submit.Config{}).Submit(ctx, mixed)
	if err != nil {
		t.Fatal(err)
	}
	f := rc.Files[0]
	if f.Published != 1 || f.Duplicates != 3 || streamMsgs(t, js) != stored+1 {
		t.Fatalf("mixed file: %+v; stream %d (was %d)", f, streamMsgs(t, js), stored)
	}
	if b := f.Batches[0]; !b.OneByOne || b.FirstSeq != stored+1 || b.LastSeq != stored+1 {
		t.Errorf("mixed batch %+v; want one by one, the new record at seq %d", b, stored+1)
	}
	checkStored(t, js, rc)
}

// TestLargeFileIsPublishedInAtomicBatches: 2,500 records go as three
// atomic batches of 1000, 1000 and 500, at consecutive sequences.
func TestLargeFileIsPublishedInAtomicBatches(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	registerOwners(t, js, bothProjects)
	var b strings.Builder
	b.WriteString("项目编号,部门编号,节点编号,节点名称,状态,计划日期,评估日期,完成百分比,填报人\n")
	for i := range 2500 {
		fmt.Fprintf(&b, "qingyuan-pumped-storage,qy-fgj,node-%04d,第%d号施工节点,推进中,2026-06-30,2025-09-30,%d,王敏\n", i, i, i%100)
	}
	path := writeFile(t, "nodes.csv", b.String())
	rc, err := newPublisher(t, js, submit.Config{}).Submit(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	f := rc.Files[0]
	if f.Published != 2500 || len(f.Batches) != 3 {
		t.Fatalf("receipt: %d published in %d batches; want 2500 in 3", f.Published, len(f.Batches))
	}
	next := uint64(1)
	ids := map[string]bool{}
	for i, want := range []int{1000, 1000, 500} {
		bt := f.Batches[i]
		if bt.Size != want || bt.OneByOne || bt.ID == "" || ids[bt.ID] || bt.FirstSeq != next || bt.LastSeq != next+uint64(want)-1 {
			t.Errorf("batch %d = %+v; want %d atomic records from seq %d", i, bt, want, next)
		}
		ids[bt.ID] = true
		next = bt.LastSeq + 1
	}
	if got := streamMsgs(t, js); got != 2500 {
		t.Fatalf("stream holds %d; want 2500", got)
	}
	checkStored(t, js, rc)

	// The batch size is configurable.
	rc, err = newPublisher(t, js, submit.Config{BatchSize: 2}).Submit(ctx, fixture("investment-en.csv"), fixture("milestones-en.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rc.Files[1].Batches); n != 2 {
		t.Errorf("3 records with BatchSize 2 went in %d batches; want 2", n)
	}
}

// TestServerRejectsBatchWithStoredMsgID pins the JetStream behaviour the
// publisher relies on: an atomic batch holding a message id the stream has
// already stored is refused as a whole with error 10201.
func TestServerRejectsBatchWithStoredMsgID(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	msgs := func(ids ...string) []*nats.Msg {
		var out []*nats.Msg
		for _, id := range ids {
			m := nats.NewMsg("kpp.v1.qy-fgj.investment.qingyuan-pumped-storage")
			m.Data = []byte(`{}`)
			m.Header.Set(schema.HeaderMsgID, id)
			out = append(out, m)
		}
		return out
	}
	if _, err := jetstreamext.PublishMsgBatch(ctx, js, msgs("a", "b")); err != nil {
		t.Fatal(err)
	}
	_, err := jetstreamext.PublishMsgBatch(ctx, js, msgs("c", "b", "d"))
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != jetstreamext.JSErrCodeBatchPublishDuplicateMsgID {
		t.Fatalf("batch with a stored id: %v; want API error 10201", err)
	}
	if got := streamMsgs(t, js); got != 2 {
		t.Fatalf("stream holds %d; want 2 (nothing of the refused batch)", got)
	}
	pa, err := js.PublishMsg(ctx, msgs("b")[0])
	if err != nil || !pa.Duplicate || pa.Sequence != 2 {
		t.Fatalf("single publish of a stored id: %+v, %v; want a duplicate of seq 2", pa, err)
	}
}

// TestOwnershipComesFromBucketAndEarlierRegistrations: a registration in a
// rejected file does not count for later files; a project owned in the
// bucket by another department cannot be registered again.
func TestOwnershipComesFromBucketAndEarlierRegistrations(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	registerOwners(t, js, map[string]string{"yilongqing-expressway-qingyuan": "qy-jtj"})
	regs := mustRead(t, fixture("projects.jsonl"))
	lines := strings.SplitAfter(regs, "\n")
	bad := writeFile(t, "regs.jsonl", lines[0]+`{"schema":"kpp.project.v1"}`+"\n")
	steal := writeFile(t, "steal.jsonl", strings.Replace(lines[1], `"department_id":"qy-jtj"`, `"department_id":"qy-fgj"`, 1))
	rc, err := newPublisher(t, js, submit.Config{}).Submit(ctx, bad, fixture("investment-en.csv"), steal)
	ie := invalidError(t, err)
	if len(ie.Rejected) != 3 || streamMsgs(t, js) != 0 {
		t.Fatalf("rejected %v, stored %d; want all three files rejected, nothing stored", ie.Rejected, streamMsgs(t, js))
	}
	var got []string
	for _, p := range rc.Files[1].Problems {
		got = append(got, fmt.Sprintf("%d %s %s", p.Line, p.Field, p.Rule))
	}
	if strings.Join(got, ",") != "2 project_id unknown_project" {
		t.Errorf("investment-en.csv problems %v; want line 2 unknown project only (line 3 is owned in the bucket)", got)
	}
	if p := rc.Files[2].Problems; len(p) != 1 || p[0].Rule != schema.RuleNotOwner {
		t.Errorf("steal.jsonl problems %v; want not_owner", p)
	}
}

func TestPublishEvents(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	in, err := submit.ReadFile(fixture("projects.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	report := &schema.InvestmentReport{Common: schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "qy-fgj", Revision: 1, ReportedBy: "demo"},
		ProjectID: "qingyuan-pumped-storage", Period: "2025-09", MonthCompletedWan: schema.MustWan("1"), YTDCompletedWan: schema.MustWan("2")}
	events := []schema.Event{report, in.Records[0].Event}

	// The report comes first but its project is registered in the same
	// call only after it: it is refused.
	_, err = newPublisher(t, js, submit.Config{Source: "demo"}).PublishEvents(ctx, events)
	ie := invalidError(t, err)
	if len(ie.Problems) != 1 || ie.Problems[0].String() != `events:1: project_id: "qingyuan-pumped-storage": "qingyuan-pumped-storage" is not a registered project; register it first or check the id (项目未登记，请先登记项目或检查项目编号)` {
		t.Fatalf("problems %v", ie.Problems)
	}

	events[0], events[1] = events[1], events[0]
	rc, err := newPublisher(t, js, submit.Config{Source: "demo"}).PublishEvents(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	if f := rc.Files[0]; f.File != "events" || f.Format != submit.FormatEvents || f.Published != 2 || len(f.Batches) != 1 {
		t.Fatalf("receipt %+v", f)
	}
	if report.Source != "" {
		t.Errorf("the caller's event was changed: source %q", report.Source)
	}
	s, _ := js.Stream(ctx, schema.UpdatesStream)
	m, err := s.GetMsg(ctx, rc.Files[0].Events[1].Seq)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(m.Data, []byte(`"source":"demo"`)) {
		t.Errorf("stored body %s; want source demo", m.Data)
	}
}

// TestRepeatedIdenticalRecordIsPublishedOnce: the same report in two files
// (different sources) is one event.
func TestRepeatedIdenticalRecordIsPublishedOnce(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	registerOwners(t, js, bothProjects)
	rc, err := newPublisher(t, js, submit.Config{}).Submit(ctx, fixture("investment-en.csv"), fixture("investment-zh.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := rc.Files[0], rc.Files[1]; a.Published != 2 || b.Published != 0 || b.Repeated != 2 || b.Valid != 2 {
		t.Fatalf("receipts %+v / %+v; want the second file's records repeated, not published", a.Counts, b.Counts)
	}
	if got := streamMsgs(t, js); got != 2 {
		t.Fatalf("stream holds %d; want 2", got)
	}
}

func TestDryRunPublishesNothing(t *testing.T) {
	ctx := context.Background()
	_, _, js := newBareJS(t)
	rc, err := newPublisher(t, js, submit.Config{DryRun: true}).Submit(ctx, fixturePaths("projects.jsonl", "reports.jsonl")...)
	if err != nil {
		t.Fatal(err)
	}
	if tot := rc.Totals(); tot.Valid != 5 || tot.Published != 0 || rc.Files[0].Status != submit.StatusChecked {
		t.Fatalf("dry run receipt %+v", rc.Files[0])
	}
	if _, err := js.Stream(ctx, schema.UpdatesStream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("dry run created the stream (or: %v)", err)
	}
}

func TestReceiptRendering(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	registerOwners(t, js, bothProjects)
	rc, err := newPublisher(t, js, submit.Config{}).Submit(ctx, fixture("investment-en.csv"), fixture("investment-mixed.csv"))
	invalidError(t, err)

	var text bytes.Buffer
	if err := rc.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{
		"FILE", "PUBLISHED", "DUPLICATES",
		fixture("investment-en.csv") + ": published, 1 batch: 2 records atomically (batch " + rc.Files[0].Batches[0].ID + "), seq 1-2",
		fixture("investment-mixed.csv") + ": rejected (2 problems), nothing published",
		"2 problems:",
		"  " + fixture("investment-mixed.csv") + `:3: period: "2025-13": `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text receipt lacks %q:\n%s", want, out)
		}
	}
	totals := regexpLine(t, out, "total")
	if f := strings.Fields(totals); strings.Join(f, " ") != "total 6 4 2 2 0 0 0" {
		t.Errorf("totals line %q; want read 6 valid 4 invalid 2 published 2", totals)
	}

	var js2 bytes.Buffer
	if err := rc.WriteJSON(&js2); err != nil {
		t.Fatal(err)
	}
	var back submit.Receipt
	if err := json.Unmarshal(js2.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Files) != 2 || len(back.Files[0].Events) != 2 || back.Files[0].Events[0].EventID != rc.Files[0].Events[0].EventID ||
		back.Files[1].Problems[0].MessageZh == "" || back.Files[0].Batches[0].LastSeq != 2 {
		t.Errorf("JSON receipt does not round-trip: %s", js2.String())
	}
}

// TestChangedRecordWithoutNewRevisionIsAConflict: a report changed after it
// was stored, but sent with the same revision, is not stored (JetStream
// sees its id as a duplicate) — and the receipt says so, instead of
// counting it as a harmless duplicate. A new reported_at alone is not a
// change.
func TestChangedRecordWithoutNewRevisionIsAConflict(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	registerOwners(t, js, bothProjects)
	if _, err := newPublisher(t, js, submit.Config{}).Submit(ctx, fixture("investment-en.csv")); err != nil {
		t.Fatal(err)
	}
	changed := strings.NewReplacer("13500.25,111500.75", "13600.25,111600.75", "2025-10-04 11:00", "2025-10-05 08:00").
		Replace(mustRead(t, fixture("investment-en.csv")))
	path := writeFile(t, "investment-en.csv", changed)
	rc, err := newPublisher(t, js, submit.Config{}).Submit(ctx, path)
	ie := invalidError(t, err)
	f := rc.Files[0]
	if f.Published != 0 || f.Duplicates != 1 || f.Conflicts != 1 || f.Status != submit.StatusPublished || streamMsgs(t, js) != 2 {
		t.Fatalf("receipt %+v; stream %d", f.Counts, streamMsgs(t, js))
	}
	want := path + `:2: revision: "1": the same event (investment qingyuan-pumped-storage 2025-09 revision 1) is already stored with different content at sequence 1; this record was NOT stored; expected a correction as revision 2 with a correction_reason (该事件（同一项目、期间/节点和版本号）已以不同内容报送（序号1），本条未保存；更正请以版本号2报送并填写更正原因)`
	if len(ie.Problems) != 1 || ie.Problems[0].String() != want {
		t.Fatalf("problems %v;\nwant %s", ie.Problems, want)
	}
}
