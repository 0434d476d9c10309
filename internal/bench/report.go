package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/keyproject/kpp/schema"
)

// ReportsConfig chooses the review [Reports] renders.
type ReportsConfig struct {
	// Self is the kpp binary, run as a child process per format. Required.
	Self string
	// DSN is the ClickHouse DSN of the database holding the computed
	// review. Required.
	DSN string
	// Kind and Period name the review: monthly and 2025-12, say.
	Kind   schema.ReviewKind
	Period string
	// Dir is where the files are written (kpp-<kind>-<period>.<format>,
	// the names the HTML page of a large board links to). Required.
	Dir string
	// Formats are rendered in this order; default html, xlsx, csv.
	Formats []string
	// Progress receives a line per format as it ends; nil for none.
	Progress io.Writer
}

// ReportsResult is what rendering the review took, per format.
type ReportsResult struct {
	Kind   schema.ReviewKind
	Period string
	Runs   []ReportRun
}

// ReportRun is one `kpp report` child process.
type ReportRun struct {
	Format string
	// File is the file written and Size its size in bytes.
	File string
	Size int64
	// Duration is from the start of the process to its exit, reading the
	// review from ClickHouse included; PeakRSS is its peak resident memory.
	Duration time.Duration
	PeakRSS  int64
}

// ReportFormats are the formats Reports renders by default: the ones whose
// size grows with the board.
func ReportFormats() []string { return []string{"html", "xlsx", "csv"} }

// Reports renders a computed review with `kpp report <kind> --period P
// --format F -o FILE --clickhouse DSN`, one child process per format, and
// measures each: its duration, its peak memory and the size of the file.
func Reports(ctx context.Context, cfg ReportsConfig) (*ReportsResult, error) {
	if cfg.Self == "" || cfg.DSN == "" || cfg.Dir == "" {
		return nil, fmt.Errorf("bench: reports: Self (the kpp binary), DSN and Dir are required")
	}
	if _, err := schema.ParseReviewPeriod(cfg.Kind, cfg.Period); err != nil {
		return nil, fmt.Errorf("bench: reports: %w", err)
	}
	formats := cfg.Formats
	if len(formats) == 0 {
		formats = ReportFormats()
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: reports: create the output folder: %w", err)
	}
	res := &ReportsResult{Kind: cfg.Kind, Period: cfg.Period}
	for _, f := range formats {
		file := filepath.Join(cfg.Dir, fmt.Sprintf("kpp-%s-%s.%s", cfg.Kind, cfg.Period, f))
		run, err := RunChild(ctx, cfg.Self, "report", string(cfg.Kind), "--period", cfg.Period, "--format", f, "-o", file,
			"--clickhouse", cfg.DSN)
		if err != nil {
			return nil, fmt.Errorf("bench: render the %s %s review as %s: %w", cfg.Kind, cfg.Period, f, err)
		}
		fi, err := os.Stat(file)
		if err != nil {
			return nil, fmt.Errorf("bench: the %s report: %w", f, err)
		}
		r := ReportRun{Format: f, File: file, Size: fi.Size(), Duration: run.Duration, PeakRSS: run.PeakRSS}
		res.Runs = append(res.Runs, r)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "  %s\n", r)
		}
	}
	return res, nil
}

func (r ReportRun) String() string {
	return fmt.Sprintf("%-6s %9s  %9s  %10s", r.Format, r.Duration.Round(10*time.Millisecond), MiB(r.PeakRSS), size(r.Size))
}

// WriteText prints the runs as a table.
func (r *ReportsResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "kpp report %s --period %s\n", r.Kind, r.Period)
	fmt.Fprintf(w, "  %-6s %9s  %9s  %10s\n", "format", "time", "peak RSS", "file")
	for _, run := range r.Runs {
		fmt.Fprintf(w, "  %s\n", run)
	}
}

// size formats bytes in KiB below a MiB, else in MiB.
func size(b int64) string {
	if b < 1<<20 {
		return fmt.Sprintf("%.0f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
