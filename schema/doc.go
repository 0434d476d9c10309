// Package schema is the contract at the bottom of kpp: the events that
// departments publish, how they are validated, the NATS subjects and streams
// that carry them, and the ClickHouse migrations that store them.
//
// Producers and consumers meet only through this package and NATS. Nothing
// here imports another kpp package, so the contract can be read on its own.
//
// # Events (version 1)
//
//   - [Project] (kpp.project.v1): registration and plan of a key project —
//     name, region, category, stage, responsible department, total
//     investment, planned investment per year and planned milestones.
//   - [InvestmentReport] (kpp.investment_report.v1): a department's monthly
//     report of completed investment for one project and one month.
//   - [MilestoneUpdate] (kpp.milestone_update.v1): the status, forecast or
//     actual date and percent complete of one milestone.
//
// Money is in 万元 (10,000 CNY) as exact decimals with at most four places
// ([Wan]); a period is a calendar month "YYYY-MM"; dates are "YYYY-MM-DD" in
// Asia/Shanghai. Every event carries a revision: the highest revision of the
// same business key wins, and every revision is kept.
//
// # Identity
//
// [EventID] derives an event's id from what it is — its kind, project,
// period or milestone, and revision — never from when it was sent. The id is
// also the NATS message id (Nats-Msg-Id), so publishing the same report twice
// is one message in JetStream and one row in ClickHouse.
//
// # Validation
//
// Validation problems are data: a list of [FieldError] values, each with the
// field, the offending value, the rule and a message in Chinese and English.
// The command line, the HTTP API and the dead-letter table all render the
// same list.
package schema
