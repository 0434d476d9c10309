package schema

import "strings"

// RuleCumulative is the rule of [CumulativeProblem]: the year-to-date is
// not the previous month's year-to-date plus the month, and no reason is
// given.
const RuleCumulative Rule = "cumulative"

// CumulativeProblem checks 本年累计 = 上月本年累计 + 本月完成 for a report
// whose previous month is known: prevYTD is the previous month's
// year-to-date (zero for January, whose year-to-date is the month's),
// where says where it comes from, in English and Chinese ("revision 2",
// "第2版"). Producers call it where they have the previous month: the
// intake from the stored reports, `kpp submit` from the same submission.
//
// A difference is not always an error — a reduction or a change of
// statistical scope (口径调整) in a past month shows up only in the
// cumulative figure — so a report whose correction_reason explains it is
// accepted; without one it is refused with the figures and what to do.
// It returns nil when the amounts are not all valid, when they add up,
// when a reason is given, or when the month is negative or above the
// year-to-date (which Validate refuses).
func CumulativeProblem(r *InvestmentReport, prevYTD Wan, prevPeriod, whereEn, whereZh string) *FieldError {
	if !r.YTDCompletedWan.Valid() || !r.MonthCompletedWan.Valid() || !prevYTD.Valid() {
		return nil
	}
	if r.YTDCompletedWan.Value.LessThan(r.MonthCompletedWan.Value) || r.MonthCompletedWan.Value.IsNegative() {
		return nil // Validate reports it
	}
	want := prevYTD.Value.Add(r.MonthCompletedWan.Value)
	if r.YTDCompletedWan.Value.Equal(want) || strings.TrimSpace(r.CorrectionReason) != "" {
		return nil
	}
	ytd, prev, month, sum := r.YTDCompletedWan.Display(), prevYTD.Display(), r.MonthCompletedWan.Display(), DisplayWan(want)
	diff := DisplayWan(r.YTDCompletedWan.Value.Sub(want))
	fe := &FieldError{Field: "ytd_completed_wan", Value: r.YTDCompletedWan.String(), Rule: RuleCumulative}
	if whereEn == "" {
		fe.MessageZh = "1月的本年累计（" + ytd + "万元）应等于本月完成（" + month + "万元）；如差额属实，请在“更正原因/说明”中写明原因"
		fe.MessageEn = "year-to-date " + ytd + " is not January's month " + month + " 万元; expected them equal, or a correction_reason explaining the difference"
		return fe
	}
	fe.MessageZh = "本年累计（" + ytd + "万元）不等于上月本年累计（" + prevPeriod + " " + whereZh + "：" + prev + "万元）加本月完成（" + month + "万元），即" + sum +
		"万元，相差" + diff + "万元；如差额属实（如核减、统计口径调整），请在“更正原因/说明”中写明原因，否则请核对数字或更正上月"
	fe.MessageEn = "year-to-date " + ytd + " is not the previous month's " + prev + " (" + prevPeriod + ", " + whereEn + ") plus the month's " + month + " = " + sum +
		" 万元 (difference " + diff + "); expected them equal, or a correction_reason explaining the difference (a reduction, a change of scope), or a correction of the previous month"
	return fe
}
