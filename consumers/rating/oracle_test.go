package rating

// The rating as it was before the integer fast path (commit c3e597e), kept
// verbatim but for the names as the oracle that the fast path is compared
// with: every figure exact with big.Rat, every text from decimal strings.

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// refRate rates one project. It fails only on invalid rules or input: a
// negative amount, a time progress outside (0, 1], a milestone that is not
// overdue.
func (r Rules) refRate(in Input) (Result, error) {
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	r = r.withDefaults()
	if err := in.check(); err != nil {
		return Result{}, err
	}
	res := Result{Status: Unrated, TimeProgressPct: refPercent(in.TimeProgress)}
	var zh, en []string
	if !in.Reported && in.DueMonth.Year != 0 {
		due := in.DueMonth.String()
		if in.YTDFrom.Year != 0 {
			zh = append(zh, due+"月报未报送，累计取"+in.YTDFrom.String()+"报送数")
			en = append(en, "no "+due+" report by the cut-off: year-to-date is that of the "+in.YTDFrom.String()+" report")
		} else {
			zh = append(zh, due+"月报未报送，本年尚无报送，累计按0计")
			en = append(en, "no "+due+" report by the cut-off nor any this year: year-to-date counts as 0")
		}
	} else if !in.Reported {
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
		s, z, e := r.refRateInvestment(in, &res)
		res.Status = s
		zh, en = append(zh, z), append(en, e)
		if s == Yellow || s == Red {
			res.ShortStreak = in.ShortBefore + 1
		}
		if r.EscalateAfter > 0 && s == Yellow && res.ShortStreak >= r.EscalateAfter {
			res.Status, res.Escalated = Red, true
			n, lim := strconv.Itoa(res.ShortStreak), strconv.Itoa(r.EscalateAfter)
			zh = append(zh, "连续"+n+"次调度低于"+in.progressZh()+"（达到"+lim+"次即升级），升为红榜")
			en = append(en, "short of "+in.progressEn()+" in "+n+" consecutive reviews (escalates at "+lim+"): red")
		}
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
		z, e := refMilestoneReason(in.Overdue, worst, tooLate, r.MilestoneOverdueDays)
		zh, en = append(zh, z), append(en, e)
	}
	res.ReasonZh = strings.Join(zh, "；")
	res.ReasonEn = strings.Join(en, "; ")
	return res, nil
}

// refRateInvestment compares completion with time progress exactly and fills
// the result's figures.
func (r Rules) refRateInvestment(in Input, res *Result) (Status, string, string) {
	plan := *in.AnnualPlanWan
	completion := refPercentRat(in.YTDWan, plan)
	tp := new(big.Rat).Mul(in.TimeProgress.Rat(), hundred)
	gap := new(big.Rat).Sub(completion, tp)
	c, g := refRound2(completion), refRound2(gap)
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
		rs := refExactText(ratio, yb, rb) + "%"
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
		pts := refExactText(gap, new(big.Rat))
		return Green, "投资完成率" + cs + "，高于" + pz + "" + ts + "共" + pts + "个百分点",
			"completion " + cs + " is " + pts + " points above " + pe + " " + ts
	}
	short := new(big.Rat).Neg(gap)
	pts := refExactText(short, new(big.Rat), band)
	head := "投资完成率" + cs + "，低于" + pz + "" + ts + "共" + pts + "个百分点"
	headEn := "completion " + cs + " is " + pts + " points below " + pe + " " + ts
	if gap.Cmp(negBand) >= 0 {
		return Yellow, head + "（不超过" + bs + "个百分点）", headEn + " (up to " + bs + ")"
	}
	return Red, head + "（超过" + bs + "个百分点）", headEn + " (more than " + bs + ")"
}

// refExactText renders |x| with two decimal places, or with more (up to ten)
// when two places would show it equal to one of the boundaries it is not
// equal to: a shortfall of 10.004 points is shown as 10.004, not 10.00,
// so that the reason never seems to contradict the status.
func refExactText(x *big.Rat, boundaries ...*big.Rat) string {
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

func refMilestoneReason(all []Milestone, worst Milestone, tooLate bool, limit int) (string, string) {
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

func refPercentRat(part, whole decimal.Decimal) *big.Rat {
	r := new(big.Rat).Quo(part.Rat(), whole.Rat())
	return r.Mul(r, hundred)
}
func refGapRat(part, whole decimal.Decimal, tp Fraction) *big.Rat {
	t := new(big.Rat).Mul(tp.Rat(), hundred)
	return new(big.Rat).Sub(refPercentRat(part, whole), t)
}

func refRound2(x *big.Rat) decimal.Decimal { return decimal.NewFromBigRat(x, 2) }

func refPercent(f Fraction) decimal.Decimal {
	return refRound2(new(big.Rat).Mul(big.NewRat(f.Num, f.Den), big.NewRat(100, 1)))
}
