package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/schedule"
)

// webServer serves the pages of kpp serve: the reviews (/, /reports/…,
// /healthz), the departments' intake (/intake/), its API (/api/v1/) and the
// Prometheus metrics (/metrics).
type webServer struct {
	srv *http.Server
	url string
}

func startWeb(ctx context.Context, listen string, st *chstore.Store, nc *natsConn, f intakeFlags, rf reportFlags, in *ingest.Ingester, sched *schedule.Scheduler, log *slog.Logger) (*webServer, error) {
	key, err := readSessionKey(f.SessionKeyFile)
	if err != nil {
		return nil, err
	}
	rcfg, err := rf.config(key, f.SecureCookies, log)
	if err != nil {
		return nil, err
	}
	if rcfg.Accounts != nil && sched != nil {
		// A signed-in leader recomputes a review through the scheduler
		// (sched nil: no button, as in kpp demo, which runs no schedule).
		rcfg.Recompute = scheduleRecomputer{sched: sched, log: log}
	}
	reports, err := report.NewHandler(st, rcfg)
	if err != nil {
		return nil, err
	}
	intakeHandler, err := f.handler(ctx, nc.js, nc.streams, log)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", reports)
	mux.Handle("/intake/", intakeHandler)
	mux.Handle("/api/v1/", intakeHandler)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), in.Collector())
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}))
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("--http-listen %s: %w", listen, err)
	}
	w := &webServer{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute},
		url: "http://" + ln.Addr().String() + "/",
	}
	go func() {
		if err := w.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("web server stopped", "err", err)
		}
	}()
	log.Info("web server listening", "url", w.url)
	return w, nil
}

// Close stops the server, letting requests in flight finish for up to 10s.
// A nil server is a no-op.
func (w *webServer) Close() {
	if w == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = w.srv.Shutdown(ctx)
}
