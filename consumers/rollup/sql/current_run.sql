-- The current run of one review: the complete run that began writing
-- last; '' when none is complete. Parameters: kind, period.
SELECT argMax(run_id, started_ns)
FROM review_runs
WHERE kind = ? AND period = ? AND state = 'complete'
