package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// Rules of the problems the intake finds beyond schema's and submit's.
const (
	// RulePreviousMonth: the year-to-date (or since-start) amount is below
	// the previous month's latest revision of the same project.
	RulePreviousMonth schema.Rule = "previous_month"
	// RuleDepartment: a report names a department other than the signed-in
	// one.
	RuleDepartment schema.Rule = "department"
	// RuleStale: the month was reported again (a new revision) after the
	// form was opened.
	RuleStale schema.Rule = "stale_revision"
	// RuleUnknownMilestone: the milestone is not in the project's
	// registration.
	RuleUnknownMilestone schema.Rule = "unknown_milestone"
	// RuleLimit: the request has more reports than [Limits.MaxRows].
	RuleLimit schema.Rule = "limit"
	// RuleKind: the record is of a kind the intake does not take.
	RuleKind schema.Rule = "kind"
	// RuleEmpty: the request holds no report.
	RuleEmpty schema.Rule = "empty"
	// RuleKeyBusy: another submission with the same idempotency key is
	// being published.
	RuleKeyBusy schema.Rule = "idempotency_key_in_progress"
)

// origin says where a record came from: the line (report position or
// sheet row) people see and the prefix of its fields (milestones[0]. in a
// request, ms.<id>. in the web form).
type origin struct {
	line   int
	prefix string
}

// input is one submission on its way to JetStream.
type input struct {
	dept   Department
	source string // api, web, xlsx, csv
	key    string // idempotency key
	hash   string // sha256 of the request's content
	in     *submit.Input
	// origins maps a record's Line to what people see; a line without an
	// entry is shown as is (uploads).
	origins map[int]origin
	// auto holds the record lines whose revision the intake assigns.
	auto map[int]bool
	// base is, for the web forms, the revision of the month (or of the
	// registration) the form was opened on (0: none); nil for the API and
	// uploads.
	base *int
	// newProject is set by the new-project form: a project id the
	// department already uses is refused rather than changed.
	newProject bool
	// sheetBases holds, for the registrations of a registration sheet,
	// the revision each row was downloaded at (nil: the 登记版本 cell was
	// empty, a new project); nil for other submissions.
	sheetBases map[int]*int
	// problems were found while decoding, in display coordinates.
	problems []submit.Problem
	notices  []Notice
	// locate names a problem's sheet cell (uploads), or is nil.
	locate func(submit.Problem) submit.Problem
}

func (x *input) display(p submit.Problem) submit.Problem {
	if o, ok := x.origins[p.Line]; ok {
		p.Line = o.line
		if p.Field != "" {
			p.Field = o.prefix + p.Field
		} else if o.prefix != "" {
			p.Field = o.prefix[:len(o.prefix)-1]
		}
	}
	if x.locate != nil {
		p = x.locate(p)
	}
	return p
}

// outcome is what happened to a submission.
type outcome struct {
	// receipt is set when the submission was published, now or before.
	receipt *Receipt
	// replayed is true when the idempotency key had been used before.
	replayed bool
	// problems are set when the submission was refused and nothing was
	// published; status and code say how to answer.
	problems []submit.Problem
	status   int
	code     string
	// notices are the reader's remarks, shown with the problems too.
	notices []Notice
}

