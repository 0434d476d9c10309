package submit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Status is what happened to one file of a submission.
type Status string

// The file statuses.
const (
	// StatusPublished: every valid record was published (or found already
	// stored).
	StatusPublished Status = "published"
	// StatusPartial: SkipInvalid published the valid records and skipped
	// the invalid ones.
	StatusPartial Status = "partial"
	// StatusRejected: the file had problems and nothing of it was published.
	StatusRejected Status = "rejected"
	// StatusChecked: a dry run found the file valid; nothing was published.
	StatusChecked Status = "checked"
	// StatusFailed: publishing stopped on an error in this file; the
	// batches listed were stored, the rest was not.
	StatusFailed Status = "failed"
	// StatusPending: not published because publishing stopped on an
	// earlier file.
	StatusPending Status = "pending"
)

// Counts are the record counts of a file or a submission.
type Counts struct {
	// Read is the number of records read (data rows, non-blank lines).
	Read int `json:"read"`
	// Valid records have no problem; Invalid ones have at least one.
	Valid   int `json:"valid"`
	Invalid int `json:"invalid"`
	// Published were newly stored in JetStream.
	Published int `json:"published"`
	// Duplicates were already stored with the same content (JetStream knew
	// their message id).
	Duplicates int `json:"duplicates"`
	// Conflicts were already stored under their event id with different
	// content: they were not stored, and each has a problem (rule
	// conflict) saying to send a new revision.
	Conflicts int `json:"conflicts"`
	// Repeated are valid records identical to an earlier record of the
	// same submission; they were published once.
	Repeated int `json:"repeated"`
	// Resent were published (and are counted in Published) under a fresh
	// message id, because JetStream held their id for a message that is
	// not known to be theirs: a message on another subject (another
	// department's, holding this department's ids), or any stored message
	// when the stream may not be read (a department's NATS user). Ingest
	// stores each event once, so a resent duplicate is not stored twice.
	Resent int `json:"resent"`
}

func (c *Counts) add(o Counts) {
	c.Read += o.Read
	c.Valid += o.Valid
	c.Invalid += o.Invalid
	c.Published += o.Published
	c.Duplicates += o.Duplicates
	c.Conflicts += o.Conflicts
	c.Repeated += o.Repeated
	c.Resent += o.Resent
}

// Batch is one atomic batch as JetStream acknowledged it. A batch that
// held a message id JetStream had already stored is rejected by the server
// as a whole; its records are then published one at a time (OneByOne), and
// FirstSeq/LastSeq span the newly stored ones (zero when all were
// duplicates).
type Batch struct {
	// ID is the batch id (Nats-Batch-Id); empty when OneByOne.
	ID string `json:"batch_id,omitempty"`
	// Size is the number of records in the batch.
	Size int `json:"size"`
	// FirstSeq and LastSeq are the stream sequences of its first and last
	// stored message in KPP_UPDATES.
	FirstSeq uint64 `json:"first_seq,omitempty"`
	LastSeq  uint64 `json:"last_seq,omitempty"`
	// OneByOne is true when the records were published one at a time.
	OneByOne bool `json:"one_by_one,omitempty"`
	// Duplicates counts the records JetStream had already stored.
	Duplicates int `json:"duplicates,omitempty"`
}

// EventReceipt is one published event: its id, its message id, the
// subject and the stream sequence that holds it.
type EventReceipt struct {
	// Line is the record's line in its file.
	Line int `json:"line"`
	// EventID is schema.EventID of the event: the id of its stored row.
	EventID string `json:"event_id"`
	// MsgID is schema.MsgID of the event, its Nats-Msg-Id
	// ("<department>:<event id>"); a resent event was published with it
	// and a unique suffix.
	MsgID string `json:"msg_id"`
	// Kind is project, investment or milestone.
	Kind string `json:"kind"`
	// ProjectID is the project the event is about.
	ProjectID string `json:"project_id"`
	// Subject is the subject it was published on.
	Subject string `json:"subject"`
	// Seq is the sequence in the KPP_UPDATES stream; for a duplicate, the
	// sequence of the copy stored before.
	Seq       uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate,omitempty"`
	// Resent is true when the event was published again under a fresh
	// message id (see Counts.Resent); HeldBy is the sequence of the
	// message that held its id.
	Resent bool   `json:"resent,omitempty"`
	HeldBy uint64 `json:"held_by,omitempty"`
}

// FileReceipt is the receipt of one file.
type FileReceipt struct {
	// File is the file name as given ("events" for PublishEvents).
	File string `json:"file"`
	// Format is the file's format.
	Format Format `json:"format"`
	// Status says what happened to the file.
	Status Status `json:"status"`
	Counts
	// Batches are the batches published, in order.
	Batches []Batch `json:"batches"`
	// Events are the published events (new and duplicate), in publishing
	// order: registrations first, then by line.
	Events []EventReceipt `json:"events"`
	// Problems are the file's problems, by line.
	Problems []Problem `json:"problems"`
}

// Receipt says what a submission read, rejected and stored. Its JSON form
// is complete (every event id and problem); [Receipt.WriteText] is a
// summary for people.
type Receipt struct {
	// DryRun is true when nothing was meant to be published.
	DryRun bool `json:"dry_run,omitempty"`
	// Files are the receipts of the files, in the order given.
	Files []*FileReceipt `json:"files"`
}

// Totals adds up the counts of every file.
func (r *Receipt) Totals() Counts {
	var c Counts
	for _, f := range r.Files {
		c.add(f.Counts)
	}
	return c
}

// Problems lists every problem of every file.
func (r *Receipt) Problems() []Problem {
	var out []Problem
	for _, f := range r.Files {
		out = append(out, f.Problems...)
	}
	return out
}

// Events lists every published event of every file.
func (r *Receipt) Events() []EventReceipt {
	var out []EventReceipt
	for _, f := range r.Files {
		out = append(out, f.Events...)
	}
	return out
}

// WriteJSON writes the full receipt as indented JSON.
func (r *Receipt) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write receipt: %w", err)
	}
	return nil
}

// WriteText writes a summary: one line per file with its counts, status
// and batches, the totals, and every problem. Event ids are in the JSON.
func (r *Receipt) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tFORMAT\tREAD\tVALID\tINVALID\tPUBLISHED\tDUPLICATES\tCONFLICTS\tREPEATED")
	for _, f := range r.Files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", f.File, f.Format, f.Read, f.Valid, f.Invalid, f.Published, f.Duplicates, f.Conflicts, f.Repeated)
	}
	t := r.Totals()
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", t.Read, t.Valid, t.Invalid, t.Published, t.Duplicates, t.Conflicts, t.Repeated)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write receipt: %w", err)
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, f := range r.Files {
		fmt.Fprintf(&b, "%s: %s%s\n", f.File, statusSummary(f), batchSummary(f))
	}
	if r.DryRun {
		b.WriteString("dry run: nothing was published\n")
	}
	if probs := r.Problems(); len(probs) > 0 {
		fmt.Fprintf(&b, "\n%d %s:\n", len(probs), plural(len(probs), "problem", "problems"))
		for _, p := range probs {
			b.WriteString("  " + p.String() + "\n")
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write receipt: %w", err)
	}
	return nil
}

func statusSummary(f *FileReceipt) string {
	switch f.Status {
	case StatusRejected:
		return fmt.Sprintf("rejected (%d %s), nothing published", len(f.Problems), plural(len(f.Problems), "problem", "problems"))
	case StatusPartial:
		return fmt.Sprintf("partial (%d invalid %s skipped)", f.Invalid, plural(f.Invalid, "record", "records"))
	case StatusChecked:
		return "checked, nothing published (dry run)"
	}
	st := string(f.Status)
	if f.Resent > 0 {
		st += fmt.Sprintf(" (%d %s again under a fresh message id: JetStream held the id for a message not known to be this department's; ingest stores each report once)",
			f.Resent, plural(f.Resent, "record published", "records published"))
	}
	if f.Conflicts > 0 {
		return fmt.Sprintf("%s, but %d %s already stored with different content and not replaced (see the problems)",
			st, f.Conflicts, plural(f.Conflicts, "record was", "records were"))
	}
	return st
}

func batchSummary(f *FileReceipt) string {
	if len(f.Batches) == 0 {
		return ""
	}
	var parts []string
	for _, b := range f.Batches {
		s := fmt.Sprintf("%d records", b.Size)
		if b.OneByOne {
			s += " one by one"
		} else {
			s += " atomically (batch " + b.ID + ")"
		}
		if b.LastSeq > 0 {
			s += fmt.Sprintf(", seq %d-%d", b.FirstSeq, b.LastSeq)
		}
		if b.Duplicates > 0 {
			s += fmt.Sprintf(", %d already stored", b.Duplicates)
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf(", %d %s: %s", len(f.Batches), plural(len(f.Batches), "batch", "batches"), strings.Join(parts, "; "))
}
