package schema

import (
	"fmt"
	"strings"
)

// Streams and subjects. Every update subject carries the department, so that
// NATS permissions can restrict a department to kpp.v1.<its id>.>:
//
//	kpp.v1.<department_id>.<kind>.<project_id>
//
// Imported history (kpp import) is published by the operator on a reserved
// subject space that no department's permission kpp.v1.<department>.>
// covers, because identifiers cannot start with '_':
//
//	kpp.v1._import.<department_id>.<kind>.<project_id>
//
// Only there does ingest trust the declared submission time of the
// Kpp-Submitted-At header (docs/import.md).
//
// Rejected messages are kept on the dead-letter stream under
// kpp.dlq.<original subject>.
const (
	// UpdatesStream is the JetStream stream that holds every update.
	UpdatesStream = "KPP_UPDATES"
	// UpdatesSubjects is the stream's subject filter.
	UpdatesSubjects = "kpp.v1.>"
	// DeadLetterStream holds messages that ingest rejected.
	DeadLetterStream = "KPP_DEADLETTER"
	// DeadLetterSubjects is the dead-letter stream's subject filter.
	DeadLetterSubjects = "kpp.dlq.>"

	// ImportSubjects is the filter of the imported history: a subset of
	// UpdatesSubjects that only the operator (the service user) may publish
	// to.
	ImportSubjects = "kpp.v1._import.>"

	subjectPrefix = "kpp.v1."
	importToken   = "_import"
	importPrefix  = subjectPrefix + importToken + "."
	dlqPrefix     = "kpp.dlq."
)

// Headers set on messages. Nats-Msg-Id is JetStream's deduplication header.
const (
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderRejectReason is the English reason a message was dead-lettered.
	HeaderRejectReason = "Kpp-Reject-Reason"
	// HeaderRejectErrors is the JSON list of FieldError behind the reason.
	HeaderRejectErrors = "Kpp-Reject-Errors"
	// HeaderOriginalSubject is the subject the rejected message came on.
	HeaderOriginalSubject = "Kpp-Original-Subject"
	// HeaderOriginalSequence is its sequence in the updates stream.
	HeaderOriginalSequence = "Kpp-Original-Sequence"
	// HeaderOriginalReceived is the server time (RFC 3339) it was first stored.
	HeaderOriginalReceived = "Kpp-Original-Received"
	// HeaderSubmittedAt is the declared submission time (RFC 3339) of an
	// imported event; ingest reads it only on an import subject.
	HeaderSubmittedAt = "Kpp-Submitted-At"
	// HeaderImportedBy names who imported an event (kpp import --by, or the
	// administrator credential of the API).
	HeaderImportedBy = "Kpp-Imported-By"
)

// Subject returns the subject an event is published on.
func Subject(e Event) string {
	return SubjectFor(e.Department(), e.Kind(), e.Project())
}

// SubjectFor returns kpp.v1.<dept>.<kind>.<project>.
func SubjectFor(dept string, k Kind, project string) string {
	return subjectPrefix + dept + "." + string(k) + "." + project
}

// ImportSubject returns the subject an imported event is published on:
// kpp.v1._import.<dept>.<kind>.<project>.
func ImportSubject(e Event) string {
	return importPrefix + e.Department() + "." + string(e.Kind()) + "." + e.Project()
}

// ImportSubjectOf returns the import twin of an update subject or filter
// kpp.v1.<rest>: kpp.v1._import.<rest>.
func ImportSubjectOf(subject string) string {
	rest, ok := strings.CutPrefix(subject, subjectPrefix)
	if !ok || strings.HasPrefix(subject, importPrefix) {
		return subject
	}
	return importPrefix + rest
}

// DepartmentSubjects is the subject filter of everything one department may
// publish: kpp.v1.<dept>.>.
func DepartmentSubjects(dept string) string { return subjectPrefix + dept + ".>" }

// SubjectParts are the tokens of an update subject.
type SubjectParts struct {
	Department string
	Kind       Kind
	Project    string
	// Imported is set for kpp.v1._import.<department>.<kind>.<project>.
	Imported bool
}

// ParseSubject splits an update subject into its parts.
func ParseSubject(s string) (SubjectParts, error) {
	rest, ok := strings.CutPrefix(s, subjectPrefix)
	if !ok {
		return SubjectParts{}, fmt.Errorf("%w: %q (expected kpp.v1.<department>.<kind>.<project>)", ErrBadSubject, s)
	}
	imported := false
	if r, ok := strings.CutPrefix(rest, importToken+"."); ok {
		rest, imported = r, true
	}
	toks := strings.Split(rest, ".")
	if len(toks) != 3 {
		return SubjectParts{}, fmt.Errorf("%w: %q has %d tokens after kpp.v1 (expected <department>.<kind>.<project>)", ErrBadSubject, s, len(toks))
	}
	k, err := ParseKind(toks[1])
	if err != nil {
		return SubjectParts{}, fmt.Errorf("%w: %q: %w", ErrBadSubject, s, err)
	}
	return SubjectParts{Department: toks[0], Kind: k, Project: toks[2], Imported: imported}, nil
}

// DeadLetterSubject returns the dead-letter subject for an update subject.
func DeadLetterSubject(subject string) string { return dlqPrefix + subject }

// OriginalSubject undoes [DeadLetterSubject].
func OriginalSubject(dlqSubject string) string {
	return strings.TrimPrefix(dlqSubject, dlqPrefix)
}

// CheckSubject reports a *ValidationError if the event's department, kind or
// project differ from the subject it arrived on.
func CheckSubject(p SubjectParts, e Event) error {
	var l errs
	if p.Kind != e.Kind() {
		l.add("schema", e.Kind().SchemaID(), RuleSubjectMismatch, "事件类型与主题不一致（主题为 "+string(p.Kind)+"）",
			"event kind "+string(e.Kind())+" arrived on a "+string(p.Kind)+" subject; expected the subject of its own kind")
	}
	if p.Department != e.Department() {
		l.add("department_id", e.Department(), RuleSubjectMismatch, "部门与主题中的部门（"+p.Department+"）不一致",
			quote(e.Department())+" differs from the subject's department "+quote(p.Department)+"; a department publishes only on its own subjects")
	}
	if p.Project != e.Project() {
		l.add("project_id", e.Project(), RuleSubjectMismatch, "项目与主题中的项目（"+p.Project+"）不一致",
			quote(e.Project())+" differs from the subject's project "+quote(p.Project))
	}
	return l.err()
}
