package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// BenchmarkInsertBatch measures one insert of n investment_reports rows
// into the real ClickHouse server; DefaultBatchSize was chosen from it:
//
//	go test ./consumers/ingest -run XXX -bench InsertBatch -benchtime 20x
func BenchmarkInsertBatch(b *testing.B) {
	ctx := context.Background()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	received := time.Now()
	for _, n := range []int{100, 1000, 5000, 20000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchInsert(b, st, n, 1, received) })
	}
	// A batch spread over many months writes a part in each month's
	// partition: the cost grows with the months, not the rows.
	for _, months := range []int{12, 200} {
		b.Run(fmt.Sprintf("2000x%dmonths", months), func(b *testing.B) { benchInsert(b, st, 2000, months, received) })
	}
}

// benchInsert inserts batches of n investment reports, spread evenly over
// months months (one month: 2025-09; more: from 2001-01).
func benchInsert(b *testing.B, st *chstore.Store, n, months int, received time.Time) {
	ctx := context.Background()
	seq := uint64(0)
	for b.Loop() {
		items := make([]*item, n)
		for i := range items {
			seq++
			period := "2025-09"
			if months > 1 {
				k := i % months
				period = fmt.Sprintf("%d-%02d", 2001+k/12, 1+k%12)
			}
			r := &schema.InvestmentReport{
				Common:    schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "fgj", Revision: 1, ReportedBy: "bench"},
				ProjectID: fmt.Sprintf("p-%d-%d", months, seq), Period: period,
				MonthCompletedWan: schema.MustWan("1234.5678"), YTDCompletedWan: schema.MustWan("9876.5432"),
				PhysicalProgress: "主体施工中",
			}
			items[i] = &item{ev: r, eventID: schema.EventID(r), seq: seq, received: received,
				parts: schema.SubjectParts{Department: "fgj", Kind: schema.KindInvestment, Project: r.ProjectID}}
		}
		if err := insertEvents(ctx, st.Conn(), items, time.Now(), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}
