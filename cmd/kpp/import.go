package main

import (
	"context"
	"errors"
	"fmt"
	"os/user"

	"github.com/keyproject/kpp/producers/history"
)

type importCmd struct {
	clientNATSFlags

	Files  []string `arg:"" name:"file" type:"existingfile" help:"Past ledgers: JSON Lines (.jsonl) or CSV (.csv) as for kpp submit, each record with its declared submission time (submitted_at / 报送时间). See docs/import.md."`
	By     string   `name:"by" env:"KPP_IMPORT_BY" help:"Who imports, recorded as imported_by on every row (default: the login name)."`
	DryRun bool     `name:"dry-run" help:"Check only; publish nothing."`
	JSON   bool     `name:"json" help:"Print the receipt as JSON."`
}

func (c *importCmd) Run(ctx context.Context, e *env) error {
	if c.department() != "" {
		return fmt.Errorf("--nats-user %s is a department: only the operator imports history (connect as %s, or with no user to the embedded server); a department's NATS user may not publish on kpp.v1._import.> anyway", c.NATSUser, "kpp-service")
	}
	by := c.By
	if by == "" {
		if u, err := user.Current(); err == nil {
			by = u.Username
		}
	}
	nc, err := connectClient(ctx, c.clientNATSFlags)
	if err != nil {
		return err
	}
	defer nc.Close()
	im, err := history.New(nc.js, history.Config{ImportedBy: by, DryRun: c.DryRun, Logger: e.log})
	if err != nil {
		return err
	}
	inputs := make([]*history.Input, 0, len(c.Files))
	for _, f := range c.Files {
		in, err := history.ReadFile(f)
		if err != nil {
			return err
		}
		inputs = append(inputs, in)
	}
	rc, err := im.Import(ctx, inputs...)
	if rc != nil {
		if c.JSON {
			_ = rc.WriteJSON(e.out)
		} else {
			_ = rc.WriteText(e.out)
		}
	}
	if errors.Is(err, history.ErrInvalid) {
		return &exitError{code: 3, msg: err.Error()}
	}
	return err
}
