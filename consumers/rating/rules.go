// Package rating decides a key project's red/yellow/green status (红黄绿榜)
// for a month, and says why in Chinese and English.
//
// A project is rated on its investment completion (投资完成率 = year-to-date
// completed ÷ annual plan) against the time progress (序时进度, m/12 for
// month m), and on its overdue milestones:
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
//   - A project with no annual plan for the year (or a plan of 0) is not
//     rated (unrated), and says so.
//
// Every comparison is exact: amounts are decimals, the time progress is a
// [Fraction], and the bands are compared by cross-multiplication, never
// with floats. Only the figures shown (percentages, points) are rounded,
// half away from zero, to two places.
package rating

import (
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
)

// Rules is the rating rule. The zero value is the default rule; a zero
// field takes its default, so a band of exactly 0 cannot be configured: to
// make nearly every shortfall red, use a tiny band such as 0.0001.
type Rules struct {
	// Mode is pp_gap (default) or ratio.
	Mode Mode
	// YellowBand is, in pp_gap mode, the largest shortfall in percentage
	// points that is still yellow: short by up to YellowBand is yellow,
	// short by more is red. Default 10.
	YellowBand decimal.Decimal
	// RatioYellowBelow is, in ratio mode, the ratio completion ÷ time
	// progress below which a project is yellow (at or above it, green).
	// Default 0.8 (Wuhan: below 80% of time progress).
	RatioYellowBelow decimal.Decimal
	// RatioRedBelow is, in ratio mode, the ratio below which a project is
	// red. Default 0.6 (Wuhan: below 60% of time progress). Set 1.0 and 0.8
	// for "yellow below time progress, red below 80% of it".
	RatioRedBelow decimal.Decimal
	// MilestoneOverdueDays is how many days past its planned date a
	// milestone may be unmet before the project is red: more than this many
	// days is red. Default 30.
	MilestoneOverdueDays int
}

// DefaultRules returns the default rule with every field filled in.
func DefaultRules() Rules { return Rules{}.withDefaults() }

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
	return r
}

// Validate reports the first problem of the rule with its defaults applied:
// an unknown mode, a band outside 0-100 points, ratio bands not in
// 0 < red < yellow, or a negative number of days.
func (r Rules) Validate() error {
	r = r.withDefaults()
	switch {
	case r.Mode != ModeGap && r.Mode != ModeRatio:
		return fmt.Errorf("%w: mode %q is not a rating mode; expected %s or %s", ErrBadRules, r.Mode, ModeGap, ModeRatio)
	case r.YellowBand.IsNegative() || r.YellowBand.GreaterThan(decimal.NewFromInt(100)):
		return fmt.Errorf("%w: yellow band %s is outside 0-100 percentage points; expected e.g. %s", ErrBadRules, r.YellowBand, DefaultYellowBand)
	case r.RatioRedBelow.IsNegative():
		return fmt.Errorf("%w: ratio red-below %s is negative; expected a ratio such as %s", ErrBadRules, r.RatioRedBelow, DefaultRatioRedBelow)
	case r.RatioYellowBelow.IsNegative():
		return fmt.Errorf("%w: ratio yellow-below %s is negative; expected a ratio such as %s", ErrBadRules, r.RatioYellowBelow, DefaultRatioYellowBelow)
	case !r.RatioRedBelow.LessThan(r.RatioYellowBelow):
		return fmt.Errorf("%w: ratio red-below %s is not below yellow-below %s; expected red-below < yellow-below, e.g. %s < %s",
			ErrBadRules, r.RatioRedBelow, r.RatioYellowBelow, DefaultRatioRedBelow, DefaultRatioYellowBelow)
	case r.MilestoneOverdueDays < 0:
		return fmt.Errorf("%w: milestone overdue days %d is negative; expected a number of days such as %d", ErrBadRules, r.MilestoneOverdueDays, DefaultMilestoneOverdueDays)
	}
	return nil
}

// String describes the rule in one line, e.g. for a log.
func (r Rules) String() string {
	r = r.withDefaults()
	if r.Mode == ModeRatio {
		return fmt.Sprintf("ratio: yellow below %s of time progress, red below %s; red when a milestone is overdue more than %d days",
			r.RatioYellowBelow, r.RatioRedBelow, r.MilestoneOverdueDays)
	}
	return fmt.Sprintf("pp_gap: yellow when short by up to %s points, red when more; red when a milestone is overdue more than %d days",
		r.YellowBand, r.MilestoneOverdueDays)
}
