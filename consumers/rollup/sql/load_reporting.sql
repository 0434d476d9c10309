-- The stored reporting status of one review's run: kind, period, run id.
SELECT report_period, project_id, name_zh, department_id, department_name, toString(status), deadline,
       first_received_at, days_late
FROM dispatch_reporting
WHERE kind = ? AND period = ? AND run_id = ?
ORDER BY department_id, project_id
