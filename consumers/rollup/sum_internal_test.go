package rollup

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

// A sum gives what decimal.Decimal.Add gives summing from zero — the same
// value and exponent — whether its terms fit its int64 or not, and so
// does a merge of sums.
func TestSumEqualsDecimalAdd(t *testing.T) {
	d := decimal.RequireFromString
	fixed := []decimal.Decimal{d("12000.0000"), decimal.Zero, d("-5.0000"), d("922337203685477.5807"),
		d("922337203685477.5807"), d("-922337203685477.5808"), d("1.5"), d("0.00001"), d("99999999999999999999.0001"),
		decimal.New(0, -4), decimal.New(-1, -4), d("12345678901234567890123"), decimal.New(7, 3)}
	rnd := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 2000; round++ {
		var terms []decimal.Decimal
		for range rnd.IntN(40) {
			switch rnd.IntN(4) {
			case 0:
				terms = append(terms, fixed[rnd.IntN(len(fixed))])
			case 1:
				terms = append(terms, decimal.New(rnd.Int64()>>uint(rnd.IntN(64)), -4))
			default:
				terms = append(terms, decimal.New(rnd.Int64N(1e9)-1e8, -4))
			}
		}
		var want decimal.Decimal
		var all, a, b sum
		for i, x := range terms {
			want = want.Add(x)
			all.add(x)
			if i%2 == 0 {
				a.add(x)
			} else {
				b.add(x)
			}
		}
		a.merge(&b)
		for _, got := range []decimal.Decimal{all.value(), a.value()} {
			if !got.Equal(want) || got.Exponent() != want.Exponent() || got.String() != want.String() {
				t.Fatalf("sum of %v = %s (exp %d), want %s (exp %d)", terms, got, got.Exponent(), want, want.Exponent())
			}
		}
	}
}
