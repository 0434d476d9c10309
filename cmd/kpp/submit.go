package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/keyproject/kpp/producers/submit"
)

type submitCmd struct {
	clientNATSFlags

	Files       []string `arg:"" name:"file" type:"existingfile" help:"Report files: JSON Lines (.jsonl, .ndjson) or CSV (.csv, UTF-8, Chinese or English headers). See docs/submit.md."`
	SkipInvalid bool     `name:"skip-invalid" env:"KPP_SUBMIT_SKIP_INVALID" help:"Publish the valid records of a file that also has invalid ones (the invalid ones are still listed)."`
	DryRun      bool     `name:"dry-run" help:"Validate only (against the projects registered in NATS); publish nothing."`
	BatchSize   int      `name:"batch-size" env:"KPP_SUBMIT_BATCH_SIZE" default:"1000" help:"Records per atomic batch (1-1000); a file of up to this many records is stored all or nothing."`
	Receipt     string   `name:"receipt" type:"path" help:"Also write the full receipt (every event id, subject and stream sequence) as JSON to this file."`
	JSON        bool     `name:"json" help:"Print the full receipt as JSON instead of the summary."`
}

func (c *submitCmd) Run(ctx context.Context, e *env) error {
	// A dry run connects too: ownership is checked against the projects
	// registered in NATS.
	nc, err := connectClient(ctx, c.clientNATSFlags)
	if err != nil {
		return err
	}
	defer nc.Close()
	p, err := submit.New(nc.js, submit.Config{BatchSize: c.BatchSize, SkipInvalid: c.SkipInvalid, DryRun: c.DryRun, AssumeStreams: nc.assumeStreams, Logger: e.log})
	if err != nil {
		return err
	}
	rc, err := p.Submit(ctx, c.Files...)
	if rc != nil {
		if c.JSON {
			_ = rc.WriteJSON(e.out)
		} else {
			_ = rc.WriteText(e.out)
		}
		if c.Receipt != "" {
			if werr := writeReceipt(c.Receipt, rc); werr != nil {
				return werr
			}
		}
	}
	var inv *submit.InvalidError
	if errors.As(err, &inv) {
		return &exitError{code: 3, msg: inv.Error()}
	}
	return err
}

func writeReceipt(path string, rc *submit.Receipt) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write receipt: %w", err)
	}
	if err := rc.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("write receipt %s: %w", path, err)
	}
	return f.Close()
}
