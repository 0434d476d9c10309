package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// inChunk is how many values one IN (...) list binds: 1000 event ids keep a
// query well below ClickHouse's max_query_size (256 KiB).
const inChunk = 1000

// loadOwners reads the owner of every registered project.
func loadOwners(ctx context.Context, conn driver.Conn) (schema.Owners, error) {
	rows, err := conn.Query(ctx, "SELECT project_id, department_id FROM projects")
	if err != nil {
		return nil, fmt.Errorf("read project owners from ClickHouse: %w", err)
	}
	defer rows.Close()
	owners := schema.Owners{}
	for rows.Next() {
		var project, dept string
		if err := rows.Scan(&project, &dept); err != nil {
			return nil, fmt.Errorf("read project owners from ClickHouse: %w", err)
		}
		owners[project] = dept
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read project owners from ClickHouse: %w", err)
	}
	return owners, nil
}

// tableOf is the table that stores events of a kind.
func tableOf(k schema.Kind) string {
	switch k {
	case schema.KindProject:
		return "project_registrations"
	case schema.KindInvestment:
		return "investment_reports"
	case schema.KindMilestone:
		return "milestone_updates"
	}
	return ""
}

// markDuplicates flags the accepted items whose event is already stored,
// or appears earlier in the batch. Those are not inserted again.
//
// An event id is a hash of the event's kind, business key and revision,
// and those are each table's sorting key, so an event is stored exactly
// when a row with its key is. The batch's keys go to ClickHouse as an
// external table and the lookup reads only the granules of the sorting key
// that hold them (and, for investment reports, only the partitions of the
// batch's months): its cost follows the batch, not how much is stored.
func markDuplicates(ctx context.Context, conn driver.Conn, items []*item) error {
	seen := map[string]bool{}
	byKind := map[schema.Kind][]*item{}
	for _, it := range items {
		it.duplicate = false
		if !it.accepted() {
			continue
		}
		if seen[it.eventID] {
			it.duplicate = true
			continue
		}
		seen[it.eventID] = true
		byKind[it.kind()] = append(byKind[it.kind()], it)
	}
	stored := map[string]bool{}
	for kind, its := range byKind {
		lk := lookupOf(kind)
		keys, err := ext.NewTable("batch_keys", lk.columns...)
		if err != nil {
			return fmt.Errorf("look up stored %s events: %w", kind, err)
		}
		for _, it := range its {
			if err := keys.Append(lk.key(it.ev)...); err != nil {
				return fmt.Errorf("look up stored %s events: stream sequence %d: %w", kind, it.seq, err)
			}
		}
		rows, err := conn.Query(clickhouse.Context(ctx, clickhouse.WithExternalTable(keys)), lk.query)
		if err != nil {
			return fmt.Errorf("look up stored %s events: %w", kind, err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("look up stored %s events: %w", kind, err)
			}
			stored[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("look up stored %s events: %w", kind, err)
		}
	}
	for _, it := range items {
		if it.accepted() && !it.duplicate && stored[it.eventID] {
			it.duplicate = true
		}
	}
	return nil
}

// lookup finds stored events of one kind by their sorting key.
type lookup struct {
	columns []func(*ext.Table) error
	key     func(schema.Event) []any
	query   string
}

// lookupOf is the duplicate lookup of a kind. The key columns are the
// table's sorting key (schema/migrations), which the IN condition uses.
func lookupOf(k schema.Kind) lookup {
	switch k {
	case schema.KindProject:
		return lookup{
			columns: []func(*ext.Table) error{ext.Column("project_id", column.Type("String")), ext.Column("revision", column.Type("UInt32"))},
			key: func(e schema.Event) []any {
				p := e.(*schema.Project)
				return []any{p.ProjectID, uint32(p.Revision)}
			},
			query: "SELECT event_id FROM project_registrations WHERE (project_id, revision) IN (SELECT project_id, revision FROM batch_keys)",
		}
	case schema.KindInvestment:
		return lookup{
			columns: []func(*ext.Table) error{ext.Column("project_id", column.Type("String")), ext.Column("period", column.Type("String")),
				ext.Column("revision", column.Type("UInt32")), ext.Column("period_start", column.Type("Date"))},
			key: func(e schema.Event) []any {
				r := e.(*schema.InvestmentReport)
				p, _ := schema.ParsePeriod(r.Period) // validated before
				return []any{r.ProjectID, r.Period, uint32(r.Revision), p.Start()}
			},
			query: `SELECT event_id FROM investment_reports
WHERE period_start IN (SELECT period_start FROM batch_keys)
  AND (project_id, period, revision) IN (SELECT project_id, period, revision FROM batch_keys)`,
		}
	default: // schema.KindMilestone: classify accepts no other kind
		return lookup{
			columns: []func(*ext.Table) error{ext.Column("project_id", column.Type("String")), ext.Column("milestone_id", column.Type("String")),
				ext.Column("revision", column.Type("UInt32"))},
			key: func(e schema.Event) []any {
				m := e.(*schema.MilestoneUpdate)
				return []any{m.ProjectID, m.MilestoneID, uint32(m.Revision)}
			},
			query: "SELECT event_id FROM milestone_updates WHERE (project_id, milestone_id, revision) IN (SELECT project_id, milestone_id, revision FROM batch_keys)",
		}
	}
}

// storedDeadLetters returns, for the given stream sequences, the
// dead-letter sequence already recorded in rejected_updates.
func storedDeadLetters(ctx context.Context, conn driver.Conn, seqs []any) (map[uint64]uint64, error) {
	out := map[uint64]uint64{}
	for start := 0; start < len(seqs); start += inChunk {
		chunk := seqs[start:min(start+inChunk, len(seqs))]
		rows, err := conn.Query(ctx, "SELECT stream_seq, dlq_seq FROM rejected_updates WHERE stream_seq IN ?", clickhouse.GroupSet{Value: chunk})
		if err != nil {
			return nil, fmt.Errorf("look up recorded rejections: %w", err)
		}
		for rows.Next() {
			var seq, dlq uint64
			if err := rows.Scan(&seq, &dlq); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up recorded rejections: %w", err)
			}
			out[seq] = dlq
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("look up recorded rejections: %w", err)
		}
	}
	return out, nil
}

