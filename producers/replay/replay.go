package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// HeaderReplayOf is set on a replayed message to the dead-letter sequence
// it replays.
const HeaderReplayOf = "Kpp-Replay-Of"

// DeadLetterFile is the "file" named in the problems of a dead-letter
// entry; the line is the entry's sequence: "KPP_DEADLETTER:17: …".
const DeadLetterFile = schema.DeadLetterStream

// Replayer reads and replays the dead-letter stream.
type Replayer struct {
	js  jetstream.JetStream
	cfg Config
	pub *submit.Publisher // publishes and verifies, as kpp submit does
}

// New returns a Replayer working through js.
func New(js jetstream.JetStream, cfg Config) (*Replayer, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: a JetStream context is required", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	pub, err := submit.New(js, submit.Config{Now: cfg.Now, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return &Replayer{js: js, cfg: cfg, pub: pub}, nil
}

// Request says which entries to replay and with what payload.
type Request struct {
	// Seqs are the dead-letter sequences to replay.
	Seqs []uint64
	// All replays every entry (matching Subject, if set) instead of Seqs.
	All bool
	// Subject filters All by original subject, e.g. kpp.v1.qy-fgj.>.
	Subject string
	// PayloadFile, when set, is a file holding the corrected event as one
	// JSON object; it replaces the payload of the single entry in Seqs.
	PayloadFile string
	// SkipInvalid replays the entries that can be replayed even when others
	// cannot (they are reported). Default: any problem replays nothing.
	SkipInvalid bool
}

// Replayed is one replayed entry.
type Replayed struct {
	// DLQSeq is the entry's sequence in KPP_DEADLETTER.
	DLQSeq uint64 `json:"dlq_seq"`
	// Subject is the original subject it was published to.
	Subject string `json:"subject"`
	// EventID is the event id of the published payload.
	EventID string `json:"event_id"`
	// MsgID is the message id it is stored under:
	// "<department>:<event id>:replay:<dlq seq>" (the department of the
	// original subject), with a unique suffix when Resent.
	MsgID string `json:"msg_id"`
	// Fixed is true when a fixed payload replaced the original.
	Fixed bool `json:"fixed,omitempty"`
	// Seq is the sequence in KPP_UPDATES; for a duplicate, that of the
	// earlier replay.
	Seq uint64 `json:"seq"`
	// Duplicate is true when the entry had been replayed before (within
	// the duplicate window) and nothing new was stored: the message stored
	// under the id is on the same subject with the same content.
	Duplicate bool `json:"duplicate,omitempty"`
	// Resent is true when another message held the id (another publisher
	// squatting it): the entry was published again under a unique id.
	// HeldBy is the holder's sequence in KPP_UPDATES.
	Resent bool   `json:"resent,omitempty"`
	HeldBy uint64 `json:"held_by,omitempty"`
}

// Result lists what a replay published and what it could not.
type Result struct {
	// Replayed are the entries published, in the order selected.
	Replayed []Replayed `json:"replayed"`
	// Problems are why the other entries were not.
	Problems []submit.Problem `json:"problems,omitempty"`
}

// planned is an entry ready to publish.
type planned struct {
	entry   Entry
	subject string
	dept    string // of the original subject
	ev      schema.Event
	eventID string
	body    []byte
	fixed   bool
}

