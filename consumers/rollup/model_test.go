package rollup_test

import (
	"math/big"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/rollup/rolluptest"
	"github.com/keyproject/kpp/schema"
)

// The independent computation of a review, in plain Go over the fixture's
// receipts, written from docs/dispatch.md rather than from the package:
// the rule is pp_gap with a band, milestones overdue more than 30 days are
// red, escalation after modelRules.escalate reviews, the deadline is the
// 5th calendar day, the look-ahead 14 days.

type modelRules struct {
	band     int64 // yellow band, points
	escalate int
}

var defaultModel = modelRules{band: 10}

type modelBoard struct {
	cutoff     time.Time
	projects   []rollup.ProjectRow
	totals     []rollup.TotalRow
	milestones []rollup.MilestoneAlert
	reporting  []rollup.ReportingRow
	trend      []rollup.MonthAmount
}

// reportState is a month's report as of an instant.
type reportState struct {
	latest *schema.InvestmentReport
	first  time.Time
}

// reportsAsOf returns, per project and month, the latest revision received
// before t and when the first one arrived.
func reportsAsOf(receipts []rolluptest.Receipt, t time.Time) map[string]map[schema.Period]reportState {
	out := map[string]map[schema.Period]reportState{}
	for _, r := range receipts {
		e, ok := r.Event.(*schema.InvestmentReport)
		if !ok || !r.ReceivedAt.Before(t) {
			continue
		}
		per, _ := schema.ParsePeriod(e.Period)
		if out[e.ProjectID] == nil {
			out[e.ProjectID] = map[schema.Period]reportState{}
		}
		s := out[e.ProjectID][per]
		if s.latest == nil || e.Revision > s.latest.Revision {
			s.latest = e
		}
		if s.first.IsZero() || r.ReceivedAt.Before(s.first) {
			s.first = r.ReceivedAt
		}
		out[e.ProjectID][per] = s
	}
	return out
}

// latestOf is the report of the latest month of year up to month.
func latestOf(reps map[schema.Period]reportState, year int, month schema.Period) (schema.Period, *schema.InvestmentReport) {
	for m := month; m.Year == year; m = m.Prev() {
		if s, ok := reps[m]; ok {
			return m, s.latest
		}
	}
	return schema.Period{}, nil
}

type msState struct {
	title                              string
	planned, forecast, actual, present bool
	plannedDate, forecastDate, actDate string
	status                             string
}

// milestonesAsOf: the registration's planned milestones, overlaid with the
// latest update received before t.
func milestonesAsOf(receipts []rolluptest.Receipt, reg *schema.Project, t time.Time) (map[string]*msState, []string) {
	ms := map[string]*msState{}
	var ids []string
	for _, m := range reg.Milestones {
		ms[m.MilestoneID] = &msState{title: m.Title, plannedDate: m.PlannedDate}
		ids = append(ids, m.MilestoneID)
	}
	revs := map[string]int{}
	for _, r := range receipts {
		u, ok := r.Event.(*schema.MilestoneUpdate)
		if !ok || u.ProjectID != reg.ProjectID || !r.ReceivedAt.Before(t) || u.Revision < revs[u.MilestoneID] {
			continue
		}
		revs[u.MilestoneID] = u.Revision
		s := ms[u.MilestoneID]
		if s == nil {
			s = &msState{title: u.Title, plannedDate: u.PlannedDate}
			ms[u.MilestoneID] = s
			ids = append(ids, u.MilestoneID)
		}
		s.status, s.forecastDate, s.actDate = string(u.Status), u.ForecastDate, u.ActualDate
	}
	return ms, ids
}

