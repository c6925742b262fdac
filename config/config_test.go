package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	t.Run("defaults", func(t *testing.T) {
		c, _, err := Load("t", nil, get, io.Discard, nil)
		if err != nil || c.Addr != "127.0.0.1:8080" || c.DatabaseURL != "tenure.db" || !c.Workers || c.PollInterval != time.Second || c.NodeName == "" {
			t.Fatalf("%+v %v", c, err)
		}
	})
	t.Run("environment beats defaults and flags beat environment", func(t *testing.T) {
		env["TENURE_ADDR"] = "127.0.0.1:1"
		env["TENURE_POLL_INTERVAL"] = "250ms"
		c, _, err := Load("t", []string{"-addr", "127.0.0.1:2"}, get, io.Discard, nil)
		if err != nil || c.Addr != "127.0.0.1:2" || c.PollInterval != 250*time.Millisecond {
			t.Fatalf("%+v %v", c, err)
		}
	})
	t.Run("a _FILE variable reads a secret from a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "dsn")
		_ = os.WriteFile(f, []byte("postgres://u@h/db\n"), 0o600)
		env["TENURE_DATABASE_URL_FILE"] = f
		c, _, err := Load("t", nil, get, io.Discard, nil)
		if err != nil || c.DatabaseURL != "postgres://u@h/db" {
			t.Fatalf("%+v %v", c, err)
		}
		delete(env, "TENURE_DATABASE_URL_FILE")
	})
	t.Run("webhook delivery settings", func(t *testing.T) {
		env["TENURE_WEBHOOK_RETRY_SCHEDULE"] = "1s,5s"
		c, _, err := Load("t", []string{"-webhook-endpoint-concurrency", "2"}, get, io.Discard, nil)
		if err != nil || c.WebhookRetries != "1s,5s" || c.WebhookPerEndpoint != 2 || c.WebhookConcurrency != 64 || c.WebhookTimeout != 10*time.Second || c.WebhookBreakerAfter != 5 {
			t.Fatalf("%+v %v", c, err)
		}
		for k, v := range map[string]string{"TENURE_WEBHOOK_RETRY_SCHEDULE": "1s,soon", "TENURE_WEBHOOK_CONCURRENCY": "0", "TENURE_WEBHOOK_BREAKER_FAILURES": "-1"} {
			env[k] = v
			if _, _, err := Load("t", nil, get, io.Discard, nil); err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("%s=%s: %v", k, v, err)
			}
			delete(env, k)
		}
	})
	t.Run("API rate limits: one for every scope, overrides per scope, or off", func(t *testing.T) {
		c, _, err := Load("t", nil, get, io.Discard, nil)
		if err != nil || len(c.RateLimits) != 3 || c.RateLimits["integration"] != (RateLimit{Rate: 100, Burst: 200}) {
			t.Fatalf("default %v %v", c.RateLimits, err)
		}
		c, _, err = Load("t", []string{"-api-rate-limit", "50:80, admin=0.5:3"}, get, io.Discard, nil)
		if err != nil || c.RateLimits["read_only"] != (RateLimit{Rate: 50, Burst: 80}) || c.RateLimits["admin"] != (RateLimit{Rate: 0.5, Burst: 3}) {
			t.Fatalf("overrides %v %v", c.RateLimits, err)
		}
		if c, _, err = Load("t", []string{"-api-rate-limit", "off"}, get, io.Discard, nil); err != nil || len(c.RateLimits) != 0 {
			t.Fatalf("off %v %v", c.RateLimits, err)
		}
		for _, bad := range []string{"100", "0:10", "10:0", "x:1", "10:20,partner=1:1", "10:20,admin"} {
			if _, _, err := Load("t", []string{"-api-rate-limit", bad}, get, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "-api-rate-limit") {
				t.Errorf("%q: %v", bad, err)
			}
		}
	})
	t.Run("bad values name their source", func(t *testing.T) {
		env["TENURE_LOG_LEVEL"] = "loud"
		_, _, err := Load("t", nil, get, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "TENURE_LOG_LEVEL") {
			t.Fatalf("err %v", err)
		}
	})
}

// TestREADMETable keeps the README's configuration table equal to the settings table.
func TestREADMETable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), Markdown()) {
		t.Fatalf("README.md's configuration table differs from config.Settings; replace it with:\n%s", Markdown())
	}
}
