// Package rollup computes the dispatch reviews — weekly analysis (周分析),
// ten-day dispatch (旬调度) and the monthly review meeting (月例会) — from
// the stored facts, stores them in ClickHouse and reads them back as a
// [Board] (红黄绿榜) for the reports.
//
// [Run] computes one review period ([schema.ReviewPeriod]):
//
//   - It reads what was received before the cut-off: the period's end for
//     weekly and ten-day reviews (so a re-run later gives the same answer),
//     the time of the run for the monthly review (every revision so far).
//     Each registration, report and milestone is taken at its latest
//     revision as of the cut-off. ClickHouse does this aggregation
//     (sql/review_*.sql) and returns a row per project, slice of project
//     ids after slice; the run rates the rows as they stream and inserts
//     its rows in batches, so its memory does not grow with the
//     portfolio.
//   - It rates every registered project with a [rating.Rules] on its
//     year-to-date investment against the time progress (m/12 for a month,
//     days elapsed ÷ days in the year at a part-month cut-off, or the
//     phased plan), its overdue milestones and, with escalation, the
//     streak stored by the previous review of the same kind, and says how
//     the status changed since that review (newly red, recovered).
//   - It judges the reporting of the month due (on time, late 迟报, missing
//     未报送) against the rules' deadline, and lists milestone alerts: due
//     within the look-ahead, overdue, slipped since the previous review.
//   - It totals and ranks the projects overall and per category,
//     department and region.
//   - It replaces the review atomically: it writes its rows to
//     dispatch_projects, dispatch_totals, dispatch_milestones and
//     dispatch_reporting under its own run id (partitions (kind, period,
//     run_id)), records the run complete in review_runs, and only then
//     drops the earlier runs' partitions. Until then readers read the
//     previous board; a run that fails half-way leaves it whole. Running
//     it again for the same period and data gives the same rows (but for
//     computed_at and run_id), never more.
//
// [Load] reads a stored review back — the rows of its current run, the
// complete run that started last — with the year's monthly investment
// trend as of its cut-off; [LoadOutline] and [EachProject] read the same
// run; [ListComputed] lists the stored reviews. The
// rules, the reviews and every stored column are documented in
// docs/dispatch.md; the queries are in sql/.
package rollup
