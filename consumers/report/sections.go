package report

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// section is one table of the review, in display form (table, md) or data
// form (csv).
type section struct {
	// heading names the table; level 3 headings are sub-tables of the
	// level 2 heading before them (Markdown ### under ##).
	heading string
	level   int
	// id names the section in HTML anchors.
	id string
	// note is a sentence printed under the heading; when rows is empty it
	// replaces the table (display form).
	note   string
	header []string
	rows   [][]string
	// numeric marks the columns aligned right.
	numeric []bool
	// wrap is, per column, the width in terminal cells at which the
	// terminal table wraps its text (0: no wrapping).
	wrap []int
	// classes are, per row, the HTML class of the row ("" for none).
	classes []string
	// nowrap marks the columns of short labels (地区, 类别, 状态 …) that the
	// printed page keeps on one line.
	nowrap []bool
}

// Widths at which the free text of the terminal table wraps, in terminal
// cells (a Chinese character is two).
const (
	nameWidth    = 28
	reasonWidth  = 48
	summaryWidth = 100
)

// notApplicable fills a display cell that has no value (no plan, unrated).
const notApplicable = "/"

// displaySections are the tables of the table and Markdown formats, in
// reading order.
func (r *Review) displaySections(ctx context.Context) ([]section, error) {
	projects, err := r.projectSection(ctx)
	if err != nil {
		return nil, err
	}
	changed, err := r.changeSection(ctx)
	if err != nil {
		return nil, err
	}
	out := []section{projects}
	for _, st := range []rating.Status{rating.Red, rating.Yellow} {
		list, err := r.statusListSection(ctx, st)
		if err != nil {
			return nil, err
		}
		list.level = 2
		out = append(out, list)
	}
	out = append(out, changed)
	out = append(out, r.rankingSections()...)
	out = append(out, r.missingSection(), r.lateSection())
	out = append(out, r.milestoneSections()...)
	return append(out, r.trendSection(false)), nil
}

// projectSection is the projects table, in display form.
func (r *Review) projectSection(ctx context.Context) (section, error) {
	s := section{heading: "项目", level: 2,
		header: []string{"项目", "部门", "地区", "类别", r.periodWord() + "完成(万元)", "本年累计(万元)", "年度计划(万元)",
			"完成率", "序时进度", "差距(百分点)", "状态", "变化", "原因"},
		numeric: []bool{false, false, false, false, true, true, true, true, true, true, false, false, false},
		wrap:    []int{nameWidth, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, reasonWidth},
		nowrap:  []bool{false, false, true, true, false, false, false, false, false, false, true, true, false}}
	err := r.eachProject(ctx, rollup.ProjectSelection{}, func(p rollup.ProjectRow) error {
		s.classes = append(s.classes, "s-"+string(p.Status))
		s.rows = append(s.rows, []string{p.NameZh, department(p.DepartmentName, p.DepartmentID), p.Region,
			schema.Category(p.Category).Label(), p.PeriodCompletedWan.StringFixed(2), p.YTDCompletedWan.StringFixed(2),
			optFixed(p.AnnualPlanWan, ""), optFixed(p.CompletionPct, "%"), p.TimeProgressPct.StringFixed(2) + "%",
			optSigned(p.GapPP), p.Status.Label(), ChangeLabel(p.Change), p.ReasonZh})
		return nil
	})
	return s, err
}

// projectDataHeader is the header of the CSV projects: exact numbers, more
// columns than the display form. A monthly review's period is the month, so
// its 本月完成 is given once; a weekly or ten-day review adds 本月完成 of the
// report used (报送月份).
func (r *Review) projectDataHeader() []string {
	pw := r.periodWord()
	h := []string{"项目", "项目编号", "部门", "部门编号", "地区", "类别", "阶段", pw + "完成(万元)"}
	if r.Period.Kind != schema.ReviewMonthly {
		h = append(h, "报送月份本月完成(万元)")
	}
	return append(h, "本年累计(万元)", "年度计划(万元)", "完成率(%)", "序时进度(%)", "差距(百分点)", "状态", "原因", "上次状态", "变化",
		"已报送", "报送月份", "报送版本", "逾期节点数", "最长逾期天数", "连续落后次数", "原因(英文)",
		"存在问题", "下步计划", "责任单位", "责任人", "分管领导")
}

