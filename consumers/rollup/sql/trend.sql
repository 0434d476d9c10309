-- The year's investment by month as of a cut-off: 本月完成 of the latest
-- revision received before the cut-off, summed over the projects.
-- Parameters: first month (YYYY-MM), last month (YYYY-MM), cut-off.
SELECT period, sum(month_completed_wan) AS amount
FROM
(
    SELECT project_id, period, month_completed_wan
    FROM investment_reports FINAL
    WHERE period >= ? AND period <= ? AND received_at < ?
    ORDER BY project_id, period, revision DESC
    LIMIT 1 BY project_id, period
) AS latest
GROUP BY period
ORDER BY period
