package chstore

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// On a cluster (Store.UseCluster, `kpp migrate --cluster NAME`) the
// migrations run as written, with each statement rewritten by
// [ClusterStatement]:
//
//   - CREATE TABLE gets ON CLUSTER and a replicated engine:
//     ReplacingMergeTree(keep_rank) becomes
//     ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/DB/TABLE',
//     '{replica}', keep_rank), MergeTree becomes ReplicatedMergeTree(…);
//     the ZooKeeper path names the database and the table as created.
//   - ALTER TABLE, RENAME TABLE and DROP TABLE of a table get ON CLUSTER.
//   - Views are created and dropped on every replica of the cluster in
//     turn, without ON CLUSTER: ClickHouse 18.16 runs an ON CLUSTER
//     statement in its default database, where a view's unqualified
//     tables do not exist.
//   - INSERT … SELECT runs once, on the server kpp is connected to: the
//     replicated table copies the rows to the other replicas.
//
// ClickHouse 18.x refuses column comments on replicated tables ("Table
// structure in ZooKeeper is too different from local table structure"),
// so on 18.x the COMMENT of every column is left out on a cluster;
// column_descriptions and docs/analysts.md still describe the columns.

// Placement says where a rewritten statement runs.
type Placement int

const (
	// Once runs the statement on the connected server only.
	Once Placement = iota
	// OnCluster runs the statement once; it carries ON CLUSTER.
	OnCluster
	// EachReplica runs the statement on every replica in turn.
	EachReplica
	// DropTable is a DROP TABLE: ON CLUSTER (SQL) for a table, on every
	// replica (Local) for a view.
	DropTable
)

// ClusterStep is a migration statement rewritten for a cluster.
type ClusterStep struct {
	// SQL is the statement to run: with ON CLUSTER and a replicated
	// engine where that applies.
	SQL string
	// Local is the statement as written, for EachReplica (and a DropTable
	// of a view).
	Local string
	// Where says where it runs.
	Where Placement
	// Table is the table a DropTable drops.
	Table string
}

const ident = "`?([A-Za-z_][A-Za-z0-9_]*)`?"

var (
	createTableRe = regexp.MustCompile(`(?is)^(\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)` + ident)
	createViewRe  = regexp.MustCompile(`(?is)^\s*CREATE\s+(?:MATERIALIZED\s+)?VIEW\s`)
	alterTableRe  = regexp.MustCompile(`(?is)^(\s*ALTER\s+TABLE\s+)` + ident)
	dropTableRe   = regexp.MustCompile(`(?is)^(\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?)` + ident)
	renameTableRe = regexp.MustCompile(`(?is)^\s*RENAME\s+TABLE\s`)
	engineRe      = regexp.MustCompile(`\bENGINE\s*=\s*(ReplacingMergeTree|MergeTree)\b(?:\s*\(([^)]*)\))?`)
	commentRe     = regexp.MustCompile(`\s+COMMENT\s+'(?:[^'\\]|\\.|'')*'`)
)

// ClusterStatement rewrites one migration statement for the cluster
// named cluster, in database. keepComments false leaves out the columns'
// COMMENTs (ClickHouse 18.x). A statement it does not know runs Once.
func ClusterStatement(stmt, cluster, database string, keepComments bool) ClusterStep {
	on := " ON CLUSTER `" + cluster + "`"
	switch {
	case createViewRe.MatchString(stmt):
		return ClusterStep{SQL: stmt, Local: stmt, Where: EachReplica}
	case createTableRe.MatchString(stmt):
		m := createTableRe.FindStringSubmatchIndex(stmt)
		table := stmt[m[4]:m[5]]
		out := stmt[:m[1]] + on + stmt[m[1]:]
		out = engineRe.ReplaceAllStringFunc(out, func(e string) string {
			sm := engineRe.FindStringSubmatch(e)
			args := "'/clickhouse/tables/{shard}/" + database + "/" + table + "', '{replica}'"
			if a := strings.TrimSpace(sm[2]); a != "" {
				args += ", " + a
			}
			return "ENGINE = Replicated" + sm[1] + "(" + args + ")"
		})
		if !keepComments {
			out = commentRe.ReplaceAllString(out, "")
		}
		return ClusterStep{SQL: out, Where: OnCluster}
	case alterTableRe.MatchString(stmt):
		m := alterTableRe.FindStringSubmatchIndex(stmt)
		out := stmt[:m[1]] + on + stmt[m[1]:]
		if !keepComments {
			out = commentRe.ReplaceAllString(out, "")
		}
		return ClusterStep{SQL: out, Where: OnCluster}
	case dropTableRe.MatchString(stmt):
		m := dropTableRe.FindStringSubmatchIndex(stmt)
		return ClusterStep{SQL: stmt[:m[1]] + on + stmt[m[1]:], Local: stmt, Where: DropTable, Table: stmt[m[4]:m[5]]}
	case renameTableRe.MatchString(stmt):
		return ClusterStep{SQL: strings.TrimRight(stmt, " \t\n") + on, Where: OnCluster}
	}
	return ClusterStep{SQL: stmt, Where: Once}
}

var clusterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)

// UseCluster makes Migrate create replicated tables on the cluster named
// name (remote_servers in the servers' configuration), as described at
// [ClusterStatement]. Every replica must be up while migrations run.
func (s *Store) UseCluster(name string) error {
	if !clusterName.MatchString(name) {
		return fmt.Errorf("ClickHouse cluster name %q: expected the name of a cluster in the servers' remote_servers, e.g. kpp", name)
	}
	s.cluster = name
	return nil
}

// Cluster is the cluster set by UseCluster, or "".
func (s *Store) Cluster() string { return s.cluster }

// keepComments reports whether the server keeps column comments on
// replicated tables: not 18.x (and older).
func (s *Store) keepComments() bool {
	major, _, _ := strings.Cut(s.version, ".")
	n, err := strconv.Atoi(major)
	return err != nil || n >= 19
}

// replicas opens a connection to every replica of the cluster, as listed
// by the connected server's system.clusters.
func (s *Store) replicas(ctx context.Context) ([]replica, error) {
	rows, err := s.conn.Query(ctx, "SELECT host_address, toUInt16(port) FROM system.clusters WHERE cluster = ?", s.cluster)
	if err != nil {
		return nil, fmt.Errorf("list the replicas of cluster %s: %w", s.cluster, err)
	}
	var addrs []string
	for rows.Next() {
		var host string
		var port uint16
		if err := rows.Scan(&host, &port); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list the replicas of cluster %s: %w", s.cluster, err)
		}
		addrs = append(addrs, host+":"+strconv.Itoa(int(port)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the replicas of cluster %s: %w", s.cluster, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("cluster %q is not defined on the ClickHouse server (expected it in remote_servers of every replica's configuration; see docs/deploy.md)", s.cluster)
	}
	var conns []replica
	for _, a := range addrs {
		o := s.opts
		o.Addr = []string{a}
		o.Auth.Database = s.database
		c, err := clickhouse.Open(&o)
		if err == nil {
			err = c.Ping(ctx)
		}
		if err != nil {
			closeReplicas(conns)
			return nil, fmt.Errorf("connect to replica %s of cluster %s: %w", a, s.cluster, err)
		}
		conns = append(conns, replica{a, c})
	}
	return conns, nil
}

// replica is a connection to one replica of the cluster.
type replica struct {
	addr string
	conn driver.Conn
}

func closeReplicas(rs []replica) {
	for _, r := range rs {
		_ = r.conn.Close()
	}
}

// clusterExec runs one migration statement on the cluster.
func (s *Store) clusterExec(ctx context.Context, replicas func() ([]replica, error), stmt string) error {
	st := ClusterStatement(stmt, s.cluster, s.database, s.keepComments())
	where := st.Where
	if where == DropTable {
		var engine string
		err := s.conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = ?", st.Table).Scan(&engine)
		switch {
		case err != nil && !strings.Contains(err.Error(), "no rows"):
			return fmt.Errorf("check what %s is: %w", st.Table, err)
		case engine == "View" || engine == "MaterializedView":
			where = EachReplica
		default:
			where = OnCluster
		}
	}
	switch where {
	case EachReplica:
		conns, err := replicas()
		if err != nil {
			return err
		}
		for _, r := range conns {
			if err := r.conn.Exec(ctx, st.Local); err != nil {
				return fmt.Errorf("on replica %s: %w", r.addr, err)
			}
		}
		return nil
	default:
		return s.conn.Exec(ctx, st.SQL)
	}
}
