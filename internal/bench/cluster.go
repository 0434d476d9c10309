package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/internal/natsserver"
	"github.com/keyproject/kpp/schema"
)

// ClusterResult is kpp's ingest on a NATS cluster of embedded nodes on
// loopback, every stream and bucket replicated on each node, against its
// rate on one node in the same run.
type ClusterResult struct {
	// Nodes is the size of the cluster and the replicas of every stream.
	Nodes int
	// Ceiling is publishing the reports in atomic batches of 1000 into the
	// replicated stream with no consumer.
	Ceiling Rate
	// KPP is kpp end to end on the cluster, as the ingest scenario's kpp
	// row: submit publishes, ingest checks, dedupes, stores and acks.
	KPP Rate
	// Single is kpp on one node (the ingest scenario's kpp row).
	Single Rate
}

// WriteText prints the comparison.
func (r *ClusterResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "cluster — %d NATS nodes on loopback, every stream and bucket with %d replicas\n", r.Nodes, r.Nodes)
	fmt.Fprintf(w, "  JetStream atomic-batch publish (ceiling)     %s\n", r.Ceiling)
	fmt.Fprintf(w, "  kpp: submit → ingest → ClickHouse            %s\n", r.KPP)
	fmt.Fprintf(w, "  kpp on one node                              %s\n", r.Single)
	fmt.Fprintf(w, "  cluster ÷ one node                           %8.2f\n", ratio(r.KPP, r.Single))
}

func runCluster(ctx context.Context, cfg Config, single Rate) (*ClusterResult, error) {
	out := &ClusterResult{Nodes: cfg.Cluster, Single: single}
	bodies, err := encodeReports(cfg.Events)
	if err != nil {
		return nil, err
	}
	opts := schema.StreamOptions{Replicas: cfg.Cluster}
	{
		cl, err := startCluster(filepath.Join(cfg.Dir, "cluster-ceiling"), cfg.Cluster)
		if err != nil {
			return nil, err
		}
		nc, js, err := cl.connect()
		if err != nil {
			cl.shutdown()
			return nil, err
		}
		err = schema.EnsureStreams(ctx, js, opts)
		if err == nil {
			start := time.Now()
			if err = publishBatches(ctx, js, bodies); err == nil {
				out.Ceiling = Rate{N: len(bodies), Duration: time.Since(start)}
			}
		}
		nc.Close()
		cl.shutdown()
		if err != nil {
			return nil, fmt.Errorf("bench: cluster ceiling: %w", err)
		}
	}
	cfg.say("  %-44s %s", fmt.Sprintf("cluster of %d: atomic-batch publish", cfg.Cluster), out.Ceiling)

	st, err := freshStore(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	cl, err := startCluster(filepath.Join(cfg.Dir, "cluster-kpp"), cfg.Cluster)
	if err != nil {
		return nil, err
	}
	defer cl.shutdown()
	nc, js, err := cl.connect()
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	icfg := cfg.Ingest
	icfg.Streams = opts
	if out.KPP, err = kppRunOn(ctx, cfg, icfg, st, js, "bench-c-", cfg.Events); err != nil {
		return nil, err
	}
	cfg.say("  %-44s %s", fmt.Sprintf("cluster of %d: kpp submit → ingest", cfg.Cluster), out.KPP)
	return out, nil
}

// natsCluster is a NATS cluster of embedded servers on loopback ports,
// syncing before every ack as kpp serve does.
type natsCluster struct {
	srvs []*natsserver.Server
	urls []string
}

// startCluster starts n nodes with JetStream, each storing in a folder of
// dir (emptied first), and waits until the cluster's JetStream answers.
func startCluster(dir string, n int) (*natsCluster, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	ports := make([]int, 2*n)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i]))
	}
	cl := &natsCluster{srvs: make([]*natsserver.Server, n)}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		cl.urls = append(cl.urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
		wg.Add(1)
		go func() { // the nodes wait for each other's routes
			defer wg.Done()
			cl.srvs[i], errs[i] = natsserver.Start(natsserver.Config{
				StoreDir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)), Port: ports[i], ServerName: fmt.Sprintf("n%d", i+1),
				Cluster: &natsserver.Cluster{Name: "kpp-bench", Port: ports[n+i], Routes: routes},
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		cl.shutdown()
		return nil, fmt.Errorf("bench: start a NATS cluster of %d: %w", n, err)
	}
	nc, js, err := cl.connect()
	if err != nil {
		cl.shutdown()
		return nil, err
	}
	defer nc.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		actx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(actx)
		cancel()
		if err == nil {
			return cl, nil
		}
		if time.Now().After(deadline) {
			cl.shutdown()
			return nil, fmt.Errorf("bench: the NATS cluster's JetStream is not ready after a minute: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// connect connects to every node, as kpp serve --nats-url does with a list.
func (c *natsCluster) connect() (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(strings.Join(c.urls, ","), nats.MaxReconnects(-1))
	if err != nil {
		return nil, nil, fmt.Errorf("bench: connect to the NATS cluster: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

func (c *natsCluster) shutdown() {
	for _, s := range c.srvs {
		if s != nil {
			s.Shutdown()
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("bench: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
