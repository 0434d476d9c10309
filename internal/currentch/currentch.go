// Package currentch runs kpp's SQL on current ClickHouse, so that tests can
// check it answers there exactly as on ClickHouse 18.16 (the server the
// other tests start). Current ClickHouse is chDB, the ClickHouse engine
// in-process, from npm: its version is pinned in .ci/chdb/package.json and
// package-lock.json, and .ci/chdb/run.js runs a request in a fresh session
// under node.
//
// Install it once with `make chdb` (npm install --prefix .ci/chdb). A test calls
// [Require]: without node or the install it is skipped — except under
// CI=true, where it fails.
//
// The data a test wrote to 18.16 is copied with [Dump] (over 18.16's HTTP
// interface, as TabSeparated text), the same queries are answered by both
// engines as text ([Query18], [Engine.Run]) and compared with [Diff].
package currentch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// Engine is an installed chDB and the runner script beside it.
type Engine struct {
	dir  string // .ci/chdb
	node string
}

// ErrNotInstalled is returned by [Find] when node or the chDB install is missing.
var ErrNotInstalled = errors.New("current ClickHouse (chDB) is not installed: run `make chdb` (npm install --prefix .ci/chdb; needs node ≥ 18 and npm)")

// Find locates .ci/chdb from the working directory upwards (a test runs
// in its package's folder), or at $KPP_CHDB_DIR, and checks that node and
// the chdb module are there.
func Find() (*Engine, error) {
	dir := os.Getenv("KPP_CHDB_DIR")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, ".ci", "chdb", "run.js")); err == nil {
				dir = filepath.Join(d, ".ci", "chdb")
				break
			}
			if filepath.Dir(d) == d {
				return nil, fmt.Errorf("%w: no .ci/chdb/run.js above %s", ErrNotInstalled, wd)
			}
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: node: %w", ErrNotInstalled, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "chdb", "package.json")); err != nil {
		return nil, fmt.Errorf("%w: %s has no node_modules/chdb", ErrNotInstalled, dir)
	}
	return &Engine{dir: dir, node: node}, nil
}

// Require returns the engine, or skips the test when it is not installed
// — under CI=true it fails instead.
func Require(tb testing.TB) *Engine {
	tb.Helper()
	e, err := Find()
	if err == nil {
		return e
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("current ClickHouse is required under CI=true: %v", err)
	}
	tb.Skipf("skipping the check on current ClickHouse: %v", err)
	return nil
}

// Step is a statement the engine runs before the queries; When, if not
// empty, is a query whose number decides whether it runs (0: skipped), as
// a migration's "-- kpp:when" line.
type Step struct {
	SQL  string `json:"sql"`
	When string `json:"when,omitempty"`
}

// Query is a query to answer.
type Query struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

// Result is a query's answer as text: column names and types, and rows of
// TabSeparated fields (escaped as ClickHouse writes them). Err is the
// server's error, when the query failed.
type Result struct {
	Name    string
	Columns []string
	Types   []string
	Rows    [][]string
	Err     string
}

// Answer is what the engine ran and answered.
type Answer struct {
	Version string   // e.g. 26.7.2.1
	Steps   int      // steps run (not skipped)
	Results []Result // one per query, in order
}

// Migrations returns the steps of every migration of schema/migrations, in
// order, each with its "-- kpp:when" condition.
func Migrations() ([]Step, error) {
	ms, err := schema.Migrations()
	if err != nil {
		return nil, err
	}
	var out []Step
	for _, m := range ms {
		for _, s := range m.Steps() {
			out = append(out, Step{SQL: s.SQL, When: s.When})
		}
	}
	return out, nil
}

