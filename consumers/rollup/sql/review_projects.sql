-- One row per project registered before the cut-off, by project id, with
-- everything a review rates it on, aggregated here so that the rollup reads
-- one row per project instead of every revision:
--   - the latest registration revision received before the cut-off, with
--     its plan for the review's year (plan_index = 0 when it has none) and
--     who answers for it (责任单位, 责任人, 分管领导);
--   - from its investment reports of the months read (the first month to the
--     reviewed month) received before the cut-off: how many are of the
--     review's year; the report used — of the latest month of the year that
--     has one, its highest revision (period, revision, 本月完成, 本年累计,
--     存在问题, 下步计划);
--     the 本年累计 of the report that was used as of the previous review's
--     cut-off (0 when none); how many revisions of the month due arrived and
--     when the first one did;
--   - its row in the previous review of the same kind, as its current run
--     stored it (prev_reviewed = 0 when it was not on it).
-- The order of the months is that of period_start (toYYYYMM), the revision
-- breaks ties within a month. A project without reports or without a
-- previous row gets 0 and '' from the LEFT JOINs, hence the counts.
-- Only the projects with ids from a first to a last one (a slice) are read;
-- the primary keys of the tables start with project_id, so a slice reads
-- its part of the tables only.
-- Parameters, in order: the review's year; the cut-off, the slice's first
-- and last project id; January of the review's year (YYYY-MM) three
-- times; the previous review's cut-off; the month due twice; the cut-off;
-- the first and the last month read, as YYYY-MM and as their first days
-- (YYYY-MM-DD: the table is partitioned by month, so that only the months
-- read are read); the slice's first and last project
-- id; the kind and the period key of the previous review; the slice's
-- first and last project id.
SELECT project_id, name_zh, region, category, stage, department_id, department_name,
       responsible_unit, responsible_person, lead_official,
       plan_index, arrayElement(plan_annual_wan, plan_index), arrayElement(plan_monthly_wan, plan_index),
       year_reports, used_period, used_revision, used_month_wan, used_ytd_wan, used_problems, used_next_steps, before_ytd_wan,
       due_reports, due_first_received_at, prev_reviewed, prev_status, prev_streak
FROM
(
    SELECT *
    FROM
    (
        SELECT project_id, name_zh, region, category, stage, department_id, department_name,
               responsible_unit, responsible_person, lead_official,
               indexOf(plan_years, ?) AS plan_index, plan_annual_wan, plan_monthly_wan
        FROM project_registrations FINAL
        WHERE received_at < ? AND project_id >= ? AND project_id <= ?
        ORDER BY project_id, revision DESC
        LIMIT 1 BY project_id
    ) AS registered
    ANY LEFT JOIN
    (
        SELECT project_id,
               countIf(period >= ?) AS year_reports,
               argMaxIf(tuple(period, revision, month_completed_wan, ytd_completed_wan, problems, next_steps),
                        toUInt64(toYYYYMM(period_start)) * 4294967296 + revision, period >= ?) AS used,
               tupleElement(used, 1) AS used_period,
               tupleElement(used, 2) AS used_revision,
               tupleElement(used, 3) AS used_month_wan,
               tupleElement(used, 4) AS used_ytd_wan,
               tupleElement(used, 5) AS used_problems,
               tupleElement(used, 6) AS used_next_steps,
               argMaxIf(ytd_completed_wan, toUInt64(toYYYYMM(period_start)) * 4294967296 + revision,
                        period >= ? AND received_at < ?) AS before_ytd_wan,
               countIf(period = ?) AS due_reports,
               minIf(received_at, period = ?) AS due_first_received_at
        FROM investment_reports FINAL
        WHERE received_at < ? AND period >= ? AND period <= ? AND period_start >= toDate(?) AND period_start <= toDate(?)
          AND project_id >= ? AND project_id <= ?
        GROUP BY project_id
    ) AS reports USING project_id
) AS registered_reports
ANY LEFT JOIN
(
    SELECT project_id, toUInt8(1) AS prev_reviewed, toString(status) AS prev_status, short_streak AS prev_streak
    FROM dispatch_projects
    WHERE kind = ? AND period = ? AND project_id >= ? AND project_id <= ?
      AND run_id IN (SELECT run_id FROM review_current)
) AS previous USING project_id
ORDER BY project_id
