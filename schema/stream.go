package schema

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ProjectsBucket is the JetStream key-value bucket that decides who owns
// a project (key: project id, value: department id). Ingest claims a key
// with a create-if-absent when it accepts the first registration of a
// project, so every replica agrees; afterwards only an administrator
// changes it (kpp project transfer). Producers read it to check ownership
// before publishing; the consumer checks again.
const ProjectsBucket = "KPP_PROJECTS"

// DefaultDuplicateWindow is how long JetStream remembers message ids: a
// report published again within it is dropped by JetStream itself. Later
// copies are still stored once, by event id, in ClickHouse.
const DefaultDuplicateWindow = 24 * time.Hour

// StreamOptions tunes the streams for a deployment.
type StreamOptions struct {
	// Replicas is the number of replicas of each stream and key-value
	// bucket: 1 on a single server, 3 on a three-node NATS cluster (at most
	// the cluster's size, and 5). Zero keeps the replicas of a stream that
	// exists (so that a client such as kpp submit never scales down what
	// kpp serve made) and means 1 for a new one; see [StreamOptions.For].
	Replicas int
	// DuplicateWindow; zero means DefaultDuplicateWindow.
	DuplicateWindow time.Duration
}

func (o StreamOptions) withDefaults() StreamOptions {
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.DuplicateWindow == 0 {
		o.DuplicateWindow = DefaultDuplicateWindow
	}
	return o
}

// For returns o with Replicas resolved for the stream named stream (a
// key-value bucket's stream is "KV_<bucket>"): unchanged when set; else the
// replicas of the stream as it exists, or 1 when there is none yet.
func (o StreamOptions) For(ctx context.Context, js jetstream.JetStream, stream string) (StreamOptions, error) {
	if o.Replicas != 0 {
		return o, nil
	}
	s, err := js.Stream(ctx, stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		o.Replicas = 1
	case err != nil:
		return o, fmt.Errorf("read the configuration of stream %s: %w", stream, err)
	default:
		o.Replicas = max(s.CachedInfo().Config.Replicas, 1)
	}
	return o, nil
}

// UpdatesStreamConfig is the configuration of the KPP_UPDATES stream: file
// storage, every message kept (the stream is the replayable record), message
// ids deduplicated over the window, and atomic batch publish allowed so that
// an uploaded file is stored all or nothing.
func UpdatesStreamConfig(o StreamOptions) jetstream.StreamConfig {
	o = o.withDefaults()
	return jetstream.StreamConfig{
		Name:               UpdatesStream,
		Description:        "kpp: project registrations, monthly investment reports and milestone updates, by department",
		Subjects:           []string{UpdatesSubjects},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Replicas:           o.Replicas,
		Duplicates:         o.DuplicateWindow,
		AllowAtomicPublish: true,
	}
}

// DeadLetterStreamConfig is the configuration of the KPP_DEADLETTER stream,
// which keeps every rejected message with its reason in headers.
func DeadLetterStreamConfig(o StreamOptions) jetstream.StreamConfig {
	o = o.withDefaults()
	return jetstream.StreamConfig{
		Name:        DeadLetterStream,
		Description: "kpp: updates rejected by ingest, with the reason in Kpp-Reject-* headers",
		Subjects:    []string{DeadLetterSubjects},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    o.Replicas,
		// Ingest publishes a rejection with Nats-Msg-Id "dlq:<stream seq>":
		// a redelivery within the window is not a second copy.
		Duplicates: o.DuplicateWindow,
	}
}

// ProjectsBucketConfig is the configuration of the KPP_PROJECTS bucket.
func ProjectsBucketConfig(o StreamOptions) jetstream.KeyValueConfig {
	o = o.withDefaults()
	return jetstream.KeyValueConfig{
		Bucket:      ProjectsBucket,
		Description: "kpp: project id -> owning department id, claimed once by ingest",
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
	}
}

// EnsureStreams creates or updates the streams and the projects bucket.
// Producers and consumers both call it at start; it is idempotent. With
// o.Replicas zero each keeps the replicas it has ([StreamOptions.For]).
func EnsureStreams(ctx context.Context, js jetstream.JetStream, o StreamOptions) error {
	for _, sc := range []struct {
		name string
		cfg  func(StreamOptions) jetstream.StreamConfig
	}{{UpdatesStream, UpdatesStreamConfig}, {DeadLetterStream, DeadLetterStreamConfig}} {
		so, err := o.For(ctx, js, sc.name)
		if err != nil {
			return err
		}
		if _, err := js.CreateOrUpdateStream(ctx, sc.cfg(so)); err != nil {
			return fmt.Errorf("create or update stream %s (%d replicas): %w", sc.name, so.Replicas, err)
		}
	}
	so, err := o.For(ctx, js, "KV_"+ProjectsBucket)
	if err != nil {
		return err
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, ProjectsBucketConfig(so)); err != nil {
		return fmt.Errorf("create or update key-value bucket %s (%d replicas): %w", ProjectsBucket, so.Replicas, err)
	}
	return nil
}
