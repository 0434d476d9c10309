package rating

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/shopspring/decimal"
)

// A Rater rates projects with one rule: [Rules.Rate] without validating the
// rule and working out its bands for every project. [NewRater] does that
// once, and the time progress the projects of a review share, so that a
// review of 100,000 projects rates each with a few integer operations.
//
// Every figure and every text is exactly what the rational arithmetic of
// the rule gives (the package doc): the amounts, plans and bands are
// brought to integers at a common scale, every product and difference is
// checked against overflow, and whenever a value does not fit in 64 bits,
// or a reason would need more than two decimal places, the project is
// rated with big.Rat instead. A Rater is read-only: several goroutines may
// use one.
type Rater struct {
	r Rules // validated, with defaults

	// shared is the time progress most projects are rated against, with
	// its percentage (sharedOK false when it is no share of the year).
	shared     Fraction
	sharedOK   bool
	sharedPct  decimal.Decimal
	sharedText string // sharedPct with two places and %

	// fast is false when a band does not fit the integer path; every
	// project is then rated with big.Rat.
	fast bool
	// band is YellowBand as bandNum/bandDen (pp_gap); bandH is it in
	// hundredths of a point, or -1 when it has more than two places.
	bandNum, bandDen, bandH int64
	bandText                string
	// yellow and red are the ratio bands as fractions (ratio mode); their H
	// are the bands × 100 (in percent) in hundredths, or -1.
	yellowNum, yellowDen, yellowH int64
	redNum, redDen, redH          int64
	yellowText, redText           string
}

// NewRater validates the rule and prepares it for rating projects, most of
// them against the time progress shared (e.g. MonthProgress(9); a project
// may be rated against another one, e.g. its phased plan's). It fails as
// [Rules.Validate] does.
func (r Rules) NewRater(shared Fraction) (*Rater, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	r = r.withDefaults()
	rt := &Rater{r: r, shared: shared, fast: true}
	if shared.check() == nil {
		rt.sharedOK = true
		rt.sharedPct = progressPercent(shared)
		rt.sharedText = rt.sharedPct.StringFixed(2) + "%"
	}
	var ok [3]bool
	rt.bandNum, rt.bandDen, rt.bandH, ok[0] = band(r.YellowBand, 100)
	rt.yellowNum, rt.yellowDen, rt.yellowH, ok[1] = band(r.RatioYellowBelow, 10000)
	rt.redNum, rt.redDen, rt.redH, ok[2] = band(r.RatioRedBelow, 10000)
	rt.fast = ok[0] && ok[1] && ok[2]
	rt.bandText = r.YellowBand.String()
	rt.yellowText = r.RatioYellowBelow.Shift(2).String() + "%"
	rt.redText = r.RatioRedBelow.Shift(2).String() + "%"
	return rt, nil
}

// Rules returns the rule the rater applies, with its defaults.
func (rt *Rater) Rules() Rules { return rt.r }

// band is a non-negative decimal as num/den in lowest terms, and d × scale
// when that is an integer (else -1); ok is false when they do not fit in
// int64.
func band(d decimal.Decimal, scale int64) (num, den, scaled int64, ok bool) {
	q := d.Rat()
	if !q.Num().IsInt64() || !q.Denom().IsInt64() || q.Sign() < 0 {
		return 0, 0, 0, false
	}
	num, den = q.Num().Int64(), q.Denom().Int64()
	s, ok := mul(num, scale)
	if !ok {
		return 0, 0, 0, false
	}
	if s%den != 0 {
		return num, den, -1, true
	}
	return num, den, s / den, true
}

// progressPercent is Fraction.Percent, with integers when they fit.
func progressPercent(f Fraction) decimal.Decimal {
	if f.Den > 0 && f.Num >= 0 {
		if n, ok := mul(f.Num, 10000); ok {
			if h, ok := roundDiv(n, f.Den); ok {
				return decimal.New(h, -2)
			}
		}
	}
	return f.Percent()
}

