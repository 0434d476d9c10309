package rating

import (
	"fmt"
	"math/big"
	"time"

	"github.com/shopspring/decimal"
)

// Fraction is an exact share of the year such as the time progress 9/12.
type Fraction struct {
	// Num is the numerator, 1 ≤ Num ≤ Den.
	Num int64
	// Den is the denominator, > 0.
	Den int64
}

// MonthProgress is the time progress (序时进度) at the end of month m
// (1-12): m/12.
func MonthProgress(m time.Month) Fraction { return Fraction{Num: int64(m), Den: 12} }

// DayProgress is the time progress at a part-month cut-off: the days of the
// year elapsed up to and including day's date ÷ the days in its year, e.g.
// 2025-03-10 is 69/365. The date is taken as it is in day's location.
func DayProgress(day time.Time) Fraction {
	y := day.Year()
	days := time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24
	return Fraction{Num: int64(day.YearDay()), Den: int64(days)}
}

// Rat is the fraction as a big.Rat.
func (f Fraction) Rat() *big.Rat { return big.NewRat(f.Num, f.Den) }

// Percent is the fraction in percent, rounded half away from zero to two
// places: 9/12 is 75.00, 1/12 is 8.33.
func (f Fraction) Percent() decimal.Decimal {
	return Round2(new(big.Rat).Mul(f.Rat(), hundred))
}

// String renders "9/12".
func (f Fraction) String() string { return fmt.Sprintf("%d/%d", f.Num, f.Den) }

func (f Fraction) check() error {
	if f.Den <= 0 || f.Num <= 0 || f.Num > f.Den {
		return fmt.Errorf("%w: time progress %d/%d is not a share of the year; expected 0 < num ≤ den, e.g. 9/12", ErrBadInput, f.Num, f.Den)
	}
	return nil
}

var hundred = big.NewRat(100, 1)

// Round2 rounds an exact value half away from zero to two decimal places
// (12.505 → 12.51, −12.505 → −12.51), the rounding of every stored
// percentage.
func Round2(x *big.Rat) decimal.Decimal { return decimal.NewFromBigRat(x, 2) }

// Percent is part ÷ whole in percent, exact then rounded half away from zero
// to two places. whole must not be zero.
func Percent(part, whole decimal.Decimal) decimal.Decimal {
	return Round2(percentRat(part, whole))
}

// GapPP is the completion part ÷ whole minus the time progress, in
// percentage points, exact then rounded half away from zero to two places
// (negative = behind). whole must not be zero.
func GapPP(part, whole decimal.Decimal, tp Fraction) decimal.Decimal {
	return Round2(gapRat(part, whole, tp))
}

func percentRat(part, whole decimal.Decimal) *big.Rat {
	r := new(big.Rat).Quo(part.Rat(), whole.Rat())
	return r.Mul(r, hundred)
}

func gapRat(part, whole decimal.Decimal, tp Fraction) *big.Rat {
	t := new(big.Rat).Mul(tp.Rat(), hundred)
	return new(big.Rat).Sub(percentRat(part, whole), t)
}

// PhasedProgress is the share of the annual plan that a phased monthly plan
// (分月计划: twelve amounts in 万元, January first) plans up to and
// including day: the months before day's month in full, day's month pro
// rata by the days elapsed (day of month ÷ days in the month), divided by
// the annual plan and capped at 1. The month and day are taken as they read
// in day's location. ok is false when there is no usable phased plan: not
// twelve amounts, an annual plan ≤ 0, or figures too large to hold exactly.
func PhasedProgress(monthly []decimal.Decimal, annual decimal.Decimal, day time.Time) (f Fraction, ok bool) {
	if len(monthly) != 12 || !annual.IsPositive() {
		return Fraction{}, false
	}
	m := int(day.Month())
	planned := new(big.Rat)
	for _, amount := range monthly[:m-1] {
		planned.Add(planned, amount.Rat())
	}
	daysInMonth := time.Date(day.Year(), day.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	part := new(big.Rat).Mul(monthly[m-1].Rat(), big.NewRat(int64(day.Day()), int64(daysInMonth)))
	planned.Add(planned, part)
	share := planned.Quo(planned, annual.Rat())
	if share.Sign() < 0 {
		return Fraction{}, false
	}
	if share.Cmp(big.NewRat(1, 1)) > 0 {
		share.SetInt64(1)
	}
	if !share.Num().IsInt64() || !share.Denom().IsInt64() {
		return Fraction{}, false
	}
	return Fraction{Num: share.Num().Int64(), Den: share.Denom().Int64()}, true
}
