package rating

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// The Rater must give exactly what the big.Rat rating (refRate, the
// implementation before the Rater, in oracle_test.go) gives: every figure,
// its scale and every byte of the reasons, for any rule and input,
// including the ones the integer path cannot hold and hands to big.Rat.

func sameDecimal(a, b *decimal.Decimal) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b) && a.Exponent() == b.Exponent() && a.String() == b.String()
}

func resultDiff(got, want Result) string {
	var out string
	add := func(field string, g, w any) { out += fmt.Sprintf("\n  %s: got %v, want %v", field, g, w) }
	if got.Status != want.Status {
		add("Status", got.Status, want.Status)
	}
	if got.ReasonZh != want.ReasonZh {
		add("ReasonZh", got.ReasonZh, want.ReasonZh)
	}
	if got.ReasonEn != want.ReasonEn {
		add("ReasonEn", got.ReasonEn, want.ReasonEn)
	}
	if !sameDecimal(got.CompletionPct, want.CompletionPct) {
		add("CompletionPct", got.CompletionPct, want.CompletionPct)
	}
	if !sameDecimal(&got.TimeProgressPct, &want.TimeProgressPct) {
		add("TimeProgressPct", got.TimeProgressPct, want.TimeProgressPct)
	}
	if !sameDecimal(got.GapPP, want.GapPP) {
		add("GapPP", got.GapPP, want.GapPP)
	}
	if got.OverdueMilestones != want.OverdueMilestones || got.MaxOverdueDays != want.MaxOverdueDays ||
		got.ShortStreak != want.ShortStreak || got.Escalated != want.Escalated {
		add("counts", fmt.Sprint(got.OverdueMilestones, got.MaxOverdueDays, got.ShortStreak, got.Escalated),
			fmt.Sprint(want.OverdueMilestones, want.MaxOverdueDays, want.ShortStreak, want.Escalated))
	}
	return out
}

// check rates in with rules three ways — Rules.Rate, a Rater sharing the
// input's time progress, a Rater sharing another one — and compares each
// with the oracle. It returns whether the integer path rated it.
func checkAgainstOracle(t *testing.T, rules Rules, in Input) (fast bool) {
	t.Helper()
	want, wantErr := rules.refRate(in)
	other := Fraction{Num: 7, Den: 12}
	if in.TimeProgress == other {
		other = Fraction{Num: 5, Den: 12}
	}
	for _, shared := range []Fraction{in.TimeProgress, other} {
		var got Result
		var err error
		if shared == in.TimeProgress {
			got, err = rules.Rate(in)
		} else {
			rt, rerr := rules.NewRater(shared)
			if rerr != nil {
				err = rerr
			} else {
				got, err = rt.Rate(in)
			}
		}
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("rules %s, input %+v (shared %v): error %v, want %v", rules.JSON(), in, shared, err, wantErr)
		}
		if err != nil {
			continue
		}
		if d := resultDiff(got, want); d != "" {
			t.Fatalf("rules %s, YTD %s, plan %v, time progress %v phased %v (shared %v):%s", rules.JSON(), in.YTDWan,
				in.AnnualPlanWan, in.TimeProgress, in.Phased, shared, d)
		}
	}
	if wantErr != nil || in.AnnualPlanWan == nil || in.AnnualPlanWan.IsZero() {
		return false
	}
	rt, err := rules.NewRater(in.TimeProgress)
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	res.TimeProgressPct = progressPercent(in.TimeProgress)
	_, _, _, fast = rt.rateInvestment(in, &res, "")
	return fast
}

func testRules() []Rules {
	d := decimal.RequireFromString
	return []Rules{
		{},
		{YellowBand: d("0.0001")},
		{YellowBand: d("12.345")},
		{YellowBand: d("12.34")},
		{YellowBand: d("100")},
		{YellowBand: d("10.000")},
		{YellowBand: d("0.5"), EscalateAfter: 2},
		{Mode: ModeRatio},
		{Mode: ModeRatio, RatioYellowBelow: d("1.0"), RatioRedBelow: d("0.8")},
		{Mode: ModeRatio, RatioYellowBelow: d("0.123456"), RatioRedBelow: d("0.1")},
		{Mode: ModeRatio, RatioYellowBelow: d("0.95"), RatioRedBelow: d("0.9"), EscalateAfter: 1},
		{Mode: ModeRatio, RatioYellowBelow: d("7"), RatioRedBelow: d("0.000001")},
		{MilestoneOverdueDays: 3, EscalateAfter: 3},
	}
}

