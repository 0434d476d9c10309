-- The registered projects as of a cut-off: the latest registration revision
-- received before it. Parameter: the cut-off.
SELECT project_id, revision, name_zh, region, category, stage, department_id, department_name,
       plan_years, plan_annual_wan, plan_monthly_wan, milestone_ids, milestone_titles, milestone_planned
FROM project_registrations FINAL
WHERE received_at < ?
ORDER BY project_id, revision DESC
LIMIT 1 BY project_id
