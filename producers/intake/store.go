package intake

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// fetchWait bounds one fetch of stored messages; the messages are known to
// be there, so it is only reached when some were deleted meanwhile.
const fetchWait = 2 * time.Second

// fetchBatch is how many messages one fetch asks for.
const fetchBatch = 500

// MaxConcurrentReads is the most reads of stored messages the intake runs
// at once in one process (all servers together). Each read holds one
// short-lived consumer on KPP_UPDATES, so this bounds the consumers the
// intake can hold at any moment, far below the server's per-stream limit
// (1000 by default) that ingest's durable consumer also counts against. A
// read beyond it waits for a free slot within its timeout.
const MaxConcurrentReads = 64

// readInactive is the inactive threshold of a read's consumer: the server
// removes it by itself if the process dies before deleting it.
const readInactive = 30 * time.Second

// deleteWait bounds the deletion of a read's consumer, which runs even when
// the request was cancelled (the client went away).
const deleteWait = 5 * time.Second

// readSlots is the semaphore of [MaxConcurrentReads].
var readSlots = make(chan struct{}, MaxConcurrentReads)

// reader reads stored messages of KPP_UPDATES within a message budget
// and a timeout per read.
type reader struct {
	js jetstream.JetStream
	// max is the most messages one read may return; a subject filter
	// with more stored is refused with [ErrHistoryTooLong].
	max int
	// timeout bounds one read, waiting for a slot included.
	timeout time.Duration
}

// defaultReader is the reader of the exported functions: the default
// limits.
func defaultReader(js jetstream.JetStream) reader {
	return reader{js: js, max: DefaultMaxHistoryMessages, timeout: DefaultHistoryTimeout}
}

// stored is one message of KPP_UPDATES.
type stored struct {
	subject string
	data    []byte
	seq     uint64
	// received is when the report counts as received, as ingest stores
	// received_at: the NATS server's time of storing the message, or for
	// an import its declared submission time (zero when the header is
	// missing or not a time: ingest refuses such an import).
	received time.Time
	// arrived is the NATS server's time of storing the message.
	arrived time.Time
	// imported is set for a message of kpp.v1._import.>, published by
	// the operator (kpp import, the administrator's POST /api/v1/imports);
	// importedBy is its Kpp-Imported-By header.
	imported   bool
	importedBy string
}

// accepted reports whether ingest accepts the import envelope of a
// message holding ev: always for a department's own subject; for an
// import, when its declared time and importer pass [schema.CheckImport]
// against its real arrival, as ingest checks them. A message that fails
// is dead-lettered by ingest, so the history leaves it out.
func (m stored) accepted(ev schema.Event) bool {
	if !m.imported {
		return true
	}
	return !m.received.IsZero() && schema.CheckImport(ev, m.received, m.importedBy, m.arrived) == nil
}

