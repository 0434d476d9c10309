package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/rollup/rolluptest"
	"github.com/keyproject/kpp/internal/browsertest"
	"github.com/keyproject/kpp/producers/demo"
	"github.com/keyproject/kpp/schema"
)

// The demo's September board (151 projects, every report of the month due
// late, as on a first day of an office that starts with old data) printed
// on A4 by headless Chromium, as an office prints it: a reasonable number
// of pages, no page nearly empty, no table cell so narrow that it wraps one
// character per line, and no command line on paper.
func TestBoardPrintsOnA4(t *testing.T) {
	browsertest.Binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sh := schema.Location()
	st := rolluptest.Store(t)
	d, err := demo.Build(demo.Config{Year: 2025, Through: schema.Period{Year: 2025, Month: time.September}})
	if err != nil {
		t.Fatal(err)
	}
	// Received after the 5 October deadline: every September report is late.
	if err := rolluptest.Insert(ctx, st, d.Events(), 1, time.Date(2025, 10, 8, 9, 0, 0, 0, sh)); err != nil {
		t.Fatal(err)
	}
	p, err := schema.ParseReviewPeriod(schema.ReviewMonthly, "2025-09")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rollup.Run(ctx, st, p, rating.DefaultRules(), rollup.RunOptions{Now: time.Date(2025, 10, 10, 7, 0, 0, 0, sh), RunID: "print"}); err != nil {
		t.Fatal(err)
	}
	r, err := report.Open(ctx, st, p)
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := r.RenderContext(ctx, &html, report.FormatHTML); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "board.html")
	if err := os.WriteFile(file, html.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	bctx := browsertest.New(t, ctx)
	var pdf []byte
	// narrow lists the table cells of at least two characters that print
	// one character per line; commands the visible command lines. The page
	// is laid out as printed: print media, and the width of the page each
	// section prints on (A4 portrait 186 mm, landscape 273 mm, at 96 px an
	// inch).
	type cellIssue struct {
		Section, Text string
		Lines         int
	}
	var portrait, landscape []cellIssue
	var commands []string
	const measure = `(function(wide){
	  const out = [];
	  for (const td of document.querySelectorAll('table.data td, table.data th')) {
	    const sec = td.closest('section');
	    if (!sec || sec.classList.contains('wide') !== wide) continue;
	    const text = td.textContent.trim();
	    const chars = Array.from(text).length;
	    if (chars < 2) continue;
	    const range = document.createRange();
	    range.selectNodeContents(td);
	    const tops = new Set();
	    for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
	    if (tops.size >= chars) out.push({Section: sec.id, Text: text, Lines: tops.size});
	  }
	  return out;
	})`
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	step("open the page", chromedp.Do(bctx, chromedp.Navigate("file://"+file)))
	_, err = chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
	step("emulate print", err)
	step("portrait width", chromedp.Do(bctx, chromedp.EmulateViewport(703, 1000)))
	portrait, err = chromedp.Run(bctx, chromedp.Evaluate[[]cellIssue](measure+"(false)"))
	step("measure the portrait sections", err)
	step("landscape width", chromedp.Do(bctx, chromedp.EmulateViewport(1032, 1000)))
	landscape, err = chromedp.Run(bctx, chromedp.Evaluate[[]cellIssue](measure+"(true)"))
	step("measure the landscape sections", err)
	commands, err = chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('code, .command')).filter(e => e.offsetParent !== null).map(e => e.textContent)`))
	step("find command lines", err)
	step("reset the viewport", chromedp.Do(bctx, chromedp.ResetViewport()))
	pdf, err = chromedp.Run(bctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	step("print to PDF", err)
	if os.Getenv("KPP_KEEP_PRINT") != "" {
		_ = os.WriteFile(os.Getenv("KPP_KEEP_PRINT"), pdf, 0o644)
	}
	for _, c := range append(portrait, landscape...) {
		t.Errorf("section %s: cell %q prints on %d lines, one character a line", c.Section, c.Text, c.Lines)
	}
	if len(commands) > 0 {
		t.Errorf("command lines are printed: %q", commands)
	}
	pages := pdfPages(t, pdf)
	t.Logf("%d projects, %d late reports: %d A4 pages, text drawn per page %v", r.ProjectCount(), r.Overall.Late, len(pages), pages)
	if len(pages) > 12 {
		t.Errorf("the board prints on %d pages, want at most 12", len(pages))
	}
	for i, n := range pages[:len(pages)-1] {
		if n < 8 {
			t.Errorf("page %d of %d is nearly empty: %d pieces of text", i+1, len(pages), n)
		}
	}
}

// pdfPages returns, for each page of a PDF written by Chromium (Skia), how
// many text-showing operators (Tj, TJ) its content draws.
func pdfPages(t *testing.T, pdf []byte) []int {
	t.Helper()
	objs := map[int][]byte{}
	for _, m := range regexp.MustCompile(`(?s)(\d+) 0 obj\s*(.*?)endobj`).FindAllSubmatch(pdf, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		objs[n] = m[2]
	}
	stream := regexp.MustCompile(`(?s)stream\r?\n(.*)\r?\nendstream`)
	ref := regexp.MustCompile(`/Contents\s+(\d+) 0 R`)
	show := regexp.MustCompile(`(?:\)|\])\s*T[jJ]\b|>\s*Tj\b`)
	var pages []int
	var order []int
	for n := range objs {
		order = append(order, n)
	}
	slices.Sort(order)
	for _, n := range order {
		o := objs[n]
		if !regexp.MustCompile(`/Type\s*/Page\b`).Match(o) {
			continue
		}
		c := ref.FindSubmatch(o)
		if c == nil {
			pages = append(pages, 0)
			continue
		}
		cn, _ := strconv.Atoi(string(c[1]))
		body := stream.FindSubmatch(objs[cn])
		if body == nil {
			t.Fatalf("page object %d: contents %d has no stream", n, cn)
		}
		data := body[1]
		if zr, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatalf("page object %d: %v", n, err)
			}
		}
		pages = append(pages, len(show.FindAll(data, -1)))
	}
	if len(pages) == 0 {
		t.Fatalf("no page in the PDF (%d bytes)", len(pdf))
	}
	return pages
}
