// Package chcluster holds the test of kpp on replicated ClickHouse: a
// ZooKeeper (internal/zkserver) and two clickhouse-server replicas of one
// shard on loopback (internal/chserver), the schema created by
// `kpp migrate --cluster` (chstore.Store.UseCluster), ingest writing
// through a DSN that lists both replicas while one is killed and
// restarted, and the monthly board computed on each replica; and of kpp on
// two shards (TestShardedByProject): the reports sharded by project through
// Distributed tables, and the board equal to a single server's. It has no
// code of its own; see docs/deploy.md for the deployment it tests.
//
// It needs Debian's zookeeper package (apt-get install -y zookeeper) and
// is skipped without it, except under CI=true.
package chcluster