// readSubjects returns every message of KPP_UPDATES on the subject filter
// of a department (kpp.v1.<dept>.…) and on its import twin
// (kpp.v1._import.<dept>.…, [schema.ImportSubjectOf]: the department's
// imported history), in stream order. It counts them first (nothing is
// created for a subject without messages; more than rd.max are refused
// with [ErrHistoryTooLong]),
// then reads them through an ephemeral consumer (no acks, in memory) that
// it deletes before returning — also when ctx is cancelled because the
// client went away. Should the process die first, the server removes the
// consumer after [readInactive]. At most [MaxConcurrentReads] reads run at
// once, and each within rd.timeout.
func readSubjects(ctx context.Context, rd reader, filter string) (_ []stored, err error) {
	ctx, cancel := context.WithTimeout(ctx, rd.timeout)
	defer cancel()
	st, err := rd.js.Stream(ctx, schema.UpdatesStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: open stream %s: %w", ErrNATS, schema.UpdatesStream, err)
	}
	filters := []string{filter, schema.ImportSubjectOf(filter)}
	var total uint64
	for _, f := range filters {
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(f))
		if err != nil {
			return nil, fmt.Errorf("%w: count messages on %s: %w", ErrNATS, f, err)
		}
		for _, n := range info.State.Subjects {
			total += n
		}
	}
	if total == 0 {
		return nil, nil
	}
	if total > uint64(rd.max) {
		return nil, fmt.Errorf("%w: %s (with its imports) has %d stored messages and one read takes at most %d; the operator can raise the limit (kpp serve --max-history, intake.Limits.MaxHistoryMessages)",
			ErrHistoryTooLong, filter, total, rd.max)
	}
	select {
	case readSlots <- struct{}{}:
		defer func() { <-readSlots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: read %s: all %d read slots stayed busy: %w", ErrNATS, filter, MaxConcurrentReads, ctx.Err())
	}
	// The consumer is created and deleted under a context of their own
	// (bounded by deleteWait), not the request's: a request cancelled while
	// the creation is under way must not leave a consumer the server
	// created after the client stopped waiting for it, nor skip the
	// deletion. The name is chosen here so that the deletion can name it
	// whatever the creation answered.
	name := "kpp_intake_read_" + rand.Text()
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), deleteWait)
	defer ccancel()
	defer func() {
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), deleteWait)
		defer dcancel()
		derr := st.DeleteConsumer(dctx, name)
		if derr != nil && !errors.Is(derr, jetstream.ErrConsumerNotFound) && err == nil {
			// The messages were read; the server removes the consumer
			// after readInactive anyway, but say so.
			err = fmt.Errorf("%w: delete the consumer %s that read %s (the server removes it after %s): %w", ErrNATS, name, filter, readInactive, derr)
		}
	}()
	c, err := st.CreateConsumer(cctx, jetstream.ConsumerConfig{
		Name:              name,
		Description:       "kpp intake: one read of " + filter + " and its imports, deleted when the read ends",
		FilterSubjects:    filters,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: readInactive,
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: create a consumer to read %s: %w", ErrNATS, filter, err)
	}
	out := make([]stored, 0, total)
	for uint64(len(out)) < total {
		n := int(min(total-uint64(len(out)), fetchBatch))
		fctx, fcancel := context.WithTimeout(ctx, fetchWait)
		batch, err := c.Fetch(n, jetstream.FetchContext(fctx))
		if err != nil {
			fcancel()
			return nil, fmt.Errorf("%w: read %s: %w", ErrNATS, filter, err)
		}
		got, last := 0, false
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				fcancel()
				return nil, fmt.Errorf("%w: read %s: metadata: %w", ErrNATS, filter, err)
			}
			out = append(out, storedOf(m.Subject(), m.Data(), m.Headers(), md.Sequence.Stream, md.Timestamp))
			got++
			last = md.NumPending == 0
		}
		fcancel()
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: read %s: %w", ErrNATS, filter, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: read %s: stopped at the read's time limit (%s) or because the request ended: %w", ErrNATS, filter, rd.timeout, ctx.Err())
		}
		if got == 0 || last {
			break
		}
	}
	return out, nil
}

// storedOf makes a [stored] of a message: an import's received time is
// its declared Kpp-Submitted-At.
func storedOf(subject string, data []byte, h nats.Header, seq uint64, arrived time.Time) stored {
	m := stored{subject: subject, data: data, seq: seq, arrived: arrived.In(schema.Location())}
	m.received = m.arrived
	if p, err := schema.ParseSubject(subject); err == nil && p.Imported {
		m.imported, m.importedBy, m.received = true, h.Get(schema.HeaderImportedBy), time.Time{}
		if t, err := time.Parse(schema.SubmittedAtLayout, h.Get(schema.HeaderSubmittedAt)); err == nil {
			m.received = t.In(schema.Location())
		}
	}
	return m
}