// process publishes a submission, or refuses it with every problem found.
func (s *Server) process(ctx context.Context, x *input) (*outcome, error) {
	began := time.Now()
	log := s.log.With("department", x.dept.ID, "source", x.source)
	id := receiptID(x.dept.ID, x.key)
	// The key is claimed before anything is checked or published: a
	// concurrent request with the same key waits for this one's receipt.
	c, err := s.receipts.claim(ctx, x.dept.ID, id, x.hash, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	if old := c.done; old != nil {
		if old.RequestSHA256 != x.hash {
			return &outcome{receipt: old, status: http.StatusUnprocessableEntity, code: codeKeyReused}, nil
		}
		log.Info("idempotent replay", "receipt_id", id)
		return &outcome{receipt: old, replayed: true}, nil
	}
	if c.rev == 0 {
		log.Info("idempotency key in use by a submission in progress", "receipt_id", id, "same_request", c.busyHash == x.hash)
		return &outcome{status: http.StatusConflict, code: codeKeyBusy, problems: []submit.Problem{{FieldError: schema.FieldError{
			Rule: RuleKeyBusy,
			MessageEn: "another submission with this Idempotency-Key is being published right now; nothing of this request was published. " +
				"Retry in a moment: the same request then gets that submission's receipt; a different one is refused as reusing the key",
			MessageZh: "使用同一幂等键的另一次提交正在处理中，本次未提交任何数据。请稍后重试：内容相同将取得该次提交的回执；内容不同将因重复使用幂等键被拒绝"}}}}, nil
	}
	published := false
	defer func() {
		if !published {
			if err := s.receipts.release(context.WithoutCancel(ctx), x.dept.ID, id, c.rev); err != nil {
				log.Warn("could not release the idempotency key; it is free again after the claim expires", "receipt_id", id, "expires_in", staleClaim, "error", err)
			}
		}
	}()

	var probs []submit.Problem
	probs = append(probs, x.problems...)
	own, err := s.prepare(ctx, x)
	if err != nil {
		return nil, err
	}
	for _, p := range own {
		probs = append(probs, x.display(p))
	}
	if len(x.in.Records) == 0 && len(x.in.Problems) == 0 && len(probs) == 0 {
		probs = append(probs, submit.Problem{File: x.in.Name, FieldError: schema.FieldError{Rule: RuleEmpty,
			MessageEn: "holds no report; expected at least one", MessageZh: "没有可提交的报告"}})
	}
	_, err = s.dry.SubmitInputs(ctx, x.in)
	var inv *submit.InvalidError
	switch {
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			if p.Rule == schema.RuleCumulative {
				continue // prepare checked it, against the stored months too
			}
			probs = append(probs, x.display(p))
		}
	case err != nil:
		return nil, fmt.Errorf("%w: check submission: %w", ErrNATS, err)
	}
	if len(probs) > 0 {
		probs = dedupe(probs)
		o := &outcome{problems: probs, status: http.StatusUnprocessableEntity, code: codeInvalid, notices: x.notices}
		for _, p := range probs {
			if p.Rule == schema.RuleNotOwner || p.Rule == RuleDepartment {
				o.status, o.code = http.StatusForbidden, codeForbidden
			}
		}
		log.Info("submission rejected, nothing published", "rows", len(x.in.Records), "problems", len(probs), "first", probs[0].String(), "duration", time.Since(began))
		return o, nil
	}

	rc, err := s.pub.SubmitInputs(ctx, x.in)
	switch {
	case errors.As(err, &inv):
		// Only conflicts get here: an event id JetStream already held with
		// other content (a revision sent concurrently).
		probs = nil
		for _, p := range inv.Problems {
			probs = append(probs, x.display(p))
		}
		log.Warn("submission conflicts with stored revisions", "problems", len(probs), "first", probs[0].String())
		return &outcome{problems: probs, status: http.StatusConflict, code: codeConflict, notices: x.notices}, nil
	case err != nil:
		return nil, fmt.Errorf("%w: publish: %w", ErrNATS, err)
	}
	r := s.receiptOf(x, id, rc)
	stored, existed, err := s.receipts.put(ctx, r, c.rev)
	if err != nil {
		return nil, err
	}
	published = true
	log.Info("submission published", "receipt_id", id, "rows", len(x.in.Records), "published", r.Published,
		"duplicates", r.Duplicates, "duration", time.Since(began))
	return &outcome{receipt: stored, replayed: existed}, nil
}

