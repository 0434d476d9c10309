// Command natsd runs kpp's NATS server (JetStream, sync before ack; package
// internal/natsserver) as a process of its own, so that the fault suite
// (internal/faults) can SIGKILL it and start it again on the same port and
// store while `kpp serve` and the producers stay up.
//
//	natsd -listen 127.0.0.1:4222 -store DIR
//
// With -cluster it is one node of a NATS cluster with clustered JetStream:
// every node has its own -name, -store and -cluster-listen, and -routes
// lists the route URLs of all the nodes (its own included):
//
//	natsd -listen 127.0.0.1:4222 -store DIR1 -name n1 -cluster kpp \
//	      -cluster-listen 127.0.0.1:6222 \
//	      -routes nats-route://127.0.0.1:6222,nats-route://127.0.0.1:6223,nats-route://127.0.0.1:6224
//
// It prints "ready nats://…" on standard output once it accepts
// connections and stops on SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/keyproject/kpp/internal/natsserver"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:4222", "host:port to listen on")
	store := flag.String("store", "", "JetStream store folder (required)")
	name := flag.String("name", "kpp-faults", "server name; must differ on every node of a cluster")
	cluster := flag.String("cluster", "", "cluster name, the same on every node; empty: a single server")
	clusterListen := flag.String("cluster-listen", "", "host:port to listen on for the other nodes' routes (with -cluster)")
	routes := flag.String("routes", "", "comma-separated route URLs of the cluster's nodes, nats-route://host:port (with -cluster)")
	flag.Parse()
	cfg, err := config(*listen, *store, *name, *cluster, *clusterListen, *routes)
	if err == nil {
		err = run(cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsd:", err)
		os.Exit(1)
	}
}

func hostPort(flagName, s string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("-%s %q: expected host:port: %w", flagName, s, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return "", 0, fmt.Errorf("-%s %q: port %q is not a number", flagName, s, portStr)
	}
	return host, port, nil
}

func config(listen, store, name, cluster, clusterListen, routes string) (natsserver.Config, error) {
	host, port, err := hostPort("listen", listen)
	if err != nil {
		return natsserver.Config{}, err
	}
	if store == "" {
		return natsserver.Config{}, fmt.Errorf("-store is required: the folder of the JetStream files")
	}
	cfg := natsserver.Config{StoreDir: store, Host: host, Port: port, ServerName: name}
	if cluster == "" {
		if clusterListen != "" || routes != "" {
			return natsserver.Config{}, fmt.Errorf("-cluster-listen and -routes need -cluster NAME")
		}
		return cfg, nil
	}
	if clusterListen == "" || routes == "" {
		return natsserver.Config{}, fmt.Errorf("-cluster %s needs -cluster-listen host:port and -routes (the route URLs of every node)", cluster)
	}
	chost, cport, err := hostPort("cluster-listen", clusterListen)
	if err != nil {
		return natsserver.Config{}, err
	}
	cfg.Cluster = &natsserver.Cluster{Name: cluster, Host: chost, Port: cport, Routes: strings.Split(routes, ",")}
	return cfg, nil
}

func run(cfg natsserver.Config) error {
	srv, err := natsserver.Start(cfg)
	if err != nil {
		return err
	}
	fmt.Println("ready", srv.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	srv.Shutdown()
	return nil
}
