package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	benchmarks "github.com/tenure-loyalty/tenure/bench"
)

// benchImport runs `tenure bench import`: the order import against raw inserts of the
// rows it wrote (see docs/benchmarks.md).
func benchImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tenure bench import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg benchmarks.ImportConfig
	var asJSON bool
	var cpuprofile string
	fs.StringVar(&cfg.DSN, "database-url", "", "a SQLite path that does not exist yet or a postgres:// URL (default: a temporary SQLite file); the run removes what it writes")
	fs.StringVar(&cfg.File, "file", "", "an order-line CSV, plain or gzip (default: a synthetic store)")
	fs.IntVar(&cfg.Customers, "customers", 10000, "customers of the synthetic store")
	fs.IntVar(&cfg.Orders, "orders", 100000, "orders of the synthetic store (three lines each)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic store")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "rounds of import then raw; medians are reported")
	fs.BoolVar(&asJSON, "json", false, "also print the results as JSON")
	fs.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench import: unexpected arguments %q", fs.Args())
	}
	cfg.Progress = stderr
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := benchmarks.RunImport(ctx, cfg)
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
