package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Child is a kpp command run as its own process, so that its memory is
// measured apart from the servers and the publisher the bench runs.
type Child struct {
	cmd     *exec.Cmd
	start   time.Time
	out     bytes.Buffer
	done    chan struct{}
	waitErr error

	mu      sync.Mutex
	samples []int64 // resident set sizes in bytes, one per sample tick
}

// ChildRun is what a finished child used.
type ChildRun struct {
	// Duration is from start to exit.
	Duration time.Duration
	// PeakRSS is the most resident memory the process had (the kernel's
	// maxrss), in bytes.
	PeakRSS int64
	// Output is its standard output and error, for error messages.
	Output string
}

// MiB formats bytes as mebibytes.
func MiB(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// StartChild starts the kpp binary self with args, sampling its resident
// memory every 100ms until it exits.
func StartChild(ctx context.Context, self string, args ...string) (*Child, error) {
	if self == "" {
		return nil, fmt.Errorf("bench: this scenario runs kpp as a child process: the path of the kpp binary is required (Config.Self)")
	}
	c := &Child{cmd: exec.CommandContext(ctx, self, args...), done: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	c.cmd.Cancel = func() error { return c.cmd.Process.Signal(os.Interrupt) }
	c.cmd.WaitDelay = 30 * time.Second
	c.start = time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s %s: %w", self, strings.Join(args, " "), err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	go c.sample()
	return c, nil
}

func (c *Child) sample() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	path := "/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/status"
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if rss, ok := readRSS(path); ok {
				c.mu.Lock()
				c.samples = append(c.samples, rss)
				c.mu.Unlock()
			}
		}
	}
}

// readRSS reads VmRSS from a /proc/<pid>/status file.
func readRSS(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// RSS returns the samples of resident memory taken since from (bytes).
func (c *Child) RSS(from time.Time) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	skip := int(from.Sub(c.start) / (100 * time.Millisecond))
	if skip < 0 {
		skip = 0
	}
	if skip > len(c.samples) {
		return nil
	}
	return append([]int64(nil), c.samples[skip:]...)
}

// Exited is closed when the child has exited.
func (c *Child) Exited() <-chan struct{} { return c.done }

// Stop interrupts the child (SIGINT, as Ctrl-C) and waits for it to exit.
func (c *Child) Stop() (ChildRun, error) {
	select {
	case <-c.done:
	default:
		_ = c.cmd.Process.Signal(os.Interrupt)
	}
	return c.Wait()
}

// Wait waits for the child to exit; an exit other than 0 is an error that
// carries its output.
func (c *Child) Wait() (ChildRun, error) {
	<-c.done
	run := ChildRun{Duration: time.Since(c.start), Output: c.out.String()}
	if st := c.cmd.ProcessState; st != nil {
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			run.PeakRSS = ru.Maxrss << 10 // KiB on Linux
		}
	}
	if c.waitErr != nil {
		return run, fmt.Errorf("bench: %s: %w\n%s", strings.Join(c.cmd.Args, " "), c.waitErr, tail(run.Output, 2000))
	}
	return run, nil
}

// RunChild runs the kpp binary self with args to its end.
func RunChild(ctx context.Context, self string, args ...string) (ChildRun, error) {
	c, err := StartChild(ctx, self, args...)
	if err != nil {
		return ChildRun{}, err
	}
	return c.Wait()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
