//go:build faults

package faults

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// figure is one scenario's result, printed at the end of the suite for
// docs/reliability.md.
type figure struct {
	scenario string
	outcome  outcome
	// faults says what was done; recovery lists how long each recovery
	// took (what it measures is in note).
	faults   string
	recovery []time.Duration
	note     string
	took     time.Duration
}

var figures struct {
	mu   sync.Mutex
	list []figure
}

func record(f figure) {
	figures.mu.Lock()
	defer figures.mu.Unlock()
	figures.list = append(figures.list, f)
}

func printFigures(w io.Writer) {
	figures.mu.Lock()
	defer figures.mu.Unlock()
	if len(figures.list) == 0 {
		return
	}
	fmt.Fprintln(w, "\nfault suite figures")
	fmt.Fprintln(w, "| scenario | faults | reports | acknowledged | stored | missing | duplicates (FINAL / latest) | raw rows | redelivered | board projects (wrong) | recovery | took |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
	for _, f := range figures.list {
		o := f.outcome
		var rec []string
		for _, d := range f.recovery {
			rec = append(rec, d.Round(10*time.Millisecond).String())
		}
		ingested := fmt.Sprintf("%d | %d | %d | %d | %d / %d | %d | %d", o.Reports, o.Acknowledged, o.Stored, o.Missing,
			o.FinalDuplicates, o.LatestDuplicates, o.RawRows, o.Redelivered)
		if o.Reports == 0 {
			ingested = "— | — | — | — | — | — | —"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d (%d) | %s %s | %s |\n",
			f.scenario, f.faults, ingested, o.BoardProjects, o.BoardWrong, strings.Join(rec, ", "), f.note, f.took.Round(100*time.Millisecond))
	}
}
