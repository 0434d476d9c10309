package main

import (
	"context"
	"fmt"

	"github.com/keyproject/kpp/consumers/ingest"
)

type projectCmd struct {
	Transfer projectTransferCmd `cmd:"" help:"Move a registered project to another department (administrators only; the service NATS user)."`
}

type projectTransferCmd struct {
	clientNATSFlags
	Project string `arg:"" name:"project" help:"The registered project's id, e.g. qingyuan-pumped-storage."`
	To      string `name:"to" required:"" help:"The department that owns the project from now on, e.g. qy-slj."`
}

// Run changes the project's owner in the projects bucket, which every
// ingest replica and producer reads: the new department's reports are
// taken from now on, the old one's are dead-lettered as not_owner.
func (c *projectTransferCmd) Run(ctx context.Context, e *env) error {
	nc, err := connectClient(ctx, c.clientNATSFlags)
	if err != nil {
		return err
	}
	defer nc.Close()
	from, err := ingest.TransferProject(ctx, nc.js, c.Project, c.To)
	if err != nil {
		return err
	}
	if from == c.To {
		fmt.Fprintf(e.out, "project %s already belongs to %s; nothing changed\n", c.Project, c.To)
		return nil
	}
	e.log.Info("project transferred", "project_id", c.Project, "from", from, "to", c.To)
	fmt.Fprintf(e.out, "project %s moved from %s to %s. Next: %s registers it again with a higher revision, so that the stored registration names it.\n",
		c.Project, from, c.To, c.To)
	return nil
}