// Rate rates one project, exactly as [Rules.Rate] with the rater's rule.
func (rt *Rater) Rate(in Input) (Result, error) {
	if err := in.check(); err != nil {
		return Result{}, err
	}
	r := rt.r
	res := Result{Status: Unrated}
	ts := rt.sharedText
	if rt.sharedOK && in.TimeProgress == rt.shared {
		res.TimeProgressPct = rt.sharedPct
	} else {
		res.TimeProgressPct = progressPercent(in.TimeProgress)
		ts = ""
	}
	var zh, en reasons
	if !in.Reported && in.DueMonth.Year != 0 {
		due := in.DueMonth.String()
		if in.YTDFrom.Year != 0 {
			zh.add(due + "月报未报送，累计取" + in.YTDFrom.String() + "报送数")
			en.add("no " + due + " report by the cut-off: year-to-date is that of the " + in.YTDFrom.String() + " report")
		} else {
			zh.add(due + "月报未报送，本年尚无报送，累计按0计")
			en.add("no " + due + " report by the cut-off nor any this year: year-to-date counts as 0")
		}
	} else if !in.Reported {
		if in.YTDFrom.Year != 0 {
			zh.add("本月未报送，本月按0计，累计取" + in.YTDFrom.String() + "报送数")
			en.add("no report for the month: the month counts as 0 and year-to-date is that of the " + in.YTDFrom.String() + " report")
		} else {
			zh.add("本月未报送，本年尚无报送，累计按0计")
			en.add("no report for the month nor earlier in the year: year-to-date counts as 0")
		}
	}

	if in.AnnualPlanWan == nil || in.AnnualPlanWan.IsZero() {
		zh.add("未下达年度计划，不评级")
		en.add("no annual plan for the year: not rated")
	} else {
		s, z, e, ok := rt.rateInvestment(in, &res, ts)
		if !ok {
			s, z, e = r.rateInvestmentExact(in, &res)
		}
		res.Status = s
		zh.add(z)
		en.add(e)
		if s == Yellow || s == Red {
			res.ShortStreak = in.ShortBefore + 1
		}
		if r.EscalateAfter > 0 && s == Yellow && res.ShortStreak >= r.EscalateAfter {
			res.Status, res.Escalated = Red, true
			n, lim := strconv.Itoa(res.ShortStreak), strconv.Itoa(r.EscalateAfter)
			zh.add("连续" + n + "次调度低于" + in.progressZh() + "（达到" + lim + "次即升级），升为红榜")
			en.add("short of " + in.progressEn() + " in " + n + " consecutive reviews (escalates at " + lim + "): red")
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
		z, e := milestoneReason(in.Overdue, worst, tooLate, r.MilestoneOverdueDays)
		zh.add(z)
		en.add(e)
	}
	res.ReasonZh = zh.join("；")
	res.ReasonEn = en.join("; ")
	return res, nil
}

// reasons collects the parts of a reason (at most four: the reporting, the
// investment or the missing plan, the escalation, the milestones).
type reasons struct {
	parts [4]string
	n     int
}

func (rs *reasons) add(s string) {
	rs.parts[rs.n] = s
	rs.n++
}

func (rs *reasons) join(sep string) string {
	switch rs.n {
	case 0:
		return ""
	case 1:
		return rs.parts[0]
	}
	size := len(sep) * (rs.n - 1)
	for _, p := range rs.parts[:rs.n] {
		size += len(p)
	}
	b := make([]byte, 0, size)
	for i, p := range rs.parts[:rs.n] {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, p...)
	}
	return string(b)
}

