// Package intake is the departments' way in: web pages for clerks (sign in
// with the department token, fill each project's monthly report, see the
// receipt and the history, correct a month, download the Excel template and
// upload it) and a JSON API for IT staff, both served by `kpp serve`.
//
// Everything the intake knows comes from NATS JetStream; it never queries
// ClickHouse:
//
//   - the department's projects are the latest registrations on
//     kpp.v1.<dept>.project.> whose owner in the KPP_PROJECTS bucket
//     (written by ingest) is the department;
//   - a project's report history is every message on
//     kpp.v1.<dept>.investment.<project>, newest first;
//   - receipts live in the KPP_RECEIPTS bucket ([ReceiptsBucket]), keyed by
//     department and idempotency key.
//
// A read of stored messages counts the messages on its subject, refuses
// more than [Limits.MaxHistoryMessages] ([ErrHistoryTooLong]), and reads
// them through a short-lived consumer that it deletes before returning,
// also when the request is cancelled; each read has [Limits.HistoryTimeout]
// and at most [MaxConcurrentReads] run at once. No read leaves state on the
// server.
//
// Submissions go through producers/submit: every record is validated by
// its schema (with [Config.Now], so a month in the future is refused), its
// ownership is checked against KPP_PROJECTS, and only then is anything
// published, as one atomic batch with stable message ids. Beyond that the
// intake checks what needs the stored history: a year-to-date (or
// since-start) amount below the previous month's latest revision
// ([RulePreviousMonth]), a correction without a reason, a form opened on an
// older revision ([RuleStale]), a report naming another department
// ([RuleDepartment]). With any problem nothing is published and every
// problem is listed, field by field, in Chinese and English.
//
// Departments register their projects and change their registrations
// through the registration form and POST /api/v1/projects; a registration
// is numbered against the department's own stored registrations of the
// project, and one for a project another department owns is refused.
//
// Revisions are numbered by the intake when the client leaves them out: 1
// for a month's first report, the stored revision again when the same
// report is sent twice (it is stored once), and the next revision for a
// different one, which is a correction and needs a correction_reason.
//
// Every POST carries an idempotency key (the Idempotency-Key header; the
// web forms embed a random one): the same key twice returns the stored
// receipt and publishes nothing new.
//
// The API is documented in docs/api.md, the pages in docs/intake.md. Mount
// [Server.Handler] under /api/v1/ and /intake/.
package intake
