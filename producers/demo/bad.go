package demo

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/keyproject/kpp/schema"
)

// BadMessage is an invalid update as a department might send it, with the
// subject it is published on. The demo publishes it as it is (bypassing the
// producer's checks) so that ingest rejects it to the dead-letter stream.
type BadMessage struct {
	// Name says what is wrong in a word, e.g. "unknown-project".
	Name string
	// Subject is the kpp.v1.<department>.<kind>.<project> subject.
	Subject string
	// MsgID is a stable Nats-Msg-Id ("demo-bad:<name>:<year>"), so that
	// running the demo twice publishes each once.
	MsgID string
	// Payload is the JSON body.
	Payload []byte
	// Rule is the validation rule ingest reports for it.
	Rule schema.Rule
	// Problem says what is wrong, in English.
	Problem string
}

// The projects the bad messages are about.
const (
	// badOwnedProject is reported for by a department that does not own it.
	badOwnedProject = "qingyuan-pumped-storage"
	// badReporterProject is owned by the department that reports for
	// badOwnedProject, and carries the negative amount.
	badReporterProject = "g638-qingyuan"
	// badUnknownProject is no project of the portfolio.
	badUnknownProject = "qingyuan-cableway"
)

// BadMessages returns four invalid investment reports for cfg.Through's
// year, each wrong in one way: a project that is not registered; period
// "YYYY-13"; a negative amount; and a department (庆元县交通运输局, the
// owner of g638-qingyuan) reporting for a project it does not own
// (庆元抽水蓄能电站, owned by 庆元县发展和改革局). The departments are
// those of [Portfolio].
func BadMessages(cfg Config) ([]BadMessage, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	projects, err := Portfolio(cfg)
	if err != nil {
		return nil, err
	}
	owner := map[string]string{}
	for _, p := range projects {
		owner[p.ProjectID] = p.DepartmentID
	}
	if owner[badUnknownProject] != "" {
		return nil, fmt.Errorf("%w: %s: project %s is in the portfolio; the demo's unknown-project message needs an id that is not", ErrSeed, seedFile, badUnknownProject)
	}
	owned, reporter := owner[badOwnedProject], owner[badReporterProject]
	if owned == "" || reporter == "" || owned == reporter {
		return nil, fmt.Errorf("%w: %s: projects %s (department %q) and %s (department %q); the demo's bad messages need both, owned by different departments",
			ErrSeed, seedFile, badOwnedProject, owned, badReporterProject, reporter)
	}
	at := cfg.Through.End().Add(3*24*time.Hour + 10*time.Hour)
	base := func(dept, project string) *schema.InvestmentReport {
		return &schema.InvestmentReport{
			Common: schema.Common{
				Schema: schema.SchemaInvestment, DepartmentID: dept, Revision: 1,
				ReportedBy: "演示：错误报送", ReportedAt: &at, Source: demoSource,
			},
			ProjectID:         project,
			Period:            cfg.Through.String(),
			MonthCompletedWan: schema.MustWan("350"),
			YTDCompletedWan:   schema.MustWan("2860.5"),
		}
	}
	unknown := base(reporter, badUnknownProject)
	badPeriod := base(owned, badOwnedProject)
	badPeriod.Period = fmt.Sprintf("%04d-13", cfg.Year)
	negative := base(reporter, badReporterProject)
	negative.MonthCompletedWan = schema.MustWan("-350")
	notOwner := base(reporter, badOwnedProject)

	cases := []struct {
		name    string
		ev      *schema.InvestmentReport
		rule    schema.Rule
		problem string
	}{
		{"unknown-project", unknown, schema.RuleUnknownProject, "project " + badUnknownProject + " is not registered"},
		{"period-13", badPeriod, schema.RulePeriod, "period " + badPeriod.Period + " has no month 13"},
		{"negative-amount", negative, schema.RuleNonNegative, "month_completed_wan is -350"},
		{"not-owner", notOwner, schema.RuleNotOwner, reporter + " reports for " + badOwnedProject + ", which belongs to " + owned},
	}
	out := make([]BadMessage, 0, len(cases))
	for _, c := range cases {
		body, err := json.Marshal(c.ev)
		if err != nil {
			return nil, fmt.Errorf("demo: encode bad message %s: %w", c.name, err)
		}
		out = append(out, BadMessage{
			Name:    c.name,
			Subject: schema.Subject(c.ev),
			MsgID:   fmt.Sprintf("demo-bad:%s:%d", c.name, cfg.Year),
			Payload: body,
			Rule:    c.rule,
			Problem: c.problem,
		})
	}
	return out, nil
}
