-- Every stored review (kind, period), newest first: the reviews with a
-- complete run (review_current) and rows of it.
SELECT toString(kind), period, max(period_start) AS start
FROM dispatch_projects
WHERE run_id IN (SELECT run_id FROM review_current)
GROUP BY kind, period
ORDER BY start DESC, kind
