package report_test

import (
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// The fixture is a weekly review, 2025-W39 (22-28 September 2025, cut-off
// 29 September 00:00), built by hand so that the renderers are tested
// without a database: six projects, one of each case the report shows —
// newly red, red for three reviews with an overdue milestone, worse
// (green → yellow), recovered (red → green), unchanged green, unrated — the
// August reports due by 5 September with four missing in three
// departments and one late, four milestone alerts and the monthly trend.
// The totals are computed from the projects by [totalsOf].

var shanghai = schema.Location()

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }
func dp(s string) *decimal.Decimal {
	v := d(s)
	return &v
}

func at(y int, m time.Month, day, h, min int) time.Time {
	return time.Date(y, m, day, h, min, 0, 0, shanghai)
}

// timeProgress of the fixture: 28 September is day 271 of 365.
const timeProgress = "74.25"

type fixtureProject struct {
	id, name, region, category, dept, deptName string
	period, ytd                                string
	plan                                       string // "" for none
	status, prev                               rating.Status
	change                                     rollup.Change
	reported                                   bool
	overdue, maxDays, streak                   int
	reason                                     string
}

var fixtureProjects = []fixtureProject{
	{id: "p-red-road", name: "莲都区环城南路改建工程", region: "丽水市莲都区", category: "transport", dept: "jt", deptName: "丽水市交通运输局",
		period: "0", ytd: "6000", plan: "10000", status: rating.Red, prev: rating.Yellow, change: rollup.ChangeNewlyRed, streak: 2,
		reason: "投资完成率60.00%，低于序时进度74.25%共14.25个百分点（超过10个百分点）"},
	{id: "p-red-dam", name: "庆元县城乡供水水库提升工程", region: "丽水市庆元县", category: "water", dept: "sl", deptName: "丽水市水利局",
		period: "0", ytd: "2000", plan: "8000", status: rating.Red, prev: rating.Red, change: rollup.ChangeSame, overdue: 1, maxDays: 40, streak: 3,
		reason: "投资完成率25.00%，低于序时进度74.25%共49.25个百分点（超过10个百分点）；节点「大坝填筑完成」（计划2025-08-19）逾期40天未完成（超过30天）"},
	{id: "p-yellow-park", name: "龙泉市智能制造产业园", region: "丽水市龙泉市", category: "industry", dept: "fg", deptName: "丽水市发展和改革委员会",
		period: "500", ytd: "13000", plan: "20000", status: rating.Yellow, prev: rating.Green, change: rollup.ChangeWorse, overdue: 1, maxDays: 18, streak: 1,
		reason: "投资完成率65.00%，低于序时进度74.25%共9.25个百分点（不超过10个百分点）"},
	{id: "p-green-power", name: "庆元抽水蓄能电站", region: "丽水市庆元县", category: "energy", dept: "fg", deptName: "丽水市发展和改革委员会",
		period: "2000.5", ytd: "80000.5", plan: "100000", status: rating.Green, prev: rating.Red, change: rollup.ChangeRecovered, reported: true,
		reason: "投资完成率80.00%，高于序时进度74.25%共5.75个百分点"},
	{id: "p-green-school", name: "丽水市第二实验学校", region: "丽水市莲都区", category: "public", dept: "jy", deptName: "丽水市教育局",
		period: "100", ytd: "3800", plan: "5000", status: rating.Green, prev: rating.Green, change: rollup.ChangeSame, reported: true,
		reason: "投资完成率76.00%，高于序时进度74.25%共1.75个百分点"},
	{id: "p-unrated-mushroom", name: "庆元香菇产业园", region: "丽水市庆元县", category: "industry", dept: "fg", deptName: "丽水市发展和改革委员会",
		period: "0", ytd: "300", status: rating.Unrated, change: rollup.ChangeFirst,
		reason: "未下达年度计划，不评级"},
}

// fixtureDuties are what two projects' reports said (存在问题, 下步计划)
// and who answers for them (责任单位, 责任人, 分管领导).
var fixtureDuties = map[string][5]string{
	"p-red-road":    {"征地拆迁滞后，资金未到位", "10月底前完成征地，争取专项债", "莲都区交通建设投资有限公司", "张建国", "李明"},
	"p-yellow-park": {"设备采购延期", "加快设备进场", "龙泉市经济开发区管委会", "陈海", "周文"},
}

