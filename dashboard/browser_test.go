package dashboard_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// artifacts is where the browser tests leave screenshots for a reviewer (ignored by git).
const artifacts = "testdata/artifacts"

// chromium finds the browser: $TENURE_CHROMIUM, else chromium on the PATH. A missing
// browser fails the test; only TENURE_SKIP_BROWSER=1 turns that into a skip.
func chromium(t *testing.T) string {
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

// browser starts a headless Chromium with a fresh profile and records every request it
// makes and every script error or security (CSP) message it logs.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
	problems []string
}

func newBrowser(t *testing.T) *browser {
	path := chromium(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true), chromedp.Flag("force-color-profile", "srgb"))
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	b := &browser{ctx: ctx}
	reqs := chromedp.Events(ctx, network.RequestWillBeSent)
	logs := chromedp.Events(ctx, log.EntryAdded)
	errs := chromedp.Events(ctx, runtime.ExceptionThrown)
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
			if ev.Entry.Source == log.EntrySourceSecurity || ev.Entry.Source == log.EntrySourceJavascript ||
				strings.Contains(ev.Entry.Text, "Content Security Policy") {
				b.mu.Lock()
				b.problems = append(b.problems, string(ev.Entry.Source)+": "+ev.Entry.Text)
				b.mu.Unlock()
			}
		}
	}()
	go func() {
		for ev, err := range errs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.problems = append(b.problems, "exception: "+ev.ExceptionDetails.Text)
			b.mu.Unlock()
		}
	}()
	return b
}

func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// submit clicks a button that submits a form and waits for the next page; it returns
// the HTTP status of that page.
func (b *browser) submit(t *testing.T, sel string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("submit %s: %v", sel, err)
	}
	return resp.Status
}

func (b *browser) open(t *testing.T, url string) int64 {
	t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return resp.Status
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %.80s: %v", js, err)
	}
	return v
}

// shot saves a full-page screenshot as a PNG under testdata/artifacts.
func (b *browser) shot(t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifacts, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (b *browser) signIn(t *testing.T, s *server, email string) {
	t.Helper()
	b.open(t, s.url+"/admin/")
	b.do(t, chromedp.WaitVisible(chromedp.ID("email")), chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password))
	if st := b.submit(t, `form[action="/admin/login"] button[type=submit]`); st != 200 {
		t.Fatalf("sign-in as %s: status %d", email, st)
	}
}

// chartCheck is what the page says about one drawn chart.
type chartCheck struct {
	ID     string `json:"id"`
	Points int    `json:"points"`
	Series []struct {
		Label  string  `json:"label"`
		Sum    float64 `json:"sum"`
		Path   bool    `json:"path"`
		Pixels int     `json:"pixels"`
	} `json:"series"`
}

// chartsJS inspects every uPlot chart on the page: the data it holds, whether it built
// a path for each series, and how many canvas pixels are in each series' colour.
const chartsJS = `(() => {
  const specs = JSON.parse(document.getElementById("chart-data").textContent);
  return (window.tenureCharts || []).map(u => {
    const spec = specs.find(s => s.id === u.tenureID);
    const c = u.ctx.canvas, img = u.ctx.getImageData(0, 0, c.width, c.height).data;
    return {id: u.tenureID, points: u.data[0].length, series: spec.series.map((s, i) => {
      const rgb = [1, 3, 5].map(k => parseInt(s.color.substr(k, 2), 16));
      let pixels = 0;
      for (let p = 0; p < img.length; p += 4) {
        if (img[p + 3] > 200 && Math.abs(img[p] - rgb[0]) < 24 && Math.abs(img[p + 1] - rgb[1]) < 24 && Math.abs(img[p + 2] - rgb[2]) < 24) pixels++;
      }
      const ser = u.series[i + 1];
      return {label: s.label, sum: u.data[i + 1].reduce((a, b) => a + (b || 0), 0), path: !!(ser._paths && ser._paths.stroke), pixels};
    })};
  });
})()`

