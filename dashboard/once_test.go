package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

var (
	postFormRE = regexp.MustCompile(`(?s)<form method="post"[^>]*>.*?</form>`)
	formKeyRE  = regexp.MustCompile(`name="form_key" value="([^"]+)"`)
)

// formKey returns the one-time key of the first form on a page whose action is action.
func formKey(t testing.TB, p page, action string) string {
	t.Helper()
	for _, f := range postFormRE.FindAllString(p.Body, -1) {
		if strings.Contains(f, `action="`+action+`"`) {
			if m := formKeyRE.FindStringSubmatch(f); m != nil {
				return m[1]
			}
			t.Fatalf("the form to %s has no form key: %.300s", action, f)
		}
	}
	t.Fatalf("no form to %s on the page (%d)", action, p.Status)
	return ""
}

// TestFormsOnce sends dashboard forms twice, as a reload of the page a POST answered or
// the back button would, and checks that each change is made once, on each engine.
func TestFormsOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		svc, tid := s.app.Service, s.tenant.ID
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleOwner])

		t.Run("every form of every page carries a one-time key", func(t *testing.T) {
			for _, path := range []string{"/admin/members/cust-00001", "/admin/program", "/admin/rewards", "/admin/campaigns", "/admin/tiers",
				"/admin/segments", "/admin/settings/keys", "/admin/settings/webhooks", "/admin/settings/staff"} {
				p := c.get(path)
				forms := postFormRE.FindAllString(p.Body, -1)
				if len(forms) == 0 {
					t.Errorf("%s: no forms", path)
				}
				keys := map[string]bool{}
				for _, f := range forms {
					m := formKeyRE.FindStringSubmatch(f)
					if m == nil {
						t.Errorf("%s: a form without a key: %.200s", path, f)
						continue
					}
					if keys[m[1]] {
						t.Errorf("%s: two forms share the key %s", path, m[1])
					}
					keys[m[1]] = true
				}
			}
		})

		// Each case is a form and what it changes; the second send must change nothing.
		for _, tc := range []struct {
			name, page, action string
			form               url.Values
			count              func() int
		}{
			{"add a reward", "/admin/rewards", "/admin/rewards",
				url.Values{"name": {"Tea sample"}, "type": {"free_shipping"}, "cost": {"100"}, "valid_days": {"30"}},
				func() int { rs, _, _ := svc.Rewards.List(ctx, tid, true, "", 200); return len(rs) }},
			{"add a campaign", "/admin/campaigns", "/admin/campaigns",
				url.Values{"name": {"Once only"}, "effect": {"multiplier"}, "multiplier": {"2"}},
				func() int { rs, _ := svc.Rules.Current(ctx, tid); return int(rs.Version) }},
			{"save a segment", "/admin/segments", "/admin/segments",
				url.Values{"key": {"once"}, "name": {"Once"}, "condition": {"member.m >= 2"}},
				func() int { ss, _ := svc.Segments.List(ctx, tid); return len(ss) }},
			{"add an API key", "/admin/settings/keys", "/admin/settings/keys",
				url.Values{"name": {"Shop"}, "scope": {string(tenure.ScopeIntegration)}},
				func() int { ks, _ := svc.Access.Keys(ctx, tid); return len(ks) }},
			{"add staff", "/admin/settings/staff", "/admin/settings/staff",
				url.Values{"email": {"new@shop.example"}, "name": {"New"}, "role": {"support"}},
				func() int { ss, _ := svc.Access.StaffList(ctx, tid); return len(ss) }},
		} {
			t.Run(tc.name+" is done once when sent twice", func(t *testing.T) {
				form := url.Values{}
				for k, v := range tc.form {
					form[k] = v
				}
				form.Set("csrf", token)
				form.Set("form_key", formKey(t, c.get(tc.page), tc.action))
				before := tc.count()
				if p := c.do("POST", tc.action, form, "Referer", s.url+tc.page); p.Status >= 400 {
					t.Fatalf("first send: %d %.400s", p.Status, p.Body)
				}
				if got := tc.count(); got != before+1 {
					t.Fatalf("after the first send: %d, want %d", got, before+1)
				}
				fp := s.fingerprint()
				p := c.do("POST", tc.action, form, "Referer", s.url+tc.page)
				if p.Status != http.StatusSeeOther || p.Location != tc.page+"?done=already-done" {
					t.Fatalf("second send: %d to %q, want 303 to the form's page", p.Status, p.Location)
				}
				if got := tc.count(); got != before+1 {
					t.Errorf("after the second send: %d, want %d", got, before+1)
				}
				if s.fingerprint() != fp {
					t.Error("the second send changed a table")
				}
				if body := c.get(p.Location).Body; !strings.Contains(body, "nothing was done again") {
					t.Error("the page does not say the form had been sent")
				}
			})
		}

		t.Run("a refused form gives its key back for the corrected one", func(t *testing.T) {
			key := formKey(t, c.get("/admin/rewards"), "/admin/rewards")
			bad := url.Values{"csrf": {token}, "form_key": {key}, "name": {""}, "type": {"free_shipping"}, "cost": {"100"}}
			if p := c.do("POST", "/admin/rewards", bad); p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("a reward without a name: %d", p.Status)
			}
			good := url.Values{"csrf": {token}, "form_key": {key}, "name": {"Corrected"}, "type": {"free_shipping"}, "cost": {"100"}}
			if p := c.do("POST", "/admin/rewards", good); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "reward-created") {
				t.Fatalf("the corrected form: %d %s", p.Status, p.Location)
			}
		})

		t.Run("adding a reward answers with a redirect to the catalog", func(t *testing.T) {
			form := url.Values{"csrf": {token}, "form_key": {formKey(t, c.get("/admin/rewards"), "/admin/rewards")},
				"name": {"Reload safe"}, "type": {"free_shipping"}, "cost": {"80"}}
			p := c.do("POST", "/admin/rewards", form)
			if p.Status != http.StatusSeeOther || p.Location != "/admin/rewards?done=reward-created" {
				t.Fatalf("add: %d %s", p.Status, p.Location)
			}
			if body := c.get(p.Location).Body; !strings.Contains(body, "Reload safe") || !strings.Contains(body, "added to the catalog") {
				t.Error("the catalog does not show the new reward with a notice")
			}
		})
	})
}
