-- kpp schema, migration 11: the latest-revision views read FINAL in a
-- subquery, so that they also run on a sharded cluster.
--
-- On a cluster of several shards (`kpp migrate --cluster`, docs/deploy.md)
-- project_registrations, investment_reports and milestone_updates are
-- Distributed tables. ClickHouse 18.16 fails a query that reads a
-- Distributed table with FINAL and also sorts (ORDER BY, LIMIT BY): "Cannot
-- find column keep_rank in source stream". Reading FINAL in a subquery and
-- sorting outside it gives the same rows on one server and works on the
-- shards: each shard applies FINAL to its own rows, and all the rows of a
-- project are on one shard. The columns do not change.

DROP TABLE IF EXISTS projects;

CREATE VIEW IF NOT EXISTS projects AS
SELECT project_id, revision, name_zh, name_en, region, category, stage, department_id, department_name,
       responsible_unit, responsible_person, lead_official,
       total_investment_wan, plan_years, plan_annual_wan, plan_monthly_wan,
       milestone_ids, milestone_titles, milestone_planned, synthetic_fields,
       reported_by, source, received_at, event_id
FROM
(
    SELECT project_id, revision, name_zh, name_en, region, category, stage, department_id, department_name,
           responsible_unit, responsible_person, lead_official,
           total_investment_wan, plan_years, plan_annual_wan, plan_monthly_wan,
           milestone_ids, milestone_titles, milestone_planned, synthetic_fields,
           reported_by, source, received_at, event_id
    FROM project_registrations FINAL
)
ORDER BY project_id, revision DESC
LIMIT 1 BY project_id;

DROP TABLE IF EXISTS investment_latest;

CREATE VIEW IF NOT EXISTS investment_latest AS
SELECT project_id, department_id, period, period_start, revision,
       month_completed_wan, ytd_completed_wan, since_start_completed_wan,
       physical_progress, problems, next_steps, correction_reason,
       reported_by, reported_at, source, received_at, event_id, imported_at, imported_by
FROM
(
    SELECT project_id, department_id, period, period_start, revision,
           month_completed_wan, ytd_completed_wan, since_start_completed_wan,
           physical_progress, problems, next_steps, correction_reason,
           reported_by, reported_at, source, received_at, event_id, imported_at, imported_by
    FROM investment_reports FINAL
)
ORDER BY project_id, period, revision DESC
LIMIT 1 BY project_id, period;

DROP TABLE IF EXISTS milestone_latest;

CREATE VIEW IF NOT EXISTS milestone_latest AS
SELECT project_id, department_id, milestone_id, revision, title, status,
       planned_date, forecast_date, actual_date, as_of, percent_complete, note,
       reported_by, source, received_at, event_id, imported_at, imported_by
FROM
(
    SELECT project_id, department_id, milestone_id, revision, title, status,
           planned_date, forecast_date, actual_date, as_of, percent_complete, note,
           reported_by, source, received_at, event_id, imported_at, imported_by
    FROM milestone_updates FINAL
)
ORDER BY project_id, milestone_id, revision DESC
LIMIT 1 BY project_id, milestone_id;
