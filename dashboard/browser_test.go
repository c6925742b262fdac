package dashboard_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

type browser = apptest.Browser

// signIn signs in through the form in the browser.
func signIn(t *testing.T, b *browser, s *server, email string) {
	t.Helper()
	b.Open(t, s.url+"/admin/")
	b.Do(t, chromedp.WaitVisible(chromedp.ID("email")), chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password))
	if st := b.Submit(t, `form[action="/admin/login"] button[type=submit]`); st != 200 {
		t.Fatalf("sign-in as %s: status %d", email, st)
	}
}

// pageProblems keeps what the dashboard must never cause: script errors and security
// (CSP) messages. Error pages the test opens on purpose (403, 422) are not problems.
func pageProblems(e *log.Entry) bool {
	return e.Source == log.EntrySourceSecurity || e.Source == log.EntrySourceJavascript ||
		strings.Contains(e.Text, "Content Security Policy")
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
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		browserWalk(t, apptest.NewBrowser(t), start(t, e))
	})
}

// browserWalk is the dashboard walk of TestBrowser on one engine.
func browserWalk(t *testing.T, b *browser, s *server) {

	t.Run("sign in", func(t *testing.T) {
		b.Open(t, s.url+"/admin/")
		b.Do(t, chromedp.WaitVisible(chromedp.ID("email")))
		b.Shot(t, "01-sign-in", true)
		for _, v := range b.Audit(t) {
			t.Errorf("sign-in page: %s", v)
		}
		signIn(t, b, s, s.staff[service.RoleOwner])
		if got := b.Text(t, "h1"); got != "Overview" {
			t.Fatalf("after sign-in the page is %q", got)
		}
	})

	t.Run("overview charts render with data", func(t *testing.T) {
		if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`(window.tenureCharts || []).length === 4`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("charts were not drawn: %v", err)
		}
		checks := apptest.Eval[[]chartCheck](t, b, chartsJS)
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
		if members := b.Text(t, "#kpi-members"); members != "120" {
			t.Errorf("members tile says %q, want 120", members)
		}
		b.Shot(t, "02-overview", true)
	})

	t.Run("analytics: charts drawn, heat maps and downloads", func(t *testing.T) {
		b.Open(t, s.url+"/admin/analytics")
		if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`(window.tenureCharts || []).length === JSON.parse(document.getElementById("chart-data").textContent).length`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("charts were not drawn: %v", err)
		}
		checks := apptest.Eval[[]chartCheck](t, b, chartsJS)
		if len(checks) < 2 {
			t.Fatalf("%d charts on the analytics page", len(checks))
		}
		for _, c := range checks {
			if c.Points == 0 || len(c.Series) == 0 || c.Series[0].Sum <= 0 || c.Series[0].Pixels < 30 {
				t.Errorf("chart %s is empty or not drawn: %+v", c.ID, c)
			}
		}
		shaded := apptest.Eval[int](t, b, `[...document.querySelectorAll("#rfm-grid td")].filter(td => getComputedStyle(td).backgroundColor !== "rgba(0, 0, 0, 0)").length`)
		if shaded != 25 {
			t.Errorf("%d of 25 RFM cells are shaded", shaded)
		}
		href := apptest.Eval[string](t, b, `document.querySelector('a[href="/admin/analytics/cohorts.csv"]').href`)
		if !strings.HasSuffix(href, "/admin/analytics/cohorts.csv") {
			t.Errorf("cohort download link %q", href)
		}
		b.Shot(t, "02-analytics", true)
	})

	t.Run("search a member and open the 360 page", func(t *testing.T) {
		b.Open(t, s.url+"/admin/members")
		b.Do(t, chromedp.SendKeys(chromedp.ID("q"), "vip"))
		b.Submit(t, `form[role=search] button[type=submit]`)
		if got := b.Text(t, "main [role=status]"); !strings.Contains(got, "1 member matched by tag") {
			t.Fatalf("search said %q", got)
		}
		b.Shot(t, "03-member-search", true)
		b.Submit(t, `table tbody a`)
		if got := b.Text(t, "main code"); got != "cust-00002" {
			t.Fatalf("opened %q", got)
		}
		for _, sel := range []string{"#points-available", "#ledger-table", "#consents-title", "#orders-title", "#events-title"} {
			b.Do(t, chromedp.WaitVisible(chromedp.CSS(sel)))
		}
		if n := apptest.Eval[int](t, b, `document.querySelectorAll("#ledger-table ul.why li").length`); n == 0 {
			t.Error("the ledger shows no rule explanations")
		}
		b.Shot(t, "04-member-360", true)
	})

	t.Run("adjust points and see the ledger change", func(t *testing.T) {
		before := points(t, b.Text(t, "#points-available"))
		b.Do(t, chromedp.SendKeys(chromedp.ID("adjust-amount"), "75"),
			chromedp.SendKeys(chromedp.ID("adjust-reason"), "Goodwill: parcel arrived late"))
		b.Submit(t, `#adjust-form button[type=submit]`)
		if got := b.Text(t, ".flash"); !strings.Contains(got, "adjusted") {
			t.Fatalf("no confirmation: %q", got)
		}
		if after := points(t, b.Text(t, "#points-available")); after != before+75 {
			t.Fatalf("available went from %d to %d, want +75", before, after)
		}
		row := b.Text(t, "#ledger-table tbody tr")
		if !strings.Contains(row, "+75") || !strings.Contains(row, "Goodwill: parcel arrived late") {
			t.Fatalf("the newest ledger entry is %q", row)
		}
		b.Shot(t, "05-adjusted", true)
	})

	t.Run("program: errors by line, dry run and backtest", func(t *testing.T) {
		b.Open(t, s.url+"/admin/program")
		b.Submit(t, `button[formaction="/admin/program/dry-run"]`)
		if got := b.Text(t, "#dry-run-result h3"); !strings.Contains(got, "would earn") {
			t.Fatalf("dry run: %q", got)
		}
		if n := apptest.Eval[int](t, b, `document.querySelectorAll("#dry-run-result tbody tr").length`); n < 3 {
			t.Fatalf("dry run explained %d rules", n)
		}
		b.Submit(t, `button[formaction="/admin/program/backtest"]`)
		if got := b.Text(t, "#backtest-result h3"); !strings.HasPrefix(got, "Cost:") {
			t.Fatalf("backtest: %q", got)
		}
		b.Shot(t, "06-program", true)
		rules := apptest.Eval[string](t, b, `document.getElementById("rules").value`)
		bad := strings.Replace(rules, `"kind": "spend"`, `"kind": "spend", "condition": "order.subtotal >>= 100"`, 1)
		b.Do(t, chromedp.SetValue(chromedp.ID("rules"), bad))
		if st := b.Submit(t, `button[formaction="/admin/program/rules"]`); st != 422 {
			t.Fatalf("saving bad rules: %d", st)
		}
		msg := b.Text(t, "#program-errors")
		if !regexp.MustCompile(`rules line \d+ · rules\[0\]\.condition`).MatchString(msg) {
			t.Fatalf("the error does not name the line and field: %q", msg)
		}
		b.Do(t, chromedp.Click(chromedp.CSS("#program-errors a[data-offset]")))
		if id := apptest.Eval[string](t, b, `document.activeElement.id`); id != "rules" {
			t.Errorf("the error link focused %q", id)
		}
	})

	t.Run("create a reward", func(t *testing.T) {
		b.Open(t, s.url+"/admin/rewards")
		b.Do(t, chromedp.SendKeys(chromedp.ID("reward-name"), "20 zł off"),
			chromedp.SendKeys(chromedp.ID("reward-cost"), "200"), chromedp.SendKeys(chromedp.ID("reward-value"), "20"))
		b.Submit(t, `#reward-form button[type=submit]:not([name])`)
		if got := b.Text(t, "#rewards-table"); !strings.Contains(got, "20 zł off") {
			t.Fatalf("catalog: %q", got)
		}
	})

	t.Run("tiers and campaigns", func(t *testing.T) {
		b.Open(t, s.url+"/admin/tiers")
		if got := b.Text(t, "#tiers-table tbody tr:nth-child(3) th"); got != "3. Gold" {
			t.Fatalf("the third tier is %q", got)
		}
		b.Shot(t, "11-tiers", true)
		b.Open(t, s.url+"/admin/campaigns")
		b.Do(t, chromedp.SendKeys(chromedp.ID("campaign-name"), "Happy hour"),
			chromedp.Click(chromedp.CSS(`input[name=days][value=fri]`)),
			chromedp.SendKeys(chromedp.ID("campaign-from-hour"), "17"), chromedp.SendKeys(chromedp.ID("campaign-to-hour"), "20"))
		if st := b.Submit(t, `#campaign-form button[type=submit]:not([formaction])`); st != 200 {
			t.Fatalf("adding a campaign: %d", st)
		}
		if got := b.Text(t, ".flash"); !strings.Contains(got, "campaign was added") {
			t.Fatalf("no confirmation: %q", got)
		}
		if got := b.Text(t, `tr[id="campaign-campaign.happy-hour"]`); !strings.Contains(got, "fri; 17:00–20:00") || !strings.Contains(got, "x2 points") {
			t.Fatalf("the new campaign reads %q", got)
		}
		b.Shot(t, "12-campaigns", true)
	})

	t.Run("staff page and a key shown once", func(t *testing.T) {
		b.Open(t, s.url+"/admin/settings/keys")
		b.Do(t, chromedp.SendKeys(chromedp.ID("key-name"), "shop backend"))
		b.Submit(t, `form[action="/admin/settings/keys"] button[type=submit]`)
		if got := b.Text(t, "#new-key-secret"); !strings.HasPrefix(got, "tnr_") {
			t.Fatalf("secret %q", got)
		}
		b.Shot(t, "07-settings-keys", true)
		b.Open(t, s.url+"/admin/settings/staff")
		b.Shot(t, "07-settings-staff", true)
		b.Open(t, s.url+"/admin/settings/webhooks")
		b.Do(t, chromedp.SendKeys(chromedp.ID("hook-url"), "http://127.0.0.1:9/hook"))
		b.Submit(t, `form[action="/admin/settings/webhooks"] button[type=submit]`)
		if got := b.Text(t, "#new-webhook code"); !strings.HasPrefix(got, "whsec_") {
			t.Fatalf("webhook secret %q", got)
		}
		b.Submit(t, "#webhooks-table a")
		b.Shot(t, "07-settings-webhook", true)
		b.Open(t, s.url+"/admin/settings/audit")
		if got := b.Text(t, "#audit-table"); !strings.Contains(got, "points.adjusted") || !strings.Contains(got, s.staff[service.RoleOwner]) {
			t.Errorf("the audit log does not show the adjustment by the owner: %.300q", got)
		}
		b.Shot(t, "07-settings-audit", true)
	})

	t.Run("accessibility: every page passes axe-core's WCAG 2.1 AA rules", func(t *testing.T) {
		for _, p := range []string{"/admin/", "/admin/members", "/admin/members/cust-00002", "/admin/program", "/admin/rewards",
			"/admin/campaigns", "/admin/tiers", "/admin/segments", "/admin/analytics", "/admin/settings/keys",
			"/admin/settings/webhooks", "/admin/settings/staff", "/admin/settings/audit"} {
			b.Open(t, s.url+p)
			for _, v := range b.Audit(t) {
				t.Errorf("%s: %s", p, v)
			}
		}
	})

	t.Run("keyboard: the skip link comes first and moves to the content", func(t *testing.T) {
		b.Open(t, s.url+"/admin/")
		b.Do(t, chromedp.KeyEvent(kb.Tab))
		if got := apptest.Eval[string](t, b, `document.activeElement.textContent`); got != "Skip to content" {
			t.Fatalf("first Tab focused %q", got)
		}
		b.Do(t, chromedp.KeyEvent(kb.Enter))
		if got := apptest.Eval[string](t, b, `document.activeElement.id`); got != "main" {
			t.Fatalf("the skip link moved focus to %q", got)
		}
	})

	t.Run("usable at 375 px", func(t *testing.T) {
		b.Do(t, chromedp.EmulateViewport(375, 812))
		defer b.Do(t, chromedp.EmulateViewport(1280, 900))
		for _, p := range []struct{ path, shot string }{{"/admin/", "08-mobile-overview"}, {"/admin/members/cust-00002", "09-mobile-member"}, {"/admin/analytics", "09-mobile-analytics"}, {"/admin/campaigns", "09-mobile-campaigns"}, {"/admin/tiers", "09-mobile-tiers"}, {"/admin/segments", "09-mobile-segments"}, {"/admin/subscriptions", "09-mobile-subscriptions"}} {
			b.Open(t, s.url+p.path)
			if p.path == "/admin/" {
				if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`(window.tenureCharts || []).length === 4`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
					t.Fatal(err)
				}
			}
			for _, v := range b.Audit(t) {
				t.Errorf("%s at 375 px: %s", p.path, v)
			}
			if w := apptest.Eval[int](t, b, `document.documentElement.scrollWidth`); w > 375 {
				wide := apptest.Eval[[]string](t, b, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 380 && !e.closest(".table-wrap, nav")).slice(0, 5).map(e => e.tagName + "." + e.className + "#" + e.id)`)
				t.Errorf("%s scrolls sideways at 375 px: %d px wide; too wide: %v", p.path, w, wide)
			}
			b.Shot(t, p.shot, true)
		}
	})

	t.Run("a marketer cannot open staff settings", func(t *testing.T) {
		b.Open(t, s.url+"/admin/")
		b.Submit(t, `form[action="/admin/logout"] button`)
		signIn(t, b, s, s.staff[service.RoleMarketer])
		nav := b.Text(t, "nav[aria-label=Main]")
		if strings.Contains(nav, "Settings") || !strings.Contains(nav, "Program") {
			t.Errorf("a marketer's menu: %q", nav)
		}
		if st := b.Open(t, s.url+"/admin/settings/staff"); st != 403 {
			t.Fatalf("staff settings for a marketer: %d", st)
		}
		if got := b.Text(t, "main p"); !strings.Contains(got, "does not allow") {
			t.Errorf("the refusal says %q", got)
		}
		b.Shot(t, "10-marketer-forbidden", true)
	})

	t.Run("no request left the server and no script or CSP error", func(t *testing.T) {
		reqs := b.Requests()
		for _, u := range reqs {
			if !strings.HasPrefix(u, s.url+"/") && !strings.HasPrefix(u, "data:") && u != "about:blank" {
				t.Errorf("request to %s", u)
			}
		}
		if len(reqs) < 20 {
			t.Errorf("only %d requests were seen: is the recorder working?", len(reqs))
		}
		for _, p := range b.Problems(pageProblems) {
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
