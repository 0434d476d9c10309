package rating_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

func wan(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func plan(s string) *decimal.Decimal {
	d := wan(s)
	return &d
}

func date(s string) time.Time {
	t, err := schema.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

var september = rating.MonthProgress(time.September) // 9/12 = 75%

func TestRatePPGap(t *testing.T) {
	tests := []struct {
		name   string
		rules  rating.Rules
		in     rating.Input
		status rating.Status
		zh, en string // the whole reason
		pct    string // completion %, "" when unrated
		gap    string // gap pp, "" when unrated
	}{
		{
			name:   "completion exactly at time progress is green",
			in:     rating.Input{YTDWan: wan("7500"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Green,
			zh:     "投资完成率75.00%，达到序时进度75.00%",
			en:     "completion 75.00% meets time progress 75.00%",
			pct:    "75.00", gap: "0.00",
		},
		{
			name:   "completion above time progress is green",
			in:     rating.Input{YTDWan: wan("8000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Green,
			zh:     "投资完成率80.00%，高于序时进度75.00%共5.00个百分点",
			en:     "completion 80.00% is 5.00 points above time progress 75.00%",
			pct:    "80.00", gap: "5.00",
		},
		{
			name:   "one yuan short of time progress is yellow, and the reason shows the shortfall",
			in:     rating.Input{YTDWan: wan("7499.9999"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Yellow,
			zh:     "投资完成率75.00%，低于序时进度75.00%共0.000001个百分点（不超过10个百分点）",
			en:     "completion 75.00% is 0.000001 points below time progress 75.00% (up to 10)",
			pct:    "75.00", gap: "0.00",
		},
		{
			name:   "short by exactly 10 points is yellow",
			in:     rating.Input{YTDWan: wan("6500"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Yellow,
			zh:     "投资完成率65.00%，低于序时进度75.00%共10.00个百分点（不超过10个百分点）",
			en:     "completion 65.00% is 10.00 points below time progress 75.00% (up to 10)",
			pct:    "65.00", gap: "-10.00",
		},
		{
			name:   "short by 10.01 points is red",
			in:     rating.Input{YTDWan: wan("6499"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Red,
			zh:     "投资完成率64.99%，低于序时进度75.00%共10.01个百分点（超过10个百分点）",
			en:     "completion 64.99% is 10.01 points below time progress 75.00% (more than 10)",
			pct:    "64.99", gap: "-10.01",
		},
		{
			name:   "short by a hair over 10 points is red and shown with enough places",
			in:     rating.Input{YTDWan: wan("6499.9996"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true},
			status: rating.Red,
			zh:     "投资完成率65.00%，低于序时进度75.00%共10.000004个百分点（超过10个百分点）",
			en:     "completion 65.00% is 10.000004 points below time progress 75.00% (more than 10)",
			pct:    "65.00", gap: "-10.00",
		},
		{
			name:   "the brief's example: 62.50% against 75.00% is red",
			in:     rating.Input{YTDWan: wan("5000"), AnnualPlanWan: plan("8000"), TimeProgress: september, Reported: true},
			status: rating.Red,
			zh:     "投资完成率62.50%，低于序时进度75.00%共12.50个百分点（超过10个百分点）",
			en:     "completion 62.50% is 12.50 points below time progress 75.00% (more than 10)",
			pct:    "62.50", gap: "-12.50",
		},
		{
			name:   "a wider band keeps a 12.5 point shortfall yellow",
			rules:  rating.Rules{YellowBand: wan("15")},
			in:     rating.Input{YTDWan: wan("5000"), AnnualPlanWan: plan("8000"), TimeProgress: september, Reported: true},
			status: rating.Yellow,
			zh:     "投资完成率62.50%，低于序时进度75.00%共12.50个百分点（不超过15个百分点）",
			en:     "completion 62.50% is 12.50 points below time progress 75.00% (up to 15)",
			pct:    "62.50", gap: "-12.50",
		},
		{
			name:   "one twelfth is time progress 8.33 and 1/12 of the plan is exactly on it",
			in:     rating.Input{YTDWan: wan("1000"), AnnualPlanWan: plan("12000"), TimeProgress: rating.MonthProgress(time.January), Reported: true},
			status: rating.Green,
			zh:     "投资完成率8.33%，达到序时进度8.33%",
			en:     "completion 8.33% meets time progress 8.33%",
			pct:    "8.33", gap: "0.00",
		},
		{
			name:   "no annual plan is unrated",
			in:     rating.Input{YTDWan: wan("300"), TimeProgress: september, Reported: true},
			status: rating.Unrated,
			zh:     "未下达年度计划，不评级",
			en:     "no annual plan for the year: not rated",
		},
		{
			name:   "an annual plan of zero is unrated",
			in:     rating.Input{YTDWan: wan("300"), AnnualPlanWan: plan("0"), TimeProgress: september, Reported: true},
			status: rating.Unrated,
			zh:     "未下达年度计划，不评级",
			en:     "no annual plan for the year: not rated",
		},
		{
			name: "a missing month is rated on the latest earlier year-to-date and says 本月未报送",
			in: rating.Input{YTDWan: wan("5000"), AnnualPlanWan: plan("8000"), TimeProgress: september,
				YTDFrom: schema.Period{Year: 2025, Month: time.August}},
			status: rating.Red,
			zh:     "本月未报送，本月按0计，累计取2025-08报送数；投资完成率62.50%，低于序时进度75.00%共12.50个百分点（超过10个百分点）",
			en:     "no report for the month: the month counts as 0 and year-to-date is that of the 2025-08 report; completion 62.50% is 12.50 points below time progress 75.00% (more than 10)",
			pct:    "62.50", gap: "-12.50",
		},
		{
			name:   "nothing reported all year counts as zero",
			in:     rating.Input{TimeProgress: september, AnnualPlanWan: plan("5000")},
			status: rating.Red,
			zh:     "本月未报送，本年尚无报送，累计按0计；投资完成率0.00%，低于序时进度75.00%共75.00个百分点（超过10个百分点）",
			en:     "no report for the month nor earlier in the year: year-to-date counts as 0; completion 0.00% is 75.00 points below time progress 75.00% (more than 10)",
			pct:    "0.00", gap: "-75.00",
		},
		{
			name: "a milestone overdue more than 30 days makes a green project red",
			in: rating.Input{YTDWan: wan("8000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true,
				Overdue: []rating.Milestone{{ID: "main-works-start", Title: "主体工程开工", PlannedDate: date("2025-06-30"), DaysOverdue: 92}}},
			status: rating.Red,
			zh:     "投资完成率80.00%，高于序时进度75.00%共5.00个百分点；节点「主体工程开工」（计划2025-06-30）逾期92天未完成（超过30天）",
			en:     "completion 80.00% is 5.00 points above time progress 75.00%; milestone 主体工程开工 (planned 2025-06-30) is 92 days overdue (more than 30)",
			pct:    "80.00", gap: "5.00",
		},
		{
			name: "a milestone overdue exactly 30 days does not change the status",
			in: rating.Input{YTDWan: wan("8000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true,
				Overdue: []rating.Milestone{{ID: "dam-top", PlannedDate: date("2025-08-31"), DaysOverdue: 30}}},
			status: rating.Green,
			zh:     "投资完成率80.00%，高于序时进度75.00%共5.00个百分点；节点「dam-top」（计划2025-08-31）逾期30天未完成（未超过30天）",
			en:     "completion 80.00% is 5.00 points above time progress 75.00%; milestone dam-top (planned 2025-08-31) is 30 days overdue (within 30)",
			pct:    "80.00", gap: "5.00",
		},
		{
			name: "several overdue milestones name the longest",
			in: rating.Input{YTDWan: wan("7000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true,
				Overdue: []rating.Milestone{
					{ID: "a", Title: "围堰合龙", PlannedDate: date("2025-09-20"), DaysOverdue: 10},
					{ID: "b", Title: "主体工程开工", PlannedDate: date("2025-07-31"), DaysOverdue: 61},
				}},
			status: rating.Red,
			zh:     "投资完成率70.00%，低于序时进度75.00%共5.00个百分点（不超过10个百分点）；2个节点逾期未完成，最久为「主体工程开工」（计划2025-07-31）逾期61天（超过30天）",
			en:     "completion 70.00% is 5.00 points below time progress 75.00% (up to 10); 2 milestones overdue, the longest 主体工程开工 (planned 2025-07-31) by 61 days (more than 30)",
			pct:    "70.00", gap: "-5.00",
		},
		{
			name: "an unrated project stays unrated with an overdue milestone, and says so",
			in: rating.Input{TimeProgress: september, Reported: true,
				Overdue: []rating.Milestone{{ID: "start", Title: "开工", PlannedDate: date("2025-03-31"), DaysOverdue: 183}}},
			status: rating.Unrated,
			zh:     "未下达年度计划，不评级；节点「开工」（计划2025-03-31）逾期183天未完成（超过30天）",
			en:     "no annual plan for the year: not rated; milestone 开工 (planned 2025-03-31) is 183 days overdue (more than 30)",
		},
		{
			name:  "a longer milestone allowance keeps a 61-day slip from turning red",
			rules: rating.Rules{MilestoneOverdueDays: 90},
			in: rating.Input{YTDWan: wan("8000"), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true,
				Overdue: []rating.Milestone{{ID: "b", Title: "主体工程开工", PlannedDate: date("2025-07-31"), DaysOverdue: 61}}},
			status: rating.Green,
			zh:     "投资完成率80.00%，高于序时进度75.00%共5.00个百分点；节点「主体工程开工」（计划2025-07-31）逾期61天未完成（未超过90天）",
			en:     "completion 80.00% is 5.00 points above time progress 75.00%; milestone 主体工程开工 (planned 2025-07-31) is 61 days overdue (within 90)",
			pct:    "80.00", gap: "5.00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.rules, tt.in, tt.status, tt.zh, tt.en, tt.pct, tt.gap)
		})
	}
}

func TestRateRatio(t *testing.T) {
	ratio := rating.Rules{Mode: rating.ModeRatio}
	tests := []struct {
		name   string
		rules  rating.Rules
		ytd    string
		status rating.Status
		zh, en string
	}{
		{name: "at 80% of time progress is green", rules: ratio, ytd: "6000", status: rating.Green,
			zh: "投资完成率60.00%，为序时进度75.00%的80.00%（不低于80%）",
			en: "completion 60.00% is 80.00% of time progress 75.00% (at least 80%)"},
		{name: "just below 80% of time progress is yellow", rules: ratio, ytd: "5999.9999", status: rating.Yellow,
			zh: "投资完成率60.00%，为序时进度75.00%的79.999999%（低于80%，不低于60%）",
			en: "completion 60.00% is 79.999999% of time progress 75.00% (below 80%, at least 60%)"},
		{name: "at 60% of time progress is yellow", rules: ratio, ytd: "4500", status: rating.Yellow,
			zh: "投资完成率45.00%，为序时进度75.00%的60.00%（低于80%，不低于60%）",
			en: "completion 45.00% is 60.00% of time progress 75.00% (below 80%, at least 60%)"},
		{name: "below 60% of time progress is red", rules: ratio, ytd: "4499", status: rating.Red,
			zh: "投资完成率44.99%，为序时进度75.00%的59.99%（低于60%）",
			en: "completion 44.99% is 59.99% of time progress 75.00% (below 60%)"},
		{name: "bands of 1.0 and 0.8 make any shortfall yellow", rules: rating.Rules{Mode: rating.ModeRatio, RatioYellowBelow: wan("1"), RatioRedBelow: wan("0.8")},
			ytd: "7000", status: rating.Yellow,
			zh: "投资完成率70.00%，为序时进度75.00%的93.33%（低于100%，不低于80%）",
			en: "completion 70.00% is 93.33% of time progress 75.00% (below 100%, at least 80%)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := rating.Input{YTDWan: wan(tt.ytd), AnnualPlanWan: plan("10000"), TimeProgress: september, Reported: true}
			check(t, tt.rules, in, tt.status, tt.zh, tt.en, "", "")
		})
	}
}

func check(t *testing.T, rules rating.Rules, in rating.Input, status rating.Status, zh, en, pct, gap string) {
	t.Helper()
	got, err := rules.Rate(in)
	if err != nil {
		t.Fatalf("Rate: %v", err)
	}
	if got.Status != status {
		t.Errorf("status = %s, want %s (reason %s)", got.Status, status, got.ReasonEn)
	}
	if got.ReasonZh != zh {
		t.Errorf("reason zh\n got %s\nwant %s", got.ReasonZh, zh)
	}
	if got.ReasonEn != en {
		t.Errorf("reason en\n got %s\nwant %s", got.ReasonEn, en)
	}
	if pct != "" && (got.CompletionPct == nil || got.CompletionPct.StringFixed(2) != pct) {
		t.Errorf("completion = %v, want %s", got.CompletionPct, pct)
	}
	if gap != "" && (got.GapPP == nil || got.GapPP.StringFixed(2) != gap) {
		t.Errorf("gap = %v, want %s", got.GapPP, gap)
	}
	if status == rating.Unrated && (got.CompletionPct != nil || got.GapPP != nil) {
		t.Errorf("unrated project has completion %v, gap %v; want none", got.CompletionPct, got.GapPP)
	}
	if got.TimeProgressPct.StringFixed(2) != in.TimeProgress.Percent().StringFixed(2) {
		t.Errorf("time progress = %s, want %s", got.TimeProgressPct, in.TimeProgress.Percent())
	}
}

func TestRateRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		in   rating.Input
		want string
	}{
		{"a negative year-to-date is rejected", rating.Input{YTDWan: wan("-1"), TimeProgress: september}, "year-to-date -1 万元 is negative"},
		{"a negative plan is rejected", rating.Input{AnnualPlanWan: plan("-5"), TimeProgress: september}, "annual plan -5 万元 is negative"},
		{"a zero time progress is rejected", rating.Input{TimeProgress: rating.Fraction{Num: 0, Den: 12}}, "time progress 0/12 is not a share of the year"},
		{"a time progress over one is rejected", rating.Input{TimeProgress: rating.Fraction{Num: 13, Den: 12}}, "time progress 13/12"},
		{"a milestone that is not overdue is rejected", rating.Input{TimeProgress: september, Overdue: []rating.Milestone{{ID: "x"}}}, `milestone "x" is 0 days overdue`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rating.Rules{}.Rate(tt.in)
			if !errors.Is(err, rating.ErrBadInput) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Rate = %v, want ErrBadInput containing %q", err, tt.want)
			}
		})
	}
}

func TestRulesValidate(t *testing.T) {
	tests := []struct {
		name  string
		rules rating.Rules
		want  string // "" when valid
	}{
		{"the zero rule is the valid default", rating.Rules{}, ""},
		{"ratio mode with default bands is valid", rating.Rules{Mode: rating.ModeRatio}, ""},
		{"an unknown mode is rejected", rating.Rules{Mode: "traffic_light"}, `mode "traffic_light" is not a rating mode; expected pp_gap or ratio`},
		{"a negative band is rejected", rating.Rules{YellowBand: wan("-5")}, "yellow_band -5 is outside 0-100 percentage points"},
		{"a band over 100 points is rejected", rating.Rules{YellowBand: wan("120")}, "yellow_band 120 is outside 0-100"},
		{"a red ratio above the yellow one is rejected", rating.Rules{Mode: rating.ModeRatio, RatioRedBelow: wan("0.9")}, "ratio_red_below 0.9 is not below ratio_yellow_below 0.8"},
		{"negative overdue days are rejected", rating.Rules{MilestoneOverdueDays: -1}, "milestone_overdue_days -1 is negative"},
		{"a negative escalation is rejected", rating.Rules{EscalateAfter: -2}, "escalate_after -2 is negative; expected 0 (off)"},
		{"an unknown basis is rejected", rating.Rules{Basis: "lunar"}, `basis "lunar" is not a time-progress basis; expected time or phased_plan`},
		{"negative due days are rejected", rating.Rules{MilestoneDueDays: -1}, "milestone_due_days -1 is negative"},
		{"a deadline on the 29th is rejected", rating.Rules{Deadline: rating.Deadline{Day: 29}}, "deadline.day 29 is not a day every month has; expected 1-28"},
		{"a deadline on the 21st working day is rejected", rating.Rules{Deadline: rating.Deadline{Day: 21, WorkingDays: true}}, "expected 1-20 with working_days = true"},
		{"a holiday that is not a date is rejected", rating.Rules{Deadline: rating.Deadline{Holidays: []string{"2025-10-32"}}}, `deadline.holidays: date "2025-10-32": expected YYYY-MM-DD`},
		{"a day both holiday and make-up day is rejected", rating.Rules{Deadline: rating.Deadline{Holidays: []string{"2025-10-11"}, Workdays: []string{"2025-10-11"}}}, "2025-10-11 is also listed in deadline.holidays"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, rating.ErrBadRules) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want ErrBadRules containing %q", err, tt.want)
			}
			if _, err := tt.rules.Rate(rating.Input{TimeProgress: september}); !errors.Is(err, rating.ErrBadRules) {
				t.Fatalf("Rate with invalid rules = %v, want ErrBadRules", err)
			}
		})
	}
}

func TestDefaultRules(t *testing.T) {
	d := rating.DefaultRules()
	if d.Mode != rating.ModeGap || d.YellowBand.String() != "10" || d.RatioYellowBelow.String() != "0.8" ||
		d.RatioRedBelow.String() != "0.6" || d.MilestoneOverdueDays != 30 || d.EscalateAfter != 0 ||
		d.Basis != rating.BasisTime || d.MilestoneDueDays != 14 || d.Deadline.Day != 5 || d.Deadline.WorkingDays {
		t.Fatalf("DefaultRules = %+v", d)
	}
}

func TestTimeProgress(t *testing.T) {
	tests := []struct {
		name string
		f    rating.Fraction
		pct  string
	}{
		{"September is 9/12 = 75.00%", rating.MonthProgress(time.September), "75.00"},
		{"January is 1/12 = 8.33%", rating.MonthProgress(time.January), "8.33"},
		{"February is 2/12 = 16.67% (rounded half away from zero)", rating.MonthProgress(time.February), "16.67"},
		{"December is 12/12 = 100.00%", rating.MonthProgress(time.December), "100.00"},
		{"10 March 2025 is day 69 of 365", rating.DayProgress(date("2025-03-10")), "18.90"},
		{"31 December 2024 is day 366 of a leap year", rating.DayProgress(date("2024-12-31")), "100.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Percent().StringFixed(2); got != tt.pct {
				t.Fatalf("%s = %s%%, want %s%%", tt.f, got, tt.pct)
			}
		})
	}
	if f := rating.DayProgress(date("2025-03-10")); f != (rating.Fraction{Num: 69, Den: 365}) {
		t.Errorf("DayProgress(2025-03-10) = %s, want 69/365", f)
	}
}

func TestRoundingIsHalfAwayFromZero(t *testing.T) {
	tests := []struct {
		name        string
		part, whole string
		want        string
	}{
		{"12.505% rounds up to 12.51%", "12.505", "100", "12.51"},
		{"12.504999% rounds down to 12.50%", "12.504999", "100", "12.50"},
		{"2/3 is 66.67%", "2", "3", "66.67"},
		{"a negative half rounds away from zero", "-12.505", "100", "-12.51"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rating.Percent(wan(tt.part), wan(tt.whole)).StringFixed(2); got != tt.want {
				t.Fatalf("Percent(%s, %s) = %s, want %s", tt.part, tt.whole, got, tt.want)
			}
		})
	}
	if got := rating.GapPP(wan("6499"), wan("10000"), september).StringFixed(2); got != "-10.01" {
		t.Errorf("GapPP(6499, 10000, 9/12) = %s, want -10.01", got)
	}
}

func TestStatusLabelsAndOrder(t *testing.T) {
	want := map[rating.Status]string{rating.Red: "红", rating.Yellow: "黄", rating.Green: "绿", rating.Unrated: "未评级"}
	for i, s := range rating.Statuses() {
		if s.Label() != want[s] {
			t.Errorf("%s.Label() = %s, want %s", s, s.Label(), want[s])
		}
		if s.Rank() != i || !s.Valid() {
			t.Errorf("%s.Rank() = %d, want %d", s, s.Rank(), i)
		}
	}
	if rating.Status("blue").Valid() {
		t.Error(`Status("blue") is valid`)
	}
}
