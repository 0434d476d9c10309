package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/schema"
)

// The leader lease.
const (
	// LeaseBucket is the JetStream key-value bucket of the lease. Its TTL is
	// the lease TTL: a value not renewed within it is removed.
	LeaseBucket = "KPP_LEASES"
	// LeaseKey is the key of the lease of the scheduled reviews.
	LeaseKey = "rollups"
)

// LeaseBucketConfig is the configuration of the KPP_LEASES bucket: every
// value expires ttl after it was written, one revision kept.
func LeaseBucketConfig(ttl time.Duration, o schema.StreamOptions) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      LeaseBucket,
		Description: "kpp: leader leases; key rollups names the replica that runs the scheduled reviews",
		TTL:         ttl,
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(o.Replicas, 1),
	}
}

// LeaseValue is the value of the lease key: who holds it since when.
type LeaseValue struct {
	// Replica is the holder's name.
	Replica string `json:"replica"`
	// AcquiredAt is when it took the lease (its own clock).
	AcquiredAt time.Time `json:"acquired_at"`
}

// leadership is this replica's tenure as leader.
type leadership struct {
	// ctx ends when the lease is lost or the scheduler stops; the
	// scheduled and catch-up runs use it.
	ctx    context.Context
	cancel context.CancelCauseFunc
	// rev is the lease's revision after the last write.
	rev uint64
	// renewed is when the last successful write was sent (real time).
	renewed time.Time
	// value is the lease's value, written again at each renewal.
	value []byte
}

// leaseLoop takes or renews the lease every LeaseTTL/3 on the real clock
// (NATS expires the lease in real time, whatever the scheduler's clock).
// A leader renews with a revision-checked update; the others try to create
// the key, which succeeds only once it is absent (expired or released).
func (s *Scheduler) leaseLoop(ctx context.Context, kv jetstream.KeyValue) {
	interval := s.cfg.LeaseTTL / 3
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		s.leaseTick(ctx, kv, interval)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (s *Scheduler) leaseTick(ctx context.Context, kv jetstream.KeyValue, interval time.Duration) {
	tctx, cancel := context.WithTimeout(ctx, interval)
	defer cancel()
	sent := time.Now()
	s.mu.Lock()
	lead := s.lead
	s.mu.Unlock()

	if lead != nil {
		rev, err := kv.Update(tctx, LeaseKey, lead.value, lead.rev)
		switch {
		case err == nil:
			s.mu.Lock()
			lead.rev, lead.renewed = rev, sent
			s.mu.Unlock()
		case ctx.Err() != nil:
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
			s.loseLease(fmt.Errorf("%w: it expired or another replica took it (%v)", errLostLease, err))
		case time.Since(lead.renewed) >= s.cfg.LeaseTTL-interval:
			// Step down before the lease can expire, so that two replicas
			// never both believe they lead.
			s.loseLease(fmt.Errorf("%w: not renewed for %s (%v)", errLostLease, time.Since(lead.renewed).Round(time.Millisecond), err))
		default:
			s.log.Warn("could not renew the leader lease; retrying", "replica", s.cfg.Replica, "error", err)
		}
		return
	}

	value, _ := json.Marshal(LeaseValue{Replica: s.cfg.Replica, AcquiredAt: sent})
	rev, err := kv.Create(tctx, LeaseKey, value)
	switch {
	case err == nil:
		s.becomeLeader(ctx, &leadership{rev: rev, renewed: sent, value: value})
	case ctx.Err() != nil:
	case errors.Is(err, jetstream.ErrKeyExists):
		holder := ""
		if e, gerr := kv.Get(tctx, LeaseKey); gerr == nil {
			var v LeaseValue
			if json.Unmarshal(e.Value(), &v) == nil {
				holder = v.Replica
			}
		}
		s.mu.Lock()
		changed := holder != s.holder
		s.holder = holder
		s.mu.Unlock()
		if changed && holder != "" {
			s.log.Info("another replica holds the leader lease and runs the scheduled reviews", "replica", s.cfg.Replica, "leader", holder)
		}
	default:
		s.log.Warn("could not take the leader lease; retrying", "replica", s.cfg.Replica, "error", err)
	}
}

// becomeLeader starts a tenure and catches up every kind.
func (s *Scheduler) becomeLeader(ctx context.Context, lead *leadership) {
	lctx, cancel := context.WithCancelCause(ctx)
	lead.ctx, lead.cancel = lctx, cancel
	s.mu.Lock()
	s.lead = lead
	s.holder = s.cfg.Replica
	s.mu.Unlock()
	s.log.Info("this replica is now the leader: it runs the scheduled reviews and catches up missed ones",
		"replica", s.cfg.Replica, "lease_ttl", s.cfg.LeaseTTL, "look_back", s.cfg.LookBack)
	for _, k := range schema.ReviewKinds() {
		if s.scheds[k] != nil {
			s.serve(lctx, k, time.Time{})
		}
	}
}

// loseLease ends the tenure: the runs in progress are cancelled.
func (s *Scheduler) loseLease(cause error) {
	s.mu.Lock()
	lead := s.lead
	s.lead, s.holder = nil, ""
	s.mu.Unlock()
	if lead == nil {
		return
	}
	lead.cancel(cause)
	s.log.Warn("this replica is no longer the leader; its scheduled runs are cancelled", "replica", s.cfg.Replica, "error", cause)
}

// releaseLease deletes the lease when this replica holds it, so another
// replica takes over without waiting for the TTL.
func (s *Scheduler) releaseLease(kv jetstream.KeyValue) {
	s.mu.Lock()
	lead := s.lead
	s.lead = nil
	s.mu.Unlock()
	if lead == nil {
		return
	}
	lead.cancel(errStopped)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := kv.Delete(ctx, LeaseKey, jetstream.LastRevision(lead.rev)); err != nil {
		s.log.Warn("could not release the leader lease; another replica takes over when it expires",
			"replica", s.cfg.Replica, "lease_ttl", s.cfg.LeaseTTL, "error", err)
		return
	}
	s.log.Info("released the leader lease", "replica", s.cfg.Replica)
}
