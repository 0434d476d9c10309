package rollup

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// Board is the dispatch board (红黄绿榜) of one review — weekly (周分析),
// ten-day (旬调度) or monthly (月例会): a row per registered project, the
// totals and rankings, the milestone alerts and the reporting status, as
// stored in dispatch_projects, dispatch_totals, dispatch_milestones and
// dispatch_reporting.
type Board struct {
	// Period is the review period (its Kind says which review).
	Period schema.ReviewPeriod
	// ComputedAt is when the rollup ran (whole seconds, Asia/Shanghai).
	ComputedAt time.Time
	// RunID is the rollup run that computed the board.
	RunID string
	// Cutoff is the instant the data was read as of: reports, revisions and
	// milestone updates received before it count. It is the period's end
	// for weekly and ten-day reviews; for the monthly review, the second
	// after the run started (everything received by then).
	Cutoff time.Time
	// Projects has a row per registered project, by project id.
	Projects []ProjectRow
	// Totals has the overall row first, then the rows per category,
	// department and region, each by key.
	Totals []TotalRow
	// Milestones are the alerts: due within the look-ahead days, overdue,
	// slipped since the previous review; by alert, project, milestone.
	Milestones []MilestoneAlert
	// Reporting is the reporting status of the month due at the review
	// (missing 未报送, late 迟报, on time), by department then project.
	Reporting []ReportingRow
	// Trend is the year's investment by month (本月完成 summed over every
	// project, latest revision as of the cut-off), January first, through
	// the last month with a report.
	Trend []MonthAmount
}

// MilestoneAlert is one milestone needing attention (a dispatch_milestones
// row).
type MilestoneAlert struct {
	ProjectID, NameZh, DepartmentID, DepartmentName string
	MilestoneID, Title                              string
	// Alert is due, overdue or slipped.
	Alert Alert
	// Status is the milestone's status at the cut-off ("" when never
	// updated).
	Status string
	// PlannedDate, ForecastDate and PrevForecastDate are zero when unknown.
	PlannedDate, ForecastDate, PrevForecastDate time.Time
	// Days: due — days until the date; overdue — days past the planned
	// date; slipped — days the forecast moved later since the previous
	// review.
	Days int
}

// Alert is the kind of milestone alert.
type Alert string

// The milestone alerts.
const (
	AlertDue     Alert = "due"
	AlertOverdue Alert = "overdue"
	AlertSlipped Alert = "slipped"
)

// ReportingRow is the reporting status of one project for the month due (a
// dispatch_reporting row).
type ReportingRow struct {
	ProjectID, NameZh, DepartmentID, DepartmentName string
	// ReportPeriod is the month whose report was due.
	ReportPeriod schema.Period
	// Status is on_time, late or missing.
	Status ReportingStatus
	// Deadline is the instant the reporting deadline passed: midnight
	// after the last day to report (2025-10-06 00:00 for "by the 5th").
	Deadline time.Time
	// FirstReceivedAt is when the first revision arrived (zero if none).
	FirstReceivedAt time.Time
	// DaysLate: late — days after the last day to report that it arrived;
	// missing — days from the last day to report to the cut-off's day; 0
	// when on time.
	DaysLate int
}

// ReportingStatus is on_time, late (迟报) or missing (未报送).
type ReportingStatus string

// The reporting statuses.
const (
	ReportingOnTime  ReportingStatus = "on_time"
	ReportingLate    ReportingStatus = "late"
	ReportingMissing ReportingStatus = "missing"
)

// MonthAmount is the investment completed in one month, 万元.
type MonthAmount struct {
	Month     schema.Period
	AmountWan decimal.Decimal
}

// Change is how a project's status moved since the previous review of the
// same kind.
type Change string

// The changes. NewlyRed: red now and not before; Recovered: green now
// after red or yellow; First: not reviewed before.
const (
	ChangeFirst     Change = "first"
	ChangeSame      Change = "same"
	ChangeBetter    Change = "better"
	ChangeWorse     Change = "worse"
	ChangeNewlyRed  Change = "newly_red"
	ChangeRecovered Change = "recovered"
)

