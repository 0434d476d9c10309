package main

import (
	"context"
	"fmt"
)

type migrateCmd struct {
	chFlags
}

func (c *migrateCmd) Run(ctx context.Context, e *env) error {
	st, err := openStore(ctx, c.chFlags, e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.out, "database %s is up to date (ClickHouse %s)\n", st.Database(), st.ServerVersion())
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(e.out, "applied %s\n", m.Name)
	}
	fmt.Fprintf(e.out, "database %s: %d migration(s) applied (ClickHouse %s)\n", st.Database(), len(applied), st.ServerVersion())
	return nil
}
