// Package ingest moves updates from the JetStream stream KPP_UPDATES into
// ClickHouse. It is what `kpp serve` runs.
//
// An [Ingester] pulls messages from a durable pull consumer with explicit
// acks, checks each one (subject, JSON shape, values, owning department),
// and writes batches: accepted events to project_registrations,
// investment_reports and milestone_updates; rejected messages to the
// dead-letter stream KPP_DEADLETTER and the rejected_updates table. A
// message is acknowledged only after its batch was written, so an ack
// means "in ClickHouse". While a batch waits for a slow or unreachable
// ClickHouse the ingester retries with back-off and tells JetStream the
// messages are in progress, so nothing is redelivered or lost. A row
// ClickHouse refuses because of its values (an exception code of a data
// error, or a value the driver cannot encode) does not hold the batch:
// the rows at fault are found by bisecting the insert and dead-lettered
// with ClickHouse's reason (rule storage), and the rest is stored.
//
// Storing is idempotent: each row carries its event id and stream
// sequence, and the tables are ReplacingMergeTree, so a redelivered or
// republished event is one row through FINAL and the views. Before a batch
// is inserted, the events already stored are looked up by each table's
// sorting key (and, for investment reports, month partition), with the
// batch's keys sent as an external table, so the lookup costs the same
// however much is stored; those events are counted as duplicates and not
// written again. Collecting the next batch overlaps storing the last one.
// Several Ingesters (replicas, in one process or many) may share the
// durable consumer. Who owns a project is decided once for all of them,
// in the key-value bucket schema.ProjectsBucket: the first registration
// claims the project with a create-if-absent, a registration by another
// department is dead-lettered naming the owner, and only an administrator
// moves a project afterwards ([TransferProject]).
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/schema"
)

// ownerWriters is how many owners are claimed or read in the projects
// bucket at a time, so that registering a province's projects does not
// wait for one round trip after another.
const ownerWriters = 32

// minFetchWait is the shortest pull worth sending; with less time left
// before a flush is due, the batch is flushed instead.
const minFetchWait = 20 * time.Millisecond

// Ingester moves updates from JetStream into ClickHouse. Create it with
// [New]; run it with [Ingester.Run].
type Ingester struct {
	js      jetstream.JetStream
	store   *chstore.Store
	cfg     Config
	log     *slog.Logger
	running atomic.Bool

	mu    sync.Mutex
	stats Stats

	hooks hooks               // nil functions outside tests
	cur   atomic.Pointer[run] // the run in progress, for tests
}

// hooks let tests stop the ingester at chosen points.
type hooks struct {
	// beforeStore runs before each attempt to store a batch, with the
	// attempt's context.
	beforeStore func(ctx context.Context)
	// afterStore runs after a batch was stored and before it is acked; when
	// it returns true, Run returns errCrash at once, as if the process died.
	afterStore func() bool
	// afterInsert runs after each insert of events that succeeded; an
	// error from it fails the attempt as if ClickHouse had gone down just
	// after the insert.
	afterInsert func(table string, rows int) error
}

// errCrash is returned by Run when a test hook simulated a crash.
var errCrash = errors.New("ingest: simulated crash between store and ack")

// Counts are the messages of one kind that ingest has finished with
// (stored or dead-lettered, and acknowledged). A message delivered again
// after a crash is counted again: as Duplicate when it was valid.
type Counts struct {
	// Accepted events were stored.
	Accepted uint64
	// Duplicate events were valid but already stored (a redelivery or a
	// republished report); they were not stored again.
	Duplicate uint64
	// Rejected messages went to the dead-letter stream and rejected_updates.
	Rejected uint64
}

