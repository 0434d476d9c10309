-- The year's investment by month as of a cut-off: 本月完成 of the latest
-- revision received before the cut-off, summed over the projects.
-- Parameters: first month, last month (YYYY-MM), the same as their first
-- days (YYYY-MM-DD: only the partitions of those months are read),
-- cut-off.
SELECT period, sum(month_completed_wan) AS amount
FROM
(
    SELECT project_id, period, argMax(month_completed_wan, revision) AS month_completed_wan
    FROM investment_reports FINAL
    WHERE period >= ? AND period <= ? AND period_start >= toDate(?) AND period_start <= toDate(?) AND received_at < ?
    GROUP BY project_id, period
) AS latest
GROUP BY period
ORDER BY period
