package bench

import (
	"bytes"
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
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// SingleOptions configure the one-event-per-request benchmark: POST /v1/events, each
// request one order.paid of an existing member, from several keep-alive connections in a
// closed loop (each connection sends its next event when the last is answered). This is
// how most stores send events: one webhook per order.
type SingleOptions struct {
	DatabaseURL string       `json:"-"`
	Program     string       `json:"program"`
	Members     int          `json:"members"` // seeded before the clock starts, each with one order
	Conns       []int        `json:"conns"`   // one measurement per entry
	Events      int          `json:"events"`  // events per measurement
	Lines       int          `json:"lines"`
	Rounds      int          `json:"rounds"`
	Log         *slog.Logger `json:"-"`
	Progress    io.Writer    `json:"-"`
}

// SingleLoad is one timed measurement at one number of connections.
type SingleLoad struct {
	Conns        int     `json:"conns"`
	Round        int     `json:"round"`
	Events       int     `json:"events"`
	Failed       int     `json:"failed"` // answers other than 201
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	P50ms        float64 `json:"p50_ms"`
	P99ms        float64 `json:"p99_ms"`
	// CPUus is the CPU time this process (server and clients) spent per event, in µs:
	// less sensitive than the rates to other work on a shared machine. PostgreSQL's own
	// work is not in it.
	CPUus float64 `json:"cpu_us_per_event"`
}

// SingleReport is the outcome of a one-event-per-request benchmark.
type SingleReport struct {
	Machine
	Options SingleOptions `json:"options"`
	Loads   []SingleLoad  `json:"loads"`
	// Median holds, per number of connections, the median of each column over rounds.
	Median []SingleLoad `json:"median"`
	// SeedSeconds is how long seeding the members took (not part of any measurement).
	SeedSeconds float64 `json:"seed_seconds"`
}

// TargetSingle is the rate one event per request must reach at 8 connections.
const TargetSingle = 1000

// Single seeds one store with opt.Members members (each with one earlier order) under the
// program, then measures POST /v1/events at each number of connections, rounds times. The
// store keeps what each measurement wrote, as a store in service would.
func Single(ctx context.Context, opt SingleOptions) (_ *SingleReport, err error) {
	if opt.Members < 1 || opt.Events < 1 || opt.Rounds < 1 || len(opt.Conns) == 0 || opt.Lines < 0 {
		return nil, errors.New("bench: -members, -events, -rounds and -conns must be at least 1")
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
	s, err := newScratch(ctx, opt.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := s.close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("bench: remove %s: %w", s.where, cerr))
		}
	}()
	rep := &SingleReport{Machine: describe(s), Options: opt}
	start := time.Now()
	f, err := openFixture(ctx, s, opt.Program, opt.Members, opt.Lines, opt.Log)
	if err != nil {
		return nil, err
	}
	defer f.close()
	rep.SeedSeconds = time.Since(start).Seconds()
	if opt.Progress != nil {
		fmt.Fprintf(opt.Progress, "seeded %d members in %.1fs\n", opt.Members, rep.SeedSeconds)
	}
	base, stop, err := serve(ctx, f)
	if err != nil {
		return nil, err
	}
	defer stop()
	// Members are visited in a random order: a store's customers do not come round-robin.
	w := newWorkload(f.members, opt.Lines, rand.Uint64())
	w.shuffle()
	for round := 1; round <= opt.Rounds; round++ {
		for _, conns := range opt.Conns {
			l, err := postSingles(ctx, f, base, w, conns, opt.Events)
			if err != nil {
				return nil, fmt.Errorf("bench: %d conns round %d: %w", conns, round, err)
			}
			l.Round = round
			if opt.Progress != nil {
				fmt.Fprintf(opt.Progress, "round %d %2d conns %7.0f events/s p50 %.1f ms p99 %.1f ms\n", round, conns, l.EventsPerSec, l.P50ms, l.P99ms)
			}
			rep.Loads = append(rep.Loads, l)
		}
	}
	for _, conns := range opt.Conns {
		var rate, p50, p99, cpu []float64
		med := SingleLoad{Conns: conns, Events: opt.Events}
		for _, l := range rep.Loads {
			if l.Conns == conns {
				rate, p50, p99, cpu = append(rate, l.EventsPerSec), append(p50, l.P50ms), append(p99, l.P99ms), append(cpu, l.CPUus)
				med.Failed += l.Failed
			}
		}
		med.EventsPerSec, med.P50ms, med.P99ms, med.CPUus = median(rate), median(p50), median(p99), median(cpu)
		rep.Median = append(rep.Median, med)
	}
	return rep, nil
}