// projectDataRow is a project's CSV row: empty cells for no value.
func (r *Review) projectDataRow(p rollup.ProjectRow) []string {
	rp := ""
	if p.ReportPeriod.Year != 0 {
		rp = p.ReportPeriod.String()
	}
	prev := ""
	if p.PrevStatus != "" {
		prev = p.PrevStatus.Label()
	}
	row := []string{p.NameZh, p.ProjectID, department(p.DepartmentName, p.DepartmentID), p.DepartmentID, p.Region,
		schema.Category(p.Category).Label(), schema.Stage(p.Stage).Label(), exact(p.PeriodCompletedWan)}
	if r.Period.Kind != schema.ReviewMonthly {
		row = append(row, exact(p.MonthCompletedWan))
	}
	return append(row, exact(p.YTDCompletedWan), optExact(p.AnnualPlanWan), optExact(p.CompletionPct),
		exact(p.TimeProgressPct), optExact(p.GapPP), p.Status.Label(), p.ReasonZh, prev, ChangeLabel(p.Change),
		boolDigit(p.Reported), rp, itoa(int(p.ReportRevision)), itoa(p.OverdueMilestones), itoa(p.MaxOverdueDays),
		itoa(p.ShortStreak), p.ReasonEn, p.Problems, p.NextSteps, p.ResponsibleUnit, p.ResponsiblePerson, p.LeadOfficial)
}

// changeSection lists the status changes since the previous review.
func (r *Review) changeSection(ctx context.Context) (section, error) {
	s := r.changeSpec()
	err := r.eachProject(ctx, rollup.ProjectSelection{Changed: true}, func(p rollup.ProjectRow) error {
		s.classes = append(s.classes, "s-"+string(p.Status))
		s.rows = append(s.rows, changeRow(p))
		return nil
	})
	return s, err
}

// changeSpec is the status-change section without its rows.
func (r *Review) changeSpec() section {
	s := section{heading: "状态变化（较上次" + r.Name() + "）", level: 2,
		header:  []string{"变化", "项目", "部门", "上次状态", "本次状态", "差距(百分点)", "原因"},
		numeric: []bool{false, false, false, false, false, true, false},
		wrap:    []int{0, nameWidth, 0, 0, 0, 0, reasonWidth},
		nowrap:  []bool{true, false, false, true, true, false, false}}
	switch {
	case !r.hasPrevious():
		s.note = "首次" + r.Name() + "，无上次结果可比。"
	case r.countChanged() == 0:
		s.note = "与上次相比，没有项目状态变化。"
	default:
		s.note = fmt.Sprintf("新晋红榜%d个、退步%d个、好转%d个、摘牌%d个。", r.CountChange(rollup.ChangeNewlyRed),
			r.CountChange(rollup.ChangeWorse), r.CountChange(rollup.ChangeBetter), r.CountChange(rollup.ChangeRecovered))
	}
	return s
}

// changeRow is a project's row of the status changes.
func changeRow(p rollup.ProjectRow) []string {
	return []string{ChangeLabel(p.Change), p.NameZh, department(p.DepartmentName, p.DepartmentID),
		prevLabel(p.PrevStatus), p.Status.Label(), optSigned(p.GapPP), p.ReasonZh}
}

// statusListSection is the list of the projects of a status (红榜, 黄榜)
// in board order, with what the meeting discusses: how far behind, for how
// many reviews, the change and the reason.
func (r *Review) statusListSection(ctx context.Context, st rating.Status) (section, error) {
	s := r.statusListSpec(st)
	err := r.eachProject(ctx, rollup.ProjectSelection{Status: st}, func(p rollup.ProjectRow) error {
		s.classes = append(s.classes, "s-"+string(p.Status))
		s.rows = append(s.rows, statusListRow(len(s.rows)+1, p))
		return nil
	})
	return s, err
}

