package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	benchmarks "github.com/tenure-loyalty/tenure/bench"
)

// benchRenewals runs `tenure bench renewals`: subscriptions due at one instant renewed by
// one or two nodes, against the raw write of the rows the renewals wrote (see
// docs/benchmarks.md).
func benchRenewals(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tenure bench renewals", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg benchmarks.RenewalsConfig
	var asJSON bool
	fs.StringVar(&cfg.DSN, "database-url", "", "a SQLite path that does not exist yet or a postgres:// URL (default: a temporary SQLite file); the run removes what it writes")
	fs.IntVar(&cfg.Subscriptions, "subscriptions", 10000, "subscriptions due at the same instant")
	fs.IntVar(&cfg.Nodes, "nodes", 1, "job runners renewing at once, each with its own connection pool (2: two nodes, PostgreSQL)")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "rounds of renewals then raw; medians are reported")
	fs.BoolVar(&asJSON, "json", false, "also print the results as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || cfg.Subscriptions < 1 || cfg.Nodes < 1 || cfg.Nodes > 8 {
		return fmt.Errorf("bench renewals: want -subscriptions >= 1 and -nodes 1 to 8, no other arguments")
	}
	cfg.Progress = stderr
	rep, err := benchmarks.RunRenewals(ctx, cfg)
	if err != nil {
		return err
	}
	rep.Print(stdout)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return nil
}
