package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/schema"
)

type reportCmd struct {
	Weekly  reportKindCmd `cmd:"" help:"Print the weekly analysis (周分析) of an ISO week, e.g. --period 2025-W39."`
	Dekad   reportKindCmd `cmd:"" help:"Print the ten-day dispatch (旬调度), e.g. --period 2025-09-D2 (D1: 1st-10th, D2: 11th-20th, D3: 21st-end)."`
	Monthly reportKindCmd `cmd:"" help:"Print the monthly review board (月例会 红黄绿榜), e.g. --period 2025-09."`
}

type reportKindCmd struct {
	chFlags
	Period string `name:"period" required:"" help:"Period key: 2025-W39 (weekly), 2025-09-D2 (dekad) or 2025-09 (monthly); computed before by kpp rollup."`
	Format string `name:"format" short:"f" default:"table" enum:"table,csv,md,html,xlsx" help:"table (terminal), csv (UTF-8 with BOM, for Excel), md (Markdown), html (printable A4 page with charts; a board of more than 300 projects lists the red and yellow ones and counts the rest per department, linking to the xlsx and csv files beside it) or xlsx (Excel workbook)."`
	Output string `name:"output" short:"o" type:"path" help:"Write to this file instead of standard output (required for xlsx)."`
	Issuer string `name:"issuer" env:"KPP_ISSUER" help:"The office that issues the board (编制单位), printed in the title block of the html page; blank to fill in by hand when not given."`
}

// reviewKind is the kind named by the subcommand (kpp report weekly …).
func reviewKind(kctx *kong.Context) (schema.ReviewKind, error) {
	for _, w := range strings.Fields(kctx.Command()) {
		if k, err := schema.ParseReviewKind(w); err == nil {
			return k, nil
		}
	}
	return "", fmt.Errorf("command %q names no review kind", kctx.Command())
}

func (c *reportKindCmd) Run(ctx context.Context, e *env, kctx *kong.Context) error {
	kind, err := reviewKind(kctx)
	if err != nil {
		return err
	}
	p, err := schema.ParseReviewPeriod(kind, c.Period)
	if err != nil {
		return fmt.Errorf("--period: %w", err)
	}
	if c.Output == "" && report.Binary(c.Format) {
		return &exitError{code: 2, msg: fmt.Sprintf("--format %s is binary: give -o FILE.%s", c.Format, c.Format)}
	}
	st, err := openStore(ctx, c.chFlags, e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	// Open reads the project rows as they are written: a board of any
	// size renders in bounded memory.
	r, err := report.Open(ctx, st, p)
	if err != nil {
		return err
	}
	r.Issuer = c.Issuer
	if c.Output == "" {
		return r.RenderContext(ctx, e.out, c.Format)
	}
	f, err := os.Create(c.Output)
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	if err := r.RenderContext(ctx, f, c.Format); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	fmt.Fprintf(e.err, "wrote %s (%s, %s)\n", c.Output, strings.ToUpper(c.Format), r.Title())
	return nil
}
