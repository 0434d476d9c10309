INSERT INTO dispatch_reporting (kind, period, report_period, project_id, name_zh, department_id, department_name,
status, deadline, first_received_at, days_late, computed_at, run_id)
