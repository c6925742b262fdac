package widget_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/widget"
)

type browser = apptest.Browser

// in is a JS path to an element inside the widget's shadow root.
func in(css string) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf("document.querySelector('#tenure-widget').shadowRoot.querySelector(%q)", css))
}

// sh evaluates an expression with w bound to the widget's shadow root.
func sh[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	return apptest.Eval[T](t, b, "(() => { const w = document.querySelector('#tenure-widget').shadowRoot; return "+expr+"; })()")
}

// shot saves a screenshot of the viewport under testdata/artifacts, once the widget's
// animations have finished.
func shot(t *testing.T, b *browser, name string) {
	t.Helper()
	b.Wait(t, "animations to end", `document.querySelector('#tenure-widget').shadowRoot.getAnimations().every(a => a.playState !== 'running')`)
	b.Shot(t, name, false)
}

// shop is a small demo store served by Tenure, and its storefront served from another
// origin, as a real shop would be, allowed to call the member API.
type shop struct {
	app    *app.App
	tenure string // Tenure's base URL
	url    string // the storefront page
	tenant string
}

func startShop(t *testing.T, e storagetest.Engine) *shop {
	t.Helper()
	ctx := context.Background()
	d := apptest.ServeDemo(t, e, apptest.DemoOptions{Customers: 80, Months: 8, Seed: 11, Redeem: true})
	a, tn, clock, base := d.App, d.Tenant, d.Clock, d.URL
	_, secret, err := a.Service.Widget.RotateSecret(ctx, tn.ID, "test")
	must(t, err)

	mux := http.NewServeMux()
	mux.Handle("GET /demo/shop", &widget.Storefront{Shop: "Kawa & Herbata", TenantID: tn.ID, Secret: secret, Clock: clock, API: base})
	front := httptest.NewServer(mux)
	t.Cleanup(front.Close)
	_, err = a.Service.Widget.SetOrigins(ctx, tn.ID, "test", []string{front.URL})
	must(t, err)
	return &shop{app: a, tenure: base, url: front.URL + "/demo/shop", tenant: tn.ID}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// richMember returns a demo customer who can afford the 20 zł coupon.
func (s *shop) richMember(t *testing.T, not string) (string, int64) {
	t.Helper()
	for i := 1; i <= 80; i++ {
		id := fmt.Sprintf("cust-%05d", i)
		b, err := s.app.Service.Members.Balance(context.Background(), s.tenant, id)
		if err == nil && b.Points.Available >= 300 && b.Points.Available < 5000 && id != not {
			return id, b.Points.Available
		}
	}
	t.Fatal("no demo customer with 300 to 5000 points")
	return "", 0
}

func digits(s string) int64 {
	n, _ := strconv.ParseInt(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s), 10, 64)
	return n
}

// TestBrowserStorefront opens the demo storefront in headless Chromium, with the shop on
// one origin and Tenure on another: the widget shows the shopper's balance and tier,
// completes a redemption that shows the code, works with the keyboard and at 375 px, and
// the page's token cannot read another member's coupon.
func TestBrowserStorefront(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		storefrontWalk(t, apptest.NewBrowser(t), startShop(t, e))
	})
}

