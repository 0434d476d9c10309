-- kpp schema, migration 5: imported history (kpp import, docs/import.md).
--
-- An imported row was published by the operator on kpp.v1._import.> with a
-- declared submission time. Ingest stores that declared time in received_at,
-- so that lateness (迟报) and every as-of-cut-off review read an imported
-- report exactly as if it had arrived then, and keeps the real arrival in
-- imported_at and who imported it in imported_by. A row that was not
-- imported has imported_at NULL and imported_by ''.
--
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: each ALTER runs only
-- while its "-- kpp:when" query says the column is still missing, so the
-- migration can run again after it stopped half-way.

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'investment_reports' AND name = 'imported_at'
ALTER TABLE investment_reports ADD COLUMN imported_at Nullable(DateTime('Asia/Shanghai')) COMMENT 'imported rows: when NATS JetStream really stored the message (received_at holds the declared submission time); NULL when not imported';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'investment_reports' AND name = 'imported_by'
ALTER TABLE investment_reports ADD COLUMN imported_by String DEFAULT '' COMMENT 'imported rows: who imported them (kpp import --by, or the administrator credential of the API); empty when not imported';

-- investment_reports_by_month (migration 3) needs no columns: it exists only
-- while migration 3 runs, and migrations run in order, so it has become
-- investment_reports before this file runs.

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'milestone_updates' AND name = 'imported_at'
ALTER TABLE milestone_updates ADD COLUMN imported_at Nullable(DateTime('Asia/Shanghai')) COMMENT 'imported rows: when NATS JetStream really stored the message (received_at holds the declared submission time); NULL when not imported';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'milestone_updates' AND name = 'imported_by'
ALTER TABLE milestone_updates ADD COLUMN imported_by String DEFAULT '' COMMENT 'imported rows: who imported them; empty when not imported';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'project_registrations' AND name = 'imported_at'
ALTER TABLE project_registrations ADD COLUMN imported_at Nullable(DateTime('Asia/Shanghai')) COMMENT 'imported rows: when NATS JetStream really stored the message (received_at holds the declared registration time); NULL when not imported';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'project_registrations' AND name = 'imported_by'
ALTER TABLE project_registrations ADD COLUMN imported_by String DEFAULT '' COMMENT 'imported rows: who imported them; empty when not imported';

-- The latest-revision views show whether a report was imported.
DROP TABLE IF EXISTS investment_latest;

CREATE VIEW IF NOT EXISTS investment_latest AS
SELECT project_id, department_id, period, period_start, revision,
       month_completed_wan, ytd_completed_wan, since_start_completed_wan,
       physical_progress, problems, next_steps, correction_reason,
       reported_by, reported_at, source, received_at, event_id, imported_at, imported_by
FROM investment_reports FINAL
ORDER BY project_id, period, revision DESC
LIMIT 1 BY project_id, period;

DROP TABLE IF EXISTS milestone_latest;

CREATE VIEW IF NOT EXISTS milestone_latest AS
SELECT project_id, department_id, milestone_id, revision, title, status,
       planned_date, forecast_date, actual_date, as_of, percent_complete, note,
       reported_by, source, received_at, event_id, imported_at, imported_by
FROM milestone_updates FINAL
ORDER BY project_id, milestone_id, revision DESC
LIMIT 1 BY project_id, milestone_id;
