package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/widget"
)

// widths are the screens every marketer page is checked at: a laptop and a phone.
var widths = []int64{1440, 375}

// audit runs axe-core at each width on the page open and reports violations.
func audit(t *testing.T, b *browser, page string) {
	t.Helper()
	for _, w := range widths {
		b.Do(t, chromedp.EmulateViewport(w, 900))
		for _, v := range b.Audit(t) {
			t.Errorf("%s at %d px: %s", page, w, v)
		}
		if sw := apptest.Eval[int64](t, b, `document.documentElement.scrollWidth`); sw > w {
			wide := apptest.Eval[[]string](t, b, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest(".table-wrap") && !e.closest("nav")).slice(0, 5).map(e => e.tagName + "#" + e.id + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`)
			t.Errorf("%s at %d px scrolls sideways: %d px; widest: %v", page, w, sw, wide)
		}
	}
	b.Do(t, chromedp.EmulateViewport(1440, 900))
}

// storefront serves the widget's demo shop page for the test's store on another origin.
func storefront(t *testing.T, s *server) string {
	t.Helper()
	ctx := context.Background()
	_, secret, err := s.app.Service.Widget.RotateSecret(ctx, s.tenant.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /demo/shop", &widget.Storefront{Shop: "Kawa & Herbata", TenantID: s.tenant.ID, Secret: secret, Clock: s.app.Service.Clock, API: s.url})
	front := httptest.NewServer(mux)
	t.Cleanup(front.Close)
	if _, err := s.app.Service.Widget.SetOrigins(ctx, s.tenant.ID, "test", []string{front.URL}); err != nil {
		t.Fatal(err)
	}
	return front.URL + "/demo/shop"
}

// TestBrowserRewardForm creates "15 zł off for 150 points" through the rewards form, as a
// marketer types it (in złoty, first by mistake in grosze), and redeems it in the widget;
// then finds Julia Wójcik by typing "wojcik", on each engine.
func TestBrowserRewardForm(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		b := apptest.NewBrowser(t)
		ctx := context.Background()
		svc, tid := s.app.Service, s.tenant.ID
		b.Do(t, chromedp.EmulateViewport(1440, 900))
		signIn(t, b, s, s.staff[service.RoleMarketer])

		t.Run("an amount typed in grosze is caught and corrected", func(t *testing.T) {
			b.Open(t, s.url+"/admin/rewards")
			b.Do(t, chromedp.SendKeys(chromedp.ID("reward-name"), "15 zł off"),
				chromedp.SendKeys(chromedp.ID("reward-cost"), "150"), chromedp.SendKeys(chromedp.ID("reward-value"), "1500"))
			// The amount is echoed in złoty as it is typed, before anything is sent.
			if got := b.Text(t, "#reward-value-hint .money-echo"); got != "= 1\u00a0500,00\u00a0zł" {
				t.Errorf("the echo under the value reads %q", got)
			}
			if got := b.Text(t, "#reward-preview-offer"); !strings.Contains(got, "1\u00a0500,00\u00a0zł off your order · 150 points") {
				t.Errorf("the preview reads %q", got)
			}
			if hidden := apptest.Eval[bool](t, b, `document.getElementById("reward-percent").closest(".field").hidden`); !hidden {
				t.Error("the percent field shows for a fixed discount")
			}
			if st := b.Submit(t, `#reward-form button[type=submit]:not([name])`); st != http.StatusUnprocessableEntity {
				t.Fatalf("1500 for 150 points: %d, want the guard's 422", st)
			}
			if got := b.Text(t, "#reward-value-error"); !strings.Contains(got, "did you mean 15,00\u00a0zł?") {
				t.Fatalf("the guard says %q", got)
			}
			rs, _, err := svc.Rewards.List(ctx, tid, false, "", 100)
			if err != nil || len(rs) != 3 {
				t.Fatalf("the guard saved something: %d rewards, %v", len(rs), err)
			}
			audit(t, b, "rewards with the guard")
			if st := b.Submit(t, `button[name=use_value]`); st != http.StatusOK {
				t.Fatalf("using the suggestion: %d", st)
			}
			if got := b.Text(t, ".flash"); !strings.Contains(got, "added to the catalog") {
				t.Errorf("no confirmation: %q", got)
			}
			if got := b.Text(t, "#rewards-table"); !strings.Contains(got, "15,00\u00a0zł off") {
				t.Errorf("the catalog shows %q", got)
			}
			b.Shot(t, "20-rewards", true)
			audit(t, b, "rewards")
		})

		var reward rewards.Reward
		t.Run("the reward is stored once, in grosze, and a reload adds nothing", func(t *testing.T) {
			b.Do(t, chromedp.Reload())
			rs, _, err := svc.Rewards.List(ctx, tid, false, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range rs {
				if r.Name == "15 zł off" {
					reward = r
					n++
				}
			}
			if n != 1 || reward.Value != 1500 || reward.Cost != 150 || reward.Type != rewards.FixedDiscount {
				t.Fatalf("%d rewards named 15 zł off; %+v", n, reward)
			}
		})

		t.Run("editing keeps the amount in złoty", func(t *testing.T) {
			b.Open(t, s.url+"/admin/rewards/"+reward.ID)
			if got := apptest.Eval[string](t, b, `document.getElementById("reward-value").value`); got != "15,00" {
				t.Fatalf("the edit form's value is %q", got)
			}
			b.Do(t, chromedp.SetValue(chromedp.ID("reward-stock"), "40"), chromedp.SetValue(chromedp.ID("reward-limit"), "2"),
				chromedp.SetValue(chromedp.ID("reward-min-order"), "100"))
			audit(t, b, "the reward's edit form")
			if st := b.Submit(t, `#reward-form button[type=submit]:not([name])`); st != http.StatusOK {
				t.Fatalf("saving: %d", st)
			}
			got, err := svc.Rewards.Get(ctx, tid, reward.ID)
			if err != nil || got.Stock == nil || *got.Stock != 40 || got.PerMemberLimit != 2 || got.MinOrder != 10000 || got.Value != 1500 {
				t.Fatalf("after editing: %+v %v", got, err)
			}
		})

		t.Run("a member redeems it in the widget", func(t *testing.T) {
			member := ""
			for i := 1; i <= 120 && member == ""; i++ {
				id := fmt.Sprintf("cust-%05d", i)
				if bal, err := svc.Members.Balance(ctx, tid, id); err == nil && bal.Points.Available >= 150 {
					member = id
				}
			}
			if member == "" {
				t.Fatal("no member with 150 points")
			}
			b.Do(t, chromedp.Navigate(storefront(t, s)+"?member="+member))
			b.Wait(t, "the launcher", `document.querySelector('#tenure-widget')?.shadowRoot?.querySelector('.tw-launcher-points')?.textContent.length > 0`)
			b.Do(t, chromedp.Click(chromedp.JSPath(`document.querySelector('#tenure-widget').shadowRoot.querySelector('.tw-launcher')`)))
			b.Wait(t, "the reward", `[...document.querySelector('#tenure-widget').shadowRoot.querySelectorAll('.tw-reward')].some(r => r.textContent.includes('15 zł off'))`)
			b.Do(t, chromedp.Click(chromedp.JSPath(`[...document.querySelector('#tenure-widget').shadowRoot.querySelectorAll('.tw-reward button')].find(x => x.getAttribute('aria-label').startsWith('Redeem 15 zł off'))`)))
			b.Do(t, chromedp.Click(chromedp.JSPath(`document.querySelector('#tenure-widget').shadowRoot.querySelector('.tw-confirm .tw-btn')`)))
			b.Wait(t, "the code", `(() => { const e = document.querySelector('#tenure-widget').shadowRoot.querySelector('[data-tw=code]'); return !!e && e.textContent.length >= 8 })()`)
			code := apptest.Eval[string](t, b, `document.querySelector('#tenure-widget').shadowRoot.querySelector('[data-tw=code]').textContent`)
			cs, _, err := svc.Rewards.MemberCoupons(ctx, tid, member, "", "", 1)
			if err != nil || len(cs) != 1 || cs[0].Code != code || cs[0].RewardID != reward.ID || cs[0].Value != 1500 || cs[0].MinOrder != 10000 {
				t.Fatalf("the widget shows %q; the member's newest coupon is %+v (%v)", code, cs, err)
			}
		})

		t.Run("searching wojcik finds Julia Wójcik", func(t *testing.T) {
			addJulia(t, s)
			b.Open(t, s.url+"/admin/members")
			b.Do(t, chromedp.SendKeys(chromedp.ID("q"), "wojcik"))
			if st := b.Submit(t, `form[role=search] button[type=submit]`); st != http.StatusOK {
				t.Fatalf("search: %d", st)
			}
			if got := b.Text(t, "main table"); !strings.Contains(got, "Julia Wójcik") {
				t.Fatalf("the results: %q", got)
			}
			if got := b.Text(t, "#search-status"); !strings.Contains(got, "match “wojcik”") {
				t.Errorf("the count reads %q", got)
			}
			b.Shot(t, "21-member-search", true)
			audit(t, b, "the member search")
		})

		t.Run("the lift verdict fits its table at 1440 px", func(t *testing.T) {
			b.Open(t, s.url+"/admin/analytics")
			fits := apptest.Eval[bool](t, b, `(() => {
				const wrap = document.querySelector("#lift-table").closest(".table-wrap");
				const badge = document.querySelector("#lift-table tbody tr td:last-child .state");
				return wrap.scrollWidth <= wrap.clientWidth + 1 && badge.getBoundingClientRect().right <= wrap.getBoundingClientRect().right + 0.5;
			})()`)
			if !fits {
				t.Error("the lift table overflows its card: the verdict is cut off")
			}
		})

		t.Run("the at-risk count leads to its members and their CSV", func(t *testing.T) {
			b.Open(t, s.url+"/admin/analytics")
			if st := b.Submit(t, `#lifecycle-table a[href="/admin/members?lifecycle=at_risk"]`); st != http.StatusOK {
				t.Fatalf("following the count: %d", st)
			}
			if got := b.Text(t, "#filter-status"); !strings.Contains(got, "at risk now") {
				t.Errorf("the list says %q", got)
			}
			href := apptest.Eval[string](t, b, `document.getElementById("members-csv").href`)
			if !strings.Contains(href, "/admin/members.csv?lifecycle=at_risk") {
				t.Errorf("the CSV link is %q", href)
			}
			b.Shot(t, "22-members-at-risk", true)
			audit(t, b, "the at-risk members")
		})

		t.Run("the program settings are a form", func(t *testing.T) {
			b.Open(t, s.url+"/admin/program")
			if st := b.Submit(t, "#program-settings-link"); st != http.StatusOK {
				t.Fatalf("the settings link: %d", st)
			}
			if got := apptest.Eval[string](t, b, `document.getElementById("ps-value").value`); got != "0,10" {
				t.Errorf("the point value reads %q", got)
			}
			b.Shot(t, "24-program-settings", true)
			audit(t, b, "the program settings")
		})

		for _, p := range b.Problems(pageProblems) {
			if !strings.Contains(p, "status of 422") {
				t.Errorf("browser: %s", p)
			}
		}
	})
}
