//go:build faults

package faults

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/chserver"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// newClusterEnv starts a NATS cluster of size natsd processes on loopback
// (clustered JetStream, each node with its own store) and connects to it
// with every node's URL, as kpp serve is given them.
func newClusterEnv(t *testing.T, ch *chserver.Server, size int) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), ch: ch, dsn: ch.DSN("kpp")}
	listens, routes := make([]string, size), make([]string, size)
	clusterListens := make([]string, size)
	for i := range size {
		client, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		route, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		listens[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(client))
		clusterListens[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(route))
		routes[i] = "nats-route://" + clusterListens[i]
	}
	var urls []string
	for i := range size {
		name := fmt.Sprintf("n%d", i+1)
		e.nodes = append(e.nodes, startProc(t, e.dir, "natsd-"+name, bin.natsd, "-listen", listens[i],
			"-store", filepath.Join(e.dir, "jetstream-"+name), "-name", name,
			"-cluster", "kpp-faults", "-cluster-listen", clusterListens[i], "-routes", strings.Join(routes, ",")))
		urls = append(urls, "nats://"+listens[i])
	}
	for _, n := range e.nodes {
		n.waitLine("ready", 30*time.Second)
	}
	e.natsURL = strings.Join(urls, ",")
	e.connect()
	// JetStream answers once the nodes have elected a meta leader.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := e.js.AccountInfo(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the NATS cluster (%s) has no JetStream after 60 s: %v", e.natsURL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return e
}

// streamPlacement is where KPP_UPDATES lives: its configured replicas,
// its leader and the other nodes holding it.
func (e *env) streamPlacement() (replicas int, leader string, followers []string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := e.js.Stream(ctx, schema.UpdatesStream)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if info.Cluster == nil {
		return info.Config.Replicas, "", nil
	}
	for _, r := range info.Cluster.Replicas {
		followers = append(followers, r.Name)
	}
	return info.Config.Replicas, info.Cluster.Leader, followers
}

// TestIngestReplicasOnNATSCluster is TestTwoIngestReplicas on a three-node
// NATS cluster: three natsd processes on loopback, two kpp serve replicas
// given all three URLs and --stream-replicas 3, so that KPP_UPDATES and
// the durable consumer are replicated on every node. 20,000 reports are
// published at once; when both replicas have stored batches, one is
// SIGKILLed while ingest holds unacknowledged messages. The other gets its
// messages after the ack wait (5 s) and stores the rest; JetStream must
// have redelivered some. Recovery is from the kill until everything
// published before it is acknowledged.
func TestIngestReplicasOnNATSCluster(t *testing.T) {
	began := time.Now()
	n := scaled(t, 20_000)
	e := newClusterEnv(t, testenv.ClickHouseServer(t), 3)
	flags := []string{"--batch-size", "2000", "--stream-replicas", "3"}
	// The replicas start one after the other, each once its scheduler
	// has started (written when a timed-out start-up request ended kpp
	// serve; the scheduler now retries, docs/reliability.md).
	a := e.serve("serve-a", flags...)
	a.waitLine("scheduler started", time.Minute)
	b := e.serve("serve-b", flags...)
	b.waitLine("scheduler started", time.Minute)
	replicas, leader, followers := e.streamPlacement()
	if replicas != 3 || leader == "" || len(followers) != 2 {
		t.Fatalf("%s: %d replicas, leader %q, followers %v; want 3 replicas on the 3 nodes", schema.UpdatesStream, replicas, leader, followers)
	}
	t.Logf("%s: 3 replicas, leader %s, followers %v", schema.UpdatesStream, leader, followers)
	k := killOneOfTwo(t, e, a, b, "natscluster-", n)
	record(figure{scenario: "two ingest replicas on a 3-node NATS cluster, one SIGKILLed",
		faults:  k.faults + "; streams R3, leader " + leader,
		outcome: k.o, recovery: k.recovery, note: "(kill → all published before it stored by serve-b); " + k.stats, took: time.Since(began)})
}
