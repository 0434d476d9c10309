package chstore

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// On a cluster of several shards (more than one <shard> in the cluster's
// remote_servers; Migrate counts them in system.clusters) the migrations
// are rewritten by [ShardedStatements]:
//
//   - A table whose sorting key starts with project_id (the reports, the
//     milestone updates, the register) is sharded by project: it is
//     created as T_local, a Replicated…MergeTree on every shard, and T, a
//     Distributed(cluster, database, T_local, cityHash64(project_id))
//     table over them. Every query and view names T, so the same SQL runs
//     on one server and on the cluster. All the rows of a project are on
//     one shard, so FINAL, LIMIT 1 BY project_id and the IN subqueries of
//     ingest and the rollups, which run on each shard over its own
//     rows, give what they give on one server.
//   - Every other table (the boards, the review runs, schema_migrations…)
//     is small: it is replicated on every server of the cluster, one
//     ZooKeeper path for all shards (/clickhouse/tables/all/DB/TABLE,
//     replica '{shard}-{replica}'), so the rollup's inserts and DROP
//     PARTITION on the server kpp is connected to reach every server, as
//     on one shard. Its ALTERs run once, without ON CLUSTER: the
//     replicated table carries them to the other servers.
//   - RENAME of a sharded table renames the T_local tables and makes the
//     Distributed tables anew over the new names (a Distributed table
//     names its local table and holds no rows once inserts are
//     synchronous).
//
// Inserts go to the Distributed tables with insert_distributed_sync = 1
// (set by [Open]): the insert returns once every shard has its rows, so a
// batch that ingest acknowledges is stored, and a rollup right after sees
// it.

