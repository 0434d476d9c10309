-- kpp schema, migration 9: the reporting calendar in force, as data.
--
-- Every rollup run writes, for each month from the December before its
-- year to the December of its year, when that month's investment report is
-- due under the rules it ran with (consumers/rating: [deadline] of the
-- rules file; the default is the 5th of the next month). Lateness questions
-- join this table instead of hard-coding the 5th. The latest row of a month
-- is the calendar in force: read it with FINAL.

CREATE TABLE IF NOT EXISTS reporting_deadlines
(
    month        String COMMENT 'month whose investment report is due (YYYY-MM)',
    month_start  Date COMMENT 'first day of that month',
    last_day     Date COMMENT 'last day on which its report is on time, that day included',
    deadline     DateTime('Asia/Shanghai') COMMENT 'when the deadline passes: midnight after last_day; a first revision received at or after it is late (迟报)',
    day          UInt8 COMMENT 'the rule: the calendar day, or with working_days the working day, of the next month the report is due by',
    working_days UInt8 COMMENT '1 when day counts working days (Monday to Friday, less holidays, plus make-up days), 0 for calendar days',
    holidays     Array(Date) COMMENT 'public holidays on weekdays of the month after month (not working days)',
    workdays     Array(Date) COMMENT 'make-up working days (调休) on weekends of the month after month',
    run_id       String COMMENT 'the rollup run that wrote the row (rollup_runs.run_id)',
    written_at   DateTime('Asia/Shanghai') COMMENT 'when the rollup wrote the row; the latest row of a month is the calendar in force'
)
ENGINE = ReplacingMergeTree(written_at)
ORDER BY month;
