package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/natsserver"
	"github.com/keyproject/kpp/producers/natsauth"
	"github.com/keyproject/kpp/schema"
)

// natsFlags selects the NATS server: an external one by URL, or (when the
// command allows it and the URL is empty) an embedded one.
type natsFlags struct {
	NATSURL string `name:"nats-url" env:"KPP_NATS_URL" help:"NATS server URL (e.g. nats://127.0.0.1:4222), or the comma-separated URLs of the nodes of a NATS cluster (nats://n1:4222,nats://n2:4222,nats://n3:4222): kpp connects to one and moves to another when it fails. Empty: start an embedded NATS server with JetStream, its data under --data-dir."`
	// StreamReplicas sizes the streams and buckets kpp serve creates.
	StreamReplicas int `name:"stream-replicas" env:"KPP_STREAM_REPLICAS" default:"0" help:"Replicas of every JetStream stream and key-value bucket kpp creates (KPP_UPDATES, KPP_DEADLETTER, KPP_REVIEWS, KPP_PROJECTS, KPP_RECEIPTS, KPP_LEASES): 3 on a three-node NATS cluster, so that one dead node loses nothing. At most the cluster's size (and 5). 0: keep the replicas of the streams that exist, 1 for new ones. See docs/deploy.md."`
	// NATSListen is where the embedded server listens.
	NATSListen string `name:"nats-listen" env:"KPP_NATS_LISTEN" default:"127.0.0.1:4222" help:"Address the embedded NATS server listens on (when --nats-url is empty); port 0 picks a free one."`
	DataDir    string `name:"data-dir" env:"KPP_DATA_DIR" default:".kpp" type:"path" help:"Folder for the embedded NATS server's JetStream files and nats-service.secret (the NATS password of kpp-service, mode 0600, made when departments turn NATS authorization on)."`
	NATSCreds  string `name:"nats-creds" env:"KPP_NATS_CREDS" type:"path" help:"NATS credentials file for an external server (optional)."`
	NATSUser   string `name:"nats-user" env:"KPP_NATS_USER" help:"NATS user of an external server configured by kpp nats-config (kpp-service); the password comes from KPP_NATS_PASSWORD, else from <data-dir>/nats-service.secret."`
}

// clientNATSFlags is for commands that only connect (submit, rollup,
// template, dlq replay).
type clientNATSFlags struct {
	NATSURL   string `name:"nats-url" env:"KPP_NATS_URL" default:"nats://127.0.0.1:4222" help:"NATS server URL: the one kpp serve runs or connects to; on a cluster, the comma-separated URLs of its nodes."`
	NATSCreds string `name:"nats-creds" env:"KPP_NATS_CREDS" type:"path" help:"NATS credentials file (optional)."`
	NATSUser  string `name:"nats-user" env:"KPP_NATS_USER" help:"NATS user: a department id (may publish only its own reports) or kpp-service (the default when a service password is found). The password comes from KPP_NATS_PASSWORD."`
	DataDir   string `name:"data-dir" env:"KPP_DATA_DIR" default:".kpp" type:"path" help:"kpp serve's data folder: without --nats-user and KPP_NATS_PASSWORD, the command signs in as kpp-service with the password kpp serve keeps in <data-dir>/nats-service.secret (mode 0600)."`
}

// department is the department whose NATS user the client signs in as,
// or "" for the service user or no user.
func (f clientNATSFlags) department() string {
	if f.NATSUser == "" || f.NATSUser == natsauth.DefaultServiceUser {
		return ""
	}
	return f.NATSUser
}

type chFlags struct {
	ClickHouse string `name:"clickhouse" env:"KPP_CLICKHOUSE" default:"clickhouse://127.0.0.1:9000/kpp" help:"ClickHouse DSN, native protocol: clickhouse://[user[:password]@]host:9000/database; list the replicas of a cluster as host1:9000,host2:9000 (tried in order when one is down)."`
}

