// Package rating decides a key project's red/yellow/green status (红黄绿榜)
// at a review, and says why in Chinese and English. The rule is
// configuration: one TOML file read by [LoadRules] (the commented default
// is [DefaultFile]), documented in docs/dispatch.md.
//
// A project is rated on its investment completion (投资完成率 = year-to-date
// completed ÷ annual plan) against the time progress (序时进度: m/12 for
// month m, days elapsed ÷ days in the year at a part-month cut-off, or the
// project's phased monthly plan with basis = "phased_plan"), and on its
// overdue milestones:
//
//   - pp_gap mode (the default): green when completion ≥ time progress;
//     yellow when short by up to [Rules.YellowBand] percentage points (10);
//     red when short by more.
//   - ratio mode (Wuhan): completion ÷ time progress; green at or above
//     [Rules.RatioYellowBelow] (0.8), yellow below it down to
//     [Rules.RatioRedBelow] (0.6), red below that.
//   - In both modes a milestone not met more than
//     [Rules.MilestoneOverdueDays] (30) days after its planned date makes the
//     project red.
//   - With [Rules.EscalateAfter] N > 0, a yellow project that has been
//     short of time progress in N consecutive reviews of the same kind is
//     red, and says so.
//   - A project with no annual plan for the year (or a plan of 0) is not
//     rated (unrated), and says so.
//
// The rules also carry the review settings that go with them: the
// look-ahead of the milestone alerts and the reporting deadline
// ([Deadline]), from which late (迟报) and missing (未报送) reports are
// judged.
//
// Every comparison is exact: amounts are decimals, the time progress is a
// [Fraction], and the bands are compared by cross-multiplication, never
// with floats. Only the figures shown (percentages, points) are rounded,
// half away from zero, to two places.
package rating

