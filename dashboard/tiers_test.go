package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestTiers covers the tiers page and setting a member's tier by hand, on each engine.
func TestTiers(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		svc, tid := s.app.Service, s.tenant.ID

		t.Run("the ladder lists every tier with counts that add up to the members", func(t *testing.T) {
			c := s.client(t)
			c.signIn(s.staff[service.RoleReadOnly])
			p := c.get("/admin/tiers")
			if p.Status != http.StatusOK {
				t.Fatalf("tiers page: %d", p.Status)
			}
			for _, want := range []string{"1. Bronze", "2. Silver", "3. Gold", "x1.5", "free shipping", "points earned in the calendar year"} {
				if !strings.Contains(p.Body, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			total := int64(0)
			for _, m := range regexp.MustCompile(`data-tier="[a-z]*">(?:<a [^>]*>)?([\d,]+)<`).FindAllStringSubmatch(p.Body, -1) {
				n, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
				total += n
			}
			if total != 120 {
				t.Fatalf("tier counts add up to %d, the store has 120 members", total)
			}
			if strings.Contains(p.Body, `id="tiers-form"`) {
				t.Error("a read-only account sees the editor")
			}
		})

		t.Run("the member list filters by tier", func(t *testing.T) {
			c := s.client(t)
			c.signIn(s.staff[service.RoleSupport])
			counts, err := svc.Tiers.Membership(ctx, tid)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]string{"bronze": "Bronze", "silver": "Silver", "gold": "Gold"}
			for _, tier := range []string{"bronze", "silver", "gold"} {
				listed, url := 0, "/admin/members?tier="+tier
				for pages := 0; url != "" && pages < 10; pages++ {
					p := c.get(url)
					rows := section(t, p.Body, "<tbody", "</tbody>")
					listed += strings.Count(rows, `<tr`)
					if strings.Count(rows, "<td>"+names[tier]+"</td>") != strings.Count(rows, `<tr`) {
						t.Errorf("tier %s: not every listed member shows the tier %s", tier, names[tier])
					}
					url = ""
					if m := regexp.MustCompile(`href="(/admin/members\?[^"]*after=[^"]*)"`).FindStringSubmatch(p.Body); m != nil {
						url = strings.ReplaceAll(m[1], "&amp;", "&")
					}
				}
				if int64(listed) != counts[tier] {
					t.Errorf("tier %s: %d listed, %d hold it", tier, listed, counts[tier])
				}
			}
		})

		t.Run("a bad ladder is refused with its problems and nothing is saved", func(t *testing.T) {
			c := s.client(t)
			token := c.signIn(s.staff[service.RoleMarketer])
			before, _ := svc.Tiers.Config(ctx, tid)
			for name, tc := range map[string]struct{ text, want string }{
				"thresholds out of order": {strings.Replace(mustJSON(t, before.Ladder), `"threshold": 3000`, `"threshold": 500`, 1), "tiers[2].threshold"},
				"an unknown field":        {strings.Replace(mustJSON(t, before.Ladder), `"grace_days"`, `"grace_dayz"`, 1), "unknown field"},
				"not JSON":                {"{", "line 1"},
			} {
				p := c.do("POST", "/admin/tiers", url.Values{"csrf": {token}, "tiers": {tc.text}})
				if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="tiers-errors"`) || !strings.Contains(p.Body, tc.want) {
					t.Errorf("%s: %d, want 422 naming %q: %.400s", name, p.Status, tc.want, section(t, p.Body, "<main", "</form>"))
				}
			}
			if after, _ := svc.Tiers.Config(ctx, tid); after.Version != before.Version {
				t.Fatalf("version went from %d to %d", before.Version, after.Version)
			}
		})

		t.Run("a good ladder is saved as a new version", func(t *testing.T) {
			c := s.client(t)
			token := c.signIn(s.staff[service.RoleMarketer])
			before, _ := svc.Tiers.Config(ctx, tid)
			text := strings.Replace(mustJSON(t, before.Ladder), `"threshold": 3000`, `"threshold": 2500`, 1)
			p := c.do("POST", "/admin/tiers", url.Values{"csrf": {token}, "tiers": {text}})
			if p.Status != http.StatusSeeOther {
				t.Fatalf("save: %d %.300s", p.Status, p.Body)
			}
			after, _ := svc.Tiers.Config(ctx, tid)
			if after.Version != before.Version+1 || after.Tiers[2].Threshold != 2500 {
				t.Fatalf("after saving: version %d, gold from %d", after.Version, after.Tiers[2].Threshold)
			}
		})

		t.Run("support sets a member's tier by hand, with a reason", func(t *testing.T) {
			c := s.client(t)
			token := c.signIn(s.staff[service.RoleSupport])
			page := c.get("/admin/members/cust-00004")
			if !strings.Contains(page.Body, `id="tier-form"`) {
				t.Fatal("no tier form for support")
			}
			p := c.do("POST", "/admin/members/cust-00004/tier", url.Values{"csrf": {token}, "tier": {"gold"}, "reason": {""}})
			if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="tier-reason-error"`) {
				t.Fatalf("without a reason: %d", p.Status)
			}
			if st, _ := svc.Tiers.MemberStatus(ctx, tid, "cust-00004"); st.Manual != nil {
				t.Fatal("a refused assignment was saved")
			}
			p = c.do("POST", "/admin/members/cust-00004/tier", url.Values{"csrf": {token}, "tier": {"gold"}, "expires": {"2099-01-31"}, "reason": {"Press partner"}})
			if p.Status != http.StatusSeeOther {
				t.Fatalf("assign: %d %.300s", p.Status, p.Body)
			}
			st, _ := svc.Tiers.MemberStatus(ctx, tid, "cust-00004")
			if st.Tier != "gold" || st.Manual == nil || st.Manual.Until == nil || st.Manual.Until.Year() != 2099 {
				t.Fatalf("status after assigning: %+v", st)
			}
			body := c.get("/admin/members/cust-00004").Body
			if !strings.Contains(body, "Gold (x1.5)") || !strings.Contains(body, "Press partner") {
				t.Errorf("the member page does not show the manual Gold tier")
			}
			entries, err := svc.Tenants.AuditLog(ctx, tid, "", 20)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, a := range entries {
				found = found || (a.Action == "tier.assigned" && strings.HasPrefix(a.Actor, "staff:"))
			}
			if !found {
				t.Error("no tier.assigned entry by a staff member in the audit log")
			}
			// Removing it brings back the earned tier.
			p = c.do("POST", "/admin/members/cust-00004/tier", url.Values{"csrf": {token}, "tier": {""}, "reason": {"Partnership over"}})
			if st, _ := svc.Tiers.MemberStatus(ctx, tid, "cust-00004"); p.Status != http.StatusSeeOther || st.Manual != nil {
				t.Fatalf("remove: %d, manual %+v", p.Status, st.Manual)
			}
		})
	})
}
