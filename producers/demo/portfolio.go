package demo

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// Names in SyntheticFields.
const (
	SyntheticDepartmentID   = "department_id"
	SyntheticDepartmentName = "department_name"
	SyntheticTotal          = "total_investment_wan"
	SyntheticPlannedDates   = "milestones[].planned_date"
	// SyntheticStage marks the stage of a project whose source does not
	// state one.
	SyntheticStage = "stage"
)

// SyntheticPlan is the SyntheticFields entry of a synthetic annual plan
// (amount and monthly phasing), e.g. "annual_plans[year=2025]".
func SyntheticPlan(year int) string { return "annual_plans[year=" + strconv.Itoa(year) + "]" }

// demoSource is the Source of every event built here.
const demoSource = "demo"

// reporter is the ReportedBy of project registrations.
const reporter = "kpp demo"

// sizeRule gives the range of a project's total investment, in 万元, for
// projects whose Chinese name contains one of the words. The first rule
// that matches wins.
type sizeRule struct {
	words  []string
	lo, hi int64
}

var sizeRules = []sizeRule{
	{[]string{"抽水蓄能", "抽蓄"}, 700000, 950000},
	{[]string{"500千伏"}, 120000, 200000},
	{[]string{"220千伏"}, 20000, 40000},
	{[]string{"110千伏"}, 8000, 15000},
	{[]string{"风电"}, 50000, 80000},
	{[]string{"屋顶光伏"}, 15000, 22000},
	{[]string{"光伏"}, 40000, 55000},
	{[]string{"连接线"}, 40000, 80000},
	{[]string{"高速"}, 1000000, 1600000},
	{[]string{"站房"}, 35000, 50000},
	{[]string{"机场"}, 220000, 300000},
	{[]string{"农村公路"}, 10000, 30000},
	{[]string{"隧道"}, 30000, 60000},
	{[]string{"国道", "公路", "改建工程"}, 80000, 250000},
	{[]string{"水库"}, 80000, 250000},
	{[]string{"河湖", "水系"}, 20000, 60000},
	{[]string{"污水"}, 10000, 25000},
	{[]string{"医院"}, 80000, 200000},
	{[]string{"幼儿园"}, 8000, 15000},
	{[]string{"中学", "学校"}, 15000, 30000},
	{[]string{"产业园"}, 80000, 200000},
	{[]string{"智慧出行"}, 100000, 200000},
	{[]string{"智能化工厂"}, 30000, 80000},
	{[]string{"小镇"}, 30000, 60000},
	{[]string{"体育中心"}, 40000, 80000},
	{[]string{"科创中心"}, 30000, 60000},
	{[]string{"博物馆", "运动中心"}, 20000, 40000},
	{[]string{"景观"}, 10000, 30000},
}

// categorySize is the range when no word rule matches.
func categorySize(c schema.Category) (lo, hi int64) {
	switch c {
	case schema.CategoryTransport:
		return 50000, 200000
	case schema.CategoryEnergy:
		return 20000, 100000
	case schema.CategoryWater:
		return 30000, 100000
	case schema.CategoryIndustry:
		return 30000, 120000
	case schema.CategoryPublic:
		return 20000, 60000
	}
	return 10000, 40000
}

// railwaySize distinguishes a county's section of a railway from a city's
// whole line.
func railwaySize(region string) (lo, hi int64) {
	if strings.HasSuffix(region, "县") {
		return 200000, 400000
	}
	return 1000000, 1800000
}