// Stats describes an Ingester's progress since New.
type Stats struct {
	// ByKind counts messages by the kind named in their subject; messages
	// whose subject names no kind are under "".
	ByKind map[schema.Kind]Counts
	// Batches is the number of batches stored and acknowledged.
	Batches uint64
	// Retries is the number of failed attempts that were retried: to store
	// a batch, or to load the project owners at start.
	Retries uint64
	// Refused is the number of valid events ClickHouse refused to store
	// (a value its column cannot hold); they were dead-lettered and are
	// also counted as Rejected.
	Refused uint64
	// Returned is the number of messages handed back to JetStream (nak)
	// because Run stopped before they could be stored.
	Returned uint64
	// LastFlush is when the last batch was acknowledged.
	LastFlush time.Time
	// LastBatchSize is the number of messages in that batch.
	LastBatchSize int
	// LastFlushDuration is how long storing that batch took, retries
	// included.
	LastFlushDuration time.Duration
}

// Total sums the counts over all kinds.
func (s Stats) Total() Counts {
	var t Counts
	for _, c := range s.ByKind {
		t.Accepted += c.Accepted
		t.Duplicate += c.Duplicate
		t.Rejected += c.Rejected
	}
	return t
}

// New returns an Ingester reading from js and writing to st. It checks the
// configuration but does not connect; Run does.
func New(js jetstream.JetStream, st *chstore.Store, cfg Config) (*Ingester, error) {
	if js == nil || st == nil {
		return nil, fmt.Errorf("%w: a JetStream context and a ClickHouse store are required", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	return &Ingester{js: js, store: st, cfg: cfg, log: cfg.Logger, stats: Stats{ByKind: map[schema.Kind]Counts{}}}, nil
}

// Config returns the configuration in use, defaults applied.
func (in *Ingester) Config() Config { return in.cfg }

// Stats returns a snapshot of the counters.
func (in *Ingester) Stats() Stats {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.stats
	s.ByKind = make(map[schema.Kind]Counts, len(in.stats.ByKind))
	for k, c := range in.stats.ByKind {
		s.ByKind[k] = c
	}
	return s
}

// ConsumerConfig is the durable consumer the Ingester creates or updates
// on KPP_UPDATES.
func (in *Ingester) ConsumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       in.cfg.Durable,
		Description:   "kpp ingest: updates into ClickHouse; ack after insert",
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		FilterSubject: schema.UpdatesSubjects,
		AckWait:       in.cfg.AckWait,
		BackOff:       append([]time.Duration{in.cfg.AckWait}, in.cfg.BackOff...),
		MaxDeliver:    in.cfg.MaxDeliver,
		MaxAckPending: in.cfg.MaxAckPending,
		ReplayPolicy:  jetstream.ReplayInstantPolicy,
	}
}

// run is the state of one call to Run.
type run struct {
	*Ingester
	conn driver.Conn
	cons jetstream.Consumer
	kv   jetstream.KeyValue
	// owners is a copy of the projects bucket, shared by the collecting and
	// the storing goroutine and kept up to date by watch.
	ownersMu sync.Mutex
	owners   schema.Owners
	watch    *ownerWatch
	// legacy holds the owners ClickHouse stores of projects that had no
	// key in the bucket at start; read only after start.
	legacy schema.Owners
}

// Run creates the streams and the durable consumer if they are missing,
// loads the project owners from the projects bucket (claiming there the
// projects ClickHouse holds that the bucket lacks, waiting for ClickHouse
// if it is not up yet) and ingests until ctx is cancelled. Then it lets the pull
// in progress end (at most FlushInterval), writes the batch it holds
// (within ShutdownGrace) or hands it back to JetStream, and returns nil.
// It returns an error when it cannot start or when the NATS connection is
// closed under it. An Ingester runs once at a time.
func (in *Ingester) Run(ctx context.Context) error {
	if !in.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer in.running.Store(false)

	r := &run{Ingester: in, conn: in.store.Conn(), owners: schema.Owners{}}
	in.cur.Store(r)
	defer func() {
		if r.watch != nil {
			r.watch.stop()
		}
	}()
	if err := r.start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	in.log.Info("ingest started", "durable", in.cfg.Durable, "batch_size", in.cfg.BatchSize,
		"flush_interval", in.cfg.FlushInterval, "ack_wait", in.cfg.AckWait, "projects", len(r.owners))
	err := r.loop(ctx)
	if err := in.js.Conn().FlushTimeout(5 * time.Second); err != nil && !in.js.Conn().IsClosed() {
		in.log.Warn("flush acks to NATS at shutdown", "error", err)
	}
	in.log.Info("ingest stopped", "durable", in.cfg.Durable)
	return err
}