// fixtureBoard is the weekly board of 2025-W39.
func fixtureBoard() *rollup.Board {
	p, err := schema.ParseReviewPeriod(schema.ReviewWeekly, "2025-W39")
	if err != nil {
		panic(err)
	}
	b := &rollup.Board{Period: p, ComputedAt: at(2025, 9, 29, 7, 0), RunID: "run-w39", Cutoff: p.End}
	august := schema.Period{Year: 2025, Month: time.August}
	for _, f := range fixtureProjects {
		r := rollup.ProjectRow{ProjectID: f.id, NameZh: f.name, Region: f.region, Category: f.category, DepartmentID: f.dept,
			DepartmentName: f.deptName, Stage: "construction", Reported: f.reported, PeriodCompletedWan: d(f.period),
			YTDCompletedWan: d(f.ytd), TimeProgressPct: d(timeProgress), OverdueMilestones: f.overdue, MaxOverdueDays: f.maxDays,
			Status: f.status, ReasonZh: f.reason, ReasonEn: "reason of " + f.id, ShortStreak: f.streak, PrevStatus: f.prev, Change: f.change}
		if f.reported {
			r.ReportPeriod, r.ReportRevision, r.MonthCompletedWan = august, 1, d("1000")
		}
		if f.plan != "" {
			r.AnnualPlanWan = dp(f.plan)
			c := r.YTDCompletedWan.Div(*r.AnnualPlanWan).Shift(2).Round(2)
			g := c.Sub(r.TimeProgressPct)
			r.CompletionPct, r.GapPP = &c, &g
		}
		if d, ok := fixtureDuties[f.id]; ok {
			r.Problems, r.NextSteps, r.ResponsibleUnit, r.ResponsiblePerson, r.LeadOfficial = d[0], d[1], d[2], d[3], d[4]
		}
		b.Projects = append(b.Projects, r)
	}
	b.Totals = totalsOf(b.Projects)
	deadline := at(2025, 9, 6, 0, 0)
	rep := func(id string, s rollup.ReportingStatus, first time.Time, days int) rollup.ReportingRow {
		for _, f := range fixtureProjects {
			if f.id == id {
				return rollup.ReportingRow{ProjectID: id, NameZh: f.name, DepartmentID: f.dept, DepartmentName: f.deptName,
					ReportPeriod: august, Status: s, Deadline: deadline, FirstReceivedAt: first, DaysLate: days}
			}
		}
		panic(id)
	}
	b.Reporting = []rollup.ReportingRow{
		rep("p-green-power", rollup.ReportingOnTime, at(2025, 9, 3, 9, 0), 0),
		rep("p-green-school", rollup.ReportingLate, at(2025, 9, 8, 10, 30), 2),
		rep("p-red-road", rollup.ReportingMissing, time.Time{}, 23),
		rep("p-red-dam", rollup.ReportingMissing, time.Time{}, 23),
		rep("p-yellow-park", rollup.ReportingMissing, time.Time{}, 23),
		rep("p-unrated-mushroom", rollup.ReportingMissing, time.Time{}, 23),
	}
	ms := func(id, mid, title string, a rollup.Alert, status string, planned, forecast, prev time.Time, days int) rollup.MilestoneAlert {
		for _, f := range fixtureProjects {
			if f.id == id {
				return rollup.MilestoneAlert{ProjectID: id, NameZh: f.name, DepartmentID: f.dept, DepartmentName: f.deptName,
					MilestoneID: mid, Title: title, Alert: a, Status: status, PlannedDate: planned, ForecastDate: forecast,
					PrevForecastDate: prev, Days: days}
			}
		}
		panic(id)
	}
	day := func(m time.Month, dd int) time.Time { return time.Date(2025, m, dd, 0, 0, 0, 0, shanghai) }
	b.Milestones = []rollup.MilestoneAlert{
		ms("p-green-power", "grid", "全容并网", rollup.AlertDue, "in_progress", day(10, 5), day(10, 5), time.Time{}, 7),
		ms("p-yellow-park", "roof", "厂房结构封顶", rollup.AlertOverdue, "in_progress", day(9, 10), time.Time{}, time.Time{}, 18),
		ms("p-red-dam", "fill", "大坝填筑完成", rollup.AlertOverdue, "", day(8, 19), time.Time{}, time.Time{}, 40),
		ms("p-red-road", "open", "建成通车", rollup.AlertSlipped, "in_progress", day(12, 31),
			time.Date(2026, 3, 31, 0, 0, 0, 0, shanghai), day(12, 31), 90),
	}
	for i, a := range []string{"9000", "8000.5", "12000", "15000", "16000", "18000", "14000", "13100"} {
		b.Trend = append(b.Trend, rollup.MonthAmount{Month: schema.Period{Year: 2025, Month: time.Month(i + 1)}, AmountWan: d(a)})
	}
	return b
}

