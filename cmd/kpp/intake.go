package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/producers/sheet"
	"github.com/keyproject/kpp/schema"
)

// intakeFlags configure the departments' web form and API; see
// docs/intake.md and docs/api.md.
type intakeFlags struct {
	deptFileFlags
	SessionKeyFile string        `name:"session-key-file" env:"KPP_SESSION_KEY_FILE" type:"path" help:"File with the key (at least 32 bytes) that signs the session cookies of the intake and of the report pages; the same on every replica. Empty: a random key per process (sign-ins end at restart)."`
	SecureCookies  bool          `name:"secure-cookies" env:"KPP_SECURE_COOKIES" help:"Mark session cookies Secure (set when the intake is served over HTTPS)."`
	MaxBody        int64         `name:"max-body" env:"KPP_INTAKE_MAX_BODY" default:"1048576" help:"Largest JSON request, bytes (413 beyond)."`
	MaxUpload      int64         `name:"max-upload" env:"KPP_INTAKE_MAX_UPLOAD" default:"10485760" help:"Largest uploaded sheet, bytes (413 beyond)."`
	MaxRows        int           `name:"max-rows" env:"KPP_INTAKE_MAX_ROWS" default:"5000" help:"Most report rows in one upload."`
	RatePerSecond  float64       `name:"rate" env:"KPP_INTAKE_RATE" default:"5" help:"Requests per second allowed per department credential (429 beyond)."`
	RateBurst      int           `name:"rate-burst" env:"KPP_INTAKE_RATE_BURST" default:"20" help:"Burst of requests allowed per department credential."`
	MaxHistory     int           `name:"max-history" env:"KPP_INTAKE_MAX_HISTORY" default:"20000" help:"Most stored messages one read of a history takes (a project's reports, a department's registrations or reports); 503 history_too_long beyond."`
	HistoryTimeout time.Duration `name:"history-timeout" env:"KPP_INTAKE_HISTORY_TIMEOUT" default:"10s" help:"Time limit of one read of a history (503 beyond)."`
}

func (f intakeFlags) handler(ctx context.Context, js jetstream.JetStream, streams schema.StreamOptions, log *slog.Logger) (http.Handler, error) {
	store, err := credentials.New(credentials.Config{Path: f.File, Logger: log})
	if err != nil {
		return nil, err
	}
	var key []byte
	if f.SessionKeyFile != "" {
		if key, err = os.ReadFile(f.SessionKeyFile); err != nil {
			return nil, fmt.Errorf("--session-key-file: %w", err)
		}
	}
	now := time.Now
	srv, err := intake.New(ctx, js, intake.Config{
		Auth:             intake.CredentialsAuth(store),
		Admins:           intake.CredentialsAdmins(store),
		Sheets:           intake.SheetReaderOf(sheet.Options{Now: now}),
		Template:         intake.SheetTemplate,
		ProjectSheets:    intake.ProjectSheetReaderOf(sheet.Options{Now: now}),
		ProjectsTemplate: intake.SheetProjectsTemplate,
		SessionKey:       key,
		SecureCookies:    f.SecureCookies,
		Limits: intake.Limits{
			MaxBodyBytes: f.MaxBody, MaxUploadBytes: f.MaxUpload, MaxRows: f.MaxRows,
			RatePerSecond: f.RatePerSecond, RateBurst: f.RateBurst,
			MaxHistoryMessages: f.MaxHistory, HistoryTimeout: f.HistoryTimeout,
		},
		Streams: streams,
		Now:     now,
		Logger:  log,
	})
	if err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	return srv.Handler(), nil
}

type templateCmd struct {
	XLSX templateXLSXCmd `cmd:"" name:"xlsx" help:"Write a department's monthly report workbook (--kind report, the default), or its project registration workbook (--kind projects), pre-filled from NATS."`
}

type templateXLSXCmd struct {
	clientNATSFlags
	deptFileFlags
	Department string `name:"department" required:"" help:"Department id, e.g. qy-jtj."`
	Kind       string `name:"kind" enum:"report,projects" default:"report" help:"report: the monthly report sheet (月报) of --period; projects: the registration workbook (项目, 年度计划, 节点) with the department's current registrations, for registering and changing projects."`
	Period     string `name:"period" help:"Month of the report, YYYY-MM (required with --kind report)."`
	Output     string `name:"output" short:"o" type:"path" help:"File to write; default kpp-report-<department>-<period>.xlsx, or kpp-projects-<department>.xlsx with --kind projects."`
}

func (c *templateXLSXCmd) Run(ctx context.Context, e *env) error {
	var p schema.Period
	if c.Kind == "report" {
		var err error
		if c.Period == "" {
			return fmt.Errorf("--period is required with --kind report: the month of the report, YYYY-MM, e.g. 2025-09")
		}
		if p, err = schema.ParsePeriod(c.Period); err != nil {
			return fmt.Errorf("--period: %w", err)
		}
	}
	dept := intake.Department{ID: c.Department}
	if store, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)}); err == nil {
		if d, err := store.Get(c.Department); err == nil {
			dept.Name = d.Name
		}
	}
	nc, err := connectClient(ctx, c.clientNATSFlags)
	if err != nil {
		return err
	}
	defer nc.Close()
	if c.Kind == "projects" {
		return c.projects(ctx, e, nc, dept)
	}
	in, err := intake.LoadTemplateInput(ctx, nc.js, dept, p)
	if err != nil {
		return err
	}
	out := c.Output
	if out == "" {
		out = sheet.FileName(c.Department, p)
	}
	if err := writeFile(out, func(w io.Writer) error { return intake.SheetTemplate(w, in) }); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "wrote %s: %d project(s) of %s for %s\n", out, len(in.Projects), strings.TrimSpace(c.Department+" "+dept.Name), p)
	return nil
}

// projects writes the registration workbook.
func (c *templateXLSXCmd) projects(ctx context.Context, e *env, nc *natsConn, dept intake.Department) error {
	in, err := intake.LoadProjectsTemplateInput(ctx, nc.js, dept)
	if err != nil {
		return err
	}
	out := c.Output
	if out == "" {
		out = sheet.ProjectsFileName(c.Department)
	}
	if err := writeFile(out, func(w io.Writer) error { return intake.SheetProjectsTemplate(w, in) }); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "wrote %s: registration workbook with %d project(s) of %s\n", out, len(in.Projects), strings.TrimSpace(c.Department+" "+dept.Name))
	return nil
}

// quiet is a logger for short commands: warnings and errors only.
func quiet(e *env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
