package main

import (
	"context"
	"regexp"
	"sync"
	"testing"
)

var tokenRE = regexp.MustCompile(`kpp_[0-9a-f]{12}_[A-Za-z0-9_-]+`)

// addDepartment runs kpp dept add and returns the intake token it printed
// once, and the whole output (which also holds the NATS password).
func addDepartment(t *testing.T, ctx context.Context, file, dept, name string) (token, out string) {
	t.Helper()
	code, out, errOut := kpp(t, ctx, "dept", "add", "--file", file, "--department", dept, "--name", name)
	if code != 0 {
		t.Fatalf("dept add: exit %d %s", code, errOut)
	}
	token = tokenRE.FindString(out)
	if token == "" {
		t.Fatalf("dept add printed no token:\n%s", out)
	}
	return token, out
}

// serveInBackground runs kpp serve with the schedules off and a short
// flush interval, plus args, until ctx is cancelled; the returned function
// cancels it, waits, and fails the test unless it exited 0.
func serveInBackground(t *testing.T, ctx context.Context, cancel context.CancelFunc, args ...string) (stop func()) {
	t.Helper()
	var wg sync.WaitGroup
	var code int
	var errOut string
	wg.Add(1)
	go func() {
		defer wg.Done()
		code, _, errOut = kpp(t, ctx, append([]string{"serve", "--flush-interval", "100ms",
			"--schedule-weekly", "off", "--schedule-dekad", "off", "--schedule-monthly", "off"}, args...)...)
	}()
	return func() {
		cancel()
		wg.Wait()
		if code != 0 {
			t.Errorf("serve exited %d: %s", code, errOut)
		}
	}
}

// natsPassword is the NATS password kpp dept add printed.
func natsPassword(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`\n  password (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no NATS password in:\n%s", out)
	}
	return m[1]
}
