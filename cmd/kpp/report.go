package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/schema"
)

type reportCmd struct {
	Monthly reportMonthlyCmd `cmd:"" help:"Print the monthly dispatch board (红黄绿榜) from dispatch_monthly."`
}

type reportMonthlyCmd struct {
	chFlags
	Period string `name:"period" required:"" help:"Month, YYYY-MM (computed before by kpp rollup monthly)."`
	Format string `name:"format" short:"f" default:"table" enum:"table,csv,md" help:"Output format: table (terminal), csv (UTF-8 with BOM, for Excel) or md (Markdown)."`
	Output string `name:"output" short:"o" type:"path" help:"Write to this file instead of standard output."`
}

func (c *reportMonthlyCmd) Run(ctx context.Context, e *env) error {
	p, err := schema.ParsePeriod(c.Period)
	if err != nil {
		return fmt.Errorf("--period: %w", err)
	}
	st, err := openStore(ctx, c.chFlags, e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := report.LoadMonthly(ctx, st, p)
	if err != nil {
		return err
	}
	if c.Output == "" {
		return b.Render(e.out, c.Format)
	}
	f, err := os.Create(c.Output)
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	if err := b.Render(f, c.Format); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	fmt.Fprintf(e.err, "wrote %s (%s)\n", c.Output, strings.ToUpper(c.Format))
	return nil
}