// totalsOf computes the totals as the rollup stores them: the overall row,
// then per category, department and region, ranked by completion
// descending (groups without a rated project last), ties by key.
func totalsOf(projects []rollup.ProjectRow) []rollup.TotalRow {
	keyOf := map[rollup.Dimension]func(rollup.ProjectRow) (string, string){
		rollup.DimensionAll:        func(rollup.ProjectRow) (string, string) { return "", "全部" },
		rollup.DimensionCategory:   func(p rollup.ProjectRow) (string, string) { return p.Category, schema.Category(p.Category).Label() },
		rollup.DimensionDepartment: func(p rollup.ProjectRow) (string, string) { return p.DepartmentID, p.DepartmentName },
		rollup.DimensionRegion:     func(p rollup.ProjectRow) (string, string) { return p.Region, p.Region },
	}
	var out []rollup.TotalRow
	for _, dim := range rollup.Dimensions() {
		groups := map[string]*rollup.TotalRow{}
		var ratedYTD = map[string]decimal.Decimal{}
		for _, p := range projects {
			k, label := keyOf[dim](p)
			t, ok := groups[k]
			if !ok {
				t = &rollup.TotalRow{Dimension: dim, Key: k, Label: label, TimeProgressPct: d(timeProgress)}
				groups[k] = t
			}
			t.Projects++
			if p.Reported {
				t.Reported++
			}
			switch p.Status {
			case rating.Green:
				t.Green++
			case rating.Yellow:
				t.Yellow++
			case rating.Red:
				t.Red++
			default:
				t.Unrated++
			}
			t.PeriodCompletedWan = t.PeriodCompletedWan.Add(p.PeriodCompletedWan)
			t.MonthCompletedWan = t.MonthCompletedWan.Add(p.MonthCompletedWan)
			t.YTDCompletedWan = t.YTDCompletedWan.Add(p.YTDCompletedWan)
			if p.AnnualPlanWan != nil {
				t.AnnualPlanWan = t.AnnualPlanWan.Add(*p.AnnualPlanWan)
				ratedYTD[k] = ratedYTD[k].Add(p.YTDCompletedWan)
			}
		}
		var rows []rollup.TotalRow
		for k, t := range groups {
			if t.AnnualPlanWan.IsPositive() {
				c := ratedYTD[k].Div(t.AnnualPlanWan).Shift(2).Round(2)
				g := c.Sub(t.TimeProgressPct)
				t.CompletionPct, t.GapPP = &c, &g
			}
			rows = append(rows, *t)
		}
		sort.Slice(rows, func(i, j int) bool {
			a, c := rows[i], rows[j]
			if (a.CompletionPct == nil) != (c.CompletionPct == nil) {
				return a.CompletionPct != nil
			}
			if a.CompletionPct != nil && !a.CompletionPct.Equal(*c.CompletionPct) {
				return a.CompletionPct.GreaterThan(*c.CompletionPct)
			}
			return a.Key < c.Key
		})
		for i := range rows {
			if dim != rollup.DimensionAll {
				rows[i].Rank = i + 1
			}
		}
		// Stored order is by key; the renderer orders by rank.
		sort.Slice(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
		out = append(out, rows...)
	}
	// The reporting counts of the month due (see fixtureBoard.Reporting).
	missing := map[string]bool{"p-red-road": true, "p-red-dam": true, "p-yellow-park": true, "p-unrated-mushroom": true}
	for i := range out {
		for _, p := range projects {
			if k, _ := keyOf[out[i].Dimension](p); k != out[i].Key {
				continue
			}
			if missing[p.ProjectID] {
				out[i].Missing++
			}
			if p.ProjectID == "p-green-school" {
				out[i].Late++
			}
		}
	}
	return out
}
