//go:build faults

package faults

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bin holds the binaries TestMain builds once.
var bin struct{ kpp, natsd string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kpp-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	bin.kpp, bin.natsd = filepath.Join(dir, "kpp"), filepath.Join(dir, "natsd")
	for out, pkg := range map[string]string{bin.kpp: "github.com/keyproject/kpp/cmd/kpp", bin.natsd: "github.com/keyproject/kpp/internal/faults/natsd"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "faults: go build %s: %v\n", pkg, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	printFigures(os.Stdout)
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a child process whose output (stdout and stderr) is kept, line
// by line, in memory and in a log file, and which can be killed and
// started again with the same arguments.
type proc struct {
	t    testing.TB
	name string
	path string
	args []string
	dir  string
	log  string

	mu    sync.Mutex
	lines []string
	cmd   *exec.Cmd
	done  chan struct{}
	err   error
}

// startProc starts path with args in dir; its output goes to dir/name.log.
// It is stopped (SIGTERM) when the test ends, and its last lines are
// printed if the test failed.
func startProc(t testing.TB, dir, name, path string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, path: path, args: args, dir: dir, log: filepath.Join(dir, name+".log")}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.stop()
		if t.Failed() {
			t.Logf("last lines of %s (%s):\n%s", p.name, p.log, p.tail(30))
		}
	})
	return p
}

func (p *proc) start() error {
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		f.Close()
		return err
	}
	cmd := exec.Command(p.path, p.args...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		f.Close()
		r.Close()
		w.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	w.Close()
	fmt.Fprintf(f, "---- started pid %d: %s %s\n", cmd.Process.Pid, p.path, strings.Join(p.args, " "))
	done := make(chan struct{})
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.mu.Unlock()
		}
		r.Close()
	}()
	go func() {
		err := cmd.Wait()
		<-read
		fmt.Fprintf(f, "---- pid %d exited: %v\n", cmd.Process.Pid, err)
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	return nil
}

// pid is the process id of the running process.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// running reports whether the process has not exited.
func (p *proc) running() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL, as a crash or the OOM killer would, and waits for
// the process to be gone.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop sends SIGTERM and waits up to 30s, then kills.
func (p *proc) stop() error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// restart starts the process again, with the same arguments, after kill
// or stop.
func (p *proc) restart() {
	p.t.Helper()
	if p.running() {
		p.t.Fatalf("%s: restart: still running", p.name)
	}
	p.mu.Lock()
	p.lines = nil
	p.mu.Unlock()
	if err := p.start(); err != nil {
		p.t.Fatal(err)
	}
}

// count is how many lines of the current process's output contain s.
func (p *proc) count(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// line returns the last line containing s, or "".
func (p *proc) line(s string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.lines) - 1; i >= 0; i-- {
		if strings.Contains(p.lines[i], s) {
			return p.lines[i]
		}
	}
	return ""
}

// waitLine waits until the output has a line containing s and returns
// it; the test fails if the process exits first or timeout passes.
func (p *proc) waitLine(s string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if l := p.line(s); l != "" {
			return l
		}
		if !p.running() {
			p.t.Fatalf("%s exited before printing %q; its last lines:\n%s", p.name, s, p.tail(30))
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not print %q within %s; its last lines:\n%s", p.name, s, timeout, p.tail(30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines[max(0, len(p.lines)-n):], "\n")
}
