-- The stored reporting status of one review: kind, period.
SELECT report_period, project_id, name_zh, department_id, department_name, toString(status), deadline,
       first_received_at, days_late
FROM dispatch_reporting
WHERE kind = ? AND period = ?
ORDER BY department_id, project_id
