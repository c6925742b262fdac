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
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/api"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/dashboard"
	"github.com/tenure-loyalty/tenure/metrics"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
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
	Worker  *webhook.Worker
	Widget  *widget.Handler
	Handler http.Handler
}

// New opens and migrates the database and builds the application.
func New(ctx context.Context, cfg config.Config, clock tenure.Clock, log *slog.Logger) (*App, error) {
	if clock == nil {
		clock = tenure.SystemClock{}
	}
	db, err := storage.Open(ctx, cfg.DatabaseURL, clock, log)
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
	a.Worker = &webhook.Worker{DB: db, Client: &http.Client{Timeout: 15 * time.Second}, Node: cfg.NodeName,
		Lease: time.Minute, Log: log, Observe: a.Metrics.Delivery}
	mux := http.NewServeMux()
	a.API = api.New(a.Service, mux, log, a.Metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", a.Metrics.Handler())
	mux.Handle("/admin/", dashboard.New(a.Service, log))
	// The storefront widget: its script and stylesheet under /widget/, the member API
	// (member tokens, not API keys) under /v1/member.
	a.Widget = widget.New(a.Service, log)
	a.Widget.Register(mux)
	mux.Handle("GET /{$}", http.RedirectHandler("/admin/", http.StatusFound))
	a.Handler = recoverer(log, api.DefaultJSON(mux))
	return a, nil
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
	ts, err := a.Service.Tenants(ctx)
	if err != nil || len(ts) > 0 {
		return false, err
	}
	t, secret, err := a.Service.CreateTenant(ctx, a.Config.TenantName)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(out, "Created tenant %s (%s).\nAdmin API key (shown once, keep it safe):\n\n    %s\n\n", t.Name, t.ID, secret)
	return true, nil
}

// Tick runs one pass of the background workers: due jobs, then due webhook deliveries.
func (a *App) Tick(ctx context.Context) (jobs, deliveries int, err error) {
	jobs, err = a.Service.RunDueJobs(ctx, a.Config.NodeName, 100)
	if jobs > 0 {
		a.Metrics.Jobs("done", jobs)
	}
	if err != nil {
		return jobs, 0, err
	}
	deliveries, err = a.Worker.RunOnce(ctx, 50)
	return jobs, deliveries, err
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.workLoop(workCtx)
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
	stopWork()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
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
		for {
			jobs, deliveries, err := a.Tick(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				a.Log.Error("worker pass failed", "err", err)
				break
			}
			if jobs == 0 && deliveries == 0 {
				break
			}
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

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }
