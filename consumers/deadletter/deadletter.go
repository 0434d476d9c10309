// Package deadletter reads the updates that ingest rejected, for
// `kpp dlq list`. Ingest keeps every rejected message twice: its raw copy on
// the KPP_DEADLETTER stream (subject kpp.dlq.<original subject>, the reason
// in Kpp-Reject-* headers) and a row in the rejected_updates table with the
// reason in English and Chinese. This package lists the rows.
package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/schema"
)

// DefaultLimit is the number of rows List returns when Filter.Limit is 0.
const DefaultLimit = 100

// ExcerptRunes is the length of Rejected.PayloadExcerpt, in characters.
const ExcerptRunes = 120

// ErrBadFilter is wrapped by errors about a Filter.
var ErrBadFilter = errors.New("bad dead-letter filter")

// Filter selects rejected updates. The zero value lists the newest
// DefaultLimit rejections of every department.
type Filter struct {
	// Department keeps the rejections of one department (from the subject);
	// empty for all.
	Department string
	// Since keeps the messages JetStream received at or after it; zero for
	// all.
	Since time.Time
	// Limit is the most rows returned, newest first; 0 means DefaultLimit.
	Limit int
}

// Rejected is one rejected update.
type Rejected struct {
	// Seq is the message's sequence in the KPP_UPDATES stream.
	Seq uint64
	// DLQSeq is the sequence of its copy in the KPP_DEADLETTER stream.
	DLQSeq uint64
	// Subject is the subject it arrived on.
	Subject string
	// DepartmentID, Kind and ProjectID come from the subject (empty when
	// the subject was not an update subject).
	DepartmentID string
	Kind         string
	ProjectID    string
	// EventID is the event id, when the payload could be decoded.
	EventID string
	// Rule is the first rule broken, e.g. unknown_project, period, decimal.
	Rule string
	// ReasonZh and ReasonEn list every problem in Chinese and English.
	ReasonZh string
	ReasonEn string
	// Errors are the problems one by one.
	Errors []schema.FieldError
	// ReceivedAt is when JetStream stored the message (Asia/Shanghai).
	ReceivedAt time.Time
	// RejectedAt is when ingest rejected it.
	RejectedAt time.Time
	// PayloadExcerpt is the start of the raw payload on one line, at most
	// ExcerptRunes characters and "…" when cut.
	PayloadExcerpt string
	// PayloadBytes is the size of the raw payload.
	PayloadBytes int
}

// List returns the rejected updates that match f, newest first.
func List(ctx context.Context, st *chstore.Store, f Filter) ([]Rejected, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("%w: limit %d: expected 0 (default %d) or more", ErrBadFilter, f.Limit, DefaultLimit)
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	q := `SELECT stream_seq, dlq_seq, subject, department_id, kind, project_id, event_id, rule,
       reason_zh, reason_en, errors, payload, received_at, rejected_at
FROM rejected_updates FINAL`
	var where []string
	var args []any
	if f.Department != "" {
		where = append(where, "department_id = ?")
		args = append(args, f.Department)
	}
	if !f.Since.IsZero() {
		where = append(where, "received_at >= ?")
		args = append(args, f.Since)
	}
	if len(where) > 0 {
		q += "\nWHERE " + strings.Join(where, " AND ")
	}
	q += "\nORDER BY stream_seq DESC\nLIMIT ?"
	args = append(args, f.Limit)

	rows, err := st.Conn().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list rejected updates: %w", err)
	}
	defer rows.Close()
	var out []Rejected
	for rows.Next() {
		var r Rejected
		var errs, payload string
		if err := rows.Scan(&r.Seq, &r.DLQSeq, &r.Subject, &r.DepartmentID, &r.Kind, &r.ProjectID, &r.EventID, &r.Rule,
			&r.ReasonZh, &r.ReasonEn, &errs, &payload, &r.ReceivedAt, &r.RejectedAt); err != nil {
			return nil, fmt.Errorf("list rejected updates: %w", err)
		}
		if errs != "" {
			if err := json.Unmarshal([]byte(errs), &r.Errors); err != nil {
				return nil, fmt.Errorf("list rejected updates: errors of stream sequence %d are not a JSON list of field errors: %w", r.Seq, err)
			}
		}
		r.ReceivedAt = r.ReceivedAt.In(schema.Location())
		r.RejectedAt = r.RejectedAt.In(schema.Location())
		r.PayloadExcerpt = Excerpt(payload, ExcerptRunes)
		r.PayloadBytes = len(payload)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rejected updates: %w", err)
	}
	return out, nil
}

// Excerpt returns the first n characters of s on one line: invalid UTF-8
// and control characters become U+FFFD or spaces, runs of white space
// become one space, and "…" marks a cut.
func Excerpt(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
