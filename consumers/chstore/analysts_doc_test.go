package chstore_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// analystsDoc is the page whose SQL examples this test runs.
const analystsDoc = "../../docs/analysts.md"

var (
	sqlBlock  = regexp.MustCompile("(?s)```sql\n(.*?)```")
	queryName = regexp.MustCompile(`(?m)^-- name: ([a-z0-9-]+)\s*$`)
	// reviewTable finds a review table read directly: its rows are those of
	// every run, the board only those of the current run.
	reviewTable = regexp.MustCompile(`\bdispatch_(projects|totals|milestones|reporting)\b`)
)

// docQuery is one ```sql block of the page.
type docQuery struct {
	name string
	line int // where the block starts in the page
	sql  string
}

func docQueries(t *testing.T) []docQuery {
	t.Helper()
	raw, err := os.ReadFile(analystsDoc)
	if err != nil {
		t.Fatalf("read %s: %v", analystsDoc, err)
	}
	text := string(raw)
	var out []docQuery
	seen := map[string]int{}
	for _, m := range sqlBlock.FindAllStringSubmatchIndex(text, -1) {
		block := text[m[2]:m[3]]
		line := strings.Count(text[:m[0]], "\n") + 1
		n := queryName.FindStringSubmatch(block)
		if n == nil {
			t.Errorf("%s:%d: sql block has no \"-- name: …\" line; the test needs one to report on it", analystsDoc, line)
			continue
		}
		if prev, dup := seen[n[1]]; dup {
			t.Errorf("%s:%d: query name %q is also used at line %d", analystsDoc, line, n[1], prev)
		}
		seen[n[1]] = line
		stmts := schema.SplitStatements(block)
		if len(stmts) != 1 {
			t.Errorf("%s:%d (%s): %d statements, want exactly one per block", analystsDoc, line, n[1], len(stmts))
			continue
		}
		if !strings.Contains(stmts[0], "ORDER BY") {
			t.Errorf("%s:%d (%s): no ORDER BY; the order of the rows must be explicit, the same on every ClickHouse version", analystsDoc, line, n[1])
		}
		if reviewTable.MatchString(stmts[0]) && !strings.Contains(stmts[0], "review_current") {
			t.Errorf("%s:%d (%s): reads a review table without review_current; filter on run_id IN (SELECT run_id FROM review_current), or read the review_* views", analystsDoc, line, n[1])
		}
		out = append(out, docQuery{name: n[1], line: line, sql: stmts[0]})
	}
	if len(out) < 8 {
		t.Fatalf("%s has %d sql examples, want at least 8", analystsDoc, len(out))
	}
	return out
}

