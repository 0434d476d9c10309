-- The stored project rows of one review's run: kind, period, run id.
SELECT project_id, name_zh, region, category, department_id, department_name, stage, report_period, reported,
       report_revision, period_completed_wan, month_completed_wan, ytd_completed_wan, annual_plan_wan,
       completion_pct, time_progress_pct, gap_pp, overdue_milestones, max_overdue_days, toString(status),
       reason_zh, reason_en, short_streak, toString(prev_status), toString(change), responsible_unit,
       responsible_person, lead_official, problems, next_steps, cutoff, computed_at, run_id
FROM dispatch_projects
WHERE kind = ? AND period = ? AND run_id = ?
ORDER BY project_id
