// Package faults is the fault suite: real processes — `kpp serve`, a NATS
// server or a three-node NATS cluster (internal/faults/natsd) and
// clickhouse-server — killed, restarted and starved of disk while reports
// stream through them. Each scenario ends
// by checking that every report the producer saw acknowledged is stored
// once, that the latest view holds no duplicate, and that the board equals
// a recomputation.
//
// The tests are behind the build tag faults (they take minutes):
//
//	make test-faults    # go test -tags faults -count=1 -v ./internal/faults/
//
// docs/reliability.md lists the scenarios, what each asserts, and the
// figures of one run.
package faults
