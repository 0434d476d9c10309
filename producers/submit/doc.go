// Package submit is the producer behind `kpp submit FILE...`: it reads
// departments' reports from JSON Lines and CSV files, validates every record
// before publishing anything, and publishes the valid files to NATS
// JetStream in atomic batches, with a receipt. [Publisher.PublishEvents]
// does the same for events built in code (kpp demo, benchmarks).
//
// # JSON Lines (.jsonl, .ndjson)
//
// One event object per line, as defined in package schema; the "schema"
// field names the kind (kpp.project.v1, kpp.investment_report.v1,
// kpp.milestone_update.v1). Blank lines are skipped; a UTF-8 BOM is
// allowed. Project registrations, with their nested annual plans and
// milestones, come only in this format. Example:
//
//	{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"王敏","project_id":"qingyuan-pumped-storage","period":"2025-08","month_completed_wan":"12000.5","ytd_completed_wan":"98000","since_start_completed_wan":"356000"}
//
// # CSV (.csv)
//
// UTF-8, optionally with a BOM, comma-separated (RFC 4180: a cell holding
// a comma, quote or line break is quoted). A file holds one kind, told by
// its header row: a milestone_id (节点编号) column means milestone updates, a
// period (月份) column investment reports. A header cell is the English
// name (the JSON field, any case) or a Chinese name; spaces around it are
// ignored, and a unit may follow in ASCII or full-width parentheses, e.g.
// "本月完成投资（万元）" — but it must be the column's unit, so that
// "本月完成投资（元）" is refused instead of read ten thousand times too
// large. An unknown or repeated column is an error that lists the accepted
// names; an empty header cell is allowed only over empty cells.
//
// Columns of both kinds (* required):
//
//	project_id *           项目编号
//	department_id *        部门编号, 责任单位编号
//	revision               版本, 版本号               empty or absent: 1
//	reported_by *          填报人
//	reported_at            填报时间                   2025-10-03 09:30 (Asia/Shanghai) or RFC 3339
//	source                 来源                       empty: csv
//	schema                 事件类型                   empty: the kind's schema id
//
// Investment reports (kpp.investment_report.v1):
//
//	period *                      月份, 报告期                               2025-09; 2025/9 and 2025年9月 are read as 2025-09
//	month_completed_wan *         本月完成投资, 本月完成 (万元)
//	ytd_completed_wan *           本年累计完成, 本年累计完成投资 (万元)
//	since_start_completed_wan     自开工累计完成, 开累完成, 自开工累计完成投资 (万元)
//	physical_progress             形象进度
//	problems                      存在问题
//	next_steps                    下步计划
//	correction_reason             更正原因                                   required when revision > 1
//
// Milestone updates (kpp.milestone_update.v1):
//
//	milestone_id *         节点编号
//	title                  节点名称
//	status *               状态              scheduled/未开始, in_progress/推进中, met/已完成, not_met/未完成
//	planned_date           计划日期          2025-09-30; 2025/9/30 and 2025年9月30日 are read as 2025-09-30
//	forecast_date          预计日期
//	actual_date            实际日期          required when met
//	as_of *                评估日期
//	percent_complete       完成百分比 (%)    0-100; "60%" is read as 60
//	note                   备注
//
// Amounts are in 万元, exact decimals of at most four places; thousands
// separators ("13,500.25", quoted) are accepted, anything else that is not
// a number ("12万") is an error. Blank rows are skipped.
//
// # Validation
//
// Every record remembers its file and line. Before anything is published,
// each record is decoded, validated by its schema (Validate, with
// [Config.Now] for "not in the future"), and checked for ownership with
// schema.Owners.CheckOwner against the KPP_PROJECTS key-value bucket
// (written by ingest) and the registrations accepted earlier in the same
// submission, in file order. The same event id twice in a submission with
// different content (source and reported_at aside) is a problem naming both
// lines; with the same content it is published once (counted as repeated).
//
// Every problem is a [Problem]: file, line, field, value and what is
// expected, in English and Chinese, rendered as
//
//	reports.csv:3: period: "2025-13": "2025-13" is not a month; expected YYYY-MM with month 01-12, e.g. 2025-09 (不是有效月份，应为 YYYY-MM（月份01-12），如 2025-09)
//
// A file with any problem publishes nothing, unless [Config.SkipInvalid]
// is set: then its valid records are published and the invalid ones listed.
// A header or CSV syntax problem rejects the file either way. Problems come
// back as an [*InvalidError] together with the receipt; the caller chooses
// the exit status.
//
// # Publishing
//
// [schema.EnsureStreams] runs first. Each event is published on
// schema.Subject (kpp.v1.<department>.<kind>.<project>) with its JSON as
// the body and Nats-Msg-Id = schema.EventID, so a report sent twice is
// stored once. A file is published registrations first, then in line
// order, as JetStream atomic batches of up to [Config.BatchSize] (1000)
// messages: a file of up to 1000 records is stored all or nothing.
// JetStream rejects a whole atomic batch that holds a message id it has
// already stored (error 10201); that batch is then published one message
// at a time, and each acknowledgement says whether the message was new or
// a duplicate. Re-submitting a file is therefore safe and stores nothing
// twice within the stream's duplicate window (24 hours by default; after
// it, ingest still stores each event id once). A duplicate is compared with
// the stored message: when its content differs (source and reported_at
// aside), the record was changed without a new revision and was not
// stored; it is counted as a conflict and reported as a problem.
//
// # Receipt
//
// A [Receipt] lists per file the records read, valid, invalid, published,
// duplicates (already stored), conflicts and repeated, its status, the batches with
// their batch ids and first/last stream sequences, every published event
// (event id, subject, stream sequence) and every problem.
// [Receipt.WriteText] prints a summary; [Receipt.WriteJSON] the whole.
package submit
