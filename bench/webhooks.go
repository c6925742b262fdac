package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/secret"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/webhook"
)

// WebhooksOptions size `tenure bench webhooks`.
type WebhooksOptions struct {
	DatabaseURL string        `json:"-"`
	Deliveries  int           `json:"deliveries"`   // per throughput measurement
	Endpoints   int           `json:"endpoints"`    // fast endpoints the deliveries are spread over
	Delay       time.Duration `json:"receiver_ms"`  // how long the receiver takes to answer
	Concurrency int           `json:"concurrency"`  // the dispatcher's, and the baseline's clients
	PerEndpoint int           `json:"per_endpoint"` // the dispatcher's limit per endpoint
	Window      time.Duration `json:"window"`       // how long the isolation measurement emits messages
	Rounds      int           `json:"rounds"`
	Log         *slog.Logger  `json:"-"`
	Progress    io.Writer     `json:"-"`
}

// LagStats describe how late deliveries arrived after they were due, in milliseconds.
type LagStats struct {
	Count            int     `json:"count"`
	Median, P99, Max float64 `json:"-"`
}

// WebhooksReport is what `tenure bench webhooks` measured.
type WebhooksReport struct {
	Machine Machine         `json:"machine"`
	Options WebhooksOptions `json:"options"`
	// Bare is signed POSTs per second straight to the receiver from Concurrency clients;
	// Dispatcher is deliveries per second through the outbox: claimed, sent and recorded.
	Bare       []float64 `json:"bare_posts_per_s"`
	Dispatcher []float64 `json:"dispatcher_deliveries_per_s"`
	// Alone and WithSlow are the lateness of a steady stream of deliveries to fast
	// endpoints, without and with another store's endpoint that answers after 10 s and has
	// a backlog.
	Alone    []LagStats `json:"lag_alone"`
	WithSlow []LagStats `json:"lag_with_slow_endpoint"`
}

// receiver is the stores' endpoints: /slow answers after 10 s, every other path after
// delay. It counts requests and, when lags is on, how late each arrived after the
// message was created (= due).
type receiver struct {
	delay  time.Duration
	srv    *http.Server
	url    string
	count  atomic.Int64
	record atomic.Bool
	mu     sync.Mutex
	lags   []float64
}

