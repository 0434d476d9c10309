package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"
)

// The review-completed events. When a dispatch review (周分析, 旬调度 or
// 月例会) has been computed and stored, the scheduler publishes a
// [ReviewCompleted] on
//
//	kpp.reviews.<kind>.completed
//
// in the KPP_REVIEWS stream, with Nats-Msg-Id set to the run id, so that
// other systems (a notifier, a dashboard) can react.
const (
	// ReviewsStream is the JetStream stream of review-completed events.
	ReviewsStream = "KPP_REVIEWS"
	// ReviewsSubjects is the stream's subject filter.
	ReviewsSubjects = "kpp.reviews.>"
	// ReviewCompletedSchema is the schema id of [ReviewCompleted].
	ReviewCompletedSchema = "kpp.review_completed.v1"

	reviewsPrefix = "kpp.reviews."
)

// ReviewCompletedSubject returns kpp.reviews.<kind>.completed, the subject
// a completed review of the kind is published on. Subscribe to
// kpp.reviews.*.completed for every kind.
func ReviewCompletedSubject(k ReviewKind) string {
	return reviewsPrefix + string(k) + ".completed"
}

// ReviewCompleted is the summary of one successful review run. Money is in
// 万元 as decimal strings with four places; percentages are decimal strings
// with two places (null when no project is rated).
type ReviewCompleted struct {
	// Schema is always "kpp.review_completed.v1".
	Schema string `json:"schema"`
	// Kind is weekly, dekad or monthly.
	Kind ReviewKind `json:"kind"`
	// Period is the period key: 2025-W39, 2025-09-D2 or 2025-09.
	Period string `json:"period"`
	// Label is the review and period in Chinese, e.g. "周分析 2025年第39周（9月22日至9月28日）".
	Label string `json:"label"`
	// PeriodStart and PeriodEnd are the first and last day of the period,
	// YYYY-MM-DD.
	PeriodStart string `json:"period_start"`
	PeriodEnd   string `json:"period_end"`
	// RunID identifies the run (rollup_runs.run_id, dispatch_*.run_id) and
	// is the message's Nats-Msg-Id.
	RunID string `json:"run_id"`
	// Trigger is what started the run: schedule, catchup, manual or backfill.
	Trigger string `json:"trigger"`
	// Replica is the kpp process that ran it (host:pid by default).
	Replica string `json:"replica"`
	// StartedAt and FinishedAt bound the run (Asia/Shanghai).
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// DurationMS is how long the run took, milliseconds.
	DurationMS int64 `json:"duration_ms"`
	// Rows is the number of rows the run stored.
	Rows int64 `json:"rows"`
	// Projects is the number of projects on the board; Reported, Missing
	// (未报送) and Late (迟报) count their reports of the month due.
	Projects int `json:"projects"`
	Reported int `json:"reported"`
	Missing  int `json:"missing"`
	Late     int `json:"late"`
	// Green, Yellow, Red and Unrated count the projects by status.
	Green   int `json:"green"`
	Yellow  int `json:"yellow"`
	Red     int `json:"red"`
	Unrated int `json:"unrated"`
	// NewlyRed counts projects red now and not at the previous review of
	// the same kind (新晋红榜); Recovered, projects green again (摘牌).
	NewlyRed  int `json:"newly_red"`
	Recovered int `json:"recovered"`
	// MilestonesDue, MilestonesOverdue and MilestonesSlipped count the
	// milestone alerts: due within the look-ahead days, overdue (planned
	// date passed, not met), slipped (forecast later than at the previous
	// review).
	MilestonesDue     int `json:"milestones_due"`
	MilestonesOverdue int `json:"milestones_overdue"`
	MilestonesSlipped int `json:"milestones_slipped"`
	// PeriodCompletedWan is the investment completed in the period,
	// YTDCompletedWan the year to date, AnnualPlanWan the annual plans of
	// the rated projects, all 万元.
	PeriodCompletedWan Wan `json:"period_completed_wan"`
	YTDCompletedWan    Wan `json:"ytd_completed_wan"`
	AnnualPlanWan      Wan `json:"annual_plan_wan"`
	// CompletionPct is YTDCompletedWan ÷ AnnualPlanWan in percent (null
	// when no project is rated); TimeProgressPct is the time progress
	// (序时进度) at the period's end, percent.
	CompletionPct   *decimal.Decimal `json:"completion_pct"`
	TimeProgressPct decimal.Decimal  `json:"time_progress_pct"`
}

// ReviewStreamConfig is the configuration of the KPP_REVIEWS stream: file
// storage, every event kept, run ids deduplicated over the window.
func ReviewStreamConfig(o StreamOptions) jetstream.StreamConfig {
	o = o.withDefaults()
	return jetstream.StreamConfig{
		Name:        ReviewsStream,
		Description: "kpp: a summary event per completed dispatch review run (kpp.reviews.<kind>.completed)",
		Subjects:    []string{ReviewsSubjects},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    o.Replicas,
		Duplicates:  o.DuplicateWindow,
	}
}

// EnsureReviewStream creates or updates the KPP_REVIEWS stream. It is
// idempotent; the scheduler calls it before it publishes. With o.Replicas
// zero the stream keeps the replicas it has ([StreamOptions.For]).
func EnsureReviewStream(ctx context.Context, js jetstream.JetStream, o StreamOptions) error {
	o, err := o.For(ctx, js, ReviewsStream)
	if err != nil {
		return err
	}
	cfg := ReviewStreamConfig(o)
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("create or update stream %s (%d replicas): %w", cfg.Name, cfg.Replicas, err)
	}
	return nil
}