// clusterFlags are for the commands that create the schema.
type clusterFlags struct {
	Cluster string `name:"cluster" env:"KPP_CLICKHOUSE_CLUSTER" help:"ClickHouse cluster (remote_servers) whose replicas hold the database: the migrations create Replicated…MergeTree tables with ON CLUSTER and the views on every replica; on a cluster of several shards the reports, milestone updates and register are sharded by project (T_local on each shard, Distributed T over them) and the servers need distributed_product_mode=local in their default profile (docs/deploy.md). Needs ZooKeeper and every replica up while migrating. Empty: one server."`
}

// use makes st migrate on the cluster, when one is set.
func (f clusterFlags) use(st *chstore.Store) error {
	if f.Cluster == "" {
		return nil
	}
	if err := st.UseCluster(f.Cluster); err != nil {
		return fmt.Errorf("--cluster: %w", err)
	}
	return nil
}

// natsConn is a connection with JetStream and, when embedded, the server.
type natsConn struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	server *natsserver.Server
	// assumeStreams is set for a department's user, which may not create
	// or update the streams.
	assumeStreams bool
	// streams sizes the streams dial creates; zero Replicas keeps what
	// exists.
	streams schema.StreamOptions
}

func (c *natsConn) Close() {
	if c.nc != nil {
		_ = c.nc.Drain()
	}
	if c.server != nil {
		c.server.Shutdown()
	}
}

