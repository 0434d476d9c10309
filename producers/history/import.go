package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// DefaultSource is the source recorded on imported events.
const DefaultSource = "import"

// Config configures an [Importer]. ImportedBy is required.
type Config struct {
	// ImportedBy names who imports: a person or the administrator
	// credential (at most 100 characters). Required.
	ImportedBy string
	// Source is the source recorded on every imported event. Default
	// [DefaultSource] ("import"); kpp demo uses "demo" (synthetic figures).
	Source string
	// BatchSize is the most records per atomic batch. Default 1000.
	BatchSize int
	// Streams is passed to [schema.EnsureStreams].
	Streams schema.StreamOptions
	// Now is the current time: declared times and periods after it are
	// refused. Default time.Now.
	Now func() time.Time
	// DryRun checks without publishing.
	DryRun bool
	// Logger receives one line per published batch. Default slog.Default().
	Logger *slog.Logger
}

// ErrInvalid is wrapped by the error of an import that had problems:
// nothing of a file with problems was published.
var ErrInvalid = errors.New("import has problems")

// Importer checks and publishes imports. It is safe for concurrent use.
type Importer struct {
	js  jetstream.JetStream
	cfg Config
}

// New returns an Importer publishing through js (the operator's
// connection: a department's user may not publish imports).
func New(js jetstream.JetStream, cfg Config) (*Importer, error) {
	if js == nil {
		return nil, errors.New("history: a JetStream context is required")
	}
	cfg.ImportedBy = strings.TrimSpace(cfg.ImportedBy)
	if cfg.ImportedBy == "" {
		return nil, errors.New("history: ImportedBy is required: say who imports (kpp import --by NAME)")
	}
	if cfg.Source == "" {
		cfg.Source = DefaultSource
	}
	if cfg.BatchSize <= 0 || cfg.BatchSize > submit.MaxBatchSize {
		cfg.BatchSize = submit.MaxBatchSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Importer{js: js, cfg: cfg}, nil
}

// FileReceipt is what happened to one file of an import.
type FileReceipt struct {
	File string `json:"file"`
	// Status is "published", "checked" (dry run) or "rejected" (problems:
	// nothing published).
	Status string `json:"status"`
	// Read counts the records read; Published those stored now;
	// Duplicates those already in the stream (same event id).
	Read       int `json:"read"`
	Published  int `json:"published"`
	Duplicates int `json:"duplicates"`
	// First and Last are the earliest and latest declared submission times.
	First    time.Time        `json:"first_submitted_at,omitzero"`
	Last     time.Time        `json:"last_submitted_at,omitzero"`
	FirstSeq uint64           `json:"first_seq,omitempty"`
	LastSeq  uint64           `json:"last_seq,omitempty"`
	Problems []submit.Problem `json:"problems"`
}

// Receipt is the result of an import.
type Receipt struct {
	ImportedBy string         `json:"imported_by"`
	ImportedAt time.Time      `json:"imported_at"`
	DryRun     bool           `json:"dry_run,omitempty"`
	Files      []*FileReceipt `json:"files"`
}

// Problems returns every file's problems.
func (r *Receipt) Problems() []submit.Problem {
	var out []submit.Problem
	for _, f := range r.Files {
		out = append(out, f.Problems...)
	}
	return out
}

// WriteText writes the receipt for people, Chinese first.
func (r *Receipt) WriteText(w io.Writer) error {
	for _, f := range r.Files {
		switch f.Status {
		case "rejected":
			fmt.Fprintf(w, "%s: 未导入（%d 个问题，本文件未发布任何记录） / not imported (%d problems, nothing published)\n", f.File, len(f.Problems), len(f.Problems))
		default:
			verb := "导入 imported"
			if f.Status == "checked" {
				verb = "检查通过 checked (dry run)"
			}
			span := ""
			if !f.First.IsZero() {
				span = fmt.Sprintf("，报送时间 %s … %s", f.First.Format("2006-01-02 15:04"), f.Last.Format("2006-01-02 15:04"))
			}
			fmt.Fprintf(w, "%s: %s %d 条（新 %d，重复 %d）%s；导入人 %s\n", f.File, verb, f.Read, f.Published, f.Duplicates, span, r.ImportedBy)
		}
		for _, p := range f.Problems {
			fmt.Fprintf(w, "  %s\n", p.String())
		}
	}
	return nil
}

// WriteJSON writes the receipt as indented JSON.
func (r *Receipt) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Item is one event to import with its declared submission time, for
// imports built in code (kpp demo).
type Item struct {
	Event       schema.Event
	SubmittedAt time.Time
}

// ImportEvents imports events built in code as one input named "events".
func (im *Importer) ImportEvents(ctx context.Context, items []Item) (*Receipt, error) {
	in := &Input{Name: "events", Format: submit.FormatEvents, Records: make([]Record, len(items))}
	for i, it := range items {
		in.Records[i] = Record{Line: i + 1, Event: it.Event, SubmittedAt: it.SubmittedAt}
	}
	return im.Import(ctx, in)
}

// Import checks every record of every input — as kpp submit does
// (decoding, validation, ownership, one content per event id) and its
// declared time ([schema.CheckImport]) — and publishes the files without
// problems on the import subjects, registrations first, then by declared
// time. A file with any problem publishes nothing; the error then wraps
// [ErrInvalid] and the receipt lists the problems.
func (im *Importer) Import(ctx context.Context, inputs ...*Input) (*Receipt, error) {
	now := im.cfg.Now()
	rc := &Receipt{ImportedBy: im.cfg.ImportedBy, ImportedAt: now.In(schema.Location()).Truncate(time.Second), DryRun: im.cfg.DryRun}
	if !im.cfg.DryRun {
		if err := schema.EnsureStreams(ctx, im.js, im.cfg.Streams); err != nil {
			return nil, fmt.Errorf("prepare streams: %w", err)
		}
	}
	// kpp submit's checks, without publishing.
	check, err := submit.New(im.js, submit.Config{DryRun: true, Source: im.cfg.Source, Now: func() time.Time { return now }, Logger: im.cfg.Logger})
	if err != nil {
		return nil, err
	}
	sins := make([]*submit.Input, len(inputs))
	for i, in := range inputs {
		sin := &submit.Input{Name: in.Name, Format: submit.FormatEvents, Problems: in.Problems, Records: make([]submit.Record, len(in.Records))}
		for j := range in.Records {
			r := &in.Records[j]
			if r.Event != nil {
				r.Event = withSource(r.Event, im.cfg.Source)
			}
			sin.Records[j] = submit.Record{Line: r.Line, Event: r.Event, Problems: r.Problems}
		}
		sins[i] = sin
	}
	src, err := check.SubmitInputs(ctx, sins...)
	var inv *submit.InvalidError
	if err != nil && !errors.As(err, &inv) {
		return nil, err
	}
	failed := false
	for i, in := range inputs {
		fr := &FileReceipt{File: in.Name, Read: len(in.Records), Problems: append([]submit.Problem{}, src.Files[i].Problems...)}
		rc.Files = append(rc.Files, fr)
		for _, r := range in.Records {
			if r.Event == nil {
				continue
			}
			if r.SubmittedAt.IsZero() && len(r.Problems) == 0 {
				fr.Problems = append(fr.Problems, submit.Problem{File: in.Name, Line: r.Line, FieldError: submittedRequired()})
				continue
			}
			if err := schema.CheckImport(r.Event, r.SubmittedAt, im.cfg.ImportedBy, now); err != nil {
				for _, fe := range fieldErrors(err) {
					if fe.Field == "submitted_at" {
						fr.Problems = append(fr.Problems, submit.Problem{File: in.Name, Line: r.Line, FieldError: fe})
					}
				}
			}
			if fr.First.IsZero() || r.SubmittedAt.Before(fr.First) {
				fr.First = r.SubmittedAt
			}
			if r.SubmittedAt.After(fr.Last) {
				fr.Last = r.SubmittedAt
			}
		}
		sort.SliceStable(fr.Problems, func(a, b int) bool { return fr.Problems[a].Line < fr.Problems[b].Line })
		switch {
		case len(fr.Problems) > 0:
			fr.Status, failed = "rejected", true
		case im.cfg.DryRun:
			fr.Status = "checked"
		default:
			if err := im.publish(ctx, fr, in); err != nil {
				return rc, err
			}
			fr.Status = "published"
		}
	}
	if failed {
		return rc, fmt.Errorf("%w: %d problems; files with problems were not published", ErrInvalid, len(rc.Problems()))
	}
	return rc, nil
}

// withSource returns a copy of ev with its source set.
func withSource(ev schema.Event, source string) schema.Event {
	switch e := ev.(type) {
	case *schema.Project:
		c := *e
		c.Source = source
		return &c
	case *schema.InvestmentReport:
		c := *e
		c.Source = source
		return &c
	case *schema.MilestoneUpdate:
		c := *e
		c.Source = source
		return &c
	}
	return ev
}

// publish publishes a checked file: registrations first, then by declared
// time, in atomic batches; a batch holding an already-stored event id is
// published one message at a time and the duplicates are counted.
func (im *Importer) publish(ctx context.Context, fr *FileReceipt, in *Input) error {
	recs := make([]Record, 0, len(in.Records))
	seen := map[string]bool{}
	for _, r := range in.Records {
		id := schema.EventID(r.Event)
		if seen[id] { // the same content twice (checked): once
			continue
		}
		seen[id] = true
		recs = append(recs, r)
	}
	sort.SliceStable(recs, func(i, j int) bool {
		pi, pj := recs[i].Event.Kind() == schema.KindProject, recs[j].Event.Kind() == schema.KindProject
		if pi != pj {
			return pi
		}
		return recs[i].SubmittedAt.Before(recs[j].SubmittedAt)
	})
	msgs := make([]*nats.Msg, len(recs))
	for i, r := range recs {
		body, err := json.Marshal(r.Event)
		if err != nil {
			return fmt.Errorf("%s:%d: encode event: %w", in.Name, r.Line, err)
		}
		m := nats.NewMsg(schema.ImportSubject(r.Event))
		m.Data = body
		m.Header.Set(schema.HeaderMsgID, schema.EventID(r.Event))
		m.Header.Set(schema.HeaderSubmittedAt, r.SubmittedAt.In(schema.Location()).Format(schema.SubmittedAtLayout))
		m.Header.Set(schema.HeaderImportedBy, im.cfg.ImportedBy)
		msgs[i] = m
	}
	for start := 0; start < len(msgs); start += im.cfg.BatchSize {
		batch := msgs[start:min(start+im.cfg.BatchSize, len(msgs))]
		if err := im.publishBatch(ctx, fr, batch); err != nil {
			return err
		}
	}
	return nil
}

func (im *Importer) publishBatch(ctx context.Context, fr *FileReceipt, msgs []*nats.Msg) error {
	seq := func(s uint64) {
		if fr.FirstSeq == 0 {
			fr.FirstSeq = s
		}
		fr.LastSeq = max(fr.LastSeq, s)
	}
	ack, err := jetstreamext.PublishMsgBatch(ctx, im.js, msgs)
	if err == nil {
		fr.Published += len(msgs)
		seq(ack.Sequence - ack.BatchSize + 1)
		seq(ack.Sequence)
		im.cfg.Logger.Info("imported atomic batch", "file", fr.File, "size", len(msgs), "last_seq", ack.Sequence)
		return nil
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != jetstreamext.JSErrCodeBatchPublishDuplicateMsgID {
		return fmt.Errorf("%w: %s: atomic batch of %d records, nothing of it stored: %w", submit.ErrPublish, fr.File, len(msgs), err)
	}
	for _, bm := range msgs {
		// The batch publish added its own headers to bm: send a clean copy.
		m := nats.NewMsg(bm.Subject)
		m.Data = bm.Data
		for _, h := range []string{schema.HeaderMsgID, schema.HeaderSubmittedAt, schema.HeaderImportedBy} {
			m.Header.Set(h, bm.Header.Get(h))
		}
		pa, err := im.js.PublishMsg(ctx, m)
		if err != nil {
			return fmt.Errorf("%w: %s: %s: %w", submit.ErrPublish, fr.File, m.Subject, err)
		}
		if pa.Duplicate {
			fr.Duplicates++
			continue
		}
		fr.Published++
		seq(pa.Sequence)
	}
	return nil
}
