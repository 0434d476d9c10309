package demo

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// pace is how a project's year-to-date investment stands against time
// progress at the last reported month: ytd = plan × month/12 × factor.
type pace int

const (
	paceGreen  pace = iota // factor 1.01-1.15: ahead of time progress
	paceYellow             // factor 0.90-0.95: short by less than 10 points
	paceRed                // factor 0.55-0.75: short by well over 10 points
)

// laggards are the story's projects behind time progress (the tests check
// that each is a project of the seed with an annual plan).
var laggards = map[string]pace{
	"quli-railway":                      paceRed,
	"baixing-food-smart-factory":        paceRed,
	"natural-ecology-museum":            paceRed,
	"s209-wudabao-longxi":               paceYellow,
	"jinyun-tangxi-reservoir":           paceYellow,
	"common-prosperity-industrial-park": paceYellow,
	"qingdong-substation":               paceYellow,
}

// paceOf gives the story's laggards; every other project is on pace.
func paceOf(projectID string) pace {
	if p, ok := laggards[projectID]; ok {
		return p
	}
	return paceGreen
}

// factorBP is the pace factor in basis points.
func (p pace) factorBP(r *rng) int {
	switch p {
	case paceYellow:
		return r.between(9000, 9500)
	case paceRed:
		return r.between(5500, 7500)
	}
	return r.between(10100, 11500)
}

// The story's special cases.
const (
	// MissingProject did not report for the last month.
	MissingProject = "mengyang-rural-road"
	// CorrectedProject sent a correction (revision 2) of one month.
	CorrectedProject = "qingyuan-pumped-storage"
	// CorrectionMonth is the month corrected (or the last reported month,
	// when earlier).
	CorrectionMonth = time.June
)

// timed is an event with the time it is reported, for ordering.
type timed struct {
	at time.Time
	ev schema.Event
}