func (r *run) start(ctx context.Context) error {
	if err := schema.EnsureStreams(ctx, r.js, r.cfg.Streams); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	cons, err := r.js.CreateOrUpdateConsumer(ctx, schema.UpdatesStream, r.ConsumerConfig())
	if err != nil {
		return fmt.Errorf("ingest: create durable consumer %s on %s: %w", r.cfg.Durable, schema.UpdatesStream, err)
	}
	r.cons = cons
	if r.kv, err = r.js.KeyValue(ctx, schema.ProjectsBucket); err != nil {
		return fmt.Errorf("ingest: open key-value bucket %s: %w", schema.ProjectsBucket, err)
	}
	if r.watch, err = watchOwners(ctx, r.kv, &r.ownersMu, r.owners); err != nil {
		return fmt.Errorf("ingest: load project owners: %w", err)
	}
	// ClickHouse may start after us: wait for it rather than fail.
	return r.retry(ctx, "load project owners", 0, func(actx context.Context) error {
		stored, err := loadOwners(actx, r.conn)
		if err != nil {
			return err
		}
		r.ownersMu.Lock()
		for p := range r.owners {
			delete(stored, p)
		}
		r.ownersMu.Unlock()
		r.legacy = stored
		if len(stored) > 0 {
			r.log.Info("projects stored in ClickHouse without an owner in the projects bucket; each is claimed for its stored department when a message names it",
				"projects", len(stored), "bucket", schema.ProjectsBucket)
		}
		return nil
	})
}

// loop pulls and stores until ctx ends. Pulling and checking the next
// batch goes on while the previous one is stored: one goroutine collects
// batches, another stores and acks them in order, so at most two batches
// are held (one stored, one collected).
func (r *run) loop(ctx context.Context) error {
	batches := make(chan heldBatch)
	stored := make(chan error, 1)
	cctx, stopCollecting := context.WithCancel(ctx)
	defer stopCollecting()
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				if err = r.flush(ctx, b.items); err != nil {
					stopCollecting()
				}
			} // after a simulated crash: never acked, as if the process died
			b.stopKeepAlive()
		}
		stored <- err
	}()
	err := r.collect(cctx, batches)
	if serr := <-stored; serr != nil {
		return serr
	}
	return err
}

// heldBatch is a complete batch on its way to be stored: from the moment
// it is complete until it is acked, in-progress signals keep JetStream
// from redelivering it, however long the batch before it takes.
type heldBatch struct {
	items         []*item
	stopKeepAlive func()
}

