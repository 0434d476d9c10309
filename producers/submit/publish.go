package submit

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/shopspring/decimal"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/keyproject/kpp/schema"
)

// Publisher validates reports and publishes them to JetStream. It keeps no
// state between calls and is safe for concurrent use.
type Publisher struct {
	js  jetstream.JetStream
	cfg Config
}

// New returns a Publisher that publishes through js.
func New(js jetstream.JetStream, cfg Config) (*Publisher, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: a JetStream context is required", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Publisher{js: js, cfg: cfg.withDefaults()}, nil
}

// Submit reads the files (JSON Lines or CSV, by extension), validates every
// record and publishes the valid files; see [Publisher.SubmitInputs].
func (p *Publisher) Submit(ctx context.Context, paths ...string) (*Receipt, error) {
	inputs := make([]*Input, 0, len(paths))
	for _, path := range paths {
		in, err := ReadFile(path)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}
	return p.SubmitInputs(ctx, inputs...)
}

// PublishEvents validates and publishes events built in code (kpp demo,
// benchmarks) exactly as a file of them would be: same checks, same
// atomic batches, same receipt (file "events", line = position from 1).
// Events without a source get [Config.Source]; the caller's events are not
// modified.
func (p *Publisher) PublishEvents(ctx context.Context, events []schema.Event) (*Receipt, error) {
	in := &Input{Name: "events", Format: FormatEvents, Records: make([]Record, len(events))}
	for i, ev := range events {
		in.Records[i] = Record{Line: i + 1, Event: ev}
		if ev == nil {
			in.Records[i].Problems = []schema.FieldError{{Rule: schema.RuleRequired, MessageEn: "is a nil event; expected an event", MessageZh: "事件为空"}}
		}
	}
	return p.SubmitInputs(ctx, in)
}

// item is one record on its way: its checked event, its problems, and what
// will be published.
type item struct {
	line     int
	ev       schema.Event
	problems []schema.FieldError
	id       string // schema.EventID
	msgID    string // schema.MsgID: the Nats-Msg-Id
	subject  string
	body     []byte
	content  *[32]byte // see contentOf; computed when first needed
	file     string
	header   nats.Header // more headers ([Publisher.PublishVerified])
}

// contentHash is contentOf the item's event, computed once: it is needed
// only when an event id comes twice.
func (it *item) contentHash() ([32]byte, error) {
	if it.content == nil {
		c, err := contentOf(it.ev)
		if err != nil {
			return c, fmt.Errorf("%s:%d: encode event: %w", it.file, it.line, err)
		}
		it.content = &c
	}
	return *it.content, nil
}

func (it *item) msg() *nats.Msg {
	m := nats.NewMsg(it.subject)
	m.Data = it.body
	for k, vs := range it.header {
		m.Header[k] = vs
	}
	m.Header.Set(schema.HeaderMsgID, it.msgID)
	return m
}

