-- Every stored review (kind, period), newest first.
SELECT toString(kind), period, max(period_start) AS start
FROM dispatch_projects
GROUP BY kind, period
ORDER BY start DESC, kind
