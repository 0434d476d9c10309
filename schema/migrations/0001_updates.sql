-- kpp schema, migration 1: the stored updates.
-- Runs on ClickHouse 18.16 and current releases. Statements are separated by
-- a semicolon at the end of a line. Tables are created in the connection's
-- database (kpp by default). Money columns are 万元 as Decimal(18,4).
--
-- Every table below is written by ingest with one row per event id. They use
-- ReplacingMergeTree(keep_rank): keep_rank = 2^64-1 - stream_seq, so when the
-- same event was stored twice the copy received first is the one kept. Read
-- them through the views (projects, investment_latest, milestone_latest) or
-- with FINAL: those reads do not depend on merges having happened.

CREATE TABLE IF NOT EXISTS project_registrations
(
    event_id             String COMMENT 'event id: hash of (project, project_id, revision); also the NATS message id',
    project_id           String COMMENT 'stable project id, e.g. qingyuan-pumped-storage',
    revision             UInt32 COMMENT 'registration revision; the highest is current',
    name_zh              String COMMENT 'project name in Chinese',
    name_en              String COMMENT 'English gloss of the name (may be empty)',
    region               String COMMENT 'city/county, e.g. 丽水市庆元县',
    category             String COMMENT 'transport, energy, water, industry, public, urban or environment',
    stage                String COMMENT 'preparation (前期), planned_start (计划开工), construction (在建) or completed (建成)',
    department_id        String COMMENT 'responsible department id; the only department that may report for the project',
    department_name      String COMMENT 'responsible department name, e.g. 庆元县发展和改革局',
    total_investment_wan Nullable(Decimal(18, 4)) COMMENT 'total investment (总投资), 万元; NULL when not stated',
    plan_years           Array(UInt16) COMMENT 'years with an annual investment plan',
    plan_annual_wan      Array(Decimal(18, 4)) COMMENT 'annual planned investment (年度计划投资) per year in plan_years, 万元',
    plan_monthly_wan     Array(Array(Decimal(18, 4))) COMMENT 'phased monthly plan (分月计划) per year in plan_years: 12 amounts in 万元, or empty',
    milestone_ids        Array(String) COMMENT 'planned milestone ids',
    milestone_titles     Array(String) COMMENT 'planned milestone titles, e.g. 主体工程开工',
    milestone_planned    Array(Date) COMMENT 'planned dates of the milestones',
    synthetic_fields     Array(String) COMMENT 'fields whose values are synthetic (demo data not taken from a source)',
    reported_by          String COMMENT 'who registered it',
    source               String COMMENT 'how it entered: cli, csv, jsonl, api, web, xlsx, demo',
    received_at          DateTime('Asia/Shanghai') COMMENT 'server time NATS JetStream stored the message',
    stream_seq           UInt64 COMMENT 'sequence in the KPP_UPDATES stream',
    keep_rank            UInt64 COMMENT 'dedup version: the first stored copy of an event wins',
    ingested_at          DateTime('Asia/Shanghai') COMMENT 'when ingest wrote the row'
)
ENGINE = ReplacingMergeTree(keep_rank)
ORDER BY (project_id, revision);

CREATE TABLE IF NOT EXISTS investment_reports
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
ORDER BY (project_id, period, revision);

