package schema

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered SQL file of the ClickHouse schema.
type Migration struct {
	// Version is the number the file name starts with.
	Version int
	// Name is the file name, e.g. "0001_updates.sql".
	Name string
	// SQL is the file's text.
	SQL string
}

// Checksum is the hex SHA-256 of the file, recorded when it is applied.
func (m Migration) Checksum() string {
	sum := sha256.Sum256([]byte(m.SQL))
	return hex.EncodeToString(sum[:])
}

// Statements splits the file into statements: a statement ends with a
// semicolon at the end of a line; comment lines ("--") are dropped.
func (m Migration) Statements() []string { return SplitStatements(m.SQL) }

// Step is one statement of a migration and the condition it runs under.
type Step struct {
	// SQL is the statement.
	SQL string
	// When, if not empty, is a query returning one number: the statement
	// runs only when it is not 0. It comes from a comment line
	// "-- kpp:when <query>" just before the statement, and lets a
	// migration that rebuilds a table be run again after it stopped
	// half-way.
	When string
}

// whenPrefix starts a comment line that sets the condition of the next
// statement.
const whenPrefix = "-- kpp:when "

// Steps splits the file into statements like [Migration.Statements], each
// with the condition set by a "-- kpp:when" line before it.
func (m Migration) Steps() []Step {
	var out []Step
	var cur strings.Builder
	var when string
	for _, line := range strings.Split(m.SQL, "\n") {
		t := strings.TrimSpace(line)
		if q, ok := strings.CutPrefix(t, whenPrefix); ok && cur.Len() == 0 {
			when = strings.TrimSpace(q)
			continue
		}
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, Step{SQL: strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"), When: when})
			cur.Reset()
			when = ""
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, Step{SQL: s, When: when})
	}
	return out
}

// SplitStatements splits SQL text on semicolons at line ends and drops
// "--" comment lines and blank statements.
func SplitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, stmt)
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q: expected NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}
