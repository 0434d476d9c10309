package schema

import (
	"context"
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
	// Replicas is the number of stream replicas (1 for a single server).
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
// Producers and consumers both call it at start; it is idempotent.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, o StreamOptions) error {
	for _, cfg := range []jetstream.StreamConfig{UpdatesStreamConfig(o), DeadLetterStreamConfig(o)} {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("create or update stream %s: %w", cfg.Name, err)
		}
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, ProjectsBucketConfig(o)); err != nil {
		return fmt.Errorf("create or update key-value bucket %s: %w", ProjectsBucket, err)
	}
	return nil
}
