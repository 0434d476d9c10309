# kpp — key-project progress pipeline.
#   make demo    run the whole pipeline on the demo portfolio (installs clickhouse-server if missing)
#   make test    run the whole test suite against real NATS and ClickHouse servers
GO ?= go
GOFLAGS ?=
export CGO_ENABLED ?= 0

.PHONY: demo test deps build bench lint check-sql clean

demo: deps
	$(GO) run ./cmd/kpp demo

test: deps
	$(GO) test $(GOFLAGS) -count=1 -timeout 20m ./...

deps:
	@./.ci/deps

build:
	$(GO) build -o bin/kpp ./cmd/kpp

bench: deps
	$(GO) run ./cmd/kpp bench

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# Runs the schema on current ClickHouse (chDB from npm; needs ../shared/tools).
check-sql:
	../shared/tools/check-sql-current-clickhouse schema/migrations/*.sql

clean:
	rm -rf bin .kpp
