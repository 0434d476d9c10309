package schedule

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/keyproject/kpp/schema"
)

// Defaults of [Config].
const (
	// DefaultWeeklySpec runs the weekly analysis (周分析) on Mondays at
	// 07:00, for the ISO week that ended the Sunday before.
	DefaultWeeklySpec = "0 7 * * 1"
	// DefaultDekadSpec runs the ten-day dispatch (旬调度) on the 1st, 11th and
	// 21st at 07:00, for the ten days that just ended (下旬, 上旬, 中旬).
	DefaultDekadSpec = "0 7 1,11,21 * *"
	// DefaultMonthlySpec runs the monthly review (月例会) on the 6th at 07:00,
	// for the previous month: after the reporting deadline on the 5th.
	DefaultMonthlySpec = "0 7 6 * *"
	// DefaultLookBack is how far back missed runs are caught up.
	DefaultLookBack = 35 * 24 * time.Hour
	// DefaultLeaseTTL is how long the leader lease lives without renewal.
	DefaultLeaseTTL = 15 * time.Second
	// SpecOff as a kind's spec turns its schedule off: it is neither run
	// nor caught up (manual and backfill runs still work).
	SpecOff = "off"

	// MaxLookBack bounds LookBack; older periods are backfilled by hand.
	MaxLookBack = 366 * 24 * time.Hour
	// MinLeaseTTL and MaxLeaseTTL bound LeaseTTL.
	MinLeaseTTL = time.Second
	MaxLeaseTTL = 10 * time.Minute
)

// Config configures a [Scheduler]. The zero value of a field means its
// default; Validate reports values that cannot work.
type Config struct {
	// Location is the time zone the cron specs are read in. Default
	// Asia/Shanghai. A spec may override it with a CRON_TZ= prefix.
	Location *time.Location
	// WeeklySpec, DekadSpec and MonthlySpec are the cron specs (5 fields:
	// minute hour day-of-month month day-of-week, or a descriptor such as
	// @weekly) of each review kind, or "off". A run at time t reviews
	// schema.LastEnded(kind, t), the latest period that ended by t.
	// Defaults DefaultWeeklySpec ("0 7 * * 1"), DefaultDekadSpec
	// ("0 7 1,11,21 * *") and DefaultMonthlySpec ("0 7 6 * *").
	WeeklySpec, DekadSpec, MonthlySpec string
	// LookBack is how far back the leader catches up: every run that was
	// due within LookBack of now and has no successful run since is run,
	// oldest first. From 1m to 366 days. Default 35 days.
	LookBack time.Duration
	// LeaseTTL is how long the leader lease in the KPP_LEASES bucket lives
	// without renewal: the leader renews it every LeaseTTL/3, and another
	// replica takes over at most about LeaseTTL after the leader died. All
	// replicas must use the same value. From 1s to 10m. Default 15s.
	LeaseTTL time.Duration
	// Replica names this process in the lease, rollup_runs and the events.
	// Default hostname:pid.
	Replica string
	// Rules is the rating rule as JSON, recorded in rollup_runs.rules when
	// the job's Result carries none. Default empty.
	Rules string
	// Streams tunes the KPP_REVIEWS stream and the KPP_LEASES bucket
	// (replicas, duplicate window).
	Streams schema.StreamOptions
	// Clock is the time the schedule follows. Default the machine's clock.
	Clock Clock
	// Logger receives the runs, catch-ups, skips and lease changes. Default:
	// discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Location == nil {
		c.Location = schema.Location()
	}
	if c.WeeklySpec == "" {
		c.WeeklySpec = DefaultWeeklySpec
	}
	if c.DekadSpec == "" {
		c.DekadSpec = DefaultDekadSpec
	}
	if c.MonthlySpec == "" {
		c.MonthlySpec = DefaultMonthlySpec
	}
	if c.LookBack == 0 {
		c.LookBack = DefaultLookBack
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.Replica == "" {
		c.Replica = defaultReplica()
	}
	if c.Clock == nil {
		c.Clock = RealClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func defaultReplica() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// Spec returns the cron spec of the kind, after defaults.
func (c Config) Spec(k schema.ReviewKind) string {
	c = c.withDefaults()
	switch k {
	case schema.ReviewWeekly:
		return c.WeeklySpec
	case schema.ReviewDekad:
		return c.DekadSpec
	}
	return c.MonthlySpec
}

// Validate reports the first setting that cannot work, after applying the
// defaults. The error wraps [ErrConfig].
func (c Config) Validate() error {
	_, err := c.schedules()
	return err
}

var specParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// schedules validates the configuration and parses the specs; a kind whose
// spec is "off" has no entry.
func (c Config) schedules() (map[schema.ReviewKind]cron.Schedule, error) {
	c = c.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	switch {
	case c.LookBack < time.Minute || c.LookBack > MaxLookBack:
		return nil, bad("look-back %s: expected 1m to %s (default %s); back-fill older periods with kpp rollup KIND --from P1 --to P2",
			days(c.LookBack), days(MaxLookBack), days(DefaultLookBack))
	case c.LeaseTTL < MinLeaseTTL || c.LeaseTTL > MaxLeaseTTL:
		return nil, bad("lease TTL %s: expected %s to %s (default %s)", c.LeaseTTL, MinLeaseTTL, MaxLeaseTTL, DefaultLeaseTTL)
	case strings.TrimSpace(c.Replica) == "" || len(c.Replica) > 200:
		return nil, bad("replica name %q: expected 1 to 200 characters, e.g. host:pid", c.Replica)
	case c.Rules != "" && !json.Valid([]byte(c.Rules)):
		return nil, bad("rules %.80q: expected the rating rule as JSON", c.Rules)
	}
	out := map[schema.ReviewKind]cron.Schedule{}
	probe := time.Date(2025, time.January, 1, 0, 0, 0, 0, c.Location)
	for _, k := range schema.ReviewKinds() {
		spec := strings.TrimSpace(c.Spec(k))
		if spec == SpecOff {
			continue
		}
		if strings.HasPrefix(spec, "@every") {
			return nil, bad("%s schedule %q: @every is not a time of day; expected 5 fields (minute hour day-of-month month day-of-week) such as %q, or %q",
				k, spec, defaultSpec(k), SpecOff)
		}
		s, err := specParser.Parse(spec)
		if err != nil {
			return nil, bad("%s schedule %q: %v; expected 5 fields (minute hour day-of-month month day-of-week) such as %q (%s), or %q",
				k, spec, err, defaultSpec(k), defaultSpecWords(k), SpecOff)
		}
		// A spec such as "0 7 30 2 *" parses but never fires (cron gives up
		// after five years).
		if s.Next(probe).IsZero() {
			return nil, bad("%s schedule %q never fires; expected a date that exists, such as %q (%s)", k, spec, defaultSpec(k), defaultSpecWords(k))
		}
		out[k] = s
	}
	return out, nil
}

func defaultSpec(k schema.ReviewKind) string { return Config{}.Spec(k) }

func defaultSpecWords(k schema.ReviewKind) string {
	switch k {
	case schema.ReviewWeekly:
		return "Mondays 07:00"
	case schema.ReviewDekad:
		return "the 1st, 11th and 21st at 07:00"
	}
	return "the 6th at 07:00"
}

// days renders a whole number of days as "35 days" (24h each), anything
// else as a duration.
func days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
