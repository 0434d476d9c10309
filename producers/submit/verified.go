package submit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/schema"
)

// Message is one checked event that another producer (the dead-letter
// replay, package replay) publishes with a message id of its own,
// verified like a submitted record: see [Publisher.PublishVerified].
type Message struct {
	// Event is the event, already checked by the caller.
	Event schema.Event
	// Body is the payload; default: Event as JSON.
	Body []byte
	// Subject is the subject; default schema.Subject(Event).
	Subject string
	// MsgID is the Nats-Msg-Id.
	MsgID string
	// Header holds more headers (the Nats-Msg-Id is set from MsgID).
	Header nats.Header
	// File and Line say where the event came from, in the log and in a
	// conflict's problem (e.g. KPP_DEADLETTER and the entry's sequence).
	File string
	Line int
}

// Sent is how a [Message] was stored.
type Sent struct {
	// Seq is its sequence in KPP_UPDATES; for a duplicate, the stored
	// copy's; for a conflict, the sequence of the other content.
	Seq uint64
	// MsgID is the id it is stored under: Message.MsgID, or that id with a
	// unique suffix when Resent.
	MsgID string
	// Duplicate: the same event (subject and content) was already stored
	// under the id; nothing new was stored.
	Duplicate bool
	// Resent: the id was held by a message that is not this one (on
	// another subject, gone, or unreadable by this user), so it was
	// published again under a unique id; HeldBy is the holder's sequence.
	Resent bool
	HeldBy uint64
	// Conflict is set when the subject holds other content under the id:
	// the message was NOT stored, and the problem says what to send.
	Conflict *Problem
}

// PublishVerified publishes one message to KPP_UPDATES and, when JetStream
// calls it a duplicate, checks the claim as [Publisher.SubmitInputs] does
// for a record (the same code): the same subject and content is a
// duplicate; the same subject with other content a conflict; a message on
// another subject holding the id — another publisher squatting it — or one
// that cannot be read means the message is not stored, so it is published
// again under the id with a unique suffix. The error wraps [ErrPublish].
func (p *Publisher) PublishVerified(ctx context.Context, msg Message) (Sent, error) {
	it := &item{ev: msg.Event, id: schema.EventID(msg.Event), msgID: msg.MsgID, subject: msg.Subject, body: msg.Body,
		file: msg.File, line: msg.Line, header: msg.Header}
	if it.subject == "" {
		it.subject = schema.Subject(msg.Event)
	}
	if it.body == nil {
		b, err := json.Marshal(msg.Event)
		if err != nil {
			return Sent{}, fmt.Errorf("%w: %s:%d: encode event: %w", ErrPublish, it.file, it.line, err)
		}
		it.body = b
	}
	pa, err := p.js.PublishMsg(ctx, it.msg(), jetstream.WithExpectStream(schema.UpdatesStream))
	if err != nil {
		return Sent{}, fmt.Errorf("%w: %s:%d: event %s on %s: %w", ErrPublish, it.file, it.line, it.id, it.subject, err)
	}
	sent := Sent{Seq: pa.Sequence, MsgID: it.msgID}
	if !pa.Duplicate {
		return sent, nil
	}
	var stream jetstream.Stream
	if !p.cfg.AssumeStreams {
		if stream, err = p.js.Stream(ctx, schema.UpdatesStream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return Sent{}, fmt.Errorf("%w: open stream %s: %w", ErrPublish, schema.UpdatesStream, err)
		}
	}
	v, fe, err := p.verify(ctx, stream, it, pa.Sequence)
	if err != nil {
		return Sent{}, err
	}
	switch v {
	case verifiedSame:
		sent.Duplicate = true
		return sent, nil
	case verifiedConflict:
		sent.Conflict = &Problem{File: it.file, Line: it.line, FieldError: *fe}
		return sent, nil
	}
	resent, id, err := p.resend(ctx, it)
	if err != nil {
		return Sent{}, fmt.Errorf("%w: %s:%d: event %s on %s, published again under a fresh id: %w", ErrPublish, it.file, it.line, it.id, it.subject, err)
	}
	return Sent{Seq: resent.Sequence, MsgID: id, Resent: true, HeldBy: pa.Sequence}, nil
}
