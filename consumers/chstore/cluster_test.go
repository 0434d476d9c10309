package chstore_test

import (
	"strings"
	"testing"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/schema"
)

func TestClusterStatement(t *testing.T) {
	for _, c := range []struct {
		in, want string
		where    chstore.Placement
		keep     bool
	}{
		{"CREATE TABLE IF NOT EXISTS t\n(\n    a String COMMENT 'it''s a'\n)\nENGINE = ReplacingMergeTree(keep_rank)\nORDER BY a",
			"CREATE TABLE IF NOT EXISTS t ON CLUSTER `c`\n(\n    a String\n)\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}', keep_rank)\nORDER BY a", chstore.OnCluster, false},
		{"CREATE TABLE IF NOT EXISTS t (a String COMMENT 'x') ENGINE = MergeTree ORDER BY a",
			"CREATE TABLE IF NOT EXISTS t ON CLUSTER `c` (a String COMMENT 'x') ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}') ORDER BY a", chstore.OnCluster, true},
		{"CREATE TABLE IF NOT EXISTS s (v UInt32) ENGINE = ReplacingMergeTree ORDER BY v",
			"CREATE TABLE IF NOT EXISTS s ON CLUSTER `c` (v UInt32) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/s', '{replica}') ORDER BY v", chstore.OnCluster, false},
		{"ALTER TABLE t ADD COLUMN b String DEFAULT '' COMMENT 'b'", "ALTER TABLE t ON CLUSTER `c` ADD COLUMN b String DEFAULT ''", chstore.OnCluster, false},
		{"RENAME TABLE a TO b, c TO d", "RENAME TABLE a TO b, c TO d ON CLUSTER `c`", chstore.OnCluster, false},
		{"DROP TABLE IF EXISTS v", "DROP TABLE IF EXISTS v ON CLUSTER `c`", chstore.DropTable, false},
		{"CREATE VIEW IF NOT EXISTS v AS SELECT 'COMMENT ''x''' AS a FROM t", "CREATE VIEW IF NOT EXISTS v AS SELECT 'COMMENT ''x''' AS a FROM t", chstore.EachReplica, false},
		{"INSERT INTO t SELECT * FROM u", "INSERT INTO t SELECT * FROM u", chstore.Once, false},
	} {
		got := chstore.ClusterStatement(c.in, "c", "db", c.keep)
		if got.SQL != c.want || got.Where != c.where {
			t.Errorf("%s:\ngot  %v %s\nwant %v %s", c.in, got.Where, got.SQL, c.where, c.want)
		}
	}
}

// Every table of the migrations becomes replicated and every statement
// has a place on a cluster.
func TestClusterStatementMigrations(t *testing.T) {
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for i, s := range m.Steps() {
			st := chstore.ClusterStatement(s.SQL, "kpp", "kpp", false)
			head := strings.ToUpper(strings.Join(strings.Fields(s.SQL), " "))
			switch {
			case strings.HasPrefix(head, "CREATE TABLE"):
				if !strings.Contains(st.SQL, "ENGINE = Replicated") || strings.Contains(st.SQL, " COMMENT '") {
					t.Errorf("%s statement %d: not replicated or comments left:\n%s", m.Name, i+1, st.SQL)
				}
			case strings.HasPrefix(head, "INSERT"):
				if st.Where != chstore.Once {
					t.Errorf("%s statement %d: INSERT placed %v", m.Name, i+1, st.Where)
				}
			default:
				if st.Where == chstore.Once {
					t.Errorf("%s statement %d: not rewritten for a cluster:\n%s", m.Name, i+1, s.SQL)
				}
			}
		}
	}
}

func TestShardedStatements(t *testing.T) {
	sharded := func(t string) bool { return t == "r" || t == "r2" }
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"CREATE TABLE IF NOT EXISTS r (project_id String COMMENT 'p') ENGINE = ReplacingMergeTree(k) ORDER BY (project_id, v)", []string{
			"CREATE TABLE IF NOT EXISTS r_local ON CLUSTER `c` (project_id String) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/r_local', '{replica}', k) ORDER BY (project_id, v)",
			"CREATE TABLE IF NOT EXISTS r ON CLUSTER `c` AS `db`.r_local ENGINE = Distributed(`c`, `db`, r_local, cityHash64(project_id))"}},
		{"CREATE TABLE IF NOT EXISTS d (kind String) ENGINE = MergeTree ORDER BY (kind, project_id)", []string{
			"CREATE TABLE IF NOT EXISTS d ON CLUSTER `c` (kind String) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/db/d', '{shard}-{replica}') ORDER BY (kind, project_id)"}},
		{"ALTER TABLE r ADD COLUMN b String COMMENT 'b'", []string{"ALTER TABLE r_local ON CLUSTER `c` ADD COLUMN b String", "each: ALTER TABLE r ADD COLUMN b String"}},
		{"ALTER TABLE d ADD COLUMN b String COMMENT 'b'", []string{"ALTER TABLE d ADD COLUMN b String"}},
		{"RENAME TABLE r TO u, r2 TO r", []string{
			"RENAME TABLE r_local TO u_local, r2_local TO r_local ON CLUSTER `c`",
			"DROP TABLE IF EXISTS r ON CLUSTER `c`", "DROP TABLE IF EXISTS r2 ON CLUSTER `c`",
			"CREATE TABLE u ON CLUSTER `c` AS `db`.u_local ENGINE = Distributed(`c`, `db`, u_local, cityHash64(project_id))",
			"CREATE TABLE r ON CLUSTER `c` AS `db`.r_local ENGINE = Distributed(`c`, `db`, r_local, cityHash64(project_id))"}},
		{"DROP TABLE IF EXISTS r", []string{"DROP TABLE IF EXISTS r ON CLUSTER `c`", "DROP TABLE IF EXISTS r_local ON CLUSTER `c`"}},
		{"INSERT INTO r SELECT * FROM u", []string{"INSERT INTO r SELECT * FROM u"}},
	} {
		var got []string
		for _, st := range chstore.ShardedStatements(c.in, "c", "db", false, sharded) {
			if st.Where == chstore.EachReplica {
				got = append(got, "each: "+st.Local)
			} else {
				got = append(got, st.SQL)
			}
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s:\ngot  %q\nwant %q", c.in, got, c.want)
		}
	}
}