// Project is a registered project of the department, at its latest
// registration.
type Project struct {
	// ID is the project id, e.g. "qingyuan-pumped-storage".
	ID     string `json:"project_id"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en,omitempty"`
	Region string `json:"region"`
	// Category and Stage are the codes (energy, construction…).
	Category           schema.Category           `json:"category"`
	Stage              schema.Stage              `json:"stage"`
	TotalInvestmentWan schema.Wan                `json:"total_investment_wan"`
	AnnualPlans        []schema.AnnualPlan       `json:"annual_plans"`
	Milestones         []schema.PlannedMilestone `json:"milestones"`
	// Revision is the registration's revision.
	Revision int `json:"registration_revision"`
}

// Name is the Chinese name, or the id when the registration has none.
func (p Project) Name() string {
	if p.NameZh != "" {
		return p.NameZh
	}
	return p.ID
}

// AnnualPlan returns the plan of year y in 万元, if the project has one.
func (p Project) AnnualPlan(y int) (decimal.Decimal, bool) {
	for _, ap := range p.AnnualPlans {
		if ap.Year == y && ap.AmountWan.Valid() {
			return ap.AmountWan.Value, true
		}
	}
	return decimal.Decimal{}, false
}

// Milestone returns the planned milestone with the id.
func (p Project) Milestone(id string) (schema.PlannedMilestone, bool) {
	for _, m := range p.Milestones {
		if m.MilestoneID == id {
			return m, true
		}
	}
	return schema.PlannedMilestone{}, false
}

// LoadProjects returns the department's projects, by id: the latest (highest
// revision) valid registration on kpp.v1.<dept>.project.> or, imported, on
// kpp.v1._import.<dept>.project.> whose owner in
// the KPP_PROJECTS bucket (written by ingest) is the department. A
// registration that ingest has not accepted yet is not listed: reports for
// it would be refused as for an unknown project.
func LoadProjects(ctx context.Context, js jetstream.JetStream, dept string) ([]Project, error) {
	return loadProjects(ctx, defaultReader(js), dept)
}

func loadProjects(ctx context.Context, rd reader, dept string) ([]Project, error) {
	js := rd.js
	if !schema.ValidIdentifier(dept) {
		return nil, fmt.Errorf("department %q is not an identifier", dept)
	}
	msgs, err := readSubjects(ctx, rd, schema.SubjectFor(dept, schema.KindProject, "*"))
	if err != nil {
		return nil, err
	}
	latest := map[string]*schema.Project{}
	for _, m := range msgs {
		ev, err := schema.Decode(schema.KindProject, m.data)
		if err != nil || ev.Validate(time.Time{}) != nil || ev.Department() != dept || !m.accepted(ev) {
			continue
		}
		p := ev.(*schema.Project)
		if old, ok := latest[p.ProjectID]; !ok || p.Revision >= old.Revision {
			latest[p.ProjectID] = p
		}
	}
	if len(latest) == 0 {
		return nil, nil
	}
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: open key-value bucket %s: %w", ErrNATS, schema.ProjectsBucket, err)
	}
	out := make([]Project, 0, len(latest))
	for id, p := range latest {
		e, err := kv.Get(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: read owner of project %s from %s: %w", ErrNATS, id, schema.ProjectsBucket, err)
		}
		if string(e.Value()) != dept {
			continue
		}
		out = append(out, Project{ID: id, NameZh: p.NameZh, NameEn: p.NameEn, Region: p.Region, Category: p.Category, Stage: p.Stage,
			TotalInvestmentWan: p.TotalInvestmentWan, AnnualPlans: nonNil(p.AnnualPlans), Milestones: nonNil(p.Milestones), Revision: p.Revision})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// owner returns the department that owns the project according to the
// KPP_PROJECTS bucket, or "" when the project is not registered.
func owner(ctx context.Context, js jetstream.JetStream, project string) (string, error) {
	if !schema.ValidIdentifier(project) {
		return "", nil
	}
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%w: open key-value bucket %s: %w", ErrNATS, schema.ProjectsBucket, err)
	}
	e, err := kv.Get(ctx, project)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%w: read owner of project %s from %s: %w", ErrNATS, project, schema.ProjectsBucket, err)
	}
	return string(e.Value()), nil
}

