package rating

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// Input is what a project is rated on for one month.
type Input struct {
	// YTDWan is the investment completed from January to the month
	// (本年累计), 万元. When the month was not reported it is the latest
	// year-to-date reported earlier in the year (the month counting as 0),
	// or 0 when there is none.
	YTDWan decimal.Decimal
	// AnnualPlanWan is the year's planned investment (年度计划), 万元; nil
	// when the project has no plan for the year. A plan of 0 is no plan.
	AnnualPlanWan *decimal.Decimal
	// TimeProgress is the share of the year elapsed, e.g. MonthProgress(9).
	TimeProgress Fraction
	// Reported is true when the month itself has a report.
	Reported bool
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
}

// Rate rates one project. It fails only on invalid rules or input: a
// negative amount, a time progress outside (0, 1], a milestone that is not
// overdue.
func (r Rules) Rate(in Input) (Result, error) {
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	r = r.withDefaults()
	if err := in.check(); err != nil {
		return Result{}, err
	}
	res := Result{Status: Unrated, TimeProgressPct: in.TimeProgress.Percent()}
	var zh, en []string
	if !in.Reported {
		if in.YTDFrom.Year != 0 {
			zh = append(zh, "本月未报送，本月按0计，累计取"+in.YTDFrom.String()+"报送数")
			en = append(en, "no report for the month: the month counts as 0 and year-to-date is that of the "+in.YTDFrom.String()+" report")
		} else {
			zh = append(zh, "本月未报送，本年尚无报送，累计按0计")
			en = append(en, "no report for the month nor earlier in the year: year-to-date counts as 0")
		}
	}

	if in.AnnualPlanWan == nil || in.AnnualPlanWan.IsZero() {
		zh = append(zh, "未下达年度计划，不评级")
		en = append(en, "no annual plan for the year: not rated")
	} else {
		s, z, e := r.rateInvestment(in, &res)
		res.Status = s
		zh, en = append(zh, z), append(en, e)
	}

	if len(in.Overdue) > 0 {
		worst := in.Overdue[0]
		for _, m := range in.Overdue[1:] {
			if m.DaysOverdue > worst.DaysOverdue {
				worst = m
			}
		}
		res.OverdueMilestones = len(in.Overdue)
		res.MaxOverdueDays = worst.DaysOverdue
		tooLate := worst.DaysOverdue > r.MilestoneOverdueDays
		if tooLate && res.Status != Unrated {
			res.Status = Red
		}
		z, e := milestoneReason(in.Overdue, worst, tooLate, r.MilestoneOverdueDays)
		zh, en = append(zh, z), append(en, e)
	}
	res.ReasonZh = strings.Join(zh, "；")
	res.ReasonEn = strings.Join(en, "; ")
	return res, nil
}

func (in Input) check() error {
	if err := in.TimeProgress.check(); err != nil {
		return err
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

// rateInvestment compares completion with time progress exactly and fills
// the result's figures.
func (r Rules) rateInvestment(in Input, res *Result) (Status, string, string) {
	plan := *in.AnnualPlanWan
	completion := percentRat(in.YTDWan, plan)
	tp := new(big.Rat).Mul(in.TimeProgress.Rat(), hundred)
	gap := new(big.Rat).Sub(completion, tp)
	c, g := Round2(completion), Round2(gap)
	res.CompletionPct, res.GapPP = &c, &g
	cs, ts := c.StringFixed(2)+"%", res.TimeProgressPct.StringFixed(2)+"%"

	if r.Mode == ModeRatio {
		// ratio = completion / time progress, in percent; compared with the
		// bands × 100, all exact.
		ratio := new(big.Rat).Quo(completion, tp)
		ratio.Mul(ratio, hundred)
		yb := new(big.Rat).Mul(r.RatioYellowBelow.Rat(), hundred)
		rb := new(big.Rat).Mul(r.RatioRedBelow.Rat(), hundred)
		ybs, rbs := r.RatioYellowBelow.Shift(2).String()+"%", r.RatioRedBelow.Shift(2).String()+"%"
		rs := exactText(ratio, yb, rb) + "%"
		head := "投资完成率" + cs + "，为序时进度" + ts + "的" + rs
		headEn := "completion " + cs + " is " + rs + " of time progress " + ts
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
		return Green, "投资完成率" + cs + "，达到序时进度" + ts, "completion " + cs + " meets time progress " + ts
	case gap.Sign() > 0:
		pts := exactText(gap, new(big.Rat))
		return Green, "投资完成率" + cs + "，高于序时进度" + ts + "共" + pts + "个百分点",
			"completion " + cs + " is " + pts + " points above time progress " + ts
	}
	short := new(big.Rat).Neg(gap)
	pts := exactText(short, new(big.Rat), band)
	head := "投资完成率" + cs + "，低于序时进度" + ts + "共" + pts + "个百分点"
	headEn := "completion " + cs + " is " + pts + " points below time progress " + ts
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