// collect pulls and checks messages into batches and hands each to the
// storer when it is full or its flush interval has passed, until ctx
// ends; then it hands over what it holds and closes batches.
func (r *run) collect(ctx context.Context, batches chan<- heldBatch) error {
	defer close(batches)
	var (
		batch []*item
		due   time.Time // when the held batch must be written; zero when empty
	)
	fetchErrors := 0
	for ctx.Err() == nil {
		windowStart := time.Now()
		deadline := windowStart.Add(r.cfg.FlushInterval)
		if !due.IsZero() {
			deadline = due
		}
		if wait := time.Until(deadline); wait >= minFetchWait {
			got, err := r.fetch(ctx, r.cfg.BatchSize-len(batch), wait)
			if len(got) > 0 && due.IsZero() {
				due = windowStart.Add(r.cfg.FlushInterval)
			}
			batch = append(batch, got...)
			switch {
			case err == nil || ctx.Err() != nil:
				fetchErrors = 0
			case r.js.Conn().IsClosed():
				// Nothing held can be acked any more; JetStream redelivers it.
				return fmt.Errorf("ingest: NATS connection closed: %w", err)
			default:
				fetchErrors++
				wait := r.backoff(fetchErrors)
				r.log.Warn("pull from JetStream failed; retrying", "durable", r.cfg.Durable, "error", err, "attempt", fetchErrors, "retry_in", wait)
				if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
					if cons, cerr := r.js.CreateOrUpdateConsumer(ctx, schema.UpdatesStream, r.ConsumerConfig()); cerr == nil {
						r.cons = cons
					}
				}
				if !due.IsZero() { // do not hold a batch past its flush for a retry
					wait = max(min(wait, time.Until(due)), 0)
				}
				sleep(ctx, wait)
			}
		}
		if len(batch) > 0 && (len(batch) >= r.cfg.BatchSize || !time.Now().Before(due)) {
			batches <- heldBatch{batch, r.keepAlive(batch)}
			batch, due = nil, time.Time{}
		}
	}
	if len(batch) > 0 {
		batches <- heldBatch{batch, r.keepAlive(batch)}
	}
	return nil
}

// fetch pulls up to n messages, waiting up to wait, and classifies them in
// delivery order. The pull ends by the server's expiry, never by a client
// timer or context: a pull cut short on the client would drop messages the
// server already delivered, and they would come again only after AckWait.
// ctx bounds only the claims of new projects (see settleOwners).
func (r *run) fetch(ctx context.Context, n int, wait time.Duration) ([]*item, error) {
	res, err := r.cons.Fetch(n, jetstream.FetchMaxWait(wait))
	if err != nil {
		return nil, fmt.Errorf("pull %d messages from %s/%s: %w", n, schema.UpdatesStream, r.cfg.Durable, err)
	}
	var items []*item
	for m := range res.Messages() {
		md, err := m.Metadata()
		if err != nil { // only a message outside JetStream lacks metadata
			r.log.Error("message without JetStream metadata; terminating it", "subject", m.Subject(), "error", err)
			_ = m.Term()
			continue
		}
		items = append(items, classify(m, md))
	}
	pullErr := res.Error()
	if err := r.settleOwners(ctx, items); err != nil {
		r.nak(items)
		return nil, err
	}
	for _, it := range items {
		if !it.accepted() {
			r.log.Info("message rejected", "subject", it.subject, "stream_seq", it.seq, "department_id", it.parts.Department,
				"project_id", it.parts.Project, "rule", it.rule(), "reason", reasonEn(it.reject))
		}
	}
	if pullErr != nil {
		return items, fmt.Errorf("pull from %s/%s: %w", schema.UpdatesStream, r.cfg.Durable, pullErr)
	}
	return items, nil
}

// settleOwners checks the ownership of the classified items in order.
// First the projects of the items that this replica knows no owner of are
// claimed in the projects bucket: for the department ClickHouse stores as
// the owner (a project registered before the bucket decided owners), else
// for the department of the first registration of the project among the
// items (a report alone claims nothing); then each item is checked
// against the owners, so a registration of a project another department
// owns is rejected (rule not_owner, naming the owner) and a report counts
// a registration before it. Claims are retried until they succeed; when
// ctx ends first, the items are not settled and an error is returned.
func (r *run) settleOwners(ctx context.Context, items []*item) error {
	claims := map[string]string{}
	r.ownersMu.Lock()
	for _, it := range items {
		if !it.accepted() {
			continue
		}
		project := it.ev.Project()
		if _, known := r.owners[project]; known {
			continue
		}
		if d, ok := r.legacy[project]; ok {
			claims[project] = d
		} else if _, first := claims[project]; !first && it.ev.Kind() == schema.KindProject {
			claims[project] = it.ev.Department()
		}
	}
	r.ownersMu.Unlock()
	if len(claims) > 0 {
		var owners schema.Owners
		err := r.retry(ctx, "claim project owners", len(items), func(actx context.Context) (err error) {
			owners, err = claimAll(actx, r.kv, claims)
			return err
		})
		if err != nil {
			return err
		}
		mergeOwners(&r.ownersMu, r.owners, owners)
	}
	r.ownersMu.Lock()
	defer r.ownersMu.Unlock()
	for _, it := range items {
		if it.accepted() {
			checkOwner(it, r.owners)
		}
	}
	return nil
}

