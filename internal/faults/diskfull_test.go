//go:build faults

package faults

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/chserver"
	"github.com/keyproject/kpp/internal/testenv"
)

// smallDisk mounts a tmpfs of size (e.g. "256m") for the test and returns
// its path; it is unmounted when the test ends. Mounting needs root: the
// test is skipped when it cannot mount, except under CI=true as root,
// where it fails.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := "cannot mount a " + size + " tmpfs for ClickHouse's data (" + string(out) + err.Error() + "); the disk-full scenario needs root and mount permission"
		if testenv.InCI() && os.Geteuid() == 0 {
			t.Fatal(msg)
		}
		t.Skip("skipping: " + msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes zeros to path until the disk is full and returns how many
// bytes it wrote.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		w, err := f.Write(buf)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestClickHouseDiskFull runs ClickHouse on a 256 MiB disk. Half of a
// 20,000-report stream is stored; then the disk is filled to the last byte
// and the other half published. Ingest must fail to store, keep the batch
// unacknowledged and retry; once the file filling the disk is removed,
// everything is stored. Recovery is from freeing the disk until ingest
// acknowledged the whole stream.
func TestClickHouseDiskFull(t *testing.T) {
	began := time.Now()
	n := scaled(t, 20_000)
	disk := smallDisk(t, "256m")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	if _, _, err := chserver.Find(""); err != nil {
		if testenv.InCI() {
			t.Fatal(err)
		}
		t.Skip("skipping:", err)
	}
	ch, err := chserver.Start(ctx, chserver.Config{Dir: filepath.Join(disk, "clickhouse")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ch.Stop() })
	e := newEnv(t, ch)
	serve := e.serve("serve", "--batch-size", "2000")
	w := newWorkload("diskfull-", n)
	p := e.producer()
	e.register(ctx, p, w)
	half := len(w.reports) / 2
	if err := p.publish(ctx, w.reports[:half], 1000, 0); err != nil {
		t.Fatal(err)
	}
	e.waitIngested(2 * time.Minute)

	filler := filepath.Join(disk, "filler")
	filled := fill(t, filler)
	full := time.Now()
	t.Logf("disk full: %d MiB written to fill it", filled>>20)
	done := p.background(ctx, w.reports[half:], 1000, 0)
	serve.waitLine("failed; retrying", 2*time.Minute)
	held, err := e.progress()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ingest cannot store (%s): %s", serve.line("failed; retrying"), held)
	// Ingest keeps failing for as long as the disk is full: nothing more
	// is acknowledged.
	time.Sleep(8 * time.Second)
	still, err := e.progress()
	if err != nil {
		t.Fatal(err)
	}
	if still.acked != held.acked || still.caughtUp() {
		t.Errorf("ingest acknowledged messages while ClickHouse's disk was full: before %s; 8 s later %s", held, still)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	finish(t, e, done)
	recovery := []time.Duration{time.Since(freed)}
	stats := stopServe(t, serve)
	o := e.verify(ctx, w, p)
	t.Logf("%s; %s; full for %s; recovery %v", o, stats, freed.Sub(full), recovery)
	record(figure{scenario: "ClickHouse disk full", faults: "256 MiB tmpfs filled to the last byte for " + freed.Sub(full).Round(time.Second).String() + ", then freed",
		outcome: o, recovery: recovery, note: "(disk freed → whole stream stored); " + stats, took: time.Since(began)})
}