var oracleAmounts = []string{
	"0", "0.0001", "0.0005", "1", "5000", "7500", "8999.9999", "9000", "12000.0000", "6749.5", "5999.52",
	"1.23456789012345678", "0.000000000000000001", "99999999999999.9999", "922337203685477.5807",
	"922337203685477.5808", "123456789012345678901234567890", "1e30", "3.333333333333333333", "-0.0001",
}

var oracleProgress = []struct {
	f      Fraction
	phased bool
}{
	{Fraction{Num: 9, Den: 12}, false},
	{Fraction{Num: 1, Den: 12}, false},
	{Fraction{Num: 12, Den: 12}, false},
	{Fraction{Num: 69, Den: 365}, false},
	{Fraction{Num: 366, Den: 366}, false},
	{Fraction{Num: 0, Den: 1}, true},
	{Fraction{Num: 1, Den: 3}, true},
	{Fraction{Num: 123456789, Den: 987654321}, true},
	{Fraction{Num: math.MaxInt64 / 3, Den: math.MaxInt64}, true},
	{Fraction{Num: 1, Den: math.MaxInt64}, true},
	{Fraction{Num: 0, Den: 12}, false}, // invalid unless phased
	{Fraction{Num: 13, Den: 12}, false},
}

func TestRaterEqualsTheExactRatingOnAwkwardValues(t *testing.T) {
	aug := schema.Period{Year: 2025, Month: time.August}
	sep := schema.Period{Year: 2025, Month: time.September}
	overdue := []Milestone{{ID: "m1", Title: "主体工程开工", PlannedDate: time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), DaysOverdue: 31},
		{ID: "m2", PlannedDate: time.Date(2025, 8, 20, 0, 0, 0, 0, time.UTC), DaysOverdue: 12}}
	fast, cases := 0, 0
	for _, rules := range testRules() {
		for _, ytd := range oracleAmounts {
			for _, pl := range append(oracleAmounts, "none") {
				for i, tp := range oracleProgress {
					in := Input{YTDWan: decimal.RequireFromString(ytd), TimeProgress: tp.f, Phased: tp.phased,
						Reported: i%2 == 0, ShortBefore: i % 3}
					if pl != "none" {
						amount := decimal.RequireFromString(pl)
						in.AnnualPlanWan = &amount
					}
					switch i % 4 {
					case 1:
						in.YTDFrom = aug
					case 2:
						in.DueMonth, in.YTDFrom = sep, aug
					case 3:
						in.DueMonth = sep
						in.Overdue = overdue[:1+i%2]
					}
					cases++
					if checkAgainstOracle(t, rules, in) {
						fast++
					}
				}
			}
		}
	}
	t.Logf("%d inputs, %d rated on integers", cases, fast)
}

// TestRaterRatesTheUsualOnIntegers: amounts of 万元 with four places, month
// and day progress, in both modes, need no big.Rat (the point of the
// Rater), but for a rounded shortfall equal to a boundary.
func TestRaterRatesTheUsualOnIntegers(t *testing.T) {
	for _, rules := range testRules() {
		for _, tp := range []Fraction{MonthProgress(time.September), DayProgress(time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC))} {
			for _, c := range [][2]string{{"5000", "8000"}, {"12345.6789", "15000.0001"}, {"0", "12000"}, {"9999999.9999", "12345678.5"}, {"24000", "12000"}} {
				pl := decimal.RequireFromString(c[1])
				in := Input{YTDWan: decimal.RequireFromString(c[0]), AnnualPlanWan: &pl, TimeProgress: tp, Reported: true}
				if !checkAgainstOracle(t, rules, in) {
					t.Errorf("rules %s: YTD %s of %s at %v was not rated on integers", rules.JSON(), c[0], c[1], tp)
				}
			}
		}
	}
}