// Run runs steps then queries in one fresh session, in database db, with
// the session's time zone Asia/Shanghai (as kpp's servers). A failed step
// is an error; a failed query is a Result with Err.
func (e *Engine) Run(ctx context.Context, db string, steps []Step, queries []Query) (*Answer, error) {
	req, err := json.Marshal(map[string]any{"database": db, "timezone": schema.Location().String(), "steps": steps, "queries": queries})
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, e.node, filepath.Join(e.dir, "run.js"), "--json")
	cmd.Stdin = bytes.NewReader(req)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var resp struct {
		Version   string `json:"version"`
		Steps     int    `json:"steps"`
		Error     string `json:"error"`
		FailedSQL string `json:"failed_sql"`
		Results   []struct {
			Name  string `json:"name"`
			TSV   string `json:"tsv"`
			Error string `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("chDB runner (%s): %v; %s", filepath.Join(e.dir, "run.js"), runErr, strings.TrimSpace(stderr.String()))
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("on ClickHouse %s (chDB), %s\n%s", resp.Version, resp.Error, resp.FailedSQL)
	}
	if runErr != nil {
		return nil, fmt.Errorf("chDB runner: %w; %s", runErr, strings.TrimSpace(stderr.String()))
	}
	a := &Answer{Version: resp.Version, Steps: resp.Steps}
	for _, r := range resp.Results {
		res := Result{Name: r.Name, Err: r.Error}
		if r.Error == "" {
			if res, err = parseTSV(r.Name, r.TSV); err != nil {
				return nil, err
			}
		}
		a.Results = append(a.Results, res)
	}
	return a, nil
}

// parseTSV reads TabSeparatedWithNamesAndTypes text.
func parseTSV(name, text string) (Result, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 2 {
		return Result{}, fmt.Errorf("query %s: answer without names and types: %q", name, text)
	}
	r := Result{Name: name, Columns: strings.Split(lines[0], "\t"), Types: strings.Split(lines[1], "\t")}
	for _, l := range lines[2:] {
		r.Rows = append(r.Rows, strings.Split(l, "\t"))
	}
	return r, nil
}

// Query18 answers sql on the server at httpAddr (host:port of its HTTP
// interface) as user, in database db, as TabSeparatedWithNamesAndTypes. A
// query the server refuses is a Result with Err.
func Query18(ctx context.Context, httpAddr, user, db, name, sql string) (Result, error) {
	body, status, err := post(ctx, httpAddr, user, db, sql+"\nFORMAT TabSeparatedWithNamesAndTypes")
	if err != nil {
		return Result{}, err
	}
	if status != http.StatusOK {
		return Result{Name: name, Err: strings.TrimSpace(body)}, nil
	}
	return parseTSV(name, body)
}

func post(ctx context.Context, httpAddr, user, db, sql string) (string, int, error) {
	u := url.URL{Scheme: "http", Host: httpAddr, Path: "/", RawQuery: url.Values{"user": {user}, "database": {db}}.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(sql))
	if err != nil {
		return "", 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("ClickHouse HTTP at %s: %w", httpAddr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", 0, fmt.Errorf("ClickHouse HTTP at %s: %w", httpAddr, err)
	}
	return string(b), resp.StatusCode, nil
}

// Select18 returns the answer of sql on the server at httpAddr, in
// database db as user "default", as TabSeparated text.
func Select18(ctx context.Context, httpAddr, db, sql string) (string, error) {
	data, status, err := post(ctx, httpAddr, "default", db, sql+"\nFORMAT TabSeparated")
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("on %s, database %s: %s\n%s", httpAddr, db, strings.TrimSpace(data), sql)
	}
	return data, nil
}

// Dump returns the rows of every table of database db on the server at
// httpAddr (views, schema_migrations and the tables named in skip left
// out) as steps that insert them into the same tables elsewhere, read as
// user "default".
func Dump(ctx context.Context, httpAddr, db string, skip ...string) ([]Step, error) {
	list, status, err := post(ctx, httpAddr, "default", db, `SELECT table, groupArray(name)
FROM system.columns
WHERE database = currentDatabase() AND default_kind IN ('', 'DEFAULT')
  AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'schema_migrations')
GROUP BY table ORDER BY table FORMAT TabSeparated`)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("list the tables of %s: %s", db, list)
	}
	var out []Step
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		table, arr, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		var cols []string
		if err := json.Unmarshal([]byte(strings.ReplaceAll(arr, "'", `"`)), &cols); err != nil {
			return nil, fmt.Errorf("columns of %s: %q: %w", table, arr, err)
		}
		if slices.Contains(skip, table) {
			continue
		}
		colList := strings.Join(cols, ", ")
		data, err := Select18(ctx, httpAddr, db, "SELECT "+colList+" FROM "+table)
		if err != nil {
			return nil, fmt.Errorf("dump %s: %w", table, err)
		}
		if data == "" {
			continue
		}
		out = append(out, Step{SQL: "INSERT INTO " + table + " (" + colList + ") FORMAT TabSeparated\n" + data})
	}
	return out, nil
}

// Diff returns "" when two answers are the same: the same columns, the
// same number of rows, and in each row the same fields — numbers compare
// by value (18.16 writes 2.50 where a current release may write 2.5),
// the zero DateTime and Date (18.16 writes 0000-00-00 00:00:00, current
// releases the epoch in Asia/Shanghai) are the same value; everything else
// compares as text. Otherwise it says where they first differ.
func Diff(old, cur Result) string {
	if old.Err != "" || cur.Err != "" {
		return fmt.Sprintf("errors: 18.16: %q; current: %q", old.Err, cur.Err)
	}
	if strings.Join(old.Columns, ",") != strings.Join(cur.Columns, ",") {
		return fmt.Sprintf("columns differ:\n  18.16:   %s\n  current: %s", strings.Join(old.Columns, ", "), strings.Join(cur.Columns, ", "))
	}
	if len(old.Rows) != len(cur.Rows) {
		return fmt.Sprintf("18.16 answers %d rows, current ClickHouse %d:\n  18.16:   %s\n  current: %s",
			len(old.Rows), len(cur.Rows), rowsText(old.Rows), rowsText(cur.Rows))
	}
	for i := range old.Rows {
		for j := range old.Rows[i] {
			if j >= len(cur.Rows[i]) || !sameField(old.Rows[i][j], cur.Rows[i][j]) {
				return fmt.Sprintf("row %d differs:\n  18.16:   %s\n  current: %s", i+1, strings.Join(old.Rows[i], " | "), strings.Join(cur.Rows[i], " | "))
			}
		}
	}
	return ""
}

func rowsText(rows [][]string) string {
	var b strings.Builder
	for i, r := range rows {
		if i == 8 {
			fmt.Fprintf(&b, " … (%d rows)", len(rows))
			break
		}
		b.WriteString("[" + strings.Join(r, " | ") + "] ")
	}
	return b.String()
}

func sameField(a, b string) bool {
	if a == b || zeroTime(a) && zeroTime(b) {
		return true
	}
	x, errX := decimal.NewFromString(a)
	y, errY := decimal.NewFromString(b)
	return errX == nil && errY == nil && x.Equal(y)
}

// zeroTime reports whether a field is the zero DateTime or Date as either
// engine writes it in Asia/Shanghai.
func zeroTime(s string) bool {
	switch s {
	case "0000-00-00 00:00:00", "0000-00-00", "1970-01-01 08:00:00", "1970-01-01":
		return true
	}
	return false
}
