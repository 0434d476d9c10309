package main

import (
	"context"
	"fmt"

	"github.com/keyproject/kpp/consumers/chstore"
)

type migrateCmd struct {
	chFlags
	clusterFlags
	AnalystPassword string `name:"analyst-password" env:"KPP_ANALYST_PASSWORD" help:"Also create (or replace) the bounded read-only user analyst on current ClickHouse with this password (12+ characters): readonly, SELECT on the database only, 60 s, 2 GiB and 1,000,000 result rows per query. Needs SQL access control (not 18.16, whose analyst is in users.xml) and a --clickhouse user with access management."`
}

func (c *migrateCmd) Run(ctx context.Context, e *env) error {
	st, err := openStore(ctx, c.chFlags, e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := c.clusterFlags.use(st); err != nil {
		return err
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if st.Cluster() != "" {
		fmt.Fprintf(e.out, "cluster %s: replicated tables, views on every replica\n", st.Cluster())
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.out, "database %s is up to date (ClickHouse %s)\n", st.Database(), st.ServerVersion())
	} else {
		for _, m := range applied {
			fmt.Fprintf(e.out, "applied %s\n", m.Name)
		}
		fmt.Fprintf(e.out, "database %s: %d migration(s) applied (ClickHouse %s)\n", st.Database(), len(applied), st.ServerVersion())
	}
	if c.AnalystPassword != "" {
		if err := st.CreateAnalyst(ctx, c.AnalystPassword, chstore.AnalystLimits{}); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "user analyst: read-only on database %s (role and settings profile kpp_analyst)\n", st.Database())
	}
	return nil
}
