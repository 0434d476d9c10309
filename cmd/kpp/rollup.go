package main

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

type rollupCmd struct {
	Monthly rollupMonthlyCmd `cmd:"" help:"Monthly review (月例会): rate every project for a month and store dispatch_monthly and dispatch_monthly_totals."`
}

// ratingFlags is the red/yellow/green rule; see docs/dispatch.md.
type ratingFlags struct {
	RatingMode           string `name:"rating-mode" env:"KPP_RATING_MODE" default:"pp_gap" enum:"pp_gap,ratio" help:"Compare completion with time progress by percentage-point gap (pp_gap) or by ratio."`
	YellowBand           string `name:"yellow-band" env:"KPP_RATING_YELLOW_BAND" default:"10" help:"pp_gap: short by up to this many points is yellow, more is red."`
	RatioYellowBelow     string `name:"ratio-yellow-below" env:"KPP_RATING_RATIO_YELLOW_BELOW" default:"0.8" help:"ratio: completion ÷ time progress below this is yellow."`
	RatioRedBelow        string `name:"ratio-red-below" env:"KPP_RATING_RATIO_RED_BELOW" default:"0.6" help:"ratio: completion ÷ time progress below this is red."`
	MilestoneOverdueDays int    `name:"milestone-overdue-days" env:"KPP_RATING_MILESTONE_OVERDUE_DAYS" default:"30" help:"A milestone unmet more than this many days after its planned date makes the project red."`
}

func (f ratingFlags) rules() (rating.Rules, error) {
	r := rating.Rules{Mode: rating.Mode(f.RatingMode), MilestoneOverdueDays: f.MilestoneOverdueDays}
	for _, p := range []struct {
		flag, value string
		dst         *decimal.Decimal
	}{
		{"--yellow-band", f.YellowBand, &r.YellowBand},
		{"--ratio-yellow-below", f.RatioYellowBelow, &r.RatioYellowBelow},
		{"--ratio-red-below", f.RatioRedBelow, &r.RatioRedBelow},
	} {
		d, err := decimal.NewFromString(p.value)
		if err != nil {
			return r, fmt.Errorf("%s %q: expected a decimal number", p.flag, p.value)
		}
		*p.dst = d
	}
	return r, r.Validate()
}

type rollupMonthlyCmd struct {
	chFlags
	ratingFlags
	Period string `name:"period" required:"" help:"Month to review, YYYY-MM (e.g. 2025-09)."`
}

func (c *rollupMonthlyCmd) Run(ctx context.Context, e *env) error {
	p, err := schema.ParsePeriod(c.Period)
	if err != nil {
		return fmt.Errorf("--period: %w", err)
	}
	rules, err := c.rules()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c.chFlags, e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	sum, err := rollup.Monthly(ctx, st, p, rules, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "monthly review %s: %d projects (%d reported) — 红 %d, 黄 %d, 绿 %d, 未评级 %d; %d rows stored in %s\n",
		sum.Period, sum.Projects, sum.Reported, sum.Red, sum.Yellow, sum.Green, sum.Unrated, sum.RowsWritten(), sum.Duration.Round(time.Millisecond))
	return nil
}
