package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// Targets the design sets for balance reads.
const (
	TargetReadP99       = 5 * time.Millisecond
	TargetReadFraction  = 0.50
	TargetBare          = "bare"
	TargetBalance       = "balance"
	readWarmupFraction  = 5 // warm up for duration/readWarmupFraction, at most maxReadWarmup
	maxReadWarmup       = time.Second
	initialSampleBuffer = 1 << 14
)

// ReadsOptions configure a balance-read benchmark.
type ReadsOptions struct {
	DatabaseURL string        `json:"-"` // as in IngestOptions
	Members     int           `json:"members"`
	Conns       int           `json:"conns"`    // concurrent keep-alive clients
	Duration    time.Duration `json:"duration"` // of each measurement, after a short warm-up
	Rounds      int           `json:"rounds"`
	// Rate, when positive, adds an open-loop measurement of each target at this many
	// requests per second (for Duration) to every round.
	Rate     float64      `json:"rate,omitempty"`
	Log      *slog.Logger `json:"-"`
	Progress io.Writer    `json:"-"`
}

// Load is one timed measurement of one target.
type Load struct {
	Target    string  `json:"target"` // "bare" or "balance"
	Round     int     `json:"round"`
	Requests  int     `json:"requests"`
	Failed    int     `json:"failed"` // answers other than 200
	Seconds   float64 `json:"seconds"`
	PerSec    float64 `json:"requests_per_sec"`
	P50ms     float64 `json:"p50_ms"`
	P90ms     float64 `json:"p90_ms"`
	P99ms     float64 `json:"p99_ms"`
	BodyBytes int     `json:"body_bytes"`
}

// ReadsReport is the outcome of a balance-read benchmark.
type ReadsReport struct {
	Machine
	Options ReadsOptions    `json:"options"`
	Loads   []Load          `json:"loads"`
	Median  map[string]Load `json:"median"` // per target: the median of each column over rounds
	// Throughput is balance requests/s as a fraction of bare requests/s in the same round,
	// the median over rounds.
	Throughput Ratio `json:"throughput_vs_bare"`
	// P99 is the balance read's median p99 against the 5 ms target.
	P99 struct {
		Ms       float64 `json:"ms"`
		TargetMs float64 `json:"target_ms"`
		Pass     bool    `json:"pass"`
	} `json:"p99"`
	// Open holds, per target, the median open-loop measurement at Options.Rate.
	Open  map[string]OpenLoad `json:"open_loop,omitempty"`
	opens map[string][]OpenLoad
}

