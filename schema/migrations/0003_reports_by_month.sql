-- kpp schema, migration 3: investment_reports partitioned by month.
--
-- A province stores a decade of monthly reports. Partitioned by the reported
-- month, every lookup of a month's reports reads only that month: ingest's
-- duplicate check (the batch's keys by the sorting key, in the partitions of
-- the batch's months) costs the same with ten years stored as with none, and
-- a review reads only the months of its year. Nothing else changes: same
-- columns, same sorting key, same ReplacingMergeTree(keep_rank).
--
-- The table is rebuilt: copied into a partitioned table that then takes its
-- name. Each statement runs only while its "-- kpp:when" query says it is
-- still needed, so the migration can run again after it stopped half-way.
-- Rows written by another ingest replica during the copy are copied again
-- after the rename. The old table is kept as investment_reports_unpartitioned:
-- drop it once the counts match (docs/ingest.md, "Upgrading to migration 3").

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'investment_reports' AND partition_key = ''
DROP TABLE IF EXISTS investment_reports_by_month;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'investment_reports' AND partition_key = ''
CREATE TABLE IF NOT EXISTS investment_reports_by_month
(
    event_id                  String COMMENT 'event id: hash of (investment, project_id, period, revision); also the NATS message id',
    project_id                String COMMENT 'project id',
    department_id             String COMMENT 'reporting department id',
    period                    String COMMENT 'reported month, YYYY-MM',
    period_start              Date COMMENT 'first day of the reported month',
    revision                  UInt32 COMMENT 'report revision; a correction has a higher one',
    month_completed_wan       Decimal(18, 4) COMMENT 'investment completed in the month (本月完成), 万元',
    ytd_completed_wan         Decimal(18, 4) COMMENT 'completed January to the month (本年累计), 万元',
    since_start_completed_wan Nullable(Decimal(18, 4)) COMMENT 'completed since the project started (开累), 万元',
    physical_progress         String COMMENT 'state of the works (形象进度)',
    problems                  String COMMENT 'problems (存在问题)',
    next_steps                String COMMENT 'next steps (下步计划)',
    correction_reason         String COMMENT 'why this revision corrects an earlier one',
    reported_by               String COMMENT 'clerk or system that reported',
    reported_at               Nullable(DateTime('Asia/Shanghai')) COMMENT 'client time of reporting (informational)',
    source                    String COMMENT 'how it entered: cli, csv, jsonl, api, web, xlsx, demo',
    received_at               DateTime('Asia/Shanghai') COMMENT 'server time NATS JetStream stored the message; decides lateness',
    stream_seq                UInt64 COMMENT 'sequence in the KPP_UPDATES stream',
    keep_rank                 UInt64 COMMENT 'dedup version: the first stored copy of an event wins',
    ingested_at               DateTime('Asia/Shanghai') COMMENT 'when ingest wrote the row'
)
ENGINE = ReplacingMergeTree(keep_rank)
PARTITION BY toYYYYMM(period_start)
ORDER BY (project_id, period, revision);

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'investment_reports' AND partition_key = ''
INSERT INTO investment_reports_by_month SELECT * FROM investment_reports;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'investment_reports' AND partition_key = ''
RENAME TABLE investment_reports TO investment_reports_unpartitioned, investment_reports_by_month TO investment_reports;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'investment_reports_unpartitioned'
INSERT INTO investment_reports
SELECT * FROM investment_reports_unpartitioned
WHERE stream_seq NOT IN (SELECT stream_seq FROM investment_reports);

-- A new database had nothing to copy: drop the empty old table.
-- kpp:when SELECT (SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'investment_reports_unpartitioned') = 1 AND (SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'investment_reports_unpartitioned' AND active) = 0
DROP TABLE IF EXISTS investment_reports_unpartitioned;
