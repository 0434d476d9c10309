package report

import (
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// section is one table of the board, in display form (table, md) or data
// form (csv).
type section struct {
	heading string
	header  []string
	rows    [][]string
	// numeric marks the columns aligned right.
	numeric []bool
	// wide marks the free-text columns wrapped in a terminal.
	wide []bool
}

// notApplicable fills a display cell that has no value (no plan, unrated).
const notApplicable = "/"

// projectSection is the projects table. data selects the CSV form: exact
// numbers, more columns, empty cells for no value.
func (b *MonthlyBoard) projectSection(data bool) section {
	s := section{heading: "项目"}
	if data {
		s.header = []string{"项目", "项目编号", "部门", "地区", "类别", "本月完成(万元)", "本年累计(万元)", "年度计划(万元)",
			"完成率(%)", "序时进度(%)", "差距(百分点)", "状态", "原因", "已报送", "报送版本", "逾期节点数", "最长逾期天数", "原因(英文)"}
	} else {
		s.header = []string{"项目", "部门", "地区", "类别", "本月完成(万元)", "本年累计(万元)", "年度计划(万元)",
			"完成率", "序时进度", "差距(百分点)", "状态", "原因"}
		s.numeric = []bool{false, false, false, false, true, true, true, true, true, true, false, false}
		s.wide = []bool{true, false, false, false, false, false, false, false, false, false, false, true}
	}
	for _, p := range b.Projects {
		dept := p.DepartmentName
		if dept == "" {
			dept = p.DepartmentID
		}
		cat := schema.Category(p.Category).Label()
		if data {
			s.rows = append(s.rows, []string{p.NameZh, p.ProjectID, dept, p.Region, cat,
				exact(p.MonthCompletedWan), exact(p.YTDCompletedWan), optExact(p.AnnualPlanWan),
				optExact(p.CompletionPct), exact(p.TimeProgressPct), optExact(p.GapPP), p.Status.Label(), p.ReasonZh,
				boolDigit(p.Reported), itoa(int(p.ReportRevision)), itoa(p.OverdueMilestones), itoa(p.MaxOverdueDays), p.ReasonEn})
			continue
		}
		s.rows = append(s.rows, []string{p.NameZh, dept, p.Region, cat,
			p.MonthCompletedWan.StringFixed(2), p.YTDCompletedWan.StringFixed(2), optFixed(p.AnnualPlanWan, ""),
			optFixed(p.CompletionPct, "%"), p.TimeProgressPct.StringFixed(2) + "%", optSigned(p.GapPP),
			p.Status.Label(), p.ReasonZh})
	}
	return s
}

// totalSections are the totals: in data form one table with the overall
// row first, in display form a table per dimension.
func (b *MonthlyBoard) totalSections(data bool) []section {
	if data {
		s := section{heading: "汇总", header: []string{"维度", "分组", "分组编号", "项目数", "已报送", "绿", "黄", "红", "未评级",
			"本月完成(万元)", "本年累计(万元)", "评级项目年度计划(万元)", "完成率(%)", "序时进度(%)", "差距(百分点)"}}
		for _, t := range append([]rollup.TotalRow{b.Overall}, b.Groups...) {
			s.rows = append(s.rows, []string{t.Dimension.Label(), t.Label, t.Key, itoa(t.Projects), itoa(t.Reported),
				itoa(t.Green), itoa(t.Yellow), itoa(t.Red), itoa(t.Unrated), exact(t.MonthCompletedWan), exact(t.YTDCompletedWan),
				exact(t.AnnualPlanWan), optExact(t.CompletionPct), exact(t.TimeProgressPct), optExact(t.GapPP)})
		}
		return []section{s}
	}
	var out []section
	for _, d := range rollup.Dimensions()[1:] {
		first := map[rollup.Dimension]string{rollup.DimensionCategory: "类别", rollup.DimensionDepartment: "部门", rollup.DimensionRegion: "地区"}[d]
		s := section{heading: d.Label(), header: []string{first, "项目数", "已报送", "绿", "黄", "红", "未评级",
			"本月完成(亿元)", "本年累计(亿元)", "评级项目年度计划(亿元)", "完成率", "差距(百分点)"},
			numeric: []bool{false, true, true, true, true, true, true, true, true, true, true, true}}
		for _, t := range b.Groups {
			if t.Dimension != d {
				continue
			}
			s.rows = append(s.rows, []string{t.Label, itoa(t.Projects), itoa(t.Reported), itoa(t.Green), itoa(t.Yellow),
				itoa(t.Red), itoa(t.Unrated), yi(t.MonthCompletedWan), yi(t.YTDCompletedWan), yi(t.AnnualPlanWan),
				optFixed(t.CompletionPct, "%"), optSigned(t.GapPP)})
		}
		if len(s.rows) > 0 {
			out = append(out, s)
		}
	}
	return out
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

func itoa(n int) string { return decimal.NewFromInt(int64(n)).String() }
