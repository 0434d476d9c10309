package rollup

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// Board is the monthly dispatch board (红黄绿榜) of one month: a row per
// registered project and the totals, as stored in dispatch_monthly and
// dispatch_monthly_totals.
type Board struct {
	// Period is the month reviewed.
	Period schema.Period
	// ComputedAt is when the rollup ran (whole seconds, Asia/Shanghai).
	ComputedAt time.Time
	// Projects has a row per registered project, by project id.
	Projects []ProjectRow
	// Totals has the overall row first, then the rows per category,
	// department and region, each by key.
	Totals []TotalRow
}

// ProjectRow is one project's line of the board (a dispatch_monthly row).
// Money is in 万元; percentages and points are rounded half away from zero
// to two places.
type ProjectRow struct {
	ProjectID      string
	NameZh         string
	Region         string
	Category       string // category code, e.g. transport
	DepartmentID   string
	DepartmentName string
	Stage          string // stage code, e.g. construction
	// Reported is true when the month has a report; false is 未报送.
	Reported bool
	// ReportRevision is the revision of the month's report used (0 when
	// missing).
	ReportRevision uint32
	// MonthCompletedWan is 本月完成 (0 when missing).
	MonthCompletedWan decimal.Decimal
	// YTDCompletedWan is 本年累计: the month's report, else the latest
	// earlier report of the year, else 0.
	YTDCompletedWan decimal.Decimal
	// AnnualPlanWan is 年度计划; nil when none.
	AnnualPlanWan *decimal.Decimal
	// CompletionPct is YTD ÷ plan, %; nil when unrated.
	CompletionPct *decimal.Decimal
	// TimeProgressPct is month ÷ 12, %.
	TimeProgressPct decimal.Decimal
	// GapPP is completion minus time progress, percentage points; nil when
	// unrated.
	GapPP *decimal.Decimal
	// OverdueMilestones counts milestones past their planned date and not
	// met at the cut-off.
	OverdueMilestones int
	// MaxOverdueDays is how late the most overdue milestone is, in days.
	MaxOverdueDays int
	// Status is the rating.
	Status rating.Status
	// ReasonZh and ReasonEn say why.
	ReasonZh, ReasonEn string
}

// Dimension is what a total groups by.
type Dimension string

// The dimensions of dispatch_monthly_totals, in board order.
const (
	DimensionAll        Dimension = "all"
	DimensionCategory   Dimension = "category"
	DimensionDepartment Dimension = "department"
	DimensionRegion     Dimension = "region"
)

// Dimensions returns every dimension in board order.
func Dimensions() []Dimension {
	return []Dimension{DimensionAll, DimensionCategory, DimensionDepartment, DimensionRegion}
}

// Label is the dimension's Chinese heading: 合计, 按类别, 按部门, 按地区.
func (d Dimension) Label() string {
	switch d {
	case DimensionAll:
		return "合计"
	case DimensionCategory:
		return "按类别"
	case DimensionDepartment:
		return "按部门"
	case DimensionRegion:
		return "按地区"
	}
	return string(d)
}

func (d Dimension) rank() int {
	for i, x := range Dimensions() {
		if x == d {
			return i
		}
	}
	return len(Dimensions())
}

// TotalRow totals a group of projects (a dispatch_monthly_totals row).
type TotalRow struct {
	Dimension Dimension
	// Key is the category code, department id or region; "" for all.
	Key string
	// Label is the category's Chinese label, the department's name, the
	// region, or 全部 for all.
	Label    string
	Projects int
	Reported int
	Green    int
	Yellow   int
	Red      int
	Unrated  int
	// MonthCompletedWan and YTDCompletedWan sum every project of the group.
	MonthCompletedWan decimal.Decimal
	YTDCompletedWan   decimal.Decimal
	// AnnualPlanWan sums the plans of the group's rated projects.
	AnnualPlanWan decimal.Decimal
	// CompletionPct is the rated projects' YTD ÷ their plans, %; nil when
	// the group has no rated project.
	CompletionPct *decimal.Decimal
	// TimeProgressPct is month ÷ 12, %.
	TimeProgressPct decimal.Decimal
	// GapPP is completion minus time progress, points; nil when no rated
	// project.
	GapPP *decimal.Decimal
}

// Total returns the overall row (dimension all), or the zero row when the
// board has none.
func (b *Board) Total() TotalRow {
	for _, t := range b.Totals {
		if t.Dimension == DimensionAll {
			return t
		}
	}
	return TotalRow{Dimension: DimensionAll}
}