// TestBrowser walks the dashboard in headless Chromium against the app on 127.0.0.1:0,
// holding a small demo store, and leaves screenshots in testdata/artifacts.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	s := start(t, storagetest.Engines(t)[0])

	t.Run("sign in", func(t *testing.T) {
		b.open(t, s.url+"/admin/")
		b.do(t, chromedp.WaitVisible(chromedp.ID("email")))
		b.shot(t, "01-sign-in")
		b.signIn(t, s, s.staff[service.RoleOwner])
		if got := b.text(t, "h1"); got != "Overview" {
			t.Fatalf("after sign-in the page is %q", got)
		}
	})

	t.Run("overview charts render with data", func(t *testing.T) {
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(window.tenureCharts || []).length === 3`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("charts were not drawn: %v", err)
		}
		checks := eval[[]chartCheck](t, b, chartsJS)
		for _, c := range checks {
			drawn := 0
			for _, s := range c.Series {
				if s.Sum > 0 {
					if !s.Path || s.Pixels < 30 {
						t.Errorf("chart %s series %s has data (%v) but drew %d pixels (path %v)", c.ID, s.Label, s.Sum, s.Pixels, s.Path)
					}
					drawn++
				}
			}
			if c.Points == 0 || drawn == 0 {
				t.Errorf("chart %s is empty: %+v", c.ID, c)
			}
		}
		if members := b.text(t, "#kpi-members"); members != "120" {
			t.Errorf("members tile says %q, want 120", members)
		}
		b.shot(t, "02-overview")
	})

	t.Run("analytics: charts drawn, heat maps and downloads", func(t *testing.T) {
		b.open(t, s.url+"/admin/analytics")
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(window.tenureCharts || []).length === JSON.parse(document.getElementById("chart-data").textContent).length`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("charts were not drawn: %v", err)
		}
		checks := eval[[]chartCheck](t, b, chartsJS)
		if len(checks) < 2 {
			t.Fatalf("%d charts on the analytics page", len(checks))
		}
		for _, c := range checks {
			if c.Points == 0 || len(c.Series) == 0 || c.Series[0].Sum <= 0 || c.Series[0].Pixels < 30 {
				t.Errorf("chart %s is empty or not drawn: %+v", c.ID, c)
			}
		}
		shaded := eval[int](t, b, `[...document.querySelectorAll("#rfm-grid td")].filter(td => getComputedStyle(td).backgroundColor !== "rgba(0, 0, 0, 0)").length`)
		if shaded != 25 {
			t.Errorf("%d of 25 RFM cells are shaded", shaded)
		}
		href := eval[string](t, b, `document.querySelector('a[href="/admin/analytics/cohorts.csv"]').href`)
		if !strings.HasSuffix(href, "/admin/analytics/cohorts.csv") {
			t.Errorf("cohort download link %q", href)
		}
		b.shot(t, "02-analytics")
	})

	t.Run("search a member and open the 360 page", func(t *testing.T) {
		b.open(t, s.url+"/admin/members")
		b.do(t, chromedp.SendKeys(chromedp.ID("q"), "vip"))
		b.submit(t, `form[role=search] button[type=submit]`)
		if got := b.text(t, "main [role=status]"); !strings.Contains(got, "1 member matched by tag") {
			t.Fatalf("search said %q", got)
		}
		b.shot(t, "03-member-search")
		b.submit(t, `table tbody a`)
		if got := b.text(t, "main code"); got != "cust-00002" {
			t.Fatalf("opened %q", got)
		}
		for _, sel := range []string{"#points-available", "#ledger-table", "#consents-title", "#orders-title", "#events-title"} {
			b.do(t, chromedp.WaitVisible(chromedp.CSS(sel)))
		}
		if n := eval[int](t, b, `document.querySelectorAll("#ledger-table ul.why li").length`); n == 0 {
			t.Error("the ledger shows no rule explanations")
		}
		b.shot(t, "04-member-360")
	})

	t.Run("adjust points and see the ledger change", func(t *testing.T) {
		before := points(t, b.text(t, "#points-available"))
		b.do(t, chromedp.SendKeys(chromedp.ID("adjust-amount"), "75"),
			chromedp.SendKeys(chromedp.ID("adjust-reason"), "Goodwill: parcel arrived late"))
		b.submit(t, `#adjust-form button[type=submit]`)
		if got := b.text(t, ".flash"); !strings.Contains(got, "adjusted") {
			t.Fatalf("no confirmation: %q", got)
		}
		if after := points(t, b.text(t, "#points-available")); after != before+75 {
			t.Fatalf("available went from %d to %d, want +75", before, after)
		}
		row := b.text(t, "#ledger-table tbody tr")
		if !strings.Contains(row, "+75") || !strings.Contains(row, "Goodwill: parcel arrived late") {
			t.Fatalf("the newest ledger entry is %q", row)
		}
		b.shot(t, "05-adjusted")
	})

	t.Run("program: errors by line, dry run and backtest", func(t *testing.T) {
		b.open(t, s.url+"/admin/program")
		b.submit(t, `button[formaction="/admin/program/dry-run"]`)
		if got := b.text(t, "#dry-run-result h3"); !strings.Contains(got, "would earn") {
			t.Fatalf("dry run: %q", got)
		}
		if n := eval[int](t, b, `document.querySelectorAll("#dry-run-result tbody tr").length`); n < 3 {
			t.Fatalf("dry run explained %d rules", n)
		}
		b.submit(t, `button[formaction="/admin/program/backtest"]`)
		if got := b.text(t, "#backtest-result h3"); !strings.HasPrefix(got, "Cost:") {
			t.Fatalf("backtest: %q", got)
		}
		b.shot(t, "06-program")
		rules := eval[string](t, b, `document.getElementById("rules").value`)
		bad := strings.Replace(rules, `"kind": "spend"`, `"kind": "spend", "condition": "order.subtotal >>= 100"`, 1)
		b.do(t, chromedp.SetValue(chromedp.ID("rules"), bad))
		if st := b.submit(t, `button[formaction="/admin/program/rules"]`); st != 422 {
			t.Fatalf("saving bad rules: %d", st)
		}
		msg := b.text(t, "#program-errors")
		if !regexp.MustCompile(`rules line \d+ · rules\[0\]\.condition`).MatchString(msg) {
			t.Fatalf("the error does not name the line and field: %q", msg)
		}
		b.do(t, chromedp.Click(chromedp.CSS("#program-errors a[data-offset]")))
		if id := eval[string](t, b, `document.activeElement.id`); id != "rules" {
			t.Errorf("the error link focused %q", id)
		}
	})

	t.Run("create a reward", func(t *testing.T) {
		b.open(t, s.url+"/admin/rewards")
		b.do(t, chromedp.SendKeys(chromedp.ID("reward-name"), "20 zł off"),
			chromedp.SendKeys(chromedp.ID("reward-cost"), "200"), chromedp.SendKeys(chromedp.ID("reward-value"), "2000"))
		b.submit(t, `form[action="/admin/rewards"] button[type=submit]`)
		if got := b.text(t, "#rewards-table"); !strings.Contains(got, "20 zł off") {
			t.Fatalf("catalog: %q", got)
		}
	})

	t.Run("staff page and a key shown once", func(t *testing.T) {
		b.open(t, s.url+"/admin/settings/keys")
		b.do(t, chromedp.SendKeys(chromedp.ID("key-name"), "shop backend"))
		b.submit(t, `form[action="/admin/settings/keys"] button[type=submit]`)
		if got := b.text(t, "#new-key-secret"); !strings.HasPrefix(got, "tnr_") {
			t.Fatalf("secret %q", got)
		}
		b.shot(t, "07-settings-keys")
		b.open(t, s.url+"/admin/settings/staff")
		b.shot(t, "07-settings-staff")
		b.open(t, s.url+"/admin/settings/webhooks")
		b.do(t, chromedp.SendKeys(chromedp.ID("hook-url"), "http://127.0.0.1:9/hook"))
		b.submit(t, `form[action="/admin/settings/webhooks"] button[type=submit]`)
		if got := b.text(t, "#new-webhook code"); !strings.HasPrefix(got, "whsec_") {
			t.Fatalf("webhook secret %q", got)
		}
		b.submit(t, "#webhooks-table a")
		b.shot(t, "07-settings-webhook")
		b.open(t, s.url+"/admin/settings/audit")
		if got := b.text(t, "#audit-table"); !strings.Contains(got, "points.adjusted") || !strings.Contains(got, s.staff[service.RoleOwner]) {
			t.Errorf("the audit log does not show the adjustment by the owner: %.300q", got)
		}
		b.shot(t, "07-settings-audit")
	})

	t.Run("keyboard: the skip link comes first and moves to the content", func(t *testing.T) {
		b.open(t, s.url+"/admin/")
		b.do(t, chromedp.KeyEvent(kb.Tab))
		if got := eval[string](t, b, `document.activeElement.textContent`); got != "Skip to content" {
			t.Fatalf("first Tab focused %q", got)
		}
		b.do(t, chromedp.KeyEvent(kb.Enter))
		if got := eval[string](t, b, `document.activeElement.id`); got != "main" {
			t.Fatalf("the skip link moved focus to %q", got)
		}
	})

	t.Run("usable at 375 px", func(t *testing.T) {
		b.do(t, chromedp.EmulateViewport(375, 812))
		defer b.do(t, chromedp.EmulateViewport(1280, 900))
		for _, p := range []struct{ path, shot string }{{"/admin/", "08-mobile-overview"}, {"/admin/members/cust-00002", "09-mobile-member"}, {"/admin/analytics", "09-mobile-analytics"}} {
			b.open(t, s.url+p.path)
			if p.path == "/admin/" {
				if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(window.tenureCharts || []).length === 3`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
					t.Fatal(err)
				}
			}
			if w := eval[int](t, b, `document.documentElement.scrollWidth`); w > 375 {
				t.Errorf("%s scrolls sideways at 375 px: %d px wide", p.path, w)
			}
			b.shot(t, p.shot)
		}
	})

	t.Run("a marketer cannot open staff settings", func(t *testing.T) {
		b.open(t, s.url+"/admin/")
		b.submit(t, `form[action="/admin/logout"] button`)
		b.signIn(t, s, s.staff[service.RoleMarketer])
		nav := b.text(t, "nav[aria-label=Main]")
		if strings.Contains(nav, "Settings") || !strings.Contains(nav, "Program") {
			t.Errorf("a marketer's menu: %q", nav)
		}
		if st := b.open(t, s.url+"/admin/settings/staff"); st != 403 {
			t.Fatalf("staff settings for a marketer: %d", st)
		}
		if got := b.text(t, "main p"); !strings.Contains(got, "does not allow") {
			t.Errorf("the refusal says %q", got)
		}
		b.shot(t, "10-marketer-forbidden")
	})

	t.Run("no request left the server and no script or CSP error", func(t *testing.T) {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, u := range b.requests {
			if !strings.HasPrefix(u, s.url+"/") && !strings.HasPrefix(u, "data:") && u != "about:blank" {
				t.Errorf("request to %s", u)
			}
		}
		if len(b.requests) < 20 {
			t.Errorf("only %d requests were seen: is the recorder working?", len(b.requests))
		}
		for _, p := range slices.Compact(b.problems) {
			t.Errorf("browser reported %s", p)
		}
	})
}

func points(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.NewReplacer(",", "", "−", "-").Replace(s), 10, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
