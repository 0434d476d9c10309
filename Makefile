# kpp — key-project progress pipeline.
#   make demo    run the whole pipeline on the demo portfolio (installs clickhouse-server if missing)
#   make test    run the whole test suite against real NATS and ClickHouse servers
#   make test-cluster the three-node NATS cluster, two-replica and two-shard ClickHouse tests (also part of make test)
#   make test-faults  kill and restart ClickHouse, NATS and kpp serve under load, fill the disk (docs/reliability.md)
GO ?= go
GOFLAGS ?=
export CGO_ENABLED ?= 0

.PHONY: demo test test-faults test-cluster deps build bench lint chdb check-sql clean

demo: deps
	$(GO) run ./cmd/kpp demo

test: deps
	$(GO) test $(GOFLAGS) -count=1 -timeout 20m ./...

# The fault suite: real processes SIGKILLed, restarted and out of disk while
# reports stream (internal/faults, build tag faults; about 3 minutes). The
# disk-full scenario mounts a tmpfs: it needs root, else it is skipped.
test-faults: deps
	$(GO) test $(GOFLAGS) -tags faults -count=1 -v -timeout 15m ./internal/faults/

# The cluster tests alone: three JetStream nodes on loopback, the stream
# leader killed mid-stream and an ingest replica killed (internal/clustertest;
# about 40 seconds;
# KPP_CLUSTER_REPORTS sets the count, default 20000); ZooKeeper and two
# ClickHouse replicas, one killed mid-stream, and two ClickHouse shards (internal/chcluster; about 50
# seconds; needs zookeeper: ./.ci/deps --ci). Both are part of make test too.
test-cluster: deps
	$(GO) test $(GOFLAGS) -count=1 -v -timeout 15m ./internal/clustertest/ ./internal/chcluster/

deps:
	@./.ci/deps

build:
	$(GO) build -o bin/kpp ./cmd/kpp

bench: deps
	$(GO) run ./cmd/kpp bench

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# Installs current ClickHouse in-process (chDB, the version pinned in
# .ci/chdb/package.json and its lock) for check-sql; needs node >= 18 and npm.
# (npm install, not npm ci: npm 11 refuses the lock for missing optional
# packages of other platforms.)
chdb:
	@test -f .ci/chdb/node_modules/chdb/package.json || npm install --prefix .ci/chdb --no-audit --no-fund

# Runs the migrations on current ClickHouse (chDB), then the tests that run
# them, every query of docs/analysts.md and every rollup query (with its
# bound values) on both chDB and ClickHouse 18.16 and compare the answers.
# CI=true: they fail instead of skipping when either engine is missing.
check-sql: deps chdb
	node .ci/chdb/run.js schema/migrations/*.sql
	CI=true $(GO) test $(GOFLAGS) -count=1 -run 'CurrentClickHouse' ./consumers/chstore/ ./consumers/rollup/

clean:
	rm -rf bin .kpp