// Reports returns the investment reports and milestone updates of the
// projects (normally those of [Portfolio] with the same cfg) in the order a
// real year would send them (by reported time):
//
//   - one investment report per project and month of cfg.Year from January
//     to cfg.Through (revision 1; month, year-to-date and since-start
//     amounts consistent, ≥ 0, two decimal places), except that
//     MissingProject skips the last month and CorrectedProject's report of
//     CorrectionMonth comes twice: revision 1, then revision 2 with a
//     correction reason;
//   - for each completed investment a source states for an earlier year, a
//     December report of that year carrying it as year-to-date;
//   - the milestone updates dated up to the end of cfg.Through: the state
//     the source reports, quarterly assessments of this year's open
//     milestones, and the day each is reached.
//
// Every event has Source "demo". The same cfg and projects always give the
// same events.
func Reports(cfg Config, projects []*schema.Project) ([]schema.Event, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	seeds, err := loadSeeds()
	if err != nil {
		return nil, err
	}
	idx := seedIndex(seeds)
	var all []timed
	for _, p := range projects {
		s := idx[p.ProjectID] // nil for a project not in the seed: no history, generic milestones
		all = append(all, history(cfg, p, s)...)
		all = append(all, milestoneUpdates(cfg, p, s)...)
		all = append(all, investmentReports(cfg, p, s)...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	out := make([]schema.Event, len(all))
	for i, t := range all {
		out[i] = t.ev
	}
	return out, nil
}

func clerk(p *schema.Project) string { return p.DepartmentName + "项目科" }

func common(kind schema.Kind, p *schema.Project, rev int, at time.Time) schema.Common {
	return schema.Common{
		Schema:       kind.SchemaID(),
		DepartmentID: p.DepartmentID,
		Revision:     rev,
		ReportedBy:   clerk(p),
		ReportedAt:   ptr(at),
		Source:       demoSource,
	}
}

func wan(d decimal.Decimal) schema.Wan { return schema.NewWan(d) }

// history turns each completed investment the sources state for a year
// before cfg.Year into a December report of that year.
func history(cfg Config, p *schema.Project, s *seedProject) []timed {
	if s == nil {
		return nil
	}
	var out []timed
	for _, h := range s.InvestmentHistory {
		if h.CompletedInvestmentYi == nil || h.Year >= cfg.Year {
			continue
		}
		ytd := h.CompletedInvestmentYi.Mul(wanPerYi)
		r := newRNG(cfg.Seed, p.ProjectID, "history", strconv.Itoa(h.Year))
		month := ytd.Mul(decimal.NewFromInt(int64(r.between(8, 14)))).Div(decimal.NewFromInt(100)).Round(2)
		at := time.Date(h.Year+1, time.January, 5, 10, 0, 0, 0, schema.Location())
		out = append(out, timed{at, &schema.InvestmentReport{
			Common:            common(schema.KindInvestment, p, 1, at),
			ProjectID:         p.ProjectID,
			Period:            schema.Period{Year: h.Year, Month: time.December}.String(),
			MonthCompletedWan: wan(month),
			YTDCompletedWan:   wan(ytd),
			PhysicalProgress:  "原文「" + h.EvidenceZh + "」（" + h.SourceFile + "）；本年累计为原文数据，本月完成为演示数据",
		}})
	}
	return out
}

// completedBefore is what the sources say was completed in the years
// before year, added up.
func completedBefore(s *seedProject, year int) decimal.Decimal {
	sum := decimal.Zero
	if s == nil {
		return sum
	}
	for _, h := range s.InvestmentHistory {
		if h.CompletedInvestmentYi != nil && h.Year < year {
			sum = sum.Add(h.CompletedInvestmentYi.Mul(wanPerYi))
		}
	}
	return sum
}

// milestoneUpdates follows every planned milestone through its timeline up
// to the end of cfg.Through; revisions count from 1 per milestone.
func milestoneUpdates(cfg Config, p *schema.Project, s *seedProject) []timed {
	horizon := cfg.Through.LastDay()
	usedTitle := map[int]bool{}
	var out []timed
	for _, pm := range p.Milestones {
		planned, err := schema.ParseDate(pm.PlannedDate)
		if err != nil {
			continue // an invalid registration; Validate reports it
		}
		sm := seedMilestone{NameZh: pm.Title, Year: planned.Year(), Status: seedScheduled}
		if s != nil {
			for i, m := range s.Milestones {
				if m.NameZh == pm.Title && !usedTitle[i] {
					usedTitle[i] = true
					sm = m
					break
				}
			}
		}
		st := story(cfg.Seed, p.ProjectID, sm, planned)
		st.planned = pm.PlannedDate
		rev := 0
		for _, state := range timeline(sm, st) {
			if state.asOf.After(horizon) {
				break
			}
			rev++
			at := state.asOf.Add(17 * time.Hour)
			u := &schema.MilestoneUpdate{
				Common:          common(schema.KindMilestone, p, rev, at),
				ProjectID:       p.ProjectID,
				MilestoneID:     pm.MilestoneID,
				Title:           pm.Title,
				Status:          state.status,
				PlannedDate:     pm.PlannedDate,
				ForecastDate:    state.forecast,
				ActualDate:      state.actual,
				AsOf:            state.asOf.Format(schema.DateLayout),
				PercentComplete: state.percent,
				Note:            state.note,
			}
			out = append(out, timed{at, u})
		}
	}
	return out
}

// sinceStartBase is the investment completed before cfg.Year (开累 at the
// end of last year): all of it for a completed project, a little for one in
// preparation or about to start, 15-50% of the total for one under
// construction — leaving room for 1.2 times this year's plan, and never
// less than what the sources say was completed in earlier years.
func sinceStartBase(cfg Config, p *schema.Project, s *seedProject, plan decimal.Decimal) decimal.Decimal {
	total := decimal.Zero
	if p.TotalInvestmentWan.Valid() {
		total = p.TotalInvestmentWan.Value
	}
	if p.Stage == schema.StageCompleted {
		return total
	}
	r := newRNG(cfg.Seed, p.ProjectID, "base", strconv.Itoa(cfg.Year))
	var bp int
	switch p.Stage {
	case schema.StagePreparation:
		bp = r.between(20, 100)
	case schema.StagePlannedStart:
		bp = r.between(100, 400)
	default:
		bp = r.between(1500, 5000)
	}
	base := total.Mul(decimal.NewFromInt(int64(bp))).Div(decimal.NewFromInt(10000)).Round(2)
	if room := total.Sub(plan.Mul(decimal.RequireFromString("1.2"))); base.GreaterThan(room) {
		base = decimal.Max(room, decimal.Zero)
	}
	return decimal.Max(base, completedBefore(s, cfg.Year))
}

// monthlyAmounts returns the investment completed in months 1..through:
// for a project with a plan, amounts along the seasonal shape (jittered)
// whose sum at the last month is plan × through/12 × the pace factor; for
// one in preparation a few 万元 of preparatory work; for a completed one
// nothing.
func monthlyAmounts(cfg Config, p *schema.Project, plan decimal.Decimal, hasPlan bool) []decimal.Decimal {
	n := cfg.Through.Index()
	out := make([]decimal.Decimal, n)
	r := newRNG(cfg.Seed, p.ProjectID, "months", strconv.Itoa(cfg.Year))
	switch {
	case p.Stage == schema.StageCompleted:
		for i := range out {
			out[i] = decimal.Zero
		}
	case !hasPlan || !plan.IsPositive():
		for i := range out {
			out[i] = decimal.New(int64(r.between(500, 6000)), -2)
		}
	default:
		f := decimal.NewFromInt(int64(paceOf(p.ProjectID).factorBP(r))).Div(decimal.NewFromInt(10000))
		target := plan.Mul(f).Mul(decimal.NewFromInt(int64(n))).Div(decimal.NewFromInt(12)).Round(2)
		weights := make([]int64, n)
		var sum int64
		for i := range weights {
			weights[i] = seasonal[i] * int64(r.between(80, 120))
			sum += weights[i]
		}
		rest := target
		for i, w := range weights {
			a := target.Mul(decimal.NewFromInt(w)).Div(decimal.NewFromInt(sum)).Round(2)
			if i == n-1 {
				a = rest
			}
			rest = rest.Sub(a)
			out[i] = a
		}
	}
	return out
}

// texts are the project's words for its reports, fixed for the year.
type texts struct{ progress, problems, next string }

func reportTexts(cfg Config, p *schema.Project) texts {
	r := newRNG(cfg.Seed, p.ProjectID, "texts")
	var t texts
	switch p.Stage {
	case schema.StageCompleted:
		return texts{progress: "项目已建成投用，本年无投资计划"}
	case schema.StagePreparation:
		return texts{
			progress: r.pick("开展可行性研究及用地预审等前期工作", "推进方案设计和要素保障等前期工作"),
			next:     "加快前期审批，争取早日具备开工条件",
		}
	case schema.StagePlannedStart:
		t.progress = r.pick("开展征地拆迁和施工准备", "完成施工图设计，推进招投标和场地平整")
	default:
		switch p.Category {
		case schema.CategoryTransport:
			t.progress = r.pick("路基、桥梁和隧道工程施工", "路面及附属工程施工")
		case schema.CategoryEnergy:
			t.progress = r.pick("主体工程施工，机电设备安装", "土建施工和设备调试")
		case schema.CategoryWater:
			t.progress = r.pick("大坝及输水工程施工", "堤防和河道整治施工")
		case schema.CategoryIndustry:
			t.progress = r.pick("厂房主体施工及设备采购", "设备安装调试")
		default:
			t.progress = r.pick("主体结构施工", "装饰装修及室外配套施工")
		}
	}
	switch paceOf(p.ProjectID) {
	case paceRed:
		t.problems = r.pick("征地拆迁进度滞后，影响施工作业面", "项目资金到位不足", "用地、林地等审批手续办理滞后")
		t.next = "倒排工期、挂图作战，协调解决要素制约，加快投资进度"
	case paceYellow:
		t.problems = r.pick("雨季影响施工进度", "局部设计变更待批复", "主要材料价格上涨，进度略有放缓")
		t.next = "加大施工力量投入，确保赶上序时进度"
	default:
		t.next = "按计划推进"
	}
	return t
}

// LateReporters are the story's projects whose department often reports
// after the deadline (the 5th of the next month), between the 7th and the
// 12th: the first in odd months, the second in even ones — so every
// month's board has one late report (迟报).
var LateReporters = []string{"natural-ecology-museum", "s209-wudabao-longxi"}

// reportTime is when a department reports a month: between the 1st and
// the 5th of the next month, in working hours — except the
// LateReporters' late months.
func reportTime(cfg Config, p *schema.Project, period schema.Period) time.Time {
	r := newRNG(cfg.Seed, p.ProjectID, "at", period.String())
	d := period.End().AddDate(0, 0, r.between(0, 4))
	if i := slices.Index(LateReporters, p.ProjectID); i >= 0 && int(period.Month)%2 == (i+1)%2 {
		d = period.End().AddDate(0, 0, r.between(6, 11))
	}
	return d.Add(time.Duration(r.between(9*60, 17*60+59)) * time.Minute)
}

// investmentReports builds the monthly reports of cfg.Year.
func investmentReports(cfg Config, p *schema.Project, s *seedProject) []timed {
	ap, hasPlan := p.PlanFor(cfg.Year)
	plan := decimal.Zero
	if hasPlan && ap.AmountWan.Valid() {
		plan = ap.AmountWan.Value
	}
	amounts := monthlyAmounts(cfg, p, plan, hasPlan)
	base := sinceStartBase(cfg, p, s, plan)
	tx := reportTexts(cfg, p)
	corr := CorrectionMonth
	if cfg.Through.Month < corr {
		corr = cfg.Through.Month
	}
	var out []timed
	ytd := decimal.Zero
	for i, month := range amounts {
		period := schema.Period{Year: cfg.Year, Month: time.Month(i + 1)}
		ytd = ytd.Add(month)
		if p.ProjectID == MissingProject && period == cfg.Through {
			break
		}
		rep := func(rev int, at time.Time, extra decimal.Decimal) *schema.InvestmentReport {
			progress := tx.progress
			if plan.IsPositive() {
				progress += "；本年累计完成年度计划的" + ytd.Add(extra).Mul(decimal.NewFromInt(100)).Div(plan).StringFixed(1) + "%"
			}
			return &schema.InvestmentReport{
				Common:                 common(schema.KindInvestment, p, rev, at),
				ProjectID:              p.ProjectID,
				Period:                 period.String(),
				MonthCompletedWan:      wan(month.Add(extra)),
				YTDCompletedWan:        wan(ytd.Add(extra)),
				SinceStartCompletedWan: wan(base.Add(ytd).Add(extra)),
				PhysicalProgress:       progress,
				Problems:               tx.problems,
				NextSteps:              tx.next,
			}
		}
		at := reportTime(cfg, p, period)
		if p.ProjectID != CorrectedProject || period.Month != corr {
			out = append(out, timed{at, rep(1, at, decimal.Zero)})
			continue
		}
		// Revision 1 counted next month's equipment prepayment in this
		// month; revision 2, ten days after the deadline, corrects it.
		extra := month.Mul(decimal.RequireFromString("0.18")).Round(2)
		out = append(out, timed{at, rep(1, at, extra)})
		fixAt := time.Date(period.Next().Year, period.Next().Month, 15, 16, 30, 0, 0, schema.Location())
		fixed := rep(2, fixAt, decimal.Zero)
		fixed.CorrectionReason = fmt.Sprintf("%d月本月完成误将下月到货的机组设备预付款%s万元计入，核减后更正", int(period.Month), extra.StringFixed(2))
		out = append(out, timed{fixAt, fixed})
	}
	return out
}
