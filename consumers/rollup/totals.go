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
	row      TotalRow
	ratedYTD decimal.Decimal
	planned  *big.Rat // Σ plan × time progress of the rated projects
}

// totals sums the rows per dimension and ranks the groups. Completion of a
// group counts only its rated projects: their YTD ÷ their plans; its time
// progress is their plans' time progress weighted by plan (the calendar's
// when every project is on the calendar basis, or none is rated).
func totals(rows []ProjectRow, reporting []ReportingRow, planned map[string]ratedPlan, tp rating.Fraction) []TotalRow {
	status := map[string]ReportingStatus{}
	for _, r := range reporting {
		status[r.ProjectID] = r.Status
	}
	groups := map[groupKey]*group{}
	add := func(k groupKey, label string, r ProjectRow) {
		g := groups[k]
		if g == nil {
			g = &group{row: TotalRow{Dimension: k.dim, Key: k.key, Label: label}, planned: new(big.Rat)}
			groups[k] = g
		}
		t := &g.row
		t.Projects++
		if r.Reported {
			t.Reported++
		}
		switch status[r.ProjectID] {
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
		t.PeriodCompletedWan = t.PeriodCompletedWan.Add(r.PeriodCompletedWan)
		t.MonthCompletedWan = t.MonthCompletedWan.Add(r.MonthCompletedWan)
		t.YTDCompletedWan = t.YTDCompletedWan.Add(r.YTDCompletedWan)
		if p, ok := planned[r.ProjectID]; ok {
			t.AnnualPlanWan = t.AnnualPlanWan.Add(p.plan)
			g.ratedYTD = g.ratedYTD.Add(r.YTDCompletedWan)
			g.planned.Add(g.planned, new(big.Rat).Mul(p.plan.Rat(), p.tp.Rat()))
		}
	}
	for _, r := range rows {
		dept := r.DepartmentName
		if dept == "" {
			dept = r.DepartmentID
		}
		add(groupKey{DimensionAll, ""}, "全部", r)
		add(groupKey{DimensionCategory, r.Category}, schema.Category(r.Category).Label(), r)
		add(groupKey{DimensionDepartment, r.DepartmentID}, dept, r)
		add(groupKey{DimensionRegion, r.Region}, r.Region, r)
	}
	hundred := big.NewRat(100, 1)
	out := make([]TotalRow, 0, len(groups))
	for _, g := range groups {
		t := g.row
		t.TimeProgressPct = tp.Percent()
		if t.AnnualPlanWan.IsPositive() {
			progress := new(big.Rat).Quo(g.planned, t.AnnualPlanWan.Rat())
			progress.Mul(progress, hundred)
			completion := new(big.Rat).Quo(g.ratedYTD.Rat(), t.AnnualPlanWan.Rat())
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