// shuffle visits the members in a random order.
func (w *workload) shuffle() {
	w.members = slices.Clone(w.members)
	w.rng.Shuffle(len(w.members), func(i, j int) { w.members[i], w.members[j] = w.members[j], w.members[i] })
}

// postSingles sends n events, one per request, from conns connections. The bodies are
// encoded before the clock starts.
func postSingles(ctx context.Context, f *fixture, base string, w *workload, conns, n int) (SingleLoad, error) {
	l := SingleLoad{Conns: conns, Events: n}
	now := time.Now().UTC().Truncate(time.Second)
	bodies := make([][]byte, n)
	for i := range bodies {
		e, _ := w.event(now)
		var err error
		if bodies[i], err = json.Marshal(e); err != nil {
			return l, err
		}
	}
	client := newClient(conns)
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, n)
	var next, failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	cpu0 := processCPU()
	start := time.Now()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				status, err := postEvent(ctx, client, base+"/v1/events", f.secret, bodies[i])
				lat[i] = time.Since(t0)
				if err == nil && status != http.StatusCreated {
					failed.Add(1)
					err = fmt.Errorf("POST /v1/events: status %d", status)
				}
				if err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	l.CPUus = float64((processCPU() - cpu0).Microseconds()) / float64(n)
	if k := failed.Load(); k > 0 || firstErr != nil {
		return l, fmt.Errorf("%d of %d requests failed; the first: %w", k, n, firstErr)
	}
	slices.Sort(lat)
	l.Seconds = elapsed.Seconds()
	l.EventsPerSec = float64(n) / l.Seconds
	l.P50ms, l.P99ms = percentile(lat, 0.5), percentile(lat, 0.99)
	return l, nil
}

func postEvent(ctx context.Context, c *http.Client, url, secret string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// Print writes the report for people.
func (r *SingleReport) Print(w io.Writer) {
	o := r.Options
	r.header(w, "tenure bench ingest -single, program "+o.Program)
	fmt.Fprintf(w, "POST /v1/events, one order.paid per request (%d lines), %d members seeded in %.0fs with one order each; %d events per measurement, %d rounds\n\n",
		o.Lines, o.Members, r.SeedSeconds, o.Events, o.Rounds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tconns\tevents/s\tp50 ms\tp99 ms\tCPU µs/event\t")
	for _, l := range r.Loads {
		fmt.Fprintf(tw, "%d\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t\n", l.Round, l.Conns, l.EventsPerSec, l.P50ms, l.P99ms, l.CPUus)
	}
	for _, l := range r.Median {
		fmt.Fprintf(tw, "median\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t\n", l.Conns, l.EventsPerSec, l.P50ms, l.P99ms, l.CPUus)
	}
	fmt.Fprintln(w, "(CPU µs/event: this process, server and clients together; PostgreSQL's work is not in it)")
	_ = tw.Flush()
	for _, l := range r.Median {
		if l.Conns == 8 {
			fmt.Fprintf(w, "\n8 connections  %.0f events/s   target >= %d   %s\n", l.EventsPerSec, TargetSingle, verdict(l.EventsPerSec >= TargetSingle))
		}
	}
}
