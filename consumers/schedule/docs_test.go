package schedule

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// TestDocsQueriesRun runs every SQL example of docs/schedule.md on the
// test's ClickHouse with an ok and a failed run recorded, and checks that
// each returns rows.
func TestDocsQueriesRun(t *testing.T) {
	queries := testenv.SQLExamples(t, filepath.Join("..", "..", "docs", "schedule.md"))
	ctx := context.Background()
	st := openStore(t, testenv.ClickHouseDSN(t))
	p, _ := schema.ParseReviewPeriod(schema.ReviewWeekly, "2025-W40")
	now := time.Now()
	for i, status := range []RunStatus{StatusFailed, StatusOK} {
		r := RunRecord{RunID: "docs-" + string(status), Period: p, Trigger: TriggerSchedule, Replica: "docs", Status: status,
			StartedAt: now.Add(time.Duration(i-2) * time.Hour), FinishedAt: now.Add(time.Duration(i-2) * time.Hour)}
		if status == StatusFailed {
			r.Error = "ClickHouse unavailable"
		}
		if err := record(ctx, st, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range queries {
		rows, err := st.Conn().Query(ctx, q)
		if err != nil {
			t.Fatalf("docs query fails: %v\n%s", err, q)
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil || n == 0 {
			t.Errorf("docs query returned %d rows (err %v):\n%s", n, err, q)
		}
	}
}
