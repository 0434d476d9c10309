// Package chserver starts a local clickhouse-server process on free ports
// with its own configuration and data folder. `kpp demo` uses it to run the
// pipeline without a system service, and the tests use it to run against a
// real server.
//
// It finds Debian's clickhouse-server (18.16, in /usr/sbin) or a current
// single-binary clickhouse ("clickhouse server") on the PATH.
package chserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// ErrNotInstalled is returned when no ClickHouse server binary is found.
var ErrNotInstalled = errors.New("clickhouse-server is not installed (on Debian: apt-get install -y clickhouse-server; or set KPP_CLICKHOUSE_SERVER to the binary)")

// Config configures a local server.
type Config struct {
	// Dir holds the configuration, data and logs. Required. A server
	// started again on the same Dir finds its data.
	Dir string
	// Binary is the server binary; default: $KPP_CLICKHOUSE_SERVER, then
	// clickhouse-server, /usr/sbin/clickhouse-server, clickhouse on the PATH.
	Binary string
	// TCPPort and HTTPPort; 0 picks free ports.
	TCPPort, HTTPPort int
	// StartTimeout bounds the wait for the server to accept queries; default 60s.
	StartTimeout time.Duration
	// Analyst bounds the read-only user analyst.
	Analyst Analyst
	// Replication, if set, makes the server one replica of a
	// cluster coordinated by ZooKeeper (docs/deploy.md).
	Replication *Replication
}

// Replication makes a server a replica of a ClickHouse cluster (one shard,
// or several with Shards):
// it writes <zookeeper>, <remote_servers> (the cluster, every replica on
// loopback), <macros> (shard, replica), <distributed_ddl> (for ON CLUSTER)
// and the interserver HTTP port the replicas fetch parts from. The
// profiles get distributed_product_mode = local, which kpp needs on a
// sharded cluster (see chstore.ShardedStatements).
type Replication struct {
	// Cluster is the cluster's name in remote_servers (e.g. "kpp").
	Cluster string
	// ZooKeeper lists the ZooKeeper nodes, host:port.
	ZooKeeper []string
	// Replicas lists the native ports (on 127.0.0.1) of every replica of
	// the shard, this server's TCPPort included.
	Replicas []int
	// Shards, if set, makes the cluster several shards instead: the
	// native ports of every shard's replicas, one slice per shard, in
	// shard order; Replicas is then ignored. Shard must name this
	// server's shard (e.g. "01"), and Replica must differ across the
	// whole cluster.
	Shards [][]int
	// Shard and Replica are the {shard} and {replica} macros; Replica must
	// differ between the replicas.
	Shard, Replica string
	// InterserverPort is the interserver HTTP port; 0 picks a free one.
	InterserverPort int
}

// ZooKeeperNodes splits the host:port entries for the template.
func (r Replication) ZooKeeperNodes() []struct{ Host, Port string } {
	var out []struct{ Host, Port string }
	for _, a := range r.ZooKeeper {
		h, p, err := net.SplitHostPort(a)
		if err != nil {
			h, p = a, "2181"
		}
		out = append(out, struct{ Host, Port string }{h, p})
	}
	return out
}

// ShardList is Shards, or the one shard of Replicas.
func (r Replication) ShardList() [][]int {
	if len(r.Shards) > 0 {
		return r.Shards
	}
	return [][]int{r.Replicas}
}

// Analyst bounds the user analyst, for people who query with SQL: it reads
// (readonly = 1: no writes, no SET) one database, within a time, memory and
// result-size limit. ClickHouse 18.16 lets every user read the system
// database, system.processes included (the text of running queries): it
// has no row policies to hide other users' queries.
type Analyst struct {
	// Database is the one database analyst may read, besides system;
	// default "kpp". "*" lets it read every database: for test servers,
	// whose databases are made per test.
	Database string
	// MaxExecutionTime stops a query after this long; default 60s.
	MaxExecutionTime time.Duration
	// MaxMemoryUsage stops a query that needs more memory, bytes; default
	// 2 GiB.
	MaxMemoryUsage int64
	// MaxResultRows refuses a result of more rows; default 1,000,000.
	MaxResultRows int64
}

// Analyst defaults.
const (
	DefaultAnalystDatabase         = "kpp"
	DefaultAnalystMaxExecutionTime = 60 * time.Second
	DefaultAnalystMaxMemoryUsage   = 2 << 30
	DefaultAnalystMaxResultRows    = 1_000_000
)

