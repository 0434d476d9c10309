package rating_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

func ExampleRules_Rate() {
	plan := decimal.RequireFromString("8000")
	res, err := rating.Rules{}.Rate(rating.Input{
		YTDWan:        decimal.RequireFromString("5000"),
		AnnualPlanWan: &plan,
		TimeProgress:  rating.MonthProgress(time.September),
		YTDFrom:       schema.Period{Year: 2025, Month: time.August}, // September not reported
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Status.Label(), res.CompletionPct.StringFixed(2), res.GapPP.StringFixed(2))
	fmt.Println(res.ReasonZh)
	fmt.Println(res.ReasonEn)
	// Output:
	// red 红 62.50 -12.50
	// 本月未报送，本月按0计，累计取2025-08报送数；投资完成率62.50%，低于序时进度75.00%共12.50个百分点（超过10个百分点）
	// no report for the month: the month counts as 0 and year-to-date is that of the 2025-08 report; completion 62.50% is 12.50 points below time progress 75.00% (more than 10)
}
