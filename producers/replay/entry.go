package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/schema"
)

// Entry is one message of the dead-letter stream.
type Entry struct {
	// Seq is the sequence in KPP_DEADLETTER (what `kpp dlq replay` takes).
	Seq uint64 `json:"seq"`
	// Subject is the dead-letter subject, kpp.dlq.<original subject>.
	Subject string `json:"subject"`
	// OriginalSubject is the subject the update was published on.
	OriginalSubject string `json:"original_subject"`
	// OriginalSeq is its sequence in KPP_UPDATES, when known.
	OriginalSeq uint64 `json:"original_seq,omitempty"`
	// OriginalReceived is when KPP_UPDATES stored it, when known.
	OriginalReceived time.Time `json:"original_received,omitzero"`
	// Received is when the dead-letter stream stored the entry.
	Received time.Time `json:"received"`
	// Reason is why ingest rejected it, in English.
	Reason string `json:"reason"`
	// Errors are the field errors behind the reason.
	Errors []schema.FieldError `json:"errors,omitempty"`
	// EventID is the event id of the payload, when it decodes as an event.
	EventID string `json:"event_id,omitempty"`
	// Excerpt is the start of the payload.
	Excerpt string `json:"excerpt"`
	// Payload is the rejected message's body.
	Payload []byte `json:"-"`
}

// ListOptions selects the entries [Replayer.List] returns.
type ListOptions struct {
	// FromSeq is the first dead-letter sequence to list; 0 means the first.
	FromSeq uint64
	// Limit is the most entries to return; 0 means all.
	Limit int
	// Subject keeps the entries whose original subject matches, wildcards
	// allowed, e.g. kpp.v1.qy-fgj.> for one department; a dead-letter
	// subject (kpp.dlq.…) is accepted as well. Empty means all.
	Subject string
}

const excerptRunes = 120

func entryOf(seq uint64, subject string, h nats.Header, data []byte, received time.Time) Entry {
	e := Entry{Seq: seq, Subject: subject, Received: received, Payload: data,
		OriginalSubject: h.Get(schema.HeaderOriginalSubject), Reason: h.Get(schema.HeaderRejectReason)}
	if e.OriginalSubject == "" {
		e.OriginalSubject = schema.OriginalSubject(subject)
	}
	if s := h.Get(schema.HeaderOriginalSequence); s != "" {
		e.OriginalSeq, _ = strconv.ParseUint(s, 10, 64)
	}
	if s := h.Get(schema.HeaderOriginalReceived); s != "" {
		e.OriginalReceived, _ = time.Parse(time.RFC3339Nano, s)
	}
	if s := h.Get(schema.HeaderRejectErrors); s != "" {
		_ = json.Unmarshal([]byte(s), &e.Errors)
	}
	if ev, err := schema.DecodeAny(data); err == nil {
		e.EventID = schema.EventID(ev)
	}
	e.Excerpt = clip(string(data), excerptRunes)
	return e
}

func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func dlqFilter(subject string) string {
	if subject == "" || strings.HasPrefix(subject, "kpp.dlq.") {
		return subject
	}
	return schema.DeadLetterSubject(subject)
}

// List reads the dead-letter stream in sequence order. A missing stream
// means nothing was ever dead-lettered: the list is empty.
func (r *Replayer) List(ctx context.Context, opts ListOptions) ([]Entry, error) {
	s, err := r.js.Stream(ctx, schema.DeadLetterStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", schema.DeadLetterStream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream %s info: %w", schema.DeadLetterStream, err)
	}
	if info.State.Msgs == 0 || opts.FromSeq > info.State.LastSeq {
		return nil, nil
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if opts.FromSeq > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, opts.FromSeq
	}
	if f := dlqFilter(opts.Subject); f != "" {
		cfg.FilterSubjects = []string{f}
	}
	cons, err := s.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", schema.DeadLetterStream, err)
	}
	var out []Entry
	for {
		n := r.cfg.FetchBatch
		if opts.Limit > 0 {
			n = min(n, opts.Limit-len(out))
		}
		batch, err := cons.FetchNoWait(n)
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", schema.DeadLetterStream, err)
		}
		got, pending := 0, uint64(0)
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("read stream %s: %w", schema.DeadLetterStream, err)
			}
			out = append(out, entryOf(meta.Sequence.Stream, m.Subject(), m.Headers(), m.Data(), meta.Timestamp))
			got, pending = got+1, meta.NumPending
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, fmt.Errorf("read stream %s: %w", schema.DeadLetterStream, err)
		}
		if got == 0 || pending == 0 || (opts.Limit > 0 && len(out) >= opts.Limit) {
			return out, nil
		}
	}
}

// get reads one entry by sequence.
func (r *Replayer) get(ctx context.Context, s jetstream.Stream, seq uint64) (Entry, error) {
	m, err := s.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Entry{}, fmt.Errorf("%w: sequence %d is not in stream %s", ErrNotFound, seq, schema.DeadLetterStream)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("get sequence %d from stream %s: %w", seq, schema.DeadLetterStream, err)
	}
	return entryOf(m.Sequence, m.Subject, m.Header, m.Data, m.Time), nil
}

// WriteList writes entries as a table: sequence, when received
// (Asia/Shanghai), original subject, reason and payload excerpt.
func WriteList(w io.Writer, entries []Entry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tRECEIVED\tORIGINAL SUBJECT\tREASON\tPAYLOAD")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Seq, e.Received.In(schema.Location()).Format("2006-01-02 15:04:05"),
			e.OriginalSubject, clip(e.Reason, 100), clip(strings.Join(strings.Fields(e.Excerpt), " "), 60))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write dead-letter list: %w", err)
	}
	_, err := fmt.Fprintf(w, "%d %s\n", len(entries), plural(len(entries), "entry", "entries"))
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