import (
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// Mode says what a project's completion is compared by.
type Mode string

// The rating modes.
const (
	// ModeGap compares completion and time progress in percentage points
	// (完成率低于序时进度N个百分点). It is the default.
	ModeGap Mode = "pp_gap"
	// ModeRatio compares the ratio completion ÷ time progress
	// (完成率为序时进度的N%), as Wuhan does.
	ModeRatio Mode = "ratio"
)

// Modes returns every mode, the default first.
func Modes() []Mode { return []Mode{ModeGap, ModeRatio} }

// Basis says what a project's time progress is taken from.
type Basis string

// The time-progress bases.
const (
	// BasisTime is the calendar (the default): month m of 12 at a month's
	// end, days elapsed ÷ days in the year at a part-month cut-off.
	BasisTime Basis = "time"
	// BasisPhasedPlan is the project's phased monthly plan (分月计划) where
	// one is registered for the year: the share of the annual plan planned
	// up to the cut-off. Projects without one use the calendar.
	BasisPhasedPlan Basis = "phased_plan"
)

// Defaults of [Rules]. A zero field of Rules takes its default.
const (
	// DefaultMode is pp_gap.
	DefaultMode = ModeGap
	// DefaultYellowBand is 10 percentage points.
	DefaultYellowBand = "10"
	// DefaultRatioYellowBelow is 0.8: below 80% of time progress is yellow.
	DefaultRatioYellowBelow = "0.8"
	// DefaultRatioRedBelow is 0.6: below 60% of time progress is red.
	DefaultRatioRedBelow = "0.6"
	// DefaultMilestoneOverdueDays is 30 days.
	DefaultMilestoneOverdueDays = 30
	// DefaultMilestoneDueDays is 14: milestones due within the next 14
	// days are listed.
	DefaultMilestoneDueDays = 14
	// DefaultBasis is the calendar.
	DefaultBasis = BasisTime
	// DefaultDeadlineDay is 5: a month's report is due by the 5th of the
	// next month (Zhejiang).
	DefaultDeadlineDay = 5
)

// Rules is the rating rule and the review settings that go with it: the
// red/yellow/green bands, the milestone rules, escalation, the basis of
// time progress and the reporting deadline. It is read from one TOML file
// by [LoadRules]; every key is described in docs/dispatch.md and in the
// commented default file ([DefaultFile]).
//
// The zero value is the default rule; a zero field takes its default, so a
// band of exactly 0 cannot be configured: to make nearly every shortfall
// red, use a tiny band such as 0.0001.
type Rules struct {
	// Mode is pp_gap (default) or ratio.
	Mode Mode `json:"mode"`
	// YellowBand is, in pp_gap mode, the largest shortfall in percentage
	// points that is still yellow: short by up to YellowBand is yellow,
	// short by more is red. Default 10.
	YellowBand decimal.Decimal `json:"yellow_band"`
	// RatioYellowBelow is, in ratio mode, the ratio completion ÷ time
	// progress below which a project is yellow (at or above it, green).
	// Default 0.8 (Wuhan: below 80% of time progress).
	RatioYellowBelow decimal.Decimal `json:"ratio_yellow_below"`
	// RatioRedBelow is, in ratio mode, the ratio below which a project is
	// red. Default 0.6 (Wuhan: below 60% of time progress). Set 1.0 and 0.8
	// for "yellow below time progress, red below 80% of it".
	RatioRedBelow decimal.Decimal `json:"ratio_red_below"`
	// MilestoneOverdueDays is how many days past its planned date a
	// milestone may be unmet before the project is red: more than this many
	// days is red. Default 30.
	MilestoneOverdueDays int `json:"milestone_overdue_days"`
	// EscalateAfter turns a yellow project red when it has been short of
	// time progress (rated yellow or red on investment) in this many
	// consecutive reviews of the same kind, this one included. 0 (the
	// default) turns escalation off; 2 is Sanya's "two in a row".
	EscalateAfter int `json:"escalate_after"`
	// Basis is what time progress is taken from: time (default) or
	// phased_plan.
	Basis Basis `json:"basis"`
	// MilestoneDueDays is the look-ahead of the milestone alerts: a
	// milestone not met whose planned or forecast date falls within this
	// many days of the review's last day is listed as due. Default 14.
	MilestoneDueDays int `json:"milestone_due_days"`
	// Deadline is when a month's report is due.
	Deadline Deadline `json:"deadline"`
}

// DefaultRules returns the default rule with every field filled in.
func DefaultRules() Rules { return Rules{}.withDefaults() }

// WithDefaults returns the rule with every zero field set to its default:
// the rule a review actually applies, e.g. to record with a run.
func (r Rules) WithDefaults() Rules { return r.withDefaults() }

func (r Rules) withDefaults() Rules {
	if r.Mode == "" {
		r.Mode = DefaultMode
	}
	if r.YellowBand.IsZero() {
		r.YellowBand = decimal.RequireFromString(DefaultYellowBand)
	}
	if r.RatioYellowBelow.IsZero() {
		r.RatioYellowBelow = decimal.RequireFromString(DefaultRatioYellowBelow)
	}
	if r.RatioRedBelow.IsZero() {
		r.RatioRedBelow = decimal.RequireFromString(DefaultRatioRedBelow)
	}
	if r.MilestoneOverdueDays == 0 {
		r.MilestoneOverdueDays = DefaultMilestoneOverdueDays
	}
	if r.Basis == "" {
		r.Basis = DefaultBasis
	}
	if r.MilestoneDueDays == 0 {
		r.MilestoneDueDays = DefaultMilestoneDueDays
	}
	r.Deadline = r.Deadline.withDefaults()
	return r
}

// Validate reports the first problem of the rule with its defaults applied,
// naming the key of the rules file: an unknown mode or basis, a band
// outside 0-100 points, ratio bands not in 0 < red < yellow, a negative
// number of days, or a bad deadline.
func (r Rules) Validate() error {
	r = r.withDefaults()
	switch {
	case r.Mode != ModeGap && r.Mode != ModeRatio:
		return keyErr("mode", "mode %q is not a rating mode; expected %s or %s", r.Mode, ModeGap, ModeRatio)
	case r.YellowBand.IsNegative() || r.YellowBand.GreaterThan(decimal.NewFromInt(100)):
		return keyErr("yellow_band", "yellow_band %s is outside 0-100 percentage points; expected e.g. %s", r.YellowBand, DefaultYellowBand)
	case r.RatioRedBelow.IsNegative():
		return keyErr("ratio_red_below", "ratio_red_below %s is negative; expected a ratio such as %s", r.RatioRedBelow, DefaultRatioRedBelow)
	case r.RatioYellowBelow.IsNegative():
		return keyErr("ratio_yellow_below", "ratio_yellow_below %s is negative; expected a ratio such as %s", r.RatioYellowBelow, DefaultRatioYellowBelow)
	case !r.RatioRedBelow.LessThan(r.RatioYellowBelow):
		return keyErr("ratio_red_below", "ratio_red_below %s is not below ratio_yellow_below %s; expected ratio_red_below < ratio_yellow_below, e.g. %s < %s",
			r.RatioRedBelow, r.RatioYellowBelow, DefaultRatioRedBelow, DefaultRatioYellowBelow)
	case r.MilestoneOverdueDays < 0:
		return keyErr("milestone_overdue_days", "milestone_overdue_days %d is negative; expected a number of days such as %d", r.MilestoneOverdueDays, DefaultMilestoneOverdueDays)
	case r.EscalateAfter < 0:
		return keyErr("escalate_after", "escalate_after %d is negative; expected 0 (off) or a number of consecutive reviews such as 2", r.EscalateAfter)
	case r.Basis != BasisTime && r.Basis != BasisPhasedPlan:
		return keyErr("basis", "basis %q is not a time-progress basis; expected %s or %s", r.Basis, BasisTime, BasisPhasedPlan)
	case r.MilestoneDueDays < 0:
		return keyErr("milestone_due_days", "milestone_due_days %d is negative; expected a number of days such as %d", r.MilestoneDueDays, DefaultMilestoneDueDays)
	}
	return r.Deadline.validate()
}

// String describes the rule in one line, e.g. for a log.
func (r Rules) String() string {
	r = r.withDefaults()
	var s string
	if r.Mode == ModeRatio {
		s = fmt.Sprintf("ratio: yellow below %s of time progress, red below %s; red when a milestone is overdue more than %d days",
			r.RatioYellowBelow, r.RatioRedBelow, r.MilestoneOverdueDays)
	} else {
		s = fmt.Sprintf("pp_gap: yellow when short by up to %s points, red when more; red when a milestone is overdue more than %d days",
			r.YellowBand, r.MilestoneOverdueDays)
	}
	if r.EscalateAfter > 0 {
		s += fmt.Sprintf("; red after %d consecutive reviews short", r.EscalateAfter)
	}
	if r.Basis == BasisPhasedPlan {
		s += "; time progress from the phased monthly plan where registered"
	}
	return s + "; reports due by " + r.Deadline.String()
}

// JSON is the rule with its defaults applied, as one line of JSON (the
// keys of the rules file), e.g. to record with a run.
func (r Rules) JSON() string {
	data, err := json.Marshal(r.withDefaults())
	if err != nil { // cannot happen: plain fields
		return fmt.Sprintf("{%q:%q}", "error", err.Error())
	}
	return string(data)
}

// keyError is a problem with one key of the rules; LoadRules adds the file
// and the line.
type keyError struct {
	key string
	msg string
}

func (e *keyError) Error() string { return ErrBadRules.Error() + ": " + e.msg }
func (e *keyError) Unwrap() error { return ErrBadRules }

func keyErr(key, format string, args ...any) error {
	return &keyError{key: key, msg: fmt.Sprintf(format, args...)}
}
