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
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// Ingest paths, in the order each round measures them.
const (
	PathRaw     = "raw"
	PathService = "service"
	PathHTTP    = "http"
)

// Targets the design sets for the write path, as fractions of the raw baseline.
const (
	TargetInProcess = 0.50
	TargetHTTP      = 0.30
)

// IngestOptions configure an ingest benchmark.
type IngestOptions struct {
	// DatabaseURL is empty for a temporary SQLite file, an SQLite path that does not exist
	// yet, or a postgres:// URL (the run uses a schema of its own there).
	DatabaseURL string `json:"-"`
	Events      int    `json:"events"`  // order.paid events per measurement
	Batch       int    `json:"batch"`   // events per transaction / request, at most service.MaxBatch
	Members     int    `json:"members"` // members the events are spread over, round-robin
	Lines       int    `json:"lines"`   // lines per order
	Clients     int    `json:"clients"` // concurrent HTTP clients
	Rounds      int    `json:"rounds"`  // measurements per path; the report gives the median
	// Program is the earning program the events are judged by: ProgramRules20 (the
	// default) or ProgramDefault.
	Program string `json:"program"`
	// Log receives the application's logs; nil discards them.
	Log *slog.Logger `json:"-"`
	// Progress, when set, gets a line per finished measurement.
	Progress io.Writer `json:"-"`
}

func (o *IngestOptions) check() error {
	switch {
	case o.Events < 1 || o.Members < 1 || o.Rounds < 1 || o.Clients < 1 || o.Lines < 0:
		return errors.New("bench: -events, -members, -rounds and -clients must be at least 1, -lines at least 0")
	case o.Batch < 1 || o.Batch > service.MaxBatch:
		return fmt.Errorf("bench: -batch must be between 1 and %d (the intake's limit)", service.MaxBatch)
	}
	if o.Program == "" {
		o.Program = ProgramRules20
	}
	if _, err := ParsePrograms(o.Program); err != nil {
		return err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Measurement is one timed pass of one path over fresh data.
type Measurement struct {
	Path         string           `json:"path"`
	Round        int              `json:"round"`
	Events       int              `json:"events"`
	Seconds      float64          `json:"seconds"`
	EventsPerSec float64          `json:"events_per_sec"`
	Rows         map[string]int64 `json:"rows"` // rows each table gained, and balance sums
	Requests     int              `json:"requests,omitempty"`
	Failed       int              `json:"failed,omitempty"` // HTTP answers other than 200
	// Bytes is what each table (with its indexes) grew by during the measurement.
	Bytes map[string]int64 `json:"bytes"`
}

// IngestReport is the outcome of an ingest benchmark.
type IngestReport struct {
	Machine
	Options      IngestOptions      `json:"options"`
	Measurements []Measurement      `json:"measurements"`
	Median       map[string]float64 `json:"median_events_per_sec"`
	InProcess    Ratio              `json:"in_process_vs_raw"`
	HTTP         Ratio              `json:"http_vs_raw"`
	// SameRows reports whether, in every round, each path wrote exactly the same rows per
	// table and the same balance sums: the comparison is between equal work.
	SameRows bool `json:"same_rows"`
}

// Ratio is a measured fraction of a baseline (the median of the per-round fractions)
// against its target.
type Ratio struct {
	Value  float64 `json:"value"`
	Target float64 `json:"target"`
	Pass   bool    `json:"pass"`
}

// Ingest measures, in one run and on one engine, the events per second of the raw storage
// baseline, of Intake.Ingest in process and of POST /v1/events/batch over HTTP. Every
// measurement runs on a freshly emptied database with the same members; within a round
// all paths get the same events.
func Ingest(ctx context.Context, opt IngestOptions) (_ *IngestReport, err error) {
	if err := opt.check(); err != nil {
		return nil, err
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
	rep := &IngestReport{Machine: describe(s), Options: opt, Median: map[string]float64{}, SameRows: true}
	for round := 1; round <= opt.Rounds; round++ {
		seed := rand.Uint64()
		first := len(rep.Measurements)
		// The service runs first: its results give the raw path the documents to store.
		var results [][]tenure.EventResult
		for _, path := range []string{PathService, PathRaw, PathHTTP} {
			m, rs, err := measureIngest(ctx, s, opt, path, seed, results)
			if path == PathService {
				results = rs
			}
			if err != nil {
				return nil, fmt.Errorf("bench: %s round %d: %w", path, round, err)
			}
			m.Round = round
			if opt.Progress != nil {
				fmt.Fprintf(opt.Progress, "round %d %-7s %9.0f events/s (%d events in %.2fs)\n", round, path, m.EventsPerSec, m.Events, m.Seconds)
			}
			if len(rep.Measurements) > first && !sameRows(m.Rows, rep.Measurements[first].Rows) {
				rep.SameRows = false
			}
			rep.Measurements = append(rep.Measurements, m)
		}
	}
	for _, path := range []string{PathRaw, PathService, PathHTTP} {
		var xs []float64
		for _, m := range rep.Measurements {
			if m.Path == path {
				xs = append(xs, m.EventsPerSec)
			}
		}
		rep.Median[path] = median(xs)
	}
	rep.InProcess = pairedRatio(rep.Measurements, PathService, TargetInProcess)
	rep.HTTP = pairedRatio(rep.Measurements, PathHTTP, TargetHTTP)
	return rep, nil
}

// pairedRatio is the median over rounds of path's rate divided by the raw rate of the
// same round. A round's measurements run back to back, so each ratio compares runs made
// under the same load on a shared machine.
func pairedRatio(ms []Measurement, path string, target float64) Ratio {
	raw := map[int]float64{}
	for _, m := range ms {
		if m.Path == PathRaw {
			raw[m.Round] = m.EventsPerSec
		}
	}
	var rs []float64
	for _, m := range ms {
		if m.Path == path && raw[m.Round] > 0 {
			rs = append(rs, m.EventsPerSec/raw[m.Round])
		}
	}
	r := Ratio{Value: median(rs), Target: target}
	r.Pass = r.Value >= target
	return r
}

// sameRows compares row counts and balance sums. Event payload sizes may differ by a few
// bytes between paths; nothing here depends on them.
func sameRows(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// measureIngest seeds a fresh database, prepares the path's input, and times only the
// writing. The service path returns its results; the raw path needs them.
func measureIngest(ctx context.Context, s *scratch, opt IngestOptions, path string, seed uint64, results [][]tenure.EventResult) (Measurement, [][]tenure.EventResult, error) {
	m := Measurement{Path: path, Events: opt.Events}
	f, err := openFixture(ctx, s, opt.Program, opt.Members, opt.Lines, opt.Log)
	if err != nil {
		return m, nil, err
	}
	defer f.close()
	batches := newWorkload(f.members, opt.Lines, seed).batches(opt.Events, opt.Batch)
	before, err := f.census(ctx)
	if err != nil {
		return m, nil, err
	}
	sizeBefore, err := f.app.DB.TableBytes(ctx)
	if err != nil {
		return m, nil, err
	}
	var elapsed time.Duration
	var out [][]tenure.EventResult
	switch path {
	case PathRaw:
		prepared, perr := f.prepareRaw(ctx, batches, results)
		if perr != nil {
			return m, nil, perr
		}
		start := time.Now()
		err = writeRaw(ctx, f.app.DB.Raw(), prepared)
		elapsed = time.Since(start)
	case PathService:
		out = make([][]tenure.EventResult, 0, len(batches))
		start := time.Now()
		for _, b := range batches {
			var rs []tenure.EventResult
			if rs, err = f.app.Service.Intake.Ingest(ctx, f.tenant, b, service.IngestOptions{Batch: true}); err != nil {
				break
			}
			out = append(out, rs)
		}
		elapsed = time.Since(start)
	case PathHTTP:
		elapsed, m.Requests, m.Failed, err = postBatches(ctx, f, batches, opt.Clients)
	}
	if err != nil {
		return m, nil, err
	}
	after, err := f.census(ctx)
	if err != nil {
		return m, nil, err
	}
	m.Rows = diff(after, before)
	sizeAfter, err := f.app.DB.TableBytes(ctx)
	if err != nil {
		return m, nil, err
	}
	m.Bytes = diff(sizeAfter, sizeBefore)
	m.Seconds = elapsed.Seconds()
	m.EventsPerSec = float64(opt.Events) / m.Seconds
	return m, out, nil
}

// serve starts the fixture's App on 127.0.0.1:0 and returns its base URL and a stop
// function that shuts it down gracefully.
func serve(ctx context.Context, f *fixture) (string, func() error, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srvCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.app.Serve(srvCtx, ln) }()
	return "http://" + ln.Addr().String(), func() error { cancel(); return <-done }, nil
}

// newClient returns a keep-alive client that holds up to conns connections to one host.
func newClient(conns int) *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		IdleConnTimeout: 90 * time.Second, DisableCompression: true, ForceAttemptHTTP2: false,
	}}
}

// postBatches sends every batch as one POST /v1/events/batch from clients concurrent
// clients. Request bodies are encoded before the clock starts: a store's encoding is not
// Tenure's work.
func postBatches(ctx context.Context, f *fixture, batches [][]tenure.Event, clients int) (time.Duration, int, int, error) {
	bodies := make([][]byte, len(batches))
	for i, b := range batches {
		var err error
		if bodies[i], err = json.Marshal(map[string][]tenure.Event{"events": b}); err != nil {
			return 0, 0, 0, err
		}
	}
	base, stop, err := serve(ctx, f)
	if err != nil {
		return 0, 0, 0, err
	}
	defer stop()
	client := newClient(clients)
	defer client.CloseIdleConnections()
	var next, failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				status, answer, err := post(ctx, client, base+"/v1/events/batch", f.secret, bodies[i])
				if err == nil && status != http.StatusOK {
					failed.Add(1)
					err = fmt.Errorf("POST /v1/events/batch: %d %s", status, answer)
				}
				if err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if n := failed.Load(); n > 0 {
		firstErr = fmt.Errorf("%d of %d requests failed; the first: %w", n, len(bodies), firstErr)
	}
	return elapsed, len(bodies), int(failed.Load()), firstErr
}

// post sends one request and reads the whole answer; it returns the start of the answer
// when the status is not 200, to explain the failure.
func post(ctx context.Context, c *http.Client, url, secret string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return resp.StatusCode, string(b), nil
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, "", err
}
