package rollup_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// TestDocsQueriesRun runs every SQL example of docs/dispatch.md against the
// review fixture's weekly, ten-day and monthly reviews and checks that each
// returns rows.
func TestDocsQueriesRun(t *testing.T) {
	queries := testenv.SQLExamples(t, filepath.Join("..", "..", "docs", "dispatch.md"))
	st, _ := setupReview(t)
	ctx := context.Background()
	for _, p := range []schema.ReviewPeriod{w40, w41, octD1, sepMonthly} {
		run(t, st, p, rating.Rules{})
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
