package demo_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

// seedRecord is what the tests read of a seed-projects.json record, on
// their own, to check the portfolio against the file.
type seedRecord struct {
	ID                string  `json:"id"`
	NameZh            string  `json:"name_zh"`
	NameEn            string  `json:"name_en"`
	Region            string  `json:"region"`
	Category          string  `json:"category"`
	Department        *string `json:"department"`
	DepartmentBasis   *string `json:"department_basis"`
	Stage             *string `json:"stage"`
	InvestmentHistory []struct {
		Year      int              `json:"year"`
		Total     *decimal.Decimal `json:"total_investment_yi"`
		Plan      *decimal.Decimal `json:"annual_plan_investment_yi"`
		Completed *decimal.Decimal `json:"completed_investment_yi"`
		Pct       *decimal.Decimal `json:"annual_completion_pct"`
		Source    string           `json:"source_file"`
		Evidence  string           `json:"evidence_zh"`
	} `json:"investment_history"`
	Milestones []struct {
		NameZh string `json:"name_zh"`
		Year   int    `json:"year"`
		Month  int    `json:"month"`
		Status string `json:"status"`
	} `json:"milestones"`
}

func (s seedRecord) stated() bool { return s.DepartmentBasis != nil && *s.DepartmentBasis == "stated" }

func (s seedRecord) statedTotal() bool {
	for _, h := range s.InvestmentHistory {
		if h.Total != nil {
			return true
		}
	}
	return false
}

// statedPlan is the annual plan of year the seed states, or derives from a
// stated completed investment and its completion rate.
func (s seedRecord) statedPlan(year int) (decimal.Decimal, bool) {
	for _, h := range s.InvestmentHistory {
		switch {
		case h.Year != year:
		case h.Plan != nil:
			return h.Plan.Mul(decimal.NewFromInt(10000)), true
		case h.Completed != nil && h.Pct != nil:
			return h.Completed.Mul(decimal.NewFromInt(1000000)).DivRound(*h.Pct, schema.MaxScale), true
		}
	}
	return decimal.Zero, false
}

func readSeed(t *testing.T) []seedRecord {
	t.Helper()
	raw, err := os.ReadFile("seed-projects.json")
	if err != nil {
		t.Fatal(err)
	}
	if shared, err := os.ReadFile("../../../shared/data/seed-projects.json"); err == nil && !bytes.Equal(raw, shared) {
		t.Error("seed-projects.json differs from shared/data/seed-projects.json; copy it again")
	}
	var out []seedRecord
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("seed-projects.json: %v", err)
	}
	return out
}