CREATE TABLE IF NOT EXISTS milestone_updates
(
    event_id         String COMMENT 'event id: hash of (milestone, project_id, milestone_id, revision)',
    project_id       String COMMENT 'project id',
    department_id    String COMMENT 'reporting department id',
    milestone_id     String COMMENT 'milestone id, e.g. main-works-start',
    revision         UInt32 COMMENT 'update revision per milestone; the highest is current',
    title            String COMMENT 'milestone title, e.g. 通风兼安全洞贯通',
    status           String COMMENT 'scheduled, in_progress, met or not_met',
    planned_date     Nullable(Date) COMMENT 'baseline date',
    forecast_date    Nullable(Date) COMMENT 'currently expected date',
    actual_date      Nullable(Date) COMMENT 'date reached (when met)',
    as_of            Date COMMENT 'date of the assessment',
    percent_complete Nullable(Decimal(9, 4)) COMMENT 'percent complete, 0-100',
    note             String COMMENT 'note',
    reported_by      String COMMENT 'clerk or system that reported',
    source           String COMMENT 'how it entered',
    received_at      DateTime('Asia/Shanghai') COMMENT 'server time NATS JetStream stored the message',
    stream_seq       UInt64 COMMENT 'sequence in the KPP_UPDATES stream',
    keep_rank        UInt64 COMMENT 'dedup version: the first stored copy of an event wins',
    ingested_at      DateTime('Asia/Shanghai') COMMENT 'when ingest wrote the row'
)
ENGINE = ReplacingMergeTree(keep_rank)
ORDER BY (project_id, milestone_id, revision);

CREATE TABLE IF NOT EXISTS rejected_updates
(
    stream_seq    UInt64 COMMENT 'sequence of the rejected message in the KPP_UPDATES stream',
    dlq_seq       UInt64 COMMENT 'sequence of its copy in the KPP_DEADLETTER stream (kpp dlq replay --seq)',
    subject       String COMMENT 'subject it arrived on, kpp.v1.<department>.<kind>.<project>',
    department_id String COMMENT 'department from the subject',
    kind          String COMMENT 'kind from the subject: project, investment or milestone',
    project_id    String COMMENT 'project from the subject',
    event_id      String COMMENT 'event id, when the payload could be decoded',
    rule          String COMMENT 'first rule broken, e.g. unknown_project, period, decimal',
    reason_en     String COMMENT 'every problem, in English',
    reason_zh     String COMMENT 'every problem, in Chinese',
    errors        String COMMENT 'JSON list of {field, value, rule, message_zh, message_en}',
    payload       String COMMENT 'the raw message body as received',
    received_at   DateTime('Asia/Shanghai') COMMENT 'server time NATS JetStream stored the message',
    rejected_at   DateTime('Asia/Shanghai') COMMENT 'when ingest rejected it'
)
ENGINE = ReplacingMergeTree
ORDER BY stream_seq;

CREATE VIEW IF NOT EXISTS projects AS
SELECT project_id, revision, name_zh, name_en, region, category, stage, department_id, department_name,
       total_investment_wan, plan_years, plan_annual_wan, plan_monthly_wan,
       milestone_ids, milestone_titles, milestone_planned, synthetic_fields,
       reported_by, source, received_at, event_id
FROM project_registrations FINAL
ORDER BY project_id, revision DESC
LIMIT 1 BY project_id;

CREATE VIEW IF NOT EXISTS project_plans AS
SELECT project_id, department_id, category, region, plan_year AS year, plan_wan AS annual_plan_wan
FROM projects
ARRAY JOIN plan_years AS plan_year, plan_annual_wan AS plan_wan;

CREATE VIEW IF NOT EXISTS project_milestones AS
SELECT project_id, department_id, ms_id AS milestone_id, ms_title AS title, ms_planned AS planned_date
FROM projects
ARRAY JOIN milestone_ids AS ms_id, milestone_titles AS ms_title, milestone_planned AS ms_planned;

CREATE VIEW IF NOT EXISTS investment_latest AS
SELECT project_id, department_id, period, period_start, revision,
       month_completed_wan, ytd_completed_wan, since_start_completed_wan,
       physical_progress, problems, next_steps, correction_reason,
       reported_by, reported_at, source, received_at, event_id
FROM investment_reports FINAL
ORDER BY project_id, period, revision DESC
LIMIT 1 BY project_id, period;

CREATE VIEW IF NOT EXISTS milestone_latest AS
SELECT project_id, department_id, milestone_id, revision, title, status,
       planned_date, forecast_date, actual_date, as_of, percent_complete, note,
       reported_by, source, received_at, event_id
FROM milestone_updates FINAL
ORDER BY project_id, milestone_id, revision DESC
LIMIT 1 BY project_id, milestone_id;
