INSERT INTO dispatch_projects (kind, period, period_start, period_end, cutoff, project_id, name_zh, region, category,
department_id, department_name, stage, report_period, reported, report_revision, period_completed_wan,
month_completed_wan, ytd_completed_wan, annual_plan_wan, completion_pct, time_progress_pct, gap_pp,
overdue_milestones, max_overdue_days, status, reason_zh, reason_en, short_streak, prev_status, change,
computed_at, run_id, responsible_unit, responsible_person, lead_official, problems, next_steps)
