package chstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/currentch"
	"github.com/keyproject/kpp/internal/testenv"
)

// On 18.16 the analyst is in users.xml: CreateAnalyst says so.
func TestCreateAnalystNeedsSQLUsers(t *testing.T) {
	ctx := context.Background()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if strings.HasPrefix(st.ServerVersion(), "18.") {
		if err := st.CreateAnalyst(ctx, "a-long-password-1", chstore.AnalystLimits{}); !errors.Is(err, chstore.ErrNoSQLUsers) {
			t.Errorf("CreateAnalyst on ClickHouse %s: %v, want ErrNoSQLUsers", st.ServerVersion(), err)
		}
	}
	if _, err := chstore.AnalystStatements("kpp", "short", chstore.AnalystLimits{}); err == nil {
		t.Error("a 5-character password was accepted")
	}
	if _, err := chstore.AnalystStatements("kpp; DROP", "a-long-password-1", chstore.AnalystLimits{}); err == nil {
		t.Error("a database name with a semicolon was accepted")
	}
}

// The account's statements parse on current ClickHouse (chDB has no users
// to create them in: EXPLAIN AST checks the syntax), a password with quotes
// included.
func TestAnalystStatementsOnCurrentClickHouse(t *testing.T) {
	engine := currentch.Require(t)
	stmts, err := chstore.AnalystStatements("kpp", `it's a \ long password`, chstore.AnalystLimits{MaxExecutionTime: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var qs []currentch.Query
	for i, s := range stmts {
		qs = append(qs, currentch.Query{Name: strings.Fields(s)[0] + " " + strings.Fields(s)[1] + " #" + string(rune('1'+i)), SQL: "EXPLAIN AST " + s})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	answer, err := engine.Run(ctx, "kpp", nil, qs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range answer.Results {
		if r.Err != "" {
			t.Errorf("%s does not parse on ClickHouse %s: %s\n%s", r.Name, answer.Version, r.Err, stmts[i])
		}
	}
	if !strings.Contains(stmts[0], "readonly = 1") || !strings.Contains(stmts[0], "max_execution_time = 30") ||
		!strings.Contains(stmts[2], "ON kpp.*") || !strings.Contains(stmts[3], `'it\'s a \\ long password'`) {
		t.Errorf("statements:\n%s", strings.Join(stmts, "\n"))
	}
}