func (a Analyst) withDefaults() Analyst {
	if a.Database == "" {
		a.Database = DefaultAnalystDatabase
	}
	if a.MaxExecutionTime <= 0 {
		a.MaxExecutionTime = DefaultAnalystMaxExecutionTime
	}
	if a.MaxMemoryUsage <= 0 {
		a.MaxMemoryUsage = DefaultAnalystMaxMemoryUsage
	}
	if a.MaxResultRows <= 0 {
		a.MaxResultRows = DefaultAnalystMaxResultRows
	}
	return a
}

// Seconds is MaxExecutionTime in whole seconds, at least 1.
func (a Analyst) Seconds() int64 { return max(1, int64(a.MaxExecutionTime/time.Second)) }

// Server is a running local clickhouse-server.
type Server struct {
	cfg  Config
	args []string
	cmd  *exec.Cmd
	done chan error
}

// Find returns the path of a ClickHouse server binary and the arguments
// that precede "--config-file".
func Find(binary string) (string, []string, error) {
	if binary == "" {
		binary = os.Getenv("KPP_CLICKHOUSE_SERVER")
	}
	if binary != "" {
		p, err := exec.LookPath(binary)
		if err != nil {
			return "", nil, fmt.Errorf("clickhouse server binary %q: %w", binary, err)
		}
		if filepath.Base(p) == "clickhouse" {
			return p, []string{"server"}, nil
		}
		return p, nil, nil
	}
	for _, c := range []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil, nil
		}
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return p, []string{"server"}, nil
	}
	return "", nil, ErrNotInstalled
}

// Start writes the configuration and starts the server, returning once it
// accepts connections on its native port.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("chserver: Dir is required")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("chserver: %w", err)
	}
	cfg.Dir = dir
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	cfg.Analyst = cfg.Analyst.withDefaults()
	if cfg.Analyst.Database != "*" && !plainName(cfg.Analyst.Database) {
		return nil, fmt.Errorf("chserver: analyst database %q is not a plain identifier", cfg.Analyst.Database)
	}
	bin, pre, err := Find(cfg.Binary)
	if err != nil {
		return nil, err
	}
	cfg.Binary = bin
	ports := []*int{&cfg.TCPPort, &cfg.HTTPPort}
	if r := cfg.Replication; r != nil {
		if r.Cluster == "" || !plainName(r.Cluster) || r.Replica == "" || len(r.ZooKeeper) == 0 || (len(r.Replicas) == 0 && len(r.Shards) == 0) {
			return nil, fmt.Errorf("chserver: replication needs a plain cluster name, a replica name, ZooKeeper and the replicas' ports (got %+v)", *r)
		}
		rc := *r
		if rc.Shard == "" {
			rc.Shard = "01"
		}
		cfg.Replication = &rc
		ports = append(ports, &rc.InterserverPort)
	}
	for _, p := range ports {
		if *p == 0 {
			if *p, err = freePort(); err != nil {
				return nil, fmt.Errorf("chserver: pick a free port: %w", err)
			}
		}
	}
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("chserver: create %s: %w", sub, err)
		}
	}
	var buf bytes.Buffer
	if err := configTemplate.Execute(&buf, cfg); err != nil {
		return nil, fmt.Errorf("chserver: render config: %w", err)
	}
	confPath := filepath.Join(cfg.Dir, "config.xml")
	if err := os.WriteFile(confPath, buf.Bytes(), 0o640); err != nil {
		return nil, fmt.Errorf("chserver: write config: %w", err)
	}
	s := &Server{cfg: cfg, args: append(pre, "--config-file="+confPath)}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context) error {
	cmd := exec.Command(s.cfg.Binary, s.args...)
	cmd.Dir = s.cfg.Dir
	out, err := os.OpenFile(filepath.Join(s.cfg.Dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("chserver: open log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("chserver: start %s: %w", s.cfg.Binary, err)
	}
	s.cmd = cmd
	s.done = make(chan error, 1)
	go func() { s.done <- cmd.Wait(); out.Close() }()

	deadline := time.Now().Add(s.cfg.StartTimeout)
	for {
		conn, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("chserver: %s exited while starting (%v); see %s", s.cfg.Binary, err, s.LogHint())
		case <-ctx.Done():
			s.Kill()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("chserver: not accepting connections on %s after %s; see %s", s.Addr(), s.cfg.StartTimeout, s.LogHint())
		}
	}
}

// Addr is the native-protocol address, host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.cfg.TCPPort)) }

// HTTPAddr is the HTTP interface's address, host:port.
func (s *Server) HTTPAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.cfg.HTTPPort))
}

