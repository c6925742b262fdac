// Package app wires Tenure together: storage, service, HTTP API, metrics and background
// workers. The same App runs in `tenure serve` and in end-to-end tests, which start it on
// 127.0.0.1:0.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/api"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/dashboard"
	"github.com/tenure-loyalty/tenure/metrics"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/stripepay"
	"github.com/tenure-loyalty/tenure/webhook"
	"github.com/tenure-loyalty/tenure/widget"
)

// App is one Tenure process.
type App struct {
	Config  config.Config
	Clock   tenure.Clock
	Log     *slog.Logger
	DB      *storage.DB
	Service *service.Service
	Metrics *metrics.Metrics
	API     *api.Server
	// Webhooks delivers webhook messages in goroutines of its own; Serve starts it when
	// workers are on and Close stops it.
	Webhooks *webhook.Dispatcher
	Widget   *widget.Handler
	Handler  http.Handler

	mux *Mux
	shopAdapters
}

// New opens and migrates the database and builds the application.
func New(ctx context.Context, cfg config.Config, clock tenure.Clock, log *slog.Logger) (*App, error) {
	if clock == nil {
		clock = tenure.SystemClock{}
	}
	db, err := storage.OpenWith(ctx, cfg.DatabaseURL, clock, log, storage.Options{SQLiteSynchronous: cfg.SQLiteSync})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := useSecretKey(ctx, db, cfg.SecretKey, log); err != nil {
		_ = db.Close()
		return nil, err
	}
	a := &App{Config: cfg, Clock: clock, Log: log, DB: db, Metrics: metrics.New()}
	a.Service = service.New(db, log)
	a.Service.Metrics = a.Metrics
	if cfg.StripeKey != "" {
		a.Service.Subscriptions.AddProvider(stripepay.New(cfg.StripeKey, cfg.StripeAPIURL, nil))
	}
	if cfg.PaymentProvider != "" {
		a.Service.Subscriptions.DefaultProvider = cfg.PaymentProvider
	}
	a.Service.Flows.SetMail(service.MailConfig{Addr: cfg.SMTPAddr, From: cfg.MailFrom, BaseURL: cfg.PublicURL})
	opts, err := WebhookOptions(cfg)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	opts.Log, opts.Observe = log, a.Metrics.Delivery
	a.Webhooks = webhook.New(db, opts)
	a.Service.Limiter = rateLimiter(cfg, db, log)
	db.ObserveGroups(a.Metrics.ObserveGroup)
	mux := &Mux{}
	a.mux = mux
	a.API = api.New(a.Service, mux, log, a.Metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", a.Metrics.Handler())
	dash := dashboard.New(a.Service, log)
	dash.Breaker = a.Webhooks.Options().Breaker
	mux.Handle("/admin/", dash)
	// The storefront widget: its script and stylesheet under /widget/, the member API
	// (member tokens, not API keys) under /v1/member.
	a.Widget = widget.New(log)
	a.Widget.Register(mux)
	a.wireShops(mux)
	mux.Handle("GET /{$}", http.RedirectHandler("/admin/", http.StatusFound))
	a.Handler = recoverer(log, api.DefaultJSON(mux))
	return a, nil
}

// rateLimiter builds the API rate limiter: buckets in memory on one node (SQLite), in the
// database where several nodes share them (PostgreSQL).
func rateLimiter(cfg config.Config, db *storage.DB, log *slog.Logger) *service.RateLimiter {
	limits := map[tenure.Scope]service.RateLimit{}
	for scope, l := range cfg.RateLimits {
		limits[tenure.Scope(scope)] = service.RateLimit{Rate: l.Rate, Burst: l.Burst}
	}
	var store service.TokenStore
	if !db.Synchronous() {
		store = db
	}
	return service.NewRateLimiter(limits, store, tenure.SystemClock{}, log)
}

func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if err := a.DB.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "database": "unreachable"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "ready", "database": a.DB.Engine})
}

// debugHandler serves Go's profiles (CPU, heap, goroutines, mutex and block contention,
// execution traces) for an operator, on a listener of its own.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// recoverer turns a panic in a handler into a logged 500 problem instead of a dropped
// connection.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic in handler", "panic", p, "path", r.URL.Path)
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = io.WriteString(w, `{"title":"Internal Server Error","status":500,"detail":"internal error; it has been logged"}`)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Bootstrap creates the first tenant and prints its admin key when the database has none.
// It reports whether it created one.
func (a *App) Bootstrap(ctx context.Context, out io.Writer) (bool, error) {
	ts, err := a.Service.Tenants.List(ctx)
	if err != nil || len(ts) > 0 {
		return false, err
	}
	t, secret, err := a.Service.Tenants.Create(ctx, a.Config.TenantName)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(out, "Created tenant %s (%s).\nAdmin API key (shown once, keep it safe):\n\n    %s\n\n", t.Name, t.ID, secret)
	return true, nil
}

