package report

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/keyproject/kpp/schema"
)

// RoleLeader is the role of the accounts that may recompute a review from
// the report pages (领导); RoleReader (查阅人员) reads and downloads only.
const (
	RoleLeader = "leader"
	RoleReader = "reader"
)

// Recomputer runs a review again on request of a signed-in leader, the
// way the schedule runs it: kpp serve passes its scheduler (the rules in
// force, the wait for ingest, the record in rollup_runs with trigger
// manual, under the schedule's leader lease). The report pages never
// compute a review themselves.
type Recomputer interface {
	// Recompute computes and stores the review of p again; by is the
	// account that asked, for the log. The error is a
	// [*RecomputeRefused] when the run was not started (and may be tried
	// again later), otherwise the run's failure.
	Recompute(ctx context.Context, p schema.ReviewPeriod, by string) (Recomputed, error)
}

// Recomputed is a finished recompute.
type Recomputed struct {
	// RunID is the run's id in rollup_runs.
	RunID string
	// Rows is how many rows the run stored.
	Rows int64
}

// RecomputeRefused is a recompute not started: this replica does not hold
// the schedule's lease, or a run of the same kind is going. Reason says so
// in Chinese for the page; Err is the cause.
type RecomputeRefused struct {
	Reason string
	Err    error
}

func (e *RecomputeRefused) Error() string {
	return fmt.Sprintf("recompute refused: %v", e.Err)
}

func (e *RecomputeRefused) Unwrap() error { return e.Err }

// DefaultRecomputeTimeout is the default of Config.RecomputeTimeout.
const DefaultRecomputeTimeout = 15 * time.Minute

// canRecompute reports whether the request's account may recompute: a
// signed-in leader, on a handler given a Recomputer.
func (h *handler) canRecompute(r *http.Request) bool {
	if h.cfg.Recompute == nil {
		return false
	}
	acc, ok := SignedIn(r)
	return ok && acc.Role == RoleLeader
}

// recompute is POST /reports/{kind}/{period}/recompute: a leader's
// 重新计算. It runs behind the sign-in, whose cross-origin protection
// refuses a POST forged by another site; a reader is refused (403). On
// success it sends the browser back to the review, which shows the new
// board.
func (h *handler) recompute(w http.ResponseWriter, r *http.Request) {
	kindName, key := r.PathValue("kind"), r.PathValue("period")
	kind, err := schema.ParseReviewKind(kindName)
	if err != nil {
		h.problem(w, r, http.StatusNotFound, "没有这种报告", fmt.Sprintf("报告类型 %q 不存在：应为 weekly（周分析）、dekad（旬调度）或 monthly（月例会）。", kindName), "")
		return
	}
	p, err := schema.ParseReviewPeriod(kind, key)
	if err != nil {
		h.problem(w, r, http.StatusBadRequest, "期间格式不正确", fmt.Sprintf("%s的期间 %q 格式不正确：%v。", kind.Label(), key, err), "")
		return
	}
	acc, _ := SignedIn(r)
	if acc.Role != RoleLeader {
		h.cfg.Logger.Info("report recompute refused: not a leader", "name", acc.Name, "role", acc.Role, "kind", kind, "period", p.Key())
		h.problem(w, r, http.StatusForbidden, "无权重新计算",
			fmt.Sprintf("账号 %s（%s）可以查看和下载榜单，但只有领导账号可以重新计算。需要重新计算请联系领导或管理员。"+
				"Only a leader account may recompute a review; %s is a %s.", acc.Name, roleLabels[acc.Role], acc.Name, acc.Role), "")
		return
	}
	if now := time.Now(); p.End.After(now) {
		h.problem(w, r, http.StatusConflict, "本期尚未结束",
			fmt.Sprintf("%s %s（%s）到 %s 才结束，结束后由定时任务计算；现在不能重新计算。", p.Label(), kind.Label(), p.Key(), minute(p.End)), "")
		return
	}
	// A run goes on when the browser goes away (it is recorded either
	// way), bounded by RecomputeTimeout; the response may wait as long.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.cfg.RecomputeTimeout)
	defer cancel()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(h.cfg.RecomputeTimeout + 30*time.Second))
	h.cfg.Logger.Info("report recompute requested", "name", acc.Name, "kind", kind, "period", p.Key())
	done, err := h.cfg.Recompute.Recompute(ctx, p, acc.Name)
	var refused *RecomputeRefused
	if errors.As(err, &refused) {
		h.cfg.Logger.Info("report recompute not started", "name", acc.Name, "kind", kind, "period", p.Key(), "reason", refused.Err)
		h.problem(w, r, http.StatusConflict, "现在不能重新计算", refused.Reason, "")
		return
	}
	if err != nil {
		h.serverError(w, r, fmt.Sprintf("重新计算%s %s（%s）", p.Label(), kind.Label(), p.Key()), err)
		return
	}
	h.cfg.Logger.Info("report recomputed", "name", acc.Name, "kind", kind, "period", p.Key(), "run_id", done.RunID, "rows", done.Rows)
	// From reports/{kind}/{period}/recompute back to reports/{kind}/{period}.
	seeOther(w, "../"+url.PathEscape(p.Key()))
}
