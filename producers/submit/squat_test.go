package submit_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// squatProjects: department qy-a owns one project, qy-b another.
var squatProjects = map[string]string{"a-road": "qy-a", "b-reservoir": "qy-b"}

func squatReport(dept, project, month string) *schema.InvestmentReport {
	return &schema.InvestmentReport{Common: schema.Common{Schema: schema.SchemaInvestment, DepartmentID: dept, Revision: 1, ReportedBy: "clerk"},
		ProjectID: project, Period: "2025-09", MonthCompletedWan: schema.MustWan(month), YTDCompletedWan: schema.MustWan("100")}
}

// squat publishes, as department qy-a may (on its own subject, with its
// own report), a message carrying the message id msgID.
func squat(t *testing.T, js jetstream.JetStream, msgID string) uint64 {
	t.Helper()
	body, err := json.Marshal(squatReport("qy-a", "a-road", "1"))
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(schema.SubjectFor("qy-a", schema.KindInvestment, "a-road"))
	m.Data = body
	m.Header.Set(schema.HeaderMsgID, msgID)
	pa, err := js.PublishMsg(context.Background(), m)
	if err != nil || pa.Duplicate {
		t.Fatalf("squatting message: %+v, %v", pa, err)
	}
	return pa.Sequence
}

// storedAt returns the subject and event stored at seq.
func storedAt(t *testing.T, js jetstream.JetStream, seq uint64) (string, schema.Event) {
	t.Helper()
	s, err := js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := schema.DecodeAny(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	return m.Subject, ev
}

// TestMessageIDSquattingCannotLoseAReport is issue 9, item 5: department A
// publishes on its own subject with the message ids of B's coming report,
// which used to make JetStream drop B's report as a duplicate for 24 hours
// while kpp submit counted it as stored. Now B's ids are its own
// (department-scoped), and a "duplicate" is checked against the stored
// message: one on another subject is not B's report, which is published
// again under a fresh id and stored.
func TestMessageIDSquattingCannotLoseAReport(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  submit.Config
	}{
		{"service user compares", submit.Config{}},
		{"department user cannot read the stream", submit.Config{AssumeStreams: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := newJS(t)
			registerOwners(t, js, squatProjects)
			b := squatReport("qy-b", "b-reservoir", "7")

			// The id B's report had before ids were scoped by department
			// no longer touches it.
			squat(t, js, schema.EventID(b))
			// The forged id: B's scoped id, on A's subject.
			held := squat(t, js, schema.MsgID(b))

			rc, err := newPublisher(t, js, tc.cfg).PublishEvents(ctx, []schema.Event{b})
			if err != nil {
				t.Fatal(err)
			}
			f := rc.Files[0]
			if f.Published != 1 || f.Resent != 1 || f.Duplicates != 0 || f.Conflicts != 0 {
				t.Fatalf("receipt %+v; want B's report published (resent under a fresh id), not a duplicate", f.Counts)
			}
			e := f.Events[0]
			if !e.Resent || e.HeldBy != held || e.Duplicate || e.Seq == held {
				t.Fatalf("event receipt %+v; want resent, held by seq %d", e, held)
			}
			subject, ev := storedAt(t, js, e.Seq)
			if subject != schema.Subject(b) || ev.Department() != "qy-b" || schema.EventID(ev) != schema.EventID(b) {
				t.Fatalf("seq %d holds %s on %s; want B's report", e.Seq, schema.EventID(ev), subject)
			}
			checkStored(t, js, rc)

			// B sends the same report again while A's message still holds
			// the id: it is published again too (ingest stores the event
			// once), never counted as stored on A's word.
			again, err := newPublisher(t, js, tc.cfg).PublishEvents(ctx, []schema.Event{b})
			if err != nil {
				t.Fatal(err)
			}
			if g := again.Files[0]; g.Published != 1 || g.Resent != 1 || g.Duplicates != 0 || g.Events[0].HeldBy != held {
				t.Fatalf("again: %+v, %+v; want resent, held by seq %d", g.Counts, g.Events, held)
			}
		})
	}
}

// TestForgedDuplicateOnOwnSubjectIsAConflict: a message on B's own subject
// that holds B's message id with other content is not counted as B's
// report: the receipt has a conflict problem and the submission an error.
func TestForgedDuplicateOnOwnSubjectIsAConflict(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	registerOwners(t, js, squatProjects)
	b := squatReport("qy-b", "b-reservoir", "7")
	other, err := json.Marshal(squatReport("qy-b", "b-reservoir", "9"))
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(schema.Subject(b))
	m.Data = other
	m.Header.Set(schema.HeaderMsgID, schema.MsgID(b))
	if _, err := js.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
	rc, err := newPublisher(t, js, submit.Config{}).PublishEvents(ctx, []schema.Event{b})
	ie := invalidError(t, err)
	f := rc.Files[0]
	if f.Duplicates != 0 || f.Conflicts != 1 || f.Published != 0 || len(ie.Problems) != 1 || ie.Problems[0].Rule != submit.RuleConflict {
		t.Fatalf("receipt %+v, problems %v; want one conflict and an error", f.Counts, ie.Problems)
	}
}