// statusListSpec is the list of a status without its rows.
func (r *Review) statusListSpec(st rating.Status) section {
	n := r.CountStatus(st)
	s := section{heading: fmt.Sprintf("%s榜（%d个）", st.Label(), n), level: 3,
		header: []string{"序号", "项目", "部门", "地区", "本年累计(万元)", "年度计划(万元)", "完成率", "序时进度",
			"差距(百分点)", "逾期节点", "连续落后(次)", "变化", "原因", "存在问题", "下步计划", "责任单位", "责任人", "分管领导"},
		numeric: []bool{true, false, false, false, true, true, true, true, true, true, true, false, false, false, false, false, false, false},
		wrap:    []int{0, nameWidth, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, reasonWidth, reasonWidth, reasonWidth, 0, 0, 0},
		nowrap:  []bool{false, false, false, true, false, false, false, false, false, false, false, true, false, false, false, false, true, true}}
	if n == 0 {
		s.note = "无。"
	}
	return s
}

// statusListRow is the i-th (from 1) project's row of its status list:
// the figures, the reason, what the clerk reported (存在问题, 下步计划) and
// who answers for the project (责任单位, 责任人, 分管领导).
func statusListRow(i int, p rollup.ProjectRow) []string {
	return []string{itoa(i), p.NameZh, department(p.DepartmentName, p.DepartmentID), p.Region,
		p.YTDCompletedWan.StringFixed(2), optFixed(p.AnnualPlanWan, ""), optFixed(p.CompletionPct, "%"),
		p.TimeProgressPct.StringFixed(2) + "%", optSigned(p.GapPP), itoa(p.OverdueMilestones), itoa(p.ShortStreak),
		ChangeLabel(p.Change), p.ReasonZh, p.Problems, p.NextSteps, p.ResponsibleUnit, p.ResponsiblePerson, p.LeadOfficial}
}

// rankingDimensions are the rankings in reading order: department, region,
// category.
var rankingDimensions = []rollup.Dimension{rollup.DimensionDepartment, rollup.DimensionRegion, rollup.DimensionCategory}

// groupHeading is the first column's heading of a dimension.
func groupHeading(d rollup.Dimension) string {
	switch d {
	case rollup.DimensionCategory:
		return "类别"
	case rollup.DimensionDepartment:
		return "部门"
	case rollup.DimensionRegion:
		return "地区"
	}
	return "分组"
}

// rankingSections are the rankings by department, region and category.
func (r *Review) rankingSections() []section {
	var out []section
	for _, d := range rankingDimensions {
		s := section{heading: "排名（" + d.Label() + "）", level: 2, id: "ranking-" + string(d),
			header: []string{"名次", groupHeading(d), "项目数", "红", "黄", "绿", "未评级", "已报送", "未报送", "迟报",
				r.periodWord() + "完成(亿元)", "本年累计(亿元)", "评级项目年度计划(亿元)", "完成率", "差距(百分点)"},
			numeric: []bool{true, false, true, true, true, true, true, true, true, true, true, true, true, true, true}}
		for _, t := range r.Ranking(d) {
			s.rows = append(s.rows, []string{rankCell(t.Rank), t.Label, itoa(t.Projects), itoa(t.Red), itoa(t.Yellow),
				itoa(t.Green), itoa(t.Unrated), itoa(t.Reported), itoa(t.Missing), itoa(t.Late), yi(t.PeriodCompletedWan),
				yi(t.YTDCompletedWan), yi(t.AnnualPlanWan), optFixed(t.CompletionPct, "%"), optSigned(t.GapPP)})
		}
		if len(s.rows) > 0 {
			out = append(out, s)
		}
	}
	return out
}

func rankCell(rank int) string {
	if rank <= 0 {
		return ""
	}
	return itoa(rank)
}

// dueLabel names the month due and its deadline: 2025年9月月报（截止2025-10-06 00:00）.
func (r *Review) dueLabel() string {
	s := monthLabel(r.DueMonth()) + "月报"
	if d := r.Deadline(); !d.IsZero() {
		s += "（报送截止" + deadlineText(d) + "）"
	}
	return s
}