// rateInvestment is rateInvestmentExact on integers: ok is false when a
// value does not fit, or when a text would need more than two places (a
// rounded value equal to a boundary), and the caller then rates exactly.
// ts is the time progress's text when it is the shared one, else "".
//
// With the plan B > 0 and the year-to-date A ≥ 0 at a common scale (A/B is
// YTD ÷ plan) and the time progress n/d (d > 0, n ≥ 0):
//
//	completion = 100·A/B %, in hundredths 10000·A/B
//	gap        = 100·(A·d − n·B)/(B·d) points, in hundredths 10000·(A·d − n·B)/(B·d)
//	ratio      = completion ÷ (100·n/d) × 100 = 100·A·d/(B·n) %
//
// each rounded half away from zero as Round2 does; the comparisons with
// the bands are cross-multiplied.
func (rt *Rater) rateInvestment(in Input, res *Result, ts string) (s Status, zh, en string, ok bool) {
	if !rt.fast {
		return "", "", "", false
	}
	a, b, ok := commonScale(in.YTDWan, *in.AnnualPlanWan)
	if !ok || b <= 0 || a < 0 {
		return "", "", "", false
	}
	n, d := in.TimeProgress.Num, in.TimeProgress.Den
	ad, ok1 := mul(a, d)
	nb, ok2 := mul(n, b)
	gapNum, ok3 := sub(ad, nb) // the gap's sign and numerator
	q, ok4 := mul(b, d)        // the gap's denominator, > 0
	a4, ok5 := mul(a, 10000)
	g4, ok6 := mul(gapNum, 10000)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return "", "", "", false
	}
	ch, ok1 := roundDiv(a4, b)
	gh, ok2 := roundDiv(g4, q)
	if !ok1 || !ok2 {
		return "", "", "", false
	}
	if ts == "" {
		ts = res.TimeProgressPct.StringFixed(2) + "%"
	}
	c, g := decimal.New(ch, -2), decimal.New(gh, -2)
	cs := hundredths(ch) + "%"
	pz, pe := in.progressZh(), in.progressEn()

	if n == 0 {
		// A phased plan with nothing planned yet: any completion meets it.
		res.CompletionPct, res.GapPP = &c, &g
		return Green, "投资完成率" + cs + "，截至本期" + pz + "为0，视为达到", "completion " + cs + ": nothing planned yet by the phased plan, so it meets " + pe, true
	}

	if rt.r.Mode == ModeRatio {
		// ratio ≥ 100·y ⇔ A·d·yDen ≥ yNum·B·n (B, n, yDen > 0).
		bn, ok1 := mul(b, n)
		r4, ok2 := mul(ad, 10000)
		if !ok1 || !ok2 {
			return "", "", "", false
		}
		rh, ok := roundDiv(r4, bn)
		if !ok || rh == rt.yellowH || rh == rt.redH {
			return "", "", "", false
		}
		atYellow, ok1 := atLeast(ad, rt.yellowDen, rt.yellowNum, bn)
		atRed, ok2 := atLeast(ad, rt.redDen, rt.redNum, bn)
		if !ok1 || !ok2 {
			return "", "", "", false
		}
		res.CompletionPct, res.GapPP = &c, &g
		ybs, rbs := rt.yellowText, rt.redText
		rs := hundredths(rh) + "%"
		head := "投资完成率" + cs + "，为" + pz + ts + "的" + rs
		headEn := "completion " + cs + " is " + rs + " of " + pe + " " + ts
		switch {
		case atYellow:
			return Green, head + "（不低于" + ybs + "）", headEn + " (at least " + ybs + ")", true
		case atRed:
			return Yellow, head + "（低于" + ybs + "，不低于" + rbs + "）", headEn + " (below " + ybs + ", at least " + rbs + ")", true
		default:
			return Red, head + "（低于" + rbs + "）", headEn + " (below " + rbs + ")", true
		}
	}

	bs := rt.bandText
	switch {
	case gapNum == 0:
		res.CompletionPct, res.GapPP = &c, &g
		return Green, "投资完成率" + cs + "，达到" + pz + ts, "completion " + cs + " meets " + pe + " " + ts, true
	case gapNum > 0:
		if gh == 0 { // 0 < gap < 0.005: more places
			return "", "", "", false
		}
		res.CompletionPct, res.GapPP = &c, &g
		pts := hundredths(gh)
		return Green, "投资完成率" + cs + "，高于" + pz + ts + "共" + pts + "个百分点",
			"completion " + cs + " is " + pts + " points above " + pe + " " + ts, true
	}
	if gh == 0 || -gh == rt.bandH { // shown as 0.00 or as the band: more places
		return "", "", "", false
	}
	// gap ≥ −band ⇔ 100·|gapNum|·bandDen ≤ bandNum·B·d ⇔ bandNum/bandDen ≥
	// 100·|gapNum|/(B·d). 100·|gapNum| fits: 10000·gapNum does.
	yellow, ok := atLeast(rt.bandNum, q, -gapNum*100, rt.bandDen)
	if !ok {
		return "", "", "", false
	}
	res.CompletionPct, res.GapPP = &c, &g
	pts := hundredths(-gh)
	head := "投资完成率" + cs + "，低于" + pz + ts + "共" + pts + "个百分点"
	headEn := "completion " + cs + " is " + pts + " points below " + pe + " " + ts
	if yellow {
		return Yellow, head + "（不超过" + bs + "个百分点）", headEn + " (up to " + bs + ")", true
	}
	return Red, head + "（超过" + bs + "个百分点）", headEn + " (more than " + bs + ")", true
}

