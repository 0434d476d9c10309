-- The latest run of a review that ended ok with no rows written: the review
-- was computed and found no project registered before its cut-off.
-- Parameters: the kind and the period key.
SELECT finished_at
FROM rollup_runs
WHERE kind = ? AND period = ? AND status = 'ok' AND rows = 0
ORDER BY finished_at DESC
LIMIT 1
