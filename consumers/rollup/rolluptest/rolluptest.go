// Package rolluptest loads fixture events into the update tables of a real
// ClickHouse database (project_registrations, investment_reports,
// milestone_updates), the way ingest stores them, so that tests of the
// rollup and the reports start from known facts without NATS.
//
// [ReadEvents] and [Insert] load a plain list of events received one second
// apart; [ReadReceipts] and [InsertReceipts] load events each with the
// server time it was received (testdata/review/receipts.json), which
// decides what a weekly or ten-day review sees and whether a report was
// late.
package rolluptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// ReadEvents reads a JSON array of events (each with its "schema" field)
// and decodes and validates every one. Errors name the file, the line and
// the event's index.
func ReadEvents(path string) ([]schema.Event, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("%s:1: expected a JSON array of events", path)
	}
	var out []schema.Event
	for i := 0; dec.More(); i++ {
		line := lineAt(data, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s:%d: event %d: %w", path, line, i, err)
		}
		ev, err := schema.DecodeAny(raw)
		if err == nil {
			err = ev.Validate(time.Time{})
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: event %d: %w", path, line, i, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// lineAt is the line of the first character after off that is not a
// separator.
func lineAt(data []byte, off int) int {
	for off < len(data) && bytes.IndexByte([]byte(" \t\r\n,"), data[off]) >= 0 {
		off++
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// Receipt is an event and the server time NATS stored it (received_at).
type Receipt struct {
	ReceivedAt time.Time
	Event      schema.Event
}

// ReadReceipts reads a JSON array of {"received_at": RFC 3339 time,
// "event": event}, and decodes and validates every event as of its receipt
// (a report of a month that had not started by then is an error). Errors
// name the file, the line and the receipt's index.
func ReadReceipts(path string) ([]Receipt, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read receipts: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("%s:1: expected a JSON array of receipts", path)
	}
	var out []Receipt
	for i := 0; dec.More(); i++ {
		line := lineAt(data, int(dec.InputOffset()))
		var raw struct {
			ReceivedAt string          `json:"received_at"`
			Event      json.RawMessage `json:"event"`
		}
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s:%d: receipt %d: %w", path, line, i, err)
		}
		at, err := time.Parse(time.RFC3339, raw.ReceivedAt)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: receipt %d: received_at %q: expected an RFC 3339 time such as 2025-10-03T10:00:00+08:00", path, line, i, raw.ReceivedAt)
		}
		ev, err := schema.DecodeAny(raw.Event)
		if err == nil {
			err = ev.Validate(at)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: receipt %d: %w", path, line, i, err)
		}
		out = append(out, Receipt{ReceivedAt: at.In(schema.Location()), Event: ev})
	}
	return out, nil
}

// InsertReceipts stores the receipts in order as ingest would, each with
// its received_at: receipt i gets stream sequence first+i.
func InsertReceipts(ctx context.Context, st *chstore.Store, receipts []Receipt, first uint64) error {
	events := make([]schema.Event, len(receipts))
	at := make([]time.Time, len(receipts))
	for i, r := range receipts {
		events[i], at[i] = r.Event, r.ReceivedAt
	}
	return insert(ctx, st, events, first, func(i int) time.Time { return at[i] })
}

// Insert stores the events in order as ingest would: event i gets stream
// sequence first+i, keep rank 2^64-1 minus it, and received_at
// receivedAt + i seconds. An event given twice is stored twice, as a
// redelivery would be; the views keep one copy.
func Insert(ctx context.Context, st *chstore.Store, events []schema.Event, first uint64, receivedAt time.Time) error {
	return insert(ctx, st, events, first, func(i int) time.Time { return receivedAt.Add(time.Duration(i) * time.Second) })
}

func insert(ctx context.Context, st *chstore.Store, events []schema.Event, first uint64, receivedAt func(int) time.Time) error {
	conn := st.Conn()
	projects, err := conn.PrepareBatch(ctx, `INSERT INTO project_registrations (event_id, project_id, revision, name_zh,
name_en, region, category, stage, department_id, department_name, total_investment_wan, plan_years, plan_annual_wan,
plan_monthly_wan, milestone_ids, milestone_titles, milestone_planned, reported_by, source, received_at, stream_seq, keep_rank, ingested_at,
responsible_unit, responsible_person, lead_official)`)
	if err != nil {
		return fmt.Errorf("insert project registrations: %w", err)
	}
	defer projects.Abort()
	reports, err := conn.PrepareBatch(ctx, `INSERT INTO investment_reports (event_id, project_id, department_id, period,
period_start, revision, month_completed_wan, ytd_completed_wan, since_start_completed_wan, correction_reason,
reported_by, source, received_at, stream_seq, keep_rank, ingested_at, problems, next_steps)`)
	if err != nil {
		return fmt.Errorf("insert investment reports: %w", err)
	}
	defer reports.Abort()
	milestones, err := conn.PrepareBatch(ctx, `INSERT INTO milestone_updates (event_id, project_id, department_id,
milestone_id, revision, title, status, planned_date, forecast_date, actual_date, as_of, percent_complete, note,
reported_by, source, received_at, stream_seq, keep_rank, ingested_at)`)
	if err != nil {
		return fmt.Errorf("insert milestone updates: %w", err)
	}
	defer milestones.Abort()

	var np, nr, nm int
	for i, ev := range events {
		seq := first + uint64(i)
		at := receivedAt(i)
		id := schema.EventID(ev)
		switch e := ev.(type) {
		case *schema.Project:
			var years []uint16
			var amounts []decimal.Decimal
			monthly := [][]decimal.Decimal{}
			for _, ap := range e.AnnualPlans {
				years = append(years, uint16(ap.Year))
				amounts = append(amounts, ap.AmountWan.Value)
				months := []decimal.Decimal{}
				for _, m := range ap.MonthlyWan {
					months = append(months, m.Value)
				}
				monthly = append(monthly, months)
			}
			var ids, titles []string
			var planned []time.Time
			for _, m := range e.Milestones {
				ids, titles = append(ids, m.MilestoneID), append(titles, m.Title)
				planned = append(planned, mustDate(m.PlannedDate))
			}
			err = projects.Append(id, e.ProjectID, uint32(e.Revision), e.NameZh, e.NameEn, e.Region, string(e.Category),
				string(e.Stage), e.DepartmentID, e.DepartmentName, optWan(e.TotalInvestmentWan), years, amounts,
				monthly, ids, titles, planned, e.ReportedBy, e.Source, at, seq, math.MaxUint64-seq, at,
				e.ResponsibleUnit, e.ResponsiblePerson, e.LeadOfficial)
			np++
		case *schema.InvestmentReport:
			p, perr := schema.ParsePeriod(e.Period)
			if perr != nil {
				return fmt.Errorf("event %d: %w", i, perr)
			}
			err = reports.Append(id, e.ProjectID, e.DepartmentID, e.Period, p.Start(), uint32(e.Revision),
				e.MonthCompletedWan.Value, e.YTDCompletedWan.Value, optWan(e.SinceStartCompletedWan), e.CorrectionReason,
				e.ReportedBy, e.Source, at, seq, math.MaxUint64-seq, at, e.Problems, e.NextSteps)
			nr++
		case *schema.MilestoneUpdate:
			err = milestones.Append(id, e.ProjectID, e.DepartmentID, e.MilestoneID, uint32(e.Revision), e.Title,
				string(e.Status), optDate(e.PlannedDate), optDate(e.ForecastDate), optDate(e.ActualDate), mustDate(e.AsOf),
				e.PercentComplete, e.Note, e.ReportedBy, e.Source, at, seq, math.MaxUint64-seq, at)
			nm++
		default:
			return fmt.Errorf("event %d: unexpected type %T", i, ev)
		}
		if err != nil {
			return fmt.Errorf("event %d (%s %s): %w", i, ev.Kind(), ev.Project(), err)
		}
	}
	for _, b := range []struct {
		batch driver.Batch
		n     int
		table string
	}{{projects, np, "project_registrations"}, {reports, nr, "investment_reports"}, {milestones, nm, "milestone_updates"}} {
		if b.n == 0 {
			continue
		}
		if err := b.batch.Send(); err != nil {
			return fmt.Errorf("insert %d rows into %s: %w", b.n, b.table, err)
		}
	}
	return nil
}

func optWan(w schema.Wan) *decimal.Decimal {
	if !w.Valid() {
		return nil
	}
	return &w.Value
}

func optDate(s string) *time.Time {
	if s == "" {
		return nil
	}
	t := mustDate(s)
	return &t
}

// mustDate parses a date that validation has already checked.
func mustDate(s string) time.Time {
	t, err := schema.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Store opens a new, migrated database on the test's ClickHouse server
// (internal/testenv) and closes it when the test ends.
func Store(tb testing.TB) *chstore.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(tb), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return st
}
