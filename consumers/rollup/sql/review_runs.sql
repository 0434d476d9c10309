-- The runs of one review recorded in review_runs, with when each began
-- writing: kind, period.
SELECT run_id, max(started_ns)
FROM review_runs
WHERE kind = ? AND period = ?
GROUP BY run_id
