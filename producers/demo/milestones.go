package demo

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// anchorYear is the year of the most recent source documents (the 2025
// plans): milestones of earlier years are history, reached by then; those of
// this year and later are followed quarter by quarter.
const anchorYear = 2025

// slip is a move of a milestone's forecast, stated at a quarter's end.
type slip struct {
	asOf     string // YYYY-MM-DD
	forecast string // YYYY-MM-DD
	note     string
}

// msStory is what happens to one milestone: its planned date, the date it
// is reached (empty: not within the demo's horizon), and forecast moves.
type msStory struct {
	planned string
	actual  string
	slips   []slip
}

// storyKey names a milestone: a project id and the milestone's name_zh in
// the seed.
type storyKey struct{ project, title string }

// stories are the hand-written stories of the milestones that make the
// boards tell something. On the board of September 2025: a milestone more
// than 30 days overdue (丽水机场 通航: planned 2025-06-30, not reached by
// September, so the project is red), one overdue by only 10 days (缙云抽水蓄能电站
// 建成, not enough to turn red), buildings put into use on time. Later: the
// milestones planned for the end of 2025 that were still open then are
// re-forecast quarter by quarter and reached in 2026 (抽蓄主体工程, 义龙庆's
// 项目前期, 西岩水库's 项目前期), and three slip by more than a year, reached
// only in January 2027, so that a board of late 2026 still shows milestones
// overdue by a realistic margin (about 11 months): 万年隧道 建成通车 and
// 庆元县人民医院迁建 建成 (rated projects, red) and 义龙庆's 开工建设 (前期, not
// rated). Every actual and forecast date here is synthetic. The tests check
// that each key still names a milestone of the seed, in the year (and
// month) the seed gives it.
var stories = map[storyKey]msStory{
	{"qingyuan-pumped-storage", "后方营地主体建筑"}: {planned: "2024-12-31", actual: "2025-01-20"},
	{"qingyuan-pumped-storage", "抽蓄主体工程加速推进"}: {planned: "2025-12-31", actual: "2026-06-24", slips: []slip{
		{"2025-12-31", "2026-06-30", "地下厂房开挖遇断层破碎带，阶段目标推迟至2026年6月底"},
	}},
	{"yilongqing-expressway-qingyuan", "项目前期"}: {planned: "2025-12-31", actual: "2026-05-20", slips: []slip{
		{"2025-12-31", "2026-05-31", "工可报告审查意见待落实，预计2026年5月底完成前期"},
	}},
	{"yilongqing-expressway-qingyuan", "开工建设（力争“十四五”末期）"}: {planned: "2025-12-31", actual: "2027-01-18", slips: []slip{
		{"2025-12-31", "2026-09-30", "项目前期未完成，开工推迟"},
		{"2026-09-30", "2027-01-31", "用地报批未完成，开工推迟至2027年初"},
	}},
	{"xiyan-reservoir", "项目前期"}: {planned: "2025-12-31", actual: "2026-09-22", slips: []slip{
		{"2025-12-31", "2026-09-30", "移民安置规划调整，前期推迟至2026年三季度"},
	}},
	{"wannian-tunnel", "建成通车"}: {planned: "2025-12-31", actual: "2027-01-16", slips: []slip{
		{"2025-12-31", "2026-06-30", "隧道穿越断层破碎带，掘进放缓，预计2026年6月底通车"},
		{"2026-06-30", "2026-12-31", "二衬及机电安装滞后，通车推迟至2026年底"},
	}},
	{"qingyuan-peoples-hospital-relocation", "建成"}: {planned: "2025-12-31", actual: "2027-01-25", slips: []slip{
		{"2025-12-31", "2026-08-31", "医技楼装修及净化工程招标延后，预计2026年8月底建成"},
		{"2026-09-30", "2027-01-31", "医疗设备安装调试推迟，预计2027年1月底建成"},
	}},
	{"lishui-airport", "通航"}: {planned: "2025-06-30", actual: "2025-12-26", slips: []slip{
		{"2025-06-30", "2025-10-31", "行业验收及校飞推迟，预计10月底通航"},
		{"2025-09-30", "2025-12-28", "飞行程序审批未完成，通航推迟至年底"},
	}},
	{"jinyun-pumped-storage", "建成"}: {planned: "2025-09-20", actual: "2025-11-28", slips: []slip{
		{"2025-09-30", "2025-11-30", "末台机组调试延后，预计11月底全面投产"},
	}},
	{"experimental-kindergarten-relocation", "完成并投入使用"}: {planned: "2025-08-31", actual: "2025-08-26"},
	{"qingyuan-high-school-expansion", "完成并投入使用"}:       {planned: "2025-08-31", actual: "2025-08-29"},
	{"pingdu-industrial-wastewater-plant", "完成项目建设"}:    {planned: "2025-06-30", actual: "2025-06-25"},
}

