package rating

import (
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// Input is what a project is rated on at one review.
type Input struct {
	// YTDWan is the investment completed from January to the month
	// (本年累计), 万元. When the month was not reported it is the latest
	// year-to-date reported earlier in the year (the month counting as 0),
	// or 0 when there is none.
	YTDWan decimal.Decimal
	// AnnualPlanWan is the year's planned investment (年度计划), 万元; nil
	// when the project has no plan for the year. A plan of 0 is no plan.
	AnnualPlanWan *decimal.Decimal
	// TimeProgress is the share of the year elapsed, e.g. MonthProgress(9),
	// or with Phased the share of the annual plan planned to the cut-off
	// (see [PhasedProgress]).
	TimeProgress Fraction
	// Phased is true when TimeProgress comes from the project's phased
	// monthly plan (basis phased_plan); the reasons then say 分月计划进度,
	// and a progress of 0 (nothing planned yet) is allowed.
	Phased bool
	// Reported is true when the month itself has a report.
	Reported bool
	// DueMonth, when set, is the month whose report was due at a weekly or
	// ten-day cut-off; the reasons then name it instead of "this month".
	// Leave it zero at a monthly review.
	DueMonth schema.Period
	// ShortBefore is how many consecutive reviews of the same kind, just
	// before this one, the project was short of time progress (the
	// previous review's ShortStreak; 0 when none).
	ShortBefore int
	// YTDFrom is the month whose report gave YTDWan when Reported is false;
	// the zero Period when nothing was reported earlier in the year.
	YTDFrom schema.Period
	// Overdue lists the milestones past their planned date and not met at
	// the cut-off, each with DaysOverdue ≥ 1.
	Overdue []Milestone
}

// Milestone is an overdue milestone.
type Milestone struct {
	// ID is the milestone id.
	ID string
	// Title is its title, e.g. 主体工程开工 (the id is shown when empty).
	Title string
	// PlannedDate is its planned date.
	PlannedDate time.Time
	// DaysOverdue is the cut-off date minus the planned date, in days.
	DaysOverdue int
}

// Result is a project's rating and the figures behind it.
type Result struct {
	// Status is red, yellow, green or unrated.
	Status Status
	// ReasonZh says why, in Chinese, e.g.
	// 投资完成率62.50%，低于序时进度75.00%共12.50个百分点（超过10个百分点）.
	ReasonZh string
	// ReasonEn says why, in English, e.g.
	// completion 62.50% is 12.50 points below time progress 75.00% (more than 10).
	ReasonEn string
	// CompletionPct is YTD ÷ annual plan in percent (2 places); nil when
	// unrated.
	CompletionPct *decimal.Decimal
	// TimeProgressPct is the time progress in percent (2 places).
	TimeProgressPct decimal.Decimal
	// GapPP is completion minus time progress in percentage points, exact
	// then rounded to 2 places (negative = behind); nil when unrated.
	GapPP *decimal.Decimal
	// OverdueMilestones is the number of overdue milestones.
	OverdueMilestones int
	// MaxOverdueDays is the days the most overdue milestone is late (0 when
	// none).
	MaxOverdueDays int
	// ShortStreak counts the consecutive reviews, this one included, in
	// which the project was short of time progress: rated yellow or red on
	// its investment (before escalation and milestones). 0 when not short
	// now or not rated.
	ShortStreak int
	// Escalated is true when the project is red by escalation
	// ([Rules.EscalateAfter]).
	Escalated bool
}

// Rate rates one project. It fails only on invalid rules or input: a
// negative amount, a time progress outside (0, 1], a milestone that is not
// overdue. To rate many projects with one rule, use a [Rater].
func (r Rules) Rate(in Input) (Result, error) {
	rt, err := r.NewRater(in.TimeProgress)
	if err != nil {
		return Result{}, err
	}
	return rt.Rate(in)
}

func (in Input) check() error {
	if in.Phased && in.TimeProgress.Num == 0 && in.TimeProgress.Den > 0 {
		// nothing planned yet: allowed with a phased plan
	} else if err := in.TimeProgress.check(); err != nil {
		return err
	}
	if in.ShortBefore < 0 {
		return fmt.Errorf("%w: %d reviews short before is negative; expected 0 or more", ErrBadInput, in.ShortBefore)
	}
	if in.YTDWan.IsNegative() {
		return fmt.Errorf("%w: year-to-date %s 万元 is negative; expected an amount ≥ 0", ErrBadInput, in.YTDWan)
	}
	if in.AnnualPlanWan != nil && in.AnnualPlanWan.IsNegative() {
		return fmt.Errorf("%w: annual plan %s 万元 is negative; expected an amount ≥ 0 or none", ErrBadInput, *in.AnnualPlanWan)
	}
	for _, m := range in.Overdue {
		if m.DaysOverdue < 1 {
			return fmt.Errorf("%w: milestone %q is %d days overdue; expected only overdue milestones (≥ 1 day)", ErrBadInput, m.ID, m.DaysOverdue)
		}
	}
	return nil
}

// progressZh and progressEn name what completion is compared with.
func (in Input) progressZh() string {
	if in.Phased {
		return "分月计划进度"
	}
	return "序时进度"
}

func (in Input) progressEn() string {
	if in.Phased {
		return "phased-plan progress"
	}
	return "time progress"
}

// rateInvestmentExact compares completion with time progress exactly, with
// big.Rat, and fills the result's figures: what [Rater] does when a value
// does not fit its integers.
func (r Rules) rateInvestmentExact(in Input, res *Result) (Status, string, string) {
	plan := *in.AnnualPlanWan
	completion := percentRat(in.YTDWan, plan)
	tp := new(big.Rat).Mul(in.TimeProgress.Rat(), hundred)
	gap := new(big.Rat).Sub(completion, tp)
	c, g := Round2(completion), Round2(gap)
	res.CompletionPct, res.GapPP = &c, &g
	cs, ts := c.StringFixed(2)+"%", res.TimeProgressPct.StringFixed(2)+"%"
	pz, pe := in.progressZh(), in.progressEn()

	if in.TimeProgress.Num == 0 {
		// A phased plan with nothing planned yet: any completion meets it.
		return Green, "投资完成率" + cs + "，截至本期" + pz + "为0，视为达到", "completion " + cs + ": nothing planned yet by the phased plan, so it meets " + pe
	}

	if r.Mode == ModeRatio {
		// ratio = completion / time progress, in percent; compared with the
		// bands × 100, all exact.
		ratio := new(big.Rat).Quo(completion, tp)
		ratio.Mul(ratio, hundred)
		yb := new(big.Rat).Mul(r.RatioYellowBelow.Rat(), hundred)
		rb := new(big.Rat).Mul(r.RatioRedBelow.Rat(), hundred)
		ybs, rbs := r.RatioYellowBelow.Shift(2).String()+"%", r.RatioRedBelow.Shift(2).String()+"%"
		rs := exactText(ratio, yb, rb) + "%"
		head := "投资完成率" + cs + "，为" + pz + "" + ts + "的" + rs
		headEn := "completion " + cs + " is " + rs + " of " + pe + " " + ts
		switch {
		case ratio.Cmp(yb) >= 0:
			return Green, head + "（不低于" + ybs + "）", headEn + " (at least " + ybs + ")"
		case ratio.Cmp(rb) >= 0:
			return Yellow, head + "（低于" + ybs + "，不低于" + rbs + "）", headEn + " (below " + ybs + ", at least " + rbs + ")"
		default:
			return Red, head + "（低于" + rbs + "）", headEn + " (below " + rbs + ")"
		}
	}

	band := r.YellowBand.Rat()
	negBand := new(big.Rat).Neg(band)
	bs := r.YellowBand.String()
	switch {
	case gap.Sign() == 0:
		return Green, "投资完成率" + cs + "，达到" + pz + "" + ts, "completion " + cs + " meets " + pe + " " + ts
	case gap.Sign() > 0:
		pts := exactText(gap, new(big.Rat))
		return Green, "投资完成率" + cs + "，高于" + pz + "" + ts + "共" + pts + "个百分点",
			"completion " + cs + " is " + pts + " points above " + pe + " " + ts
	}
	short := new(big.Rat).Neg(gap)
	pts := exactText(short, new(big.Rat), band)
	head := "投资完成率" + cs + "，低于" + pz + "" + ts + "共" + pts + "个百分点"
	headEn := "completion " + cs + " is " + pts + " points below " + pe + " " + ts
	if gap.Cmp(negBand) >= 0 {
		return Yellow, head + "（不超过" + bs + "个百分点）", headEn + " (up to " + bs + ")"
	}
	return Red, head + "（超过" + bs + "个百分点）", headEn + " (more than " + bs + ")"
}

// exactText renders |x| with two decimal places, or with more (up to ten)
// when two places would show it equal to one of the boundaries it is not
// equal to: a shortfall of 10.004 points is shown as 10.004, not 10.00,
// so that the reason never seems to contradict the status.
func exactText(x *big.Rat, boundaries ...*big.Rat) string {
	ax := new(big.Rat).Abs(x)
	var d decimal.Decimal
	for places := int32(2); places <= 10; places++ {
		d = decimal.NewFromBigRat(ax, places)
		clash := false
		for _, b := range boundaries {
			if d.Rat().Cmp(b) == 0 && ax.Cmp(b) != 0 {
				clash = true
			}
		}
		if !clash {
			return d.StringFixed(places)
		}
	}
	return d.String()
}

func milestoneReason(all []Milestone, worst Milestone, tooLate bool, limit int) (string, string) {
	title := worst.Title
	if title == "" {
		title = worst.ID
	}
	planned := worst.PlannedDate.Format(schema.DateLayout)
	days, lim := strconv.Itoa(worst.DaysOverdue), strconv.Itoa(limit)
	tailZh, tailEn := "（未超过"+lim+"天）", " (within "+lim+")"
	if tooLate {
		tailZh, tailEn = "（超过"+lim+"天）", " (more than "+lim+")"
	}
	if len(all) == 1 {
		return "节点「" + title + "」（计划" + planned + "）逾期" + days + "天未完成" + tailZh,
			"milestone " + title + " (planned " + planned + ") is " + days + " days overdue" + tailEn
	}
	n := strconv.Itoa(len(all))
	return n + "个节点逾期未完成，最久为「" + title + "」（计划" + planned + "）逾期" + days + "天" + tailZh,
		n + " milestones overdue, the longest " + title + " (planned " + planned + ") by " + days + " days" + tailEn
}