// missingSection lists the missing reports (未报送) grouped by department:
// the department is named on its first row, with its count.
func (r *Review) missingSection() section {
	s := section{heading: "未报送", level: 2,
		header:  []string{"部门", "项目", "应报月份", "已逾期(天)"},
		numeric: []bool{false, false, false, true},
		wrap:    []int{0, nameWidth, 0, 0}}
	groups := r.MissingByDepartment()
	n := len(r.ReportingWith(rollup.ReportingMissing))
	if n == 0 {
		s.note = r.dueLabel() + "：没有未报送的项目。"
		return s
	}
	s.note = fmt.Sprintf("%s：%d个部门共%d个项目未报送。", r.dueLabel(), len(groups), n)
	for _, g := range groups {
		for i, x := range g.Rows {
			dept, class := "", ""
			if i == 0 {
				dept = fmt.Sprintf("%s（%d个）", department(g.DepartmentName, g.DepartmentID), len(g.Rows))
				class = "group-start"
			}
			s.classes = append(s.classes, class)
			s.rows = append(s.rows, []string{dept, x.NameZh, x.ReportPeriod.String(), itoa(x.DaysLate)})
		}
	}
	return s
}

// lateSection lists the late reports (迟报).
func (r *Review) lateSection() section {
	s := section{heading: "迟报", level: 2,
		header:  []string{"部门", "项目", "应报月份", "报送截止", "首次报送时间", "迟报(天)"},
		numeric: []bool{false, false, false, false, false, true},
		wrap:    []int{0, nameWidth, 0, 0, 0, 0}}
	late := r.ReportingWith(rollup.ReportingLate)
	if len(late) == 0 {
		s.note = r.dueLabel() + "：没有迟报的项目。"
		return s
	}
	s.note = fmt.Sprintf("%s：%d个项目迟报（已计入报送）。", r.dueLabel(), len(late))
	for _, x := range late {
		s.rows = append(s.rows, []string{department(x.DepartmentName, x.DepartmentID), x.NameZh, x.ReportPeriod.String(),
			deadlineText(x.Deadline), minute(x.FirstReceivedAt), itoa(x.DaysLate)})
	}
	return s
}

// milestoneSections are the milestone alerts: overdue, due soon, slipped.
func (r *Review) milestoneSections() []section {
	out := []section{{heading: "节点预警", level: 2, note: fmt.Sprintf("逾期%d个、即将到期%d个、延后%d个。",
		len(r.Alerts(rollup.AlertOverdue)), len(r.Alerts(rollup.AlertDue)), len(r.Alerts(rollup.AlertSlipped)))}}
	for _, a := range []rollup.Alert{rollup.AlertOverdue, rollup.AlertDue, rollup.AlertSlipped} {
		s := section{level: 3, wrap: []int{nameWidth, 0, nameWidth}}
		switch a {
		case rollup.AlertOverdue:
			s.heading = "逾期节点"
			s.header = []string{"项目", "部门", "节点", "状态", "计划日期", "预计日期", "逾期(天)"}
		case rollup.AlertDue:
			s.heading = "即将到期节点"
			s.header = []string{"项目", "部门", "节点", "状态", "计划日期", "预计日期", "距到期(天)"}
		case rollup.AlertSlipped:
			s.heading = "延后节点"
			s.header = []string{"项目", "部门", "节点", "状态", "计划日期", "上次预计", "本次预计", "延后(天)"}
		}
		s.numeric = make([]bool, len(s.header))
		s.numeric[len(s.header)-1] = true
		for _, m := range r.Alerts(a) {
			row := []string{m.NameZh, department(m.DepartmentName, m.DepartmentID), m.Title, milestoneStatusLabel(m.Status), date(m.PlannedDate)}
			if a == rollup.AlertSlipped {
				row = append(row, date(m.PrevForecastDate))
			}
			s.rows = append(s.rows, append(row, date(m.ForecastDate), itoa(m.Days)))
		}
		if len(s.rows) == 0 {
			s.note = "无。"
		}
		out = append(out, s)
	}
	return out
}

