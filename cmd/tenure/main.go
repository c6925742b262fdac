// Command tenure is the Tenure loyalty engine: HTTP API, workers and administration in one
// binary. Run `tenure help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Tenure: a loyalty, points-ledger and retention engine for online stores.

Usage: tenure <command> [flags]

Commands:
  demo      build a demo store (customers, orders, a program) and serve it
  serve     run the HTTP API and background workers (creates a tenant on first start)
  migrate   apply database migrations and exit
  verify    re-derive every balance from the ledger and report mismatches
  import    load a history of orders from CSV: import orders FILE [-grant-points]
  staff     create dashboard accounts: staff create -email E -role owner|marketer|support|read_only
  keys      create, list or revoke API keys: keys create|list|revoke
  backtest  replay a candidate rule set over stored orders: backtest -rules FILE [-from -to]
  analytics write the analytics reports (metrics, cohorts, RFM, CLV, lift) as CSV: analytics [-out DIR]
  export    write the ledger or the members with their balances as CSV: export ledger|members [-out FILE]
  bench     measure ingest, balance reads and webhook delivery: bench ingest|reads|webhooks
  secrets   the key sealing stored secrets: secrets generate | secrets rotate
  listen    run a local webhook receiver that verifies signatures and prints deliveries
  version   print the version

Every command takes the settings of 'tenure serve -h' (flags or TENURE_* variables).
`

func main() {
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	if path := getenv("TENURE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
		}
	}
	var err error
	switch cmd {
	case "demo":
		err = runDemo(ctx, rest, stdout, stderr, getenv)
	case "serve":
		err = serve(ctx, rest, stdout, stderr, getenv)
	case "migrate":
		err = migrate(ctx, rest, stdout, stderr, getenv)
	case "verify":
		err = verify(ctx, rest, stdout, stderr, getenv)
	case "import":
		err = importOrders(ctx, rest, stdout, stderr, getenv)
	case "staff":
		err = staff(ctx, rest, stdout, stderr, getenv)
	case "keys":
		err = keys(ctx, rest, stdout, stderr, getenv)
	case "backtest":
		err = backtest(ctx, rest, stdout, stderr, getenv)
	case "analytics":
		err = analyticsCmd(ctx, rest, stdout, stderr, getenv)
	case "export":
		err = export(ctx, rest, stdout, stderr, getenv)
	case "bench":
		err = bench(ctx, rest, stdout, stderr, getenv)
	case "secrets":
		err = secrets(ctx, rest, stdout, stderr, getenv)
	case "listen":
		err = listen(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "tenure", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "tenure: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "tenure:", err)
		return 1
	}
	return 0
}

// open loads the configuration and builds the application.
func open(ctx context.Context, name string, args []string, stderr io.Writer, getenv func(string) string, extra func(*flag.FlagSet)) (*app.App, []string, error) {
	cfg, rest, err := config.Load("tenure "+name, args, getenv, stderr, extra)
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(cfg, stderr)
	a, err := app.New(ctx, cfg, nil, log)
	return a, rest, err
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
