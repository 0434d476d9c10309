package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/schema"
)

// dlqChunk is how many dead-letter copies are published before waiting for
// their acks; it stays below the client's limit of pending async publishes.
const dlqChunk = 500

// deadLetterMsg is the copy of a rejected message for the dead-letter
// stream: the raw payload, the reason in headers, and a message id made
// from the original sequence so that a redelivery is not a second copy.
func deadLetterMsg(it *item) (*nats.Msg, error) {
	errs, err := json.Marshal(it.reject.Errors)
	if err != nil {
		return nil, fmt.Errorf("encode the errors of stream sequence %d: %w", it.seq, err)
	}
	m := nats.NewMsg(schema.DeadLetterSubject(it.subject))
	m.Data = it.payload
	m.Header.Set(schema.HeaderMsgID, "dlq:"+strconv.FormatUint(it.seq, 10))
	m.Header.Set(schema.HeaderRejectReason, reasonEn(it.reject))
	m.Header.Set(schema.HeaderRejectErrors, string(errs))
	m.Header.Set(schema.HeaderOriginalSubject, it.subject)
	m.Header.Set(schema.HeaderOriginalSequence, strconv.FormatUint(it.seq, 10))
	m.Header.Set(schema.HeaderOriginalReceived, it.received.Format(time.RFC3339Nano))
	return m, nil
}

// publishDeadLetters copies every rejected item that has no dead-letter
// sequence yet to the dead-letter stream and records the sequence. Items
// that were delivered before take the sequence recorded in
// rejected_updates, if any, instead of a new copy.
func (r *run) publishDeadLetters(ctx context.Context, items []*item) error {
	var todo []*item
	var redelivered []any
	for _, it := range items {
		if !it.accepted() && it.dlqSeq == 0 {
			todo = append(todo, it)
			if it.delivered > 1 {
				redelivered = append(redelivered, it.seq)
			}
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if len(redelivered) > 0 {
		known, err := storedDeadLetters(ctx, r.conn, redelivered)
		if err != nil {
			return err
		}
		for _, it := range todo {
			if seq, ok := known[it.seq]; ok && seq > 0 {
				it.dlqSeq = seq
			}
		}
	}
	for start := 0; start < len(todo); start += dlqChunk {
		if err := r.publishChunk(ctx, todo[start:min(start+dlqChunk, len(todo))]); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) publishChunk(ctx context.Context, items []*item) error {
	type pending struct {
		it  *item
		fut jetstream.PubAckFuture
	}
	var sent []pending
	for _, it := range items {
		if it.dlqSeq != 0 {
			continue
		}
		m, err := deadLetterMsg(it)
		if err != nil {
			return err
		}
		fut, err := r.js.PublishMsgAsync(m, jetstream.WithExpectStream(schema.DeadLetterStream))
		if err != nil {
			return fmt.Errorf("publish rejected stream sequence %d to %s: %w", it.seq, m.Subject, err)
		}
		sent = append(sent, pending{it, fut})
	}
	var firstErr error
	for _, p := range sent {
		select {
		case ack := <-p.fut.Ok():
			p.it.dlqSeq = ack.Sequence
		case err := <-p.fut.Err():
			if firstErr == nil {
				firstErr = fmt.Errorf("publish rejected stream sequence %d to %s: %w", p.it.seq, p.fut.Msg().Subject, err)
			}
		case <-ctx.Done():
			return fmt.Errorf("publish rejected messages to %s: %w", schema.DeadLetterStream, ctx.Err())
		}
	}
	return firstErr
}