// TestRaterEqualsTheExactRatingOnBoundaries walks completion across the
// bands in steps of one ten-thousandth 万元 around each boundary, where
// the rounding and the extra places of the reasons matter.
func TestRaterEqualsTheExactRatingOnBoundaries(t *testing.T) {
	plans := []string{"12000", "3", "0.0007", "123456789.1234"}
	progress := []Fraction{{Num: 9, Den: 12}, {Num: 69, Den: 365}, {Num: 1, Den: 3}}
	for _, rules := range testRules() {
		rules = rules.withDefaults()
		for _, p := range plans {
			pl := decimal.RequireFromString(p)
			for _, tp := range progress {
				tpr := decimal.NewFromBigRat(tp.Rat(), 20)
				// The completions at the boundaries: the time progress, and
				// the bands below it.
				shares := []decimal.Decimal{tpr, tpr.Sub(rules.YellowBand.Shift(-2)),
					tpr.Mul(rules.RatioYellowBelow), tpr.Mul(rules.RatioRedBelow), tpr.Add(decimal.New(5, -5))}
				for _, share := range shares {
					centre := pl.Mul(share).Round(4)
					for k := int64(-40); k <= 40; k++ {
						ytd := centre.Add(decimal.New(k, -4))
						if ytd.IsNegative() {
							continue
						}
						checkAgainstOracle(t, rules, Input{YTDWan: ytd, AnnualPlanWan: &pl, TimeProgress: tp, Reported: true})
					}
				}
			}
		}
	}
}

// TestRaterEqualsTheExactRatingOnRandomValues draws amounts of every size
// and scale.
func TestRaterEqualsTheExactRatingOnRandomValues(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 2026))
	amount := func() decimal.Decimal {
		digits := 1 + rnd.IntN(22)
		s := strconv.Itoa(1 + rnd.IntN(9))
		for range digits - 1 {
			s += strconv.Itoa(rnd.IntN(10))
		}
		return decimal.RequireFromString(s).Shift(-int32(rnd.IntN(12)))
	}
	all := testRules()
	for i := 0; i < 50_000; i++ {
		rules := all[rnd.IntN(len(all))]
		pl := amount()
		var tp Fraction
		phased := rnd.IntN(4) == 0
		switch {
		case phased:
			den := 1 + rnd.Int64N(math.MaxInt64>>uint(rnd.IntN(63)))
			tp = Fraction{Num: rnd.Int64N(den + 1), Den: den}
		case rnd.IntN(2) == 0:
			tp = MonthProgress(time.Month(1 + rnd.IntN(12)))
		default:
			tp = DayProgress(time.Date(2024+rnd.IntN(2), 1, 1+rnd.IntN(365), 0, 0, 0, 0, time.UTC))
		}
		checkAgainstOracle(t, rules, Input{YTDWan: amount(), AnnualPlanWan: &pl, TimeProgress: tp, Phased: phased, Reported: true})
	}
}

func TestIntegerHelpers(t *testing.T) {
	for _, c := range []struct{ a, b, want int64 }{{3, 4, 12}, {-3, 4, -12}, {-3, -4, 12}, {math.MaxInt64, 1, math.MaxInt64}, {0, math.MinInt64, 0}} {
		if got, ok := mul(c.a, c.b); !ok || got != c.want {
			t.Errorf("mul(%d, %d) = %d, %v; want %d", c.a, c.b, got, ok, c.want)
		}
	}
	for _, c := range [][2]int64{{math.MaxInt64, 2}, {math.MinInt64, 1}, {1 << 32, 1 << 31}, {-(1 << 32), 1 << 31}} {
		if _, ok := mul(c[0], c[1]); ok {
			t.Errorf("mul(%d, %d) did not report the overflow", c[0], c[1])
		}
	}
	for _, c := range [][2]int64{{math.MinInt64 + 1, 1}, {math.MaxInt64, -1}, {math.MinInt64 + 10, 10}} {
		if _, ok := sub(c[0], c[1]); ok {
			t.Errorf("sub(%d, %d) did not report the overflow", c[0], c[1])
		}
	}
	for _, c := range []struct{ p, q, want int64 }{{5, 10, 1}, {4, 10, 0}, {-5, 10, -1}, {-4, 10, 0}, {15, 10, 2}, {-15, 10, -2}, {1, 3, 0}, {2, 3, 1}} {
		if got, ok := roundDiv(c.p, c.q); !ok || got != c.want {
			t.Errorf("roundDiv(%d, %d) = %d, %v; want %d", c.p, c.q, got, ok, c.want)
		}
	}
	for h, want := range map[int64]string{0: "0.00", 5: "0.05", 50: "0.50", 6250: "62.50", -5: "-0.05", -12345: "-123.45", 100: "1.00"} {
		if got, ref := hundredths(h), decimal.New(h, -2).StringFixed(2); got != want || got != ref {
			t.Errorf("hundredths(%d) = %q; want %q (decimal: %q)", h, got, want, ref)
		}
	}
}