// SubmitInputs validates every record of every input before it publishes
// anything, then publishes file by file.
//
// Checks: decoding, the event's own Validate (with [Config.Now]), and
// ownership (schema.Owners.CheckOwner) against the KPP_PROJECTS bucket and
// the registrations accepted earlier in the submission, in file order; an
// event id seen earlier in the submission with different content (source
// and reported_at aside) is a problem naming both lines, with the same
// content it is published once.
//
// A file with any problem publishes nothing (its registrations do not count
// for later files) unless [Config.SkipInvalid] is set. A file is published
// registrations first, then in line order, in atomic batches of
// [Config.BatchSize], each message with the id [schema.MsgID]; a batch
// that JetStream rejects because it holds an already-stored message id
// (error 10201) is published one message at a time. A message JetStream
// calls a duplicate is compared with the message stored under its id (see
// [Publisher.verify]): the same subject and content is counted as a
// duplicate; the same subject with other content is a conflict (a problem
// each, and the error); another subject — a message of another department
// holding this one's id — or a stored message that cannot be read (a
// department's NATS user) is published again under a fresh id and counted
// as resent, so a report is never lost to an id it does not own.
//
// The receipt is returned even with an error. The error is an
// [*InvalidError] when records had problems (files without problems were
// still published), or wraps [ErrPublish] when JetStream failed; then the
// receipt says which batches were stored, and submitting again is safe.
func (p *Publisher) SubmitInputs(ctx context.Context, inputs ...*Input) (*Receipt, error) {
	cfg := p.cfg
	now := cfg.Now()
	if !cfg.DryRun && !cfg.AssumeStreams {
		if err := schema.EnsureStreams(ctx, p.js, cfg.Streams); err != nil {
			return nil, fmt.Errorf("prepare streams: %w", err)
		}
	}
	own, err := newOwners(ctx, p.js)
	if err != nil {
		return nil, err
	}
	rc := &Receipt{DryRun: cfg.DryRun}
	plans := make([][]*item, len(inputs))
	seen := map[string]*item{}     // first valid record of each event id
	scheduled := map[string]bool{} // event ids to be published
	inv := &InvalidError{}
	for fi, in := range inputs {
		before := maps.Clone(own.submitted)
		fr, items, err := p.checkFile(ctx, own, in, now, seen)
		if err != nil {
			return nil, err
		}
		rc.Files = append(rc.Files, fr)
		inv.Problems = append(inv.Problems, fr.Problems...)
		if len(in.Problems) > 0 || (len(fr.Problems) > 0 && !cfg.SkipInvalid) {
			fr.Status = StatusRejected
			own.submitted = before
			inv.Rejected = append(inv.Rejected, in.Name)
			continue
		}
		var regs, rest []*item
		for _, it := range items {
			switch {
			case len(it.problems) > 0:
			case scheduled[it.id]:
				fr.Repeated++
			case it.ev.Kind() == schema.KindProject:
				regs = append(regs, it)
				scheduled[it.id] = true
			default:
				rest = append(rest, it)
				scheduled[it.id] = true
			}
		}
		plans[fi] = append(regs, rest...)
		fr.Status = StatusPending
		if cfg.DryRun {
			fr.Status = StatusChecked
		}
	}
	for fi, plan := range plans {
		fr := rc.Files[fi]
		if fr.Status != StatusPending {
			continue
		}
		if err := p.publishFile(ctx, fr, plan); err != nil {
			fr.Status = StatusFailed
			return rc, err
		}
		fr.Status = StatusPublished
		if fr.Invalid > 0 {
			fr.Status = StatusPartial
			inv.Skipped = true
		}
		for _, pr := range fr.Problems {
			if pr.Rule == RuleConflict {
				inv.Problems = append(inv.Problems, pr)
			}
		}
	}
	if len(inv.Problems) > 0 {
		return rc, inv
	}
	return rc, nil
}

// checkFile checks every record of one input, in line order: each on its
// own (check), then against the earlier records of the submission (seen).
// Valid registrations are applied to own as they come.
func (p *Publisher) checkFile(ctx context.Context, own *owners, in *Input, now time.Time, seen map[string]*item) (*FileReceipt, []*item, error) {
	fr := &FileReceipt{File: in.Name, Format: in.Format, Batches: []Batch{}, Events: []EventReceipt{}, Problems: []Problem{}}
	fr.Problems = append(fr.Problems, in.Problems...)
	items := make([]*item, 0, len(in.Records))
	if err := own.prefetch(ctx, in.Records); err != nil {
		return nil, nil, err
	}
	months := monthsOf(in.Records)
	for i := range in.Records {
		it, err := p.check(ctx, own, in, &in.Records[i], now)
		if err != nil {
			return nil, nil, err
		}
		if len(it.problems) == 0 {
			if fe := months.cumulative(it.ev); fe != nil {
				it.problems = append(it.problems, *fe)
			}
		}
		if len(it.problems) == 0 {
			if first, ok := seen[it.id]; ok {
				a, err := first.contentHash()
				if err != nil {
					return nil, nil, err
				}
				b, err := it.contentHash()
				if err != nil {
					return nil, nil, err
				}
				if a != b {
					it.problems = append(it.problems, duplicateProblem(first, it))
				}
			} else {
				seen[it.id] = it
			}
		}
		if len(it.problems) == 0 {
			fr.Valid++
			if pr, ok := it.ev.(*schema.Project); ok {
				own.submitted.Register(pr)
			}
		} else {
			fr.Invalid++
			for _, fe := range it.problems {
				fr.Problems = append(fr.Problems, Problem{File: in.Name, Line: it.line, FieldError: fe})
			}
		}
		items = append(items, it)
	}
	fr.Read = len(in.Records)
	sort.SliceStable(fr.Problems, func(i, j int) bool { return fr.Problems[i].Line < fr.Problems[j].Line })
	return fr, items, nil
}