// Report is one stored revision of a monthly investment report, as the
// history shows it.
type Report struct {
	schema.InvestmentReport
	// EventID is the event's id (its Nats-Msg-Id).
	EventID string `json:"event_id"`
	// Seq is its sequence in the KPP_UPDATES stream.
	Seq uint64 `json:"seq"`
	// ReceivedAt is when it counts as received (Asia/Shanghai), as ingest
	// stores received_at: when the NATS server stored it or, for an
	// imported report, its declared submission time. A report's lateness
	// is decided by the first revision's.
	ReceivedAt time.Time `json:"received_at"`
	// Imported is set for a report of the imported history (kpp import,
	// POST /api/v1/imports); ImportedBy names who imported it and
	// ImportedAt is when (the NATS server's time of storing it).
	Imported   bool      `json:"imported,omitempty"`
	ImportedBy string    `json:"imported_by,omitempty"`
	ImportedAt time.Time `json:"imported_at,omitzero"`
	// Current is true for the highest revision of its month: the one the
	// board counts. The others are superseded and kept for the audit
	// trail.
	Current bool `json:"current"`
}

// LoadReports returns every revision of the project's monthly reports
// published by the department or imported for it (kpp.v1._import.<dept>.…),
// newest first (by received time: an import's declared time, otherwise
// the time the server stored them). A message that is not a valid report of this department and
// project (one that bypassed the intake) is left out, as ingest would
// dead-letter it. A revision stored twice (after the duplicate window) is
// listed once. It reads at most [DefaultMaxHistoryMessages] messages
// (more are refused with [ErrHistoryTooLong]) within
// [DefaultHistoryTimeout], and leaves no consumer behind.
func LoadReports(ctx context.Context, js jetstream.JetStream, dept, project string) ([]Report, error) {
	return loadProjectReports(ctx, defaultReader(js), dept, project)
}

func loadProjectReports(ctx context.Context, rd reader, dept, project string) ([]Report, error) {
	if !schema.ValidIdentifier(dept) || !schema.ValidIdentifier(project) {
		return nil, fmt.Errorf("department %q or project %q is not an identifier", dept, project)
	}
	byProject, err := loadReports(ctx, rd, schema.SubjectFor(dept, schema.KindInvestment, project))
	if err != nil {
		return nil, err
	}
	return byProject[project], nil
}

// loadReports reads the reports on a subject filter, by project, newest
// first.
func loadReports(ctx context.Context, rd reader, filter string) (map[string][]Report, error) {
	msgs, err := readSubjects(ctx, rd, filter)
	if err != nil {
		return nil, err
	}
	out := map[string][]Report{}
	seen := map[string]bool{}
	best := map[[2]string]int{} // project, period -> highest revision
	for _, m := range msgs {
		parts, err := schema.ParseSubject(m.subject)
		if err != nil {
			continue
		}
		ev, err := schema.Decode(schema.KindInvestment, m.data)
		if err != nil || ev.Validate(time.Time{}) != nil || schema.CheckSubject(parts, ev) != nil || !m.accepted(ev) {
			continue
		}
		id := schema.EventID(ev)
		if seen[id] {
			continue
		}
		seen[id] = true
		r := ev.(*schema.InvestmentReport)
		rep := Report{InvestmentReport: *r, EventID: id, Seq: m.seq, ReceivedAt: m.received, Imported: m.imported}
		if m.imported {
			rep.ImportedBy, rep.ImportedAt = m.importedBy, m.arrived
		}
		out[r.ProjectID] = append(out[r.ProjectID], rep)
		k := [2]string{r.ProjectID, r.Period}
		best[k] = max(best[k], r.Revision)
	}
	for p, rs := range out {
		for i := range rs {
			rs[i].Current = rs[i].Revision == best[[2]string{p, rs[i].Period}]
		}
		sort.SliceStable(rs, func(i, j int) bool { return newer(rs[i], rs[j]) })
	}
	return out, nil
}

