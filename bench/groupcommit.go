package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
)

// Targets for one event per request against the raw group-commit rate of the same rows.
const (
	TargetCommitRatio = 0.50 // events/s at 32 connections over the raw rate
	TargetCommitP99ms = 20.0 // open-loop p99 at half the 32-connection rate
)

// CommitOptions configure `tenure bench commit`: POST /v1/events one order.paid per
// request, compared in each round with the raw group-committed writes of the same rows
// (bench/raw.go, batches of 1000) on the same engine and durability setting.
type CommitOptions struct {
	DatabaseURL string `json:"-"`
	Program     string `json:"program"`
	Members     int    `json:"members"`
	Conns       []int  `json:"conns"`  // closed-loop measurements, one per entry
	Events      int    `json:"events"` // events per closed-loop measurement and per raw run
	Lines       int    `json:"lines"`
	Rounds      int    `json:"rounds"`
	// OpenLoop is how long the open-loop measurement at half the rate of the most
	// connections lasts.
	OpenLoop time.Duration `json:"open_loop"`
	// SQLiteSynchronous is "full" (default) or "normal".
	SQLiteSynchronous string       `json:"sqlite_synchronous"`
	Log               *slog.Logger `json:"-"`
	Progress          io.Writer    `json:"-"`
}

// OpenLoad is a fixed-rate measurement: requests are sent on a schedule whatever the
// answers, and each latency counts from the request's scheduled time, so a stall is
// charged to every request it delays.
type OpenLoad struct {
	Rate     float64 `json:"rate"` // requested per second
	Achieved float64 `json:"achieved"`
	Sent     int     `json:"sent"`
	Failed   int     `json:"failed"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
}

// CommitRound is one round's measurements.
type CommitRound struct {
	Round  int          `json:"round"`
	Raw    float64      `json:"raw_events_per_sec"`
	Loads  []SingleLoad `json:"loads"`
	Ratio  float64      `json:"ratio"` // most connections' rate over Raw
	Open   OpenLoad     `json:"open_loop"`
	Groups float64      `json:"mean_group"` // writes per commit with the most connections
}

// CommitReport is the outcome of `tenure bench commit`.
type CommitReport struct {
	Machine
	Options     CommitOptions `json:"options"`
	Rounds      []CommitRound `json:"rounds"`
	Raw         float64       `json:"raw_median"`
	Median      []SingleLoad  `json:"median"`
	Ratio       Ratio         `json:"ratio"`
	Open        OpenLoad      `json:"open_loop_median"`
	OpenPass    bool          `json:"open_loop_pass"`
	SeedSeconds float64       `json:"seed_seconds"`
}

// Commit measures, round by round on one engine: the raw group-committed rows of Events
// order.paid events (a fresh store each time), then POST /v1/events at each number of
// connections (closed loop) on a store seeded once, then an open-loop run at half the
// rate reached with the most connections.
func Commit(ctx context.Context, opt CommitOptions) (_ *CommitReport, err error) {
	if opt.Members < 1 || opt.Events < 1 || opt.Rounds < 1 || len(opt.Conns) == 0 || opt.Lines < 0 || opt.OpenLoop <= 0 {
		return nil, errors.New("bench: -members, -events, -rounds, -conns and -duration must be positive")
	}
	if opt.Program == "" {
		opt.Program = ProgramRules20
	}
	if _, err := ParsePrograms(opt.Program); err != nil {
		return nil, err
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	open := func() (*scratch, error) {
		s, err := newScratch(ctx, opt.DatabaseURL)
		if err != nil {
			return nil, err
		}
		s.synchronous = opt.SQLiteSynchronous
		return s, nil
	}
	// With a named SQLite path the raw baseline gets a file beside it.
	rawURL := opt.DatabaseURL
	if rawURL != "" && !isPostgres(rawURL) {
		rawURL += ".raw"
	}
	live, err := open()
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, live.close()) }()
	rawScratch, err := newScratch(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	rawScratch.synchronous = opt.SQLiteSynchronous
	defer func() { err = errors.Join(err, rawScratch.close()) }()

	rep := &CommitReport{Machine: describe(live), Options: opt}
	start := time.Now()
	f, err := openFixture(ctx, live, opt.Program, opt.Members, opt.Lines, opt.Log)
	if err != nil {
		return nil, err
	}
	defer f.close()
	rep.SeedSeconds = time.Since(start).Seconds()
	var mu sync.Mutex
	var groups, commits float64
	f.app.DB.ObserveGroups(func(writes int, d time.Duration) {
		f.app.Metrics.ObserveGroup(writes, d)
		mu.Lock()
		groups += float64(writes)
		commits++
		mu.Unlock()
	})
	base, stop, err := serve(ctx, f)
	if err != nil {
		return nil, err
	}
	defer stop()
	w := newWorkload(f.members, opt.Lines, rand.Uint64())
	w.shuffle()
	most := slices.Max(opt.Conns)
	for round := 1; round <= opt.Rounds; round++ {
		r := CommitRound{Round: round}
		raw, _, err := measureIngest(ctx, rawScratch, IngestOptions{Events: opt.Events, Batch: 1000, Members: opt.Members, Lines: opt.Lines,
			Clients: 1, Rounds: 1, Program: opt.Program, Log: opt.Log}, PathRaw, rand.Uint64(), nil)
		if err != nil {
			return nil, fmt.Errorf("bench: raw round %d: %w", round, err)
		}
		r.Raw = raw.EventsPerSec
		progress(opt.Progress, "round %d raw      %7.0f events/s (batches of 1000)\n", round, r.Raw)
		for _, conns := range opt.Conns {
			mu.Lock()
			groups, commits = 0, 0
			mu.Unlock()
			l, err := postSingles(ctx, f, base, w, conns, opt.Events)
			if err != nil {
				return nil, fmt.Errorf("bench: %d conns round %d: %w", conns, round, err)
			}
			l.Round = round
			progress(opt.Progress, "round %d %2d conns %7.0f events/s p50 %.1f ms p99 %.1f ms\n", round, conns, l.EventsPerSec, l.P50ms, l.P99ms)
			r.Loads = append(r.Loads, l)
			if conns == most {
				r.Ratio = l.EventsPerSec / r.Raw
				r.Open.Rate = l.EventsPerSec / 2
				mu.Lock()
				if commits > 0 {
					r.Groups = groups / commits
				}
				mu.Unlock()
			}
		}
		if r.Open, err = openLoop(ctx, f, base, w, r.Open.Rate, opt.OpenLoop); err != nil {
			return nil, fmt.Errorf("bench: open loop round %d: %w", round, err)
		}
		progress(opt.Progress, "round %d open loop %6.0f/s asked, %6.0f/s done, p50 %.1f ms p99 %.1f ms\n", round, r.Open.Rate, r.Open.Achieved, r.Open.P50ms, r.Open.P99ms)
		rep.Rounds = append(rep.Rounds, r)
	}
	var raws, ratios, rates, ach, p50s, p99s []float64
	for _, r := range rep.Rounds {
		raws, ratios = append(raws, r.Raw), append(ratios, r.Ratio)
		rates, ach, p50s, p99s = append(rates, r.Open.Rate), append(ach, r.Open.Achieved), append(p50s, r.Open.P50ms), append(p99s, r.Open.P99ms)
	}
	rep.Raw = median(raws)
	rep.Ratio = Ratio{Value: median(ratios), Target: TargetCommitRatio}
	rep.Ratio.Pass = rep.Ratio.Value >= rep.Ratio.Target
	rep.Open = OpenLoad{Rate: median(rates), Achieved: median(ach), P50ms: median(p50s), P99ms: median(p99s)}
	rep.OpenPass = rep.Open.P99ms <= TargetCommitP99ms && rep.Open.Achieved >= 0.95*rep.Open.Rate
	for _, conns := range opt.Conns {
		var rate, p50, p99 []float64
		for _, r := range rep.Rounds {
			for _, l := range r.Loads {
				if l.Conns == conns {
					rate, p50, p99 = append(rate, l.EventsPerSec), append(p50, l.P50ms), append(p99, l.P99ms)
				}
			}
		}
		rep.Median = append(rep.Median, SingleLoad{Conns: conns, Events: opt.Events, EventsPerSec: median(rate), P50ms: median(p50), P99ms: median(p99)})
	}
	return rep, nil
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

// openLoop sends one event per request at rate per second for d, each at its scheduled
// time on a connection of its own if none is idle.
func openLoop(ctx context.Context, f *fixture, base string, w *workload, rate float64, d time.Duration) (OpenLoad, error) {
	l := OpenLoad{Rate: rate}
	n := int(rate * d.Seconds())
	if n < 1 {
		return l, errors.New("rate too low for the duration")
	}
	now := time.Now().UTC().Truncate(time.Second)
	bodies := make([][]byte, n)
	for i := range bodies {
		e, _ := w.event(now)
		var err error
		if bodies[i], err = json.Marshal(e); err != nil {
			return l, err
		}
	}
	client := newClient(1024)
	defer client.CloseIdleConnections()
	return paced(rate, n, func(i int) bool {
		status, err := postEvent(ctx, client, base+"/v1/events", f.secret, bodies[i])
		return err != nil || status != http.StatusCreated
	})
}

// Print writes the report for people.
func (r *CommitReport) Print(w io.Writer) {
	o := r.Options
	sync := o.SQLiteSynchronous
	if sync == "" {
		sync = "full"
	}
	if r.Engine != "sqlite" {
		sync = "commit flushed (PostgreSQL default)"
	}
	r.header(w, "tenure bench commit, program "+o.Program)
	fmt.Fprintf(w, "POST /v1/events, one order.paid per request (%d lines), %d members; raw = the same rows written with database/sql in batches of 1000;\ndurability: %s; %d events per measurement, %d rounds\n\n",
		o.Lines, o.Members, sync, o.Events, o.Rounds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "round\traw/s\t")
	for _, c := range o.Conns {
		fmt.Fprintf(tw, "%d conns/s\tp99 ms\t", c)
	}
	fmt.Fprintln(tw, "ratio\tgroup\topen/s\tp50 ms\tp99 ms\t")
	for _, rd := range r.Rounds {
		fmt.Fprintf(tw, "%d\t%.0f\t", rd.Round, rd.Raw)
		for _, l := range rd.Loads {
			fmt.Fprintf(tw, "%.0f\t%.1f\t", l.EventsPerSec, l.P99ms)
		}
		fmt.Fprintf(tw, "%.2f\t%.1f\t%.0f\t%.1f\t%.1f\t\n", rd.Ratio, rd.Groups, rd.Open.Achieved, rd.Open.P50ms, rd.Open.P99ms)
	}
	fmt.Fprintf(tw, "median\t%.0f\t", r.Raw)
	for _, l := range r.Median {
		fmt.Fprintf(tw, "%.0f\t%.1f\t", l.EventsPerSec, l.P99ms)
	}
	fmt.Fprintf(tw, "%.2f\t\t%.0f\t%.1f\t%.1f\t\n", r.Ratio.Value, r.Open.Achieved, r.Open.P50ms, r.Open.P99ms)
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%d conns vs raw   %.2f   target >= %.2f   %s\n", slices.Max(o.Conns), r.Ratio.Value, r.Ratio.Target, verdict(r.Ratio.Pass))
	fmt.Fprintf(w, "open loop at %.0f/s   p99 %.1f ms   target <= %.0f ms   %s\n", r.Open.Rate, r.Open.P99ms, TargetCommitP99ms, verdict(r.OpenPass))
}

// openLoopGet sends GETs at rate per second for d, each at its scheduled time, with
// latencies counted from the schedule.
func openLoopGet(ctx context.Context, secret string, url func(*rand.Rand) string, rate float64, d time.Duration) (OpenLoad, error) {
	l := OpenLoad{Rate: rate}
	n := int(rate * d.Seconds())
	if n < 1 {
		return l, errors.New("rate too low for the duration")
	}
	client := newClient(1024)
	defer client.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	urls := make([]string, n)
	for i := range urls {
		urls[i] = url(rng)
	}
	return paced(rate, n, func(i int) bool {
		ok, err := fetch(ctx, client, urls[i], secret)
		return err != nil || !ok
	})
}

// paced sends n requests at rate per second, each started at its own scheduled instant
// however long the earlier ones take (an open loop: a slow server does not slow the load
// down), and reports the achieved rate and the latencies counted from each schedule.
// failed sends request i and reports whether it failed.
func paced(rate float64, n int, failed func(i int) bool) (OpenLoad, error) {
	l := OpenLoad{Rate: rate}
	lat := make([]time.Duration, n)
	bad := make([]bool, n)
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		wg.Go(func() {
			bad[i] = failed(i)
			lat[i] = time.Since(at)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, b := range bad {
		if b {
			l.Failed++
		}
	}
	if l.Failed > 0 {
		return l, fmt.Errorf("%d of %d requests failed", l.Failed, n)
	}
	slices.Sort(lat)
	l.Sent, l.Achieved = n, float64(n)/elapsed.Seconds()
	l.P50ms, l.P99ms = percentile(lat, 0.5), percentile(lat, 0.99)
	return l, nil
}
