package main

import (
	"context"
	"fmt"

	"github.com/alecthomas/kong"
	"github.com/schollz/progressbar/v3"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/schedule"
	"github.com/keyproject/kpp/schema"
)

type rollupCmd struct {
	Weekly  rollupKindCmd `cmd:"" help:"Weekly analysis (周分析) of ISO weeks, e.g. --period 2025-W39, as of each week's end."`
	Dekad   rollupKindCmd `cmd:"" help:"Ten-day dispatch (旬调度), e.g. --period 2025-09-D2 (D1: 1st-10th, D2: 11th-20th, D3: 21st-end), as of each period's end."`
	Monthly rollupKindCmd `cmd:"" help:"Monthly review (月例会 红黄绿榜) of calendar months, e.g. --period 2025-09."`
}

type rollupKindCmd struct {
	chFlags
	clientNATSFlags
	rulesFlags
	reviewWaitFlags
	Durable string `name:"durable" env:"KPP_INGEST_DURABLE" default:"kpp-ingest" help:"Ingest's durable consumer, whose progress the review waits for (--review-wait-ingest)."`
	Period  string `name:"period" help:"The period to compute: 2025-W39 (weekly), 2025-09-D2 (dekad) or 2025-09 (monthly)."`
	From    string `name:"from" help:"Backfill: first period of a range (with --to); shows a progress bar."`
	To      string `name:"to" help:"Backfill: last period of the range, inclusive."`
}

// Run computes one period, or every period of a range, and records each
// run in rollup_runs and as a review event on NATS, as the schedule does.
// A re-run replaces the stored results of its period.
func (c *rollupKindCmd) Run(ctx context.Context, e *env, kctx *kong.Context) error {
	kind, err := reviewKind(kctx)
	if err != nil {
		return err
	}
	if (c.Period == "") == (c.From == "" && c.To == "") || (c.From == "") != (c.To == "") {
		return &exitError{code: 2, msg: fmt.Sprintf("say what to compute: --period %s, or a range with both --from and --to", exampleKey(kind))}
	}
	var periods []schema.ReviewPeriod
	trigger := schedule.TriggerManual
	if c.Period != "" {
		p, err := schema.ParseReviewPeriod(kind, c.Period)
		if err != nil {
			return fmt.Errorf("--period: %w", err)
		}
		periods = []schema.ReviewPeriod{p}
	} else {
		if periods, err = schedule.Periods(kind, c.From, c.To); err != nil {
			return fmt.Errorf("--from/--to: %w", err)
		}
		trigger = schedule.TriggerBackfill
	}
	rules, err := c.load()
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
	nc, err := connectClient(ctx, c.clientNATSFlags)
	if err != nil {
		return err
	}
	defer nc.Close()
	s, err := schedule.New(nc.js, st, reviewJob(st, rules, e.log, c.reviewWaitFlags.waiter(nc.js, c.Durable, e.log)), schedule.Config{Rules: rules.JSON(), Logger: e.log})
	if err != nil {
		return err
	}

	var bar *progressbar.ProgressBar
	if len(periods) > 1 {
		bar = progressbar.NewOptions(len(periods),
			progressbar.OptionSetWriter(e.err),
			progressbar.OptionSetDescription(fmt.Sprintf("%s %s … %s", kind.Label(), periods[0].Key(), periods[len(periods)-1].Key())),
			progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(),
		)
	}
	for _, p := range periods {
		rec, err := s.RunNow(ctx, p, trigger)
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, p.Key(), err)
		}
		if bar != nil {
			_ = bar.Add(1)
			continue
		}
		fmt.Fprintln(e.out, describeRun(p, rec))
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintf(e.out, "%s: %d periods computed, %s … %s\n", kind.Label(), len(periods), periods[0].Key(), periods[len(periods)-1].Key())
	}
	return nil
}

type rulesCmd struct {
	Default rulesDefaultCmd `cmd:"" help:"Print the default rating rules file, every key documented (start your own from it)."`
	Check   rulesCheckCmd   `cmd:"" help:"Check a rules file and print the rules it sets."`
}

type rulesDefaultCmd struct{}

func (rulesDefaultCmd) Run(e *env) error {
	_, err := e.out.Write(rating.DefaultFile())
	return err
}

type rulesCheckCmd struct {
	File string `arg:"" type:"existingfile" help:"Rules file (TOML)."`
}

func (c rulesCheckCmd) Run(e *env) error {
	r, err := rating.LoadRules(c.File)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "%s: valid\n%s\n", c.File, r.String())
	return nil
}

func exampleKey(k schema.ReviewKind) string {
	switch k {
	case schema.ReviewWeekly:
		return "2025-W39"
	case schema.ReviewDekad:
		return "2025-09-D2"
	}
	return "2025-09"
}
