package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/schema"
)

// Event returns the review-completed event of a successful run.
func Event(r RunRecord, res Result) schema.ReviewCompleted {
	p := r.Period
	loc := schema.Location()
	return schema.ReviewCompleted{
		Schema:             schema.ReviewCompletedSchema,
		Kind:               p.Kind,
		Period:             p.Key(),
		Label:              p.Kind.Label() + " " + p.Label(),
		PeriodStart:        p.Start.In(loc).Format(time.DateOnly),
		PeriodEnd:          p.LastDay().In(loc).Format(time.DateOnly),
		RunID:              r.RunID,
		Trigger:            string(r.Trigger),
		Replica:            r.Replica,
		StartedAt:          r.StartedAt.In(loc),
		FinishedAt:         r.FinishedAt.In(loc),
		DurationMS:         r.Duration.Milliseconds(),
		Rows:               res.Rows,
		Projects:           res.Projects,
		Reported:           res.Reported,
		Missing:            res.Missing,
		Late:               res.Late,
		Green:              res.Green,
		Yellow:             res.Yellow,
		Red:                res.Red,
		Unrated:            res.Unrated,
		NewlyRed:           res.NewlyRed,
		Recovered:          res.Recovered,
		MilestonesDue:      res.MilestonesDue,
		MilestonesOverdue:  res.MilestonesOverdue,
		MilestonesSlipped:  res.MilestonesSlipped,
		PeriodCompletedWan: schema.NewWan(res.PeriodCompletedWan),
		YTDCompletedWan:    schema.NewWan(res.YTDCompletedWan),
		AnnualPlanWan:      schema.NewWan(res.AnnualPlanWan),
		CompletionPct:      res.CompletionPct,
		TimeProgressPct:    res.TimeProgressPct,
	}
}

// publish sends the event on kpp.reviews.<kind>.completed with the run id
// as Nats-Msg-Id, so a retried publish is stored once.
func publish(ctx context.Context, js jetstream.JetStream, ev schema.ReviewCompleted) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("%w (run %s): encode: %w", ErrPublish, ev.RunID, err)
	}
	msg := &nats.Msg{Subject: schema.ReviewCompletedSubject(ev.Kind), Data: data, Header: nats.Header{}}
	var last error
	for attempt, wait := range []time.Duration{0, 250 * time.Millisecond, time.Second} {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (run %s) on %s: %w", ErrPublish, ev.RunID, msg.Subject, last)
			case <-time.After(wait):
			}
		}
		if _, last = js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.RunID)); last == nil {
			return nil
		}
	}
	return fmt.Errorf("%w (run %s) on %s to stream %s: %w", ErrPublish, ev.RunID, msg.Subject, schema.ReviewsStream, last)
}