// newer reports whether a was received after b: by received time (an
// import's declared time), then by stream sequence.
func newer(a, b Report) bool {
	if !a.ReceivedAt.Equal(b.ReceivedAt) {
		return a.ReceivedAt.After(b.ReceivedAt)
	}
	return a.Seq > b.Seq
}

// latestOf returns the highest revision of the month among reports, or
// nil.
func latestOf(reports []Report, period string) *Report {
	var best *Report
	for i := range reports {
		r := &reports[i]
		if r.Period == period && (best == nil || r.Revision > best.Revision) {
			best = r
		}
	}
	return best
}

// firstOf returns the first received revision of the month (its receive
// time decides lateness; an import's is its declared time), or nil.
func firstOf(reports []Report, period string) *Report {
	var first *Report
	for i := range reports {
		r := &reports[i]
		if r.Period == period && (first == nil || newer(*first, *r)) {
			first = r
		}
	}
	return first
}

// milestoneState is the latest stored update of one milestone.
type milestoneState struct {
	update   schema.MilestoneUpdate
	received time.Time
}

// loadMilestones returns the latest (highest revision) update of each of
// the project's milestones, by milestone id.
func loadMilestones(ctx context.Context, rd reader, dept, project string) (map[string]milestoneState, error) {
	msgs, err := readSubjects(ctx, rd, schema.SubjectFor(dept, schema.KindMilestone, project))
	if err != nil {
		return nil, err
	}
	out := map[string]milestoneState{}
	for _, m := range msgs {
		parts, err := schema.ParseSubject(m.subject)
		if err != nil {
			continue
		}
		ev, err := schema.Decode(schema.KindMilestone, m.data)
		if err != nil || ev.Validate(time.Time{}) != nil || schema.CheckSubject(parts, ev) != nil || !m.accepted(ev) {
			continue
		}
		u := ev.(*schema.MilestoneUpdate)
		if old, ok := out[u.MilestoneID]; !ok || u.Revision >= old.update.Revision {
			out[u.MilestoneID] = milestoneState{update: *u, received: m.received}
		}
	}
	return out, nil
}

// LoadTemplateInput gathers what the department's Excel template for the
// month is filled with: its projects, their plan for the month's year and
// the previous month's year-to-date. `kpp template xlsx` and the download
// link both use it.
func LoadTemplateInput(ctx context.Context, js jetstream.JetStream, dept Department, period schema.Period) (TemplateInput, error) {
	return loadTemplateInput(ctx, defaultReader(js), dept, period)
}

func loadTemplateInput(ctx context.Context, rd reader, dept Department, period schema.Period) (TemplateInput, error) {
	projects, err := loadProjects(ctx, rd, dept.ID)
	if err != nil {
		return TemplateInput{}, err
	}
	reports, err := loadReports(ctx, rd, schema.SubjectFor(dept.ID, schema.KindInvestment, "*"))
	if err != nil {
		return TemplateInput{}, err
	}
	in := TemplateInput{Department: dept, Period: period, Projects: make([]TemplateProject, 0, len(projects))}
	for _, p := range projects {
		tp := TemplateProject{ID: p.ID, NameZh: p.NameZh}
		if plan, ok := p.AnnualPlan(period.Year); ok {
			tp.AnnualPlanWan = &plan
		}
		if period.Month != time.January {
			if r := latestOf(reports[p.ID], period.Prev().String()); r != nil {
				ytd := r.YTDCompletedWan.Value
				tp.LastYTDWan = &ytd
			}
		}
		in.Projects = append(in.Projects, tp)
	}
	return in, nil
}