// flush stores the batch, retrying until it succeeds, then acks it. When
// ctx ends first, the batch is handed back to JetStream (nak) after the
// attempt in progress, and flush returns nil.
func (r *run) flush(ctx context.Context, batch []*item) error {
	start := time.Now()

	var ownersRechecked, dupsMarked, refusalsLogged bool
	err := r.retry(ctx, "store batch", len(batch), func(actx context.Context) error {
		if r.hooks.beforeStore != nil {
			r.hooks.beforeStore(actx)
		}
		if !ownersRechecked {
			if err := r.recheckOwners(actx, batch); err != nil {
				return err
			}
			ownersRechecked = true
		}
		if !dupsMarked {
			if err := markDuplicates(actx, r.conn, batch); err != nil {
				return err
			}
			dupsMarked = true
		}
		// Events first: a row ClickHouse refuses becomes a rejection here,
		// to be dead-lettered with the others below.
		if err := insertEvents(actx, r.conn, batch, time.Now(), r.hooks.afterInsert); err != nil {
			return err
		}
		if !refusalsLogged {
			if err := r.afterRefusals(actx, batch); err != nil {
				return err
			}
			refusalsLogged = true
		}
		if err := r.publishDeadLetters(actx, batch); err != nil {
			return err
		}
		return insertRejections(actx, r.conn, batch, time.Now())
	})
	if err != nil {
		r.nak(batch)
		r.log.Warn("batch handed back to JetStream for redelivery", "batch_size", len(batch), "error", err)
		return nil
	}
	if r.hooks.afterStore != nil && r.hooks.afterStore() {
		return errCrash
	}
	r.ack(batch, start)
	return nil
}

// afterRefusals logs and counts the rows ClickHouse refused in the batch.
// A refused project registration keeps the claim it made in the projects
// bucket: the project stays its department's, which sends the
// registration again, fixed.
func (r *run) afterRefusals(_ context.Context, batch []*item) error {
	var refused []*item
	for _, it := range batch {
		if it.refused {
			refused = append(refused, it)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	for _, it := range refused {
		r.log.Warn("ClickHouse refused a row; it is dead-lettered and the rest of the batch stored",
			"subject", it.subject, "stream_seq", it.seq, "event_id", it.eventID, "reason", reasonEn(it.reject))
	}
	r.mu.Lock()
	r.stats.Refused += uint64(len(refused))
	r.mu.Unlock()
	return nil
}

// retry runs attempt until it succeeds, waiting with exponential back-off
// between failures. Each attempt has StoreTimeout; once ctx ends, the
// attempt in progress may go on for ShutdownGrace, and no new one starts.
func (r *run) retry(ctx context.Context, what string, batchSize int, attempt func(context.Context) error) error {
	for n := 1; ; n++ {
		actx, cancel := r.attemptContext(ctx)
		err := attempt(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: stopped: %w", what, err)
		}
		wait := r.backoff(n)
		r.mu.Lock()
		r.stats.Retries++
		r.mu.Unlock()
		r.log.Warn(what+" failed; retrying", "batch_size", batchSize, "attempt", n, "retry_in", wait, "error", err)
		if !sleep(ctx, wait) {
			return fmt.Errorf("%s: stopped: %w", what, err)
		}
	}
}

// attemptContext bounds one attempt by StoreTimeout and, once ctx ends, by
// ShutdownGrace.
func (r *run) attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.StoreTimeout)
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(r.cfg.ShutdownGrace, cancel)
		context.AfterFunc(actx, func() { t.Stop() })
	})
	return actx, func() { stop(); cancel() }
}

