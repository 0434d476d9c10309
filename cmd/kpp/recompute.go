package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/schedule"
	"github.com/keyproject/kpp/schema"
)

// scheduleRecomputer is the report pages' 重新计算 of kpp serve: the
// scheduler's own job (the rules in force, the wait for ingest), recorded
// in rollup_runs with trigger manual and announced like any run, and only
// while this replica holds the schedule's lease, so that it never runs
// beside a scheduled run of the same review.
type scheduleRecomputer struct {
	sched *schedule.Scheduler
	log   *slog.Logger
}

func (r scheduleRecomputer) Recompute(ctx context.Context, p schema.ReviewPeriod, by string) (report.Recomputed, error) {
	r.log.Info("review recompute asked for on the report pages", "kind", p.Kind, "period", p.Key(), "by", by)
	rec, err := r.sched.RunLeading(ctx, p, schedule.TriggerManual)
	switch {
	case errors.Is(err, schedule.ErrNotLeader):
		holder := r.sched.Status().LeaseHolder
		if holder == "" {
			holder = "（暂无）"
		}
		return report.Recomputed{}, &report.RecomputeRefused{Err: err, Reason: fmt.Sprintf(
			"本服务（副本 %s）现在不持有定时计算的租约（持有者：%s），为免与定时计算同时进行，不在此重新计算。请稍后重试，或到持有租约的副本重新计算。",
			r.sched.Config().Replica, holder)}
	case errors.Is(err, schedule.ErrOverlap):
		return report.Recomputed{}, &report.RecomputeRefused{Err: err, Reason: fmt.Sprintf(
			"另一次%s计算正在进行，为免同时计算，本次未开始。请等它完成后刷新本页查看，或稍后重试。", p.Kind.Label())}
	case err != nil:
		return report.Recomputed{}, err
	}
	return report.Recomputed{RunID: rec.RunID, Rows: rec.Rows}, nil
}