func TestPortfolioKeepsTheSourceFacts(t *testing.T) {
	seeds := readSeed(t)
	d := build(t, demo.Config{})
	if len(d.Projects) != len(seeds) {
		t.Fatalf("%d projects, the seed has %d", len(d.Projects), len(seeds))
	}
	// Reports of earlier years carry the stated completed investments.
	type yearKey struct {
		project string
		year    int
	}
	history := map[yearKey]*schema.InvestmentReport{}
	for _, e := range d.Reports {
		if r, ok := e.(*schema.InvestmentReport); ok && !strings.HasPrefix(r.Period, "2025-") {
			y, _ := strconv.Atoi(r.Period[:4])
			if r.Period[5:] != "12" {
				t.Errorf("%s %s: a report of an earlier year other than December", r.ProjectID, r.Period)
			}
			history[yearKey{r.ProjectID, y}] = r
		}
	}
	histories := 0
	for i, s := range seeds {
		p := d.Projects[i]
		stage := schema.StagePreparation // the demo's choice where the source is silent
		if s.Stage != nil {
			stage, _ = schema.ParseStage(*s.Stage)
		}
		if p.ProjectID != s.ID || p.NameZh != s.NameZh || p.NameEn != s.NameEn || p.Region != s.Region ||
			string(p.Category) != s.Category || p.Stage != stage {
			t.Errorf("project %d: got %s %s %s %s %s, the seed says %s %s %s %s %v",
				i, p.ProjectID, p.NameZh, p.Region, p.Category, p.Stage, s.ID, s.NameZh, s.Region, s.Category, s.Stage)
		}
		if s.stated() && p.DepartmentName != *s.Department {
			t.Errorf("%s: department %s, the source names %s", p.ProjectID, p.DepartmentName, *s.Department)
		}
		if len(s.Milestones) != len(p.Milestones) {
			t.Errorf("%s: %d milestones, the seed has %d", p.ProjectID, len(p.Milestones), len(s.Milestones))
			continue
		}
		for j, m := range s.Milestones {
			pm := p.Milestones[j]
			when := strconv.Itoa(m.Year)
			if m.Month > 0 {
				when = fmt.Sprintf("%d-%02d", m.Year, m.Month)
			}
			if pm.Title != m.NameZh || !strings.HasPrefix(pm.PlannedDate, when) {
				t.Errorf("%s milestone %d: %s planned %s, the seed says %s in %s", p.ProjectID, j, pm.Title, pm.PlannedDate, m.NameZh, when)
			}
		}
		for _, h := range s.InvestmentHistory {
			if want, ok := s.statedPlan(h.Year); ok {
				ap, has := p.PlanFor(h.Year)
				if !has || !ap.AmountWan.Value.Equal(want) {
					t.Errorf("%s: plan of %d is %v, the seed says %s 万元", p.ProjectID, h.Year, ap.AmountWan, want)
				}
				if slices.Contains(p.SyntheticFields, demo.SyntheticPlan(h.Year)) {
					t.Errorf("%s: the stated plan of %d is marked synthetic", p.ProjectID, h.Year)
				}
			}
			if h.Total != nil && !p.TotalInvestmentWan.Value.Equal(h.Total.Mul(decimal.NewFromInt(10000))) {
				t.Errorf("%s: total %s 万元, the seed says %s 亿元", p.ProjectID, p.TotalInvestmentWan, h.Total)
			}
			if h.Completed != nil && h.Year < 2025 {
				histories++
				r := history[yearKey{p.ProjectID, h.Year}]
				if r == nil || !r.YTDCompletedWan.Value.Equal(h.Completed.Mul(decimal.NewFromInt(10000))) || !strings.Contains(r.PhysicalProgress, h.Evidence) {
					t.Errorf("%s %d-12: %+v, want ytd %s 亿元 quoting %q", p.ProjectID, h.Year, r, h.Completed, h.Evidence)
				}
			}
		}
	}
	if len(history) != histories {
		t.Errorf("%d reports of earlier years, the seed states %d completed investments before 2025", len(history), histories)
	}

	want := map[string][]string{
		"庆元抽水蓄能电站":   {"通风兼安全洞实现贯通", "后方营地主体建筑", "抽蓄主体工程加速推进"},
		"义龙庆高速公路庆元段": {"项目前期", "开工建设（力争“十四五”末期）"},
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
	// annual target) travels as a December 2017 report, and the target it
	// implies (4.67 ÷ 133%) is its 2017 plan.
	if r := history[yearKey{"quning-railway-qingyuan", 2017}]; r == nil || !r.YTDCompletedWan.Value.Equal(decimal.NewFromInt(46700)) {
		t.Errorf("quning-railway-qingyuan 2017-12: %+v, want ytd 46700 万元", r)
	}
	for _, p := range d.Projects {
		if ap, ok := p.PlanFor(2017); p.ProjectID == "quning-railway-qingyuan" && (!ok || !ap.AmountWan.Value.Equal(decimal.RequireFromString("35112.782"))) {
			t.Errorf("quning-railway-qingyuan: plan of 2017 %v, want 35112.782 万元 (46700 ÷ 133%%)", ap.AmountWan)
		}
	}
}

// A missed milestone (a planned step a later document shows not done) is
// not reached in its year: at the year's end it is in progress with a
// moved forecast and the note that it was missed, and it is reached 6-18
// months after its planned date (synthetic, said in the note); one met at
// the source is met from its first update.
func TestMilestonesKeepTheSourceStatus(t *testing.T) {
	seeds := readSeed(t)
	d := build(t, demo.Config{})
	updates := map[[2]string][]*schema.MilestoneUpdate{}
	for _, e := range d.Reports {
		if u, ok := e.(*schema.MilestoneUpdate); ok {
			k := [2]string{u.ProjectID, u.MilestoneID}
			updates[k] = append(updates[k], u)
		}
	}
	missed := 0
	for i, s := range seeds {
		p := d.Projects[i]
		for j, m := range s.Milestones {
			if j >= len(p.Milestones) {
				break // reported by TestPortfolioKeepsTheSourceFacts
			}
			us := updates[[2]string{p.ProjectID, p.Milestones[j].MilestoneID}]
			if len(us) == 0 {
				if m.Year <= 2025 && m.Status != "scheduled" {
					t.Errorf("%s %s (%s in %d): no update", p.ProjectID, m.NameZh, m.Status, m.Year)
				}
				continue
			}
			last := us[len(us)-1]
			switch m.Status {
			case "met":
				if us[0].Status != schema.MilestoneMet {
					t.Errorf("%s %s: met at the source, first reported %s", p.ProjectID, m.NameZh, us[0].Status)
				}
			case "missed":
				missed++
				yearEnd := fmt.Sprintf("%d-12-31", m.Year)
				var atYearEnd *schema.MilestoneUpdate
				for _, u := range us {
					if u.Status == schema.MilestoneMet && u.AsOf <= yearEnd {
						t.Errorf("%s %s: missed at the source in %d, reported met on %s", p.ProjectID, m.NameZh, m.Year, u.AsOf)
					}
					if u.AsOf == yearEnd {
						atYearEnd = u
					}
				}
				if atYearEnd == nil || atYearEnd.Status != schema.MilestoneInProgress || atYearEnd.ForecastDate <= yearEnd ||
					!strings.Contains(atYearEnd.Note, "未按计划完成") || !strings.Contains(atYearEnd.Note, "演示数据") {
					t.Errorf("%s %s: missed at the source, at the end of %d: %+v; want in progress, the forecast moved past the year, a note saying so", p.ProjectID, m.NameZh, m.Year, atYearEnd)
				}
				planned, _ := schema.ParseDate(last.PlannedDate)
				actual, err := schema.ParseDate(last.ActualDate)
				if last.Status != schema.MilestoneMet || err != nil || actual.Before(planned.AddDate(0, 6, 0)) || actual.After(planned.AddDate(0, 18, 0)) ||
					!strings.Contains(last.Note, "演示数据") {
					t.Errorf("%s %s: missed at the source (planned %s), last reported %s on %q (%s); want met 6-18 months late, marked synthetic", p.ProjectID, m.NameZh, last.PlannedDate, last.Status, last.ActualDate, last.Note)
				}
			}
		}
	}
	if missed == 0 {
		t.Error("no missed milestone was checked; the seed has some")
	}
}

// On any date the demo may run (history to 2025-01 … 2027-12), no
// milestone is overdue by more than 400 days at the end of the history,
// and on a board of late 2026 a few rated projects still are, by more than
// the 30 days that make a project red.
func TestMilestonesAreNeverOverdueForYears(t *testing.T) {
	for y := 2025; y <= 2027; y++ {
		for mo := time.January; mo <= time.December; mo++ {
			through := schema.Period{Year: y, Month: mo}
			d := build(t, demo.Config{Through: through})
			end := through.LastDay()
			latest := map[[2]string]*schema.MilestoneUpdate{}
			for _, e := range d.Reports {
				if u, ok := e.(*schema.MilestoneUpdate); ok {
					k := [2]string{u.ProjectID, u.MilestoneID}
					if prev, ok := latest[k]; !ok || prev.Revision < u.Revision {
						latest[k] = u
					}
				}
			}
			redByMilestone := 0
			for _, p := range d.Projects {
				worst := 0
				for _, pm := range p.Milestones {
					planned, _ := schema.ParseDate(pm.PlannedDate)
					u := latest[[2]string{p.ProjectID, pm.MilestoneID}]
					if planned.Before(end) && (u == nil || u.Status != schema.MilestoneMet) {
						days := int(end.Sub(planned).Hours() / 24)
						worst = max(worst, days)
						if days > 400 {
							t.Errorf("history to %s: %s %s (planned %s) is %d days overdue; want at most 400", through, p.ProjectID, pm.Title, pm.PlannedDate, days)
						}
					}
				}
				if ap, ok := p.PlanFor(y); ok && ap.AmountWan.Value.IsPositive() && worst > 30 {
					redByMilestone++
				}
			}
			if through == (schema.Period{Year: 2026, Month: time.November}) && redByMilestone < 2 {
				t.Errorf("history to %s: %d rated projects with a milestone more than 30 days overdue; want a few", through, redByMilestone)
			}
		}
	}
}

// Departments are one id per name; implied ones are the region's office of
// the sector the seed names (the same for every project of that region and
// sector); the ones the sources name keep their names.
func TestDepartmentsFollowTheSeed(t *testing.T) {
	seeds := readSeed(t)
	d := build(t, demo.Config{})
	nameOf, idOf := map[string]string{}, map[string]string{}
	implied := map[[2]string]string{}
	for i, s := range seeds {
		p := d.Projects[i]
		if n, ok := nameOf[p.DepartmentID]; ok && n != p.DepartmentName {
			t.Errorf("department %s is called %s and %s", p.DepartmentID, n, p.DepartmentName)
		}
		if id, ok := idOf[p.DepartmentName]; ok && id != p.DepartmentID {
			t.Errorf("department %s has ids %s and %s", p.DepartmentName, id, p.DepartmentID)
		}
		nameOf[p.DepartmentID], idOf[p.DepartmentName] = p.DepartmentName, p.DepartmentID
		if s.Department != nil && !s.stated() {
			k := [2]string{s.Region, *s.Department}
			if id, ok := implied[k]; ok && id != p.DepartmentID {
				t.Errorf("%s: %s of %s is %s here and %s elsewhere", p.ProjectID, *s.Department, s.Region, p.DepartmentID, id)
			}
			implied[k] = p.DepartmentID
		}
	}
	seen := map[string][2]string{}
	for k, id := range implied {
		if other, ok := seen[id]; ok {
			t.Errorf("%s is both %v and %v", id, k, other)
		}
		seen[id] = k
	}
}

func TestSyntheticFieldsAreListed(t *testing.T) {
	seeds := readSeed(t)
	d := build(t, demo.Config{})
	known := []string{demo.SyntheticDepartmentID, demo.SyntheticDepartmentName, demo.SyntheticTotal, demo.SyntheticStage,
		demo.SyntheticPlan(2025), demo.SyntheticPlannedDates}
	for i, p := range d.Projects {
		s := seeds[i]
		has := func(f string) bool { return slices.Contains(p.SyntheticFields, f) }
		for f, synthetic := range map[string]bool{
			demo.SyntheticDepartmentID:   true, // the seed has no ids
			demo.SyntheticDepartmentName: !s.stated(),
			demo.SyntheticTotal:          !s.statedTotal(),
			demo.SyntheticStage:          s.Stage == nil,
		} {
			if has(f) != synthetic {
				t.Errorf("%s: %s listed as synthetic: %v, want %v (%v)", p.ProjectID, f, has(f), synthetic, p.SyntheticFields)
			}
		}
		_, stated := s.statedPlan(2025)
		if _, ok := p.PlanFor(2025); (ok && !stated) != has(demo.SyntheticPlan(2025)) {
			t.Errorf("%s: has a 2025 plan: %v (stated: %v), listed as synthetic: %v", p.ProjectID, ok, stated, has(demo.SyntheticPlan(2025)))
		}
		if (len(p.Milestones) > 0) != has(demo.SyntheticPlannedDates) {
			t.Errorf("%s: %d milestones, planned dates listed as synthetic: %v", p.ProjectID, len(p.Milestones), has(demo.SyntheticPlannedDates))
		}
		for _, f := range p.SyntheticFields {
			if !slices.Contains(known, f) {
				t.Errorf("%s: synthetic field %q is not one the demo makes up", p.ProjectID, f)
			}
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
