package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	benchmarks "github.com/tenure-loyalty/tenure/bench"
	"github.com/tenure-loyalty/tenure/config"
)

const benchUsage = `usage: tenure bench ingest|reads|webhooks|analytics [flags]

  ingest     events/s of raw storage writes vs service.Ingest vs POST /v1/events/batch
  reads      GET /v1/members/{id}/balance vs a bare net/http handler
  webhooks   deliveries/s through the outbox vs bare POSTs to the same local receiver,
             and what a 10 s endpoint costs other stores' deliveries
  analytics  see docs/benchmarks-analytics.md

Each run works in a fresh database: a temporary SQLite file unless -database-url names
one (a path that does not exist yet, or a postgres:// URL, where the run creates and
drops a schema of its own). See docs/benchmarks.md.`

// bench runs `tenure bench ingest`, `tenure bench reads`, `tenure bench webhooks` or
// `tenure bench analytics`.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "analytics" {
		return benchAnalytics(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || (args[0] != "ingest" && args[0] != "reads" && args[0] != "webhooks") {
		fmt.Fprintln(stderr, benchUsage)
		return errors.New("bench: want ingest, reads, webhooks or analytics")
	}
	sub := args[0]
	var (
		events, batch, members, lines, conns, rounds, clients int
		deliveries, endpoints                                 int
		duration, delay, window                               time.Duration
		asJSON                                                bool
		cpuprofile                                            string
		fs                                                    *flag.FlagSet
	)
	cfg, rest, err := config.Load("tenure bench "+sub, args[1:], getenv, stderr, func(f *flag.FlagSet) {
		fs = f
		f.IntVar(&events, "events", 20000, "ingest: order.paid events per measurement")
		f.IntVar(&batch, "batch", 1000, "ingest: events per transaction and per request (at most 1000)")
		f.IntVar(&members, "members", 2000, "members the events or reads are spread over")
		f.IntVar(&lines, "lines", 3, "ingest: lines per order")
		f.IntVar(&clients, "clients", 2, "ingest: concurrent HTTP clients")
		f.IntVar(&conns, "conns", 32, "reads: concurrent keep-alive clients")
		f.DurationVar(&duration, "duration", 5*time.Second, "reads: length of each measurement")
		f.IntVar(&deliveries, "deliveries", 20000, "webhooks: deliveries per throughput measurement")
		f.IntVar(&endpoints, "endpoints", 20, "webhooks: endpoints the deliveries are spread over")
		f.DurationVar(&delay, "receiver-delay", time.Millisecond, "webhooks: how long the local receiver takes to answer")
		f.DurationVar(&window, "window", 3*time.Second, "webhooks: how long the isolation measurement sends messages")
		f.IntVar(&rounds, "rounds", 3, "measurements per path; the median is reported")
		f.BoolVar(&asJSON, "json", false, "also print the results as JSON")
		f.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("bench: unexpected arguments %q", rest)
	}
	// The benchmark only uses a database it is told about explicitly; the default
	// tenure.db is never touched.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	dbURL := ""
	if set["database-url"] || getenv("TENURE_DATABASE_URL") != "" || getenv("TENURE_DATABASE_URL_FILE") != "" {
		dbURL = cfg.DatabaseURL
	}
	if !set["log-level"] && getenv("TENURE_LOG_LEVEL") == "" {
		cfg.LogLevel = "warn" // the fixtures' migrations and servers would drown the results
	}
	log := newLogger(cfg, stderr)
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
	var report interface{ Print(io.Writer) }
	switch sub {
	case "ingest":
		report, err = benchmarks.Ingest(ctx, benchmarks.IngestOptions{DatabaseURL: dbURL, Events: events, Batch: batch, Members: members,
			Lines: lines, Clients: clients, Rounds: rounds, Log: log, Progress: stderr})
	case "reads":
		report, err = benchmarks.Reads(ctx, benchmarks.ReadsOptions{DatabaseURL: dbURL, Members: members, Conns: conns, Duration: duration,
			Rounds: rounds, Log: log, Progress: stderr})
	case "webhooks":
		report, err = benchmarks.Webhooks(ctx, benchmarks.WebhooksOptions{DatabaseURL: dbURL, Deliveries: deliveries, Endpoints: endpoints,
			Delay: delay, Concurrency: cfg.WebhookConcurrency, PerEndpoint: cfg.WebhookPerEndpoint, Window: window, Rounds: rounds,
			Log: log, Progress: stderr})
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr)
	report.Print(stdout)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return nil
}