// storyOverride returns the hand-written story of a milestone, if it has
// one.
func storyOverride(projectID, title string) (msStory, bool) {
	st, ok := stories[storyKey{projectID, title}]
	return st, ok
}

// monthEnd is the last day of the month.
func monthEnd(year int, month time.Month) time.Time {
	return time.Date(year, month+1, 1, 0, 0, 0, 0, schema.Location()).AddDate(0, 0, -1)
}

func day(s string) time.Time {
	t, err := schema.ParseDate(s)
	if err != nil {
		panic("demo: bad date in the story table: " + s) // a programming error in this file
	}
	return t
}

// plannedDate is the synthetic planned date of a seed milestone: the
// sources give its year, and for a few its month (then it is the month's
// last day). Otherwise milestones met at the source fall in spring to
// autumn, missed ones in spring to October (the year's end shows them
// missed), open milestones of the anchor year and later in the fourth
// quarter, so that they are not overdue before it.
func plannedDate(seed uint64, projectID string, m seedMilestone) time.Time {
	if st, ok := storyOverride(projectID, m.NameZh); ok {
		return day(st.planned)
	}
	if m.Month > 0 {
		return monthEnd(m.Year, time.Month(m.Month))
	}
	r := newRNG(seed, projectID, m.NameZh, "planned")
	switch {
	case m.Status == seedMissed:
		return monthEnd(m.Year, time.Month(r.between(3, 10)))
	case m.Status == seedMet:
		return monthEnd(m.Year, time.Month(r.between(3, 11)))
	case m.Year < anchorYear:
		return monthEnd(m.Year, time.Month(r.between(6, 12)))
	default:
		return monthEnd(m.Year, time.Month(r.between(10, 12)))
	}
}