// TestAnalystsDocQueriesRun runs every example of docs/analysts.md, as the
// read-only analyst user, on a migrated database with a few rows of every
// table, and checks the answers of most of them.
func TestAnalystsDocQueriesRun(t *testing.T) {
	queries := docQueries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dsn := testenv.ClickHouseDSN(t)
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	insertFixtures(ctx, t, st.Conn())

	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	opts.Auth.Username = "analyst"
	opts.Auth.Database = st.Database()
	analyst, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer analyst.Close()
	if err := analyst.Exec(ctx, "CREATE TABLE not_allowed (x UInt8) ENGINE = Memory"); err == nil {
		t.Error("the analyst user created a table; it should be read-only")
	}

	results := map[string][]map[string]string{}
	for _, q := range queries {
		rows, err := runQuery(ctx, analyst, q.sql)
		if err != nil {
			t.Errorf("%s:%d: query %s failed on ClickHouse %s: %v\n%s", analystsDoc, q.line, q.name, st.ServerVersion(), err, q.sql)
			continue
		}
		results[q.name] = rows
	}

	check := func(name string, fn func(rows []map[string]string) error) {
		t.Helper()
		rows, ok := results[name]
		if !ok {
			t.Errorf("query %s: not in %s or it failed", name, analystsDoc)
			return
		}
		if len(rows) == 0 {
			t.Errorf("query %s: no rows; the fixture should give some", name)
			return
		}
		if err := fn(rows); err != nil {
			t.Errorf("query %s: %v\nrows: %v", name, err, rows)
		}
	}
	check("final-vs-latest", func(rows []map[string]string) error {
		// June: revision 1 (19021.81) and its correction (16120.18) are both
		// stored; only the correction counts.
		got := map[string]string{}
		for _, r := range rows {
			got[r["counted"]] = r["june_wan"]
		}
		return all(
			eq(len(rows), 2),
			eqDec(got["every stored row (wrong)"], "35141.99"),
			eqDec(got["latest revisions (right)"], "16120.18"))
	})
	check("month-latest", func(rows []map[string]string) error {
		// The September report of the pumped-storage plant was stored twice
		// (a redelivery): it is one row. mengyang-rural-road did not report.
		return all(
			column(rows, "project_id", "qingyuan-pumped-storage", "lishui-airport", "yilongqing-expressway-qingyuan"),
			eqDec(rows[0]["ytd_completed_wan"], "114981.1"),
			eq(rows[0]["name_zh"], "庆元抽水蓄能电站（抽蓄项目）"),
			eq(rows[0]["category_zh"], "能源"),
			eqDec(rows[0]["completion_pct"], "77.41"),
			eq(rows[1]["department_name"], "丽水市交通运输局"))
	})
	check("red-list", func(rows []map[string]string) error {
		return all(column(rows, "project_id", "lishui-airport"), eq(rows[0]["max_overdue_days"], "92"))
	})
	check("board-labels", func(rows []map[string]string) error {
		return all(column(rows, "project_id", "lishui-airport", "mengyang-rural-road", "qingyuan-pumped-storage", "yilongqing-expressway-qingyuan"),
			column(rows, "status_zh", "红", "黄", "绿", "未评级"), column(rows, "category_zh", "交通", "交通", "能源", "交通"),
			column(rows, "stage_zh", "在建", "在建", "在建", "前期"), column(rows, "change_zh", "持平", "退步", "首次", "首次"),
			column(rows, "prev_status_zh", "红", "绿", "无", "无"))
	})
	check("labels", func(rows []map[string]string) error {
		return all(column(rows, "code", "transport", "energy", "water", "industry", "public", "urban", "environment",
			"red", "yellow", "green", "unrated", "none"), eq(rows[0]["label_zh"], "交通"), eq(rows[7]["label_zh"], "红"))
	})
	check("column-dictionary", func(rows []map[string]string) error {
		return all(eq(len(rows), 25), eq(rows[0]["column_name"], "annual_plan_wan"), eq(rows[0]["unit"], "万元"))
	})
	check("q01-red-three-months", func(rows []map[string]string) error {
		return all(column(rows, "project_id", "lishui-airport"), eq(rows[0]["red_months"], "3"))
	})
	check("q02-late-departments", func(rows []map[string]string) error {
		return all(column(rows, "department_id", "qy-jtj", "ls-jtj", "qy-nyj"), column(rows, "missing", "2", "0", "0"),
			column(rows, "late", "0", "1", "0"))
	})
	check("q03-slips-by-category", func(rows []map[string]string) error {
		return all(column(rows, "category", "transport"), column(rows, "category_zh", "交通"), column(rows, "slip_days", "58"))
	})
	check("q04-year-end-forecast", func(rows []map[string]string) error {
		// 114981.1 × 12 ÷ 9 = 153308.1333 against 148540; 34352 × 12 ÷ 9 against 40000.
		return all(column(rows, "project_id", "qingyuan-pumped-storage", "lishui-airport"),
			column(rows, "forecast_pct", "103.21", "114.51"), eqDec(rows[0]["forecast_wan"], "153308.1333"))
	})
	check("q05-completion-by-region", func(rows []map[string]string) error {
		return all(column(rows, "region", "丽水市", "丽水市庆元县"), column(rows, "completion_pct", "85.88", "77.32"))
	})
	check("q06-worse-since-last", func(rows []map[string]string) error {
		return all(column(rows, "project_id", "mengyang-rural-road"), column(rows, "prev_status_zh", "绿"), column(rows, "status_zh", "黄"))
	})
	check("q07-furthest-behind", func(rows []map[string]string) error {
		return column(rows, "project_id", "mengyang-rural-road", "qingyuan-pumped-storage", "lishui-airport")
	})
	check("q08-portfolio-by-month", func(rows []map[string]string) error {
		return all(column(rows, "period", "2025-06", "2025-08", "2025-09"), column(rows, "month_completed_yi", "1.6120", "1.2687", "2.0706"))
	})
	check("q09-overdue-by-department", func(rows []map[string]string) error {
		return all(column(rows, "department_id", "ls-jtj"), column(rows, "most_days_overdue", "104"))
	})
	check("q10-missing-twice", func(rows []map[string]string) error {
		return all(column(rows, "department_id", "qy-jtj"), column(rows, "reviews_with_missing", "2"))
	})
	check("board-totals", func(rows []map[string]string) error {
		return all(eq(rows[0]["dimension"], "all"), eq(rows[0]["red"], "1"), eq(rows[0]["unrated"], "1"), eq(len(rows), 4))
	})
	check("review-changes", func(rows []map[string]string) error {
		return all(column(rows, "project_id", "mengyang-rural-road"), eq(rows[0]["prev_status"], "yellow"), eq(rows[0]["change"], "newly_red"))
	})
	check("department-ranking", func(rows []map[string]string) error {
		return all(column(rows, "department_id", "ls-jtj", "qy-nyj", "qy-jtj"), column(rows, "rank", "1", "2", "3"), column(rows, "missing", "0", "0", "1"))
	})
	check("reporting-by-department", func(rows []map[string]string) error {
		return all(column(rows, "department_id", "qy-jtj", "ls-jtj"), column(rows, "missing", "1", "0"), column(rows, "late", "0", "1"),
			column(rows, "max_days_late", "15", "3"))
	})
	check("milestone-alerts", func(rows []map[string]string) error {
		return all(column(rows, "alert", "due", "overdue", "slipped"), column(rows, "days", "8", "104", "58"),
			eq(rows[2]["prev_forecast_date"][:10], "2025-10-31"))
	})
	check("rollup-runs", func(rows []map[string]string) error {
		return all(column(rows, "status", "ok", "failed", "ok"), column(rows, "trigger", "catchup", "schedule", "schedule"))
	})
	check("revision-history", func(rows []map[string]string) error {
		return all(
			column(rows, "period", "2025-06", "2025-06", "2025-08", "2025-09"),
			column(rows, "revision", "1", "2", "1", "1"),
			eq(rows[1]["correction_reason"], "6月本月完成误将下月到货的机组设备预付款2901.63万元计入，核减后更正"))
	})
	check("late-revisions", func(rows []map[string]string) error {
		return all(column(rows, "department_id", "qy-nyj"), column(rows, "period", "2025-06"), eq(rows[0]["late_revisions"], "1"))
	})
	check("late-reports", func(rows []map[string]string) error {
		return all(column(rows, "project_id", "lishui-airport"), column(rows, "deadline", "2025-10-06 00:00:00"))
	})
	check("missing-reports", func(rows []map[string]string) error {
		return column(rows, "project_id", "mengyang-rural-road")
	})
	check("completion-by-department", func(rows []map[string]string) error {
		// mengyang-rural-road missed September: its August ytd counts.
		// lishui-airport's plan is the one of its second registration.
		return all(
			column(rows, "department_id", "qy-jtj", "qy-nyj", "ls-jtj"),
			column(rows, "completion_pct", "72.85", "77.41", "85.88"),
			eqDec(rows[2]["plan_total_wan"], "40000"))
	})
	check("project-trend", func(rows []map[string]string) error {
		return all(
			column(rows, "period", "2025-06", "2025-08", "2025-09"),
			column(rows, "revision", "2", "1", "1"),
			// 序时进度 rounds as the board does: 8/12 is 66.67, not 66.66.
			column(rows, "time_progress_pct", "50", "66.67", "75"),
			column(rows, "completion_pct", "48.68", "66.27", "77.41"),
			column(rows, "gap_pp", "-1.32", "-0.40", "2.41"))
	})
	check("overdue-milestones", func(rows []map[string]string) error {
		return all(
			column(rows, "project_id", "lishui-airport", "mengyang-rural-road"),
			column(rows, "days_overdue", "92", "30"))
	})
	check("rejected-by-rule", func(rows []map[string]string) error {
		return all(column(rows, "rule", "unknown_project", "period"), column(rows, "rejected", "2", "1"), column(rows, "departments", "2", "1"))
	})
	check("ytd-by-category", func(rows []map[string]string) error {
		// mengyang-rural-road missed September: the board counts it with
		// its August year-to-date, and so does the query.
		return all(column(rows, "category", "energy", "transport"), column(rows, "category_zh", "能源", "交通"),
			column(rows, "projects", "1", "3"), column(rows, "ytd_completed_yi", "11.4981", "3.6877"))
	})
	check("synthetic-fields", func(rows []map[string]string) error {
		return column(rows, "project_id", "lishui-airport", "qingyuan-pumped-storage")
	})
}

