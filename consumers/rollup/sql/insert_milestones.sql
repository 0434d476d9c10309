INSERT INTO dispatch_milestones (kind, period, project_id, name_zh, department_id, department_name, milestone_id,
title, alert, status, planned_date, forecast_date, prev_forecast_date, days, computed_at, run_id)
