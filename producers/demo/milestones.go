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
// board of September 2025 tell something: a milestone more than 30 days
// overdue (丽水机场 通航: planned 2025-06-30, not reached by September, so
// the project is red), one overdue by only 10 days (缙云抽水蓄能电站 建成,
// not enough to turn red), buildings put into use on time, and milestones
// that are deliberately open at the end of the year. The tests check that
// each key still names a milestone of the seed, in the year (and month) the
// seed gives it.
var stories = map[storyKey]msStory{
	{"qingyuan-pumped-storage", "后方营地主体建筑"}:               {planned: "2024-12-31", actual: "2025-01-20"},
	{"qingyuan-pumped-storage", "抽蓄主体工程加速推进"}:             {planned: "2025-12-31"},
	{"yilongqing-expressway-qingyuan", "项目前期"}:            {planned: "2025-12-31"},
	{"yilongqing-expressway-qingyuan", "开工建设（力争“十四五”末期）"}: {planned: "2025-12-31"},
	{"xiyan-reservoir", "项目前期"}:                           {planned: "2025-12-31"},
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
// is not reached; otherwise reached on time (a few days before the planned
// date).
func story(seed uint64, projectID string, m seedMilestone, planned time.Time) msStory {
	if st, ok := storyOverride(projectID, m.NameZh); ok {
		return st
	}
	if m.Status == seedMissed {
		return msStory{planned: planned.Format(schema.DateLayout)}
	}
	r := newRNG(seed, projectID, m.NameZh, "actual")
	maxEarly := 20
	if m.Year >= anchorYear {
		maxEarly = 12
	}
	return msStory{
		planned: planned.Format(schema.DateLayout),
		actual:  planned.AddDate(0, 0, -r.between(0, maxEarly)).Format(schema.DateLayout),
	}
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

// missedNote is the note of a missed milestone's last assessment.
const missedNote = "未按计划完成（据后续文件）"

// timeline returns the assessments of a milestone in date order:
//
//  1. the state the source reports (met on its actual date, or scheduled /
//     in progress at the end of January of the milestone's year); a missed
//     milestone is scheduled then and not_met (未完成) at the year's end,
//     and stays so;
//  2. for open milestones of the anchor year and later, an assessment at the
//     end of each quarter before it is reached, with percent complete and
//     the current forecast (moved by the story's slips);
//  3. met on its actual date.
func timeline(m seedMilestone, st msStory) []msState {
	planned := day(st.planned)
	if m.Status == seedMissed {
		return []msState{
			{asOf: monthEnd(m.Year, time.January), status: schema.MilestoneScheduled, forecast: st.planned},
			{asOf: monthEnd(m.Year, time.December), status: schema.MilestoneNotMet, note: missedNote},
		}
	}
	if m.Status == seedMet && st.actual == "" {
		st.actual = st.planned // met at the source: reached by its planned date
	}
	var actual time.Time
	if st.actual != "" {
		actual = day(st.actual)
	}
	met := msState{asOf: actual, status: schema.MilestoneMet, actual: st.actual, percent: pct(100), note: "节点已完成"}
	if m.Status == seedMet {
		return []msState{met}
	}
	yearStart := time.Date(m.Year, time.January, 1, 0, 0, 0, 0, schema.Location())
	first := msState{asOf: monthEnd(m.Year, time.January), status: schema.MilestoneStatus(m.Status), forecast: st.planned}
	if first.status == schema.MilestoneInProgress {
		first.percent = progress(yearStart, first.asOf, planned)
	}
	out := []msState{first}
	forecast := st.planned
	if m.Year >= anchorYear {
		for _, q := range []time.Month{time.March, time.June, time.September, time.December} {
			asOf := monthEnd(m.Year, q)
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
