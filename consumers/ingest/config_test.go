package ingest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/ingest"
)

func TestConfigDefaultsAndValidation(t *testing.T) {
	if err := (ingest.Config{}).Validate(); err != nil {
		t.Fatalf("the zero Config must be valid (all defaults): %v", err)
	}
	for _, c := range []struct {
		cfg  ingest.Config
		want string
	}{
		{ingest.Config{Durable: "kpp.ingest"}, `durable name "kpp.ingest"`},
		{ingest.Config{BatchSize: -1}, "batch size -1: expected at least 1"},
		{ingest.Config{AckWait: 500 * time.Millisecond}, "ack wait 500ms: expected at least 1s"},
		{ingest.Config{FlushInterval: 20 * time.Second}, "flush interval 20s: expected 50ms to ack wait/3 = 10s"},
		{ingest.Config{MaxDeliver: 1}, "max deliver 1: expected at least 2, or -1"},
		{ingest.Config{MaxDeliver: 3, BackOff: []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}}, "back-off has 3 steps: expected fewer than max deliver (3)"},
		{ingest.Config{BackOff: []time.Duration{time.Second}}, "back-off step 1 is 1s: expected at least the ack wait 30s"},
		{ingest.Config{BatchSize: 100, MaxAckPending: 50}, "max ack pending 50: expected at least the batch size 100"},
		{ingest.Config{RetryMin: time.Minute}, "retry back-off 1m0s to 15s: expected 0 < min ≤ max"},
	} {
		err := c.cfg.Validate()
		if !errors.Is(err, ingest.ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want an ErrConfig saying %q", c.cfg, err, c.want)
		}
	}
}

func TestConsumerConfigFollowsConfig(t *testing.T) {
	e := newEnv(t)
	in, err := ingest.New(e.js, e.st, ingest.Config{AckWait: 10 * time.Second, MaxDeliver: 4})
	if err != nil {
		t.Fatal(err)
	}
	cc := in.ConsumerConfig()
	// JetStream takes BackOff[0] as the ack wait of the first delivery.
	wantBackOff := []time.Duration{10 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second}
	if cc.Durable != ingest.DefaultDurable || cc.AckWait != 10*time.Second || cc.MaxDeliver != 4 || cc.MaxAckPending != 4*ingest.DefaultBatchSize ||
		len(cc.BackOff) != len(wantBackOff) {
		t.Fatalf("consumer config %+v", cc)
	}
	for i, d := range wantBackOff {
		if cc.BackOff[i] != d {
			t.Errorf("BackOff = %v, want %v", cc.BackOff, wantBackOff)
			break
		}
	}
	if _, err := ingest.New(nil, e.st, ingest.Config{}); !errors.Is(err, ingest.ErrConfig) {
		t.Errorf("New without JetStream = %v, want ErrConfig", err)
	}
}
