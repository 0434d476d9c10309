// Package clustertest holds the tests of kpp on a NATS JetStream cluster:
// three embedded nats-server nodes on loopback (internal/testenv), streams
// and buckets with three replicas, a real clickhouse-server. It has no
// code of its own; see docs/deploy.md for the deployment it tests.
//
// KPP_CLUSTER_REPORTS sets how many reports the producer sends (default
// 20000; the long run is 100000).
package clustertest
