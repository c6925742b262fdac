package main

import (
	"bufio"
	"context"
	"encoding/json"
	"github.com/tenure-loyalty/tenure/apptest"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the tenure command, so end-to-end tests run real processes.
func TestMain(m *testing.M) {
	if os.Getenv("TENURE_TEST_EXEC") == "1" {
		ctx, stop := signalContext()
		defer stop()
		os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// node is a `tenure serve` process.
type node struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	key  string // admin key, if this node created the tenant
	done chan struct{}
	err  error // exit status, once done is closed
	out  *strings.Builder
	mu   *sync.Mutex
}

// startNode runs `tenure serve` on 127.0.0.1:0 against dsn with extra flags.
func startNode(t *testing.T, dsn string, flags ...string) *node {
	t.Helper()
	args := append([]string{"serve", "-addr", "127.0.0.1:0", "-database-url", dsn, "-poll-interval", "100ms", "-log-level", "warn"}, flags...)
	cmd := exec.Command(os.Args[0], args...)
	// Every node of a test shares one key for the secrets they store (PostgreSQL needs one).
	// The API rate limit is off unless a test sets it by flag: the race and crash tests send
	// bursts far above a store's normal rate on purpose.
	cmd.Env = append(os.Environ(), "TENURE_TEST_EXEC=1", "TENURE_SECRET_KEY="+apptest.TestSecretKey("e2e"), "TENURE_API_RATE_LIMIT=off")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, cmd: cmd, done: make(chan struct{}), out: &strings.Builder{}, mu: &sync.Mutex{}}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			n.mu.Lock()
			n.out.WriteString(line + "\n")
			if f := strings.TrimSpace(line); strings.HasPrefix(f, "tnr_") {
				n.key = f
			}
			n.mu.Unlock()
			if rest, ok := strings.CutPrefix(line, "Tenure is listening on "); ok {
				ready <- strings.Fields(rest)[0]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { n.err = cmd.Wait(); close(n.done) }()
	t.Cleanup(func() { n.stop(syscall.SIGTERM) })
	select {
	case n.url = <-ready:
	case <-n.done:
		t.Fatalf("tenure serve exited early:\n%s", n.out)
	case <-time.After(30 * time.Second):
		t.Fatal("tenure serve did not start")
	}
	return n
}

func (n *node) stop(sig syscall.Signal) {
	select {
	case <-n.done:
		return
	default:
	}
	_ = n.cmd.Process.Signal(sig)
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

func (n *node) adminKey() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.key
}

func call(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	if m == nil {
		m = map[string]any{"raw": string(b)}
	}
	return resp.StatusCode, m
}

func mustCall(t *testing.T, method, url, key, body string, want int) map[string]any {
	t.Helper()
	st, m := call(t, method, url, key, body)
	if st != want {
		t.Fatalf("%s %s: %d, want %d: %v", method, url, st, want, m)
	}
	return m
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func execSelf(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	// Every node of a test shares one key for the secrets they store (PostgreSQL needs one).
	// The API rate limit is off unless a test sets it by flag: the race and crash tests send
	// bursts far above a store's normal rate on purpose.
	cmd.Env = append(os.Environ(), "TENURE_TEST_EXEC=1", "TENURE_SECRET_KEY="+apptest.TestSecretKey("e2e"), "TENURE_API_RATE_LIMIT=off")
	return cmd
}
