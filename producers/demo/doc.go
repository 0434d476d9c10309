// Package demo builds the demo portfolio of kpp: the key projects named in
// the source documents (seed-projects.json, embedded) as project
// registrations, and a deterministic year of monthly investment reports and
// milestone updates for them, as schema events ready to publish. `kpp demo`
// publishes them to show the whole pipeline with believable data.
//
// # Facts and synthetic values
//
// Every fact from the sources is kept: project ids, Chinese and English
// names, regions, categories, stages, the departments the sources name,
// milestone names, years (and the month where one is given) and statuses,
// and the figures the sources state year by year (investment_history: the
// annual plans of 2018 and 2025, the completed investments of 2017, one
// total investment). What the sources leave out is filled with plausible
// values from a seeded generator — the same [Config] always gives the same
// events, byte for byte — and marked:
//
//   - [schema.Project.SyntheticFields] names the synthetic fields of a
//     registration: "department_id" (always: the seed has no ids),
//     "department_name" (unless the source names the department; the
//     seed's "implied" departments — 交通运输局, 发改局, … inferred from the
//     sector — are not in the sources), "stage" (the six projects whose
//     source states none are registered as 前期), "total_investment_wan",
//     "annual_plans[year=YYYY]" (amount and monthly phasing of that year's
//     plan) and "milestones[].planned_date" (the sources give a
//     milestone's year, at most its month; the day is made up).
//   - Every report carries Source "demo": its figures are synthetic, except
//     where its physical_progress quotes the source (the December reports
//     of earlier years that carry a stated completed investment). A 2017
//     target derived from a stated completed investment and its completion
//     rate (衢宁铁路庆元段: 4.67亿元 = 133%) counts as stated.
//   - A milestone the sources show missed (a planned step a later document
//     shows not done) is scheduled at the start of its year, in progress at
//     its end with the note 未按计划完成（据后续文件） and a moved forecast,
//     and reached 6-18 months after its planned date; the forecast and the
//     date it is reached are synthetic, and the notes say so (演示数据).
//   - Milestones of 2025 (the latest sources) open at the source are
//     assessed every quarter until reached: most on time, about one in six
//     1-5 months late (the forecast moved at the first quarter's end past
//     the planned date), and a few hand-written stories slip by up to 13
//     months. Every milestone is reached within 400 days of its planned
//     date, so a board on any date shows overdue milestones by realistic
//     margins, never for years.
//
// # The story of the default year
//
// With the defaults (year 2025, reports through 2025-09) the monthly board
// of September is worth looking at: most projects are green; four are red
// (three behind time progress by more than 10 points, and 丽水机场, whose 通航
// milestone is more than 30 days overdue; the four projects whose start or
// progress the 2017 review names as missed reached it in 2018); five are
// yellow (four slightly behind, and 濛杨线农村公路改造提升工程, which did not
// report for the latest month and is rated on its August year-to-date); the
// projects in preparation (前期) and those already completed (建成) have no
// annual plan and are not rated; and 庆元抽水蓄能电站 corrected its June
// report (revision 2 with a correction reason, reported on 15 July). Other
// years and months give valid data with the same mix of paces, but the
// milestone dates keep their real years.
//
// # Submission times
//
// Every event's ReportedAt is when the story says it was submitted: a
// month's report between the 1st and the 5th of the next month (the
// deadline), except the [LateReporters]' late months (the 7th-12th).
// `kpp demo` imports the history with these as declared submission times
// (producers/history), so lateness on its boards follows them.
//
// # Bad messages
//
// [BadMessages] returns a few invalid payloads with their subjects — an
// unknown project, period "2025-13", a negative amount, a department
// reporting for another department's project (the departments of
// [Portfolio]) — which the demo publishes as they are, to show the
// dead-letter path.
package demo