// The column lists of the inserts, in the order the append functions
// supply values. See schema/migrations/0001_updates.sql.
const (
	insertProjects = `INSERT INTO project_registrations (event_id, project_id, revision, name_zh, name_en, region, category, stage,
 department_id, department_name, total_investment_wan, plan_years, plan_annual_wan, plan_monthly_wan,
 milestone_ids, milestone_titles, milestone_planned, synthetic_fields, reported_by, source,
 received_at, stream_seq, keep_rank, ingested_at, imported_at, imported_by, responsible_unit, responsible_person, lead_official)`
	insertInvestments = `INSERT INTO investment_reports (event_id, project_id, department_id, period, period_start, revision,
 month_completed_wan, ytd_completed_wan, since_start_completed_wan, physical_progress, problems, next_steps,
 correction_reason, reported_by, reported_at, source, received_at, stream_seq, keep_rank, ingested_at, imported_at, imported_by)`
	insertMilestones = `INSERT INTO milestone_updates (event_id, project_id, department_id, milestone_id, revision, title, status,
 planned_date, forecast_date, actual_date, as_of, percent_complete, note, reported_by, source,
 received_at, stream_seq, keep_rank, ingested_at, imported_at, imported_by)`
	insertRejected = `INSERT INTO rejected_updates (stream_seq, dlq_seq, subject, department_id, kind, project_id, event_id,
 rule, reason_en, reason_zh, errors, payload, received_at, rejected_at)`
)

// table is one of the tables a batch writes: its insert, which items
// go to it, and how an item becomes a row.
type table struct {
	name, query string
	wanted      func(*item) bool
	add         func(driver.Batch, *item, time.Time) error
}

var (
	eventTables = []table{
		{tableOf(schema.KindProject), insertProjects, isNew(schema.KindProject), appendProject},
		{tableOf(schema.KindInvestment), insertInvestments, isNew(schema.KindInvestment), appendInvestment},
		{tableOf(schema.KindMilestone), insertMilestones, isNew(schema.KindMilestone), appendMilestone},
	}
	rejectedTable = table{"rejected_updates", insertRejected, func(it *item) bool { return !it.accepted() && !it.stored }, appendRejected}
)

// insertEvents writes the batch's new events, one insert per table
// (storeRows: a row ClickHouse refuses is found and becomes a rejection,
// the others are stored). Items stored by an earlier attempt are not
// written again.
//
// afterInsert is storeRows' test hook (nil outside tests).
func insertEvents(ctx context.Context, conn driver.Conn, items []*item, now time.Time, afterInsert func(table string, rows int) error) error {
	for _, t := range eventTables {
		if err := storeRows(ctx, conn, t, pick(items, t.wanted), now, afterInsert); err != nil {
			return err
		}
	}
	return nil
}

// insertRejections writes the batch's rejections to rejected_updates.
// Writing the same items again adds only rows that ReplacingMergeTree
// folds into the ones already there.
func insertRejections(ctx context.Context, conn driver.Conn, items []*item, now time.Time) error {
	rows := pick(items, rejectedTable.wanted)
	if len(rows) == 0 {
		return nil
	}
	if err := sendRows(ctx, conn, rejectedTable, rows, now); err != nil {
		return err
	}
	for _, it := range rows {
		it.stored = true
	}
	return nil
}

func pick(items []*item, wanted func(*item) bool) []*item {
	var rows []*item
	for _, it := range items {
		if wanted(it) {
			rows = append(rows, it)
		}
	}
	return rows
}

func isNew(k schema.Kind) func(*item) bool {
	return func(it *item) bool { return it.accepted() && !it.duplicate && !it.stored && it.kind() == k }
}

