package demo_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/producers/demo"
	"github.com/keyproject/kpp/schema"
)

func build(t *testing.T, cfg demo.Config) *demo.Demo {
	t.Helper()
	d, err := demo.Build(cfg)
	if err != nil {
		t.Fatalf("Build(%+v): %v", cfg, err)
	}
	return d
}

func encode(t *testing.T, evs []schema.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range evs {
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestSameConfigBuildsTheSameEvents(t *testing.T) {
	a := encode(t, build(t, demo.Config{}).Events())
	b := encode(t, build(t, demo.Config{}).Events())
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the default config differ")
	}
	explicit := encode(t, build(t, demo.Config{Year: 2025, Through: schema.Period{Year: 2025, Month: time.September}, Seed: demo.DefaultSeed}).Events())
	if !bytes.Equal(a, explicit) {
		t.Fatal("the zero Config and the spelled-out defaults build different events")
	}
	other := encode(t, build(t, demo.Config{Seed: 7}).Events())
	if bytes.Equal(a, other) {
		t.Fatal("another seed builds the same events; the seed is not used")
	}
}

// now is a moment after the last reported month, when all its reports
// have been sent.
func now(d *demo.Demo) time.Time { return d.Config.Through.End().AddDate(0, 0, 20) }

func TestEveryEventIsValidOwnedAndUnique(t *testing.T) {
	for _, cfg := range []demo.Config{
		{},
		{Through: schema.Period{Year: 2025, Month: time.January}},
		{Year: 2024, Through: schema.Period{Year: 2024, Month: time.December}, Seed: 99},
	} {
		d := build(t, cfg)
		owners := schema.Owners{}
		for _, p := range d.Projects {
			owners.Register(p)
		}
		ids := map[string]string{}
		for i, e := range d.Events() {
			where := schema.Subject(e) + " " + strings.Join(e.Key(), "/") + " rev " + strconv.Itoa(e.Rev())
			// What goes on the wire decodes to an event that is still valid.
			body, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("%v: event %d (%s): %v", cfg, i, where, err)
			}
			back, err := schema.DecodeAny(body)
			if err != nil {
				t.Fatalf("%v: event %d (%s) does not decode: %v\n%s", cfg, i, where, err, body)
			}
			if err := back.Validate(now(d)); err != nil {
				t.Errorf("%v: event %d (%s): %v", cfg, i, where, err)
			}
			parts, err := schema.ParseSubject(schema.Subject(e))
			if err != nil {
				t.Fatalf("%v: event %d: %v", cfg, i, err)
			}
			if err := schema.CheckSubject(parts, back); err != nil {
				t.Errorf("%v: event %d (%s): %v", cfg, i, where, err)
			}
			if err := owners.CheckOwner(back); err != nil {
				t.Errorf("%v: event %d (%s): %v", cfg, i, where, err)
			}
			id := schema.EventID(e)
			if prev, dup := ids[id]; dup {
				t.Errorf("%v: event %d (%s) has the id of %s: JetStream would drop it as a duplicate", cfg, i, where, prev)
			}
			ids[id] = where
		}
	}
}

