-- The investment reports of a monthly review's months received at or after
-- its cut-off: first revisions (迟报, a month not reported before) and
-- corrections (更正, later revisions). A redelivered copy counts once (FINAL).
-- Parameters: the cut-off; the first and the last month read, as YYYY-MM
-- and as their first days (YYYY-MM-DD).
SELECT countIf(revision = 1), countIf(revision > 1)
FROM investment_reports FINAL
WHERE received_at >= ? AND period >= ? AND period <= ? AND period_start >= toDate(?) AND period_start <= toDate(?)
