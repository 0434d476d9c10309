-- kpp schema, migration 6: a review's board is replaced atomically.
--
-- A run no longer drops the review's rows before writing the new ones: it
-- writes them under its own run id, then records the run as complete in
-- review_runs, and only then drops the rows of the earlier runs of the
-- period. Readers (kpp, the web pages, the views below, the analysts'
-- queries) read the rows of the review's current run: the complete run
-- that started last (view review_current). A run that fails half-way
-- leaves the previous board whole and readable; the next good run
-- replaces it.
--
-- The four review tables are rebuilt, partitioned by (kind, period,
-- run_id) so that dropping an earlier run is a DROP PARTITION (no
-- mutation), and with columns wide enough for any value a department can
-- send (schema.MaxWan bounds an amount; a plan can be 0.0001 万元):
--   completion_pct, gap_pp                       Decimal(38, 2): a ratio of
--     two amounts is below 10^20 %, so 38 digits hold it exactly;
--   dispatch_totals' amounts                     Decimal(38, 4): a sum over
--     up to 2^32 projects of amounts below 10^14.
-- Each rebuild runs only while its "-- kpp:when" query says it is still
-- needed, so the migration can run again after it stopped half-way. The
-- rows are copied as they are; the runs of the copied reviews are marked
-- complete (the latest run of each review, as before).