func newReceiver(delay time.Duration) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{delay: delay, url: "http://" + ln.Addr().String()}
	rc.srv = &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = rc.srv.Serve(ln) }()
	return rc, nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	at := time.Now()
	wait := rc.delay
	if r.URL.Path == "/slow" {
		wait = 10 * time.Second
	} else {
		rc.count.Add(1)
		if rc.record.Load() {
			var env webhook.Envelope
			if json.Unmarshal(body, &env) == nil && !env.CreatedAt.IsZero() {
				rc.mu.Lock()
				rc.lags = append(rc.lags, float64(at.Sub(env.CreatedAt).Microseconds())/1000)
				rc.mu.Unlock()
			}
		}
	}
	select {
	case <-time.After(wait):
	case <-r.Context().Done():
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Webhooks measures webhook delivery against a receiver on 127.0.0.1.
func Webhooks(ctx context.Context, o WebhooksOptions) (*WebhooksReport, error) {
	if o.Deliveries <= 0 || o.Endpoints <= 0 || o.Rounds <= 0 || o.Concurrency <= 0 || o.PerEndpoint <= 0 || o.Window <= 0 {
		return nil, fmt.Errorf("bench: deliveries, endpoints, rounds, concurrencies and window must be positive")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	s, err := newScratch(ctx, o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer s.close()
	rc, err := newReceiver(o.Delay)
	if err != nil {
		return nil, err
	}
	defer rc.srv.Close()
	r := &WebhooksReport{Machine: describe(s), Options: o}
	for round := 1; round <= o.Rounds; round++ {
		bare, err := benchBarePosts(ctx, rc, o)
		if err != nil {
			return nil, err
		}
		disp, err := benchDispatcher(ctx, s, rc, o)
		if err != nil {
			return nil, err
		}
		alone, err := benchIsolation(ctx, s, rc, o, false)
		if err != nil {
			return nil, err
		}
		slow, err := benchIsolation(ctx, s, rc, o, true)
		if err != nil {
			return nil, err
		}
		r.Bare, r.Dispatcher = append(r.Bare, bare), append(r.Dispatcher, disp)
		r.Alone, r.WithSlow = append(r.Alone, alone), append(r.WithSlow, slow)
		fmt.Fprintf(o.Progress, "round %d: bare %.0f/s, dispatcher %.0f/s, lag p99 %.1f ms alone, %.1f ms beside a 10 s endpoint\n",
			round, bare, disp, alone.P99, slow.P99)
	}
	return r, nil
}

// benchBarePosts sends Deliveries signed POSTs of a delivery's size to the fast paths
// from Concurrency clients: the ceiling the receiver and the loopback allow.
func benchBarePosts(ctx context.Context, rc *receiver, o WebhooksOptions) (float64, error) {
	body, _ := json.Marshal(webhook.Envelope{ID: "msg_bench", Type: "member.updated", CreatedAt: time.Now().UTC(), Data: json.RawMessage(`{"member_id":"mem_bench","external_id":"cust-00001"}`)})
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * o.Concurrency, MaxIdleConnsPerHost: o.Concurrency}}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(o.Deliveries) {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/f%d", rc.url, i%int64(o.Endpoints)), strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(webhook.HeaderSignature, webhook.Sign("whsec_bench", time.Now(), body))
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failed.Load() > 0 {
		return 0, fmt.Errorf("bench: %d bare POSTs failed", failed.Load())
	}
	return float64(o.Deliveries) / elapsed.Seconds(), nil
}

// openWebhookApp empties the scratch database and opens it as an App with workers off.
func openWebhookApp(ctx context.Context, s *scratch, log *slog.Logger) (*app.App, error) {
	if err := s.reset(ctx); err != nil {
		return nil, err
	}
	cfg := config.Config{Addr: "127.0.0.1:0", DatabaseURL: s.dsn, LogLevel: "warn", LogFormat: "text", PollInterval: time.Second,
		NodeName: "bench", ShutdownTimeout: 10 * time.Second, TenantName: "Bench store", SecretKey: secret.Generate()}
	return app.New(ctx, cfg, nil, log)
}

// endpoints creates a tenant with endpoints at the given receiver paths, every one
// subscribed to every message type.
func endpoints(ctx context.Context, a *app.App, name, base string, paths []string) (string, error) {
	t, _, err := a.Service.Tenants.Create(ctx, name)
	if err != nil {
		return "", err
	}
	for _, p := range paths {
		if _, err := a.Service.Webhooks.Create(ctx, t.ID, "bench", service.WebhookInput{URL: base + p}); err != nil {
			return "", err
		}
	}
	return t.ID, nil
}

// emit writes n messages of the tenant to the outbox, 500 per transaction; each becomes
// one delivery per endpoint of the tenant.
func emit(ctx context.Context, db *storage.DB, tenantID string, n int) error {
	for done := 0; done < n; {
		k := min(500, n-done)
		if err := db.Write(ctx, func(tx *storage.Tx) error {
			for i := range k {
				if _, err := tx.Emit(ctx, tenantID, "member.updated", "", map[string]any{"external_id": fmt.Sprintf("cust-%06d", done+i)}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		done += k
	}
	return nil
}

func unfinished(ctx context.Context, db *storage.DB) (int64, error) {
	var n int64
	err := db.Raw().QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'running')`).Scan(&n)
	return n, err
}

func dispatcherOptions(o WebhooksOptions) webhook.Options {
	return webhook.Options{Node: "bench", Concurrency: o.Concurrency, PerEndpoint: o.PerEndpoint, Log: o.Log}
}

// benchDispatcher queues Deliveries deliveries over the fast endpoints, then times a
// started dispatcher from its start until every delivery is recorded as succeeded.
func benchDispatcher(ctx context.Context, s *scratch, rc *receiver, o WebhooksOptions) (float64, error) {
	a, err := openWebhookApp(ctx, s, o.Log)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	paths := make([]string, o.Endpoints)
	for i := range paths {
		paths[i] = fmt.Sprintf("/f%d", i)
	}
	tenant, err := endpoints(ctx, a, "Fast store", rc.url, paths)
	if err != nil {
		return 0, err
	}
	if err := emit(ctx, a.DB, tenant, o.Deliveries/o.Endpoints); err != nil {
		return 0, err
	}
	total := int64(o.Deliveries / o.Endpoints * o.Endpoints)
	before := rc.count.Load()
	d := webhook.New(a.DB, dispatcherOptions(o))
	start := time.Now()
	d.Start()
	for {
		n, err := unfinished(ctx, a.DB)
		if err != nil {
			_ = d.Close()
			return 0, err
		}
		if n == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	_ = d.Close()
	if got := rc.count.Load() - before; got != total {
		return 0, fmt.Errorf("bench: the receiver got %d requests for %d deliveries", got, total)
	}
	return float64(total) / elapsed.Seconds(), nil
}

// benchIsolation emits a steady stream of messages to a store with four fast endpoints
// for Window and measures how late they arrive; withSlow first gives another store an
// endpoint that answers after 10 s and a backlog of 200 messages.
func benchIsolation(ctx context.Context, s *scratch, rc *receiver, o WebhooksOptions, withSlow bool) (LagStats, error) {
	a, err := openWebhookApp(ctx, s, o.Log)
	if err != nil {
		return LagStats{}, err
	}
	defer a.Close()
	fast, err := endpoints(ctx, a, "Fast store", rc.url, []string{"/f0", "/f1", "/f2", "/f3"})
	if err != nil {
		return LagStats{}, err
	}
	d := webhook.New(a.DB, dispatcherOptions(o))
	defer d.Close()
	if withSlow {
		slow, err := endpoints(ctx, a, "Slow store", rc.url, []string{"/slow"})
		if err != nil {
			return LagStats{}, err
		}
		if err := emit(ctx, a.DB, slow, 200); err != nil {
			return LagStats{}, err
		}
	}
	d.Start()
	time.Sleep(200 * time.Millisecond) // the slow endpoint's slots fill up
	rc.mu.Lock()
	rc.lags = rc.lags[:0]
	rc.mu.Unlock()
	rc.record.Store(true)
	tick := time.NewTicker(10 * time.Millisecond)
	for end := time.Now().Add(o.Window); time.Now().Before(end); <-tick.C {
		if err := emit(ctx, a.DB, fast, 1); err != nil {
			tick.Stop()
			return LagStats{}, err
		}
	}
	tick.Stop()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var n int64
		if err := a.DB.Raw().QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE tenant_id = $1 AND state IN ('pending', 'running')`, fast).Scan(&n); err != nil {
			return LagStats{}, err
		}
		if n == 0 {
			break
		}
	}
	rc.record.Store(false)
	rc.mu.Lock()
	lags := slices.Clone(rc.lags)
	rc.mu.Unlock()
	slices.Sort(lags)
	if len(lags) == 0 {
		return LagStats{}, fmt.Errorf("bench: no delivery arrived")
	}
	return LagStats{Count: len(lags), Median: median(lags), P99: lags[(len(lags)*99)/100], Max: lags[len(lags)-1]}, nil
}

// MarshalJSON keeps milliseconds readable in the JSON report.
func (l LagStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"count": l.Count, "median_ms": l.Median, "p99_ms": l.P99, "max_ms": l.Max})
}

// Print writes the report: per-round numbers, medians, ratios and verdicts.
func (r *WebhooksReport) Print(w io.Writer) {
	o := r.Options
	r.Machine.header(w, "Webhook delivery")
	fmt.Fprintf(w, "%d deliveries over %d endpoints, receiver answers in %v; dispatcher: %d in flight, %d per endpoint; %d rounds\n\n",
		o.Deliveries/o.Endpoints*o.Endpoints, o.Endpoints, o.Delay, o.Concurrency, o.PerEndpoint, o.Rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "throughput\tper round (/s)\tmedian (/s)\t")
	row := func(name string, xs []float64) {
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = fmt.Sprintf("%.0f", x)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t\n", name, strings.Join(parts, " "), median(xs))
	}
	row("bare signed POSTs", r.Bare)
	row("dispatcher (claim, send, record)", r.Dispatcher)
	tw.Flush()
	disp := median(r.Dispatcher)
	fmt.Fprintf(w, "dispatcher / bare: %.2f; target >= 1000 deliveries/s per node: %s\n\n", disp/median(r.Bare), verdict(disp >= 1000))

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "lateness of a fast store's deliveries (%v of messages every 10 ms)\tdeliveries\tmedian (ms)\tp99 (ms)\tmax (ms)\t\n", o.Window)
	lag := func(name string, ls []LagStats) (float64, float64) {
		var med, p99, mx []float64
		n := 0
		for _, l := range ls {
			med, p99, mx, n = append(med, l.Median), append(p99, l.P99), append(mx, l.Max), n+l.Count
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t\n", name, n, median(med), median(p99), median(mx))
		return median(med), median(p99)
	}
	am, ap := lag("alone", r.Alone)
	sm, sp := lag("beside a 10 s endpoint with a backlog", r.WithSlow)
	tw.Flush()
	fmt.Fprintf(w, "cost of the slow endpoint: median %+.1f ms, p99 %+.1f ms (medians over rounds); target < 100 ms at p99: %s\n",
		sm-am, sp-ap, verdict(sp-ap < 100))
}
