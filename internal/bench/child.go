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
	hwm     int64   // the latest high-water mark of the resident set read
}

// ChildRun is what a finished child used.
type ChildRun struct {
	// Duration is from start to exit.
	Duration time.Duration
	// PeakRSS is the most resident memory the process had, in bytes: the
	// kernel's high-water mark of its resident set (VmHWM), read every
	// 20ms while it runs. (The rusage maxrss of a child is no use here:
	// it counts the parent's memory the child shared between fork and
	// exec.)
	PeakRSS int64
	// Output is its standard output and error, for error messages.
	Output string
}

// MiB formats bytes as mebibytes.
func MiB(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// StartChild starts the kpp binary self with args, sampling its resident
// memory every 20ms until it exits.
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

// sampleEvery is how often a child's memory is read.
const sampleEvery = 20 * time.Millisecond

func (c *Child) sample() {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	path := "/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/status"
	for {
		if rss, hwm, ok := readRSS(path); ok {
			c.mu.Lock()
			c.samples = append(c.samples, rss)
			c.hwm = max(c.hwm, hwm, rss)
			c.mu.Unlock()
		}
		select {
		case <-c.done:
			return
		case <-t.C:
		}
	}
}

// readRSS reads the resident set (VmRSS) and its high-water mark (VmHWM)
// from a /proc/<pid>/status file, in bytes.
func readRSS(path string) (rss, hwm int64, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	var found int
	for _, line := range strings.Split(string(b), "\n") {
		for _, f := range []struct {
			prefix string
			to     *int64
		}{{"VmRSS:", &rss}, {"VmHWM:", &hwm}} {
			if rest, ok := strings.CutPrefix(line, f.prefix); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err != nil {
					return 0, 0, false
				}
				*f.to = kb << 10
				found++
			}
		}
	}
	return rss, hwm, found == 2
}

// RSS returns the samples of resident memory taken since from (bytes).
func (c *Child) RSS(from time.Time) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	skip := int(from.Sub(c.start) / sampleEvery)
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
	c.mu.Lock()
	run := ChildRun{Duration: time.Since(c.start), Output: c.out.String(), PeakRSS: c.hwm}
	c.mu.Unlock()
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
