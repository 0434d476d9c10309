package chstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/currentch"
	"github.com/keyproject/kpp/internal/testenv"
)

// TestAnalystsDocQueriesOnCurrentClickHouse runs the migrations on current
// ClickHouse (chDB), copies the fixture of TestAnalystsDocQueriesRun into it
// from 18.16, runs every example of docs/analysts.md on both and compares
// the answers row for row: a query that means something else on a current
// release (a join's strictness, a truncated division) fails here.
func TestAnalystsDocQueriesOnCurrentClickHouse(t *testing.T) {
	engine := currentch.Require(t)
	queries := docQueries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	insertFixtures(ctx, t, st.Conn())
	httpAddr := testenv.ClickHouseHTTPAddr(t)

	steps, err := currentch.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	data, err := currentch.Dump(ctx, httpAddr, st.Database())
	if err != nil {
		t.Fatal(err)
	}
	var qs []currentch.Query
	for _, q := range queries {
		qs = append(qs, currentch.Query{Name: q.name, SQL: q.sql})
	}
	// What the page must not teach: ANY INNER JOIN keeps one row per key
	// on both sides on current releases, so this trend has one month per
	// project there and every month on 18.16. The check must see it.
	const anyInner = `SELECT category, period, sum(month_completed_wan) AS month_wan
FROM investment_latest
ANY INNER JOIN (SELECT project_id, category FROM projects) AS p USING (project_id)
GROUP BY category, period
ORDER BY category, period`
	qs = append(qs, currentch.Query{Name: "any-inner-join", SQL: anyInner})
	answer, err := engine.Run(ctx, "kpp", append(steps, data...), qs)
	if err != nil {
		t.Fatalf("migrations and fixture on current ClickHouse: %v", err)
	}
	for i, q := range queries {
		old, err := currentch.Query18(ctx, httpAddr, "analyst", st.Database(), q.name, q.sql)
		if err != nil {
			t.Fatal(err)
		}
		if d := currentch.Diff(old, answer.Results[i]); d != "" {
			t.Errorf("%s:%d: query %s answers differently on ClickHouse %s and %s: %s\n%s",
				analystsDoc, q.line, q.name, st.ServerVersion(), answer.Version, d, q.sql)
		}
	}
	old, err := currentch.Query18(ctx, httpAddr, "analyst", st.Database(), "any-inner-join", anyInner)
	if err != nil {
		t.Fatal(err)
	}
	if d := currentch.Diff(old, answer.Results[len(queries)]); d == "" {
		t.Errorf("ANY INNER JOIN gave the same %d rows on both engines; the comparison should have told them apart", len(old.Rows))
	}
	t.Logf("%d migration steps, %d tables and %d queries on ClickHouse %s (chDB) and %s", answer.Steps-len(data), len(data), len(qs), answer.Version, st.ServerVersion())
}