// Replay publishes the selected entries again to their original subjects.
// Every entry is checked before any is published: the original payload
// must decode as an event (its event id names the replay), and a fixed
// payload must pass validation, match the original subject and be reported
// by the project's owner. Problems come back as a *submit.InvalidError with
// the result; entries with problems are never published.
func (r *Replayer) Replay(ctx context.Context, req Request) (*Result, error) {
	switch {
	case req.All && len(req.Seqs) > 0:
		return nil, fmt.Errorf("%w: give sequences or All, not both", ErrRequest)
	case !req.All && len(req.Seqs) == 0:
		return nil, fmt.Errorf("%w: no dead-letter sequence given; expected one or more, or All", ErrRequest)
	case req.PayloadFile != "" && len(req.Seqs) != 1:
		return nil, fmt.Errorf("%w: a fixed payload (%s) replaces one entry; expected exactly one sequence", ErrRequest, req.PayloadFile)
	case req.Subject != "" && !req.All:
		return nil, fmt.Errorf("%w: Subject filters All; with sequences it is not used", ErrRequest)
	}
	entries, err := r.selectEntries(ctx, req)
	if err != nil {
		return nil, err
	}
	res := &Result{Replayed: []Replayed{}}
	var plan []planned
	for _, e := range entries {
		p, probs, err := r.prepare(ctx, e, req.PayloadFile)
		if err != nil {
			return nil, err
		}
		if len(probs) > 0 {
			res.Problems = append(res.Problems, probs...)
			continue
		}
		plan = append(plan, p)
	}
	if len(res.Problems) > 0 && !req.SkipInvalid {
		return res, &submit.InvalidError{Problems: res.Problems}
	}
	checked := len(res.Problems)
	for _, p := range plan {
		rp, conflict, err := r.publish(ctx, p)
		if err != nil {
			return res, err
		}
		if conflict != nil {
			res.Problems = append(res.Problems, *conflict)
			continue
		}
		res.Replayed = append(res.Replayed, rp)
	}
	if len(res.Problems) > 0 {
		return res, &submit.InvalidError{Problems: res.Problems, Skipped: checked > 0}
	}
	return res, nil
}

func (r *Replayer) selectEntries(ctx context.Context, req Request) ([]Entry, error) {
	if req.All {
		return r.List(ctx, ListOptions{Subject: req.Subject})
	}
	s, err := r.js.Stream(ctx, schema.DeadLetterStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("%w: stream %s does not exist (nothing was dead-lettered yet)", ErrNotFound, schema.DeadLetterStream)
	}
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", schema.DeadLetterStream, err)
	}
	seen := map[uint64]bool{}
	var out []Entry
	for _, seq := range req.Seqs {
		if seq == 0 {
			return nil, fmt.Errorf("%w: sequence 0; dead-letter sequences start at 1 (see kpp dlq list)", ErrRequest)
		}
		if seen[seq] {
			continue
		}
		seen[seq] = true
		e, err := r.get(ctx, s, seq)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func entryProblem(seq uint64, fe schema.FieldError) submit.Problem {
	return submit.Problem{File: DeadLetterFile, Line: int(seq), FieldError: fe}
}

// prepare checks one entry and builds what to publish.
func (r *Replayer) prepare(ctx context.Context, e Entry, payloadFile string) (planned, []submit.Problem, error) {
	p := planned{entry: e, subject: e.OriginalSubject}
	parts, err := schema.ParseSubject(e.OriginalSubject)
	if err != nil {
		return p, []submit.Problem{entryProblem(e.Seq, schema.FieldError{Field: "subject", Value: e.OriginalSubject, Rule: schema.RuleSubjectMismatch,
			MessageEn: "is not an update subject; expected kpp.v1.<department>.<kind>.<project>", MessageZh: "不是有效的报送主题，应为 kpp.v1.<部门>.<类型>.<项目>"})}, nil
	}
	p.dept = parts.Department
	if payloadFile == "" {
		ev, err := schema.DecodeAny(e.Payload)
		if err != nil {
			var probs []submit.Problem
			for _, fe := range fieldErrorsOf(err) {
				fe.MessageEn += "; the original payload is not an event, so replay it with a fixed payload (a file with the corrected event)"
				fe.MessageZh += "；原消息不是有效事件，请提供更正后的事件文件重放"
				probs = append(probs, entryProblem(e.Seq, fe))
			}
			return p, probs, nil
		}
		p.ev, p.eventID, p.body = ev, schema.EventID(ev), e.Payload
		return p, nil, nil
	}
	data, err := os.ReadFile(payloadFile)
	if err != nil {
		return p, nil, fmt.Errorf("read fixed payload for dead-letter sequence %d: %w", e.Seq, err)
	}
	var fes []schema.FieldError
	ev, err := decodeOne(data)
	if err == nil {
		fes = append(fes, fieldErrorsOf(ev.Validate(r.cfg.Now()))...)
		fes = append(fes, fieldErrorsOf(schema.CheckSubject(parts, ev))...)
		if schema.ValidIdentifier(ev.Project()) && schema.ValidIdentifier(ev.Department()) {
			owners, err := submit.LoadOwners(ctx, r.js, ev.Project())
			if err != nil {
				return p, nil, err
			}
			fes = append(fes, fieldErrorsOf(owners.CheckOwner(ev))...)
		}
	} else {
		fes = fieldErrorsOf(err)
	}
	if len(fes) > 0 {
		probs := make([]submit.Problem, len(fes))
		for i, fe := range fes {
			probs[i] = submit.Problem{File: payloadFile, FieldError: fe}
		}
		return p, probs, nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return p, nil, fmt.Errorf("encode fixed payload %s: %w", payloadFile, err)
	}
	p.ev, p.eventID, p.body, p.fixed = ev, schema.EventID(ev), body, true
	return p, nil, nil
}

// decodeOne decodes a file holding one event object, which may be
// indented over several lines.
func decodeOne(data []byte) (schema.Event, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return schema.DecodeAny(data) // reports the syntax error
	}
	return schema.DecodeAny(compact.Bytes())
}

