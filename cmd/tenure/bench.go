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
	"strconv"
	"strings"
	"time"

	benchmarks "github.com/tenure-loyalty/tenure/bench"
	"github.com/tenure-loyalty/tenure/config"
)

const benchUsage = `usage: tenure bench ingest|commit|reads|webhooks|import|renewals|analytics [flags]

  ingest     events/s of raw storage writes vs Intake.Ingest vs POST /v1/events/batch,
             under each -program (rules-20 and the default program)
  ingest -single
             POST /v1/events, one event per request, at each of -conns connections
  commit     POST /v1/events, one event per request, at each of -conns connections and
             open loop at half the rate, vs the raw group-committed rows (-sqlite-synchronous)
  reads      GET /v1/members/{id}/balance vs a bare net/http handler
  webhooks   deliveries/s against a local receiver vs bare POSTs, and the lateness a
             slow endpoint adds to others
  import     orders/s of the order import vs raw inserts of the rows it wrote
  renewals   subscription renewals/s, all due at once, on -nodes job runners, vs the raw
             write of the rows the renewals wrote
  analytics  see docs/benchmarks-analytics.md

Each run works in a fresh database: a temporary SQLite file unless -database-url names
one (a path that does not exist yet, or a postgres:// URL, where the run creates and
drops a schema of its own). See docs/benchmarks.md.`

// bench runs `tenure bench ingest`, `commit`, `reads`, `webhooks` or `analytics`.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "analytics" {
		return benchAnalytics(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "import" {
		return benchImport(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "renewals" {
		return benchRenewals(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || (args[0] != "ingest" && args[0] != "reads" && args[0] != "commit" && args[0] != "webhooks") {
		fmt.Fprintln(stderr, benchUsage)
		return errors.New("bench: want ingest, commit, reads, webhooks or analytics")
	}
	sub := args[0]
	var (
		events, batch, members, lines, rounds, clients int
		deliveries, endpoints                          int
		duration, delay, window                        time.Duration
		asJSON, single                                 bool
		rate                                           float64
		cpuprofile, conns, programs                    string
		fs                                             *flag.FlagSet
	)
	cfg, rest, err := config.Load("tenure bench "+sub, args[1:], getenv, stderr, func(f *flag.FlagSet) {
		fs = f
		f.IntVar(&events, "events", 20000, "ingest: order.paid events per measurement")
		f.IntVar(&batch, "batch", 1000, "ingest: events per transaction and per request (at most 1000)")
		f.IntVar(&members, "members", 2000, "members the events or reads are spread over")
		f.IntVar(&lines, "lines", 3, "ingest: lines per order")
		f.IntVar(&clients, "clients", 2, "ingest: concurrent HTTP clients")
		f.StringVar(&conns, "conns", "", "reads: concurrent keep-alive clients (32); ingest -single: a list (1,8,32)")
		f.Float64Var(&rate, "rate", 5000, "reads: also measure each target open loop at this many requests/s (0: not)")
		f.BoolVar(&single, "single", false, "ingest: one event per request (POST /v1/events) instead of batches")
		f.StringVar(&programs, "program", strings.Join(benchmarks.Programs, ","), "ingest: the earning programs to measure, in turn (rules-20, default)")
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
	progs, err := benchmarks.ParsePrograms(programs)
	if err != nil {
		return err
	}
	connList, err := parseInts(conns)
	if err != nil {
		return err
	}
	var reports []interface{ Print(io.Writer) }
	switch {
	case sub == "webhooks":
		r, err := benchmarks.Webhooks(ctx, benchmarks.WebhooksOptions{DatabaseURL: dbURL, Deliveries: deliveries, Endpoints: endpoints,
			Delay: delay, Concurrency: cfg.WebhookConcurrency, PerEndpoint: cfg.WebhookPerEndpoint, Window: window, Rounds: rounds,
			Log: log, Progress: stderr})
		if err != nil {
			return err
		}
		reports = append(reports, r)
	case sub == "reads":
		if len(connList) > 1 {
			return errors.New("bench reads: -conns takes one number")
		}
		n := 32
		if len(connList) == 1 {
			n = connList[0]
		}
		r, err := benchmarks.Reads(ctx, benchmarks.ReadsOptions{DatabaseURL: dbURL, Members: members, Conns: n, Duration: duration,
			Rounds: rounds, Rate: rate, Log: log, Progress: stderr})
		if err != nil {
			return err
		}
		reports = append(reports, r)
	case sub == "commit":
		if len(connList) == 0 {
			connList = []int{1, 8, 32}
		}
		if !set["members"] {
			members = 10000
		}
		if !set["events"] {
			events = 4000
		}
		r, err := benchmarks.Commit(ctx, benchmarks.CommitOptions{DatabaseURL: dbURL, Program: progs[0], Members: members, Conns: connList,
			Events: events, Lines: lines, Rounds: rounds, OpenLoop: duration, SQLiteSynchronous: cfg.SQLiteSync, Log: log, Progress: stderr})
		if err != nil {
			return err
		}
		reports = append(reports, r)
	case single:
		if len(connList) == 0 {
			connList = []int{1, 8, 32}
		}
		if !set["members"] {
			members = 10000
		}
		if !set["events"] {
			events = 4000
		}
		for _, p := range progs {
			fmt.Fprintf(stderr, "program %s\n", p)
			r, err := benchmarks.Single(ctx, benchmarks.SingleOptions{DatabaseURL: dbURL, Program: p, Members: members, Conns: connList,
				Events: events, Lines: lines, Rounds: rounds, Log: log, Progress: stderr})
			if err != nil {
				return err
			}
			reports = append(reports, r)
		}
	default:
		for _, p := range progs {
			fmt.Fprintf(stderr, "program %s\n", p)
			r, err := benchmarks.Ingest(ctx, benchmarks.IngestOptions{DatabaseURL: dbURL, Events: events, Batch: batch, Members: members,
				Lines: lines, Clients: clients, Rounds: rounds, Program: p, Log: log, Progress: stderr})
			if err != nil {
				return err
			}
			reports = append(reports, r)
		}
	}
	for i, r := range reports {
		fmt.Fprintln(stderr)
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		r.Print(stdout)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	}
	return nil
}

// parseInts reads a comma-separated list of positive numbers ("" is an empty list).
func parseInts(s string) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bench: -conns: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
