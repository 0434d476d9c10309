package chstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AnalystLimits bound the analyst account: the same defaults as the
// users.xml that internal/chserver writes for ClickHouse 18.16.
type AnalystLimits struct {
	// MaxExecutionTime stops a query after this long; default 60s.
	MaxExecutionTime time.Duration
	// MaxMemoryUsage stops a query that needs more memory, bytes; default 2 GiB.
	MaxMemoryUsage int64
	// MaxResultRows refuses a result of more rows; default 1,000,000.
	MaxResultRows int64
}

// ErrNoSQLUsers is returned by [Store.CreateAnalyst] on a server without
// SQL access control (ClickHouse before 20.4, e.g. 18.16).
var ErrNoSQLUsers = errors.New("this ClickHouse has no SQL users and roles (18.16: the analyst user is defined in users.xml; kpp demo writes it, see docs/analysts.md)")

// AnalystStatements returns the SQL that creates, or replaces, the bounded
// analyst account on current ClickHouse (SQL access control): a settings
// profile kpp_analyst (readonly = 1 and the limits), a role kpp_analyst
// with SELECT on database only, and a user analyst with that role and
// profile, identified by password (SHA-256).
func AnalystStatements(database, password string, l AnalystLimits) ([]string, error) {
	if !dbName.MatchString(database) {
		return nil, fmt.Errorf("analyst account: database %q is not a plain identifier", database)
	}
	if len(password) < 12 {
		return nil, fmt.Errorf("analyst account: the password has %d characters; expected at least 12", len(password))
	}
	if l.MaxExecutionTime <= 0 {
		l.MaxExecutionTime = 60 * time.Second
	}
	if l.MaxMemoryUsage <= 0 {
		l.MaxMemoryUsage = 2 << 30
	}
	if l.MaxResultRows <= 0 {
		l.MaxResultRows = 1_000_000
	}
	secs := max(1, int64(l.MaxExecutionTime/time.Second))
	return []string{
		fmt.Sprintf("CREATE SETTINGS PROFILE OR REPLACE kpp_analyst SETTINGS readonly = 1, max_execution_time = %d, max_memory_usage = %d, max_result_rows = %d, result_overflow_mode = 'throw'",
			secs, l.MaxMemoryUsage, l.MaxResultRows),
		"CREATE ROLE OR REPLACE kpp_analyst SETTINGS PROFILE 'kpp_analyst'",
		fmt.Sprintf("GRANT SELECT, SHOW TABLES, SHOW COLUMNS ON %s.* TO kpp_analyst", database),
		fmt.Sprintf("CREATE USER OR REPLACE analyst IDENTIFIED WITH sha256_password BY %s DEFAULT DATABASE %s SETTINGS PROFILE 'kpp_analyst'",
			quote(password), database),
		"GRANT kpp_analyst TO analyst",
		"SET DEFAULT ROLE kpp_analyst TO analyst",
	}, nil
}

// quote is a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// CreateAnalyst creates, or replaces, the analyst account of the store's
// database on current ClickHouse ([AnalystStatements]); the store's user
// needs access management. On a server without SQL users it returns an
// error wrapping [ErrNoSQLUsers].
func (s *Store) CreateAnalyst(ctx context.Context, password string, l AnalystLimits) error {
	stmts, err := AnalystStatements(s.database, password, l)
	if err != nil {
		return err
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = 'system' AND name = 'roles'").Scan(&n); err != nil {
		return fmt.Errorf("analyst account: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("analyst account on ClickHouse %s: %w", s.version, ErrNoSQLUsers)
	}
	for i, q := range stmts {
		if err := s.conn.Exec(ctx, q); err != nil {
			shown := q
			if strings.HasPrefix(q, "CREATE USER") {
				shown = "CREATE USER OR REPLACE analyst …"
			}
			return fmt.Errorf("analyst account, statement %d (%s): %w; the user of --clickhouse needs access management (access_management = 1, or CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT=1 in the docker image)", i+1, shown, err)
		}
	}
	return nil
}
