package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/schema"
)

// RunStatus is how a run ended: ok or failed.
type RunStatus string

// The run statuses.
const (
	StatusOK     RunStatus = "ok"
	StatusFailed RunStatus = "failed"
)

// RunRecord is one run of a review, as recorded in rollup_runs: one row
// inserted when the run ends.
type RunRecord struct {
	// RunID identifies the run; the review's rows carry it in run_id.
	RunID string
	// Period is the period reviewed; its Kind says which review.
	Period schema.ReviewPeriod
	// Trigger is what started the run.
	Trigger Trigger
	// Replica is the process that ran it.
	Replica string
	// Status is ok or failed; Error says why it failed.
	Status RunStatus
	Error  string
	// StartedAt and FinishedAt are the scheduler clock's times (whole
	// seconds, Asia/Shanghai when read back).
	StartedAt, FinishedAt time.Time
	// Duration is how long the run took, measured on the monotonic clock
	// (milliseconds when read back).
	Duration time.Duration
	// Rows is the number of rows the job stored.
	Rows int64
	// Green, Yellow, Red and Unrated count the projects by status.
	Green, Yellow, Red, Unrated int
	// Rules is the rating rule used, as JSON.
	Rules string
}

const insertRun = `INSERT INTO rollup_runs (run_id, kind, period, trigger, replica, status, error,
    started_at, finished_at, duration_ms, rows, green, yellow, red, unrated, rules)`

// record inserts the run's row. ClickHouse 18.16 hangs on INSERT … VALUES
// through Exec, so it is a one-row batch.
func record(ctx context.Context, st *chstore.Store, r RunRecord) error {
	b, err := st.Conn().PrepareBatch(ctx, insertRun)
	if err != nil {
		return fmt.Errorf("%w (run %s, %s %s): prepare insert: %w", ErrRecord, r.RunID, r.Period.Kind, r.Period.Key(), err)
	}
	err = b.Append(r.RunID, string(r.Period.Kind), r.Period.Key(), string(r.Trigger), r.Replica, string(r.Status), r.Error,
		r.StartedAt, r.FinishedAt, uint64(max(r.Duration.Milliseconds(), 0)), uint64(max(r.Rows, 0)),
		uint32(max(r.Green, 0)), uint32(max(r.Yellow, 0)), uint32(max(r.Red, 0)), uint32(max(r.Unrated, 0)), r.Rules)
	if err != nil {
		_ = b.Abort()
		return fmt.Errorf("%w (run %s, %s %s): %w", ErrRecord, r.RunID, r.Period.Kind, r.Period.Key(), err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("%w (run %s, %s %s): %w", ErrRecord, r.RunID, r.Period.Kind, r.Period.Key(), err)
	}
	return nil
}

const selectRuns = `SELECT run_id, kind, period, trigger, replica, status, error, started_at, finished_at,
       duration_ms, rows, green, yellow, red, unrated, rules
FROM rollup_runs`

// Runs lists the recorded runs of the kind (every kind when kind is ""),
// newest first, at most limit (default 100 when limit ≤ 0): for the HTTP
// index and `kpp rollup runs`.
func Runs(ctx context.Context, st *chstore.Store, kind schema.ReviewKind, limit int) ([]RunRecord, error) {
	if limit <= 0 {
		limit = 100
	}
	q, args := selectRuns, []any{}
	if kind != "" {
		if _, err := schema.ParseReviewKind(string(kind)); err != nil {
			return nil, fmt.Errorf("list rollup runs: %w", err)
		}
		q += "\nWHERE kind = ?"
		args = append(args, string(kind))
	}
	q += "\nORDER BY started_at DESC, finished_at DESC, run_id DESC\nLIMIT ?"
	args = append(args, limit)
	return queryRuns(ctx, st, "list rollup runs", q, args...)
}

// runsSince reads the runs of the kind started at or after since, oldest
// first: what the catch-up compares the due runs with.
func runsSince(ctx context.Context, st *chstore.Store, kind schema.ReviewKind, since time.Time) ([]RunRecord, error) {
	q := selectRuns + "\nWHERE kind = ? AND started_at >= toDateTime(?)\nORDER BY started_at, finished_at, run_id"
	return queryRuns(ctx, st, fmt.Sprintf("read the %s runs since %s", kind, since.Format(time.DateTime)), q, string(kind), since.Unix())
}

func queryRuns(ctx context.Context, st *chstore.Store, what, q string, args ...any) ([]RunRecord, error) {
	rows, err := st.Conn().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s from rollup_runs in database %s: %w", what, st.Database(), err)
	}
	defer rows.Close()
	var out []RunRecord
	for rows.Next() {
		var (
			r                           RunRecord
			kind, period, trigger, stat string
			ms, nrows                   uint64
			green, yellow, red, unrated uint32
		)
		if err := rows.Scan(&r.RunID, &kind, &period, &trigger, &r.Replica, &stat, &r.Error, &r.StartedAt, &r.FinishedAt,
			&ms, &nrows, &green, &yellow, &red, &unrated, &r.Rules); err != nil {
			return nil, fmt.Errorf("%s from rollup_runs in database %s: %w", what, st.Database(), err)
		}
		p, err := schema.ParseReviewPeriod(schema.ReviewKind(kind), period)
		if err != nil {
			return nil, fmt.Errorf("%s: rollup_runs row %s: %w", what, r.RunID, err)
		}
		r.Period, r.Trigger, r.Status = p, Trigger(trigger), RunStatus(stat)
		r.Duration = time.Duration(ms) * time.Millisecond
		r.Rows = int64(nrows)
		r.Green, r.Yellow, r.Red, r.Unrated = int(green), int(yellow), int(red), int(unrated)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s from rollup_runs in database %s: %w", what, st.Database(), err)
	}
	return out, nil
}
