// Package chstore opens the ClickHouse database of kpp and applies the
// schema's migrations. Ingest, the rollups, the reports and `kpp dlq list`
// all reach ClickHouse through a [Store].
//
// Only the native protocol is used (clickhouse://host:9000/db): ClickHouse
// 18.16 rejects clickhouse-go's HTTP protocol.
package chstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// DefaultDSN is the DSN used when none is configured.
const DefaultDSN = "clickhouse://127.0.0.1:9000/kpp"

// ErrBadDSN is wrapped by errors about the DSN.
var ErrBadDSN = errors.New("bad ClickHouse DSN")

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Store is an open connection to the kpp database.
type Store struct {
	conn     driver.Conn
	database string
	version  string
	log      *slog.Logger
	// opts are the connection's options, for the connections to each
	// replica of cluster.
	opts    clickhouse.Options
	cluster string
}

// Open connects to the server named by dsn, creates the database if it is
// missing and returns a Store whose queries run in it. The database is the
// DSN's path ("kpp" when empty).
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if dsn == "" {
		dsn = DefaultDSN
	}
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w (expected e.g. %s)", ErrBadDSN, dsn, err, DefaultDSN)
	}
	if opts.Protocol != clickhouse.Native {
		return nil, fmt.Errorf("%w %q: only the native protocol (clickhouse://host:9000/db) is supported", ErrBadDSN, dsn)
	}
	db := opts.Auth.Database
	if db == "" {
		db = "kpp"
	}
	if !dbName.MatchString(db) {
		return nil, fmt.Errorf("%w %q: database %q is not a plain identifier", ErrBadDSN, dsn, db)
	}
	if opts.DialTimeout == 0 || opts.DialTimeout == 30*time.Second {
		opts.DialTimeout = 5 * time.Second
	}
	// On a sharded cluster inserts go to Distributed tables: wait until
	// every shard has the rows (see [ShardedStatements]). No effect on
	// other tables.
	if opts.Settings == nil {
		opts.Settings = clickhouse.Settings{}
	}
	if _, ok := opts.Settings["insert_distributed_sync"]; !ok {
		opts.Settings["insert_distributed_sync"] = 1
	}
	opts.ClientInfo.Products = append(opts.ClientInfo.Products, struct{ Name, Version string }{"kpp", "1"})
	if log.Enabled(ctx, slog.LevelDebug) {
		// At debug level the driver logs every query it sends, with its
		// bound values ("sending query", attribute query).
		opts.Logger = log.With("component", "clickhouse-go")
	}

	// Connect without a default database first: the native handshake fails
	// when the database does not exist yet.
	opts.Auth.Database = ""
	boot, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to ClickHouse at %v: %w", opts.Addr, err)
	}
	defer boot.Close()
	if err := boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+db+"`"); err != nil {
		return nil, fmt.Errorf("connect to ClickHouse at %v: create database %s: %w", opts.Addr, db, err)
	}
	var version string
	if err := boot.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		return nil, fmt.Errorf("query ClickHouse version at %v: %w", opts.Addr, err)
	}

	opts.Auth.Database = db
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to ClickHouse database %s at %v: %w", db, opts.Addr, err)
	}
	return &Store{conn: conn, database: db, version: version, log: log, opts: *opts}, nil
}

// Conn is the underlying clickhouse-go connection.
func (s *Store) Conn() driver.Conn { return s.conn }

// Database is the database the store works in.
func (s *Store) Database() string { return s.database }

// ServerVersion is the server's version string, e.g. "18.16.1".
func (s *Store) ServerVersion() string { return s.version }

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Close closes the connection.
func (s *Store) Close() error { return s.conn.Close() }