// Reads measures GET /v1/members/{id}/balance of random members on the real App against a
// bare net/http handler that answers a fixed body of the same size: the difference is what
// routing, authentication, validation, the database read and JSON cost.
func Reads(ctx context.Context, opt ReadsOptions) (_ *ReadsReport, err error) {
	if opt.Members < 1 || opt.Conns < 1 || opt.Rounds < 1 || opt.Duration <= 0 {
		return nil, errors.New("bench: -members, -conns and -rounds must be at least 1 and -duration positive")
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
	f, err := openFixture(ctx, s, ProgramDefault, opt.Members, 3, opt.Log)
	if err != nil {
		return nil, err
	}
	defer f.close()
	if err := f.activity(ctx); err != nil {
		return nil, fmt.Errorf("bench: seed ledger activity: %w", err)
	}
	if err := f.analyze(ctx); err != nil {
		return nil, err
	}
	base, stop, err := serve(ctx, f)
	if err != nil {
		return nil, err
	}
	defer stop()

	// The bare handler answers exactly the bytes of a real balance response.
	client := newClient(opt.Conns)
	defer client.CloseIdleConnections()
	sample, err := get(ctx, client, base+"/v1/members/"+f.members[0].external+"/balance", f.secret)
	if err != nil {
		return nil, err
	}
	bareURL, stopBare, err := serveBare(sample)
	if err != nil {
		return nil, err
	}
	defer stopBare()

	rep := &ReadsReport{Machine: describe(s), Options: opt, Median: map[string]Load{}}
	balanceURL := func(rng *rand.Rand) string {
		return base + "/v1/members/" + f.members[rng.IntN(len(f.members))].external + "/balance"
	}
	for round := 1; round <= opt.Rounds; round++ {
		for _, target := range []string{TargetBare, TargetBalance} {
			url := func(*rand.Rand) string { return bareURL }
			if target == TargetBalance {
				url = balanceURL
			}
			l, err := load(ctx, client, f.secret, url, opt.Conns, opt.Duration)
			if err != nil {
				return nil, fmt.Errorf("bench: %s round %d: %w", target, round, err)
			}
			l.Target, l.Round, l.BodyBytes = target, round, len(sample)
			if opt.Progress != nil {
				fmt.Fprintf(opt.Progress, "round %d %-7s %8.0f req/s  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms\n",
					round, target, l.PerSec, l.P50ms, l.P90ms, l.P99ms)
			}
			rep.Loads = append(rep.Loads, l)
			if opt.Rate > 0 {
				o, err := openLoopGet(ctx, f.secret, url, opt.Rate, opt.Duration)
				if err != nil {
					return nil, fmt.Errorf("bench: %s open loop round %d: %w", target, round, err)
				}
				progress(opt.Progress, "round %d %-7s open loop %5.0f/s asked, %5.0f/s done, p50 %.2f ms p99 %.2f ms\n", round, target, o.Rate, o.Achieved, o.P50ms, o.P99ms)
				if rep.opens == nil {
					rep.opens, rep.Open = map[string][]OpenLoad{}, map[string]OpenLoad{}
				}
				rep.opens[target] = append(rep.opens[target], o)
			}
		}
	}
	for target, os := range rep.opens {
		var ach, p50, p99 []float64
		for _, o := range os {
			ach, p50, p99 = append(ach, o.Achieved), append(p50, o.P50ms), append(p99, o.P99ms)
		}
		rep.Open[target] = OpenLoad{Rate: opt.Rate, Achieved: median(ach), P50ms: median(p50), P99ms: median(p99), Sent: os[0].Sent}
	}
	for _, target := range []string{TargetBare, TargetBalance} {
		rep.Median[target] = medianLoad(rep.Loads, target)
	}
	var fractions []float64
	for i := 0; i+1 < len(rep.Loads); i += 2 { // each round: bare, then balance
		fractions = append(fractions, rep.Loads[i+1].PerSec/rep.Loads[i].PerSec)
	}
	rep.Throughput = Ratio{Value: median(fractions), Target: TargetReadFraction}
	rep.Throughput.Pass = rep.Throughput.Value >= TargetReadFraction
	rep.P99.Ms, rep.P99.TargetMs = rep.Median[TargetBalance].P99ms, float64(TargetReadP99)/float64(time.Millisecond)
	rep.P99.Pass = rep.P99.Ms <= rep.P99.TargetMs
	return rep, nil
}

// activity gives every member ledger history: one order paid and fulfilled (points
// released, an expiry scheduled) and one order paid (points pending).
func (f *fixture) activity(ctx context.Context) error {
	w := newWorkload(f.members, 2, rand.Uint64())
	now := time.Now().UTC()
	var evs []tenure.Event
	for range f.members {
		paid, _ := w.event(now)
		fulfilled := paid
		fulfilled.ID, fulfilled.Type = w.randomID("evt-"), tenure.OrderFulfilled
		open, _ := w.event(now)
		evs = append(evs, paid, fulfilled, open)
	}
	for start := 0; start < len(evs); start += service.MaxBatch {
		if _, err := f.app.Service.Intake.Ingest(ctx, f.tenant, evs[start:min(start+service.MaxBatch, len(evs))], service.IngestOptions{Batch: true}); err != nil {
			return err
		}
	}
	return nil
}

// serveBare starts the baseline: net/http answering body to every request.
func serveBare(body []byte) (string, func() error, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/balance", func() error { return srv.Close() }, nil
}

func get(ctx context.Context, c *http.Client, url, secret string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b, err
}

// load runs conns clients in a closed loop, each sending its next request when the last
// one is answered, first for a warm-up that is not recorded and then for d. Every
// request's latency is kept; percentiles come from all of them, sorted.
func load(ctx context.Context, c *http.Client, secret string, url func(*rand.Rand) string, conns int, d time.Duration) (Load, error) {
	warm := min(d/readWarmupFraction, maxReadWarmup)
	if _, _, err := loop(ctx, c, secret, url, conns, time.Now().Add(warm)); err != nil {
		return Load{}, err
	}
	start := time.Now()
	samples, failed, err := loop(ctx, c, secret, url, conns, start.Add(d))
	elapsed := time.Since(start)
	if err != nil {
		return Load{}, err
	}
	slices.Sort(samples)
	l := Load{Requests: len(samples), Failed: failed, Seconds: elapsed.Seconds()}
	l.PerSec = float64(l.Requests) / l.Seconds
	l.P50ms, l.P90ms, l.P99ms = percentile(samples, 0.50), percentile(samples, 0.90), percentile(samples, 0.99)
	if failed > 0 {
		return l, fmt.Errorf("%d of %d requests were not answered 200", failed, l.Requests)
	}
	return l, nil
}

// loop sends requests from conns goroutines until deadline and returns the latencies.
func loop(ctx context.Context, c *http.Client, secret string, url func(*rand.Rand) string, conns int, deadline time.Time) ([]time.Duration, int, error) {
	var mu sync.Mutex
	var all []time.Duration
	var failed int
	var firstErr error
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
			mine := make([]time.Duration, 0, initialSampleBuffer)
			bad := 0
			var err error
			for time.Now().Before(deadline) && ctx.Err() == nil {
				var ok bool
				t0 := time.Now()
				if ok, err = fetch(ctx, c, url(rng), secret); err != nil {
					break
				}
				mine = append(mine, time.Since(t0))
				if !ok {
					bad++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			all, failed = append(all, mine...), failed+bad
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return all, failed, firstErr
}

// fetch sends one GET and reads the whole answer; ok is whether it was 200.
func fetch(ctx context.Context, c *http.Client, url, secret string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, err
}

// percentile returns the nearest-rank percentile of sorted samples, in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*p)) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}

// medianLoad takes the median of each column of a target's rounds.
func medianLoad(ls []Load, target string) Load {
	var rps, p50, p90, p99 []float64
	out := Load{Target: target}
	for _, l := range ls {
		if l.Target == target {
			rps, p50, p90, p99 = append(rps, l.PerSec), append(p50, l.P50ms), append(p90, l.P90ms), append(p99, l.P99ms)
			out.Requests += l.Requests
			out.Failed += l.Failed
			out.BodyBytes = l.BodyBytes
		}
	}
	out.PerSec, out.P50ms, out.P90ms, out.P99ms = median(rps), median(p50), median(p90), median(p99)
	return out
}