// ProjectRow is one project's line of the board (a dispatch_projects row).
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
	// ResponsibleUnit (责任单位), ResponsiblePerson (责任人) and
	// LeadOfficial (分管领导) are the register's as of the cut-off.
	ResponsibleUnit, ResponsiblePerson, LeadOfficial string
	// Problems (存在问题) and NextSteps (下步计划) are what the report the
	// figures come from (ReportPeriod, its highest revision by the
	// cut-off) said; empty when there is none this year. A monthly review
	// whose month was not reported shows the earlier report's.
	Problems, NextSteps string
	// Reported is true when the month under review (monthly) or due
	// (weekly, dekad) was reported by the cut-off; false is 未报送.
	Reported bool
	// ReportPeriod is the month whose report the figures come from (zero
	// when none this year).
	ReportPeriod schema.Period
	// ReportRevision is the revision of the report used: of ReportPeriod's
	// report (weekly, dekad), of the reviewed month's (monthly; 0 when
	// missing).
	ReportRevision uint32
	// PeriodCompletedWan is completed in the review period: the month
	// (monthly), or the rise of YTD since the previous review (weekly,
	// dekad).
	PeriodCompletedWan decimal.Decimal
	// MonthCompletedWan is 本月完成 of ReportPeriod's report (weekly,
	// dekad), of the reviewed month (monthly; 0 when missing).
	MonthCompletedWan decimal.Decimal
	// YTDCompletedWan is 本年累计 of ReportPeriod's report: the reviewed
	// month's (monthly) or the latest of the year up to the cut-off's month
	// (weekly, dekad), else the latest earlier report of the year, else 0.
	YTDCompletedWan decimal.Decimal
	// AnnualPlanWan is 年度计划; nil when none.
	AnnualPlanWan *decimal.Decimal
	// CompletionPct is YTD ÷ plan, %; nil when unrated.
	CompletionPct *decimal.Decimal
	// TimeProgressPct is the time progress (序时进度), %: month ÷ 12
	// (monthly), days elapsed ÷ days in the year (weekly, dekad), or the
	// phased plan's share (rules basis phased_plan).
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
	// ShortStreak counts consecutive reviews of this kind, this one
	// included, short of time progress (for escalation).
	ShortStreak int
	// PrevStatus is the status at the previous review of the same kind;
	// "" when not reviewed then.
	PrevStatus rating.Status
	// Change is how the status moved since then.
	Change Change
}

// Dimension is what a total groups by.
type Dimension string

// The dimensions of dispatch_totals, in board order.
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

// TotalRow totals a group of projects (a dispatch_totals row).
type TotalRow struct {
	Dimension Dimension
	// Key is the category code, department id or region; "" for all.
	Key string
	// Label is the category's Chinese label, the department's name, the
	// region, or 全部 for all.
	Label    string
	Projects int
	Reported int
	// Missing and Late count 未报送 and 迟报 for the month due.
	Missing int
	Late    int
	Green   int
	Yellow  int
	Red     int
	Unrated int
	// PeriodCompletedWan, MonthCompletedWan and YTDCompletedWan sum every
	// project of the group.
	PeriodCompletedWan decimal.Decimal
	MonthCompletedWan  decimal.Decimal
	YTDCompletedWan    decimal.Decimal
	// AnnualPlanWan sums the plans of the group's rated projects.
	AnnualPlanWan decimal.Decimal
	// CompletionPct is the rated projects' YTD ÷ their plans, %; nil when
	// the group has no rated project.
	CompletionPct *decimal.Decimal
	// TimeProgressPct is the review's time progress, % (with the phased
	// plan basis, the rated projects' progress weighted by plan).
	TimeProgressPct decimal.Decimal
	// GapPP is completion minus time progress, points; nil when no rated
	// project.
	GapPP *decimal.Decimal
	// Rank is the place within the dimension in the order the meeting
	// reads (1 first); 0 for the overall row.
	Rank int
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
