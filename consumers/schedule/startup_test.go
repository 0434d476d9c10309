package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// On a NATS cluster without a quorum (two of three nodes down, as while a
// cluster forms or a leader is elected), JetStream answers no request. The
// scheduler must wait for it, retrying, instead of returning an error that
// stops kpp serve, ingest included; it starts once the quorum is back.
func TestSchedulerWaitsForAClusterWithoutQuorum(t *testing.T) {
	c := testenv.NATSCluster(t, 3)
	st := openStore(t, testenv.ClickHouseDSN(t))
	_, js := connect(t, c.URL(0))
	c.Stop(1)
	c.Stop(2)

	log, logs := newLogger(t, "a")
	var calls calls
	s, err := New(js, st, okJob(&calls), Config{Replica: "a", Logger: log, Streams: schema.StreamOptions{Replicas: 3},
		WeeklySpec: SpecOff, DekadSpec: SpecOff, MonthlySpec: SpecOff})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, s)
	testenv.Eventually(t, 60*time.Second, func() bool {
		return len(logs.lines("scheduler start-up: NATS JetStream did not answer in time; retrying")) > 0
	}, "the scheduler did not retry its start-up while the cluster had no quorum:\n%s", logs.String())
	if l := logs.lines("scheduler started"); len(l) != 0 {
		t.Fatalf("started without a quorum: %q", l)
	}
	c.Start(1)
	c.Start(2)
	testenv.Eventually(t, 90*time.Second, func() bool { return len(logs.lines("scheduler started")) == 1 },
		"the scheduler did not start once the quorum was back:\n%s", logs.String())
	stop()
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs.String())
	}
}