// backoff is the wait after the n-th failure: RetryMin doubled per
// failure, capped at RetryMax, with ±20% jitter so replicas spread out.
func (r *run) backoff(n int) time.Duration {
	d := r.cfg.RetryMin
	for i := 1; i < n && d < r.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, r.cfg.RetryMax)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// keepAlive tells JetStream every AckWait/3 that the batch's messages are
// still being worked on, until the returned function is called.
func (r *run) keepAlive(batch []*item) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(r.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, it := range batch {
					if err := it.msg.InProgress(); err != nil {
						r.log.Warn("in-progress signal failed", "stream_seq", it.seq, "subject", it.subject, "error", err)
						break
					}
				}
				r.log.Debug("batch kept alive while storing", "batch_size", len(batch))
			}
		}
	}()
	return func() { close(done); <-finished }
}

// recheckOwners gives the items rejected for an unknown project, or for
// another department's, a second chance against the projects bucket:
// another replica may have claimed the project, or an administrator
// transferred it, after this one checked them and before its watch said
// so. A rejection for ownership is always the bucket's word.
func (r *run) recheckOwners(ctx context.Context, batch []*item) error {
	var projects []string
	seen := map[string]bool{}
	for _, it := range batch {
		if (it.rule() == schema.RuleUnknownProject || it.rule() == schema.RuleNotOwner) && !seen[it.ev.Project()] {
			seen[it.ev.Project()] = true
			projects = append(projects, it.ev.Project())
		}
	}
	if len(projects) == 0 {
		return nil
	}
	fresh, err := lookupOwners(ctx, r.kv, projects)
	if err != nil {
		return err
	}
	mergeOwners(&r.ownersMu, r.owners, fresh)
	for _, it := range batch {
		if recheckOwner(it, fresh) {
			r.log.Info("message accepted on second look: its project was claimed by another replica or transferred",
				"subject", it.subject, "stream_seq", it.seq, "project_id", it.ev.Project())
		}
	}
	return nil
}

// ack acknowledges a stored batch and counts it.
func (r *run) ack(batch []*item, start time.Time) {
	for _, it := range batch {
		if err := it.msg.Ack(); err != nil {
			// The message will be redelivered and found stored: a duplicate.
			r.log.Warn("ack failed; the message will come again and be stored once", "stream_seq", it.seq, "subject", it.subject, "error", err)
		}
	}
	now := time.Now()
	var total Counts
	r.mu.Lock()
	for _, it := range batch {
		c := r.stats.ByKind[it.kind()]
		switch {
		case !it.accepted():
			c.Rejected++
			total.Rejected++
		case it.duplicate:
			c.Duplicate++
			total.Duplicate++
		default:
			c.Accepted++
			total.Accepted++
		}
		r.stats.ByKind[it.kind()] = c
	}
	r.stats.Batches++
	r.stats.LastFlush = now
	r.stats.LastBatchSize = len(batch)
	r.stats.LastFlushDuration = now.Sub(start)
	r.mu.Unlock()
	r.log.Info("batch stored", "batch_size", len(batch), "accepted", total.Accepted, "duplicate", total.Duplicate,
		"rejected", total.Rejected, "duration", now.Sub(start))
}

// nak hands a batch that could not be stored back to JetStream for
// redelivery to any replica.
func (r *run) nak(batch []*item) {
	for _, it := range batch {
		if err := it.msg.Nak(); err != nil {
			r.log.Warn("nak failed; the message will be redelivered after the ack wait", "stream_seq", it.seq, "error", err)
		}
	}
	r.mu.Lock()
	r.stats.Returned += uint64(len(batch))
	r.mu.Unlock()
}
