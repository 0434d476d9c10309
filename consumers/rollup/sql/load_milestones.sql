-- The stored milestone alerts of one review's run: kind, period, run id.
SELECT project_id, name_zh, department_id, department_name, milestone_id, title, toString(alert), status,
       planned_date, forecast_date, prev_forecast_date, days
FROM dispatch_milestones
WHERE kind = ? AND period = ? AND run_id = ?
ORDER BY alert, project_id, milestone_id
