// Package config holds every setting of `tenure serve` in one typed table: its flag, its
// TENURE_* environment variable, default and documentation. A *_FILE variant of each
// variable reads the value from a file (for secrets mounted by an orchestrator).
package config

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the resolved configuration.
type Config struct {
	Addr            string
	DatabaseURL     string
	LogLevel        string
	LogFormat       string
	Workers         bool
	PollInterval    time.Duration
	NodeName        string
	ShutdownTimeout time.Duration
	TenantName      string
	SecretKey       string
	DebugAddr       string
	SQLiteSync      string

	// Subscription payments: the provider used when a subscription names none, and
	// Stripe's secret key and API address (the "stripe" provider is on when a key is set).
	PaymentProvider string
	StripeKey       string
	StripeAPIURL    string

	// Engagement flows' email: the SMTP server (off when empty), the sender, and the
	// public address of the API for the unsubscribe links.
	SMTPAddr  string
	MailFrom  string
	PublicURL string

	// Webhook delivery (see the webhook package).
	WebhookConcurrency  int
	WebhookPerEndpoint  int
	WebhookTimeout      time.Duration
	WebhookPoll         time.Duration
	WebhookRetries      string // the retry schedule, checked by webhook.ParseSchedule
	WebhookBreakerAfter int
	WebhookBreakerWait  time.Duration
	// RateLimits holds the API rate limit per key scope (admin, integration, read_only);
	// a scope missing from it is not limited.
	RateLimits map[string]RateLimit
}

// RateLimit is a token bucket: Rate requests per second, up to Burst at once.
type RateLimit struct {
	Rate  float64
	Burst int
}

// rateScopes are the API key scopes a rate limit can name.
var rateScopes = []string{"admin", "integration", "read_only"}

// rateLimits parses "RATE:BURST" (every scope) followed by optional ",SCOPE=RATE:BURST"
// overrides, or "off".
func rateLimits(c *Config, v string) error {
	c.RateLimits = map[string]RateLimit{}
	if v == "off" {
		return nil
	}
	bad := fmt.Errorf(`must be RATE:BURST (requests per second per key, at most BURST at once), optionally followed by ,SCOPE=RATE:BURST for admin, integration or read_only, or "off"`)
	parse := func(s string) (RateLimit, error) {
		r, b, ok := strings.Cut(s, ":")
		rate, err1 := strconv.ParseFloat(r, 64)
		burst, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || rate <= 0 || rate > 1e6 || burst < 1 || burst > 1_000_000 {
			return RateLimit{}, bad
		}
		return RateLimit{Rate: rate, Burst: burst}, nil
	}
	parts := strings.Split(v, ",")
	all, err := parse(parts[0])
	if err != nil {
		return err
	}
	for _, s := range rateScopes {
		c.RateLimits[s] = all
	}
	for _, p := range parts[1:] {
		scope, lim, ok := strings.Cut(strings.TrimSpace(p), "=")
		known := false
		for _, s := range rateScopes {
			known = known || s == scope
		}
		if !ok || !known {
			return bad
		}
		if c.RateLimits[scope], err = parse(lim); err != nil {
			return err
		}
	}
	return nil
}

// Setting is one row of the table.
type Setting struct {
	Name    string // flag name; the variable is TENURE_ + upper-case name with - as _
	Default string
	Doc     string
	set     func(c *Config, v string) error
}

// Env returns the environment variable of a setting.
func (s Setting) Env() string {
	return "TENURE_" + strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))
}

func str(dst func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *dst(c) = v; return nil }
}

func dur(dst func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("must be a positive duration like 1s or 500ms")
		}
		*dst(c) = d
		return nil
	}
}

func boolean(dst func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("must be true or false")
		}
		*dst(c) = b
		return nil
	}
}

func count(dst func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		*dst(c) = n
		return nil
	}
}

// durations checks a comma-separated list of positive durations, or "none".
func durations(dst func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "none" {
			for _, p := range strings.Split(v, ",") {
				if d, err := time.ParseDuration(strings.TrimSpace(p)); err != nil || d <= 0 {
					return fmt.Errorf("must be a comma-separated list of positive durations like 30s,5m,1h, or none")
				}
			}
		}
		*dst(c) = v
		return nil
	}
}

func oneOf(dst func(*Config) *string, options ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, o := range options {
			if v == o {
				*dst(c) = v
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(options, ", "))
	}
}