// trendSection is the year's investment by month; data selects 万元 as
// stored instead of 亿元.
func (r *Review) trendSection(data bool) section {
	s := section{heading: fmt.Sprintf("%d年各月完成投资", r.Period.Year()), level: 2}
	if data {
		s.header = []string{"月份", "完成投资(万元)", "累计(万元)"}
	} else {
		s.header = []string{"月份", "完成投资(亿元)", "累计(亿元)"}
		s.numeric = []bool{false, true, true}
	}
	sum := decimal.Zero
	for _, m := range r.Trend {
		sum = sum.Add(m.AmountWan)
		if data {
			s.rows = append(s.rows, []string{m.Month.String(), exact(m.AmountWan), exact(sum)})
		} else {
			s.rows = append(s.rows, []string{monthLabel(m.Month), yi(m.AmountWan), yi(sum)})
		}
	}
	if len(s.rows) == 0 {
		s.note = "本年尚无报送。"
	}
	return s
}

// totalsData is the CSV totals: the overall row first, then the groups. A
// monthly review gives its 本月完成 once (see projectDataHeader).
func (r *Review) totalsData() section {
	monthly := r.Period.Kind == schema.ReviewMonthly
	s := section{heading: "汇总", header: []string{"维度", "名次", "分组", "分组编号", "项目数", "已报送", "未报送", "迟报",
		"绿", "黄", "红", "未评级", r.periodWord() + "完成(万元)"}}
	if !monthly {
		s.header = append(s.header, "报送月份本月完成(万元)")
	}
	s.header = append(s.header, "本年累计(万元)", "评级项目年度计划(万元)", "完成率(%)", "序时进度(%)", "差距(百分点)")
	for _, t := range append([]rollup.TotalRow{r.Overall}, r.Groups...) {
		row := []string{t.Dimension.Label(), rankCell(t.Rank), t.Label, t.Key, itoa(t.Projects),
			itoa(t.Reported), itoa(t.Missing), itoa(t.Late), itoa(t.Green), itoa(t.Yellow), itoa(t.Red), itoa(t.Unrated),
			exact(t.PeriodCompletedWan)}
		if !monthly {
			row = append(row, exact(t.MonthCompletedWan))
		}
		s.rows = append(s.rows, append(row, exact(t.YTDCompletedWan), exact(t.AnnualPlanWan),
			optExact(t.CompletionPct), exact(t.TimeProgressPct), optExact(t.GapPP)))
	}
	return s
}

// reportingDataHeader is the header of the CSV reporting status of every
// project.
var reportingDataHeader = []string{"报送状态", "部门", "部门编号", "项目", "项目编号", "应报月份", "报送截止", "首次报送时间", "天数"}

// reportingDataRow is a project's CSV reporting row.
func reportingDataRow(x rollup.ReportingRow) []string {
	return []string{ReportingLabel(x.Status), department(x.DepartmentName, x.DepartmentID), x.DepartmentID, x.NameZh,
		x.ProjectID, x.ReportPeriod.String(), minute(x.Deadline), minute(x.FirstReceivedAt), itoa(x.DaysLate)}
}

// milestonesData is the CSV milestone alerts.
func (r *Review) milestonesData() section {
	s := section{heading: "节点预警", header: []string{"预警", "项目", "项目编号", "部门", "节点", "节点编号", "状态",
		"计划日期", "上次预计", "本次预计", "天数"}}
	for _, m := range r.Milestones {
		s.rows = append(s.rows, []string{AlertLabel(m.Alert), m.NameZh, m.ProjectID,
			department(m.DepartmentName, m.DepartmentID), m.Title, m.MilestoneID, milestoneStatusLabel(m.Status),
			date(m.PlannedDate), date(m.PrevForecastDate), date(m.ForecastDate), itoa(m.Days)})
	}
	return s
}

// exact renders a stored number as it is stored, e.g. 80000.5000 or 62.50.
func exact(d decimal.Decimal) string {
	places := -d.Exponent()
	if places < 0 {
		places = 0
	}
	return d.StringFixed(places)
}

func optExact(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return exact(*d)
}

func optFixed(d *decimal.Decimal, unit string) string {
	if d == nil {
		return notApplicable
	}
	return d.StringFixed(2) + unit
}

func optSigned(d *decimal.Decimal) string {
	if d == nil {
		return notApplicable
	}
	return signed(*d)
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func itoa(n int) string { return strconv.Itoa(n) }
