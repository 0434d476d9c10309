// Package zkserver starts a local, single-node Apache ZooKeeper on a free
// loopback port with its own configuration and data folder, for the tests
// of kpp on replicated ClickHouse (internal/chcluster). It runs Debian's
// zookeeper package (apt-get install -y zookeeper: its jars in
// /usr/share/java) with the java on the PATH; it never uses a system
// service.
package zkserver

import (
	"bufio"
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
	"time"
)

// ErrNotInstalled is returned when ZooKeeper or java is missing.
var ErrNotInstalled = errors.New("zookeeper is not installed (on Debian: apt-get install -y zookeeper; or set KPP_ZOOKEEPER_CLASSPATH to its jars)")

// DefaultClassPath is where Debian's zookeeper package puts its jars and
// their dependencies.
const DefaultClassPath = "/usr/share/java/*"

// Config configures a local ZooKeeper.
type Config struct {
	// Dir holds zoo.cfg, the data and the log. Required.
	Dir string
	// Port is the client port; 0 picks a free one.
	Port int
	// ClassPath holds the ZooKeeper jars; default $KPP_ZOOKEEPER_CLASSPATH,
	// then DefaultClassPath.
	ClassPath string
	// StartTimeout bounds the wait for the server to answer; default 60s.
	StartTimeout time.Duration
}

// Server is a running ZooKeeper.
type Server struct {
	cfg  Config
	java string
	cmd  *exec.Cmd
	done chan error
}

// Find reports the java binary and the class path to use, or
// ErrNotInstalled.
func Find(classPath string) (java, cp string, err error) {
	if classPath == "" {
		classPath = os.Getenv("KPP_ZOOKEEPER_CLASSPATH")
	}
	if classPath == "" {
		classPath = DefaultClassPath
	}
	var jars []string
	for _, e := range filepath.SplitList(classPath) {
		m, _ := filepath.Glob(filepath.Join(strings.TrimSuffix(e, "*"), "zookeeper*.jar"))
		jars = append(jars, m...)
	}
	if len(jars) == 0 {
		return "", "", fmt.Errorf("%w: no zookeeper*.jar in %s", ErrNotInstalled, classPath)
	}
	java, err = exec.LookPath("java")
	if err != nil {
		return "", "", fmt.Errorf("%w: java: %w", ErrNotInstalled, err)
	}
	return java, classPath, nil
}

// Start writes zoo.cfg and starts ZooKeeper, returning once it answers
// "imok".
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("zkserver: Dir is required")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("zkserver: %w", err)
	}
	cfg.Dir = dir
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	java, cp, err := Find(cfg.ClassPath)
	if err != nil {
		return nil, err
	}
	cfg.ClassPath = cp
	if cfg.Port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("zkserver: pick a free port: %w", err)
		}
		cfg.Port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "data"), 0o750); err != nil {
		return nil, fmt.Errorf("zkserver: %w", err)
	}
	conf := fmt.Sprintf(`tickTime=500
initLimit=10
syncLimit=5
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok
`, filepath.Join(cfg.Dir, "data"), cfg.Port)
	if err := os.WriteFile(filepath.Join(cfg.Dir, "zoo.cfg"), []byte(conf), 0o640); err != nil {
		return nil, fmt.Errorf("zkserver: write zoo.cfg: %w", err)
	}
	s := &Server{cfg: cfg, java: java}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context) error {
	cmd := exec.Command(s.java, "-Xmx256m", "-cp", s.cfg.ClassPath,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(s.cfg.Dir, "zoo.cfg"))
	cmd.Dir = s.cfg.Dir
	out, err := os.OpenFile(filepath.Join(s.cfg.Dir, "zookeeper.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("zkserver: open log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("zkserver: start java: %w", err)
	}
	s.cmd = cmd
	s.done = make(chan error, 1)
	go func() { s.done <- cmd.Wait(); out.Close() }()

	deadline := time.Now().Add(s.cfg.StartTimeout)
	for {
		if s.ruok() {
			return nil
		}
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("zkserver: ZooKeeper exited while starting (%v); see %s", err, filepath.Join(s.cfg.Dir, "zookeeper.log"))
		case <-ctx.Done():
			s.Stop()
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("zkserver: no answer on %s after %s; see %s", s.Addr(), s.cfg.StartTimeout, filepath.Join(s.cfg.Dir, "zookeeper.log"))
		}
	}
}

// ruok sends ZooKeeper's "ruok" command and reports whether it answered "imok".
func (s *Server) ruok() bool {
	c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("ruok")); err != nil {
		return false
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, "imok")
}

// Addr is the client address, host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.cfg.Port)) }

// Port is the client port.
func (s *Server) Port() int { return s.cfg.Port }

// Stop kills ZooKeeper (its data is synced on every write) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}
