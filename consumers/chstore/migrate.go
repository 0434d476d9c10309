package chstore

import (
	"context"
	"fmt"
	"time"

	"github.com/keyproject/kpp/schema"
)

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32 COMMENT 'migration number, from the file name',
    name       String COMMENT 'migration file name',
    checksum   String COMMENT 'SHA-256 of the file as applied',
    applied_at DateTime('Asia/Shanghai') COMMENT 'when it was applied'
)
ENGINE = ReplacingMergeTree
ORDER BY version`

// Migrate applies the embedded migrations that the database has not
// recorded in schema_migrations, in order, and returns those it applied.
// It is safe to run again and from several processes at once: every
// statement is idempotent (IF NOT EXISTS), or runs only while its
// "-- kpp:when" condition holds (see [schema.Step]). A migration whose file changed
// after it was applied is an error. After [Store.UseCluster] the tables are
// replicated on the cluster (see [ClusterStatement]), and on a cluster of
// several shards the tables of a project's events are sharded by project
// (see [ShardedStatements]).
func (s *Store) Migrate(ctx context.Context) ([]schema.Migration, error) {
	ms, err := schema.Migrations()
	if err != nil {
		return nil, err
	}
	exec := func(sql string) error { return s.conn.Exec(ctx, sql) }
	if s.cluster != "" {
		if err := s.conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+s.database+"` ON CLUSTER `"+s.cluster+"`"); err != nil {
			return nil, fmt.Errorf("create database %s on cluster %s: %w", s.database, s.cluster, err)
		}
		var conns []replica
		defer func() { closeReplicas(conns) }()
		replicas := func() ([]replica, error) {
			var err error
			if conns == nil {
				conns, err = s.replicas(ctx)
			}
			return conns, err
		}
		exec = func(sql string) error { return s.clusterExec(ctx, replicas, sql) }
		shards, err := s.shardCount(ctx)
		if err != nil {
			return nil, err
		}
		if shards > 1 {
			exec = func(sql string) error { return s.shardedExec(ctx, replicas, sql) }
		}
	}
	if err := exec(migrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[uint32]string{}
	rows, err := s.conn.Query(ctx, "SELECT version, checksum FROM schema_migrations FINAL")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}

	var done []schema.Migration
	for _, m := range ms {
		if sum, ok := applied[uint32(m.Version)]; ok {
			if sum != m.Checksum() {
				return done, fmt.Errorf("migration %s was changed after it was applied to database %s (recorded checksum %.12s…, file %.12s…); add a new migration instead of editing an applied one",
					m.Name, s.database, sum, m.Checksum())
			}
			continue
		}
		start := time.Now()
		for i, step := range m.Steps() {
			if step.When != "" {
				var n uint64
				if err := s.conn.QueryRow(ctx, "SELECT toUInt64(("+step.When+"))").Scan(&n); err != nil {
					return done, fmt.Errorf("migration %s, statement %d: check whether it is needed: %w", m.Name, i+1, err)
				}
				if n == 0 {
					continue
				}
			}
			if err := exec(step.SQL); err != nil {
				return done, fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		if err := s.record(ctx, m); err != nil {
			return done, fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		s.log.Info("migration applied", "migration", m.Name, "database", s.database, "duration", time.Since(start))
		done = append(done, m)
	}
	return done, nil
}

func (s *Store) record(ctx context.Context, m schema.Migration) error {
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, checksum, applied_at)")
	if err != nil {
		return err
	}
	if err := b.Append(uint32(m.Version), m.Name, m.Checksum(), time.Now()); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}
