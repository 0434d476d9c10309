// Package replay is the producer behind `kpp dlq list --source nats` and
// `kpp dlq replay`: it reads the dead-letter stream KPP_DEADLETTER, where
// ingest keeps every rejected update (subject kpp.dlq.<original subject>,
// the reason in Kpp-Reject-* headers, the original subject and sequence in
// Kpp-Original-* headers), and publishes entries again to their original
// subjects.
//
// A replay sends either the original payload — after the cause was fixed
// elsewhere, e.g. the missing project was registered — or a fixed payload:
// a file holding the corrected event as one JSON object (the format of a
// JSON Lines record, see package submit; it may span lines). A fixed
// payload is checked like a submitted record before anything is published:
// decoded, validated, checked against the original subject (same
// department, kind and project) and for ownership; problems come back as a
// *submit.InvalidError, rendered as "file: field: value: expected".
//
// The original message id is still in JetStream's duplicate window, so a
// replay is published with its own stable message id, scoped by the
// department of the original subject like every producer's
// ("<department>:<event id>:replay:<dead-letter sequence>"), and the header
// Kpp-Replay-Of naming the dead-letter sequence: replaying the same entry
// twice stores one message, and ingest stores the event once by its event
// id. A replay JetStream calls a duplicate is verified by kpp submit's own
// code (submit.Publisher.PublishVerified): it counts as "already
// replayed" only when the message stored under the id is on the same
// subject with the same content. A message on another subject holding the
// id (a publisher squatting it) is not the entry, which is published again
// under the id with a unique suffix (Replayed.Resent); other content on the
// same subject is a conflict, reported as a problem, nothing stored. Entries are
// selected by dead-letter sequence (one or several) or all at once,
// optionally filtered by original subject (kpp.v1.qy-fgj.>). Every selected
// entry is checked before any is published; with SkipInvalid the
// publishable ones go and the others are reported.
package replay
