package dashboard_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shopify"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// The shops page connects a Shopify store (a bad domain is refused with the field named
// and nothing saved), shows the webhook URL but never the secret, and lists what the
// store sent: the last deliveries and the mapping errors.
func TestShopsPage(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleOwner])
		p := c.get("/admin/settings/shops")
		if p.Status != 200 || !strings.Contains(p.Body, "Shopify") || !strings.Contains(p.Body, "WooCommerce") {
			t.Fatalf("page: %d %.500s", p.Status, p.Body)
		}
		before := s.fingerprint()
		p = c.do("POST", "/admin/settings/shops/shopify", url.Values{"csrf": {token}, "domain": {"palarnia.example.com"}, "webhook_secret": {"s"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "myshopify.com") {
			t.Fatalf("bad domain: %d %.500s", p.Status, p.Body)
		}
		if s.fingerprint() != before {
			t.Fatal("a refused form wrote")
		}
		p = c.do("POST", "/admin/settings/shops/shopify", url.Values{"csrf": {token}, "domain": {"palarnia-nowak.myshopify.com"},
			"webhook_secret": {"shpss_page_secret"}, "api_key": {"shpat_page_token"}, "sync_codes": {"on"}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("connect: %d %.500s", p.Status, p.Body)
		}
		p = c.get("/admin/settings/shops?done=shop-saved")
		if strings.Contains(p.Body, "shpss_page_secret") || strings.Contains(p.Body, "shpat_page_token") {
			t.Fatal("the page shows a credential")
		}
		m := regexp.MustCompile(`<code class="webhook-url">([^<]+)</code>`).FindStringSubmatch(p.Body)
		if m == nil || !strings.HasPrefix(m[1], s.url+"/shopify/shp_") {
			t.Fatalf("webhook URL: %v", m)
		}
		body, _ := os.ReadFile("../shopify/testdata/customers_create.json")
		bad := bytes.Replace(body, []byte(`"id": 706405506930370084`), []byte(`"id": null`), 1)
		for i, b := range [][]byte{body, bad} {
			req, _ := http.NewRequest("POST", m[1], bytes.NewReader(b))
			req.Header.Set("X-Shopify-Topic", "customers/create")
			req.Header.Set("X-Shopify-Webhook-Id", []string{"page-wh-1", "page-wh-2"}[i])
			req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign("shpss_page_secret", b))
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("webhook %d: %v %v", i, resp, err)
			}
			resp.Body.Close()
		}
		p = c.get("/admin/settings/shops")
		if !strings.Contains(p.Body, "customers/create") || !strings.Contains(p.Body, "706405506930370084") {
			t.Fatalf("deliveries missing: %.2000s", p.Body)
		}
		errs := p.Body[strings.Index(p.Body, "Mapping errors"):]
		if !strings.Contains(errs, "the customer has no id") {
			t.Fatalf("mapping error missing: %.800s", errs)
		}

		if e.Name == "sqlite" {
			b := apptest.NewBrowser(t)
			signIn(t, b, s, s.staff[service.RoleOwner])
			for _, w := range []struct {
				width, height int64
				name          string
			}{{1440, 900, "14-shops-1440"}, {375, 812, "14-shops-375"}} {
				b.Do(t, chromedp.EmulateViewport(w.width, w.height))
				b.Open(t, s.url+"/admin/settings/shops")
				if got := b.Text(t, "#shop-shopify .mapping-errors"); !strings.Contains(got, "the customer has no id") {
					t.Fatalf("%d px: mapping errors read %q", w.width, got)
				}
				if over := apptest.Eval[bool](t, b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
					t.Errorf("%d px: the page scrolls sideways", w.width)
				}
				for _, v := range b.Audit(t) {
					t.Errorf("%d px: accessibility: %s", w.width, v)
				}
				b.Shot(t, w.name, true)
			}
			for _, p := range b.Problems(pageProblems) {
				t.Errorf("browser reported %s", p)
			}
		}
	})
}