// story is the whole life of a milestone: overrides first; a missed one
// is reached 6-18 months late, after the end of its year (when the later
// document shows it not done), its forecast moved at that year's end; an
// open one of the anchor year or later is reached on time (a few days
// before the planned date), except about one in six reached 1-5 months late
// with the forecast moved at the first quarter's end on or after the
// planned date; any other is reached on time. Every actual and forecast
// date is synthetic: the sources give at most a milestone's status.
func story(seed uint64, projectID string, m seedMilestone, planned time.Time) msStory {
	if st, ok := storyOverride(projectID, m.NameZh); ok {
		return st
	}
	r := newRNG(seed, projectID, m.NameZh, "actual")
	st := msStory{planned: planned.Format(schema.DateLayout)}
	if m.Status == seedMissed {
		yearEnd := monthEnd(m.Year, time.December)
		from := later(planned.AddDate(0, 6, 0), yearEnd.AddDate(0, 1, 0))
		to := planned.AddDate(0, 18, 0)
		actual := from.AddDate(0, 0, r.between(0, int(to.Sub(from).Hours()/24)))
		st.actual = actual.Format(schema.DateLayout)
		forecast := monthEnd(actual.Year(), actual.Month())
		st.slips = []slip{{yearEnd.Format(schema.DateLayout), forecast.Format(schema.DateLayout), missedNote + "；预计" + forecast.Format("2006年1月") + "底完成（演示数据）"}}
		return st
	}
	if m.Status != seedMet && m.Year >= anchorYear && r.between(1, 6) == 1 {
		actual := planned.AddDate(0, 0, r.between(30, 150))
		forecast := monthEnd(actual.Year(), actual.Month())
		q := quarterEndOnOrAfter(planned)
		st.actual = actual.Format(schema.DateLayout)
		st.slips = []slip{{q.Format(schema.DateLayout), forecast.Format(schema.DateLayout), "进度滞后，预计推迟至" + forecast.Format("2006年1月") + "底完成（演示数据）"}}
		return st
	}
	maxEarly := 20
	if m.Year >= anchorYear {
		maxEarly = 12
	}
	st.actual = planned.AddDate(0, 0, -r.between(0, maxEarly)).Format(schema.DateLayout)
	return st
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// quarterEndOnOrAfter is the last day of the quarter of t.
func quarterEndOnOrAfter(t time.Time) time.Time {
	return monthEnd(t.Year(), time.Month((int(t.Month())+2)/3*3))
}

// msState is one assessment of a milestone.
type msState struct {
	asOf     time.Time
	status   schema.MilestoneStatus
	forecast string
	actual   string
	percent  *decimal.Decimal
	note     string
}

// missedNote is the note of a missed milestone's assessment at the end of
// its year.
const missedNote = "未按计划完成（据后续文件）"

// metNote is the note of the update that reports a milestone reached.
const metNote = "节点已完成"

// lateMetNote is metNote for a milestone reached after its planned date
// (the dates are synthetic).
const lateMetNote = "节点已完成（晚于计划，完成日期为演示数据）"

// timeline returns the assessments of a milestone in date order:
//
//  1. the state the source reports (met on its actual date, or scheduled /
//     in progress at the end of January of the milestone's year);
//  2. for a missed milestone, in progress at the end of its year with the
//     note that it was missed and the forecast moved (the story's slip);
//  3. for open milestones of the anchor year and later, an assessment at
//     the end of each quarter until it is reached, with percent complete
//     and the current forecast (moved by the story's slips);
//  4. met on its actual date.
func timeline(m seedMilestone, st msStory) []msState {
	planned := day(st.planned)
	if m.Status == seedMet && st.actual == "" {
		st.actual = st.planned // met at the source: reached by its planned date
	}
	var actual time.Time
	if st.actual != "" {
		actual = day(st.actual)
	}
	met := msState{asOf: actual, status: schema.MilestoneMet, actual: st.actual, percent: pct(100), note: metNote}
	if !actual.IsZero() && actual.After(planned) {
		met.note = lateMetNote
	}
	if m.Status == seedMet {
		return []msState{met}
	}
	yearStart := time.Date(m.Year, time.January, 1, 0, 0, 0, 0, schema.Location())
	status := schema.MilestoneStatus(m.Status)
	if m.Status == seedMissed {
		status = schema.MilestoneScheduled
	}
	first := msState{asOf: monthEnd(m.Year, time.January), status: status, forecast: st.planned}
	if first.status == schema.MilestoneInProgress {
		first.percent = progress(yearStart, first.asOf, planned)
	}
	out := []msState{first}
	forecast := st.planned
	var asOfs []time.Time
	switch {
	case m.Status == seedMissed:
		asOfs = []time.Time{monthEnd(m.Year, time.December)}
	case m.Year >= anchorYear:
		// Quarter by quarter until reached; one never reached is followed
		// for three years.
		for y := m.Year; y < m.Year+3; y++ {
			for _, q := range []time.Month{time.March, time.June, time.September, time.December} {
				asOfs = append(asOfs, monthEnd(y, q))
			}
		}
	}
	for _, asOf := range asOfs {
		if !actual.IsZero() && !asOf.Before(actual) {
			break
		}
		s := msState{asOf: asOf, status: schema.MilestoneInProgress}
		for _, sl := range st.slips {
			if sl.asOf == asOf.Format(schema.DateLayout) {
				forecast, s.note = sl.forecast, sl.note
			}
		}
		s.forecast = forecast
		s.percent = progress(yearStart, asOf, day(forecast))
		out = append(out, s)
	}
	if !actual.IsZero() {
		out = append(out, met)
	}
	return out
}

func pct(n int64) *decimal.Decimal {
	d := decimal.NewFromInt(n)
	return &d
}

// progress is the share of the time from start to due that has passed at
// asOf, in whole percent, kept within 5-95 while the milestone is open.
func progress(start, asOf, due time.Time) *decimal.Decimal {
	total := due.Sub(start).Hours()
	done := asOf.Sub(start).Hours()
	p := int64(95)
	if total > 0 {
		p = int64(done * 100 / total)
	}
	p = max(5, min(95, p))
	return pct(p)
}

// milestoneID makes an id from the English name: lower-case words joined
// by '-', without the parenthesised remark, at most 48 characters.
func milestoneID(nameEn string, used map[string]bool) string {
	s := nameEn
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if b.Len() > 0 && !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	id := strings.Trim(b.String(), "-")
	if len(id) > 48 {
		id = strings.Trim(id[:48], "-")
	}
	if id == "" {
		id = "milestone"
	}
	base := id
	for n := 2; used[id]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	used[id] = true
	return id
}
