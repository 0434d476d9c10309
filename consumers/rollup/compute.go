package rollup

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// compute builds the board from the facts. asOf is the cut-off date for
// milestones (the month's last day, or today while the month runs).
func compute(f *facts, p schema.Period, rules rating.Rules, asOf, computedAt time.Time) (*Board, error) {
	tp := rating.MonthProgress(p.Month)
	b := &Board{Period: p, ComputedAt: computedAt}
	for _, pr := range f.projects {
		row, err := projectRow(f, pr, p, tp, rules, asOf)
		if err != nil {
			return nil, fmt.Errorf("rate project %s for %s: %w", pr.id, p, err)
		}
		b.Projects = append(b.Projects, row)
	}
	b.Totals = totals(b.Projects, tp)
	return b, nil
}

func projectRow(f *facts, pr project, p schema.Period, tp rating.Fraction, rules rating.Rules, asOf time.Time) (ProjectRow, error) {
	row := ProjectRow{
		ProjectID: pr.id, NameZh: pr.name, Region: pr.region, Category: pr.category,
		DepartmentID: pr.deptID, DepartmentName: pr.deptName, Stage: pr.stage,
	}
	in := rating.Input{TimeProgress: tp}
	for _, rp := range f.reports[pr.id] { // in period order
		switch {
		case rp.period == p:
			row.Reported, row.ReportRevision = true, rp.revision
			row.MonthCompletedWan, row.YTDCompletedWan = rp.month, rp.ytd
		case rp.period.Before(p):
			// The latest earlier report of the year stands in for a
			// missing month.
			row.YTDCompletedWan, in.YTDFrom = rp.ytd, rp.period
		}
	}
	if row.Reported {
		in.YTDFrom = schema.Period{}
	}
	in.Reported, in.YTDWan = row.Reported, row.YTDCompletedWan
	if amount, ok := f.plans[pr.id]; ok {
		a := amount
		row.AnnualPlanWan, in.AnnualPlanWan = &a, &a
	}
	in.Overdue = overdue(f.milestones[pr.id], asOf)

	res, err := rules.Rate(in)
	if err != nil {
		return row, err
	}
	row.CompletionPct, row.TimeProgressPct, row.GapPP = res.CompletionPct, res.TimeProgressPct, res.GapPP
	row.OverdueMilestones, row.MaxOverdueDays = res.OverdueMilestones, res.MaxOverdueDays
	row.Status, row.ReasonZh, row.ReasonEn = res.Status, res.ReasonZh, res.ReasonEn
	return row, nil
}

// overdue lists the milestones whose planned date is before asOf and that
// were not met on or before asOf. A milestone met later than asOf was still
// overdue at asOf; one marked not_met (abandoned) stays overdue.
func overdue(ms []milestone, asOf time.Time) []rating.Milestone {
	var out []rating.Milestone
	cut := dayNumber(asOf)
	for _, m := range ms {
		if m.planned.IsZero() {
			continue
		}
		met := m.status == string(schema.MilestoneMet) && (m.actual.IsZero() || dayNumber(m.actual) <= cut)
		days := cut - dayNumber(m.planned)
		if met || days < 1 {
			continue
		}
		out = append(out, rating.Milestone{ID: m.id, Title: m.title, PlannedDate: m.planned, DaysOverdue: days})
	}
	return out
}

// dayNumber counts calendar days since 1970-01-01 of t's date as it reads
// in t's own location, so dates from Date columns (UTC midnight) and
// periods (Asia/Shanghai midnight) compare by their calendar day.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

type groupKey struct {
	dim Dimension
	key string
}

// totals sums the rows per dimension. Completion of a group counts only its
// rated projects: their YTD ÷ their plans.
func totals(rows []ProjectRow, tp rating.Fraction) []TotalRow {
	groups := map[groupKey]*TotalRow{}
	ratedYTD := map[groupKey]decimal.Decimal{}
	add := func(k groupKey, label string, r ProjectRow) {
		t := groups[k]
		if t == nil {
			t = &TotalRow{Dimension: k.dim, Key: k.key, Label: label, TimeProgressPct: tp.Percent()}
			groups[k] = t
		}
		if t.Label == "" {
			t.Label = label
		}
		t.Projects++
		if r.Reported {
			t.Reported++
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
		t.MonthCompletedWan = t.MonthCompletedWan.Add(r.MonthCompletedWan)
		t.YTDCompletedWan = t.YTDCompletedWan.Add(r.YTDCompletedWan)
		if r.Status != rating.Unrated {
			t.AnnualPlanWan = t.AnnualPlanWan.Add(*r.AnnualPlanWan)
			ratedYTD[k] = ratedYTD[k].Add(r.YTDCompletedWan)
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
	out := make([]TotalRow, 0, len(groups))
	for k, t := range groups {
		if t.AnnualPlanWan.IsPositive() {
			c := rating.Percent(ratedYTD[k], t.AnnualPlanWan)
			g := rating.GapPP(ratedYTD[k], t.AnnualPlanWan, tp)
			t.CompletionPct, t.GapPP = &c, &g
		}
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := out[i].Dimension.rank(), out[j].Dimension.rank(); a != b {
			return a < b
		}
		return out[i].Key < out[j].Key
	})
	return out
}
