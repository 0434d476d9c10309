package rating_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

func TestEscalationAndStreak(t *testing.T) {
	yellow := rating.Input{YTDWan: wan("7000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true} // 5 points short
	red := rating.Input{YTDWan: wan("5000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true}    // 25 points short
	green := rating.Input{YTDWan: wan("8000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true}
	with := func(in rating.Input, before int) rating.Input { in.ShortBefore = before; return in }
	tests := []struct {
		name      string
		rules     rating.Rules
		in        rating.Input
		status    rating.Status
		streak    int
		escalated bool
		words     string
	}{
		{"escalation is off by default: yellow stays yellow however long", rating.Rules{}, with(yellow, 5), rating.Yellow, 6, false, ""},
		{"yellow the first time stays yellow with escalate_after 2", rating.Rules{EscalateAfter: 2}, with(yellow, 0), rating.Yellow, 1, false, ""},
		{"yellow the second time in a row is red with escalate_after 2", rating.Rules{EscalateAfter: 2}, with(yellow, 1), rating.Red, 2, true,
			"连续2次调度低于序时进度（达到2次即升级），升为红榜"},
		{"red before counts toward the streak", rating.Rules{EscalateAfter: 3}, with(yellow, 2), rating.Red, 3, true, "连续3次"},
		{"red on its own is red, not escalated", rating.Rules{EscalateAfter: 2}, with(red, 1), rating.Red, 2, false, ""},
		{"green ends the streak", rating.Rules{EscalateAfter: 2}, with(green, 4), rating.Green, 0, false, ""},
		{"ratio mode escalates its yellow too", rating.Rules{Mode: rating.ModeRatio, EscalateAfter: 2},
			with(rating.Input{YTDWan: wan("5500"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true}, 1),
			rating.Red, 2, true, "short of time progress in 2 consecutive reviews (escalates at 2): red"},
		{"an unrated project has no streak", rating.Rules{EscalateAfter: 2}, with(rating.Input{YTDWan: wan("1"), TimeProgress: september}, 3), rating.Unrated, 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.rules.Rate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status || res.ShortStreak != tt.streak || res.Escalated != tt.escalated {
				t.Fatalf("status %s streak %d escalated %v, want %s %d %v (%s)", res.Status, res.ShortStreak, res.Escalated, tt.status, tt.streak, tt.escalated, res.ReasonZh)
			}
			if !strings.Contains(res.ReasonZh+" | "+res.ReasonEn, tt.words) {
				t.Fatalf("reason %q | %q does not contain %q", res.ReasonZh, res.ReasonEn, tt.words)
			}
		})
	}
}

func TestPhasedProgress(t *testing.T) {
	monthly := []string{"0", "0", "100", "100", "100", "100", "100", "100", "200", "100", "100", "0"} // 1000 in all
	amounts := make([]decimal.Decimal, len(monthly))
	for i, s := range monthly {
		amounts[i] = wan(s)
	}
	tests := []struct {
		name string
		day  string
		want rating.Fraction
		ok   bool
	}{
		{"the end of September has planned 800 of 1000", "2025-09-30", rating.Fraction{Num: 4, Den: 5}, true},
		{"the 21st of September counts 21/30 of September: 600 + 140", "2025-09-21", rating.Fraction{Num: 740, Den: 1000}, true},
		{"February has planned nothing yet", "2025-02-28", rating.Fraction{Num: 0, Den: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := rating.PhasedProgress(amounts, wan("1000"), date(tt.day))
			if ok != tt.ok || got.Rat().Cmp(tt.want.Rat()) != 0 {
				t.Fatalf("PhasedProgress(%s) = %s %v, want %s %v", tt.day, got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := rating.PhasedProgress(amounts[:11], wan("1000"), date("2025-09-30")); ok {
		t.Error("eleven months are a phased plan")
	}
	if f, _ := rating.PhasedProgress(amounts, wan("500"), date("2025-12-31")); f.Rat().Cmp(rating.Fraction{Num: 1, Den: 1}.Rat()) != 0 {
		t.Errorf("a phased plan above the annual plan gives %s, want it capped at 1", f)
	}

	// Rated on the phased basis: 600 of 1000 done against 740/1000 planned
	// is 14 points short, and the reason says which progress.
	f, _ := rating.PhasedProgress(amounts, wan("1000"), date("2025-09-21"))
	res, err := rating.Rules{}.Rate(rating.Input{YTDWan: wan("600"), AnnualPlanWan: plan("1000"), TimeProgress: f, Phased: true, Reported: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != rating.Red || res.ReasonZh != "投资完成率60.00%，低于分月计划进度74.00%共14.00个百分点（超过10个百分点）" {
		t.Fatalf("phased rating: %s %s", res.Status, res.ReasonZh)
	}
	res, err = rating.Rules{Mode: rating.ModeRatio}.Rate(rating.Input{YTDWan: wan("0"), AnnualPlanWan: plan("1000"), TimeProgress: rating.Fraction{Num: 0, Den: 1}, Phased: true, Reported: true})
	if err != nil || res.Status != rating.Green || !strings.Contains(res.ReasonZh, "截至本期分月计划进度为0") {
		t.Fatalf("nothing planned yet: %v %s %s", err, res.Status, res.ReasonZh)
	}
}

func TestReasonNamesTheMonthDueAtAPartMonthCutOff(t *testing.T) {
	res, err := rating.Rules{}.Rate(rating.Input{YTDWan: wan("7000"), AnnualPlanWan: plan("10000"), TimeProgress: rating.DayProgress(date("2025-10-12")),
		DueMonth: schema.Period{Year: 2025, Month: time.September}, YTDFrom: schema.Period{Year: 2025, Month: time.August}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "2025-09月报未报送，累计取2025-08报送数；投资完成率70.00%，低于序时进度78.08%共8.08个百分点（不超过10个百分点）"; res.ReasonZh != want {
		t.Fatalf("reason %q, want %q", res.ReasonZh, want)
	}
}