// Portfolio returns the demo's project registrations, one per project of
// seed-projects.json in file order, with an annual plan for cfg.Year for the
// projects under construction or about to start. The same cfg always gives
// the same projects.
func Portfolio(cfg Config) ([]*schema.Project, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	seeds, err := loadSeeds()
	if err != nil {
		return nil, err
	}
	out := make([]*schema.Project, 0, len(seeds))
	for i := range seeds {
		p, err := buildProject(cfg, &seeds[i])
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// unstatedStage is the stage of a project whose source does not say: the
// one that claims least (前期), listed as synthetic.
const unstatedStage = schema.StagePreparation

func buildProject(cfg Config, s *seedProject) (*schema.Project, error) {
	cat, ok := schema.ParseCategory(s.Category)
	if !ok {
		return nil, fmt.Errorf("%w: %s: project %s: category %q is not a kpp category", ErrSeed, seedFile, s.ID, s.Category)
	}
	stage := unstatedStage
	if s.Stage != nil {
		if stage, ok = schema.ParseStage(*s.Stage); !ok {
			return nil, fmt.Errorf("%w: %s: project %s: stage %q is not a kpp stage (前期, 计划开工, 在建, 建成)", ErrSeed, seedFile, s.ID, *s.Stage)
		}
	}
	dept, stated, err := departmentFor(s, cat)
	if err != nil {
		return nil, err
	}
	p := &schema.Project{
		Common: schema.Common{
			Schema:       schema.SchemaProject,
			DepartmentID: dept.id,
			Revision:     1,
			ReportedBy:   reporter,
			ReportedAt:   ptr(time.Date(cfg.Year, time.January, 2, 9, 0, 0, 0, schema.Location())),
			Source:       demoSource,
		},
		ProjectID:      s.ID,
		NameZh:         s.NameZh,
		NameEn:         s.NameEn,
		Region:         s.Region,
		Category:       cat,
		Stage:          stage,
		DepartmentName: dept.name,
	}
	p.SyntheticFields = append(p.SyntheticFields, SyntheticDepartmentID)
	if !stated {
		p.SyntheticFields = append(p.SyntheticFields, SyntheticDepartmentName)
	}
	if s.Stage == nil {
		p.SyntheticFields = append(p.SyntheticFields, SyntheticStage)
	}

	// Figures the sources state, year by year.
	floor := decimal.Zero // the total must exceed what the stated years add up to
	for _, h := range s.InvestmentHistory {
		year := decimal.Zero
		if v := h.AnnualPlanInvestmentYi; v != nil {
			amt := v.Mul(wanPerYi)
			p.AnnualPlans = append(p.AnnualPlans, schema.AnnualPlan{Year: h.Year, AmountWan: schema.NewWan(amt)})
			year = amt
		}
		if v := h.CompletedInvestmentYi; v != nil {
			amt := v.Mul(wanPerYi)
			year = decimal.Max(year, amt)
			// "完成投资4.67亿元,完成年度目标投资额的133%": the year's target is
			// derived from two stated figures (rounded to 4 places), not made up.
			if pct := h.AnnualCompletionPct; pct != nil && h.AnnualPlanInvestmentYi == nil {
				target := amt.Mul(decimal.NewFromInt(100)).DivRound(*pct, schema.MaxScale)
				p.AnnualPlans = append(p.AnnualPlans, schema.AnnualPlan{Year: h.Year, AmountWan: schema.NewWan(target)})
			}
		}
		floor = floor.Add(year)
	}

	if v := s.statedTotal(); v != nil {
		p.TotalInvestmentWan = schema.NewWan(v.Mul(wanPerYi))
	} else {
		p.TotalInvestmentWan = schema.NewWan(syntheticTotal(cfg.Seed, s, cat, floor))
		p.SyntheticFields = append(p.SyntheticFields, SyntheticTotal)
	}

	if _, has := p.PlanFor(cfg.Year); !has && (stage == schema.StageConstruction || stage == schema.StagePlannedStart) {
		p.AnnualPlans = append(p.AnnualPlans, syntheticPlan(cfg, s.ID, stage, p.TotalInvestmentWan.Value))
		p.SyntheticFields = append(p.SyntheticFields, SyntheticPlan(cfg.Year))
	}

	used := map[string]bool{}
	for _, m := range s.Milestones {
		p.Milestones = append(p.Milestones, schema.PlannedMilestone{
			MilestoneID: milestoneID(m.NameEn, used),
			Title:       m.NameZh,
			PlannedDate: plannedDate(cfg.Seed, s.ID, m).Format(schema.DateLayout),
		})
	}
	if len(p.Milestones) > 0 {
		p.SyntheticFields = append(p.SyntheticFields, SyntheticPlannedDates)
	}
	return p, nil
}

// syntheticTotal draws a total investment, in 万元 rounded to 100万, from
// the range for the project's kind, and at least 1.6 times floor (what the
// years the sources give figures for add up to).
func syntheticTotal(seed uint64, s *seedProject, cat schema.Category, floor decimal.Decimal) decimal.Decimal {
	lo, hi := categorySize(cat)
	if strings.Contains(s.NameZh, "铁路") && !strings.Contains(s.NameZh, "站房") {
		lo, hi = railwaySize(s.Region)
	} else {
	rules:
		for _, r := range sizeRules {
			for _, w := range r.words {
				if strings.Contains(s.NameZh, w) {
					lo, hi = r.lo, r.hi
					break rules
				}
			}
		}
	}
	r := newRNG(seed, s.ID, "total")
	total := decimal.NewFromInt(int64(r.between(int(lo/100), int(hi/100))) * 100)
	if least := floor.Mul(decimal.RequireFromString("1.6")).Div(decimal.NewFromInt(100)).Ceil().Mul(decimal.NewFromInt(100)); total.LessThan(least) {
		total = least
	}
	return total
}

// seasonal is the usual shape of a year's investment, per month in
// percent: slow around the Spring Festival, fastest at the year's end.
var seasonal = [12]int64{6, 4, 8, 8, 9, 9, 8, 8, 9, 9, 10, 12}

// syntheticPlan draws the annual plan of cfg.Year: 12-25% of the total for
// a project under construction, 5-12% for one about to start, rounded to
// 10万元, phased by month along the seasonal shape.
func syntheticPlan(cfg Config, projectID string, stage schema.Stage, total decimal.Decimal) schema.AnnualPlan {
	r := newRNG(cfg.Seed, projectID, "plan", strconv.Itoa(cfg.Year))
	bp := r.between(1200, 2500)
	if stage == schema.StagePlannedStart {
		bp = r.between(500, 1200)
	}
	amount := total.Mul(decimal.NewFromInt(int64(bp))).Div(decimal.NewFromInt(100000)).Round(0).Mul(decimal.NewFromInt(10))
	monthly := make([]schema.Wan, 12)
	rest := amount
	for i, w := range seasonal {
		m := amount.Mul(decimal.NewFromInt(w)).Div(decimal.NewFromInt(100)).Round(2)
		if i == 11 {
			m = rest
		}
		rest = rest.Sub(m)
		monthly[i] = schema.NewWan(m)
	}
	return schema.AnnualPlan{Year: cfg.Year, AmountWan: schema.NewWan(amount), MonthlyWan: monthly}
}

func ptr[T any](v T) *T { return &v }