// months are the investment reports of one file by project and month
// (the highest revision of each), with their lines: what `kpp submit`
// knows of the previous month.
type months map[[2]string]monthReport

type monthReport struct {
	r    *schema.InvestmentReport
	line int
}

func monthsOf(recs []Record) months {
	m := months{}
	for _, rec := range recs {
		r, ok := rec.Event.(*schema.InvestmentReport)
		if !ok || len(rec.Problems) > 0 {
			continue
		}
		k := [2]string{r.ProjectID, r.Period}
		if old, ok := m[k]; !ok || old.r.Revision < r.Revision {
			m[k] = monthReport{r, rec.Line}
		}
	}
	return m
}

// cumulative checks 本年累计 = 上月本年累计 + 本月完成 where the file holds
// the previous month (and always for January): see
// [schema.CumulativeProblem]. The stored months are the intake's to check.
func (m months) cumulative(ev schema.Event) *schema.FieldError {
	r, ok := ev.(*schema.InvestmentReport)
	if !ok {
		return nil
	}
	p, err := schema.ParsePeriod(r.Period)
	if err != nil {
		return nil
	}
	if p.Month == time.January {
		return schema.CumulativeProblem(r, schema.NewWan(decimal.Zero), "", "", "")
	}
	prev, ok := m[[2]string{r.ProjectID, p.Prev().String()}]
	if !ok {
		return nil
	}
	n := strconv.Itoa(prev.line)
	return schema.CumulativeProblem(r, prev.r.YTDCompletedWan, p.Prev().String(), "line "+n, "第"+n+"行")
}

// check decodes, validates and checks the ownership of one record.
func (p *Publisher) check(ctx context.Context, own *owners, in *Input, rec *Record, now time.Time) (*item, error) {
	it := &item{line: rec.Line, file: in.Name, problems: append([]schema.FieldError(nil), rec.Problems...)}
	if rec.Event == nil || len(rec.Problems) > 0 {
		return it, nil
	}
	src := p.cfg.Source
	if in.Format == FormatJSONL || in.Format == FormatCSV {
		src = string(in.Format)
	}
	it.ev = withCommon(rec.Event, func(c *schema.Common) {
		if c.Source == "" {
			c.Source = src
		}
	})
	it.problems = append(it.problems, fieldErrors(it.ev.Validate(now))...)
	if schema.ValidIdentifier(it.ev.Project()) && schema.ValidIdentifier(it.ev.Department()) {
		fes, err := own.check(ctx, it.ev)
		if err != nil {
			return nil, err
		}
		it.problems = append(it.problems, fes...)
	}
	if len(it.problems) > 0 {
		return it, nil
	}
	body, err := json.Marshal(it.ev)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: encode event: %w", in.Name, rec.Line, err)
	}
	it.id, it.msgID, it.subject, it.body = schema.EventID(it.ev), schema.MsgID(it.ev), schema.Subject(it.ev), body
	return it, nil
}

func duplicateProblem(first, it *item) schema.FieldError {
	where := first.file + ":" + strconv.Itoa(first.line)
	return schema.FieldError{Field: "event_id", Value: it.id, Rule: RuleDuplicateEvent,
		MessageEn: "the same event (" + describe(it.ev) + ") as " + where + " but with different content; expected one content per revision (send a correction as a higher revision)",
		MessageZh: "与 " + where + " 为同一事件（同一项目、期间/节点和版本号）但内容不同；更正请提高版本号"}
}

// withCommon returns a shallow copy of ev with f applied to its common
// fields; the caller's event is not changed.
func withCommon(ev schema.Event, f func(*schema.Common)) schema.Event {
	switch e := ev.(type) {
	case *schema.Project:
		c := *e
		f(&c.Common)
		return &c
	case *schema.InvestmentReport:
		c := *e
		f(&c.Common)
		return &c
	case *schema.MilestoneUpdate:
		c := *e
		f(&c.Common)
		return &c
	}
	return ev
}

