-- kpp schema, migration 8: views that give analysts the board's answer with a
-- plain SELECT … WHERE, and the Chinese and English label of every code.
--
-- labels is one row per code of every code set, defined here (a view over a
-- constant list: the same on every server, nothing to load, replaced by a
-- later migration when a code is added). The other views put the Chinese
-- label beside each code by looking it up in labels through a CROSS JOIN
-- with a single row, which means the same on ClickHouse 18.16 and on current
-- releases. report_months joins each month's latest report to its project
-- with ANY LEFT JOIN on a right side that has one row per project, which
-- also means the same on both. Its completion_pct and gap_pp are
-- Decimal(38, 2), as on the board (migration 6): a plan of 0.0001 万元
-- gives a completion no smaller type holds, and one such report must not
-- make the view fail. The review_* views read the rows of each
-- review's current run only (review_current, migration 6): one complete
-- board per review, never the rows of a run that failed half-way or of an
-- earlier board not yet dropped. docs/analysts.md describes every column.

CREATE VIEW IF NOT EXISTS labels AS
SELECT tupleElement(l, 1) AS code_set, tupleElement(l, 2) AS code, tupleElement(l, 3) AS label_zh,
       tupleElement(l, 4) AS label_en, toUInt8(tupleElement(l, 5)) AS sort
FROM
(
    SELECT arrayJoin([
        ('category', 'transport', '交通', 'transport', 1),
        ('category', 'energy', '能源', 'energy', 2),
        ('category', 'water', '水利', 'water', 3),
        ('category', 'industry', '产业', 'industry', 4),
        ('category', 'public', '社会民生', 'public services', 5),
        ('category', 'urban', '城市更新', 'urban renewal', 6),
        ('category', 'environment', '生态环境', 'environment', 7),
        ('stage', 'preparation', '前期', 'preparation', 1),
        ('stage', 'planned_start', '计划开工', 'planned start', 2),
        ('stage', 'construction', '在建', 'under construction', 3),
        ('stage', 'completed', '建成', 'completed', 4),
        ('milestone_status', 'scheduled', '未开始', 'scheduled', 1),
        ('milestone_status', 'in_progress', '推进中', 'in progress', 2),
        ('milestone_status', 'met', '已完成', 'met', 3),
        ('milestone_status', 'not_met', '未完成', 'not met', 4),
        ('status', 'red', '红', 'red', 1),
        ('status', 'yellow', '黄', 'yellow', 2),
        ('status', 'green', '绿', 'green', 3),
        ('status', 'unrated', '未评级', 'unrated', 4),
        ('status', 'none', '无', 'not reviewed', 5),
        ('change', 'newly_red', '新晋红榜', 'newly red', 1),
        ('change', 'worse', '退步', 'worse', 2),
        ('change', 'same', '持平', 'same', 3),
        ('change', 'better', '好转', 'better', 4),
        ('change', 'recovered', '摘牌', 'recovered', 5),
        ('change', 'first', '首次', 'first review', 6),
        ('alert', 'overdue', '逾期', 'overdue', 1),
        ('alert', 'due', '即将到期', 'due soon', 2),
        ('alert', 'slipped', '延后', 'slipped', 3),
        ('reporting', 'on_time', '按时', 'on time', 1),
        ('reporting', 'late', '迟报', 'late', 2),
        ('reporting', 'missing', '未报送', 'missing', 3),
        ('kind', 'weekly', '周分析', 'weekly analysis', 1),
        ('kind', 'dekad', '旬调度', 'ten-day dispatch', 2),
        ('kind', 'monthly', '月例会', 'monthly review', 3),
        ('dimension', 'all', '合计', 'all', 1),
        ('dimension', 'category', '按类别', 'by category', 2),
        ('dimension', 'department', '按部门', 'by department', 3),
        ('dimension', 'region', '按地区', 'by region', 4),
        ('trigger', 'schedule', '定时', 'schedule', 1),
        ('trigger', 'catchup', '补跑', 'catch-up', 2),
        ('trigger', 'manual', '手动', 'manual', 3),
        ('trigger', 'backfill', '回补', 'backfill', 4),
        ('run_status', 'ok', '成功', 'ok', 1),
        ('run_status', 'failed', '失败', 'failed', 2),
        ('rule', 'required', '缺少必填项', 'required field missing', 1),
        ('rule', 'decode', '无法解析', 'not a JSON object of the expected shape', 2),
        ('rule', 'type', '类型错误', 'wrong JSON type', 3),
        ('rule', 'decimal', '不是数字', 'not a decimal number', 4),
        ('rule', 'scale', '小数位超过四位', 'more than four decimal places', 5),
        ('rule', 'non_negative', '不能为负数', 'below zero', 6),
        ('rule', 'range', '超出允许范围', 'outside the allowed range', 7),
        ('rule', 'period', '月份格式错误', 'not a YYYY-MM month', 8),
        ('rule', 'future_period', '月份尚未开始', 'a month that has not started', 9),
        ('rule', 'date', '日期格式错误', 'not a YYYY-MM-DD date', 10),
        ('rule', 'enum', '取值不在允许范围', 'not one of the allowed values', 11),
        ('rule', 'identifier', '标识格式错误', 'not a lower-case ASCII identifier', 12),
        ('rule', 'schema', '事件类型不符', 'names another event type', 13),
        ('rule', 'consistency', '字段前后矛盾', 'two fields contradict each other', 14),
        ('rule', 'unknown_project', '项目未登记', 'project not registered', 15),
        ('rule', 'not_owner', '非本部门项目', 'department does not own the project', 16),
        ('rule', 'subject_mismatch', '主题与内容不符', 'subject and payload disagree', 17),
        ('rule', 'subject', '主题格式错误', 'subject not kpp.v1.<department>.<kind>.<project>', 18),
        ('rule', 'storage', '存储失败', 'ClickHouse refused to store the row', 19)
    ]) AS l
);