func TestReportsAreConsistent(t *testing.T) {
	d := build(t, demo.Config{})
	byProject := map[string][]*schema.InvestmentReport{}
	corrections := 0
	for _, e := range d.Reports {
		switch r := e.(type) {
		case *schema.InvestmentReport:
			if r.Source != "demo" {
				t.Errorf("%s %s: source %q, want demo (its figures are synthetic)", r.ProjectID, r.Period, r.Source)
			}
			for _, w := range []schema.Wan{r.MonthCompletedWan, r.YTDCompletedWan, r.SinceStartCompletedWan} {
				if w.Set && (w.Value.IsNegative() || !w.Value.Equal(w.Value.Round(schema.MaxScale))) {
					t.Errorf("%s %s: amount %s is negative or has more than 4 decimals", r.ProjectID, r.Period, w)
				}
			}
			if r.Revision > 1 {
				corrections++
				if r.ProjectID != demo.CorrectedProject || r.CorrectionReason == "" {
					t.Errorf("%s %s: unexpected revision %d (reason %q)", r.ProjectID, r.Period, r.Revision, r.CorrectionReason)
				}
				continue // checked against the corrected series below
			}
			if strings.HasPrefix(r.Period, "2025-") && !(r.ProjectID == demo.CorrectedProject && r.Period == "2025-06") {
				byProject[r.ProjectID] = append(byProject[r.ProjectID], r)
			}
		case *schema.MilestoneUpdate:
			if r.Source != "demo" {
				t.Errorf("%s %s: source %q, want demo", r.ProjectID, r.MilestoneID, r.Source)
			}
		}
	}
	if corrections != 1 {
		t.Errorf("%d corrections, want exactly 1 (%s, June)", corrections, demo.CorrectedProject)
	}
	// Within each project, ytd is the running sum of the months and
	// since-start moves with it: the correction is folded in by taking the
	// latest revision of each month.
	latest := latestInvestment(d.Reports, 2025)
	for _, p := range d.Projects {
		sum := decimal.Zero
		var base *decimal.Decimal
		for m := 1; m <= 9; m++ {
			r, ok := latest[key{p.ProjectID, m}]
			if !ok {
				continue
			}
			sum = sum.Add(r.MonthCompletedWan.Value)
			if !r.YTDCompletedWan.Value.Equal(sum) {
				t.Errorf("%s 2025-%02d: ytd %s, want the sum of the months %s", p.ProjectID, m, r.YTDCompletedWan, sum)
			}
			b := r.SinceStartCompletedWan.Value.Sub(r.YTDCompletedWan.Value)
			if base == nil {
				base = &b
			} else if !b.Equal(*base) {
				t.Errorf("%s 2025-%02d: since-start minus ytd is %s, was %s in earlier months", p.ProjectID, m, b, base)
			}
		}
	}
}

func TestPortfolioKeepsTheSourceFacts(t *testing.T) {
	raw, err := os.ReadFile("seed-projects.json")
	if err != nil {
		t.Fatal(err)
	}
	if shared, err := os.ReadFile("../../../shared/data/seed-projects.json"); err == nil && !bytes.Equal(raw, shared) {
		t.Error("seed-projects.json differs from shared/data/seed-projects.json; copy it again")
	}
	var tagged []map[string]any
	if err := json.Unmarshal(raw, &tagged); err != nil {
		t.Fatal(err)
	}
	d := build(t, demo.Config{})
	if len(d.Projects) != len(tagged) {
		t.Fatalf("%d projects, the seed has %d", len(d.Projects), len(tagged))
	}
	for i, s := range tagged {
		p := d.Projects[i]
		stage, _ := schema.ParseStage(s["stage"].(string))
		if p.ProjectID != s["id"] || p.NameZh != s["name_zh"] || p.NameEn != s["name_en"] || p.Region != s["region"] ||
			string(p.Category) != s["category"] || p.Stage != stage {
			t.Errorf("project %d: got %s %s %s %s %s, the seed says %v %v %v %v %v",
				i, p.ProjectID, p.NameZh, p.Region, p.Category, p.Stage, s["id"], s["name_zh"], s["region"], s["category"], s["stage"])
		}
		ms := s["milestones"].([]any)
		if len(ms) != len(p.Milestones) {
			t.Errorf("%s: %d milestones, the seed has %d", p.ProjectID, len(p.Milestones), len(ms))
			continue
		}
		for j, m := range ms {
			m := m.(map[string]any)
			pm := p.Milestones[j]
			if pm.Title != m["name_zh"] || !strings.HasPrefix(pm.PlannedDate, jsonInt(m["year"])) {
				t.Errorf("%s milestone %d: %s planned %s, the seed says %v in %v", p.ProjectID, j, pm.Title, pm.PlannedDate, m["name_zh"], m["year"])
			}
		}
		if v, ok := s["annual_plan_investment_yi"].(float64); ok {
			y := int(s["evidence_year"].(float64))
			ap, has := p.PlanFor(y)
			want := decimal.NewFromFloat(v).Mul(decimal.NewFromInt(10000))
			if !has || !ap.AmountWan.Value.Equal(want) {
				t.Errorf("%s: plan of %d is %v, the seed says %s 万元", p.ProjectID, y, ap.AmountWan, want)
			}
			if slices.Contains(p.SyntheticFields, demo.SyntheticPlan(y)) {
				t.Errorf("%s: the stated plan of %d is marked synthetic", p.ProjectID, y)
			}
		}
	}

	want := map[string][]string{
		"庆元抽水蓄能电站":   {"通风兼安全洞贯通", "后方营地主体建筑", "抽蓄主体工程"},
		"义龙庆高速公路庆元段": {"项目前期", "开工建设"},
	}
	for name, titles := range want {
		var found *schema.Project
		for _, p := range d.Projects {
			if strings.HasPrefix(p.NameZh, name) {
				found = p
			}
		}
		if found == nil {
			t.Errorf("the portfolio has no %s", name)
			continue
		}
		var got []string
		for _, m := range found.Milestones {
			got = append(got, m.Title)
		}
		if !slices.Equal(got, titles) {
			t.Errorf("%s milestones %v, want %v", name, got, titles)
		}
	}
	// The 2017 completed investment of 衢宁铁路庆元段 (4.67亿元, 133% of its
	// annual target) travels as a December 2017 report.
	var quning *schema.InvestmentReport
	for _, e := range d.Reports {
		if r, ok := e.(*schema.InvestmentReport); ok && r.ProjectID == "quning-railway-qingyuan" && r.Period == "2017-12" {
			quning = r
		}
	}
	if quning == nil || !quning.YTDCompletedWan.Value.Equal(decimal.NewFromInt(46700)) {
		t.Errorf("quning-railway-qingyuan 2017-12: %+v, want ytd 46700 万元", quning)
	}
}

