-- Every revision of the investment reports of a range of months received
-- before a cut-off, oldest revision first. The rollup picks the latest
-- revision as of each cut-off it needs and the first revision's receipt.
-- Parameters: the cut-off, the first month, the last month (YYYY-MM).
SELECT project_id, period, revision, month_completed_wan, ytd_completed_wan, received_at
FROM investment_reports FINAL
WHERE received_at < ? AND period >= ? AND period <= ?
ORDER BY project_id, period, revision
