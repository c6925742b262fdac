package widget_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// polishDate is a long Polish date: "23 maja 2027".
var polishDate = regexp.MustCompile(`\b\d{1,2} (stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia) \d{4}\b`)

// TestBrowserPolish opens the storefront in Polish: the widget speaks Polish, writes money
// and dates the Polish way (89,00 zł, 23 maja 2027), lists the ways to earn and announces
// the campaign running now, at 1440 and 375 px, on each engine.
func TestBrowserPolish(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := startShop(t, e)
		ctx := context.Background()
		svc := s.app.Service
		if _, err := svc.Rewards.Create(ctx, s.tenant, "test", rewards.RewardDefinition{Name: "Zestaw degustacyjny", Type: rewards.FixedDiscount,
			Cost: 890, Value: 8900, ValidDays: 30}); err != nil {
			t.Fatal(err)
		}
		start, end := time.Now().Add(-time.Hour).UTC().Truncate(time.Second), time.Now().Add(72*time.Hour).UTC().Truncate(time.Second)
		if _, err := svc.Rules.Update(ctx, s.tenant, "test", service.AnyVersion, func(cur rules.Set) (rules.Set, error) {
			next := cur
			next.Rules = append(append([]rules.Rule{}, cur.Rules...), rules.Rule{ID: "campaign.mikolajki", Name: "Mikołajki", Kind: rules.KindMultiplier,
				Multiplier: 3 * rules.OneX, StartsAt: &start, EndsAt: &end})
			return next, nil
		}); err != nil {
			t.Fatal(err)
		}
		member, _ := s.richMember(t, "")
		b := apptest.NewBrowser(t)
		b.Open(t, s.url+"?lang=pl&member="+member)
		b.Wait(t, "the launcher", `document.querySelector('#tenure-widget')?.shadowRoot?.querySelector('.tw-launcher-points')?.textContent.length > 0`)
		if got := sh[string](t, b, `w.querySelector('.tw-launcher').textContent`); !strings.Contains(got, "Nagrody") || !strings.Contains(got, "pkt") {
			t.Errorf("the launcher reads %q", got)
		}
		b.Do(t, chromedp.Click(in(".tw-launcher")))
		b.Wait(t, "the ways to earn", `!document.querySelector('#tenure-widget').shadowRoot.querySelector('[aria-labelledby=tw-ways-h]').hidden`)
		b.Wait(t, "the history", `document.querySelector('#tenure-widget').shadowRoot.querySelectorAll('.tw-history .tw-entry').length > 0`)
		b.Wait(t, "the rewards", `[...document.querySelector('#tenure-widget').shadowRoot.querySelectorAll('.tw-reward')].some(r => r.textContent.includes('Zestaw'))`)
		panel := sh[string](t, b, `w.querySelector('#tw-panel').innerText`)
		for _, want := range []string{"asz", "Nagrody", "Wymień", "89,00\u00a0zł zniżki na zamówienie", "Jak zdobywać punkty", "Historia", "Teraz: Mikołajki", "×3 punktów"} {
			if !strings.Contains(panel, want) {
				t.Errorf("the panel lacks %q", want)
			}
		}
		if !polishDate.MatchString(panel) {
			t.Errorf("no Polish date in the panel: %.600s", panel)
		}
		// The widget's own words (rule and reward names are the store's, in the demo English).
		for _, english := range []string{"Rewards", "History", "Redeem", "pending", "Ways to earn", "Your coupons", "You have", "expire on"} {
			if strings.Contains(panel, english) {
				t.Errorf("the Polish panel says %q", english)
			}
		}
		if got := sh[string](t, b, `w.querySelector('.tw-history .tw-entry').textContent`); !strings.Contains(got, "Zamówienie") && !strings.Contains(got, "Wymiana") && !strings.Contains(got, "Witamy") {
			t.Errorf("the newest history line: %q", got)
		}
		for _, w := range []int64{1440, 375} {
			b.Do(t, chromedp.EmulateViewport(w, 900))
			for _, v := range b.Audit(t) {
				t.Errorf("at %d px: %s", w, v)
			}
		}
		shot(t, b, "widget-05-polish-mobile")
		b.Do(t, chromedp.EmulateViewport(1440, 900))
		shot(t, b, "widget-06-polish")
	})
}