// storefrontWalk is TestBrowserStorefront on one engine.
func storefrontWalk(t *testing.T, b *browser, s *shop) {
	ctx := context.Background()
	member, available := s.richMember(t, "")
	other, _ := s.richMember(t, member)
	theirs, err := s.app.Service.Rewards.Available(ctx, s.tenant, other)
	must(t, err)
	otherCoupon, err := s.app.Service.Rewards.Redeem(ctx, s.tenant, "test", other, "", service.RedeemRequest{RewardID: theirs[0].Reward.ID})
	must(t, err)

	b.Do(t, chromedp.Navigate(s.url+"?member="+url.QueryEscape(member)))
	b.Wait(t, "the launcher with the balance", `document.querySelector('#tenure-widget')?.shadowRoot?.querySelector('.tw-launcher-points')?.textContent.length > 0`)

	t.Run("the shop's styles do not reach the widget", func(t *testing.T) {
		if got := sh[string](t, b, `getComputedStyle(w.querySelector('.tw-launcher')).borderTopLeftRadius`); got == "0px" {
			t.Errorf("the launcher took the shop's square buttons: radius %s", got)
		}
		if got := sh[string](t, b, `getComputedStyle(w.querySelector('.tw-launcher')).fontFamily`); strings.Contains(got, "Georgia") {
			t.Errorf("the launcher took the shop's font: %s", got)
		}
	})

	t.Run("open shows the balance, expiry and tier", func(t *testing.T) {
		b.Do(t, chromedp.Click(in(".tw-launcher")))
		if got := sh[string](t, b, `w.querySelector('.tw-launcher').getAttribute('aria-expanded')`); got != "true" {
			t.Fatalf("aria-expanded = %s", got)
		}
		b.Wait(t, "focus on the panel's heading", `(document.querySelector('#tenure-widget').shadowRoot.activeElement || {}).id === 'tw-title'`)
		b.Wait(t, "the balance", `(() => { const e = document.querySelector('#tenure-widget').shadowRoot.querySelector('[data-tw=available]'); return !!e && e.textContent.length > 0 })()`)
		b.Wait(t, "the rewards", `document.querySelector('#tenure-widget').shadowRoot.querySelectorAll('.tw-reward').length === 3`)
		if got := digits(sh[string](t, b, `w.querySelector('[data-tw=available]').textContent`)); got != available {
			t.Fatalf("the widget shows %d points, the ledger %d", got, available)
		}
		if tier := sh[string](t, b, `w.querySelector('.tw-tier').textContent`); !strings.Contains(tier, "Tier:") || sh[bool](t, b, `w.querySelector('.tw-tier').hidden`) {
			t.Errorf("tier section: %q", tier)
		}
		if got := sh[string](t, b, `w.querySelector('.tw-balance').textContent`); !strings.Contains(got, "expire on") {
			t.Errorf("no expiry in %q", got)
		}
		// The history is a request of its own, answered after the balance.
		b.Wait(t, "the history", `document.querySelector('#tenure-widget').shadowRoot.querySelectorAll('.tw-history .tw-entry').length > 0`)
		shot(t, b, "widget-01-open")
		for _, v := range b.Audit(t) { // the storefront and the open widget, shadow DOM included
			t.Errorf("accessibility: %s", v)
		}
	})

	var code string
	t.Run("redeem asks to confirm, then shows the code and the new balance", func(t *testing.T) {
		b.Do(t, chromedp.Click(chromedp.JSPath(`[...document.querySelector('#tenure-widget').shadowRoot.querySelectorAll('.tw-reward button')].find(x => x.getAttribute('aria-label').startsWith('Redeem 20 zł coupon'))`)))
		b.Wait(t, "focus on Confirm", `(document.querySelector('#tenure-widget').shadowRoot.activeElement || {}).textContent === 'Confirm'`)
		shot(t, b, "widget-02-confirm")
		b.Do(t, chromedp.Click(in(".tw-confirm .tw-btn")))
		b.Wait(t, "the code", `(() => { const e = document.querySelector('#tenure-widget').shadowRoot.querySelector('[data-tw=code]'); return !!e && e.textContent.length >= 8 })()`)
		code = sh[string](t, b, `w.querySelector('[data-tw=code]').textContent`)
		cs, _, err := s.app.Service.Rewards.MemberCoupons(ctx, s.tenant, member, "", "", 1)
		must(t, err)
		if len(cs) != 1 || cs[0].Code != code || cs[0].RewardName != "20 zł coupon" || cs[0].State != rewards.Issued {
			t.Fatalf("the page shows %q; the member's newest coupon is %+v", code, cs)
		}
		bal, err := s.app.Service.Members.Balance(ctx, s.tenant, member)
		must(t, err)
		shown := digits(sh[string](t, b, `w.querySelector('[data-tw=available]').textContent`))
		if bal.Points.Available != available-200 || shown != bal.Points.Available {
			t.Errorf("balance: ledger %d, shown %d, want %d", bal.Points.Available, shown, available-200)
		}
		b.Wait(t, "the history line", `document.querySelector('#tenure-widget').shadowRoot.querySelector('.tw-history .tw-entry').textContent.includes('Redeemed 20 zł coupon')`)
		// One line for the redemption however many lots it took, and one per order.
		lines := sh[[]string](t, b, `[...w.querySelectorAll('.tw-history .tw-entry')].map(e => e.textContent)`)
		var mine []string
		orders := map[string]int{}
		for _, l := range lines {
			if strings.Contains(l, code) {
				mine = append(mine, l)
			}
			if o, ok := strings.CutPrefix(l, "Order "); ok && !strings.Contains(o, "refunded") && !strings.Contains(o, "cancelled") {
				orders[strings.Fields(o)[0]]++
			}
		}
		if len(mine) != 1 || !strings.HasSuffix(mine[0], "−200") && !strings.HasSuffix(mine[0], "-200") {
			t.Errorf("the redemption's history lines: %q", mine)
		}
		for o, n := range orders {
			if n > 1 {
				t.Errorf("order %s has %d history lines", o, n)
			}
		}
		// Focus moves to the code's heading once the result is drawn.
		b.Wait(t, "focus on the code's heading", `(document.querySelector('#tenure-widget').shadowRoot.activeElement || {}).tagName === 'H4'`)
		b.Do(t, chromedp.Click(in(".tw-result .tw-btn")))
		b.Wait(t, "the copy feedback", `/Copied|Ctrl\+C/.test(document.querySelector('#tenure-widget').shadowRoot.querySelector('[role=status]').textContent)`)
		shot(t, b, "widget-03-code")
		png, err := chromedp.Run(b.Ctx, chromedp.Screenshot(chromedp.JSPath(`document.querySelector('#tenure-widget')`)))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(apptest.Artifacts, "widget-panel.png"), png, 0o644))
	})

	t.Run("Escape closes and gives focus back to the launcher; Enter opens", func(t *testing.T) {
		b.Do(t, chromedp.KeyEvent(kb.Escape))
		if !sh[bool](t, b, `w.querySelector('#tw-panel').hidden`) || sh[string](t, b, `(w.activeElement || {}).className || ''`) != "tw-launcher" {
			t.Fatal("Escape did not close the panel and refocus the launcher")
		}
		b.Do(t, chromedp.KeyEvent(kb.Enter))
		b.Wait(t, "the panel", `!document.querySelector('#tenure-widget').shadowRoot.querySelector('#tw-panel').hidden`)
		b.Do(t, chromedp.KeyEvent(kb.Tab))
		if got := sh[string](t, b, `(w.activeElement || {}).className || ''`); got != "tw-close" {
			t.Errorf("Tab from the heading went to %q, want the close button", got)
		}
		b.Do(t, chromedp.KeyEvent(kb.Enter))
		if !sh[bool](t, b, `w.querySelector('#tw-panel').hidden`) {
			t.Error("the close button did not close")
		}
	})

	t.Run("the page's token cannot read another member's coupon", func(t *testing.T) {
		js := fmt.Sprintf(`(async () => {
			const tok = document.querySelector('script[data-token]').dataset.token;
			const res = await fetch(%q + '/v1/member/coupons/' + %q, {headers: {Authorization: 'Bearer ' + tok}});
			return res.status + ' ' + await res.text();
		})()`, s.tenure, otherCoupon.Code)
		got, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		must(t, err)
		if !strings.HasPrefix(got, "404 ") || strings.Contains(got, otherCoupon.Code) || strings.Contains(got, other) {
			t.Errorf("reading another member's coupon: %s", got)
		}
	})

	t.Run("usable at 375 px", func(t *testing.T) {
		b.Do(t, chromedp.EmulateViewport(375, 812))
		defer b.Do(t, chromedp.EmulateViewport(1280, 900))
		b.Do(t, chromedp.Reload())
		b.Wait(t, "the launcher", `document.querySelector('#tenure-widget')?.shadowRoot?.querySelector('.tw-launcher-points')?.textContent.length > 0`)
		b.Do(t, chromedp.Click(in(".tw-launcher")))
		b.Wait(t, "the coupons", `!document.querySelector('#tenure-widget').shadowRoot.querySelector('[aria-labelledby=tw-coupons-h]').hidden`)
		if w := sh[float64](t, b, `w.querySelector('#tw-panel').getBoundingClientRect().width`); w > 375 || w < 300 {
			t.Errorf("the panel is %.0f px wide at 375 px", w)
		}
		if w := apptest.Eval[int](t, b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("the page scrolls sideways: %d px", w)
		}
		if got := sh[string](t, b, `w.querySelector('.tw-coupon code').textContent`); got != code {
			t.Errorf("the coupons list starts with %q, want the new %q", got, code)
		}
		shot(t, b, "widget-04-mobile")
	})

	t.Run("a rejected token says so, and a new token brings the panel back", func(t *testing.T) {
		b.Do(t, chromedp.Evaluate[chromedp.Void](`TenureWidget.setToken('not.a-token')`, chromedp.EvalAwaitPromise))
		if got := sh[string](t, b, `w.querySelector('[role=alert]').textContent`); !strings.Contains(got, "session has expired") {
			t.Errorf("after a bad token the panel says %q", got)
		}
		if got := sh[string](t, b, `w.querySelector('.tw-body').textContent`); strings.Contains(got, "null") || strings.Contains(got, "undefined") {
			t.Errorf("the error panel reads %q", got)
		}
		b.Do(t, chromedp.Evaluate[chromedp.Void](`TenureWidget.setToken(document.querySelector('script[data-token]').dataset.token)`, chromedp.EvalAwaitPromise))
		if got := digits(sh[string](t, b, `w.querySelector('[data-tw=available]').textContent`)); got != available-200 {
			t.Errorf("after a good token again the panel shows %d points", got)
		}
	})

	shopOrigin := strings.TrimSuffix(s.url, "/demo/shop")
	for _, u := range b.Requests() {
		if !strings.HasPrefix(u, shopOrigin+"/") && !strings.HasPrefix(u, s.tenure+"/") && u != "about:blank" {
			t.Errorf("request outside the shop and Tenure: %s", u)
		}
	}
	for _, p := range b.Problems(func(e *log.Entry) bool { return e.Level == log.EntryLevelError }) {
		// The 404 and the 401s asked for above.
		if !strings.HasSuffix(p, "/v1/member/coupons/"+otherCoupon.Code) && !strings.Contains(p, "status of 401") {
			t.Errorf("browser reported: %s", p)
		}
	}
}