// contentOf hashes what an event says, leaving out how and when it was
// sent (source, reported_at): two records with the same content are the
// same report.
func contentOf(ev schema.Event) ([32]byte, error) {
	b, err := json.Marshal(withCommon(ev, func(c *schema.Common) { c.Source, c.ReportedAt = "", nil }))
	return sha256.Sum256(b), err
}

// publishFile publishes a file's records in atomic batches.
func (p *Publisher) publishFile(ctx context.Context, fr *FileReceipt, plan []*item) error {
	for start := 0; start < len(plan); start += p.cfg.BatchSize {
		end := min(start+p.cfg.BatchSize, len(plan))
		if err := p.publishBatch(ctx, fr, plan[start:end]); err != nil {
			return err
		}
	}
	return nil
}

func (p *Publisher) publishBatch(ctx context.Context, fr *FileReceipt, items []*item) error {
	log := p.cfg.Logger.With("file", fr.File, "batch_size", len(items))
	msgs := make([]*nats.Msg, len(items))
	for i, it := range items {
		msgs[i] = it.msg()
	}
	began := time.Now()
	ack, err := jetstreamext.PublishMsgBatch(ctx, p.js, msgs)
	if err == nil {
		first := ack.Sequence - ack.BatchSize + 1
		for i, it := range items {
			fr.Events = append(fr.Events, eventReceipt(it, first+uint64(i), false))
		}
		fr.Batches = append(fr.Batches, Batch{ID: ack.BatchID, Size: len(items), FirstSeq: first, LastSeq: ack.Sequence})
		fr.Published += len(items)
		log.Info("published atomic batch", "batch_id", ack.BatchID, "first_seq", first, "last_seq", ack.Sequence, "duration", time.Since(began))
		return nil
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != jetstreamext.JSErrCodeBatchPublishDuplicateMsgID {
		return fmt.Errorf("%w: %s: atomic batch of %d records (lines %d-%d), nothing of it stored: %w",
			ErrPublish, fr.File, len(items), items[0].line, items[len(items)-1].line, err)
	}
	log.Info("batch holds already-stored message ids; publishing one at a time")
	// Comparing a duplicate with the stored copy reads the stream, which a
	// department's NATS user may not do (it would read other departments'
	// reports): with AssumeStreams, a duplicate is published again under a
	// fresh id instead (ingest stores the event once).
	var stream jetstream.Stream
	if !p.cfg.AssumeStreams {
		if stream, err = p.js.Stream(ctx, schema.UpdatesStream); err != nil {
			return fmt.Errorf("%w: open stream %s: %w", ErrPublish, schema.UpdatesStream, err)
		}
	}
	b := Batch{Size: len(items), OneByOne: true}
	for _, it := range items {
		pa, err := p.js.PublishMsg(ctx, it.msg())
		if err != nil {
			fr.Batches = append(fr.Batches, b)
			return fmt.Errorf("%w: %s:%d: event %s on %s: %w", ErrPublish, fr.File, it.line, it.id, it.subject, err)
		}
		if pa.Duplicate {
			v, fe, err := p.verify(ctx, stream, it, pa.Sequence)
			if err != nil {
				fr.Batches = append(fr.Batches, b)
				return err
			}
			switch v {
			case verifiedSame:
				b.Duplicates++
				fr.Duplicates++
				fr.Events = append(fr.Events, eventReceipt(it, pa.Sequence, true))
				continue
			case verifiedConflict:
				b.Duplicates++
				fr.Conflicts++
				fr.Problems = append(fr.Problems, Problem{File: fr.File, Line: it.line, FieldError: *fe})
				fr.Events = append(fr.Events, eventReceipt(it, pa.Sequence, true))
				continue
			}
			held := pa.Sequence
			if pa, _, err = p.resend(ctx, it); err != nil {
				fr.Batches = append(fr.Batches, b)
				return fmt.Errorf("%w: %s:%d: event %s on %s, published again under a fresh id: %w", ErrPublish, fr.File, it.line, it.id, it.subject, err)
			}
			fr.Resent++
			e := eventReceipt(it, pa.Sequence, false)
			e.Resent, e.HeldBy = true, held
			fr.Events = append(fr.Events, e)
		} else {
			fr.Events = append(fr.Events, eventReceipt(it, pa.Sequence, false))
		}
		fr.Published++
		if b.FirstSeq == 0 {
			b.FirstSeq = pa.Sequence
		}
		b.LastSeq = pa.Sequence
	}
	fr.Batches = append(fr.Batches, b)
	log.Info("published one at a time", "published", len(items)-b.Duplicates, "duplicates", b.Duplicates,
		"first_seq", b.FirstSeq, "last_seq", b.LastSeq, "duration", time.Since(began))
	return nil
}

// verdict is what the message stored under a record's message id says of
// the record.
type verdict int

const (
	// verifiedSame: the record is stored, on its subject with its content.
	verifiedSame verdict = iota
	// verifiedConflict: the record's subject holds other content under its
	// id: the department sent a different report with the same revision.
	verifiedConflict
	// notTheRecord: the id is held by a message on another subject (another
	// department's), the stored message is gone, or it cannot be read: the
	// record is not known to be stored.
	notTheRecord
)

// verify compares a record JetStream called a duplicate with the message
// stored at seq (the sequence a duplicate's acknowledgement names). Only
// the record's department (and the service) may publish on its subject,
// so a message there is the department's own: the same content is a
// duplicate, other content a conflict the sender must know of (a change
// needs a new revision). A message on another subject holds the id
// without being the record — a department that set another department's
// ids on its own messages (issue 9, item 5) — and is logged at WARN for
// the operator. stream is nil when the stream may not be read.
func (p *Publisher) verify(ctx context.Context, stream jetstream.Stream, it *item, seq uint64) (verdict, *schema.FieldError, error) {
	if stream == nil {
		return notTheRecord, nil, nil
	}
	m, err := stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return notTheRecord, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("%w: read stored sequence %d to compare with %s:%d: %w", ErrPublish, seq, it.file, it.line, err)
	}
	if m.Subject != it.subject {
		p.cfg.Logger.Warn("another message holds this record's message id: publishing the record again under a fresh id; look into who sent the other message",
			"file", it.file, "line", it.line, "msg_id", it.msgID, "subject", it.subject, "held_by_seq", seq, "held_by_subject", m.Subject)
		return notTheRecord, nil, nil
	}
	stored, err := schema.DecodeAny(m.Data)
	if err == nil {
		var c, mine [32]byte
		if c, err = contentOf(stored); err == nil {
			if mine, err = it.contentHash(); err != nil {
				return 0, nil, err
			}
			if c == mine {
				return verifiedSame, nil, nil
			}
		}
	}
	return verifiedConflict, conflictProblem(it, seq), nil
}