func jsonInt(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSyntheticFieldsAreListed(t *testing.T) {
	d := build(t, demo.Config{})
	for _, p := range d.Projects {
		has := func(f string) bool { return slices.Contains(p.SyntheticFields, f) }
		for _, f := range []string{demo.SyntheticDepartmentID, demo.SyntheticDepartmentName, demo.SyntheticTotal} {
			if !has(f) {
				t.Errorf("%s: %s is synthetic (the seed has no value) but not listed in %v", p.ProjectID, f, p.SyntheticFields)
			}
		}
		if _, ok := p.PlanFor(2025); ok != has(demo.SyntheticPlan(2025)) {
			t.Errorf("%s: has a 2025 plan: %v, listed as synthetic: %v", p.ProjectID, ok, has(demo.SyntheticPlan(2025)))
		}
		if (len(p.Milestones) > 0) != has(demo.SyntheticPlannedDates) {
			t.Errorf("%s: %d milestones, planned dates listed as synthetic: %v", p.ProjectID, len(p.Milestones), has(demo.SyntheticPlannedDates))
		}
		if p.Source != "demo" {
			t.Errorf("%s: source %q, want demo", p.ProjectID, p.Source)
		}
	}
}

type key struct {
	project string
	month   int
}

// latestInvestment keeps the highest revision of each project-month of year.
func latestInvestment(evs []schema.Event, year int) map[key]*schema.InvestmentReport {
	out := map[key]*schema.InvestmentReport{}
	for _, e := range evs {
		r, ok := e.(*schema.InvestmentReport)
		if !ok {
			continue
		}
		p, err := schema.ParsePeriod(r.Period)
		if err != nil || p.Year != year {
			continue
		}
		k := key{r.ProjectID, p.Index()}
		if prev, ok := out[k]; !ok || prev.Revision < r.Revision {
			out[k] = r
		}
	}
	return out
}

// TestBoardOfSeptemberHasEveryStatus rates the default data for 2025-09 the
// way PRODUCT.md says, straight from the events: completion = latest ytd ÷
// annual plan against time progress 9/12; red also for a milestone not met
// more than 30 days after its planned date; no plan, not rated.
func TestBoardOfSeptemberHasEveryStatus(t *testing.T) {
	d := build(t, demo.Config{})
	latest := latestInvestment(d.Reports, 2025)
	end := time.Date(2025, time.September, 30, 0, 0, 0, 0, schema.Location())
	milestone := map[[2]string]*schema.MilestoneUpdate{}
	for _, e := range d.Reports {
		if u, ok := e.(*schema.MilestoneUpdate); ok {
			k := [2]string{u.ProjectID, u.MilestoneID}
			if prev, ok := milestone[k]; !ok || prev.Revision < u.Revision {
				milestone[k] = u
			}
		}
	}
	count := map[string]int{}
	status := map[string]string{}
	var missing []string
	for _, p := range d.Projects {
		if _, ok := latest[key{p.ProjectID, 9}]; !ok {
			missing = append(missing, p.ProjectID)
		}
		ytd := decimal.Zero
		for m := 9; m >= 1; m-- {
			if r, ok := latest[key{p.ProjectID, m}]; ok {
				ytd = r.YTDCompletedWan.Value
				break
			}
		}
		overdue := 0
		for _, pm := range p.Milestones {
			planned, _ := schema.ParseDate(pm.PlannedDate)
			u := milestone[[2]string{p.ProjectID, pm.MilestoneID}]
			if planned.Before(end) && (u == nil || u.Status != schema.MilestoneMet) {
				overdue = max(overdue, int(end.Sub(planned).Hours()/24))
			}
		}
		s := "unrated"
		if ap, ok := p.PlanFor(2025); ok && ap.AmountWan.Value.IsPositive() {
			// gap in points = completion% - 75; exact: compare ytd*12 with 9*plan.
			ytd12, plan9 := ytd.Mul(decimal.NewFromInt(12)), ap.AmountWan.Value.Mul(decimal.NewFromInt(9))
			gap := ytd.Div(ap.AmountWan.Value).Mul(decimal.NewFromInt(100)).Sub(decimal.NewFromInt(75))
			switch {
			case overdue > 30:
				s = "red"
			case !ytd12.LessThan(plan9):
				s = "green"
			case gap.GreaterThanOrEqual(decimal.NewFromInt(-10)):
				s = "yellow"
			default:
				s = "red"
			}
		}
		count[s]++
		status[p.ProjectID] = s
	}
	t.Logf("board of 2025-09: %v", count)
	if count["red"] < 2 || count["yellow"] < 2 || count["unrated"] < 1 {
		t.Errorf("statuses %v: want at least 2 red, 2 yellow and 1 unrated", count)
	}
	if 2*count["green"] <= len(d.Projects) {
		t.Errorf("statuses %v: want most of the %d projects green", count, len(d.Projects))
	}
	if !slices.Equal(missing, []string{demo.MissingProject}) {
		t.Errorf("projects without a 2025-09 report: %v, want only %s", missing, demo.MissingProject)
	}
	if _, ok := latest[key{demo.MissingProject, 8}]; !ok {
		t.Errorf("%s did not report 2025-08 either; it should miss only the latest month", demo.MissingProject)
	}
	if status["lishui-airport"] != "red" {
		t.Errorf("lishui-airport is %s, want red: its 通航 milestone is more than 30 days overdue", status["lishui-airport"])
	}
	for _, id := range []string{"yilongqing-expressway-qingyuan", "xiyan-reservoir"} {
		if status[id] != "unrated" {
			t.Errorf("%s (前期, no annual plan) is %s, want unrated", id, status[id])
		}
	}
}

func TestBadMessagesBreakTheirOneRule(t *testing.T) {
	d := build(t, demo.Config{})
	owners := schema.Owners{}
	for _, p := range d.Projects {
		owners.Register(p)
	}
	bad, err := demo.BadMessages(demo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) < 4 {
		t.Fatalf("%d bad messages, want at least 4", len(bad))
	}
	seen := map[string]bool{}
	for _, b := range bad {
		if seen[b.MsgID] {
			t.Errorf("%s: message id %s used twice", b.Name, b.MsgID)
		}
		seen[b.MsgID] = true
		parts, err := schema.ParseSubject(b.Subject)
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		ev, err := schema.Decode(parts.Kind, b.Payload)
		if err != nil {
			t.Fatalf("%s: payload does not decode: %v", b.Name, err)
		}
		var rules []schema.Rule
		for _, err := range []error{ev.Validate(now(d)), schema.CheckSubject(parts, ev), owners.CheckOwner(ev)} {
			var ve *schema.ValidationError
			if errors.As(err, &ve) {
				for _, fe := range ve.Errors {
					rules = append(rules, fe.Rule)
				}
			}
		}
		if !slices.Equal(rules, []schema.Rule{b.Rule}) {
			t.Errorf("%s (%s): broke rules %v, want exactly [%s]", b.Name, b.Problem, rules, b.Rule)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (demo.Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	for _, c := range []demo.Config{
		{Year: 2025, Through: schema.Period{Year: 2024, Month: time.December}},
		{Year: 1999},
	} {
		err := c.Validate()
		if !errors.Is(err, demo.ErrConfig) {
			t.Errorf("Validate(%+v) = %v, want ErrConfig", c, err)
		}
		if _, err := demo.Build(c); !errors.Is(err, demo.ErrConfig) {
			t.Errorf("Build(%+v) = %v, want ErrConfig", c, err)
		}
	}
	d := build(t, demo.Config{Through: schema.Period{Year: 2024, Month: time.March}})
	if d.Config.Year != 2024 {
		t.Errorf("Through 2024-03 alone gives year %d, want 2024", d.Config.Year)
	}
}
