-- kpp schema, migration 2: the monthly dispatch board (月例会 红黄绿榜).
-- Written by `kpp rollup monthly`: a run drops the month's partition and
-- inserts it again, so a re-run replaces the month's rows and never adds.

CREATE TABLE IF NOT EXISTS dispatch_monthly
(
    period              String COMMENT 'month reviewed, YYYY-MM',
    project_id          String COMMENT 'project id',
    name_zh             String COMMENT 'project name',
    region              String COMMENT 'city/county',
    category            String COMMENT 'category code',
    department_id       String COMMENT 'responsible department id',
    department_name     String COMMENT 'responsible department name',
    stage               String COMMENT 'stage code',
    reported            UInt8 COMMENT '1 when a report for the month was received, 0 when missing (未报送)',
    report_revision     UInt32 COMMENT 'revision of the month''s report used (0 when missing)',
    month_completed_wan Decimal(18, 4) COMMENT 'completed in the month (本月完成), 万元; 0 when missing',
    ytd_completed_wan   Decimal(18, 4) COMMENT 'completed January to the month (本年累计), 万元; the latest earlier report of the year when missing',
    annual_plan_wan     Nullable(Decimal(18, 4)) COMMENT 'annual planned investment (年度计划), 万元; NULL when none',
    completion_pct      Nullable(Decimal(9, 2)) COMMENT 'investment completion (投资完成率) = ytd / annual plan, %',
    time_progress_pct   Decimal(9, 2) COMMENT 'time progress (序时进度) = month / 12, %',
    gap_pp              Nullable(Decimal(9, 2)) COMMENT 'completion minus time progress, percentage points (negative = behind)',
    overdue_milestones  UInt16 COMMENT 'milestones past their planned date and not met at the end of the month',
    max_overdue_days    UInt32 COMMENT 'days the most overdue milestone is late at the end of the month',
    status              Enum8('unrated' = 0, 'green' = 1, 'yellow' = 2, 'red' = 3) COMMENT 'red/yellow/green rating (unrated when no annual plan)',
    reason_zh           String COMMENT 'why the status, in Chinese',
    reason_en           String COMMENT 'why the status, in English',
    computed_at         DateTime('Asia/Shanghai') COMMENT 'when the rollup ran'
)
ENGINE = MergeTree
PARTITION BY period
ORDER BY (period, project_id);

CREATE TABLE IF NOT EXISTS dispatch_monthly_totals
(
    period              String COMMENT 'month reviewed, YYYY-MM',
    dimension           Enum8('all' = 0, 'category' = 1, 'department' = 2, 'region' = 3) COMMENT 'what the row totals by',
    key                 String COMMENT 'the category code, department id or region; empty for all',
    label               String COMMENT 'the category''s Chinese label, the department name or the region',
    projects            UInt32 COMMENT 'projects in the group',
    reported            UInt32 COMMENT 'projects with a report for the month',
    green               UInt32 COMMENT 'projects rated green',
    yellow              UInt32 COMMENT 'projects rated yellow',
    red                 UInt32 COMMENT 'projects rated red',
    unrated             UInt32 COMMENT 'projects not rated (no annual plan)',
    month_completed_wan Decimal(18, 4) COMMENT 'completed in the month, 万元',
    ytd_completed_wan   Decimal(18, 4) COMMENT 'completed in the year to date, 万元',
    annual_plan_wan     Decimal(18, 4) COMMENT 'annual plans of the rated projects, 万元',
    completion_pct      Nullable(Decimal(9, 2)) COMMENT 'ytd of rated projects / their annual plans, %',
    time_progress_pct   Decimal(9, 2) COMMENT 'time progress, %',
    gap_pp              Nullable(Decimal(9, 2)) COMMENT 'completion minus time progress, percentage points',
    computed_at         DateTime('Asia/Shanghai') COMMENT 'when the rollup ran'
)
ENGINE = MergeTree
PARTITION BY period
ORDER BY (period, dimension, key);
