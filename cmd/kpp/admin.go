package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/keyproject/kpp/producers/credentials"
)

// adminCmd manages the administrator credentials: tokens for what no
// department may do, such as importing history through the API
// (POST /api/v1/imports). They are kept, hashed, in the departments file.
type adminCmd struct {
	Add    adminAddCmd    `cmd:"" help:"Add an administrator credential: prints its token once."`
	Rotate adminRotateCmd `cmd:"" help:"Issue a new administrator token; the old one is refused from now on."`
	List   adminListCmd   `cmd:"" help:"List the administrators with their token ids and dates (never a secret)."`
	Remove adminRemoveCmd `cmd:"" help:"Delete an administrator credential; what it imported stays."`
}

type adminNameArg struct {
	deptFileFlags
	Name string `arg:"" name:"name" help:"Who holds the credential, one word (e.g. 李华 or fgw-archive); recorded as imported_by of what it imports."`
}

type adminAddCmd struct{ adminNameArg }

func (c *adminAddCmd) Run(e *env) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	a, tok, err := st.AddAdmin(c.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "added administrator %s to %s\n\n", a.Name, st.Path())
	fmt.Fprintf(e.out, "administrator token (for POST /api/v1/imports; shown ONCE):\n  %s\n\n", tok)
	fmt.Fprintln(e.out, "It cannot be shown again: the file keeps its hash only. Lost? kpp admin rotate "+a.Name+".\nNever give it to a department: it declares submission times (docs/import.md).")
	return nil
}

type adminRotateCmd struct{ adminNameArg }

func (c *adminRotateCmd) Run(e *env) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	tok, err := st.RotateAdmin(c.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "new administrator token of %s (shown ONCE; the old one is refused from now on):\n  %s\n", c.Name, tok)
	return nil
}

type adminListCmd struct {
	deptFileFlags
	JSON bool `name:"json" help:"Print JSON instead of a table."`
}

func (c *adminListCmd) Run(e *env) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	as, err := st.ListAdmins()
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(as)
	}
	if len(as) == 0 {
		fmt.Fprintf(e.out, "no administrators in %s; add one with kpp admin add NAME\n", st.Path())
		return nil
	}
	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTOKEN ID\tCREATED\tROTATED")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.TokenID, day(a.CreatedAt), day(a.RotatedAt))
	}
	return tw.Flush()
}

type adminRemoveCmd struct{ adminNameArg }

func (c *adminRemoveCmd) Run(e *env) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	if err := st.RemoveAdmin(c.Name); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "administrator %s removed from %s\n", c.Name, st.Path())
	return nil
}
