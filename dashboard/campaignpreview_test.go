package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

var previewRE = regexp.MustCompile(`earns ([\d,]+) points</strong> with this campaign \(([\d,]+) without it`)

// previewPoints reads the with and without figures of a campaign preview.
func previewPoints(t *testing.T, body string) (with, without int64) {
	t.Helper()
	m := previewRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no preview: %.400s", section(t, body, `id="campaign-preview"`, "</fieldset>"))
	}
	w, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	wo, _ := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
	return w, wo
}

// TestCampaignPreview prices an example order with a campaign being typed, on its days and
// off them, and saves nothing.
func TestCampaignPreview(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleMarketer])
		before := s.fingerprint()
		form := func(at string) url.Values {
			return url.Values{"csrf": {token}, "name": {"Triple Tuesday"}, "effect": {"multiplier"}, "multiplier": {"3"}, "days": {"tue"},
				"sample_amount": {"120,00"}, "sample_at": {at}}
		}
		// 2030-01-01 is a Tuesday, 2030-01-03 a Thursday (noon, outside the demo's weekend).
		on := c.do("POST", "/admin/campaigns/preview", form("2030-01-01T12:00"))
		if on.Status != http.StatusOK {
			t.Fatalf("preview: %d %.300s", on.Status, on.Body)
		}
		with, without := previewPoints(t, on.Body)
		if without <= 0 || with != 3*without && with <= 2*without {
			t.Errorf("a Tuesday order: %d with the x3 campaign, %d without", with, without)
		}
		off := c.do("POST", "/admin/campaigns/preview", form("2030-01-03T12:00"))
		w2, wo2 := previewPoints(t, off.Body)
		if w2 != wo2 || wo2 != without || !strings.Contains(off.Body, "does not apply to this order") {
			t.Errorf("a Thursday order: %d with, %d without", w2, wo2)
		}
		bad := form("2030-01-01T12:00")
		bad.Set("sample_amount", "lots")
		if p := c.do("POST", "/admin/campaigns/preview", bad); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="err-sample_amount"`) {
			t.Errorf("a bad amount: %d", p.Status)
		}
		if s.fingerprint() != before {
			t.Error("a preview changed the database")
		}

		t.Run("in the browser the preview follows the form", func(t *testing.T) {
			b := apptest.NewBrowser(t)
			signIn(t, b, s, s.staff[service.RoleMarketer])
			b.Open(t, s.url+"/admin/campaigns")
			apptest.Eval[bool](t, b, `(document.getElementById("sample-at").value = "2030-01-01T12:00", document.getElementById("campaign-multiplier").value = "", true)`)
			b.Do(t, chromedp.SendKeys(chromedp.ID("campaign-name"), "Triple Tuesday"),
				chromedp.SendKeys(chromedp.ID("campaign-multiplier"), "3"), chromedp.Click(chromedp.CSS(`input[name=days][value=tue]`)))
			b.Wait(t, "the live preview", `/earns [\d,]+ points/.test(document.getElementById("campaign-preview").textContent)`)
			got := b.Text(t, "#campaign-preview")
			if !strings.Contains(got, "with this campaign") || strings.Contains(got, "does not apply") {
				t.Errorf("the preview reads %q", got)
			}
			b.Shot(t, "23-campaign-preview", true)
			audit(t, b, "campaigns with a preview")
		})
	})
}