CREATE VIEW IF NOT EXISTS report_months AS
SELECT period, period_start, year, project_id, name_zh, department_id, department_name, region,
       category, label_zhs[indexOf(label_keys, concat('category:', category))] AS category_zh,
       stage, label_zhs[indexOf(label_keys, concat('stage:', stage))] AS stage_zh,
       revision, month_completed_wan, ytd_completed_wan, since_start_completed_wan,
       annual_plan_wan, completion_pct, time_progress_pct,
       if(plan_wan > 0, toNullable(completion - time_progress_pct), NULL) AS gap_pp,
       physical_progress, problems, next_steps, reported_by, received_at
FROM
(
    SELECT period, period_start, toUInt16(toYear(period_start)) AS year, project_id, department_id, revision,
           month_completed_wan, ytd_completed_wan, since_start_completed_wan,
           physical_progress, problems, next_steps, reported_by, received_at,
           name_zh, department_name, region, category, stage,
           plan_annual_wan[indexOf(plan_years, year)] AS plan_wan,
           if(indexOf(plan_years, year) = 0, NULL, toNullable(plan_wan)) AS annual_plan_wan,
           toDecimal128(round(toDecimal128(ytd_completed_wan, 10) * 100 / if(plan_wan > 0, plan_wan, toDecimal64(1, 4)), 2), 2) AS completion,
           if(plan_wan > 0, toNullable(completion), NULL) AS completion_pct,
           toDecimal32(round(toDecimal64(toMonth(period_start), 4) * 100 / 12, 2), 2) AS time_progress_pct
    FROM investment_latest
    ANY LEFT JOIN
    (
        SELECT project_id, name_zh, department_name, region, category, stage, plan_years, plan_annual_wan
        FROM projects
    ) AS p USING (project_id)
) AS r
CROSS JOIN
(
    SELECT groupArray(concat(code_set, ':', code)) AS label_keys, groupArray(label_zh) AS label_zhs FROM labels
) AS l;