// receiptOf builds the receipt of a published submission.
func (s *Server) receiptOf(x *input, id string, rc *submit.Receipt) *Receipt {
	r := &Receipt{ID: id, DepartmentID: x.dept.ID, DepartmentName: x.dept.Name, IdempotencyKey: x.key, RequestSHA256: x.hash,
		ReceivedAt: s.cfg.Now().In(schema.Location()), Source: x.source, Events: []ReceiptEvent{}, Notices: x.notices}
	if x.source == "xlsx" || x.source == "csv" {
		r.File = x.in.Name
	}
	byLine := map[int]schema.Event{}
	for _, rec := range x.in.Records {
		byLine[rec.Line] = rec.Event
	}
	t := rc.Totals()
	r.Published, r.Duplicates = t.Published, t.Duplicates
	for _, e := range rc.Events() {
		ev := ReceiptEvent{Line: e.Line, EventID: e.EventID, Kind: e.Kind, ProjectID: e.ProjectID, Subject: e.Subject, Seq: e.Seq, Duplicate: e.Duplicate}
		if o, ok := x.origins[e.Line]; ok {
			ev.Line = o.line
		}
		switch v := byLine[e.Line].(type) {
		case *schema.InvestmentReport:
			ev.Period, ev.Revision = v.Period, v.Revision
		case *schema.MilestoneUpdate:
			ev.MilestoneID, ev.Revision = v.MilestoneID, v.Revision
		case *schema.Project:
			ev.Revision = v.Revision
		}
		r.Events = append(r.Events, ev)
	}
	sort.SliceStable(r.Events, func(i, j int) bool { return r.Events[i].Line < r.Events[j].Line })
	return r
}

