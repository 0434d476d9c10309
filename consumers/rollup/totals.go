package rollup

import (
	"math/big"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

type groupKey struct {
	dim Dimension
	key string
}

// group accumulates one total row.
type group struct {
	row                                TotalRow // the counts and labels; the sums are below
	period, month, ytd, plan, ratedYTD sum
	// plannedAt and planned sum the rated projects' plans by time
	// progress, for Σ plan × time progress: plannedAt those at the
	// review's time progress, planned (nil until needed) the others.
	plannedAt sum
	planned   map[rating.Fraction]*sum
}

// addPlanned adds a rated project's plan at time progress tp; at is the
// review's.
func (g *group) addPlanned(tp, at rating.Fraction, plan decimal.Decimal) {
	if tp == at {
		g.plannedAt.add(plan)
		return
	}
	if g.planned == nil {
		g.planned = map[rating.Fraction]*sum{}
	}
	s := g.planned[tp]
	if s == nil {
		s = &sum{}
		g.planned[tp] = s
	}
	s.add(plan)
}

// merge adds the counts and sums of o to g.
func (g *group) merge(o *group) {
	t, u := &g.row, &o.row
	t.Projects += u.Projects
	t.Reported += u.Reported
	t.Missing += u.Missing
	t.Late += u.Late
	t.Green += u.Green
	t.Yellow += u.Yellow
	t.Red += u.Red
	t.Unrated += u.Unrated
	g.period.merge(&o.period)
	g.month.merge(&o.month)
	g.ytd.merge(&o.ytd)
	g.plan.merge(&o.plan)
	g.ratedYTD.merge(&o.ratedYTD)
	g.plannedAt.merge(&o.plannedAt)
	for tp, plan := range o.planned {
		if g.planned == nil {
			g.planned = map[rating.Fraction]*sum{}
		}
		s := g.planned[tp]
		if s == nil {
			s = &sum{}
			g.planned[tp] = s
		}
		s.merge(plan)
	}
}

// sum is an exact sum of decimals, as decimal.Decimal.Add sums them from
// zero (the same value and exponent): the amounts with four places (the
// Decimal(18, 4) columns as ClickHouse returns them) in an int64 of
// ten-thousandths while it does not overflow, the others as a decimal.
type sum struct {
	small    int64 // ten-thousandths
	hasSmall bool
	other    decimal.Decimal
}

func (s *sum) add(d decimal.Decimal) {
	// Up to 18 digits fit in an int64.
	if d.Exponent() == -4 && d.NumDigits() <= 18 {
		v, c := s.small+d.CoefficientInt64(), d.CoefficientInt64()
		if (c > 0 && v > s.small) || (c < 0 && v < s.small) || c == 0 {
			s.small, s.hasSmall = v, true
			return
		}
	}
	s.other = s.other.Add(d)
}

func (s *sum) merge(o *sum) {
	if o.hasSmall {
		s.add(decimal.New(o.small, -4))
	}
	s.other = s.other.Add(o.other)
}

// value is the sum.
func (s *sum) value() decimal.Decimal {
	if !s.hasSmall {
		return s.other
	}
	return s.other.Add(decimal.New(s.small, -4))
}

// leafKey is the finest grouping: the projects of one category,
// department and region.
type leafKey struct{ category, deptID, region string }

// leaf sums the projects of one leafKey, with the department label of the
// first of them by project id.
type leaf struct {
	group
	deptLabel, labelFrom string
}

// totaler sums the project rows per dimension as they are rated, in any
// order: it sums each project once into its leaf (category, department,
// region) and the leaves into the groups at the end. Completion of a
// group counts only its rated projects: their YTD ÷ their plans; its time
// progress is their plans' time progress weighted by plan (the calendar's
// when every project is on the calendar basis, or none is rated).
type totaler struct {
	tp     rating.Fraction
	leaves map[leafKey]*leaf
}

func newTotaler(tp rating.Fraction) *totaler {
	return &totaler{tp: tp, leaves: map[leafKey]*leaf{}}
}

// add counts project row r, whose reporting of the month due is status
// ("" when not due yet); rated is its plan and time progress when it is
// rated.
func (tt *totaler) add(r *ProjectRow, status ReportingStatus, rated *ratedPlan) {
	k := leafKey{r.Category, r.DepartmentID, r.Region}
	l := tt.leaves[k]
	dept := r.DepartmentName
	if dept == "" {
		dept = r.DepartmentID
	}
	if l == nil {
		l = &leaf{deptLabel: dept, labelFrom: r.ProjectID}
		tt.leaves[k] = l
	} else if r.ProjectID < l.labelFrom {
		l.deptLabel, l.labelFrom = dept, r.ProjectID
	}
	t := &l.row
	t.Projects++
	if r.Reported {
		t.Reported++
	}
	switch status {
	case ReportingMissing:
		t.Missing++
	case ReportingLate:
		t.Late++
	}
	switch r.Status {
	case rating.Green:
		t.Green++
	case rating.Yellow:
		t.Yellow++
	case rating.Red:
		t.Red++
	default:
		t.Unrated++
	}
	l.period.add(r.PeriodCompletedWan)
	l.month.add(r.MonthCompletedWan)
	l.ytd.add(r.YTDCompletedWan)
	if rated != nil {
		l.plan.add(rated.plan)
		l.ratedYTD.add(r.YTDCompletedWan)
		l.addPlanned(rated.tp, tt.tp, rated.plan)
	}
}

// rows returns the totals: the overall row first, then the rows per
// category, department and region, each by key, ranked. A department's
// label is the name of its first project by id (its id when unnamed).
func (tt *totaler) rows() []TotalRow {
	groups := map[groupKey]*group{}
	deptFrom := map[string]string{} // department id → the project its label is from
	into := func(k groupKey, label string, l *leaf) {
		g := groups[k]
		if g == nil {
			g = &group{row: TotalRow{Dimension: k.dim, Key: k.key, Label: label}}
			groups[k] = g
		}
		g.merge(&l.group)
	}
	for k, l := range tt.leaves {
		into(groupKey{DimensionAll, ""}, "全部", l)
		into(groupKey{DimensionCategory, k.category}, schema.Category(k.category).Label(), l)
		into(groupKey{DimensionDepartment, k.deptID}, l.deptLabel, l)
		into(groupKey{DimensionRegion, k.region}, k.region, l)
		if from, ok := deptFrom[k.deptID]; !ok || l.labelFrom < from {
			deptFrom[k.deptID] = l.labelFrom
			groups[groupKey{DimensionDepartment, k.deptID}].row.Label = l.deptLabel
		}
	}
	hundred := big.NewRat(100, 1)
	out := make([]TotalRow, 0, len(groups))
	for _, g := range groups {
		t := g.row
		t.PeriodCompletedWan, t.MonthCompletedWan, t.YTDCompletedWan = g.period.value(), g.month.value(), g.ytd.value()
		t.AnnualPlanWan = g.plan.value()
		t.TimeProgressPct = tt.tp.Percent()
		if t.AnnualPlanWan.IsPositive() {
			planned := new(big.Rat).Mul(g.plannedAt.value().Rat(), tt.tp.Rat())
			for tp, plan := range g.planned {
				planned.Add(planned, new(big.Rat).Mul(plan.value().Rat(), tp.Rat()))
			}
			progress := new(big.Rat).Quo(planned, t.AnnualPlanWan.Rat())
			progress.Mul(progress, hundred)
			completion := new(big.Rat).Quo(g.ratedYTD.value().Rat(), t.AnnualPlanWan.Rat())
			completion.Mul(completion, hundred)
			c, gap := rating.Round2(completion), rating.Round2(new(big.Rat).Sub(completion, progress))
			t.CompletionPct, t.GapPP, t.TimeProgressPct = &c, &gap, rating.Round2(progress)
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := out[i].Dimension.rank(), out[j].Dimension.rank(); a != b {
			return a < b
		}
		return out[i].Key < out[j].Key
	})
	rank(out)
	return out
}

// rank numbers the groups of each dimension in the order the meeting reads
// them: completion descending (as stored, two places), groups without a
// rated project last, ties by key. The overall row keeps rank 0.
func rank(rows []TotalRow) {
	byDim := map[Dimension][]int{}
	for i, t := range rows {
		if t.Dimension != DimensionAll {
			byDim[t.Dimension] = append(byDim[t.Dimension], i)
		}
	}
	for _, idx := range byDim {
		sort.SliceStable(idx, func(a, b int) bool {
			x, y := rows[idx[a]], rows[idx[b]]
			switch {
			case x.CompletionPct == nil && y.CompletionPct == nil:
			case x.CompletionPct == nil:
				return false
			case y.CompletionPct == nil:
				return true
			case !x.CompletionPct.Equal(*y.CompletionPct):
				return x.CompletionPct.GreaterThan(*y.CompletionPct)
			}
			return x.Key < y.Key
		})
		for place, i := range idx {
			rows[i].Rank = place + 1
		}
	}
}

// Ranked returns the rows of one dimension in rank order (the order the
// meeting reads them).
func (b *Board) Ranked(d Dimension) []TotalRow {
	var out []TotalRow
	for _, t := range b.Totals {
		if t.Dimension == d {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rank < out[j].Rank })
	return out
}