var (
	shardKeyRe = regexp.MustCompile(`(?is)\bORDER\s+BY\s*\(?\s*project_id\b`)
	renamePair = regexp.MustCompile(`(?is)` + ident + `\s+TO\s+` + ident)
	ifNotExist = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s`)
)

// LocalSuffix names the shard-local table of a sharded table T: T_local.
const LocalSuffix = "_local"

// ShardedStatements rewrites one migration statement for the cluster
// named cluster of several shards, in database, as described above.
// sharded reports whether an existing table is sharded (a Distributed
// table over T_local); ALTER, RENAME and DROP need it.
func ShardedStatements(stmt, cluster, database string, keepComments bool, sharded func(table string) bool) []ClusterStep {
	on := " ON CLUSTER `" + cluster + "`"
	distributed := func(table string, ifne bool) ClusterStep {
		create := "CREATE TABLE "
		if ifne {
			create += "IF NOT EXISTS "
		}
		return ClusterStep{Where: OnCluster, SQL: create + table + on + " AS `" + database + "`." + table + LocalSuffix +
			" ENGINE = Distributed(`" + cluster + "`, `" + database + "`, " + table + LocalSuffix + ", cityHash64(project_id))"}
	}
	switch {
	case createTableRe.MatchString(stmt):
		m := createTableRe.FindStringSubmatchIndex(stmt)
		table := stmt[m[4]:m[5]]
		if !shardKeyRe.MatchString(stmt) {
			st := ClusterStatement(stmt, cluster, database, keepComments)
			st.SQL = strings.Replace(st.SQL, "'/clickhouse/tables/{shard}/"+database+"/"+table+"', '{replica}'",
				"'/clickhouse/tables/all/"+database+"/"+table+"', '{shard}-{replica}'", 1)
			return []ClusterStep{st}
		}
		local := stmt[:m[4]] + table + LocalSuffix + stmt[m[5]:]
		return []ClusterStep{ClusterStatement(local, cluster, database, keepComments), distributed(table, ifNotExist.MatchString(stmt))}
	case alterTableRe.MatchString(stmt):
		m := alterTableRe.FindStringSubmatchIndex(stmt)
		table := stmt[m[4]:m[5]]
		if !sharded(table) {
			out := stmt
			if !keepComments {
				out = commentRe.ReplaceAllString(out, "")
			}
			return []ClusterStep{{SQL: out, Where: Once}}
		}
		local := ClusterStatement(stmt[:m[4]]+table+LocalSuffix+stmt[m[5]:], cluster, database, keepComments)
		dist := stmt
		if !keepComments {
			dist = commentRe.ReplaceAllString(dist, "")
		}
		// ClickHouse refuses ON CLUSTER for a table that is not replicated
		// on a cluster whose shards are (internal_replication).
		return []ClusterStep{local, {Local: dist, Where: EachReplica}}
	case dropTableRe.MatchString(stmt):
		m := dropTableRe.FindStringSubmatchIndex(stmt)
		table := stmt[m[4]:m[5]]
		st := ClusterStatement(stmt, cluster, database, keepComments)
		if !sharded(table) {
			return []ClusterStep{st}
		}
		return []ClusterStep{{SQL: stmt[:m[1]] + on + stmt[m[1]:], Where: OnCluster},
			{SQL: stmt[:m[4]] + table + LocalSuffix + on + stmt[m[5]:], Where: OnCluster}}
	case renameTableRe.MatchString(stmt):
		var pairs, drops, creates []string
		var steps []ClusterStep
		for _, p := range renamePair.FindAllStringSubmatch(stmt, -1) {
			from, to := p[1], p[2]
			if !sharded(from) {
				pairs = append(pairs, from+" TO "+to)
				continue
			}
			pairs = append(pairs, from+LocalSuffix+" TO "+to+LocalSuffix)
			drops = append(drops, from)
			creates = append(creates, to)
		}
		steps = append(steps, ClusterStep{SQL: "RENAME TABLE " + strings.Join(pairs, ", ") + on, Where: OnCluster})
		for _, t := range drops {
			steps = append(steps, ClusterStep{SQL: "DROP TABLE IF EXISTS " + t + on, Where: OnCluster})
		}
		for _, t := range creates {
			steps = append(steps, distributed(t, false))
		}
		return steps
	}
	return []ClusterStep{ClusterStatement(stmt, cluster, database, keepComments)}
}

// shardCount is the number of shards of the cluster, from the connected
// server's system.clusters.
func (s *Store) shardCount(ctx context.Context) (uint64, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT uniqExact(shard_num) FROM system.clusters WHERE cluster = ?", s.cluster).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the shards of cluster %s: %w", s.cluster, err)
	}
	if n == 0 {
		return 0, fmt.Errorf("cluster %q is not defined on the ClickHouse server (expected it in remote_servers of every server's configuration; see docs/deploy.md)", s.cluster)
	}
	return n, nil
}

// isSharded reports whether table is a Distributed table (over
// table_local).
func (s *Store) isSharded(ctx context.Context, table string) (bool, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = ? AND engine = 'Distributed'", table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check whether %s is sharded: %w", table, err)
	}
	return n > 0, nil
}

// shardedExec runs one migration statement on a cluster of several shards.
func (s *Store) shardedExec(ctx context.Context, replicas func() ([]replica, error), stmt string) error {
	var lookErr error
	sharded := func(t string) bool {
		ok, err := s.isSharded(ctx, t)
		if err != nil && lookErr == nil {
			lookErr = err
		}
		return ok
	}
	steps := ShardedStatements(stmt, s.cluster, s.database, s.keepComments(), sharded)
	if lookErr != nil {
		return lookErr
	}
	for _, st := range steps {
		switch st.Where {
		case DropTable:
			// DROP TABLE of what may be a view: as on one shard.
			if err := s.clusterExec(ctx, replicas, st.Local); err != nil {
				return err
			}
			continue
		case EachReplica:
			conns, err := replicas()
			if err != nil {
				return err
			}
			for _, r := range conns {
				if err := r.conn.Exec(ctx, st.Local); err != nil {
					return fmt.Errorf("on server %s: %w", r.addr, err)
				}
			}
			continue
		}
		if err := s.conn.Exec(ctx, st.SQL); err != nil {
			return err
		}
	}
	return nil
}