// sendRows sends rows in one insert. A row the driver cannot encode comes
// back as a *rowError, before anything is sent.
func sendRows(ctx context.Context, conn driver.Conn, t table, rows []*item, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := conn.PrepareBatch(ctx, t.query)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", t.name, err)
	}
	for _, it := range rows {
		if err := t.add(b, it, now); err != nil {
			_ = b.Abort()
			if refusesRow(err) {
				return &rowError{it: it, table: t.name, err: err}
			}
			return fmt.Errorf("insert into %s: stream sequence %d (%s): %w", t.name, it.seq, it.subject, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", len(rows), t.name, err)
	}
	return nil
}

// keepRank makes the copy of an event received first win in
// ReplacingMergeTree(keep_rank): the lower the sequence, the higher the rank.
func keepRank(seq uint64) uint64 { return math.MaxUint64 - seq }

func wanPtr(w schema.Wan) *decimal.Decimal {
	if !w.Valid() {
		return nil
	}
	d := w.Value
	return &d
}

func datePtr(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := schema.ParseDate(s)
	if err != nil { // validated before; never here
		return nil
	}
	return &t
}

func mustDate(s string) time.Time {
	if t := datePtr(s); t != nil {
		return *t
	}
	return time.Time{}
}

func appendProject(b driver.Batch, it *item, now time.Time) error {
	p := it.ev.(*schema.Project)
	years := make([]uint16, 0, len(p.AnnualPlans))
	annual := make([]decimal.Decimal, 0, len(p.AnnualPlans))
	monthly := make([][]decimal.Decimal, 0, len(p.AnnualPlans))
	for _, ap := range p.AnnualPlans {
		years = append(years, uint16(ap.Year))
		annual = append(annual, ap.AmountWan.Value)
		months := make([]decimal.Decimal, 0, len(ap.MonthlyWan))
		for _, m := range ap.MonthlyWan {
			months = append(months, m.Value)
		}
		monthly = append(monthly, months)
	}
	ids := make([]string, 0, len(p.Milestones))
	titles := make([]string, 0, len(p.Milestones))
	planned := make([]time.Time, 0, len(p.Milestones))
	for _, m := range p.Milestones {
		ids = append(ids, m.MilestoneID)
		titles = append(titles, m.Title)
		planned = append(planned, mustDate(m.PlannedDate))
	}
	synthetic := p.SyntheticFields
	if synthetic == nil {
		synthetic = []string{}
	}
	return b.Append(it.eventID, p.ProjectID, uint32(p.Revision), p.NameZh, p.NameEn, p.Region, string(p.Category), string(p.Stage),
		p.DepartmentID, p.DepartmentName, wanPtr(p.TotalInvestmentWan), years, annual, monthly,
		ids, titles, planned, synthetic, p.ReportedBy, p.Source,
		it.received, it.seq, keepRank(it.seq), now, it.imported, it.importer, p.ResponsibleUnit, p.ResponsiblePerson, p.LeadOfficial)
}

func appendInvestment(b driver.Batch, it *item, now time.Time) error {
	r := it.ev.(*schema.InvestmentReport)
	period, err := schema.ParsePeriod(r.Period)
	if err != nil {
		return err
	}
	return b.Append(it.eventID, r.ProjectID, r.DepartmentID, r.Period, period.Start(), uint32(r.Revision),
		r.MonthCompletedWan.Value, r.YTDCompletedWan.Value, wanPtr(r.SinceStartCompletedWan),
		r.PhysicalProgress, r.Problems, r.NextSteps, r.CorrectionReason, r.ReportedBy, r.ReportedAt, r.Source,
		it.received, it.seq, keepRank(it.seq), now, it.imported, it.importer)
}

func appendMilestone(b driver.Batch, it *item, now time.Time) error {
	m := it.ev.(*schema.MilestoneUpdate)
	var pct *decimal.Decimal
	if m.PercentComplete != nil {
		d := m.PercentComplete.Round(4)
		pct = &d
	}
	return b.Append(it.eventID, m.ProjectID, m.DepartmentID, m.MilestoneID, uint32(m.Revision), m.Title, string(m.Status),
		datePtr(m.PlannedDate), datePtr(m.ForecastDate), datePtr(m.ActualDate), mustDate(m.AsOf), pct, m.Note,
		m.ReportedBy, m.Source, it.received, it.seq, keepRank(it.seq), now, it.imported, it.importer)
}

func appendRejected(b driver.Batch, it *item, now time.Time) error {
	errs, err := json.Marshal(it.reject.Errors)
	if err != nil {
		return err
	}
	return b.Append(it.seq, it.dlqSeq, it.subject, it.parts.Department, string(it.parts.Kind), it.parts.Project, it.eventID,
		string(it.rule()), reasonEn(it.reject), it.reject.ReasonZh(), string(errs), string(it.payload), it.received, now)
}
