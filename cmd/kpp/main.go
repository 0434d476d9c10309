// Command kpp is the key-project progress pipeline: departments' monthly
// investment reports and milestone updates go through NATS JetStream into
// ClickHouse, and rollups turn them into the dispatch board (红黄绿榜).
//
// Every subcommand has --help. Flags have environment variable equivalents
// (KPP_…), shown in the help.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// cli is the command line: global flags and one field per subcommand.
type cli struct {
	LogLevel  string `name:"log-level" env:"KPP_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" help:"Log level: debug, info, warn or error."`
	LogFormat string `name:"log-format" env:"KPP_LOG_FORMAT" default:"text" enum:"text,json" help:"Log format on stderr: text or json."`

	Serve      serveCmd      `cmd:"" help:"Run ingest: pull updates from NATS JetStream and store them in ClickHouse."`
	Submit     submitCmd     `cmd:"" help:"Validate report files (JSON Lines or CSV) and publish them to NATS JetStream."`
	Import     importCmd     `cmd:"" help:"Import past ledgers with their declared submission times (operator only; marked as imported)."`
	Migrate    migrateCmd    `cmd:"" help:"Apply the ClickHouse schema migrations (safe to run again)."`
	Rollup     rollupCmd     `cmd:"" help:"Compute and store a dispatch review (weekly, dekad, monthly) for a period or a range."`
	Report     reportCmd     `cmd:"" help:"Render a stored dispatch review: table, csv, md, html or xlsx."`
	Rules      rulesCmd      `cmd:"" help:"Show the default rating rules file, or check one."`
	DLQ        dlqCmd        `cmd:"" name:"dlq" help:"List and replay rejected (dead-lettered) updates."`
	Project    projectCmd    `cmd:"" help:"Administer project ownership: transfer a project to another department."`
	Dept       deptCmd       `cmd:"" help:"Manage department credentials: intake tokens and NATS passwords (hashed in a file)."`
	Reader     readerCmd     `cmd:"" help:"Manage the accounts of the report pages (leaders and readers; passwords hashed in a file)."`
	Template   templateCmd   `cmd:"" help:"Write a department's Excel report template."`
	NATSConfig natsConfigCmd `cmd:"" name:"nats-config" help:"Write nats-server users and permissions: each department may publish only on its own subjects."`
	Demo       demoCmd       `cmd:"" help:"Run the whole pipeline on a demo portfolio and print the monthly board."`
	Bench      benchCmd      `cmd:"" help:"Measure the pipeline against real servers: ingest against its ceiling and a plain consumer; by flag, with history stored, latency, a month-end burst, reviews and reports at scale."`
}

// env is what every command's Run receives besides the context.
type env struct {
	log *slog.Logger
	out io.Writer
	err io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// kongExit carries kong's exit code (after --help or a usage error) out of
// the parser, so that run can be called from tests without os.Exit.
type kongExit int

// run parses args and runs the command until it ends or ctx is cancelled,
// and returns the exit code: 0 success, 1 failure, 2 usage error, and what
// a command chooses (submit: 3 when records were invalid).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			k, ok := r.(kongExit)
			if !ok {
				panic(r)
			}
			code = int(k)
		}
	}()
	var c cli
	parser, err := kong.New(&c,
		kong.Name("kpp"),
		kong.Description("Key-project progress (重点项目) pipeline: NATS JetStream → ClickHouse → dispatch boards (红黄绿榜)."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(kongExit(code)) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		fmt.Fprintln(stderr, "kpp:", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		parser.Errorf("%s", err)
		if pe := (*kong.ParseError)(nil); errors.As(err, &pe) && pe.Context != nil {
			_ = pe.Context.PrintUsage(true)
		}
		return 2
	}
	e := &env{log: newLogger(stderr, c.LogLevel, c.LogFormat), out: stdout, err: stderr}
	kctx.BindTo(ctx, (*context.Context)(nil))
	if err := kctx.Run(e); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(stderr, "kpp:", ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(stderr, "kpp:", err)
		return 1
	}
	return 0
}

// exitError ends the program with a code, after the command has printed
// what went wrong (e.g. the list of invalid records).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, e.msg) }

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