func day(t *testing.T, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	d, err := schema.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func days(a, b time.Time) int { return int(b.Sub(a).Hours()/24 + 0.5) }

// model computes review p as run at now (monthly) from the receipts, given
// the model of the previous review of the same kind (nil when not run).
func model(t *testing.T, receipts []rolluptest.Receipt, p schema.ReviewPeriod, now time.Time, mr modelRules, prev *modelBoard) *modelBoard {
	t.Helper()
	loc := schema.Location()
	monthly := p.Kind == schema.ReviewMonthly
	cutoff := p.End
	if monthly {
		cutoff = now.In(loc).Truncate(time.Second).Add(time.Second)
	}
	last := p.End.AddDate(0, 0, -1)
	year, month := last.Year(), schema.PeriodOf(last)
	tpNum, tpDen := int64(last.YearDay()), int64(time.Date(year, 12, 31, 0, 0, 0, 0, loc).YearDay())
	if monthly {
		tpNum, tpDen = int64(month.Month), 12
	}
	tp := big.NewRat(100*tpNum, tpDen) // percent
	tpPct := rnd(tp)
	deadlineEnd := func(m schema.Period) time.Time { return time.Date(m.Year, m.Month+1, 6, 0, 0, 0, 0, loc) }
	due := month
	if !monthly {
		for deadlineEnd(due).After(cutoff) {
			due = due.Prev()
		}
	}

	regs := map[string]*schema.Project{}
	for _, r := range receipts {
		if e, ok := r.Event.(*schema.Project); ok && r.ReceivedAt.Before(cutoff) {
			if old := regs[e.ProjectID]; old == nil || e.Revision > old.Revision {
				regs[e.ProjectID] = e
			}
		}
	}
	var ids []string
	for id := range regs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// The previous period's cut-off (docs/dispatch.md): the previous
	// review's, as stored; the period's start when it was not computed.
	prevCutoff := p.Start
	if prev != nil && !prev.cutoff.After(cutoff) {
		prevCutoff = prev.cutoff
	}
	now_ := reportsAsOf(receipts, cutoff)
	before := reportsAsOf(receipts, prevCutoff)
	prevRows := map[string]rollup.ProjectRow{}
	if prev != nil {
		for _, r := range prev.projects {
			prevRows[r.ProjectID] = r
		}
	}

	mb := &modelBoard{cutoff: cutoff}
	type acc struct {
		row      rollup.TotalRow
		ratedYTD decimal.Decimal
	}
	groups := map[[2]string]*acc{}
	reportingStatus := map[string]rollup.ReportingStatus{}
	for _, id := range ids {
		reg := regs[id]
		r := rollup.ProjectRow{ProjectID: id, NameZh: reg.NameZh, Region: reg.Region, Category: string(reg.Category),
			DepartmentID: reg.DepartmentID, DepartmentName: reg.DepartmentName, Stage: string(reg.Stage), TimeProgressPct: tpPct}
		reps := now_[id]
		_, r.Reported = reps[due]
		if monthly {
			if r.Reported {
				rep := reps[month].latest
				r.ReportPeriod, r.ReportRevision = month, uint32(rep.Revision)
				r.MonthCompletedWan, r.YTDCompletedWan = rep.MonthCompletedWan.Value, rep.YTDCompletedWan.Value
			} else if m, rep := latestOf(reps, year, month); rep != nil {
				r.ReportPeriod, r.YTDCompletedWan = m, rep.YTDCompletedWan.Value
			}
			r.PeriodCompletedWan = r.MonthCompletedWan
		} else {
			if m, rep := latestOf(reps, year, month); rep != nil {
				r.ReportPeriod, r.ReportRevision = m, uint32(rep.Revision)
				r.MonthCompletedWan, r.YTDCompletedWan = rep.MonthCompletedWan.Value, rep.YTDCompletedWan.Value
			}
			r.PeriodCompletedWan = r.YTDCompletedWan
			if _, rep := latestOf(before[id], year, month); rep != nil {
				r.PeriodCompletedWan = r.YTDCompletedWan.Sub(rep.YTDCompletedWan.Value)
			}
		}

		// milestones as of the cut-off, judged at the period's last day
		ms, mids := milestonesAsOf(receipts, reg, cutoff)
		msBefore, _ := milestonesAsOf(receipts, reg, prevCutoff)
		for _, mid := range mids {
			m := ms[mid]
			if m.status == "met" && (m.actDate == "" || !day(t, m.actDate).After(last)) {
				continue
			}
			alert := rollup.MilestoneAlert{ProjectID: id, NameZh: reg.NameZh, DepartmentID: reg.DepartmentID,
				DepartmentName: reg.DepartmentName, MilestoneID: mid, Title: m.title, Status: m.status,
				PlannedDate: day(t, m.plannedDate), ForecastDate: day(t, m.forecastDate)}
			if b := msBefore[mid]; b != nil {
				alert.PrevForecastDate = day(t, b.forecastDate)
			}
			soonest := -1
			for _, d := range []string{m.plannedDate, m.forecastDate} {
				if d == "" {
					continue
				}
				if n := days(last, day(t, d)); n >= 0 && n <= 14 && (soonest < 0 || n < soonest) {
					soonest = n
				}
			}
			if soonest >= 0 {
				a := alert
				a.Alert, a.Days = rollup.AlertDue, soonest
				mb.milestones = append(mb.milestones, a)
			}
			if m.plannedDate != "" {
				if n := days(day(t, m.plannedDate), last); n >= 1 {
					a := alert
					a.Alert, a.Days = rollup.AlertOverdue, n
					mb.milestones = append(mb.milestones, a)
					r.OverdueMilestones++
					r.MaxOverdueDays = max(r.MaxOverdueDays, n)
				}
			}
			if !alert.PrevForecastDate.IsZero() && !alert.ForecastDate.IsZero() {
				if n := days(alert.PrevForecastDate, alert.ForecastDate); n > 0 {
					a := alert
					a.Alert, a.Days = rollup.AlertSlipped, n
					mb.milestones = append(mb.milestones, a)
				}
			}
		}

		// reporting of the month due
		rep := rollup.ReportingRow{ProjectID: id, NameZh: reg.NameZh, DepartmentID: reg.DepartmentID,
			DepartmentName: reg.DepartmentName, ReportPeriod: due, Deadline: deadlineEnd(due)}
		lastDay := deadlineEnd(due).AddDate(0, 0, -1)
		if s, ok := reps[due]; ok {
			rep.FirstReceivedAt, rep.Status = s.first, rollup.ReportingOnTime
			if !s.first.Before(rep.Deadline) {
				arrived := s.first.In(loc)
				rep.Status = rollup.ReportingLate
				rep.DaysLate = days(lastDay, time.Date(arrived.Year(), arrived.Month(), arrived.Day(), 0, 0, 0, 0, loc))
			}
			mb.reporting = append(mb.reporting, rep)
		} else if !cutoff.Before(rep.Deadline) {
			c := cutoff.Add(-time.Second).In(loc)
			rep.Status = rollup.ReportingMissing
			rep.DaysLate = days(lastDay, time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, loc))
			mb.reporting = append(mb.reporting, rep)
		}
		reportingStatus[id] = rep.Status
		if rep.Status == "" {
			delete(reportingStatus, id)
		}

		// rating
		if pv, ok := prevRows[id]; ok {
			r.PrevStatus = pv.Status
		}
		r.Status = rating.Unrated
		if ap, ok := reg.PlanFor(year); ok && ap.AmountWan.Value.IsPositive() {
			plan := ap.AmountWan.Value
			r.AnnualPlanWan = &plan
			c := new(big.Rat).Quo(r.YTDCompletedWan.Rat(), plan.Rat())
			c.Mul(c, big.NewRat(100, 1))
			gap := new(big.Rat).Sub(c, tp)
			cp, gp := rnd(c), rnd(gap)
			r.CompletionPct, r.GapPP = &cp, &gp
			switch {
			case gap.Sign() >= 0:
				r.Status = rating.Green
			case gap.Cmp(big.NewRat(-mr.band, 1)) >= 0:
				r.Status = rating.Yellow
			default:
				r.Status = rating.Red
			}
			if r.Status != rating.Green {
				r.ShortStreak = 1
				if pv, ok := prevRows[id]; ok {
					r.ShortStreak += pv.ShortStreak
				}
			}
			if mr.escalate > 0 && r.Status == rating.Yellow && r.ShortStreak >= mr.escalate {
				r.Status = rating.Red
			}
			if r.MaxOverdueDays > 30 {
				r.Status = rating.Red
			}
		}
		r.Change = modelChange(r.PrevStatus, r.Status)
		mb.projects = append(mb.projects, r)

		for _, g := range [][3]string{{"all", "", "全部"}, {"category", string(reg.Category), reg.Category.Label()},
			{"department", reg.DepartmentID, reg.DepartmentName}, {"region", reg.Region, reg.Region}} {
			k := [2]string{g[0], g[1]}
			a := groups[k]
			if a == nil {
				a = &acc{row: rollup.TotalRow{Dimension: rollup.Dimension(g[0]), Key: g[1], Label: g[2], TimeProgressPct: tpPct}}
				groups[k] = a
			}
			a.row.Projects++
			if r.Reported {
				a.row.Reported++
			}
			switch reportingStatus[id] {
			case rollup.ReportingMissing:
				a.row.Missing++
			case rollup.ReportingLate:
				a.row.Late++
			}
			switch r.Status {
			case rating.Green:
				a.row.Green++
			case rating.Yellow:
				a.row.Yellow++
			case rating.Red:
				a.row.Red++
			default:
				a.row.Unrated++
			}
			a.row.PeriodCompletedWan = a.row.PeriodCompletedWan.Add(r.PeriodCompletedWan)
			a.row.MonthCompletedWan = a.row.MonthCompletedWan.Add(r.MonthCompletedWan)
			a.row.YTDCompletedWan = a.row.YTDCompletedWan.Add(r.YTDCompletedWan)
			if r.Status != rating.Unrated {
				a.row.AnnualPlanWan = a.row.AnnualPlanWan.Add(*r.AnnualPlanWan)
				a.ratedYTD = a.ratedYTD.Add(r.YTDCompletedWan)
			}
		}
	}

	// totals by dimension then key; ranks by completion descending, the
	// unrated groups last, ties by key
	order := map[string]int{"all": 0, "category": 1, "department": 2, "region": 3}
	for _, a := range groups {
		if a.row.AnnualPlanWan.IsPositive() {
			c := new(big.Rat).Quo(a.ratedYTD.Rat(), a.row.AnnualPlanWan.Rat())
			c.Mul(c, big.NewRat(100, 1))
			cp, gp := rnd(c), rnd(new(big.Rat).Sub(c, tp))
			a.row.CompletionPct, a.row.GapPP = &cp, &gp
		}
		mb.totals = append(mb.totals, a.row)
	}
	sort.Slice(mb.totals, func(i, j int) bool {
		x, y := mb.totals[i], mb.totals[j]
		if x.Dimension != y.Dimension {
			return order[string(x.Dimension)] < order[string(y.Dimension)]
		}
		return x.Key < y.Key
	})
	for i := range mb.totals {
		x := &mb.totals[i]
		if x.Dimension == rollup.DimensionAll {
			continue
		}
		x.Rank = 1
		for _, y := range mb.totals {
			if y.Dimension != x.Dimension || y.Key == x.Key {
				continue
			}
			ahead := false
			switch {
			case x.CompletionPct == nil && y.CompletionPct != nil:
				ahead = true
			case x.CompletionPct != nil && y.CompletionPct != nil && y.CompletionPct.GreaterThan(*x.CompletionPct):
				ahead = true
			case (x.CompletionPct == nil) == (y.CompletionPct == nil) && (x.CompletionPct == nil || y.CompletionPct.Equal(*x.CompletionPct)) && y.Key < x.Key:
				ahead = true
			}
			if ahead {
				x.Rank++
			}
		}
	}
	alertOrder := map[rollup.Alert]int{rollup.AlertDue: 0, rollup.AlertOverdue: 1, rollup.AlertSlipped: 2}
	sort.SliceStable(mb.milestones, func(i, j int) bool {
		x, y := mb.milestones[i], mb.milestones[j]
		if x.Alert != y.Alert {
			return alertOrder[x.Alert] < alertOrder[y.Alert]
		}
		if x.ProjectID != y.ProjectID {
			return x.ProjectID < y.ProjectID
		}
		return x.MilestoneID < y.MilestoneID
	})
	sort.SliceStable(mb.reporting, func(i, j int) bool {
		x, y := mb.reporting[i], mb.reporting[j]
		if x.DepartmentID != y.DepartmentID {
			return x.DepartmentID < y.DepartmentID
		}
		return x.ProjectID < y.ProjectID
	})

	// trend: every report of the year, latest revision as of the cut-off
	sums := map[time.Month]decimal.Decimal{}
	lastMonth := time.Month(0)
	for _, byMonth := range now_ {
		for m, s := range byMonth {
			if m.Year == year && !month.Before(m) {
				sums[m.Month] = sums[m.Month].Add(s.latest.MonthCompletedWan.Value)
				lastMonth = max(lastMonth, m.Month)
			}
		}
	}
	for m := time.January; m <= lastMonth; m++ {
		mb.trend = append(mb.trend, rollup.MonthAmount{Month: schema.Period{Year: year, Month: m}, AmountWan: sums[m]})
	}
	return mb
}

