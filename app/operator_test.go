package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestOperatorView: with -debug-addr, Go's profiles are served on their own listener and
// not on the public one; /metrics times each stage of an event's path through Tenure and
// the group commits.
func TestOperatorView(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		free, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(free.Addr().String())
		_ = free.Close()
		cfg, _, err := config.Load("test", []string{"-debug-addr", ":" + port, "-workers=false"}, func(string) string { return "" }, io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DatabaseURL = e.DSN
		if e.Name == "postgres" {
			cfg.SecretKey = apptest.TestSecretKey(e.DSN)
		}
		a, err := app.New(context.Background(), cfg, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Serve(ctx, ln) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
			_ = a.Close()
		}()
		base := "http://" + ln.Addr().String()
		_, key, err := a.Service.Tenants.Create(ctx, "Operator store")
		if err != nil {
			t.Fatal(err)
		}
		get := func(url string) (int, string) {
			t.Helper()
			for attempt := 0; ; attempt++ {
				resp, err := http.Get(url)
				if err != nil && attempt < 50 { // the listener may not be up yet
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
		}
		if st, body := get("http://127.0.0.1:" + port + "/debug/pprof/"); st != 200 || !strings.Contains(body, "goroutine") {
			t.Fatalf("profiles on the operator listener: %d %.200s", st, body)
		}
		if st, _ := get(base + "/debug/pprof/"); st == 200 {
			t.Fatal("profiles are served on the public listener")
		}
		req, _ := http.NewRequest("POST", base+"/v1/events", strings.NewReader(`{"id":"op-1","type":"order.paid","customer_id":"c1","order":{"id":"o1","lines":[{"quantity":1,"unit_price":1000}]}}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("POST /v1/events: %d", resp.StatusCode)
		}
		_, text := get(base + "/metrics")
		for _, stage := range []string{"auth", "decode", "queue", "load", "evaluate", "write", "commit"} {
			re := regexp.MustCompile(`tenure_request_stage_duration_seconds_count\{operation="ingest-event",stage="` + stage + `"\} (\d+)`)
			m := re.FindStringSubmatch(text)
			if m == nil || m[1] != "1" {
				t.Errorf("stage %s of the event: %v", stage, m)
			}
		}
		if m := regexp.MustCompile(`tenure_write_group_size_count (\d+)`).FindStringSubmatch(text); m == nil {
			t.Error("group commits are not counted")
		} else if n, _ := strconv.Atoi(m[1]); n < 1 {
			t.Errorf("group commits counted: %s", m[1])
		}
	})
}
