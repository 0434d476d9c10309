-- kpp schema, migration 2: the dispatch reviews (周分析 weekly, 旬调度 dekad,
-- 月例会 monthly) and the runs that computed them.
-- Written by the rollups: a run drops its (kind, period) partition and
-- inserts it again, so a re-run replaces the period's rows and never adds.
-- Periods are keyed 2025-W39 (ISO week), 2025-09-D2 (ten days: D1 1st-10th,
-- D2 11th-20th, D3 21st-end) and 2025-09 (month).

CREATE TABLE IF NOT EXISTS dispatch_projects
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
    completion_pct       Nullable(Decimal(9, 2)) COMMENT 'investment completion (投资完成率) = ytd / annual plan, %',
    time_progress_pct    Decimal(9, 2) COMMENT 'time progress (序时进度), %: month/12 (monthly) or days elapsed / days in the year',
    gap_pp               Nullable(Decimal(9, 2)) COMMENT 'completion minus time progress, percentage points (negative = behind)',
    overdue_milestones   UInt16 COMMENT 'milestones past their planned date and not met at the cut-off',
    max_overdue_days     UInt32 COMMENT 'days the most overdue milestone is late at the cut-off',
    status               Enum8('unrated' = 0, 'green' = 1, 'yellow' = 2, 'red' = 3) COMMENT 'red/yellow/green rating (unrated when no annual plan)',
    reason_zh            String COMMENT 'why the status, in Chinese',
    reason_en            String COMMENT 'why the status, in English',
    short_streak         UInt16 COMMENT 'consecutive reviews of this kind, this one included, short of time progress',
    prev_status          Enum8('none' = -1, 'unrated' = 0, 'green' = 1, 'yellow' = 2, 'red' = 3) COMMENT 'status at the previous review of the same kind (none when not reviewed then)',
    change               Enum8('first' = 0, 'same' = 1, 'better' = 2, 'worse' = 3, 'newly_red' = 4, 'recovered' = 5) COMMENT 'change since the previous review: newly_red = red now and not before; recovered = green now after red or yellow',
    computed_at          DateTime('Asia/Shanghai') COMMENT 'when the rollup ran',
    run_id               String COMMENT 'the rollup run (rollup_runs.run_id)'
)
ENGINE = MergeTree
PARTITION BY (kind, period)
ORDER BY (kind, period, project_id);

CREATE TABLE IF NOT EXISTS dispatch_totals
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
    period_completed_wan Decimal(18, 4) COMMENT 'completed in the period, 万元',
    month_completed_wan  Decimal(18, 4) COMMENT 'completed in the months of the reports used, 万元',
    ytd_completed_wan    Decimal(18, 4) COMMENT 'completed in the year to date, 万元',
    annual_plan_wan      Decimal(18, 4) COMMENT 'annual plans of the rated projects, 万元',
    completion_pct       Nullable(Decimal(9, 2)) COMMENT 'ytd of rated projects / their annual plans, %',
    time_progress_pct    Decimal(9, 2) COMMENT 'time progress, %',
    gap_pp               Nullable(Decimal(9, 2)) COMMENT 'completion minus time progress, percentage points',
    rank                 UInt16 COMMENT 'place within the dimension in the order the meeting reads (1 = first; 0 for all)',
    computed_at          DateTime('Asia/Shanghai') COMMENT 'when the rollup ran',
    run_id               String COMMENT 'the rollup run'
)
ENGINE = MergeTree
PARTITION BY (kind, period)
ORDER BY (kind, period, dimension, key);

CREATE TABLE IF NOT EXISTS dispatch_milestones
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
PARTITION BY (kind, period)
ORDER BY (kind, period, alert, project_id, milestone_id);

CREATE TABLE IF NOT EXISTS dispatch_reporting
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
PARTITION BY (kind, period)
ORDER BY (kind, period, department_id, project_id);

CREATE TABLE IF NOT EXISTS rollup_runs
(
    run_id      String COMMENT 'unique id of the run',
    kind        Enum8('weekly' = 1, 'dekad' = 2, 'monthly' = 3) COMMENT 'review kind',
    period      String COMMENT 'period key',
    trigger     Enum8('schedule' = 1, 'catchup' = 2, 'manual' = 3, 'backfill' = 4) COMMENT 'what started it',
    replica     String COMMENT 'the kpp process that ran it (host and pid)',
    status      Enum8('ok' = 1, 'failed' = 2) COMMENT 'how it ended',
    error       String COMMENT 'why it failed (empty when ok)',
    started_at  DateTime('Asia/Shanghai') COMMENT 'when it started',
    finished_at DateTime('Asia/Shanghai') COMMENT 'when it ended',
    duration_ms UInt64 COMMENT 'how long it took, milliseconds',
    rows        UInt64 COMMENT 'rows written',
    green       UInt32 COMMENT 'projects rated green',
    yellow      UInt32 COMMENT 'projects rated yellow',
    red         UInt32 COMMENT 'projects rated red',
    unrated     UInt32 COMMENT 'projects not rated',
    rules       String COMMENT 'the rating rules used, as JSON'
)
ENGINE = MergeTree
ORDER BY (kind, period, started_at);

CREATE VIEW IF NOT EXISTS dispatch_monthly AS
SELECT period, project_id, name_zh, region, category, department_id, department_name, stage,
       reported, report_revision, month_completed_wan, ytd_completed_wan, annual_plan_wan,
       completion_pct, time_progress_pct, gap_pp, overdue_milestones, max_overdue_days,
       status, reason_zh, reason_en, prev_status, change, computed_at
FROM dispatch_projects
WHERE kind = 'monthly';

CREATE VIEW IF NOT EXISTS dispatch_monthly_totals AS
SELECT period, dimension, key, label, projects, reported, missing, late, green, yellow, red, unrated,
       month_completed_wan, ytd_completed_wan, annual_plan_wan, completion_pct, time_progress_pct, gap_pp,
       rank, computed_at
FROM dispatch_totals
WHERE kind = 'monthly';
