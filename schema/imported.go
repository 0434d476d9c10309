package schema

import (
	"strings"
	"time"
)

// SubmittedAtLayout is how [HeaderSubmittedAt] is written: RFC 3339 with
// the offset, e.g. 2025-10-03T09:30:00+08:00.
const SubmittedAtLayout = time.RFC3339

// CheckImport checks the envelope of an imported event: who imported it
// (required, at most 100 characters) and its declared submission time —
// given, not after now (the real arrival), not before the reported month
// began (investment reports) or before the day assessed (milestone
// updates). It returns a *ValidationError listing every problem, or nil.
// Producers check before publishing; ingest checks again.
func CheckImport(e Event, submittedAt time.Time, importedBy string, now time.Time) error {
	var l errs
	by := strings.TrimSpace(importedBy)
	switch {
	case by == "":
		l.add("imported_by", "", RuleRequired, "导入须注明导入人", "is required: an import names who imported it")
	case len([]rune(by)) > 100:
		l.add("imported_by", by, RuleRange, "导入人最长100个字符", "is longer than 100 characters")
	}
	if submittedAt.IsZero() {
		l.add("submitted_at", "", RuleRequired, "导入的历史数据须填写报送时间（submitted_at）",
			"is required: an imported record declares when it was submitted, e.g. 2025-10-03T09:30:00+08:00")
		return l.err()
	}
	at := submittedAt.In(Location())
	v := at.Format(SubmittedAtLayout)
	if !now.IsZero() && at.After(now) {
		l.add("submitted_at", v, RuleRange, "报送时间不能晚于当前时间", v+" is in the future; expected a time at or before now")
	}
	var earliest time.Time
	var what, whatZh string
	switch ev := e.(type) {
	case *InvestmentReport:
		if p, err := ParsePeriod(ev.Period); err == nil {
			earliest, what, whatZh = p.Start(), "the reported month "+ev.Period+" began", "报告月份"+ev.Period+"开始"
		}
	case *MilestoneUpdate:
		if d, err := ParseDate(ev.AsOf); err == nil {
			earliest, what, whatZh = d, "the day assessed (as_of "+ev.AsOf+")", "评估日期"+ev.AsOf
		}
	}
	if !earliest.IsZero() && at.Before(earliest) {
		l.add("submitted_at", v, RuleConsistency, "报送时间早于"+whatZh+"，请核对",
			v+" is before "+what+"; expected a time at or after it")
	}
	return l.err()
}
