-- Every milestone update received before a cut-off, oldest revision first.
-- Parameter: the cut-off.
SELECT project_id, milestone_id, revision, title, status, planned_date, forecast_date, actual_date, received_at
FROM milestone_updates FINAL
WHERE received_at < ?
ORDER BY project_id, milestone_id, revision
