package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/natsauth"
	"github.com/keyproject/kpp/schema"
)

// deptFileFlags names the departments file (tokens and NATS passwords,
// hashed); see docs/security.md.
type deptFileFlags struct {
	File string `name:"file" env:"KPP_DEPARTMENTS_FILE" default:".kpp/departments.json" type:"path" help:"The departments file (hashes only, mode 0600); kpp serve must use the same."`
}

type deptCmd struct {
	Add     deptAddCmd     `cmd:"" help:"Add a department: prints its intake token and NATS password once."`
	Rotate  deptRotateCmd  `cmd:"" help:"Issue a new token (or, with --nats, a new NATS password); the old one is refused from now on."`
	List    deptListCmd    `cmd:"" help:"List the departments with their token ids and dates (never a secret)."`
	Disable deptDisableCmd `cmd:"" help:"Suspend a department: its token is refused; its NATS user is left out of the next kpp nats-config."`
	Enable  deptEnableCmd  `cmd:"" help:"Undo kpp dept disable."`
	Remove  deptRemoveCmd  `cmd:"" help:"Delete a department from the file."`
}

type deptAddCmd struct {
	deptFileFlags
	Department string `name:"department" required:"" help:"Department id, e.g. qy-jtj (lower-case letters, digits, '-' and '_'): its events' department_id and NATS subjects."`
	Name       string `name:"name" required:"" help:"Department name for people, e.g. 庆元县交通运输局."`
}

func (c *deptAddCmd) Run(e *env) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	iss, err := st.Add(c.Department, c.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "added department %s (%s) to %s\n\n", iss.Department.ID, iss.Department.Name, st.Path())
	fmt.Fprintf(e.out, "intake token (for the web form and the API; shown ONCE):\n  %s\n\n", iss.Token)
	fmt.Fprintf(e.out, "NATS user and password (for the department's own kpp submit; shown ONCE):\n  user %s\n  password %s\n", iss.NATSUser, iss.NATSPassword)
	fmt.Fprintln(e.out, "\nkpp serve's embedded NATS server takes this user at its next start (and from then on requires a user:\nyour own kpp submit, rollup and template sign in with <data-dir>/nats-service.secret, so run them\nas kpp serve's user with its --data-dir); an external nats-server after kpp nats-config and a reload.")
	fmt.Fprintln(e.out, "\nNeither can be shown again: the file keeps hashes only. Lost? kpp dept rotate.")
	return nil
}

type deptRotateCmd struct {
	deptFileFlags
	Department string `name:"department" required:"" help:"Department id."`
	NATS       bool   `name:"nats" help:"Replace the NATS password instead of the intake token (then rerun kpp nats-config and reload nats-server)."`
}

func (c *deptRotateCmd) Run(e *env) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	if c.NATS {
		pw, err := st.RotateNATS(c.Department)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "new NATS password of %s (shown ONCE):\n  %s\nRegenerate the NATS configuration (kpp nats-config) and reload nats-server.\n", c.Department, pw)
		return nil
	}
	tok, err := st.Rotate(c.Department)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "new intake token of %s (shown ONCE; the old one is refused from now on):\n  %s\n", c.Department, tok)
	return nil
}

type deptListCmd struct {
	deptFileFlags
	JSON bool `name:"json" help:"Print JSON instead of a table."`
}

func (c *deptListCmd) Run(e *env) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	ds, err := st.List()
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(ds)
	}
	if len(ds) == 0 {
		fmt.Fprintf(e.out, "no departments in %s; add one with kpp dept add --department ID --name NAME\n", st.Path())
		return nil
	}
	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTOKEN ID\tCREATED\tROTATED\tNATS USER\tDISABLED")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\n", d.ID, d.Name, d.TokenID, day(d.CreatedAt), day(d.RotatedAt), d.NATSUser, d.Disabled)
	}
	return tw.Flush()
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(schema.Location()).Format("2006-01-02 15:04")
}

type deptToggleCmd struct {
	deptFileFlags
	Department string `name:"department" required:"" help:"Department id."`
}

func (c *deptToggleCmd) run(e *env, disable bool) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	if disable {
		err = st.Disable(c.Department)
	} else {
		err = st.Enable(c.Department)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "department %s %s\n", c.Department, map[bool]string{true: "disabled", false: "enabled"}[disable])
	return nil
}

type deptDisableCmd struct{ deptToggleCmd }

func (c *deptDisableCmd) Run(e *env) error { return c.run(e, true) }

type deptEnableCmd struct{ deptToggleCmd }

func (c *deptEnableCmd) Run(e *env) error { return c.run(e, false) }

type deptRemoveCmd struct {
	deptFileFlags
	Department string `name:"department" required:"" help:"Department id."`
}

func (c *deptRemoveCmd) Run(e *env) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	if err := st.Remove(c.Department); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "department %s removed from %s\n", c.Department, st.Path())
	return nil
}

type natsConfigCmd struct {
	deptFileFlags
	ServiceUser string `name:"service-user" env:"KPP_NATS_USER" default:"kpp-service" help:"The NATS user kpp serve connects as."`
	DataDir     string `name:"data-dir" env:"KPP_DATA_DIR" default:".kpp" type:"path" help:"Without KPP_NATS_PASSWORD, the service user's password is the one in <data-dir>/nats-service.secret (made, mode 0600, when missing), which kpp serve and the operator's commands read."`
	Output      string `name:"output" short:"o" type:"path" help:"Write to this file (mode 0600) instead of standard output."`
	Full        bool   `name:"full" help:"Write a complete nats-server configuration (listen address, JetStream with sync_interval: always, users) instead of the authorization block."`
	Listen      string `name:"listen" default:"127.0.0.1:4222" help:"--full: where nats-server listens."`
	StoreDir    string `name:"store-dir" help:"--full: JetStream's directory (required with --full)."`
}

// Run writes the nats-server users and permissions of every department.
// The service password comes from KPP_NATS_PASSWORD (never a flag: it would
// show in ps) or, when unset, from <data-dir>/nats-service.secret, made
// when missing; the configuration holds its bcrypt hash only.
func (c *natsConfigCmd) Run(e *env) error {
	st, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return err
	}
	ds, err := st.NATSDepartments()
	if err != nil {
		return err
	}
	sp, err := lookupServicePassword(c.DataDir, true)
	if err != nil {
		return err
	}
	pw := sp.password
	fmt.Fprintf(e.err, "NATS user %s: the password in %s\n", c.ServiceUser, sp.source)
	cfg := natsauth.Config{Departments: ds, ServiceUser: c.ServiceUser, ServicePassword: pw}
	w := e.out
	if c.Output != "" {
		f, err := os.OpenFile(c.Output, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		defer f.Close()
		w = f
	}
	if !c.Full {
		return natsauth.WriteAuthorization(w, cfg)
	}
	if c.StoreDir == "" {
		return &exitError{code: 2, msg: "--full needs --store-dir (JetStream's directory)"}
	}
	host, portStr, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: expected host:port: %w", c.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("--listen %q: port is not a number", c.Listen)
	}
	return natsauth.WriteServerConfig(w, natsauth.ServerConfig{Host: host, Port: port, StoreDir: c.StoreDir}, cfg)
}
