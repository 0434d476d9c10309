// Package browsertest starts a real headless Chromium for the tests that
// drive the intake pages as a clerk would. Without Chromium a test is
// skipped — except under CI=true, where it fails loudly.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keyproject/kpp/internal/testenv"
)

// Binary finds a Chromium binary: $KPP_CHROMIUM, else Debian's chromium on
// the PATH.
func Binary(tb testing.TB) string {
	tb.Helper()
	for _, c := range []string{os.Getenv("KPP_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if testenv.InCI() {
		tb.Fatal("Chromium is required under CI=true for the browser test: apt-get install -y chromium (or set KPP_CHROMIUM)")
	}
	tb.Skip("skipping the browser test: no chromium on the PATH (apt-get install -y chromium, or set KPP_CHROMIUM)")
	return ""
}

// New starts headless Chromium with a fresh profile and the flags a closed
// network needs (no background networking, updates or sync), and returns
// a chromedp context for it. Everything stops when ctx ends or the test
// does.
func New(tb testing.TB, ctx context.Context) context.Context {
	tb.Helper()
	bin := Binary(tb)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
	)
	cctx, ccancel := chromedp.NewContext(actx, chromedp.WithLogf(tb.Logf))
	tb.Cleanup(func() { ccancel(); acancel() })
	return cctx
}
