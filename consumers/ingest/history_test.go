package ingest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// rowBudget is how many rows one query of the ingester may read in
// TestDuplicateLookupReadsOnlyTheBatchsPart: far fewer than are stored.
const rowBudget = 200000

// The duplicate lookup reads what the batch needs, not what is stored:
// with 600,000 reports of 150,000 other projects stored in the months of
// the batch, an ingester whose every query may read at most 200,000 rows
// (ClickHouse's max_rows_to_read, counted in granules of 8,192: the batch
// spans twelve months, so the lookup reads a granule or two of each of
// twelve partitions) stores the batch,
// counts a republished copy as a duplicate and writes nothing twice. The
// lookup by event id it replaced reads the whole column and is refused
// under the same limit.
func TestDuplicateLookupReadsOnlyTheBatchsPart(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.ClickHouseDSN(t)
	e := newEnvDSN(t, dsn)
	pf := bench.Portfolio{Prefix: "hist-", Projects: 150000, First: schema.Period{Year: 2025, Month: 9}, Months: 4}
	if err := bench.Fill(ctx, e.st.Conn(), pf, nil); err != nil {
		t.Fatal(err)
	}
	if n := e.count("SELECT count() FROM investment_reports"); n < 2*rowBudget {
		t.Fatalf("stored %d reports; the test needs far more than %d", n, rowBudget)
	}

	limited, err := chstore.Open(ctx, dsn+"?max_rows_to_read=200000", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer limited.Close()
	// The control: the old lookup cannot run under the limit.
	err = limited.Conn().Exec(ctx, "SELECT DISTINCT event_id FROM investment_reports WHERE event_id IN ('x', 'y')")
	if err == nil || !strings.Contains(err.Error(), "Limit for rows") {
		t.Fatalf("a lookup by event id under max_rows_to_read = %d: %v; want ClickHouse to refuse it", rowBudget, err)
	}

	projects, reports := portfolio()
	for _, p := range projects {
		e.publish(p)
	}
	for _, r := range reports {
		e.publish(r)
	}
	in, err := ingest.New(e.js, limited, fastConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(rctx) }()
	defer func() { cancel(); <-done }()
	n := uint64(len(projects) + len(reports))
	testenv.Eventually(t, 30*time.Second, func() bool { return in.Stats().Total().Accepted == n },
		"under the row limit: %+v, want %d accepted (retries mean a query read too much)", in.Stats(), n)

	// The same reports again under new message ids: found stored, not written.
	before := e.count("SELECT count() FROM investment_reports")
	for _, r := range reports {
		e.publishRaw(schema.Subject(r), marshal(t, r), "again-"+schema.EventID(r))
	}
	testenv.Eventually(t, 30*time.Second, func() bool { return in.Stats().Total().Duplicate == uint64(len(reports)) },
		"republished under the row limit: %+v, want %d duplicates", in.Stats(), len(reports))
	if after := e.count("SELECT count() FROM investment_reports"); after != before {
		t.Errorf("investment_reports grew from %d to %d rows: a duplicate was written", before, after)
	}
	if r := in.Stats().Retries; r != 0 {
		t.Errorf("%d retries: a query read more than %d rows", r, rowBudget)
	}
}
