package apptest

import (
	"context"
	_ "embed" // the axe-core script
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Artifacts is where browser tests leave screenshots for a reviewer, relative to the
// test's package directory (ignored by git).
const Artifacts = "testdata/artifacts"

// Chromium finds the browser: $TENURE_CHROMIUM, else chromium on the PATH. A missing
// browser fails the test; only TENURE_SKIP_BROWSER=1 turns that into a skip.
func Chromium(t testing.TB) string {
	t.Helper()
	if os.Getenv("TENURE_SKIP_BROWSER") == "1" {
		t.Skip("TENURE_SKIP_BROWSER=1: browser tests skipped on request")
	}
	for _, p := range []string{os.Getenv("TENURE_CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("no chromium found: install Debian's chromium package (apt-get install chromium), " +
		"set TENURE_CHROMIUM, or set TENURE_SKIP_BROWSER=1 to skip the browser tests on purpose")
	return ""
}

// Browser is a headless Chromium with a fresh profile. It records every URL it requests
// and every console or browser log entry and uncaught exception, for tests to check that
// a page called no other host and raised no error.
type Browser struct {
	Ctx context.Context

	mu       sync.Mutex
	requests []string
	logs     []*log.Entry
	thrown   []string
}

// NewBrowser starts Chromium for the test; it is closed when the test ends. Every call
// on it must finish within two minutes of the start.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	path := Chromium(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true), chromedp.Flag("force-color-profile", "srgb"))
	ctx, cancel := chromedp.NewContext(alloc)
	// A whole browser session (every page, axe-core on each) gets a generous bound: on a
	// loaded 2-core machine it can take several minutes, and a hang still fails the test.
	ctx, cancelTimeout := context.WithTimeout(ctx, 8*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	b := &Browser{Ctx: ctx}
	reqs, logs, errs := chromedp.Events(ctx, network.RequestWillBeSent), chromedp.Events(ctx, log.EntryAdded), chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range reqs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.requests = append(b.requests, ev.Request.URL)
			b.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range logs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.logs = append(b.logs, ev.Entry)
			b.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range errs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.thrown = append(b.thrown, "exception: "+ev.ExceptionDetails.Text)
			b.mu.Unlock()
		}
	}()
	return b
}

// Requests returns every URL requested so far.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.requests)
}

// Problems returns the uncaught exceptions and the log entries that keep says are
// problems, each once, as "source: text url".
func (b *Browser) Problems(keep func(*log.Entry) bool) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Clone(b.thrown)
	for _, e := range b.logs {
		if keep(e) {
			out = append(out, strings.TrimSpace(string(e.Source)+": "+e.Text+" "+e.URL))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Do runs actions, failing the test on an error.
func (b *Browser) Do(t testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// Open loads a URL and returns the HTTP status of the page, or 0 when the browser made no
// request (a move to a fragment of the page already open).
func (b *Browser) Open(t testing.TB, url string) int64 {
	t.Helper()
	resp, err := chromedp.Run(b.Ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// Submit clicks a button that submits a form, waits for the next page and returns its
// HTTP status.
func (b *Browser) Submit(t testing.TB, sel string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(b.Ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("submit %s: %v", sel, err)
	}
	return resp.Status
}

// Text returns the trimmed text of the first element matching sel.
func (b *Browser) Text(t testing.TB, sel string) string {
	t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// Wait polls a JavaScript condition for up to ten seconds.
func (b *Browser) Wait(t testing.TB, what, js string) {
	t.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression and decodes its value.
func Eval[T any](t testing.TB, b *Browser, js string) T {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %.80s: %v", js, err)
	}
	return v
}

// Shot saves a screenshot as Artifacts/name.png: of the whole page, or of the viewport.
func (b *Browser) Shot(t testing.TB, name string, fullPage bool) {
	t.Helper()
	var png []byte
	var err error
	if fullPage {
		png, err = chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	} else {
		png, err = chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(Artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(Artifacts, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

//go:embed axe/axe.min.js
var axeScript string

// Audit runs axe-core on the page open in the browser, with the WCAG 2.0 and 2.1 A and AA
// rules, and returns each violation as "impact rule-id ×count: first element". The
// script is injected through DevTools, so the page's Content-Security-Policy does not
// stand in the way and the page itself never loads it.
func (b *Browser) Audit(t testing.TB) []string {
	t.Helper()
	if loaded := Eval[bool](t, b, `!!window.axe`); !loaded {
		if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](axeScript)); err != nil {
			t.Fatalf("load axe-core: %v", err)
		}
	}
	out, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => r.violations.map(v => v.impact + " " + v.id + " ×" + v.nodes.length + ": " + v.nodes[0].target.join(" ") + " (" + v.help + ")"))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return out
}
