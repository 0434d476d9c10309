package ingest

import (
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/schema"
)

// item is one delivered message and what ingest made of it.
type item struct {
	msg       jetstream.Msg
	seq       uint64     // sequence in KPP_UPDATES
	delivered uint64     // how many times JetStream delivered it, this time included
	received  time.Time  // JetStream's time of storing it, or an import's declared submission time: decides lateness
	imported  *time.Time // an import's real arrival (JetStream's time of storing it); nil when not imported
	importer  string     // who imported it; "" when not imported
	subject   string
	parts     schema.SubjectParts // from the subject; best effort when the subject is bad
	payload   []byte

	ev      schema.Event // nil when the payload could not be decoded
	eventID string       // "" when the payload could not be decoded

	reject    *schema.ValidationError // nil when accepted
	dlqSeq    uint64                  // sequence of the dead-letter copy, once published
	duplicate bool                    // accepted, but the event is already stored
	stored    bool                    // written to its table by this delivery (an event, or a rejection)
	refused   bool                    // accepted, but ClickHouse refused to store it: now rejected
}

// accepted reports whether the event is to be stored.
func (it *item) accepted() bool { return it.reject == nil }

// kind is the kind named by the subject ("" for a bad subject).
func (it *item) kind() schema.Kind { return it.parts.Kind }

// rule is the first rule the message broke.
func (it *item) rule() schema.Rule {
	if it.reject == nil || len(it.reject.Errors) == 0 {
		return ""
	}
	return it.reject.Errors[0].Rule
}

// classify reads a message's metadata, subject and payload and checks it
// against the schema. Ownership is checked afterwards, by checkOwner, once
// the owners of the projects registered in the same pull are settled.
func classify(m jetstream.Msg, md *jetstream.MsgMetadata) *item {
	it := &item{
		msg:       m,
		seq:       md.Sequence.Stream,
		delivered: md.NumDelivered,
		received:  md.Timestamp.In(schema.Location()),
		subject:   m.Subject(),
		payload:   m.Data(),
	}
	parts, err := schema.ParseSubject(it.subject)
	if err != nil {
		it.parts = looseParts(it.subject)
		it.reject = subjectError(it.subject, err)
		return it
	}
	it.parts = parts
	ev, err := schema.Decode(parts.Kind, it.payload)
	if err != nil {
		it.reject = asValidationError(err)
		return it
	}
	it.ev, it.eventID = ev, schema.EventID(ev)
	if err := ev.Validate(it.received); err != nil {
		it.reject = asValidationError(err)
		return it
	}
	if parts.Imported && !trustImport(it, m.Headers()) {
		return it
	}
	if err := schema.CheckSubject(parts, ev); err != nil {
		it.reject = asValidationError(err)
		return it
	}
	return it
}

// trustImport takes the declared submission time and the importer of a
// message that came on an import subject (kpp.v1._import.>, which only the
// operator may publish to): received becomes the declared time, and the
// real arrival is kept in imported. It reports false, with the item
// rejected, when the headers are missing or do not make sense.
func trustImport(it *item, h nats.Header) bool {
	arrived := it.received
	raw := h.Get(schema.HeaderSubmittedAt)
	var declared time.Time
	if raw != "" {
		t, err := time.Parse(schema.SubmittedAtLayout, raw)
		if err != nil {
			it.reject = &schema.ValidationError{Errors: []schema.FieldError{{Field: "submitted_at", Value: raw, Rule: schema.RuleDate,
				MessageZh: "报送时间格式不正确，应为 RFC 3339，如 2025-10-03T09:30:00+08:00",
				MessageEn: "header " + schema.HeaderSubmittedAt + " is not an RFC 3339 time; expected e.g. 2025-10-03T09:30:00+08:00"}}}
			return false
		}
		declared = t
	}
	by := h.Get(schema.HeaderImportedBy)
	if err := schema.CheckImport(it.ev, declared, by, arrived); err != nil {
		it.reject = asValidationError(err)
		return false
	}
	it.received = declared.In(schema.Location())
	it.imported, it.importer = &arrived, strings.TrimSpace(by)
	return true
}

// checkOwner rejects an accepted item whose department does not own its
// project: a report for an unknown project or another department's, or a
// registration of a project another department owns.
func checkOwner(it *item, owners schema.Owners) {
	if err := owners.CheckOwner(it.ev); err != nil {
		it.reject = asValidationError(err)
	}
}

// recheckOwner checks again an item rejected only because its project was
// unknown or another department's, against owners read from the projects
// bucket since. It reports whether the item is accepted now.
func recheckOwner(it *item, owners schema.Owners) bool {
	if it.ev == nil || (it.rule() != schema.RuleUnknownProject && it.rule() != schema.RuleNotOwner) {
		return false
	}
	if _, ok := owners[it.ev.Project()]; !ok {
		return false
	}
	it.reject = nil
	checkOwner(it, owners)
	return it.accepted()
}

// looseParts takes what it can from a subject ParseSubject refused:
// kpp.v1.<department>.<kind>.<project>, token by token.
func looseParts(subject string) schema.SubjectParts {
	toks := strings.Split(strings.Replace(subject, "._import.", ".", 1), ".")
	var p schema.SubjectParts
	if len(toks) > 2 {
		p.Department = toks[2]
	}
	if len(toks) > 3 {
		if k, err := schema.ParseKind(toks[3]); err == nil {
			p.Kind = k
		}
	}
	if len(toks) == 5 {
		p.Project = toks[4]
	}
	return p
}

func subjectError(subject string, err error) *schema.ValidationError {
	return &schema.ValidationError{Errors: []schema.FieldError{{
		Field: "subject", Value: subject, Rule: schema.RuleSubject,
		MessageZh: "主题格式不正确，应为 kpp.v1.<部门>.<类型>.<项目>，类型为 project、investment 或 milestone",
		MessageEn: "is not an update subject kpp.v1.<department>.<kind>.<project>: " + strings.TrimPrefix(err.Error(), schema.ErrBadSubject.Error()+": "),
	}}}
}

// asValidationError returns err's *ValidationError, or wraps any other
// error as a decode problem so that it can be dead-lettered with words.
func asValidationError(err error) *schema.ValidationError {
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	return &schema.ValidationError{Errors: []schema.FieldError{{
		Rule: schema.RuleDecode, MessageZh: "无法解析消息：" + err.Error(), MessageEn: "cannot decode the message: " + err.Error(),
	}}}
}

// reasonEn joins the English messages without the "invalid event:" prefix.
func reasonEn(ve *schema.ValidationError) string {
	parts := make([]string, len(ve.Errors))
	for i, fe := range ve.Errors {
		parts[i] = fe.String()
	}
	return strings.Join(parts, "; ")
}
