// Package history imports past ledgers: project registrations, monthly
// investment reports and milestone updates that were submitted before kpp
// ran (years of Excel ledgers), each with the time it was declared
// submitted. It is the producer behind `kpp import` and the API's
// POST /api/v1/imports, both for the operator only.
//
// The files are those of `kpp submit` (JSON Lines, CSV; producers/submit)
// with one more field or column: submitted_at (报送时间), an RFC 3339 time
// (2025-10-03T09:30:00+08:00), a local time "2025-10-03 09:30" or a date
// "2025-10-03" (00:00), in Asia/Shanghai unless an offset is given.
// Every record is checked as kpp submit checks it, and against its
// declared time ([schema.CheckImport]); a file with any problem publishes
// nothing.
//
// An imported event is published on kpp.v1._import.<department>.<kind>.<project>
// ([schema.ImportSubject]) with the headers Kpp-Submitted-At and
// Kpp-Imported-By, and its source set to [Config.Source] ("import"). No
// department's NATS user may publish there (departments may publish only
// on kpp.v1.<department>.>, and identifiers cannot start with '_'), so
// ingest trusts the declared time on that subject only: it stores it as
// received_at, which decides lateness and what every review read as of its
// cut-off, and keeps the real arrival in imported_at and the importer in
// imported_by. The message id is the event id, as for kpp submit: an
// event already submitted or imported is a duplicate and changes nothing.
// See docs/import.md.
package history