// WebhookOptions turns the configuration into the webhook dispatcher's options.
func WebhookOptions(cfg config.Config) (webhook.Options, error) {
	var sched webhook.Schedule // the default, for a Config built without Load
	if cfg.WebhookRetries != "" {
		var err error
		if sched, err = webhook.ParseSchedule(cfg.WebhookRetries); err != nil {
			return webhook.Options{}, fmt.Errorf("webhook retry schedule: %w", err)
		}
	}
	return webhook.Options{Node: cfg.NodeName, Concurrency: cfg.WebhookConcurrency, PerEndpoint: cfg.WebhookPerEndpoint,
		SendTimeout: cfg.WebhookTimeout, Poll: cfg.WebhookPoll, Schedule: sched,
		Breaker: tenure.BreakerPolicy{Failures: cfg.WebhookBreakerAfter, Cooldown: cfg.WebhookBreakerWait, MaxCooldown: 60 * cfg.WebhookBreakerWait},
	}, nil
}

// Tick runs one pass of the background work synchronously, for tests and tools that move
// a manual clock: due jobs, then the webhook deliveries due now (waiting for their
// outcomes). A serving process does not call it: jobs run in the work loop and webhooks in
// the dispatcher's own goroutines.
func (a *App) Tick(ctx context.Context) (jobs, deliveries int, err error) {
	jobs, err = a.Service.RunDueJobs(ctx, a.Config.NodeName, 100)
	if jobs > 0 {
		a.Metrics.Jobs("done", jobs)
	}
	if err != nil {
		return jobs, 0, err
	}
	if _, err := a.syncShops(ctx); err != nil {
		return jobs, 0, err
	}
	deliveries, err = a.Webhooks.RunOnce(ctx)
	return jobs, deliveries, err
}

// runJobs runs due jobs until none is left.
func (a *App) runJobs(ctx context.Context) error {
	for {
		n, err := a.Service.RunDueJobs(ctx, a.Config.NodeName, 100)
		if n > 0 {
			a.Metrics.Jobs("done", n)
		}
		if err != nil || n == 0 {
			return err
		}
	}
}

// Serve answers HTTP on ln and, if configured, runs the workers, until ctx is cancelled;
// then it stops accepting, waits for requests and the current worker pass to finish
// (up to the shutdown timeout) and returns.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	if a.Config.Workers {
		a.Webhooks.Start()
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.workLoop(workCtx)
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var debug *http.Server
	if a.Config.DebugAddr != "" {
		dln, err := net.Listen("tcp", a.Config.DebugAddr)
		if err != nil {
			_ = srv.Close()
			stopWork()
			wg.Wait()
			return fmt.Errorf("debug listener: %w", err)
		}
		debug = &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: srv.ErrorLog}
		go func() { _ = debug.Serve(dln) }()
		a.Log.Info("operator listener for profiles", "addr", dln.Addr().String(), "path", "/debug/pprof/")
		if host, _, _ := net.SplitHostPort(dln.Addr().String()); !net.ParseIP(host).IsLoopback() {
			a.Log.Warn("profiles are served beyond this machine", "addr", dln.Addr().String())
		}
	}
	a.Log.Info("tenure listening", "addr", ln.Addr().String(), "database", a.DB.String(), "node", a.Config.NodeName, "workers", a.Config.Workers)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.Log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(shutCtx); serr != nil {
		err = errors.Join(err, serr)
	}
	if debug != nil {
		_ = debug.Close()
	}
	stopWork()
	done := make(chan struct{})
	go func() { wg.Wait(); _ = a.Webhooks.Close(); close(done) }()
	select {
	case <-done:
	case <-shutCtx.Done():
		a.Log.Warn("workers did not stop in time")
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (a *App) workLoop(ctx context.Context) {
	t := time.NewTicker(a.Config.PollInterval)
	defer t.Stop()
	if err := a.Service.StartMemberDates(ctx); err != nil && ctx.Err() == nil {
		a.Log.Error("starting the birthday and anniversary jobs", "err", err)
	}
	for {
		if err := a.runJobs(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("jobs pass failed", "err", err)
		}
		if _, err := a.syncShops(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("shop code sync failed", "err", err)
		}
		_ = a.DB.Read(ctx, func(tx *storage.Tx) error {
			lag, err := tx.JobLag(ctx)
			a.Metrics.JobLag.Set(lag.Seconds())
			return err
		})
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops webhook delivery and the service's background work, waits for them, then
// closes the database.
func (a *App) Close() error {
	_ = a.Webhooks.Close()
	a.Service.Close()
	return a.DB.Close()
}