func modelChange(prev, now rating.Status) rollup.Change {
	sev := map[rating.Status]int{rating.Green: 0, rating.Unrated: 1, rating.Yellow: 2, rating.Red: 3}
	switch {
	case prev == "":
		return rollup.ChangeFirst
	case prev == now:
		return rollup.ChangeSame
	case now == rating.Red:
		return rollup.ChangeNewlyRed
	case now == rating.Green && (prev == rating.Yellow || prev == rating.Red):
		return rollup.ChangeRecovered
	case sev[now] < sev[prev]:
		return rollup.ChangeBetter
	}
	return rollup.ChangeWorse
}

// compareModel compares every number of a loaded board with the model.
func compareModel(t *testing.T, got *rollup.Board, want *modelBoard) {
	t.Helper()
	what := got.Period.Kind.Label() + " " + got.Period.Key()
	if !got.Cutoff.Equal(want.cutoff) {
		t.Errorf("%s: cutoff %v, want %v", what, got.Cutoff, want.cutoff)
	}
	if len(got.Projects) != len(want.projects) {
		t.Fatalf("%s: %d project rows, want %d", what, len(got.Projects), len(want.projects))
	}
	for i, g := range got.Projects {
		g.ReasonZh, g.ReasonEn = "", ""
		if d := diff(g, want.projects[i]); d != "" {
			t.Errorf("%s: project %s: %s", what, g.ProjectID, d)
		}
	}
	if len(got.Totals) != len(want.totals) {
		t.Fatalf("%s: %d total rows, want %d", what, len(got.Totals), len(want.totals))
	}
	for i, g := range got.Totals {
		if d := diff(g, want.totals[i]); d != "" {
			t.Errorf("%s: total %s/%s: %s", what, g.Dimension, g.Key, d)
		}
	}
	if len(got.Milestones) != len(want.milestones) {
		t.Fatalf("%s: %d milestone alerts %+v, want %d %+v", what, len(got.Milestones), got.Milestones, len(want.milestones), want.milestones)
	}
	for i, g := range got.Milestones {
		if d := diff(g, want.milestones[i]); d != "" {
			t.Errorf("%s: milestone alert %d (%s %s): %s", what, i, g.ProjectID, g.Alert, d)
		}
	}
	if len(got.Reporting) != len(want.reporting) {
		t.Fatalf("%s: %d reporting rows %+v, want %d %+v", what, len(got.Reporting), got.Reporting, len(want.reporting), want.reporting)
	}
	for i, g := range got.Reporting {
		if d := diff(g, want.reporting[i]); d != "" {
			t.Errorf("%s: reporting of %s: %s", what, g.ProjectID, d)
		}
	}
	if len(got.Trend) != len(want.trend) {
		t.Fatalf("%s: trend %v, want %v", what, got.Trend, want.trend)
	}
	for i, g := range got.Trend {
		if d := diff(g, want.trend[i]); d != "" {
			t.Errorf("%s: trend month %d: %s", what, i+1, d)
		}
	}
}

// statuses lists "project:status" for messages.
func statuses(rows []rollup.ProjectRow) string {
	s := ""
	for _, r := range rows {
		s += r.ProjectID + ":" + string(r.Status) + "(" + strconv.Itoa(r.ShortStreak) + ") "
	}
	return s
}
