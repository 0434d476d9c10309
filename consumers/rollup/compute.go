package rollup

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// review is what one run computes against: the period, the rule and the
// instants that bound the data.
type review struct {
	p     schema.ReviewPeriod
	rules rating.Rules // with defaults
	// cutoff: data received before it counts (the period's end; the run's
	// time for a monthly review).
	cutoff time.Time
	// asOf is the day milestones are judged at: the period's last day, or
	// today while a monthly review's month is still running.
	asOf time.Time
	// prevCutoff is the previous review's cut-off, for the period's
	// investment and the forecast slips: the period's start for a weekly or
	// ten-day review (the previous period's end); for a monthly review the
	// stored cut-off of the previous month's review — the instant it ran —
	// or the month's first day when that review was never computed (see
	// previousCutoff).
	prevCutoff time.Time
	// due is the month whose report is due: the reviewed month (monthly),
	// else the latest month whose deadline passed by the cut-off.
	due schema.Period
	// tp is the calendar time progress.
	tp rating.Fraction
	// rater rates the projects with the rules, most against tp.
	rater *rating.Rater
	// deadline and lastDay are when the report of the month due is due:
	// the instant the deadline passes and the last day on time.
	deadline, lastDay time.Time
}

func newReview(p schema.ReviewPeriod, rules rating.Rules, cutoff, now time.Time) (review, error) {
	rules = rules.WithDefaults()
	rv := review{p: p, rules: rules, cutoff: cutoff, asOf: p.LastDay(), prevCutoff: p.Start}
	if today := dayOf(now); today.Before(rv.asOf) {
		rv.asOf = today
	}
	num, den := p.TimeProgress()
	rv.tp = rating.Fraction{Num: int64(num), Den: int64(den)}
	rv.due = p.Month()
	if p.Kind != schema.ReviewMonthly {
		for rules.Deadline.End(rv.due).After(cutoff) {
			rv.due = rv.due.Prev()
		}
	}
	rv.deadline, rv.lastDay = rules.Deadline.End(rv.due), rules.Deadline.LastDay(rv.due)
	var err error
	if rv.rater, err = rules.NewRater(rv.tp); err != nil {
		return rv, fmt.Errorf("rating rules: %w", err)
	}
	return rv, nil
}

// firstMonth and lastMonth bound the reports a review reads: January of
// its year (or the month due, if earlier) to the reviewed month.
func (rv review) firstMonth() schema.Period {
	first := schema.Period{Year: rv.p.Year(), Month: time.January}
	if rv.due.Before(first) {
		return rv.due
	}
	return first
}

// ratedPlan is a rated project's plan and time progress.
type ratedPlan struct {
	plan decimal.Decimal
	tp   rating.Fraction
}

// projectRow rates one project with its milestones as of the cut-off; it
// also returns the time progress used.
func projectRow(pf *projectFacts, ms []milestoneState, rv review) (ProjectRow, rating.Fraction, error) {
	row := ProjectRow{
		ProjectID: pf.id, NameZh: pf.name, Region: pf.region, Category: pf.category,
		DepartmentID: pf.deptID, DepartmentName: pf.deptName, Stage: pf.stage,
		ResponsibleUnit: pf.unit, ResponsiblePerson: pf.person, LeadOfficial: pf.lead,
	}
	in := rating.Input{TimeProgress: rv.tp}

	// The report the figures come from: the latest month of the year, up to
	// the reviewed month, reported by the cut-off — for a monthly review the
	// reviewed month's when it was reported, else the latest earlier one.
	row.Reported = pf.dueReports > 0
	if rv.p.Kind != schema.ReviewMonthly {
		in.DueMonth = rv.due
	}
	if pf.yearReports > 0 {
		used, err := schema.ParsePeriod(pf.usedPeriod)
		if err != nil {
			return row, in.TimeProgress, fmt.Errorf("stored %w", err)
		}
		row.ReportPeriod, row.ReportRevision = used, pf.usedRevision
		row.MonthCompletedWan, row.YTDCompletedWan = pf.usedMonth, pf.usedYTD
		row.Problems, row.NextSteps = pf.usedProblems, pf.usedNextSteps
		if rv.p.Kind == schema.ReviewMonthly && !row.Reported {
			// The month counts as 0; the YTD is the earlier report's.
			row.MonthCompletedWan, row.ReportRevision = decimal.Zero, 0
		}
		if !row.Reported {
			in.YTDFrom = used
		}
	}
	if rv.p.Kind == schema.ReviewMonthly {
		row.PeriodCompletedWan = row.MonthCompletedWan
	} else {
		row.PeriodCompletedWan = row.YTDCompletedWan.Sub(pf.beforeYTD)
	}
	in.Reported, in.YTDWan = row.Reported, row.YTDCompletedWan

	if pf.planIndex > 0 {
		amount := pf.planAnnual
		row.AnnualPlanWan, in.AnnualPlanWan = &amount, &amount
		if rv.rules.Basis == rating.BasisPhasedPlan {
			if f, ok := rating.PhasedProgress(pf.planMonthly, pf.planAnnual, rv.p.LastDay()); ok {
				in.TimeProgress, in.Phased = f, true
			}
		}
	}
	for _, m := range ms {
		if days, ok := overdueDays(m, rv.asOf); ok {
			in.Overdue = append(in.Overdue, rating.Milestone{ID: m.id, Title: m.title, PlannedDate: m.planned, DaysOverdue: days})
		}
	}
	if pf.prevReviewed != 0 {
		in.ShortBefore = int(pf.prevStreak)
		row.PrevStatus = rating.Status(pf.prevStatus)
	}

	res, err := rv.rater.Rate(in)
	if err != nil {
		return row, in.TimeProgress, err
	}
	row.CompletionPct, row.TimeProgressPct, row.GapPP = res.CompletionPct, res.TimeProgressPct, res.GapPP
	row.OverdueMilestones, row.MaxOverdueDays = res.OverdueMilestones, res.MaxOverdueDays
	row.Status, row.ReasonZh, row.ReasonEn, row.ShortStreak = res.Status, res.ReasonZh, res.ReasonEn, res.ShortStreak
	row.Change = change(row.PrevStatus, row.Status)
	return row, in.TimeProgress, nil
}

