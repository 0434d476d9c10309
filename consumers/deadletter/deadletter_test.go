package deadletter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/deadletter"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type row struct {
	seq      uint64
	dept     string
	received time.Time
	payload  string
}

func TestListFiltersAndOrders(t *testing.T) {
	ctx := context.Background()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sh := schema.Location()
	long := "{\"schema\": \"kpp.investment_report.v1\",\n\t\"problems\": \"" + strings.Repeat("征地拆迁", 50) + "\xff\"}"
	rows := []row{
		{1, "fgj", time.Date(2025, 9, 1, 10, 0, 0, 0, sh), `{"period":"2025-13"}`},
		{2, "jtj", time.Date(2025, 9, 2, 10, 0, 0, 0, sh), `not json`},
		{3, "fgj", time.Date(2025, 9, 3, 10, 0, 0, 0, sh), long},
		{1, "fgj", time.Date(2025, 9, 1, 10, 0, 0, 0, sh), `{"period":"2025-13"}`}, // a redelivery writes the row again
	}
	b, err := st.Conn().PrepareBatch(ctx, `INSERT INTO rejected_updates (stream_seq, dlq_seq, subject, department_id, kind, project_id, event_id,
 rule, reason_en, reason_zh, errors, payload, received_at, rejected_at)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		subject := schema.SubjectFor(r.dept, schema.KindInvestment, "p1")
		errs := `[{"field":"period","value":"2025-13","rule":"period","message_zh":"不是有效月份","message_en":"\"2025-13\" is not a month"}]`
		if err := b.Append(r.seq, r.seq+100, subject, r.dept, "investment", "p1", "", "period",
			`period: "2025-13" is not a month`, "period：不是有效月份", errs, r.payload, r.received, r.received.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}

	seqs := func(f deadletter.Filter) []uint64 {
		t.Helper()
		got, err := deadletter.List(ctx, st, f)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]uint64, len(got))
		for i, r := range got {
			out[i] = r.Seq
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    deadletter.Filter
		want []uint64
	}{
		{"all, newest first, each once", deadletter.Filter{}, []uint64{3, 2, 1}},
		{"one department", deadletter.Filter{Department: "fgj"}, []uint64{3, 1}},
		{"since", deadletter.Filter{Since: time.Date(2025, 9, 2, 0, 0, 0, 0, sh)}, []uint64{3, 2}},
		{"since, in another zone", deadletter.Filter{Since: time.Date(2025, 9, 2, 2, 0, 1, 0, time.UTC)}, []uint64{3}},
		{"limit", deadletter.Filter{Limit: 1}, []uint64{3}},
	} {
		if got := seqs(c.f); !equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}

	got, err := deadletter.List(ctx, st, deadletter.Filter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := got[0]
	if r.DLQSeq != 103 || r.Rule != "period" || r.ReasonZh != "period：不是有效月份" || r.Subject != "kpp.v1.fgj.investment.p1" ||
		len(r.Errors) != 1 || r.Errors[0].Rule != schema.RulePeriod || !r.ReceivedAt.Equal(rows[2].received) || r.PayloadBytes != len(long) {
		t.Errorf("row = %+v", r)
	}
	if n := len([]rune(r.PayloadExcerpt)); n != deadletter.ExcerptRunes+1 || !strings.HasSuffix(r.PayloadExcerpt, "…") ||
		strings.ContainsAny(r.PayloadExcerpt, "\n\t") || !strings.HasPrefix(r.PayloadExcerpt, `{"schema": "kpp.investment_report.v1", "problems": "征地拆迁`) {
		t.Errorf("excerpt %q (%d characters): want one line of %d characters and …", r.PayloadExcerpt, n, deadletter.ExcerptRunes)
	}

	if _, err := deadletter.List(ctx, st, deadletter.Filter{Limit: -1}); !errors.Is(err, deadletter.ErrBadFilter) {
		t.Errorf("limit -1: %v, want ErrBadFilter", err)
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