// resend publishes a record under a fresh message id: its own id with a
// unique suffix, which no other publisher can have taken.
func (p *Publisher) resend(ctx context.Context, it *item) (*jetstream.PubAck, string, error) {
	m := it.msg()
	id := it.msgID + ":" + nuid.Next()
	m.Header.Set(schema.HeaderMsgID, id)
	pa, err := p.js.PublishMsg(ctx, m)
	if err != nil {
		return nil, "", err
	}
	p.cfg.Logger.Info("record published again under a fresh message id", "file", it.file, "line", it.line,
		"msg_id", id, "seq", pa.Sequence)
	return pa, id, nil
}

// conflictProblem says that the record's event is stored at seq with
// other content.
func conflictProblem(it *item, seq uint64) *schema.FieldError {
	next := strconv.Itoa(it.ev.Rev() + 1)
	return &schema.FieldError{Field: "revision", Value: strconv.Itoa(it.ev.Rev()), Rule: RuleConflict,
		MessageEn: "the same event (" + describe(it.ev) + ") is already stored with different content at sequence " + strconv.FormatUint(seq, 10) +
			"; this record was NOT stored; expected a correction as revision " + next + " with a correction_reason",
		MessageZh: "该事件（同一项目、期间/节点和版本号）已以不同内容报送（序号" + strconv.FormatUint(seq, 10) + "），本条未保存；更正请以版本号" + next + "报送并填写更正原因"}
}

func describe(ev schema.Event) string {
	return string(ev.Kind()) + " " + strings.Join(ev.Key(), " ") + " revision " + strconv.Itoa(ev.Rev())
}

func eventReceipt(it *item, seq uint64, dup bool) EventReceipt {
	return EventReceipt{Line: it.line, EventID: it.id, MsgID: it.msgID, Kind: string(it.ev.Kind()), ProjectID: it.ev.Project(),
		Subject: it.subject, Seq: seq, Duplicate: dup}
}