CREATE VIEW IF NOT EXISTS review_projects AS
SELECT kind, label_zhs[indexOf(label_keys, concat('kind:', toString(kind)))] AS kind_zh,
       period, period_start, period_end, cutoff, project_id, name_zh, region,
       category, label_zhs[indexOf(label_keys, concat('category:', category))] AS category_zh,
       department_id, department_name,
       stage, label_zhs[indexOf(label_keys, concat('stage:', stage))] AS stage_zh,
       responsible_unit, responsible_person, lead_official,
       report_period, reported, report_revision, period_completed_wan, month_completed_wan, ytd_completed_wan,
       annual_plan_wan, completion_pct, time_progress_pct, gap_pp, overdue_milestones, max_overdue_days,
       status, label_zhs[indexOf(label_keys, concat('status:', toString(status)))] AS status_zh,
       reason_zh, reason_en, short_streak,
       prev_status, label_zhs[indexOf(label_keys, concat('status:', toString(prev_status)))] AS prev_status_zh,
       change, label_zhs[indexOf(label_keys, concat('change:', toString(change)))] AS change_zh,
       problems, next_steps, computed_at, run_id
FROM dispatch_projects AS d
CROSS JOIN
(
    SELECT groupArray(concat(code_set, ':', code)) AS label_keys, groupArray(label_zh) AS label_zhs FROM labels
) AS l
WHERE run_id IN (SELECT run_id FROM review_current);

CREATE VIEW IF NOT EXISTS review_totals AS
SELECT kind, label_zhs[indexOf(label_keys, concat('kind:', toString(kind)))] AS kind_zh, period,
       dimension, label_zhs[indexOf(label_keys, concat('dimension:', toString(dimension)))] AS dimension_zh,
       key, label, rank, projects, reported, missing, late, green, yellow, red, unrated,
       period_completed_wan, month_completed_wan, ytd_completed_wan, annual_plan_wan,
       completion_pct, time_progress_pct, gap_pp, computed_at
FROM dispatch_totals AS d
CROSS JOIN
(
    SELECT groupArray(concat(code_set, ':', code)) AS label_keys, groupArray(label_zh) AS label_zhs FROM labels
) AS l
WHERE run_id IN (SELECT run_id FROM review_current);

CREATE VIEW IF NOT EXISTS review_reporting AS
SELECT kind, label_zhs[indexOf(label_keys, concat('kind:', toString(kind)))] AS kind_zh, period, report_period,
       project_id, name_zh, department_id, department_name,
       status, label_zhs[indexOf(label_keys, concat('reporting:', toString(status)))] AS status_zh,
       deadline, first_received_at, days_late, computed_at, run_id
FROM dispatch_reporting AS d
CROSS JOIN
(
    SELECT groupArray(concat(code_set, ':', code)) AS label_keys, groupArray(label_zh) AS label_zhs FROM labels
) AS l
WHERE run_id IN (SELECT run_id FROM review_current);

CREATE VIEW IF NOT EXISTS review_milestones AS
SELECT kind, label_zhs[indexOf(label_keys, concat('kind:', toString(kind)))] AS kind_zh, period,
       project_id, name_zh, department_id, department_name, milestone_id, title,
       alert, label_zhs[indexOf(label_keys, concat('alert:', toString(alert)))] AS alert_zh,
       status, if(status = '', '未更新', label_zhs[indexOf(label_keys, concat('milestone_status:', status))]) AS status_zh,
       planned_date, forecast_date, prev_forecast_date, days, computed_at, run_id
FROM dispatch_milestones AS d
CROSS JOIN
(
    SELECT groupArray(concat(code_set, ':', code)) AS label_keys, groupArray(label_zh) AS label_zhs FROM labels
) AS l
WHERE run_id IN (SELECT run_id FROM review_current);
