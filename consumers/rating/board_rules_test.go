package rating_test

import (
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// TestRulesWhereTheBoardWasSilent pins the worked examples of
// docs/dispatch.md ("Reasons" and "Rounding"): the milestone clause within
// the allowance, escalation together with a red milestone, no report this
// year at a weekly cut-off, a phased plan with nothing planned yet, and the
// extra places.
func TestRulesWhereTheBoardWasSilent(t *testing.T) {
	weekDue := schema.Period{Year: 2025, Month: time.September}
	w41 := rating.DayProgress(date("2025-10-12")) // 285/365 = 78.08%
	nothingPlanned := rating.Fraction{Num: 0, Den: 1}
	tests := []struct {
		name      string
		rules     rating.Rules
		in        rating.Input
		status    rating.Status
		streak    int
		escalated bool
		zh, en    string
		pct, gap  string
	}{
		{
			name: "a milestone overdue within the allowance keeps a yellow project yellow and is still named",
			in: rating.Input{YTDWan: wan("7000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true,
				Overdue: []rating.Milestone{{ID: "cofferdam", Title: "围堰合龙", PlannedDate: date("2025-09-10"), DaysOverdue: 20}}},
			status: rating.Yellow, streak: 1,
			zh:  "投资完成率70.00%，低于序时进度75.00%共5.00个百分点（不超过10个百分点）；节点「围堰合龙」（计划2025-09-10）逾期20天未完成（未超过30天）",
			en:  "completion 70.00% is 5.00 points below time progress 75.00% (up to 10); milestone 围堰合龙 (planned 2025-09-10) is 20 days overdue (within 30)",
			pct: "70.00", gap: "-5.00",
		},
		{
			name:  "escalation and a red milestone together: red, escalated, both clauses, escalation first",
			rules: rating.Rules{EscalateAfter: 2},
			in: rating.Input{YTDWan: wan("7000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true, ShortBefore: 1,
				Overdue: []rating.Milestone{{ID: "main-works", Title: "主体工程开工", PlannedDate: date("2025-08-15"), DaysOverdue: 46}}},
			status: rating.Red, streak: 2, escalated: true,
			zh:  "投资完成率70.00%，低于序时进度75.00%共5.00个百分点（不超过10个百分点）；连续2次调度低于序时进度（达到2次即升级），升为红榜；节点「主体工程开工」（计划2025-08-15）逾期46天未完成（超过30天）",
			en:  "completion 70.00% is 5.00 points below time progress 75.00% (up to 10); short of time progress in 2 consecutive reviews (escalates at 2): red; milestone 主体工程开工 (planned 2025-08-15) is 46 days overdue (more than 30)",
			pct: "70.00", gap: "-5.00",
		},
		{
			name:  "a red milestone without the streak is red but not escalated; the streak counts the investment only",
			rules: rating.Rules{EscalateAfter: 2},
			in: rating.Input{YTDWan: wan("7000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true,
				Overdue: []rating.Milestone{{ID: "main-works", Title: "主体工程开工", PlannedDate: date("2025-08-15"), DaysOverdue: 46}}},
			status: rating.Red, streak: 1,
			zh:  "投资完成率70.00%，低于序时进度75.00%共5.00个百分点（不超过10个百分点）；节点「主体工程开工」（计划2025-08-15）逾期46天未完成（超过30天）",
			en:  "completion 70.00% is 5.00 points below time progress 75.00% (up to 10); milestone 主体工程开工 (planned 2025-08-15) is 46 days overdue (more than 30)",
			pct: "70.00", gap: "-5.00",
		},
		{
			name:   "no report this year at a weekly cut-off: the month due is named and the year-to-date is 0",
			in:     rating.Input{AnnualPlanWan: plan("5000"), TimeProgress: w41, DueMonth: weekDue},
			status: rating.Red, streak: 1,
			zh:  "2025-09月报未报送，本年尚无报送，累计按0计；投资完成率0.00%，低于序时进度78.08%共78.08个百分点（超过10个百分点）",
			en:  "no 2025-09 report by the cut-off nor any this year: year-to-date counts as 0; completion 0.00% is 78.08 points below time progress 78.08% (more than 10)",
			pct: "0.00", gap: "-78.08",
		},
		{
			name:   "no report this year and no plan: unrated, both said",
			in:     rating.Input{TimeProgress: september},
			status: rating.Unrated,
			zh:     "本月未报送，本年尚无报送，累计按0计；未下达年度计划，不评级",
			en:     "no report for the month nor earlier in the year: year-to-date counts as 0; no annual plan for the year: not rated",
		},
		{
			name:   "a phased plan with nothing planned yet is green, ends a streak, and its gap is its completion",
			rules:  rating.Rules{EscalateAfter: 2, Basis: rating.BasisPhasedPlan},
			in:     rating.Input{YTDWan: wan("150"), AnnualPlanWan: plan("1000"), TimeProgress: nothingPlanned, Phased: true, Reported: true, ShortBefore: 3},
			status: rating.Green,
			zh:     "投资完成率15.00%，截至本期分月计划进度为0，视为达到",
			en:     "completion 15.00%: nothing planned yet by the phased plan, so it meets phased-plan progress",
			pct:    "15.00", gap: "15.00",
		},
		{
			name:   "a phased plan with nothing planned and nothing done is green too",
			in:     rating.Input{YTDWan: wan("0"), AnnualPlanWan: plan("1000"), TimeProgress: nothingPlanned, Phased: true, Reported: true},
			status: rating.Green,
			zh:     "投资完成率0.00%，截至本期分月计划进度为0，视为达到",
			en:     "completion 0.00%: nothing planned yet by the phased plan, so it meets phased-plan progress",
			pct:    "0.00", gap: "0.00",
		},
		{
			name:   "extra places: a lead that rounds to 0.00 is written with the places it needs",
			in:     rating.Input{YTDWan: wan("7500.0004"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Green,
			zh:     "投资完成率75.00%，高于序时进度75.00%共0.000004个百分点",
			en:     "completion 75.00% is 0.000004 points above time progress 75.00%",
			pct:    "75.00", gap: "0.00",
		},
		{
			name:   "extra places: a shortfall that rounds to the band is written with the places it needs, the stored gap keeps two",
			in:     rating.Input{YTDWan: wan("6499.9996"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Red, streak: 1,
			zh:  "投资完成率65.00%，低于序时进度75.00%共10.000004个百分点（超过10个百分点）",
			en:  "completion 65.00% is 10.000004 points below time progress 75.00% (more than 10)",
			pct: "65.00", gap: "-10.00",
		},
		{
			name:   "extra places: a ratio that rounds to the red band",
			rules:  rating.Rules{Mode: rating.ModeRatio},
			in:     rating.Input{YTDWan: wan("4499.9999"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Red, streak: 1,
			zh:  "投资完成率45.00%，为序时进度75.00%的59.999999%（低于60%）",
			en:  "completion 45.00% is 59.999999% of time progress 75.00% (below 60%)",
			pct: "45.00", gap: "-30.00",
		},
		{
			name:   "no extra places when two places do not touch a boundary: 12.345 points short shows 12.35",
			in:     rating.Input{YTDWan: wan("6265.5"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Red, streak: 1,
			zh:  "投资完成率62.66%，低于序时进度75.00%共12.35个百分点（超过10个百分点）",
			en:  "completion 62.66% is 12.35 points below time progress 75.00% (more than 10)",
			pct: "62.66", gap: "-12.35",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.rules, tt.in, tt.status, tt.zh, tt.en, tt.pct, tt.gap)
			res, err := tt.rules.Rate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.ShortStreak != tt.streak || res.Escalated != tt.escalated {
				t.Errorf("streak %d escalated %v, want %d %v", res.ShortStreak, res.Escalated, tt.streak, tt.escalated)
			}
		})
	}
}