// DSN returns a clickhouse-go DSN for the database.
func (s *Server) DSN(database string) string {
	return "clickhouse://" + s.Addr() + "/" + database
}

// FreePort returns a free TCP port on 127.0.0.1, for the ports of a
// cluster's replicas, which each replica's configuration lists before any
// starts.
func FreePort() (int, error) { return freePort() }

// Dir is the server's folder.
func (s *Server) Dir() string { return s.cfg.Dir }

// LogHint names the log files to read when something goes wrong.
func (s *Server) LogHint() string {
	return strings.Join([]string{filepath.Join(s.cfg.Dir, "log", "error.log"), filepath.Join(s.cfg.Dir, "log", "stdout.log")}, " and ")
}

// Stop asks the server to shut down (SIGTERM) and waits up to 30s before
// killing it.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.Kill()
	}
	s.cmd = nil
	return nil
}

// Kill stops the server at once (SIGKILL), as a crash would.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart starts the server again after Stop or Kill, on the same ports and
// data.
func (s *Server) Restart(ctx context.Context) error {
	if s.cmd != nil {
		return errors.New("chserver: restart: server is running")
	}
	return s.start(ctx)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// plainName reports whether s is a plain identifier (letters, digits, _).
func plainName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// The configuration works on 18.16 (root element yandex) and on current
// releases, which still accept it. Users: default (no password, loopback
// only) and analyst (bounded by Config.Analyst: readonly, one database,
// limits, its own queries only in system.processes), both local to this
// folder.
var configTemplate = template.Must(template.New("config").Parse(`<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>{{.Dir}}/log/server.log</log>
    <errorlog>{{.Dir}}/log/error.log</errorlog>
    <size>10M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{{.TCPPort}}</tcp_port>
  <http_port>{{.HTTPPort}}</http_port>
  <path>{{.Dir}}/data/</path>
  <tmp_path>{{.Dir}}/tmp/</tmp_path>
  <user_files_path>{{.Dir}}/user_files/</user_files_path>
  <format_schema_path>{{.Dir}}/format_schemas/</format_schema_path>
  <timezone>Asia/Shanghai</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <analyst>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>analyst</profile>
      <quota>default</quota>
{{- if ne .Analyst.Database "*"}}
      <allow_databases><database>{{.Analyst.Database}}</database></allow_databases>
{{- end}}
    </analyst>
  </users>
  <profiles>
    <default>{{if .Replication}}<distributed_product_mode>local</distributed_product_mode>{{end}}</default>
    <analyst>
{{- if .Replication}}
      <distributed_product_mode>local</distributed_product_mode>
{{- end}}
      <readonly>1</readonly>
      <max_execution_time>{{.Analyst.Seconds}}</max_execution_time>
      <max_memory_usage>{{.Analyst.MaxMemoryUsage}}</max_memory_usage>
      <max_result_rows>{{.Analyst.MaxResultRows}}</max_result_rows>
      <result_overflow_mode>throw</result_overflow_mode>
    </analyst>
  </profiles>
  <quotas><default></default></quotas>
{{- with .Replication}}
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <interserver_http_port>{{.InterserverPort}}</interserver_http_port>
  <zookeeper>
{{- range .ZooKeeperNodes}}
    <node><host>{{.Host}}</host><port>{{.Port}}</port></node>
{{- end}}
    <session_timeout_ms>10000</session_timeout_ms>
  </zookeeper>
  <remote_servers>
    <{{.Cluster}}>
{{- range .ShardList}}
      <shard>
        <internal_replication>true</internal_replication>
{{- range .}}
        <replica><host>127.0.0.1</host><port>{{.}}</port></replica>
{{- end}}
      </shard>
{{- end}}
    </{{.Cluster}}>
  </remote_servers>
  <macros>
    <shard>{{.Shard}}</shard>
    <replica>{{.Replica}}</replica>
  </macros>
  <distributed_ddl>
    <path>/clickhouse/task_queue/ddl</path>
  </distributed_ddl>
{{- end}}
</yandex>
`))