// debugAddr accepts host:port; a missing host means loopback, so that profiles are never
// served to the network unless a host is named.
func debugAddr(c *Config, v string) error {
	if v == "" {
		c.DebugAddr = ""
		return nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil || port == "" {
		return fmt.Errorf("must be host:port or :port")
	}
	if host == "" {
		host = "127.0.0.1"
	}
	c.DebugAddr = net.JoinHostPort(host, port)
	return nil
}

// Settings is the table, in documentation order.
var Settings = []Setting{
	{"addr", "127.0.0.1:8080", "Address the HTTP server listens on", str(func(c *Config) *string { return &c.Addr })},
	{"database-url", "tenure.db", "SQLite file path, or a postgres:// URL for PostgreSQL", str(func(c *Config) *string { return &c.DatabaseURL })},
	{"log-level", "info", "debug, info, warn or error", oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
	{"log-format", "text", "text or json", oneOf(func(c *Config) *string { return &c.LogFormat }, "text", "json")},
	{"workers", "true", "Run background workers (jobs, webhook deliveries) in this process", boolean(func(c *Config) *bool { return &c.Workers })},
	{"poll-interval", "1s", "How often workers look for due jobs and deliveries", dur(func(c *Config) *time.Duration { return &c.PollInterval })},
	{"node-name", "", "Name of this process in job leases and delivery logs (default: host-pid)", str(func(c *Config) *string { return &c.NodeName })},
	{"shutdown-timeout", "15s", "How long a graceful shutdown waits for requests and workers", dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
	{"tenant-name", "My store", "Name of the tenant created on first start", str(func(c *Config) *string { return &c.TenantName })},
	{"secret-key", "", "Base64 32-byte key(s) sealing stored secrets (AES-256-GCM), comma-separated, current first. Unset: SQLite uses `<database>.key` beside the file (made on first start); PostgreSQL refuses to start", str(func(c *Config) *string { return &c.SecretKey })},
	{"webhook-concurrency", "64", "Webhook deliveries in flight at once in this process", count(func(c *Config) *int { return &c.WebhookConcurrency }, 1, 10000)},
	{"webhook-endpoint-concurrency", "4", "Webhook deliveries in flight at once to one endpoint from this process: a slow endpoint holds no more slots than this", count(func(c *Config) *int { return &c.WebhookPerEndpoint }, 1, 1000)},
	{"webhook-timeout", "10s", "How long one delivery attempt waits for the endpoint (claims are leased for six times this, renewed while sending)", dur(func(c *Config) *time.Duration { return &c.WebhookTimeout })},
	{"webhook-poll-interval", "100ms", "How often the webhook dispatcher looks for due deliveries queued by other processes or due for a retry", dur(func(c *Config) *time.Duration { return &c.WebhookPoll })},
	{"webhook-retry-schedule", "30s,1m30s,4m30s,13m30s,40m30s,2h1m30s,6h,6h,6h", "Waits between delivery attempts; a delivery is dead-lettered when the attempt after the last wait fails (none: after the first)", durations(func(c *Config) *string { return &c.WebhookRetries })},
	{"webhook-breaker-failures", "5", "Consecutive failed attempts that open an endpoint's circuit (0: never)", count(func(c *Config) *int { return &c.WebhookBreakerAfter }, 0, 1000)},
	{"webhook-breaker-cooldown", "30s", "How long an open circuit holds an endpoint's deliveries before one probe; doubled after each failed probe, up to 60 times", dur(func(c *Config) *time.Duration { return &c.WebhookBreakerWait })},
	{"api-rate-limit", "100:200", "API requests per second per key and the burst allowed at once (RATE:BURST), shared by every node; per scope with e.g. `100:200,admin=20:40`; `off` for none", rateLimits},
	{"debug-addr", "", "Operator listener for Go profiles (/debug/pprof/); off when empty, a bare :port listens on 127.0.0.1", debugAddr},
	{"payment-provider", "test", "Subscription payments when a subscription names no provider: test (built-in test cards), external (the store collects and reports) or stripe",
		oneOf(func(c *Config) *string { return &c.PaymentProvider }, "test", "external", "stripe")},
	{"stripe-secret-key", "", "Stripe secret key for the stripe payment provider (off-session PaymentIntents); the provider is off when empty", str(func(c *Config) *string { return &c.StripeKey })},
	{"stripe-api-url", "", "Stripe API address (empty: Stripe's; e.g. a stripe-mock for tests)", str(func(c *Config) *string { return &c.StripeAPIURL })},
	{"smtp-addr", "", "SMTP server (host:port) that flows' email goes through; STARTTLS when offered. Off when empty: a message is retried five times, then logged as failed", str(func(c *Config) *string { return &c.SMTPAddr })},
	{"mail-from", "loyalty@localhost", "Sender address of flows' email", str(func(c *Config) *string { return &c.MailFrom })},
	{"public-url", "", "Public address of this API (e.g. https://loyalty.example.com), for the unsubscribe links in email", str(func(c *Config) *string { return &c.PublicURL })},
	{"sqlite-synchronous", "full", "SQLite durability: full (an acknowledged write survives power loss) or normal (it survives a crash of Tenure, not of the machine)",
		oneOf(func(c *Config) *string { return &c.SQLiteSync }, "full", "normal")},
}

// Load resolves settings: defaults, then environment (VAR or VAR_FILE), then flags. extra,
// if not nil, registers a command's own flags on the same flag set.
func Load(name string, args []string, getenv func(string) string, out io.Writer, extra func(*flag.FlagSet)) (Config, []string, error) {
	var c Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	if extra != nil {
		extra(fs)
	}
	flags := map[string]*string{}
	for _, s := range Settings {
		flags[s.Name] = fs.String(s.Name, "", s.Doc+" (env "+s.Env()+", default "+quote(s.Default)+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	for _, s := range Settings {
		v, src := s.Default, "default"
		if e := getenv(s.Env()); e != "" {
			v, src = e, s.Env()
		} else if f := getenv(s.Env() + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return c, nil, fmt.Errorf("%s_FILE: %w", s.Env(), err)
			}
			v, src = strings.TrimSpace(string(b)), s.Env()+"_FILE"
		}
		if fv := *flags[s.Name]; fv != "" {
			v, src = fv, "-"+s.Name
		}
		if err := s.set(&c, v); err != nil {
			return c, nil, fmt.Errorf("%s: %w", src, err)
		}
	}
	if c.NodeName == "" {
		host, _ := os.Hostname()
		c.NodeName = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	return c, fs.Args(), nil
}

func quote(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// Markdown renders the table for the README.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Flag | Environment | Default | Meaning |\n|---|---|---|---|\n")
	for _, s := range Settings {
		fmt.Fprintf(&b, "| `-%s` | `%s` | `%s` | %s |\n", s.Name, s.Env(), s.Default, s.Doc)
	}
	return b.String()
}
