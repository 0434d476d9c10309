package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Event is implemented by the three event types of version 1.
type Event interface {
	// Kind is the event's kind.
	Kind() Kind
	// Key is the business key without the revision: the project id, then the
	// period or milestone id where the kind has one.
	Key() []string
	// Department is the department that publishes the event.
	Department() string
	// Project is the project the event is about.
	Project() string
	// Rev is the revision, 1, 2, …
	Rev() int
	// Validate checks the event on its own, with now as the current time
	// (for "not in the future" checks; the zero time skips them). It returns
	// a *ValidationError listing every problem, or nil.
	Validate(now time.Time) error
}

// EventID returns the id of an event: a hex SHA-256 prefix of its kind,
// business key and revision. Two publications of the same report have the
// same id; a correction (a higher revision) has a new one.
func EventID(e Event) string {
	parts := append([]string{string(e.Kind())}, e.Key()...)
	parts = append(parts, strconv.Itoa(e.Rev()))
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(sum[:16])
}

// MsgID returns the message id (Nats-Msg-Id) an event is published with:
// "<department id>:<event id>". JetStream drops a message whose id it
// stored within the duplicate window; scoping the id by department keeps
// one department's ids apart from another's, so that two departments'
// events with the same key (two registrations of one project) are both
// stored and judged by ingest. The stored rows keep [EventID]: it names
// the event, whoever sent it. An id says nothing about who sent a
// message — any publisher may set any id — so a publisher that gets
// "duplicate" back verifies the stored message (producers/submit).
func MsgID(e Event) string { return e.Department() + ":" + EventID(e) }

// Common holds the fields every event carries besides its own.
type Common struct {
	// Schema is the event type and version, e.g. "kpp.investment_report.v1".
	Schema string `json:"schema"`
	// DepartmentID is the publishing department; it must own the project and
	// match the subject.
	DepartmentID string `json:"department_id"`
	// Revision is 1 for the first version of a report; a correction has a
	// higher revision and supersedes the lower ones.
	Revision int `json:"revision"`
	// ReportedBy names the clerk or system that reported.
	ReportedBy string `json:"reported_by"`
	// ReportedAt is the client's time of reporting (informational; lateness
	// is decided by the server's receive time).
	ReportedAt *time.Time `json:"reported_at,omitempty"`
	// Source says how the event entered: cli, csv, jsonl, api, web, xlsx, demo.
	Source string `json:"source,omitempty"`
}

// Department implements [Event].
func (c Common) Department() string { return c.DepartmentID }

// Rev implements [Event].
func (c Common) Rev() int { return c.Revision }

// ValidIdentifier reports whether s can be a project, department or
// milestone id: lower-case ASCII letters, digits, '-' and '_', starting
// with a letter or digit, at most 64 characters. Ids are subject tokens.
func ValidIdentifier(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '-' || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func checkIdent(l *errs, field, s string) {
	if s == "" {
		l.required(field)
		return
	}
	if !ValidIdentifier(s) {
		l.add(field, s, RuleIdentifier, "标识只能包含小写字母、数字、- 和 _（最长64位），如 qingyuan-pumped-storage",
			quote(s)+" is not an identifier; expected lower-case letters, digits, '-' or '_' (at most 64), e.g. qingyuan-pumped-storage")
	}
}

func (c Common) check(l *errs, schemaID string) {
	if c.Schema != schemaID {
		if c.Schema == "" {
			l.required("schema")
		} else {
			l.add("schema", c.Schema, RuleSchema, "事件类型应为 "+schemaID, quote(c.Schema)+" does not match; expected "+schemaID)
		}
	}
	checkIdent(l, "department_id", c.DepartmentID)
	checkRevision(l, "revision", c.Revision)
	checkReportedAt(l, c.ReportedAt)
	if strings.TrimSpace(c.ReportedBy) == "" {
		l.required("reported_by")
	}
}

// AnnualPlan is the planned investment of one calendar year.
type AnnualPlan struct {
	Year      int `json:"year"`
	AmountWan Wan `json:"amount_wan"`
	// MonthlyWan optionally phases the year's plan by month (分月计划): twelve
	// amounts, January first.
	MonthlyWan []Wan `json:"monthly_wan,omitempty"`
}

// PlannedMilestone is a node of the project's baseline plan.
type PlannedMilestone struct {
	MilestoneID string `json:"milestone_id"`
	Title       string `json:"title"`
	PlannedDate string `json:"planned_date"`
}

// Project registers a key project or changes its plan (kpp.project.v1).
// A higher revision replaces the register entry; plans and milestones are
// replaced as a whole.
type Project struct {
	Common
	ProjectID      string   `json:"project_id"`
	NameZh         string   `json:"name_zh"`
	NameEn         string   `json:"name_en,omitempty"`
	Region         string   `json:"region"`
	Category       Category `json:"category"`
	Stage          Stage    `json:"stage"`
	DepartmentName string   `json:"department_name,omitempty"`
	// ResponsibleUnit is the unit that carries the project out (责任单位),
	// e.g. 庆元县交通运输局 or the project company; it may differ from the
	// reporting department.
	ResponsibleUnit string `json:"responsible_unit,omitempty"`
	// ResponsiblePerson is the person answerable for the project (责任人).
	ResponsiblePerson string `json:"responsible_person,omitempty"`
	// LeadOfficial is the county or city leader in charge (分管领导).
	LeadOfficial       string             `json:"lead_official,omitempty"`
	TotalInvestmentWan Wan                `json:"total_investment_wan"`
	AnnualPlans        []AnnualPlan       `json:"annual_plans,omitempty"`
	Milestones         []PlannedMilestone `json:"milestones,omitempty"`
	// SyntheticFields names the fields whose values are synthetic (made up
	// for a demo, not from a source document).
	SyntheticFields []string `json:"synthetic_fields,omitempty"`
}

// Kind implements [Event].
func (p *Project) Kind() Kind { return KindProject }

// Key implements [Event].
func (p *Project) Key() []string { return []string{p.ProjectID} }

// Project implements [Event].
func (p *Project) Project() string { return p.ProjectID }

// PlanFor returns the annual plan of year y, if the project has one.
func (p *Project) PlanFor(y int) (AnnualPlan, bool) {
	for _, ap := range p.AnnualPlans {
		if ap.Year == y {
			return ap, true
		}
	}
	return AnnualPlan{}, false
}

// Validate implements [Event].
func (p *Project) Validate(time.Time) error {
	var l errs
	p.Common.check(&l, SchemaProject)
	checkIdent(&l, "project_id", p.ProjectID)
	if strings.TrimSpace(p.NameZh) == "" {
		l.required("name_zh")
	}
	if strings.TrimSpace(p.Region) == "" {
		l.required("region")
	}
	checkEnum(&l, "category", string(p.Category), categoryLabels)
	checkEnum(&l, "stage", string(p.Stage), stageLabels)
	p.TotalInvestmentWan.check(&l, "total_investment_wan", false)
	years := map[int]bool{}
	for i, ap := range p.AnnualPlans {
		f := "annual_plans[" + strconv.Itoa(i) + "]"
		if ap.Year < MinYear || ap.Year > MaxYear {
			l.add(f+".year", strconv.Itoa(ap.Year), RuleRange, "年份应在2000至2100之间", strconv.Itoa(ap.Year)+" is not a plan year; expected 2000-2100")
		} else if years[ap.Year] {
			l.add(f+".year", strconv.Itoa(ap.Year), RuleConsistency, "同一年份的计划重复", "year "+strconv.Itoa(ap.Year)+" is planned twice; expected one plan per year")
		}
		years[ap.Year] = true
		ap.AmountWan.check(&l, f+".amount_wan", true)
		if len(ap.MonthlyWan) != 0 && len(ap.MonthlyWan) != 12 {
			l.add(f+".monthly_wan", strconv.Itoa(len(ap.MonthlyWan)), RuleConsistency, "分月计划应有12个月",
				"has "+strconv.Itoa(len(ap.MonthlyWan))+" amounts; expected 12, January first")
		}
		for j, m := range ap.MonthlyWan {
			m.check(&l, f+".monthly_wan["+strconv.Itoa(j)+"]", true)
		}
	}
	ids := map[string]bool{}
	for i, m := range p.Milestones {
		f := "milestones[" + strconv.Itoa(i) + "]"
		checkIdent(&l, f+".milestone_id", m.MilestoneID)
		if ids[m.MilestoneID] {
			l.add(f+".milestone_id", m.MilestoneID, RuleConsistency, "节点标识重复", quote(m.MilestoneID)+" appears twice; expected unique milestone ids")
		}
		ids[m.MilestoneID] = true
		if strings.TrimSpace(m.Title) == "" {
			l.required(f + ".title")
		}
		checkDate(&l, f+".planned_date", m.PlannedDate, true)
	}
	return l.err()
}

// InvestmentReport is a department's report of investment completed by one
// project in one month (kpp.investment_report.v1).
type InvestmentReport struct {
	Common
	ProjectID string `json:"project_id"`
	// Period is the reported month, "YYYY-MM".
	Period string `json:"period"`
	// MonthCompletedWan is the investment completed in the month (本月完成).
	MonthCompletedWan Wan `json:"month_completed_wan"`
	// YTDCompletedWan is completed from January to the month (本年累计).
	YTDCompletedWan Wan `json:"ytd_completed_wan"`
	// SinceStartCompletedWan is completed since the project started (开累).
	SinceStartCompletedWan Wan `json:"since_start_completed_wan"`
	// PhysicalProgress describes the works' state (形象进度).
	PhysicalProgress string `json:"physical_progress,omitempty"`
	// Problems are the problems met (存在问题).
	Problems string `json:"problems,omitempty"`
	// NextSteps are the next steps (下步计划).
	NextSteps string `json:"next_steps,omitempty"`
	// CorrectionReason says why a revision > 1 was sent.
	CorrectionReason string `json:"correction_reason,omitempty"`
}

// Kind implements [Event].
func (r *InvestmentReport) Kind() Kind { return KindInvestment }

// Key implements [Event].
func (r *InvestmentReport) Key() []string { return []string{r.ProjectID, r.Period} }

// Project implements [Event].
func (r *InvestmentReport) Project() string { return r.ProjectID }

// Validate implements [Event].
func (r *InvestmentReport) Validate(now time.Time) error {
	var l errs
	r.Common.check(&l, SchemaInvestment)
	checkIdent(&l, "project_id", r.ProjectID)
	checkPeriod(&l, "period", r.Period, now)
	r.MonthCompletedWan.check(&l, "month_completed_wan", true)
	r.YTDCompletedWan.check(&l, "ytd_completed_wan", true)
	r.SinceStartCompletedWan.check(&l, "since_start_completed_wan", false)
	if r.MonthCompletedWan.Valid() && r.YTDCompletedWan.Valid() && r.YTDCompletedWan.Value.LessThan(r.MonthCompletedWan.Value) {
		l.add("ytd_completed_wan", r.YTDCompletedWan.String(), RuleConsistency, "本年累计（"+r.YTDCompletedWan.Display()+"万元）应不小于本月完成（"+r.MonthCompletedWan.Display()+"万元）",
			"year-to-date "+r.YTDCompletedWan.Display()+" is below the month's "+r.MonthCompletedWan.Display()+" 万元; expected ytd ≥ month")
	}
	if r.YTDCompletedWan.Valid() && r.SinceStartCompletedWan.Valid() && r.SinceStartCompletedWan.Value.LessThan(r.YTDCompletedWan.Value) {
		l.add("since_start_completed_wan", r.SinceStartCompletedWan.String(), RuleConsistency, "自开工累计（"+r.SinceStartCompletedWan.Display()+"万元）应不小于本年累计（"+r.YTDCompletedWan.Display()+"万元）",
			"since-start "+r.SinceStartCompletedWan.Display()+" is below year-to-date "+r.YTDCompletedWan.Display()+" 万元; expected since-start ≥ ytd")
	}
	if r.Revision > 1 && strings.TrimSpace(r.CorrectionReason) == "" {
		l.add("correction_reason", "", RuleRequired, "更正（版本号大于1）须说明原因", "is required when revision > 1 (a correction says why)")
	}
	return l.err()
}

// MilestoneUpdate reports the state of one milestone
// (kpp.milestone_update.v1).
type MilestoneUpdate struct {
	Common
	ProjectID   string          `json:"project_id"`
	MilestoneID string          `json:"milestone_id"`
	Title       string          `json:"title,omitempty"`
	Status      MilestoneStatus `json:"status"`
	// PlannedDate is the baseline date, copied from the plan.
	PlannedDate string `json:"planned_date,omitempty"`
	// ForecastDate is the currently expected date; each move is a new revision.
	ForecastDate string `json:"forecast_date,omitempty"`
	// ActualDate is when the milestone was reached; required when met.
	ActualDate string `json:"actual_date,omitempty"`
	// AsOf is the date of the assessment.
	AsOf string `json:"as_of"`
	// PercentComplete is 0-100.
	PercentComplete *decimal.Decimal `json:"percent_complete,omitempty"`
	Note            string           `json:"note,omitempty"`
}

// Kind implements [Event].
func (m *MilestoneUpdate) Kind() Kind { return KindMilestone }

// Key implements [Event].
func (m *MilestoneUpdate) Key() []string { return []string{m.ProjectID, m.MilestoneID} }

// Project implements [Event].
func (m *MilestoneUpdate) Project() string { return m.ProjectID }

// Validate implements [Event].
func (m *MilestoneUpdate) Validate(now time.Time) error {
	var l errs
	m.Common.check(&l, SchemaMilestone)
	checkIdent(&l, "project_id", m.ProjectID)
	checkIdent(&l, "milestone_id", m.MilestoneID)
	checkEnum(&l, "status", string(m.Status), milestoneLabels)
	checkDate(&l, "planned_date", m.PlannedDate, false)
	checkDate(&l, "forecast_date", m.ForecastDate, false)
	actual, hasActual := checkDate(&l, "actual_date", m.ActualDate, false)
	asOf, hasAsOf := checkDate(&l, "as_of", m.AsOf, true)
	if m.Status == MilestoneMet && m.ActualDate == "" {
		l.add("actual_date", "", RuleRequired, "节点已完成时须填写实际完成日期", "is required when status is met")
	}
	if hasActual && hasAsOf && actual.After(asOf) {
		l.add("actual_date", m.ActualDate, RuleConsistency, "实际完成日期不能晚于评估日期（"+m.AsOf+"）",
			m.ActualDate+" is after as_of "+m.AsOf+"; expected an actual date on or before the assessment")
	}
	if hasAsOf && !now.IsZero() && asOf.After(now) {
		l.add("as_of", m.AsOf, RuleRange, "评估日期不能晚于今天", m.AsOf+" is in the future; expected today or earlier")
	}
	if pc := m.PercentComplete; pc != nil {
		checkPercent(&l, "percent_complete", *pc)
	}
	return l.err()
}
