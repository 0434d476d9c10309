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