// dedupe keeps the first problem of each line, field and rule (the
// intake's own messages come before the generic ones), in line order.
func dedupe(ps []submit.Problem) []submit.Problem {
	seen := map[string]bool{}
	out := ps[:0:0]
	for _, p := range ps {
		k := strconv.Itoa(p.Line) + "\x1f" + p.Field + "\x1f" + string(p.Rule)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// history caches what a submission needs to know of each project.
type history struct {
	rd         reader
	dept       string
	owners     map[string]string
	reports    map[string][]Report
	milestones map[string]map[string]milestoneState
	projects   map[string]Project // nil until loaded
	// registrations are the department's latest registrations, as
	// stored (nil until one is loaded).
	registrations map[string]*registration
}

func (h *history) owner(ctx context.Context, project string) (string, error) {
	if o, ok := h.owners[project]; ok {
		return o, nil
	}
	o, err := owner(ctx, h.rd.js, project)
	if err != nil {
		return "", err
	}
	h.owners[project] = o
	return o, nil
}

func (h *history) reportsOf(ctx context.Context, project string) ([]Report, error) {
	if rs, ok := h.reports[project]; ok {
		return rs, nil
	}
	rs, err := loadProjectReports(ctx, h.rd, h.dept, project)
	if err != nil {
		return nil, err
	}
	h.reports[project] = rs
	return rs, nil
}

func (h *history) milestonesOf(ctx context.Context, project string) (map[string]milestoneState, error) {
	if ms, ok := h.milestones[project]; ok {
		return ms, nil
	}
	ms, err := loadMilestones(ctx, h.rd, h.dept, project)
	if err != nil {
		return nil, err
	}
	h.milestones[project] = ms
	return ms, nil
}

func (h *history) project(ctx context.Context, id string) (Project, bool, error) {
	if h.projects == nil {
		ps, err := loadProjects(ctx, h.rd, h.dept)
		if err != nil {
			return Project{}, false, err
		}
		h.projects = map[string]Project{}
		for _, p := range ps {
			h.projects[p.ID] = p
		}
	}
	p, ok := h.projects[id]
	return p, ok, nil
}

// prefetchAt is the number of projects in one submission from which their
// reports are read in one pass over the department's subjects rather than
// project by project.
const prefetchAt = 10

// prefetch reads the reports of the department's projects in one pass.
func (h *history) prefetch(ctx context.Context, projects map[string]bool) error {
	all, err := loadReports(ctx, h.rd, schema.SubjectFor(h.dept, schema.KindInvestment, "*"))
	if err != nil {
		return err
	}
	for p := range projects {
		h.reports[p] = all[p]
	}
	return nil
}

func newHistory(rd reader, dept string) *history {
	return &history{rd: rd, dept: dept, owners: map[string]string{}, reports: map[string][]Report{}, milestones: map[string]map[string]milestoneState{}}
}

// prepare applies the department, the source and the revisions to the
// records, and checks what needs the stored history: the previous month's
// cumulative amounts, a correction's reason, a form opened on an older
// revision, milestones. It returns the problems found, in record
// coordinates. Records of projects the department does not own are left to
// submit's ownership check.
func (s *Server) prepare(ctx context.Context, x *input) ([]submit.Problem, error) {
	h := newHistory(s.reader(), x.dept.ID)
	var probs []submit.Problem
	add := func(line int, fe schema.FieldError) {
		probs = append(probs, submit.Problem{File: x.in.Name, Line: line, FieldError: fe})
	}
	// batchYTD holds the cumulative amounts of the submission's own
	// reports, for a month reported together with the next one.
	type cum struct {
		ytd, since schema.Wan
		line       int
	}
	batch := map[[2]string]cum{}
	projects := map[string]bool{}
	for _, rec := range x.in.Records {
		if r, ok := rec.Event.(*schema.InvestmentReport); ok && len(rec.Problems) == 0 {
			batch[[2]string{r.ProjectID, r.Period}] = cum{r.YTDCompletedWan, r.SinceStartCompletedWan, rec.Line}
			projects[r.ProjectID] = true
		}
	}
	if len(projects) >= prefetchAt {
		if err := h.prefetch(ctx, projects); err != nil {
			return nil, err
		}
	}
	keep := x.in.Records[:0:0]
	for _, rec := range x.in.Records {
		// A record with problems of its own is checked all the same, as
		// far as it was read, so that one answer lists every problem.
		if rec.Event == nil {
			keep = append(keep, rec)
			continue
		}
		ev := rec.Event
		c := commonOf(ev)
		if c == nil {
			add(rec.Line, schema.FieldError{Field: "schema", Value: string(ev.Kind()), Rule: RuleKind,
				MessageZh: "此处只受理项目登记、投资完成月报和节点进展",
				MessageEn: "only project registrations, investment reports and milestone updates are accepted here"})
			keep = append(keep, rec)
			continue
		}
		if c.DepartmentID == "" {
			c.DepartmentID = x.dept.ID
		}
		if c.Source == "" {
			c.Source = x.source
		}
		if x.auto[rec.Line] && c.Revision < 1 {
			c.Revision = 1 // numbered below once the history is known
		}
		if c.DepartmentID != x.dept.ID {
			add(rec.Line, schema.FieldError{Field: "department_id", Value: c.DepartmentID, Rule: RuleDepartment,
				MessageZh: "报送部门（" + c.DepartmentID + "）与登录的部门（" + x.dept.ID + "）不一致：只能为本部门报送",
				MessageEn: strconv.Quote(c.DepartmentID) + " is not the signed-in department " + strconv.Quote(x.dept.ID) + "; a department reports only for itself (leave department_id out)"})
			// Checked further as the signed-in department's, so that its
			// other problems are listed too; the problem above keeps it
			// from being published.
			c.DepartmentID = x.dept.ID
		}
		own, err := h.owner(ctx, ev.Project())
		if err != nil {
			return nil, err
		}
		if p, ok := ev.(*schema.Project); ok {
			drop, fes, err := s.prepareProject(ctx, h, x, rec.Line, own, p)
			if err != nil {
				return nil, err
			}
			for _, fe := range fes {
				add(rec.Line, fe)
			}
			if !drop {
				keep = append(keep, rec)
			}
			continue
		}
		if own != x.dept.ID {
			keep = append(keep, rec) // submit says unknown project or not owner
			continue
		}
		switch e := ev.(type) {
		case *schema.InvestmentReport:
			ps, err := s.prepareReport(ctx, h, x, rec.Line, e, func(p schema.Period) (schema.Wan, schema.Wan, string, bool) {
				b, ok := batch[[2]string{e.ProjectID, p.String()}]
				if !ok {
					return schema.Wan{}, schema.Wan{}, "", false
				}
				return b.ytd, b.since, "line " + strconv.Itoa(x.displayLine(b.line)), true
			})
			if err != nil {
				return nil, err
			}
			for _, fe := range ps {
				add(rec.Line, fe)
			}
		case *schema.MilestoneUpdate:
			drop, fes, err := s.prepareMilestone(ctx, h, x, rec.Line, e)
			if err != nil {
				return nil, err
			}
			for _, fe := range fes {
				add(rec.Line, fe)
			}
			if drop {
				continue
			}
		}
		keep = append(keep, rec)
	}
	x.in.Records = keep
	return probs, nil
}

func (x *input) displayLine(line int) int {
	if o, ok := x.origins[line]; ok {
		return o.line
	}
	return line
}

// prepareReport assigns an automatic revision and checks the report
// against the stored months. inBatch returns the cumulative amounts of a
// month reported in the same submission.
func (s *Server) prepareReport(ctx context.Context, h *history, x *input, line int, r *schema.InvestmentReport,
	inBatch func(schema.Period) (ytd, since schema.Wan, where string, ok bool)) ([]schema.FieldError, error) {
	period, err := schema.ParsePeriod(r.Period)
	if err != nil {
		return nil, nil // the schema reports it
	}
	hist, err := h.reportsOf(ctx, r.ProjectID)
	if err != nil {
		return nil, err
	}
	var out []schema.FieldError
	latest := latestOf(hist, r.Period)
	latestRev := 0
	if latest != nil {
		latestRev = latest.Revision
	}
	if x.base != nil && *x.base != latestRev {
		out = append(out, staleProblem(*x.base, latest))
	}
	if x.auto[line] {
		switch {
		case latest == nil:
			r.Revision = 1
		case sameReport(r, &latest.InvestmentReport):
			r.Revision = latest.Revision // sent again: stored once
		default:
			r.Revision = latest.Revision + 1
			if r.CorrectionReason == "" {
				when := latest.ReceivedAt.Format("2006-01-02 15:04")
				out = append(out, schema.FieldError{Field: "correction_reason", Rule: schema.RuleRequired,
					MessageZh: r.Period + " 已报送第" + strconv.Itoa(latest.Revision) + "版（" + when + " 收到），本次提交为更正（第" + strconv.Itoa(r.Revision) + "版），须填写更正原因",
					MessageEn: r.Period + " was reported as revision " + strconv.Itoa(latest.Revision) + " (received " + when + "); this is a correction (revision " + strconv.Itoa(r.Revision) + ") and needs a correction_reason"})
			}
		}
	}
	// The previous month's latest cumulative amounts: from the same
	// submission, else from the stored revisions.
	prev := period.Prev()
	if period.Month == time.January { // the year-to-date is the month's
		if fe := schema.CumulativeProblem(r, schema.NewWan(decimal.Zero), "", "", ""); fe != nil {
			out = append(out, *fe)
		}
	}
	ytd, since, where, ok := inBatch(prev)
	if !ok {
		if p := latestOf(hist, prev.String()); p != nil {
			ytd, since, ok = p.YTDCompletedWan, p.SinceStartCompletedWan, true
			where = "revision " + strconv.Itoa(p.Revision)
		}
	}
	if !ok {
		return out, nil
	}
	whereZh := whereZh(where)
	january := period.Month == time.January
	if !january && r.YTDCompletedWan.Valid() && ytd.Valid() && r.YTDCompletedWan.Value.LessThan(ytd.Value) {
		out = append(out, schema.FieldError{Field: "ytd_completed_wan", Value: r.YTDCompletedWan.String(), Rule: RulePreviousMonth,
			MessageZh: "「本年累计」应不小于上月累计（" + prev.String() + " " + whereZh + "：" + ytd.Display() + " 万元）；如上月数有误，请更正上月",
			MessageEn: "year-to-date " + r.YTDCompletedWan.Display() + " is below the previous month's " + ytd.Display() + " 万元 (" + prev.String() + ", " + where + "); expected at least that (if last month was wrong, correct last month)"})
	}
	if !january && !(r.YTDCompletedWan.Valid() && ytd.Valid() && r.YTDCompletedWan.Value.LessThan(ytd.Value)) {
		if fe := schema.CumulativeProblem(r, ytd, prev.String(), where, whereZh); fe != nil {
			out = append(out, *fe)
		}
	}
	if r.SinceStartCompletedWan.Valid() && since.Valid() && r.SinceStartCompletedWan.Value.LessThan(since.Value) {
		out = append(out, schema.FieldError{Field: "since_start_completed_wan", Value: r.SinceStartCompletedWan.String(), Rule: RulePreviousMonth,
			MessageZh: "「自开工累计」应不小于上月自开工累计（" + prev.String() + " " + whereZh + "：" + since.Display() + " 万元）；如上月数有误，请更正上月",
			MessageEn: "since-start " + r.SinceStartCompletedWan.Display() + " is below the previous month's " + since.Display() + " 万元 (" + prev.String() + ", " + where + "); expected at least that (if last month was wrong, correct last month)"})
	}
	return out, nil
}

func whereZh(where string) string {
	if n, ok := cutNumber(where, "revision "); ok {
		return "第" + n + "版"
	}
	if n, ok := cutNumber(where, "line "); ok {
		return "本次提交第" + n + "行"
	}
	return where
}

func cutNumber(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

func staleProblem(base int, latest *Report) schema.FieldError {
	now := 0
	when := ""
	if latest != nil {
		now, when = latest.Revision, latest.ReceivedAt.Format("2006-01-02 15:04")
	}
	return schema.FieldError{Field: "revision", Value: strconv.Itoa(base), Rule: RuleStale,
		MessageZh: "打开表单后本月已有新版本（第" + strconv.Itoa(now) + "版，" + when + " 收到）；请核对下方已更新的数据后重新提交",
		MessageEn: "the month was reported again (revision " + strconv.Itoa(now) + ", received " + when + ") after this form was opened; check the values below and submit again"}
}

// sameReport reports whether a and b say the same, as submit compares
// content: source and reported_at aside, at b's revision.
func sameReport(a, b *schema.InvestmentReport) bool {
	ca, cb := *a, *b
	ca.Revision = cb.Revision
	ca.Source, cb.Source = "", ""
	ca.ReportedAt, cb.ReportedAt = nil, nil
	ja, err1 := json.Marshal(&ca)
	jb, err2 := json.Marshal(&cb)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// prepareMilestone fills a milestone update from the registration, assigns
// its automatic revision, and drops it (with a notice) when it says nothing
// new.
func (s *Server) prepareMilestone(ctx context.Context, h *history, x *input, line int, m *schema.MilestoneUpdate) (bool, []schema.FieldError, error) {
	p, ok, err := h.project(ctx, m.ProjectID)
	if err != nil {
		return false, nil, err
	}
	if ok {
		pm, found := p.Milestone(m.MilestoneID)
		if !found && schema.ValidIdentifier(m.MilestoneID) {
			return false, []schema.FieldError{{Field: "milestone_id", Value: m.MilestoneID, Rule: RuleUnknownMilestone,
				MessageZh: "该节点不在项目登记的节点中，请检查节点编号",
				MessageEn: strconv.Quote(m.MilestoneID) + " is not a milestone of project " + strconv.Quote(m.ProjectID) + "'s registration; check the id"}}, nil
		}
		if m.Title == "" {
			m.Title = pm.Title
		}
		if m.PlannedDate == "" {
			m.PlannedDate = pm.PlannedDate
		}
	}
	if !x.auto[line] {
		return false, nil, nil
	}
	states, err := h.milestonesOf(ctx, m.ProjectID)
	if err != nil {
		return false, nil, err
	}
	st, ok := states[m.MilestoneID]
	if !ok {
		m.Revision = 1
		return false, nil, nil
	}
	if sameMilestone(m, &st.update) {
		x.notices = append(x.notices, Notice{Line: x.displayLine(line), Field: x.origins[line].prefix + "status", Code: "unchanged_milestone",
			MessageZh: "节点“" + m.Title + "”与已报送的第" + strconv.Itoa(st.update.Revision) + "版相同，未重复提交",
			MessageEn: "milestone " + m.MilestoneID + " is unchanged since revision " + strconv.Itoa(st.update.Revision) + "; not sent again"})
		return true, nil, nil
	}
	m.Revision = st.update.Revision + 1
	return false, nil, nil
}

// sameMilestone reports whether an update says what the stored one says
// (the assessment date and who reported aside).
func sameMilestone(a, b *schema.MilestoneUpdate) bool {
	samePct := (a.PercentComplete == nil) == (b.PercentComplete == nil) &&
		(a.PercentComplete == nil || a.PercentComplete.Equal(*b.PercentComplete))
	return a.Status == b.Status && a.ForecastDate == b.ForecastDate && a.ActualDate == b.ActualDate && samePct && a.Note == b.Note
}

// commonOf returns the common fields of an event, to set in place.
func commonOf(ev schema.Event) *schema.Common {
	switch e := ev.(type) {
	case *schema.InvestmentReport:
		return &e.Common
	case *schema.MilestoneUpdate:
		return &e.Common
	case *schema.Project:
		return &e.Common
	}
	return nil
}