// runQuery runs one query and returns its rows as text by column name.
func runQuery(ctx context.Context, conn driver.Conn, sql string) ([]map[string]string, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := rows.ColumnTypes()
	var out []map[string]string
	for rows.Next() {
		vals := make([]any, len(cols))
		for i, c := range cols {
			vals[i] = reflect.New(c.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c.Name()] = text(vals[i])
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// text renders a scanned value: decimals and numbers plainly, times in
// Asia/Shanghai, NULL for nil.
func text(v any) string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "NULL"
		}
		rv = rv.Elem()
	}
	switch x := rv.Interface().(type) {
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Location() == time.UTC {
			return x.Format(schema.DateLayout)
		}
		return x.In(schema.Location()).Format(time.DateTime)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(rv.Interface())
}

func all(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func eq[T comparable](got, want T) error {
	if got != want {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	return nil
}

func eqDec(got, want string) error {
	g, err := decimal.NewFromString(got)
	if err != nil {
		return fmt.Errorf("got %q, want the number %s", got, want)
	}
	if !g.Equal(decimal.RequireFromString(want)) {
		return fmt.Errorf("got %s, want %s", got, want)
	}
	return nil
}

// column checks a column's values, in row order; decimals compare by value.
func column(rows []map[string]string, name string, want ...string) error {
	var got []string
	for _, r := range rows {
		got = append(got, r[name])
	}
	if len(got) != len(want) {
		return fmt.Errorf("column %s is %q, want %q", name, got, want)
	}
	for i := range want {
		if got[i] == want[i] || eqDec(got[i], want[i]) == nil {
			continue
		}
		return fmt.Errorf("column %s is %q, want %q", name, got, want)
	}
	return nil
}

// The fixture: four projects (one registered twice), reports with a
// correction received after the deadline, a redelivered copy, a late first
// report and a missing month, milestones with one overdue by 92 days and one
// never assessed, three rejected updates, the monthly review of 2025-09 and
// part of the weekly review 2025-W41, and three rollup runs.
func insertFixtures(ctx context.Context, t *testing.T, conn driver.Conn) {
	t.Helper()
	sh := schema.Location()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation(time.DateTime, s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	date := func(s string) time.Time {
		v, err := schema.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	d := decimal.RequireFromString
	dp := func(s string) *decimal.Decimal { v := d(s); return &v }
	tp := func(v time.Time) *time.Time { return &v }
	seq := uint64(0)
	next := func() (uint64, uint64) { seq++; return seq, math.MaxUint64 - seq }
	now := at("2025-10-20 12:00:00")

	type reg struct {
		id, name, region, category, stage, dept, deptName string
		rev                                               uint32
		total                                             *decimal.Decimal
		plan                                              string // 2025 plan, "" for none
		msIDs, msTitles                                   []string
		msPlanned                                         []time.Time
		synthetic                                         []string
	}
	regs := []reg{
		{"qingyuan-pumped-storage", "庆元抽水蓄能电站（抽蓄项目）", "丽水市庆元县", "energy", "construction", "qy-nyj", "庆元县能源局", 1, dp("799900"), "148540",
			[]string{"ventilation-and-safety-tunnel-breakthrough", "main-works"}, []string{"通风兼安全洞贯通", "抽蓄主体工程"},
			[]time.Time{date("2024-08-31"), date("2025-12-31")}, []string{"total_investment_wan", "annual_plans[year=2025]"}},
		{"lishui-airport", "丽水机场", "丽水市", "transport", "construction", "ls-jtj", "丽水市交通运输局", 1, dp("260000"), "45000",
			[]string{"opened-to-flights"}, []string{"通航"}, []time.Time{date("2025-06-30")}, []string{"total_investment_wan"}},
		{"lishui-airport", "丽水机场", "丽水市", "transport", "construction", "ls-jtj", "丽水市交通运输局", 2, dp("260000"), "40000",
			[]string{"opened-to-flights"}, []string{"通航"}, []time.Time{date("2025-06-30")}, []string{"total_investment_wan"}},
		{"mengyang-rural-road", "濛杨线农村公路改造提升工程", "丽水市庆元县", "transport", "construction", "qy-jtj", "庆元县交通运输局", 1, dp("20000"), "3000",
			[]string{"subgrade"}, []string{"路基完成"}, []time.Time{date("2025-08-31")}, nil},
		{"yilongqing-expressway-qingyuan", "义龙庆高速公路庆元段", "丽水市庆元县", "transport", "preparation", "qy-jtj", "庆元县交通运输局", 1, nil, "",
			nil, nil, nil, nil},
	}
	var regRows [][]any
	for _, r := range regs {
		years, annual, monthly := []uint16{}, []decimal.Decimal{}, [][]decimal.Decimal{}
		if r.plan != "" {
			years, annual, monthly = []uint16{2025}, []decimal.Decimal{d(r.plan)}, [][]decimal.Decimal{{}}
		}
		s, k := next()
		regRows = append(regRows, []any{fmt.Sprintf("p-%s-%d", r.id, r.rev), r.id, r.rev, r.name, "", r.region, r.category, r.stage, r.dept, r.deptName,
			r.total, years, annual, monthly, nonNil(r.msIDs), nonNil(r.msTitles), nonNilT(r.msPlanned), nonNil(r.synthetic),
			"kpp demo", "demo", at("2025-01-02 09:00:00"), s, k, now})
	}
	insert(ctx, t, conn, "project_registrations", []string{"event_id", "project_id", "revision", "name_zh", "name_en", "region", "category", "stage",
		"department_id", "department_name", "total_investment_wan", "plan_years", "plan_annual_wan", "plan_monthly_wan",
		"milestone_ids", "milestone_titles", "milestone_planned", "synthetic_fields", "reported_by", "source", "received_at",
		"stream_seq", "keep_rank", "ingested_at"}, regRows)

	invCols := []string{"event_id", "project_id", "department_id", "period", "period_start", "revision", "month_completed_wan",
		"ytd_completed_wan", "since_start_completed_wan", "physical_progress", "problems", "next_steps", "correction_reason",
		"reported_by", "reported_at", "source", "received_at", "stream_seq", "keep_rank", "ingested_at"}
	type rep struct {
		project, dept, period string
		rev                   uint32
		month, ytd            string
		reason, received      string
	}
	reps := []rep{
		{"qingyuan-pumped-storage", "qy-nyj", "2025-06", 1, "19021.81", "75212.6", "", "2025-07-05 09:30:00"},
		{"qingyuan-pumped-storage", "qy-nyj", "2025-06", 2, "16120.18", "72310.97", "6月本月完成误将下月到货的机组设备预付款2901.63万元计入，核减后更正", "2025-07-15 16:30:00"},
		{"qingyuan-pumped-storage", "qy-nyj", "2025-08", 1, "12426.96", "98432.95", "", "2025-09-02 15:36:00"},
		{"qingyuan-pumped-storage", "qy-nyj", "2025-09", 1, "16548.15", "114981.1", "", "2025-10-03 11:02:00"},
		{"lishui-airport", "ls-jtj", "2025-09", 1, "4100", "34352", "", "2025-10-08 10:00:00"},
		{"mengyang-rural-road", "qy-jtj", "2025-08", 1, "260.5", "2185.5", "", "2025-09-03 10:00:00"},
		{"yilongqing-expressway-qingyuan", "qy-jtj", "2025-09", 1, "58.61", "340.23", "", "2025-10-02 10:00:00"},
	}
	var invRows [][]any
	for _, r := range reps {
		p, err := schema.ParsePeriod(r.period)
		if err != nil {
			t.Fatal(err)
		}
		s, k := next()
		invRows = append(invRows, []any{fmt.Sprintf("i-%s-%s-%d", r.project, r.period, r.rev), r.project, r.dept, r.period,
			time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, time.UTC), r.rev, d(r.month), d(r.ytd), dp("300000"), "主体工程施工", "", "按计划推进", r.reason,
			r.dept + "项目科", tp(at(r.received)), "demo", at(r.received), s, k, now})
	}
	insert(ctx, t, conn, "investment_reports", invCols, invRows)
	// A redelivered copy of the September report, stored later under
	// another stream sequence: FINAL and the views show it once.
	dup := append([]any(nil), invRows[3]...)
	s, k := next()
	dup[17], dup[18] = s, k
	insert(ctx, t, conn, "investment_reports", invCols, [][]any{dup})

	msCols := []string{"event_id", "project_id", "department_id", "milestone_id", "revision", "title", "status", "planned_date",
		"forecast_date", "actual_date", "as_of", "percent_complete", "note", "reported_by", "source", "received_at",
		"stream_seq", "keep_rank", "ingested_at"}
	type ms struct {
		project, dept, id, title string
		rev                      uint32
		status, planned          string
		forecast, actual         *time.Time
		asOf                     string
	}
	mss := []ms{
		{"qingyuan-pumped-storage", "qy-nyj", "ventilation-and-safety-tunnel-breakthrough", "通风兼安全洞贯通", 1, "met", "2024-08-31", nil, tp(date("2024-08-25")), "2024-08-25"},
		{"qingyuan-pumped-storage", "qy-nyj", "main-works", "抽蓄主体工程", 1, "in_progress", "2025-12-31", tp(date("2025-12-31")), nil, "2025-09-30"},
		{"lishui-airport", "ls-jtj", "opened-to-flights", "通航", 1, "in_progress", "2025-06-30", tp(date("2025-10-31")), nil, "2025-06-30"},
		{"lishui-airport", "ls-jtj", "opened-to-flights", "通航", 2, "in_progress", "2025-06-30", tp(date("2025-12-28")), nil, "2025-09-30"},
		// Reached after the date the example asks about: not counted as met then.
		{"lishui-airport", "ls-jtj", "opened-to-flights", "通航", 3, "met", "2025-06-30", nil, tp(date("2025-12-26")), "2025-12-26"},
	}
	var msRows [][]any
	for _, m := range mss {
		s, k := next()
		msRows = append(msRows, []any{fmt.Sprintf("m-%s-%s-%d", m.project, m.id, m.rev), m.project, m.dept, m.id, m.rev, m.title, m.status,
			tp(date(m.planned)), m.forecast, m.actual, date(m.asOf), dp("50"), "", m.dept + "项目科", "demo",
			date(m.asOf).Add(17 * time.Hour), s, k, now})
	}
	insert(ctx, t, conn, "milestone_updates", msCols, msRows)

	var rejRows [][]any
	for i, r := range []struct{ dept, project, rule string }{
		{"qy-jtj", "qingyuan-cableway", "unknown_project"},
		{"ls-jtj", "lishui-cableway", "unknown_project"},
		{"qy-nyj", "qingyuan-pumped-storage", "period"},
	} {
		s, _ := next()
		subject := schema.SubjectFor(r.dept, schema.KindInvestment, r.project)
		rejRows = append(rejRows, []any{s, uint64(i + 1), subject, r.dept, "investment", r.project, "", r.rule,
			"project_id: not registered", "project_id：项目未登记", "[]", "{}", at("2025-10-04 10:00:00"), at("2025-10-04 10:00:01")})
	}
	insert(ctx, t, conn, "rejected_updates", []string{"stream_seq", "dlq_seq", "subject", "department_id", "kind", "project_id", "event_id",
		"rule", "reason_en", "reason_zh", "errors", "payload", "received_at", "rejected_at"}, rejRows)

	type board struct {
		project, name, region, category, dept, deptName, stage string
		reported                                               uint8
		rev                                                    uint32
		month, ytd                                             string
		plan, completion, gap                                  *decimal.Decimal
		overdue                                                uint16
		maxDays                                                uint32
		status, prev, change                                   string
	}
	boards := []board{
		{"qingyuan-pumped-storage", "庆元抽水蓄能电站（抽蓄项目）", "丽水市庆元县", "energy", "qy-nyj", "庆元县能源局", "construction", 1, 1, "16548.15", "114981.1", dp("148540"), dp("77.41"), dp("2.41"), 0, 0, "green", "none", "first"},
		{"lishui-airport", "丽水机场", "丽水市", "transport", "ls-jtj", "丽水市交通运输局", "construction", 1, 1, "4100", "34352", dp("40000"), dp("85.88"), dp("10.88"), 1, 92, "red", "red", "same"},
		{"mengyang-rural-road", "濛杨线农村公路改造提升工程", "丽水市庆元县", "transport", "qy-jtj", "庆元县交通运输局", "construction", 0, 0, "0", "2185.5", dp("3000"), dp("72.85"), dp("-2.15"), 1, 30, "yellow", "green", "worse"},
		{"yilongqing-expressway-qingyuan", "义龙庆高速公路庆元段", "丽水市庆元县", "transport", "qy-jtj", "庆元县交通运输局", "preparation", 1, 1, "58.61", "340.23", nil, nil, nil, 0, 0, "unrated", "none", "first"},
	}
	// The monthly review of 2025-09 (read through the dispatch_monthly
	// views) and the weekly review 2025-W41, stored in the generic tables.
	var boardRows [][]any
	for _, b := range boards {
		boardRows = append(boardRows, []any{"monthly", "2025-09", date("2025-09-01"), date("2025-09-30"), now, b.project, b.name, b.region,
			b.category, b.dept, b.deptName, b.stage, "2025-09", b.reported, b.rev, d(b.month), d(b.month), d(b.ytd), b.plan, b.completion, d("75"),
			b.gap, b.overdue, b.maxDays, b.status, "理由", "reason", b.prev, b.change, now, "run-monthly"})
	}
	// Two earlier monthly reviews: the airport red in both, the rural
	// road green in August.
	for _, r := range []struct {
		period, start, end, project, name, region, dept, deptName, ytd, completion, progress, gap string
		days                                                                                      uint32
		status, prev, change                                                                      string
	}{
		{"2025-07", "2025-07-01", "2025-07-31", "lishui-airport", "丽水机场", "丽水市", "ls-jtj", "丽水市交通运输局", "26000", "65", "58.33", "6.67", 31, "red", "none", "first"},
		{"2025-08", "2025-08-01", "2025-08-31", "lishui-airport", "丽水机场", "丽水市", "ls-jtj", "丽水市交通运输局", "30252", "75.63", "66.67", "8.96", 61, "red", "red", "same"},
		{"2025-08", "2025-08-01", "2025-08-31", "mengyang-rural-road", "濛杨线农村公路改造提升工程", "丽水市庆元县", "qy-jtj", "庆元县交通运输局", "2185.5", "72.85", "66.67", "6.18", 0, "green", "none", "first"},
	} {
		plan := dp("40000")
		if r.project == "mengyang-rural-road" {
			plan = dp("3000")
		}
		boardRows = append(boardRows, []any{"monthly", r.period, date(r.start), date(r.end), now, r.project, r.name, r.region,
			"transport", r.dept, r.deptName, "construction", r.period, uint8(1), uint32(1), d("100"), d("100"), d(r.ytd), plan, dp(r.completion),
			d(r.progress), dp(r.gap), uint16(min(r.days, 1)), r.days, r.status, "理由", "reason", r.prev, r.change, now, "run-monthly-" + r.period})
	}
	weekly := [][]any{
		{"weekly", "2025-W41", date("2025-10-06"), date("2025-10-12"), at("2025-10-13 00:00:00"), "lishui-airport", "丽水机场", "丽水市",
			"transport", "ls-jtj", "丽水市交通运输局", "construction", "2025-09", uint8(1), uint32(1), d("4100"), d("4100"), d("34352"),
			dp("40000"), dp("85.88"), d("78.08"), dp("7.8"), uint16(1), uint32(104), "red", "节点逾期", "milestone overdue", "red", "same",
			at("2025-10-13 07:00:00"), "run-weekly"},
		{"weekly", "2025-W41", date("2025-10-06"), date("2025-10-12"), at("2025-10-13 00:00:00"), "mengyang-rural-road", "濛杨线农村公路改造提升工程",
			"丽水市庆元县", "transport", "qy-jtj", "庆元县交通运输局", "construction", "2025-08", uint8(0), uint32(1), d("0"), d("260.5"),
			d("2185.5"), dp("3000"), dp("72.85"), d("78.08"), dp("-5.23"), uint16(1), uint32(42), "red", "节点逾期", "milestone overdue", "yellow",
			"newly_red", at("2025-10-13 07:00:00"), "run-weekly"},
	}
	projectCols := []string{"kind", "period", "period_start", "period_end", "cutoff", "project_id", "name_zh", "region", "category",
		"department_id", "department_name", "stage", "report_period", "reported", "report_revision", "period_completed_wan",
		"month_completed_wan", "ytd_completed_wan", "annual_plan_wan", "completion_pct", "time_progress_pct", "gap_pp",
		"overdue_milestones", "max_overdue_days", "status", "reason_zh", "reason_en", "prev_status", "change", "computed_at", "run_id"}
	insert(ctx, t, conn, "dispatch_projects", projectCols, append(boardRows, weekly...))

	totals := [][]any{
		{"monthly", "2025-09", "all", "", "", uint32(4), uint32(3), uint32(1), uint32(1), uint32(1), uint32(1), uint32(1), uint32(1), d("20706.76"), d("20706.76"), d("151858.83"), d("191540"), dp("79.28"), d("75"), dp("4.28"), uint16(0), now, "run-monthly"},
		{"monthly", "2025-09", "department", "qy-nyj", "庆元县能源局", uint32(1), uint32(1), uint32(0), uint32(0), uint32(1), uint32(0), uint32(0), uint32(0), d("16548.15"), d("16548.15"), d("114981.1"), d("148540"), dp("77.41"), d("75"), dp("2.41"), uint16(2), now, "run-monthly"},
		{"monthly", "2025-09", "department", "ls-jtj", "丽水市交通运输局", uint32(1), uint32(1), uint32(0), uint32(1), uint32(0), uint32(0), uint32(1), uint32(0), d("4100"), d("4100"), d("34352"), d("40000"), dp("85.88"), d("75"), dp("10.88"), uint16(1), now, "run-monthly"},
		{"monthly", "2025-09", "department", "qy-jtj", "庆元县交通运输局", uint32(2), uint32(1), uint32(1), uint32(0), uint32(0), uint32(1), uint32(0), uint32(1), d("58.61"), d("58.61"), d("2525.73"), d("3000"), dp("72.85"), d("75"), dp("-2.15"), uint16(3), now, "run-monthly"},
		{"monthly", "2025-09", "region", "丽水市庆元县", "丽水市庆元县", uint32(3), uint32(2), uint32(1), uint32(0), uint32(1), uint32(1), uint32(0), uint32(1), d("16606.76"), d("16606.76"), d("117506.83"), d("151540"), dp("77.32"), d("75"), dp("2.32"), uint16(2), now, "run-monthly"},
		{"monthly", "2025-09", "region", "丽水市", "丽水市", uint32(1), uint32(1), uint32(0), uint32(1), uint32(0), uint32(0), uint32(1), uint32(0), d("4100"), d("4100"), d("34352"), d("40000"), dp("85.88"), d("75"), dp("10.88"), uint16(1), now, "run-monthly"},
		{"monthly", "2025-09", "category", "transport", "交通", uint32(3), uint32(2), uint32(1), uint32(1), uint32(0), uint32(1), uint32(1), uint32(1), d("4158.61"), d("4158.61"), d("36877.73"), d("43000"), dp("80.99"), d("75"), dp("5.99"), uint16(1), now, "run-monthly"},
	}
	totalCols := []string{"kind", "period", "dimension", "key", "label", "projects", "reported", "missing", "late",
		"green", "yellow", "red", "unrated", "period_completed_wan", "month_completed_wan", "ytd_completed_wan", "annual_plan_wan",
		"completion_pct", "time_progress_pct", "gap_pp", "rank", "computed_at", "run_id"}
	insert(ctx, t, conn, "dispatch_totals", totalCols, totals)

	reportingCols := []string{"kind", "period", "report_period", "project_id", "name_zh", "department_id",
		"department_name", "status", "deadline", "first_received_at", "days_late", "computed_at", "run_id"}
	reporting := [][]any{
		{"monthly", "2025-09", "2025-09", "qingyuan-pumped-storage", "庆元抽水蓄能电站（抽蓄项目）", "qy-nyj", "庆元县能源局", "on_time", at("2025-10-06 00:00:00"), tp(at("2025-10-03 11:02:00")), int32(0), now, "run-monthly"},
		{"monthly", "2025-09", "2025-09", "lishui-airport", "丽水机场", "ls-jtj", "丽水市交通运输局", "late", at("2025-10-06 00:00:00"), tp(at("2025-10-08 10:00:00")), int32(3), now, "run-monthly"},
		{"monthly", "2025-09", "2025-09", "mengyang-rural-road", "濛杨线农村公路改造提升工程", "qy-jtj", "庆元县交通运输局", "missing", at("2025-10-06 00:00:00"), (*time.Time)(nil), int32(15), now, "run-monthly"},
		{"monthly", "2025-09", "2025-09", "yilongqing-expressway-qingyuan", "义龙庆高速公路庆元段", "qy-jtj", "庆元县交通运输局", "on_time", at("2025-10-06 00:00:00"), tp(at("2025-10-02 10:00:00")), int32(0), now, "run-monthly"},
		{"monthly", "2025-08", "2025-08", "qingyuan-pumped-storage", "庆元抽水蓄能电站（抽蓄项目）", "qy-nyj", "庆元县能源局", "on_time", at("2025-09-06 00:00:00"), tp(at("2025-09-02 15:36:00")), int32(0), now, "run-monthly-2025-08"},
		{"monthly", "2025-08", "2025-08", "mengyang-rural-road", "濛杨线农村公路改造提升工程", "qy-jtj", "庆元县交通运输局", "on_time", at("2025-09-06 00:00:00"), tp(at("2025-09-03 10:00:00")), int32(0), now, "run-monthly-2025-08"},
		{"monthly", "2025-08", "2025-08", "yilongqing-expressway-qingyuan", "义龙庆高速公路庆元段", "qy-jtj", "庆元县交通运输局", "missing", at("2025-09-06 00:00:00"), (*time.Time)(nil), int32(1), now, "run-monthly-2025-08"},
	}
	insert(ctx, t, conn, "dispatch_reporting", reportingCols, reporting)
	milestoneCols := []string{"kind", "period", "project_id", "name_zh", "department_id", "department_name",
		"milestone_id", "title", "alert", "status", "planned_date", "forecast_date", "prev_forecast_date", "days", "computed_at", "run_id"}
	milestones := [][]any{
		{"weekly", "2025-W41", "lishui-airport", "丽水机场", "ls-jtj", "丽水市交通运输局", "opened-to-flights", "通航", "overdue", "in_progress",
			tp(date("2025-06-30")), tp(date("2025-12-28")), tp(date("2025-10-31")), int32(104), at("2025-10-13 07:00:00"), "run-weekly"},
		{"weekly", "2025-W41", "lishui-airport", "丽水机场", "ls-jtj", "丽水市交通运输局", "opened-to-flights", "通航", "slipped", "in_progress",
			tp(date("2025-06-30")), tp(date("2025-12-28")), tp(date("2025-10-31")), int32(58), at("2025-10-13 07:00:00"), "run-weekly"},
		{"weekly", "2025-W41", "qingyuan-pumped-storage", "庆元抽水蓄能电站（抽蓄项目）", "qy-nyj", "庆元县能源局", "main-works", "抽蓄主体工程", "due", "in_progress",
			tp(date("2025-10-20")), (*time.Time)(nil), (*time.Time)(nil), int32(8), at("2025-10-13 07:00:00"), "run-weekly"},
	}
	insert(ctx, t, conn, "dispatch_milestones", milestoneCols, milestones)
	var deadlines [][]any
	for _, m := range []string{"2025-06", "2025-07", "2025-08", "2025-09"} {
		p, err := schema.ParsePeriod(m)
		if err != nil {
			t.Fatal(err)
		}
		last := p.Next().Start().AddDate(0, 0, 4)
		deadlines = append(deadlines, []any{m, date(p.Start().Format(schema.DateLayout)), date(last.Format(schema.DateLayout)),
			last.AddDate(0, 0, 1), uint8(5), uint8(0), []time.Time{}, []time.Time{}, "run-monthly", at("2025-10-06 07:00:02")})
	}
	insert(ctx, t, conn, "reporting_deadlines", []string{"month", "month_start", "last_day", "deadline", "day", "working_days",
		"holidays", "workdays", "run_id", "written_at"}, deadlines)
	// The runs whose rows are the boards (review_current), and a run that
	// failed after writing some rows, which no query of the page shows.
	failed := append(append([]any{}, weekly[0][:len(weekly[0])-1]...), "run-weekly-1")
	failed[len(failed)-3] = "newly_red" // review-changes would list it twice
	insert(ctx, t, conn, "dispatch_projects", projectCols, [][]any{failed})
	// The rows a failed run of 2025-09 (run-monthly-0, started, never
	// complete) left in every review table, and the weekly milestone alerts
	// run-weekly-1 left: a query or view reading dispatch_* without
	// review_current counts them twice.
	period := func(p string) func([]any) bool { return func(r []any) bool { return r[1] == p } }
	insert(ctx, t, conn, "dispatch_projects", projectCols, leftovers(boardRows, "run-monthly-0", period("2025-09")))
	insert(ctx, t, conn, "dispatch_totals", totalCols, leftovers(totals, "run-monthly-0", period("2025-09")))
	insert(ctx, t, conn, "dispatch_reporting", reportingCols, leftovers(reporting, "run-monthly-0", period("2025-09")))
	insert(ctx, t, conn, "dispatch_milestones", milestoneCols, leftovers(milestones, "run-weekly-1", period("2025-W41")))
	insert(ctx, t, conn, "review_runs", []string{"kind", "period", "run_id", "state", "started_ns", "at"}, [][]any{
		{"monthly", "2025-07", "run-monthly-2025-07", "started", uint64(at("2025-08-06 07:00:00").UnixNano()), at("2025-08-06 07:00:00")},
		{"monthly", "2025-07", "run-monthly-2025-07", "complete", uint64(at("2025-08-06 07:00:00").UnixNano()), at("2025-08-06 07:00:02")},
		{"monthly", "2025-08", "run-monthly-2025-08", "started", uint64(at("2025-09-06 07:00:00").UnixNano()), at("2025-09-06 07:00:00")},
		{"monthly", "2025-08", "run-monthly-2025-08", "complete", uint64(at("2025-09-06 07:00:00").UnixNano()), at("2025-09-06 07:00:02")},
		{"monthly", "2025-09", "run-monthly-0", "started", uint64(at("2025-10-06 06:50:00").UnixNano()), at("2025-10-06 06:50:00")},
		{"monthly", "2025-09", "run-monthly", "started", uint64(at("2025-10-06 07:00:00").UnixNano()), at("2025-10-06 07:00:00")},
		{"monthly", "2025-09", "run-monthly", "complete", uint64(at("2025-10-06 07:00:00").UnixNano()), at("2025-10-06 07:00:02")},
		{"weekly", "2025-W41", "run-weekly-1", "started", uint64(at("2025-10-13 07:00:00").UnixNano()), at("2025-10-13 07:00:00")},
		{"weekly", "2025-W41", "run-weekly", "started", uint64(at("2025-10-13 07:01:00").UnixNano()), at("2025-10-13 07:01:00")},
		{"weekly", "2025-W41", "run-weekly", "complete", uint64(at("2025-10-13 07:01:00").UnixNano()), at("2025-10-13 07:01:01")},
	})
	insert(ctx, t, conn, "rollup_runs", []string{"run_id", "kind", "period", "trigger", "replica", "status", "error", "started_at",
		"finished_at", "duration_ms", "rows", "green", "yellow", "red", "unrated", "rules"}, [][]any{
		{"run-monthly", "monthly", "2025-09", "schedule", "kpp-1:4242", "ok", "", at("2025-10-06 07:00:00"), at("2025-10-06 07:00:02"), uint64(1830), uint64(17), uint32(1), uint32(1), uint32(1), uint32(1), `{"mode":"pp_gap"}`},
		{"run-weekly-1", "weekly", "2025-W41", "schedule", "kpp-1:4242", "failed", "read projects: timeout", at("2025-10-13 07:00:00"), at("2025-10-13 07:00:30"), uint64(30000), uint64(0), uint32(0), uint32(0), uint32(0), uint32(0), `{"mode":"pp_gap"}`},
		{"run-weekly", "weekly", "2025-W41", "catchup", "kpp-2:977", "ok", "", at("2025-10-13 07:01:00"), at("2025-10-13 07:01:01"), uint64(950), uint64(9), uint32(0), uint32(0), uint32(2), uint32(0), `{"mode":"pp_gap"}`},
	})
}

// leftovers copies the rows keep accepts under another run id (the last
// column of every review table's fixture rows).
func leftovers(rows [][]any, runID string, keep func([]any) bool) [][]any {
	var out [][]any
	for _, r := range rows {
		if keep(r) {
			c := append([]any{}, r...)
			c[len(c)-1] = runID
			out = append(out, c)
		}
	}
	return out
}

// insert writes rows with one batch naming the columns (ClickHouse 18.16
// hangs on INSERT … VALUES through Exec).
func insert(ctx context.Context, t *testing.T, conn driver.Conn, table string, cols []string, rows [][]any) {
	t.Helper()
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+")")
	if err != nil {
		t.Fatalf("prepare insert into %s: %v", table, err)
	}
	for i, r := range rows {
		if err := b.Append(r...); err != nil {
			_ = b.Abort()
			t.Fatalf("insert into %s, row %d: %v", table, i+1, err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilT(s []time.Time) []time.Time {
	if s == nil {
		return []time.Time{}
	}
	return s
}