// severity orders statuses for better/worse: green, unrated, yellow, red.
func severity(s rating.Status) int {
	switch s {
	case rating.Green:
		return 0
	case rating.Unrated:
		return 1
	case rating.Yellow:
		return 2
	}
	return 3
}

// change is how the status moved since the previous review ("" = none).
func change(prev, now rating.Status) Change {
	switch {
	case prev == "":
		return ChangeFirst
	case prev == now:
		return ChangeSame
	case now == rating.Red:
		return ChangeNewlyRed
	case now == rating.Green && (prev == rating.Red || prev == rating.Yellow):
		return ChangeRecovered
	case severity(now) < severity(prev):
		return ChangeBetter
	}
	return ChangeWorse
}

// met says whether the milestone was reached on or before day: status met
// with no actual date, or an actual date on or before day.
func met(m milestoneState, day time.Time) bool {
	return m.status == string(schema.MilestoneMet) && (m.actual.IsZero() || dayNumber(m.actual) <= dayNumber(day))
}

// overdueDays: a milestone with a planned date before day and not met by
// day is overdue by day − planned days. One marked not_met (abandoned)
// stays overdue.
func overdueDays(m milestoneState, day time.Time) (int, bool) {
	if m.planned.IsZero() || met(m, day) {
		return 0, false
	}
	days := dayNumber(day) - dayNumber(m.planned)
	return days, days >= 1
}

// alerts appends the project's milestone alerts at the review to out.
func alerts(out []MilestoneAlert, pf *projectFacts, ms []milestoneState, rv review) []MilestoneAlert {
	for _, m := range ms {
		if met(m, rv.asOf) {
			continue
		}
		a := MilestoneAlert{ProjectID: pf.id, NameZh: pf.name, DepartmentID: pf.deptID, DepartmentName: pf.deptName,
			MilestoneID: m.id, Title: m.title, Status: m.status,
			PlannedDate: localDay(m.planned), ForecastDate: localDay(m.forecast), PrevForecastDate: localDay(m.prevForecast)}
		// due: the planned or the forecast date within the look-ahead.
		due := -1
		for _, d := range []time.Time{m.planned, m.forecast} {
			if d.IsZero() {
				continue
			}
			if n := dayNumber(d) - dayNumber(rv.asOf); n >= 0 && n <= rv.rules.MilestoneDueDays && (due < 0 || n < due) {
				due = n
			}
		}
		if due >= 0 {
			a.Alert, a.Days = AlertDue, due
			out = append(out, a)
		}
		if days, ok := overdueDays(m, rv.asOf); ok {
			a.Alert, a.Days = AlertOverdue, days
			out = append(out, a)
		}
		if prev := m.prevForecast; !prev.IsZero() && !m.forecast.IsZero() {
			if slip := dayNumber(m.forecast) - dayNumber(prev); slip > 0 {
				a.Alert, a.Days = AlertSlipped, slip
				out = append(out, a)
			}
		}
	}
	return out
}

// reportingRow is the project's reporting status for the month due; false
// when its deadline has not passed and nothing was received (not due yet).
func reportingRow(pf *projectFacts, rv review) (ReportingRow, bool) {
	r := ReportingRow{ProjectID: pf.id, NameZh: pf.name, DepartmentID: pf.deptID, DepartmentName: pf.deptName,
		ReportPeriod: rv.due, Deadline: rv.deadline}
	lastDay := rv.lastDay
	if pf.dueReports > 0 {
		r.FirstReceivedAt = pf.dueFirst.In(schema.Location())
		r.Status = ReportingOnTime
		if !pf.dueFirst.Before(r.Deadline) {
			r.Status, r.DaysLate = ReportingLate, dayNumber(r.FirstReceivedAt)-dayNumber(lastDay)
		}
		return r, true
	}
	if rv.cutoff.Before(r.Deadline) {
		return r, false
	}
	// Missing: days from the last day to report to the cut-off's day.
	r.Status = ReportingMissing
	r.DaysLate = dayNumber(rv.cutoff.Add(-time.Second).In(schema.Location())) - dayNumber(lastDay)
	return r, true
}

// dayNumber counts calendar days since 1970-01-01 of t's date as it reads
// in t's own location, so dates from Date columns (UTC midnight) and
// periods (Asia/Shanghai midnight) compare by their calendar day.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// localDay is t's calendar date at midnight in Asia/Shanghai (zero stays
// zero), the form of the Board's dates.
func localDay(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, schema.Location())
}

// dayOf is midnight of t's date in Asia/Shanghai.
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(schema.Location()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, schema.Location())
}