// connectNATS connects to f.NATSURL, or starts the embedded server when it
// is empty, and makes sure the streams exist. users, when not empty, turn
// on the embedded server's authorization; the service connects as
// natsauth.DefaultServiceUser with svcPassword. An external server
// is connected as --nats-user (KPP_NATS_PASSWORD, else the password in
// <data-dir>/nats-service.secret) when one is given.
func connectNATS(ctx context.Context, f natsFlags, log *slog.Logger, users []*server.User, svcPassword string) (*natsConn, error) {
	if f.StreamReplicas < 0 || f.StreamReplicas > 5 {
		return nil, fmt.Errorf("--stream-replicas %d: expected 0 (keep what exists) or 1 to 5 (at most the number of nodes of the NATS cluster)", f.StreamReplicas)
	}
	if f.NATSURL == "" && f.StreamReplicas > 1 {
		return nil, fmt.Errorf("--stream-replicas %d needs a NATS cluster of at least %d nodes given by --nats-url; the embedded NATS server is a single node (use 1 or leave it 0)", f.StreamReplicas, f.StreamReplicas)
	}
	c := &natsConn{streams: schema.StreamOptions{Replicas: f.StreamReplicas}}
	url := f.NATSURL
	var opts []nats.Option
	var sent *servicePassword
	if url != "" && f.NATSUser != "" {
		pw, err := lookupServicePassword(f.DataDir, false)
		if err != nil {
			return nil, err
		}
		opts = natsauth.ServiceConnectOptions(f.NATSUser, pw.password)
		sent = &servicePassword{source: pw.source}
	}
	if url == "" {
		host, portStr, err := net.SplitHostPort(f.NATSListen)
		if err != nil {
			return nil, fmt.Errorf("--nats-listen %q: expected host:port: %w", f.NATSListen, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return nil, fmt.Errorf("--nats-listen %q: port %q is not a number", f.NATSListen, portStr)
		}
		dir := filepath.Join(f.DataDir, "nats")
		srv, err := natsserver.Start(natsserver.Config{StoreDir: dir, Host: host, Port: port, Users: users})
		if err != nil {
			return nil, fmt.Errorf("start embedded NATS (listen %s, data %s): %w", f.NATSListen, dir, err)
		}
		c.server = srv
		url = srv.URL()
		log.Info("embedded NATS server started", "url", url, "store_dir", dir, "sync", "always", "authorization", len(users) > 0)
		if len(users) > 0 {
			opts = natsauth.ServiceConnectOptions("", svcPassword)
		}
	}
	if err := c.dial(ctx, url, f.NATSCreds, f.NATSUser, sent, opts...); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// connectClient connects a command to the NATS server of kpp serve. With
// --nats-user set to a department, it signs in as that department
// (KPP_NATS_PASSWORD). Otherwise it signs in as kpp-service when it finds
// the service password — KPP_NATS_PASSWORD, or the file kpp serve keeps in
// --data-dir — and without a user when it finds none (a server without
// authorization ignores the password).
func connectClient(ctx context.Context, f clientNATSFlags) (*natsConn, error) {
	c := &natsConn{}
	var opts []nats.Option
	var sent *servicePassword
	if f.department() != "" {
		// A department's user has its own reply inbox and may not manage
		// streams: they are kpp serve's.
		opts = natsauth.DepartmentConnectOptions(f.NATSUser, os.Getenv("KPP_NATS_PASSWORD"))
		c.assumeStreams = true
		sent = &servicePassword{source: "KPP_NATS_PASSWORD"}
	} else {
		pw, err := lookupServicePassword(f.DataDir, false)
		if err != nil {
			return nil, err
		}
		if pw.source != "" || f.NATSUser != "" {
			opts = natsauth.ServiceConnectOptions(f.NATSUser, pw.password)
			sent = &pw
		}
	}
	if err := c.dial(ctx, f.NATSURL, f.NATSCreds, f.NATSUser, sent, opts...); err != nil {
		return nil, err
	}
	return c, nil
}

// dial connects to url. user and sent (where the password came from; nil
// when none was sent) only make a refusal say what to do.
func (c *natsConn) dial(ctx context.Context, url, creds, user string, sent *servicePassword, extra ...nats.Option) error {
	opts := append([]nats.Option{nats.Name("kpp"), nats.MaxReconnects(-1)}, extra...)
	if creds != "" {
		opts = append(opts, nats.UserCredentials(creds))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return connectError(url, creds, user, sent, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("JetStream at %s: %w", url, err)
	}
	if !c.assumeStreams {
		if err := schema.EnsureStreams(ctx, js, c.streams); err != nil {
			nc.Close()
			return fmt.Errorf("NATS at %s: %w (is JetStream enabled on the server?)", url, err)
		}
	}
	c.nc, c.js = nc, js
	return nil
}

// connectError says why a connection failed and what to do: no server
// answers, or the server answered and refused the credentials sent (or
// their absence).
func connectError(url, creds, user string, sent *servicePassword, err error) error {
	if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
		return fmt.Errorf("connect to NATS at %s: %w (no NATS server answered there: is kpp serve running, and is --nats-url its --nats-listen address?)", url, err)
	}
	if user == "" {
		user = natsauth.DefaultServiceUser
	}
	switch {
	case creds != "":
		return fmt.Errorf("NATS at %s refused the credentials file %s: %w; check that the file belongs to this server", url, creds, err)
	case sent == nil:
		return fmt.Errorf("NATS at %s refused a client without a user: %w. kpp serve turns on NATS authorization once its departments file has departments. "+
			"Run this command as the operating-system user of kpp serve with its --data-dir (KPP_DATA_DIR), so that it signs in as %s with %s; "+
			"or set KPP_NATS_PASSWORD (and --nats-user for a department)",
			url, err, natsauth.DefaultServiceUser, filepath.Join("<data-dir>", serviceSecretName))
	case sent.source == "KPP_NATS_PASSWORD":
		return fmt.Errorf("NATS at %s refused user %s with the password in KPP_NATS_PASSWORD: %w. Check the user and the password (a department's: kpp dept rotate --department ID --nats; kpp-service's: the one kpp serve started with)", url, user, err)
	case sent.source == "":
		return fmt.Errorf("NATS at %s refused user %s without a password: %w. Set KPP_NATS_PASSWORD, or run as the user of kpp serve with its --data-dir", url, user, err)
	default:
		return fmt.Errorf("NATS at %s refused user %s with the password in %s: %w. That is not the password the server started with: "+
			"is this the --data-dir of the kpp serve behind %s, and was it started without KPP_NATS_PASSWORD? Use the same data dir, or restart kpp serve so that it takes the file's password", url, user, sent.source, err, url)
	}
}

func openStore(ctx context.Context, f chFlags, log *slog.Logger) (*chstore.Store, error) {
	st, err := chstore.Open(ctx, f.ClickHouse, log)
	if err != nil {
		return nil, err
	}
	return st, nil
}