// atLeast reports whether x/y ≥ num/den (y, den > 0): x·den ≥ num·y, the
// products in 128 bits; ok is false for a negative argument.
func atLeast(x, den, num, y int64) (result, ok bool) {
	if x < 0 || den < 0 || num < 0 || y < 0 {
		return false, false
	}
	h1, l1 := bits.Mul64(uint64(x), uint64(den))
	h2, l2 := bits.Mul64(uint64(num), uint64(y))
	return h1 > h2 || (h1 == h2 && l1 >= l2), true
}

// commonScale returns a and b as integers at their common scale (a =
// x·10^e, b = y·10^e with e the smaller exponent); ok is false when one
// does not fit in int64.
func commonScale(a, b decimal.Decimal) (x, y int64, ok bool) {
	// Up to 18 digits fit in an int64.
	if a.NumDigits() > 18 || b.NumDigits() > 18 {
		return 0, 0, false
	}
	x, y = a.CoefficientInt64(), b.CoefficientInt64()
	ea, eb := a.Exponent(), b.Exponent()
	if ea < eb {
		y, ok = scaleUp(y, int64(eb)-int64(ea))
		return x, y, ok
	}
	x, ok = scaleUp(x, int64(ea)-int64(eb))
	return x, y, ok
}

// scaleUp is x·10^k, ok false on overflow.
func scaleUp(x, k int64) (int64, bool) {
	if x == 0 {
		return 0, true
	}
	for ; k > 0; k-- {
		var ok bool
		if x, ok = mul(x, 10); !ok {
			return 0, false
		}
	}
	return x, true
}

// mul is a·b; ok is false when it does not fit in int64 (−2⁶³ excluded).
func mul(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(uabs(a), uabs(b))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if (a < 0) != (b < 0) {
		return -int64(lo), true
	}
	return int64(lo), true
}

// sub is a − b; ok is false when it does not fit in int64.
func sub(a, b int64) (int64, bool) {
	c := a - b
	if (b > 0 && c > a) || (b < 0 && c < a) || c == math.MinInt64 {
		return 0, false
	}
	return c, true
}

func uabs(a int64) uint64 {
	if a < 0 {
		return uint64(-a) // −2⁶³ gives 2⁶³
	}
	return uint64(a)
}

// roundDiv is p/q (q > 0) rounded half away from zero, as decimal's
// DivRound rounds: up when the remainder is at least half of q.
func roundDiv(p, q int64) (int64, bool) {
	if q <= 0 {
		return 0, false
	}
	up, uq := uabs(p), uint64(q)
	quo, rem := up/uq, up%uq
	if rem >= uq-rem {
		quo++
	}
	if quo > math.MaxInt64 {
		return 0, false
	}
	if p < 0 {
		return -int64(quo), true
	}
	return int64(quo), true
}

// hundredths renders h/100 with two places, as decimal's StringFixed(2):
// 6250 is "62.50", 5 is "0.05", −5 is "-0.05".
func hundredths(h int64) string {
	var buf [24]byte
	b := buf[:0]
	u := uabs(h)
	if h < 0 {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, u/100, 10)
	f := u % 100
	b = append(b, '.', byte('0'+f/10), byte('0'+f%10))
	return string(b)
}
