// Package natsserver runs an embedded NATS server with JetStream for
// `kpp serve`, `kpp demo` and the tests, so that nothing but the kpp binary
// is needed to try the pipeline.
//
// JetStream syncs every write to disk before it acknowledges
// (sync_interval: always). Jepsen's analysis of NATS 2.12.1 (2025) showed
// that the default, a flush every two minutes, can lose acknowledged
// messages on a power failure or OS crash; a kpp receipt means the report is
// on disk.
package natsserver

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config configures the embedded server.
type Config struct {
	// StoreDir is where JetStream keeps its files. Required.
	StoreDir string
	// Host to listen on; default 127.0.0.1.
	Host string
	// Port to listen on; 0 picks a free port. -1 would disable listening, which
	// kpp does not use: other processes (kpp submit) connect over TCP.
	Port int
	// SyncAlways syncs every JetStream write before acknowledging. It is true
	// unless NoSync is set: a receipt must mean durable.
	NoSync bool
	// ServerName names the server in logs; default "kpp".
	ServerName string
	// Users, when not empty, turns on authorization: only these users may
	// connect, each with its permissions (producers/natsauth makes them).
	Users []*server.User
	// Cluster, when set, makes the server a node of a NATS cluster with
	// clustered JetStream (streams replicated over the nodes by Raft).
	// ServerName must then differ on every node.
	Cluster *Cluster
}

// Cluster is a node's part of a NATS cluster.
type Cluster struct {
	// Name of the cluster, the same on every node.
	Name string
	// Host and Port where the node listens for the other nodes' routes;
	// Host defaults to the client Host.
	Host string
	Port int
	// Routes are the route URLs of the other nodes (nats-route://host:port);
	// listing the node itself as well is harmless.
	Routes []string
}

// Server is a running embedded NATS server.
type Server struct {
	srv *server.Server
}

// Start starts the server and waits until it accepts connections.
func Start(cfg Config) (*Server, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("natsserver: StoreDir is required")
	}
	if err := os.MkdirAll(cfg.StoreDir, 0o750); err != nil {
		return nil, fmt.Errorf("natsserver: create store dir: %w", err)
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Port == 0 {
		cfg.Port = server.RANDOM_PORT
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "kpp"
	}
	opts := &server.Options{
		ServerName: cfg.ServerName,
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: !cfg.NoSync,
		NoSigs:     true,
		NoLog:      true,
		Users:      cfg.Users,
		// The JetStream limits of an atomic batch (1000 messages) are the
		// server's defaults.
	}
	if c := cfg.Cluster; c != nil {
		if c.Host == "" {
			c.Host = cfg.Host
		}
		opts.Cluster = server.ClusterOpts{Name: c.Name, Host: c.Host, Port: c.Port}
		for _, r := range c.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("natsserver: route %q: %w", r, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsserver: configure: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("natsserver: not ready after 30s (store dir %s)", cfg.StoreDir)
	}
	return &Server{srv: srv}, nil
}

// URL is the client URL, e.g. nats://127.0.0.1:4222.
func (s *Server) URL() string { return s.srv.ClientURL() }

// Name is the server's name (ServerName), as JetStream names a stream's
// leader and replicas.
func (s *Server) Name() string { return s.srv.Name() }

// Shutdown stops the server and waits for it to finish.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}