func fieldErrorsOf(err error) []schema.FieldError {
	if err == nil {
		return nil
	}
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		return ve.Errors
	}
	return []schema.FieldError{{Rule: schema.RuleDecode, MessageEn: err.Error(), MessageZh: "无法解析：" + err.Error()}}
}

// publish sends one entry through kpp submit's verified publish: a
// "duplicate" counts only when the message stored under the id is this
// entry (same subject, same content); another message holding the id is
// not, and the entry is published again under a unique id; other content
// on the same subject is a conflict, returned as a problem (nothing
// stored).
func (r *Replayer) publish(ctx context.Context, p planned) (Replayed, *submit.Problem, error) {
	seq := strconv.FormatUint(p.entry.Seq, 10)
	rp := Replayed{DLQSeq: p.entry.Seq, Subject: p.subject, EventID: p.eventID, MsgID: p.dept + ":" + p.eventID + ":replay:" + seq, Fixed: p.fixed}
	sent, err := r.pub.PublishVerified(ctx, submit.Message{Event: p.ev, Body: p.body, Subject: p.subject, MsgID: rp.MsgID,
		Header: nats.Header{HeaderReplayOf: []string{seq}}, File: DeadLetterFile, Line: int(p.entry.Seq)})
	if err != nil {
		return rp, nil, fmt.Errorf("%w: dead-letter sequence %d to %s: %w", ErrPublish, p.entry.Seq, p.subject, err)
	}
	if sent.Conflict != nil {
		r.cfg.Logger.Warn("dead-letter entry not replayed: its message id holds other content on the same subject", "dlq_seq", p.entry.Seq,
			"subject", p.subject, "event_id", p.eventID, "held_by_seq", sent.Seq, "fixed", p.fixed)
		return rp, sent.Conflict, nil
	}
	rp.Seq, rp.MsgID, rp.Duplicate, rp.Resent, rp.HeldBy = sent.Seq, sent.MsgID, sent.Duplicate, sent.Resent, sent.HeldBy
	r.cfg.Logger.Info("replayed dead-letter entry", "dlq_seq", p.entry.Seq, "subject", p.subject, "event_id", p.eventID,
		"seq", rp.Seq, "msg_id", rp.MsgID, "duplicate", rp.Duplicate, "resent", rp.Resent, "held_by", rp.HeldBy, "fixed", p.fixed)
	return rp, nil, nil
}

// WriteText writes one line per replayed entry, then the problems.
func (res *Result) WriteText(w io.Writer) error {
	var b bytes.Buffer
	for _, rp := range res.Replayed {
		what := "original payload"
		if rp.Fixed {
			what = "fixed payload"
		}
		fmt.Fprintf(&b, "dead-letter %d → %s: %s stored at seq %d (msg id %s)", rp.DLQSeq, rp.Subject, what, rp.Seq, rp.MsgID)
		if rp.Duplicate {
			b.WriteString(" — already replayed, nothing new stored")
		}
		if rp.Resent {
			fmt.Fprintf(&b, " — its id was held by another message (seq %d), so it was published again under a unique id", rp.HeldBy)
		}
		b.WriteString("\n")
	}
	if len(res.Problems) > 0 {
		fmt.Fprintf(&b, "%d %s, not replayed:\n", len(res.Problems), plural(len(res.Problems), "problem", "problems"))
		for _, p := range res.Problems {
			b.WriteString("  " + p.String() + "\n")
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write replay result: %w", err)
	}
	return nil
}