CREATE TABLE IF NOT EXISTS review_runs
(
    kind       Enum8('weekly' = 1, 'dekad' = 2, 'monthly' = 3) COMMENT 'review kind',
    period     String COMMENT 'period key',
    run_id     String COMMENT 'the run (rollup_runs.run_id, dispatch_*.run_id)',
    state      Enum8('started' = 1, 'complete' = 2) COMMENT 'started: the run began writing its rows; complete: every row of the review is written',
    started_ns UInt64 COMMENT 'when the run began writing, nanoseconds since 1970 (orders the runs of a review)',
    at         DateTime('Asia/Shanghai') COMMENT 'when the state was recorded'
)
ENGINE = MergeTree
ORDER BY (kind, period, started_ns, run_id);

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_projects' AND position(partition_key, 'run_id') = 0
DROP TABLE IF EXISTS dispatch_projects_by_run;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_projects' AND position(partition_key, 'run_id') = 0
CREATE TABLE IF NOT EXISTS dispatch_projects_by_run
(
    kind                 Enum8('weekly' = 1, 'dekad' = 2, 'monthly' = 3) COMMENT 'review kind',
    period               String COMMENT 'period key: 2025-W39, 2025-09-D2 or 2025-09',
    period_start         Date COMMENT 'first day of the period',
    period_end           Date COMMENT 'last day of the period',
    cutoff               DateTime('Asia/Shanghai') COMMENT 'data received before this instant is reviewed: the period''s end (weekly, dekad), the second after the run started (monthly)',
    project_id           String COMMENT 'project id',
    name_zh              String COMMENT 'project name',
    region               String COMMENT 'city/county',
    category             String COMMENT 'category code',
    department_id        String COMMENT 'responsible department id',
    department_name      String COMMENT 'responsible department name',
    stage                String COMMENT 'stage code',
    report_period        String COMMENT 'month whose report the figures come from, YYYY-MM (empty when none this year)',
    reported             UInt8 COMMENT '1 when the month under review (monthly) or due (weekly, dekad) was reported by the cut-off',
    report_revision      UInt32 COMMENT 'revision of the report used (0 when none)',
    period_completed_wan Decimal(18, 4) COMMENT 'completed in the period, 万元: the month (monthly) or the rise of year-to-date since the previous review (weekly, dekad)',
    month_completed_wan  Decimal(18, 4) COMMENT 'completed in the month of report_period (本月完成), 万元',
    ytd_completed_wan    Decimal(18, 4) COMMENT 'completed January to report_period (本年累计), 万元',
    annual_plan_wan      Nullable(Decimal(18, 4)) COMMENT 'annual planned investment (年度计划), 万元; NULL when none',
    completion_pct       Nullable(Decimal(38, 2)) COMMENT 'investment completion (投资完成率) = ytd / annual plan, %',
    time_progress_pct    Decimal(9, 2) COMMENT 'time progress (序时进度), %: month/12 (monthly) or days elapsed / days in the year',
    gap_pp               Nullable(Decimal(38, 2)) COMMENT 'completion minus time progress, percentage points (negative = behind)',
    overdue_milestones   UInt16 COMMENT 'milestones past their planned date and not met at the cut-off',
    max_overdue_days     UInt32 COMMENT 'days the most overdue milestone is late at the cut-off',
    status               Enum8('unrated' = 0, 'green' = 1, 'yellow' = 2, 'red' = 3) COMMENT 'red/yellow/green rating (unrated when no annual plan)',
    reason_zh            String COMMENT 'why the status, in Chinese',
    reason_en            String COMMENT 'why the status, in English',
    short_streak         UInt16 COMMENT 'consecutive reviews of this kind, this one included, short of time progress',
    prev_status          Enum8('none' = -1, 'unrated' = 0, 'green' = 1, 'yellow' = 2, 'red' = 3) COMMENT 'status at the previous review of the same kind (none when not reviewed then)',
    change               Enum8('first' = 0, 'same' = 1, 'better' = 2, 'worse' = 3, 'newly_red' = 4, 'recovered' = 5) COMMENT 'change since the previous review: newly_red = red now and not before; recovered = green now after red or yellow',
    computed_at          DateTime('Asia/Shanghai') COMMENT 'when the rollup ran',
    run_id               String COMMENT 'the rollup run (rollup_runs.run_id)',
    responsible_unit     String COMMENT 'unit that carries the project out (责任单位), from the register',
    responsible_person   String COMMENT 'person answerable for the project (责任人), from the register',
    lead_official        String COMMENT 'leader in charge (分管领导), from the register',
    problems             String COMMENT 'problems (存在问题) of the report used (report_period, report_revision)',
    next_steps           String COMMENT 'next steps (下步计划) of the report used'
)
ENGINE = MergeTree
PARTITION BY (kind, period, run_id)
ORDER BY (kind, period, project_id);

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_projects' AND position(partition_key, 'run_id') = 0
INSERT INTO dispatch_projects_by_run SELECT * FROM dispatch_projects;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_projects' AND position(partition_key, 'run_id') = 0
RENAME TABLE dispatch_projects TO dispatch_projects_by_period, dispatch_projects_by_run TO dispatch_projects;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_projects_by_period'
DROP TABLE IF EXISTS dispatch_projects_by_period;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_totals' AND position(partition_key, 'run_id') = 0
DROP TABLE IF EXISTS dispatch_totals_by_run;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_totals' AND position(partition_key, 'run_id') = 0
CREATE TABLE IF NOT EXISTS dispatch_totals_by_run
(
    kind                 Enum8('weekly' = 1, 'dekad' = 2, 'monthly' = 3) COMMENT 'review kind',
    period               String COMMENT 'period key',
    dimension            Enum8('all' = 0, 'category' = 1, 'department' = 2, 'region' = 3) COMMENT 'what the row totals by',
    key                  String COMMENT 'the category code, department id or region; empty for all',
    label                String COMMENT 'the category''s Chinese label, the department name or the region',
    projects             UInt32 COMMENT 'projects in the group',
    reported             UInt32 COMMENT 'projects whose due report was received by the cut-off',
    missing              UInt32 COMMENT 'projects with no report for the due month after its deadline (未报送)',
    late                 UInt32 COMMENT 'projects whose report for the due month arrived after the deadline (迟报)',
    green                UInt32 COMMENT 'projects rated green',
    yellow               UInt32 COMMENT 'projects rated yellow',
    red                  UInt32 COMMENT 'projects rated red',
    unrated              UInt32 COMMENT 'projects not rated (no annual plan)',
    period_completed_wan Decimal(38, 4) COMMENT 'completed in the period, 万元',
    month_completed_wan  Decimal(38, 4) COMMENT 'completed in the months of the reports used, 万元',
    ytd_completed_wan    Decimal(38, 4) COMMENT 'completed in the year to date, 万元',
    annual_plan_wan      Decimal(38, 4) COMMENT 'annual plans of the rated projects, 万元',
    completion_pct       Nullable(Decimal(38, 2)) COMMENT 'ytd of rated projects / their annual plans, %',
    time_progress_pct    Decimal(9, 2) COMMENT 'time progress, %',
    gap_pp               Nullable(Decimal(38, 2)) COMMENT 'completion minus time progress, percentage points',
    rank                 UInt16 COMMENT 'place within the dimension in the order the meeting reads (1 = first; 0 for all)',
    computed_at          DateTime('Asia/Shanghai') COMMENT 'when the rollup ran',
    run_id               String COMMENT 'the rollup run'
)
ENGINE = MergeTree
PARTITION BY (kind, period, run_id)
ORDER BY (kind, period, dimension, key);

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_totals' AND position(partition_key, 'run_id') = 0
INSERT INTO dispatch_totals_by_run SELECT * FROM dispatch_totals;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_totals' AND position(partition_key, 'run_id') = 0
RENAME TABLE dispatch_totals TO dispatch_totals_by_period, dispatch_totals_by_run TO dispatch_totals;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_totals_by_period'
DROP TABLE IF EXISTS dispatch_totals_by_period;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_milestones' AND position(partition_key, 'run_id') = 0
DROP TABLE IF EXISTS dispatch_milestones_by_run;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_milestones' AND position(partition_key, 'run_id') = 0
CREATE TABLE IF NOT EXISTS dispatch_milestones_by_run
(
    kind                 Enum8('weekly' = 1, 'dekad' = 2, 'monthly' = 3) COMMENT 'review kind',
    period               String COMMENT 'period key',
    project_id           String COMMENT 'project id',
    name_zh              String COMMENT 'project name',
    department_id        String COMMENT 'responsible department id',
    department_name      String COMMENT 'responsible department name',
    milestone_id         String COMMENT 'milestone id',
    title                String COMMENT 'milestone title',
    alert                Enum8('due' = 1, 'overdue' = 2, 'slipped' = 3) COMMENT 'due: planned or forecast within the look-ahead days; overdue: planned date passed, not met; slipped: forecast later than at the previous review',
    status               String COMMENT 'milestone status at the cut-off (scheduled, in_progress, met, not_met; empty when never updated)',
    planned_date         Nullable(Date) COMMENT 'baseline date',
    forecast_date        Nullable(Date) COMMENT 'forecast date at the cut-off',
    prev_forecast_date   Nullable(Date) COMMENT 'forecast date at the previous review',
    days                 Int32 COMMENT 'due: days until the date; overdue: days past the planned date; slipped: days the forecast moved later since the previous review',
    computed_at          DateTime('Asia/Shanghai') COMMENT 'when the rollup ran',
    run_id               String COMMENT 'the rollup run'
)
ENGINE = MergeTree
PARTITION BY (kind, period, run_id)
ORDER BY (kind, period, alert, project_id, milestone_id);

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_milestones' AND position(partition_key, 'run_id') = 0
INSERT INTO dispatch_milestones_by_run SELECT * FROM dispatch_milestones;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_milestones' AND position(partition_key, 'run_id') = 0
RENAME TABLE dispatch_milestones TO dispatch_milestones_by_period, dispatch_milestones_by_run TO dispatch_milestones;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_milestones_by_period'
DROP TABLE IF EXISTS dispatch_milestones_by_period;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_reporting' AND position(partition_key, 'run_id') = 0
DROP TABLE IF EXISTS dispatch_reporting_by_run;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_reporting' AND position(partition_key, 'run_id') = 0
CREATE TABLE IF NOT EXISTS dispatch_reporting_by_run
(
    kind                 Enum8('weekly' = 1, 'dekad' = 2, 'monthly' = 3) COMMENT 'review kind',
    period               String COMMENT 'period key',
    report_period        String COMMENT 'the month whose report was due, YYYY-MM',
    project_id           String COMMENT 'project id',
    name_zh              String COMMENT 'project name',
    department_id        String COMMENT 'responsible department id',
    department_name      String COMMENT 'responsible department name',
    status               Enum8('on_time' = 1, 'late' = 2, 'missing' = 3) COMMENT 'on_time; late (迟报: first revision after the deadline); missing (未报送: none by the cut-off, deadline passed)',
    deadline             DateTime('Asia/Shanghai') COMMENT 'end of the reporting deadline of report_period',
    first_received_at    Nullable(DateTime('Asia/Shanghai')) COMMENT 'server time the first revision arrived',
    days_late            Int32 COMMENT 'days after the deadline the first revision arrived (late), or days since the deadline (missing)',
    computed_at          DateTime('Asia/Shanghai') COMMENT 'when the rollup ran',
    run_id               String COMMENT 'the rollup run'
)
ENGINE = MergeTree
PARTITION BY (kind, period, run_id)
ORDER BY (kind, period, department_id, project_id);

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_reporting' AND position(partition_key, 'run_id') = 0
INSERT INTO dispatch_reporting_by_run SELECT * FROM dispatch_reporting;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_reporting' AND position(partition_key, 'run_id') = 0
RENAME TABLE dispatch_reporting TO dispatch_reporting_by_period, dispatch_reporting_by_run TO dispatch_reporting;

