package report

import (
	"time"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// ChangeLabel is the Chinese label of a status change: 新晋红榜, 退步, 持平,
// 好转, 摘牌, 首次.
func ChangeLabel(c rollup.Change) string {
	switch c {
	case rollup.ChangeFirst:
		return "首次"
	case rollup.ChangeSame:
		return "持平"
	case rollup.ChangeBetter:
		return "好转"
	case rollup.ChangeWorse:
		return "退步"
	case rollup.ChangeNewlyRed:
		return "新晋红榜"
	case rollup.ChangeRecovered:
		return "摘牌"
	}
	return string(c)
}

// AlertLabel is the Chinese label of a milestone alert: 逾期, 即将到期, 延后.
func AlertLabel(a rollup.Alert) string {
	switch a {
	case rollup.AlertOverdue:
		return "逾期"
	case rollup.AlertDue:
		return "即将到期"
	case rollup.AlertSlipped:
		return "延后"
	}
	return string(a)
}

// ReportingLabel is the Chinese label of a reporting status: 按时, 迟报,
// 未报送.
func ReportingLabel(s rollup.ReportingStatus) string {
	switch s {
	case rollup.ReportingOnTime:
		return "按时"
	case rollup.ReportingLate:
		return "迟报"
	case rollup.ReportingMissing:
		return "未报送"
	}
	return string(s)
}

// prevLabel is the previous status's label, or 无 when not reviewed then.
func prevLabel(s rating.Status) string {
	if s == "" {
		return "无"
	}
	return s.Label()
}

// milestoneStatusLabel is the milestone's status label, or 未更新 when it
// was never updated.
func milestoneStatusLabel(s string) string {
	if s == "" {
		return "未更新"
	}
	return schema.MilestoneStatus(s).Label()
}

// department is the department's name, else its id.
func department(name, id string) string {
	if name == "" {
		return id
	}
	return name
}

// date renders a date, or "" when zero.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(schema.Location()).Format(time.DateOnly)
}

// minute renders an instant to the minute, or "" when zero.
func minute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(schema.Location()).Format("2006-01-02 15:04")
}

// deadlineText renders a deadline; one at midnight is shown as 24:00 of
// the day before (2025-10-05 24:00), the last day reports are on time.
func deadlineText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(schema.Location())
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.AddDate(0, 0, -1).Format(time.DateOnly) + " 24:00"
	}
	return minute(t)
}

// monthLabel renders a month as 2025年9月.
func monthLabel(p schema.Period) string {
	return itoa(p.Year) + "年" + itoa(int(p.Month)) + "月"
}
