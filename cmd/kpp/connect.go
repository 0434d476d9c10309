package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"

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
	NATSURL string `name:"nats-url" env:"KPP_NATS_URL" help:"NATS server URL (e.g. nats://127.0.0.1:4222). Empty: start an embedded NATS server with JetStream, its data under --data-dir."`
	// NATSListen is where the embedded server listens.
	NATSListen string `name:"nats-listen" env:"KPP_NATS_LISTEN" default:"127.0.0.1:4222" help:"Address the embedded NATS server listens on (when --nats-url is empty); port 0 picks a free one."`
	DataDir    string `name:"data-dir" env:"KPP_DATA_DIR" default:".kpp" type:"path" help:"Folder for the embedded NATS server's JetStream files."`
	NATSCreds  string `name:"nats-creds" env:"KPP_NATS_CREDS" type:"path" help:"NATS credentials file for an external server (optional)."`
	NATSUser   string `name:"nats-user" env:"KPP_NATS_USER" help:"NATS user of an external server configured by kpp nats-config (kpp-service); the password comes from KPP_NATS_PASSWORD."`
}

// clientNATSFlags is for commands that only connect (submit, dlq replay).
type clientNATSFlags struct {
	NATSURL   string `name:"nats-url" env:"KPP_NATS_URL" default:"nats://127.0.0.1:4222" help:"NATS server URL: the one kpp serve runs or connects to."`
	NATSCreds string `name:"nats-creds" env:"KPP_NATS_CREDS" type:"path" help:"NATS credentials file (optional)."`
	NATSUser  string `name:"nats-user" env:"KPP_NATS_USER" help:"NATS user of a server configured by kpp nats-config: a department id (may publish only its own reports) or kpp-service. The password comes from KPP_NATS_PASSWORD."`
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
	ClickHouse string `name:"clickhouse" env:"KPP_CLICKHOUSE" default:"clickhouse://127.0.0.1:9000/kpp" help:"ClickHouse DSN, native protocol: clickhouse://[user[:password]@]host:9000/database."`
}

// natsConn is a connection with JetStream and, when embedded, the server.
type natsConn struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	server *natsserver.Server
	// assumeStreams is set for a department's user, which may not create
	// or update the streams.
	assumeStreams bool
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
// natsauth.DefaultServiceUser with servicePassword. An external server
// is connected as --nats-user (KPP_NATS_PASSWORD) when one is given.
func connectNATS(ctx context.Context, f natsFlags, log *slog.Logger, users []*server.User, servicePassword string) (*natsConn, error) {
	c := &natsConn{}
	url := f.NATSURL
	var opts []nats.Option
	if url != "" && f.NATSUser != "" {
		opts = natsauth.ServiceConnectOptions(f.NATSUser, os.Getenv("KPP_NATS_PASSWORD"))
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
			opts = natsauth.ServiceConnectOptions("", servicePassword)
		}
	}
	if err := c.dial(ctx, url, f.NATSCreds, opts...); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func connectClient(ctx context.Context, f clientNATSFlags) (*natsConn, error) {
	c := &natsConn{}
	var opts []nats.Option
	switch pw := os.Getenv("KPP_NATS_PASSWORD"); {
	case f.department() != "":
		// A department's user has its own reply inbox and may not manage
		// streams: they are kpp serve's.
		opts = natsauth.DepartmentConnectOptions(f.NATSUser, pw)
		c.assumeStreams = true
	case f.NATSUser != "":
		opts = natsauth.ServiceConnectOptions(f.NATSUser, pw)
	}
	if err := c.dial(ctx, f.NATSURL, f.NATSCreds, opts...); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *natsConn) dial(ctx context.Context, url, creds string, extra ...nats.Option) error {
	opts := append([]nats.Option{nats.Name("kpp"), nats.MaxReconnects(-1)}, extra...)
	if creds != "" {
		opts = append(opts, nats.UserCredentials(creds))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w (is kpp serve running, or set --nats-url)", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("JetStream at %s: %w", url, err)
	}
	if !c.assumeStreams {
		if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
			nc.Close()
			return fmt.Errorf("NATS at %s: %w (is JetStream enabled on the server?)", url, err)
		}
	}
	c.nc, c.js = nc, js
	return nil
}

func openStore(ctx context.Context, f chFlags, log *slog.Logger) (*chstore.Store, error) {
	st, err := chstore.Open(ctx, f.ClickHouse, log)
	if err != nil {
		return nil, err
	}
	return st, nil
}
