// Command natsd runs kpp's NATS server (JetStream, sync before ack; package
// internal/natsserver) as a process of its own, so that the fault suite
// (internal/faults) can SIGKILL it and start it again on the same port and
// store while `kpp serve` and the producers stay up.
//
//	natsd -listen 127.0.0.1:4222 -store DIR
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
	"syscall"

	"github.com/keyproject/kpp/internal/natsserver"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:4222", "host:port to listen on")
	store := flag.String("store", "", "JetStream store folder (required)")
	flag.Parse()
	if err := run(*listen, *store); err != nil {
		fmt.Fprintln(os.Stderr, "natsd:", err)
		os.Exit(1)
	}
}

func run(listen, store string) error {
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen %q: expected host:port: %w", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("-listen %q: port %q is not a number", listen, portStr)
	}
	if store == "" {
		return fmt.Errorf("-store is required: the folder of the JetStream files")
	}
	srv, err := natsserver.Start(natsserver.Config{StoreDir: store, Host: host, Port: port, ServerName: "kpp-faults"})
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
