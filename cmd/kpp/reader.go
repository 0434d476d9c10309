package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/keyproject/kpp/consumers/readers"
	"github.com/keyproject/kpp/consumers/report"
)

// readersFileFlags names the readers file: the accounts of the report
// pages (hashes only); see docs/security.md.
type readersFileFlags struct {
	ReadersFile string `name:"readers-file" env:"KPP_READERS_FILE" default:".kpp/readers.json" type:"path" help:"The readers file: accounts of the report pages (argon2id hashes only, mode 0600); kpp serve must use the same."`
}

type readerCmd struct {
	Add    readerAddCmd    `cmd:"" help:"Add an account of the report pages: prints its password once."`
	Rotate readerRotateCmd `cmd:"" help:"Issue a new password (optionally a new role); the old one and its sign-ins are refused from now on."`
	List   readerListCmd   `cmd:"" help:"List the accounts with their roles and dates (never a password)."`
	Remove readerRemoveCmd `cmd:"" help:"Delete an account; its sign-ins end at their next request."`
}

func (f readersFileFlags) open(log *slog.Logger) (*readers.Store, error) {
	return readers.New(readers.Config{Path: f.ReadersFile, Logger: log})
}

type readerAddCmd struct {
	readersFileFlags
	Name string `arg:"" help:"Account name, e.g. zhang-wei (lower-case letters, digits, '-' and '_')."`
	Role string `name:"role" required:"" enum:"leader,reader" help:"leader (领导) or reader (查阅人员); both read every board and download; a leader may also recompute a review on the pages (重新计算)."`
}

func (c *readerAddCmd) Run(e *env) error {
	st, err := c.open(quiet(e))
	if err != nil {
		return err
	}
	pw, err := st.Add(c.Name, c.Role)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "added account %s (%s) to %s\n\npassword (shown ONCE; sign in on the report pages, or curl -u %s:PASSWORD for downloads):\n  %s\n\nThe file keeps a hash only. Lost? kpp reader rotate %s.\n",
		c.Name, c.Role, st.Path(), c.Name, pw, c.Name)
	return nil
}

type readerRotateCmd struct {
	readersFileFlags
	Name string `arg:"" help:"Account name."`
	Role string `name:"role" enum:",leader,reader" default:"" help:"Also change the role: leader or reader (default: keep it)."`
}

func (c *readerRotateCmd) Run(e *env) error {
	st, err := c.open(quiet(e))
	if err != nil {
		return err
	}
	pw, err := st.Rotate(c.Name, c.Role)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "new password of %s (shown ONCE; the old one and every sign-in made with it are refused from now on):\n  %s\n", c.Name, pw)
	return nil
}

type readerListCmd struct {
	readersFileFlags
	JSON bool `name:"json" help:"Print JSON instead of a table."`
}

func (c *readerListCmd) Run(e *env) error {
	st, err := c.open(quiet(e))
	if err != nil {
		return err
	}
	as, err := st.List()
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(as)
	}
	if len(as) == 0 {
		fmt.Fprintf(e.out, "no accounts in %s; add one with kpp reader add NAME --role leader|reader\n", st.Path())
		return nil
	}
	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tROTATED")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Role, day(a.CreatedAt), day(a.RotatedAt))
	}
	return tw.Flush()
}

type readerRemoveCmd struct {
	readersFileFlags
	Name string `arg:"" help:"Account name."`
}

func (c *readerRemoveCmd) Run(e *env) error {
	st, err := c.open(quiet(e))
	if err != nil {
		return err
	}
	if err := st.Remove(c.Name); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "account %s removed from %s\n", c.Name, st.Path())
	return nil
}

// reportFlags configure the sign-in of the report pages.
type reportFlags struct {
	readersFileFlags
	PublicReports bool `name:"public-reports" env:"KPP_PUBLIC_REPORTS" help:"Serve the report pages and downloads without sign-in (anyone who reaches --http-listen reads every board). Default: only accounts of --readers-file."`
}

// config is the report handler's sign-in: the readers file, and a session
// key derived from the intake's (--session-key-file) so that replicas
// share sign-ins; none when --public-reports.
func (f reportFlags) config(intakeKey []byte, secure bool, log *slog.Logger) (report.Config, error) {
	cfg := report.Config{Logger: log, SecureCookies: secure}
	if f.PublicReports {
		log.Warn("the report pages are served without sign-in (--public-reports)")
		return cfg, nil
	}
	st, err := f.open(log)
	if err != nil {
		return cfg, err
	}
	if as, err := st.List(); err == nil && len(as) == 0 {
		log.Warn("no accounts in the readers file: the report pages refuse everyone until one is added (kpp reader add NAME --role leader)", "path", st.Path())
	}
	if len(intakeKey) > 0 {
		m := hmac.New(sha256.New, intakeKey)
		m.Write([]byte("kpp report sessions"))
		cfg.SessionKey = m.Sum(nil)
	}
	cfg.Accounts = readerAccounts{st}
	return cfg, nil
}

// readerAccounts is the readers file seen by the report pages.
type readerAccounts struct{ s *readers.Store }

func (a readerAccounts) Verify(name, password string) (report.Account, bool, error) {
	acc, err := a.s.Verify(name, password)
	if errors.Is(err, readers.ErrRefused) {
		return report.Account{}, false, nil
	}
	if err != nil {
		return report.Account{}, false, err
	}
	return report.Account{Name: acc.Name, Role: acc.Role, Version: acc.Version}, true, nil
}

func (a readerAccounts) Current(name string) (report.Account, bool, error) {
	acc, err := a.s.Get(name)
	if errors.Is(err, readers.ErrUnknown) {
		return report.Account{}, false, nil
	}
	if err != nil {
		return report.Account{}, false, err
	}
	return report.Account{Name: acc.Name, Role: acc.Role, Version: acc.Version}, true, nil
}

// readSessionKey reads --session-key-file (empty path: none).
func readSessionKey(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--session-key-file: %w", err)
	}
	return key, nil
}
