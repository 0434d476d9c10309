package sheet_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// TestPublishThroughSubmit takes a filled-in template through submit's
// Publisher to a real embedded JetStream: a row for another department's
// project rejects the whole upload and Locate names its cell; without it,
// every row is published as the event the clerk typed.
func TestPublishThroughSubmit(t *testing.T) {
	_, _, js := testenv.NATS(t)
	ctx := context.Background()
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	// qingyuan-bus-station is registered to another department.
	for p, d := range map[string]string{expressway: "qy-jtj", g235: "qy-jtj", station: "qy-fgj"} {
		if _, err := kv.PutString(ctx, p, d); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := submit.New(js, submit.Config{Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	b := openBook(t, template(t, jtj()))
	b.row(4, nil, nil, nil, 350, 2100, 5600, nil, nil, nil, nil, "李强")
	b.row(5, nil, nil, nil, "1,200", 8400, 20100, nil, nil, nil, nil, "李强")
	b.row(6, nil, nil, nil, 80, 560, 900, nil, nil, nil, nil, "李强")
	filled := b.bytes()

	up := read(t, "jtj.xlsx", filled, opts())
	if got := problems(up); len(got) != 0 {
		t.Fatalf("problems before publishing: %v", got)
	}
	_, err = pub.SubmitInputs(ctx, up.Input)
	var inv *submit.InvalidError
	if !errors.As(err, &inv) || len(inv.Problems) != 1 {
		t.Fatalf("error %v; want one ownership problem", err)
	}
	got := up.Locate(inv.Problems[0]).String()
	want := `jtj.xlsx:6: 项目编号 (月报!A6): "qy-jtj": department "qy-jtj" may not report for project "qingyuan-bus-station", which belongs to "qy-fgj" (无权为该项目报送：项目属于 qy-fgj)`
	if got != want {
		t.Errorf("located problem:\n got %s\nwant %s", got, want)
	}
	if n := streamMsgs(t, js); n != 0 {
		t.Fatalf("%d messages stored from a rejected upload; want none", n)
	}

	// The clerk clears row 6 and uploads again.
	b = openBook(t, filled)
	for _, c := range []string{"D6", "E6", "F6", "K6"} {
		b.set(c, "")
	}
	up = read(t, "jtj.xlsx", b.bytes(), opts())
	rc, err := pub.SubmitInputs(ctx, up.Input)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if f := rc.Files[0]; f.Published != 2 || f.Status != submit.StatusPublished || f.Format != "xlsx" {
		t.Fatalf("receipt: published %d status %s format %s", f.Published, f.Status, f.Format)
	}
	stream, err := js.Stream(ctx, schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	wants := []*schema.InvestmentReport{
		report(expressway, "2025-09", "350", "2100", "5600", "李强"),
		report(g235, "2025-09", "1200", "8400", "20100", "李强"),
	}
	for i, e := range rc.Events() {
		m, err := stream.GetMsg(ctx, e.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != "kpp.v1.qy-jtj.investment."+wants[i].ProjectID {
			t.Errorf("subject %s", m.Subject)
		}
		exp, _ := json.Marshal(wants[i])
		if string(m.Data) != string(exp) {
			t.Errorf("stored %s\nwant   %s", m.Data, exp)
		}
	}
	if n := streamMsgs(t, js); n != 2 {
		t.Errorf("%d messages stored; want 2", n)
	}
}

func streamMsgs(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