-- kpp:when SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'dispatch_reporting_by_period'
DROP TABLE IF EXISTS dispatch_reporting_by_period;

-- The reviews stored before this migration: their latest run is complete.
-- kpp:when SELECT (SELECT count() FROM review_runs) = 0
INSERT INTO review_runs (kind, period, run_id, state, started_ns, at)
SELECT kind, period, argMax(run_id, computed_at), CAST('complete' AS Enum8('started' = 1, 'complete' = 2)),
       toUInt64(max(computed_at)) * 1000000000, max(computed_at)
FROM dispatch_projects
GROUP BY kind, period;

-- The current run of every review: the complete run that started last.
CREATE VIEW IF NOT EXISTS review_current AS
SELECT kind, period, argMax(run_id, started_ns) AS run_id, max(at) AS completed_at
FROM review_runs
WHERE state = 'complete'
GROUP BY kind, period;

-- The monthly views read the current runs only.
DROP TABLE IF EXISTS dispatch_monthly;

CREATE VIEW IF NOT EXISTS dispatch_monthly AS
SELECT period, project_id, name_zh, region, category, department_id, department_name, stage,
       reported, report_revision, month_completed_wan, ytd_completed_wan, annual_plan_wan,
       completion_pct, time_progress_pct, gap_pp, overdue_milestones, max_overdue_days,
       status, reason_zh, reason_en, prev_status, change, computed_at
FROM dispatch_projects
WHERE kind = 'monthly' AND run_id IN (SELECT run_id FROM review_current WHERE kind = 'monthly');

DROP TABLE IF EXISTS dispatch_monthly_totals;

CREATE VIEW IF NOT EXISTS dispatch_monthly_totals AS
SELECT period, dimension, key, label, projects, reported, missing, late, green, yellow, red, unrated,
       month_completed_wan, ytd_completed_wan, annual_plan_wan, completion_pct, time_progress_pct, gap_pp,
       rank, computed_at
FROM dispatch_totals
WHERE kind = 'monthly' AND run_id IN (SELECT run_id FROM review_current WHERE kind = 'monthly');
