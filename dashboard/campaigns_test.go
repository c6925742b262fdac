package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestCampaigns lists the demo's weekend campaign, adds campaigns from the form, refuses
// bad ones field by field, and ends one, on each engine.
func TestCampaigns(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		svc, tid := s.app.Service, s.tenant.ID
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleMarketer])
		loc, _ := time.LoadLocation("Europe/Warsaw")
		local := func(t time.Time) string { return t.In(loc).Format("2006-01-02T15:04") }
		now := time.Now()

		t.Run("the weekend campaign is listed with its state now", func(t *testing.T) {
			p := c.get("/admin/campaigns")
			if p.Status != http.StatusOK || !strings.Contains(p.Body, `id="campaign-weekend"`) || !strings.Contains(p.Body, "x2 points on base") {
				t.Fatalf("campaigns page: %d", p.Status)
			}
			want := "outside its hours"
			if wd := now.In(loc).Weekday(); wd == time.Saturday || wd == time.Sunday {
				want = "running"
			}
			if row := section(t, p.Body, `id="campaign-weekend"`, "</tr>"); !strings.Contains(row, `data-status="`+want+`"`) || !strings.Contains(row, "10% held out") {
				t.Errorf("the weekend campaign's row, want %q: %s", want, row)
			}
		})

		t.Run("bad campaigns name their fields and save nothing", func(t *testing.T) {
			before, _ := svc.Rules.Current(ctx, tid)
			for name, tc := range map[string]struct {
				form  url.Values
				field string
			}{
				"no name":               {url.Values{"effect": {"multiplier"}, "multiplier": {"2"}}, "name"},
				"a multiplier of 1":     {url.Values{"name": {"x"}, "effect": {"multiplier"}, "multiplier": {"1"}}, "multiplier"},
				"ends before it starts": {url.Values{"name": {"x"}, "effect": {"multiplier"}, "multiplier": {"2"}, "starts": {local(now.Add(48 * time.Hour))}, "ends": {local(now)}}, "ends"},
				"a bonus of nothing":    {url.Values{"name": {"x"}, "effect": {"bonus"}, "bonus": {"0"}}, "bonus"},
				"an unknown day":        {url.Values{"name": {"x"}, "effect": {"multiplier"}, "multiplier": {"2"}, "days": {"fri", "someday"}}, "days"},
				"hours the wrong way":   {url.Values{"name": {"x"}, "effect": {"multiplier"}, "multiplier": {"2"}, "from_hour": {"18"}, "to_hour": {"9"}}, "hours"},
			} {
				tc.form.Set("csrf", token)
				p := c.do("POST", "/admin/campaigns", tc.form)
				if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="err-`+tc.field+`"`) {
					t.Errorf("%s: %d, want 422 with an error on %s: %.300s", name, p.Status, tc.field, section(t, p.Body, `id="new-title"`, "</form>"))
				}
			}
			if after, _ := svc.Rules.Current(ctx, tid); after.Version != before.Version {
				t.Fatalf("rules went from version %d to %d", before.Version, after.Version)
			}
		})

		t.Run("a multiplier and a bonus campaign are added as rules", func(t *testing.T) {
			before, _ := svc.Rules.Current(ctx, tid)
			p := c.do("POST", "/admin/campaigns", url.Values{"csrf": {token}, "name": {"Black Friday"}, "effect": {"multiplier"}, "multiplier": {"3"},
				"starts": {local(now.Add(-time.Hour))}, "ends": {local(now.Add(72 * time.Hour))}})
			if p.Status != http.StatusSeeOther {
				t.Fatalf("multiplier: %d %.300s", p.Status, p.Body)
			}
			p = c.do("POST", "/admin/campaigns", url.Values{"csrf": {token}, "name": {"Spring bonus"}, "effect": {"bonus"}, "bonus": {"50"},
				"min_order": {"150"}, "budget": {"5000"}, "starts": {local(now.Add(30 * 24 * time.Hour))}, "holdout": {"10"}})
			if p.Status != http.StatusSeeOther {
				t.Fatalf("bonus: %d %.300s", p.Status, p.Body)
			}
			after, _ := svc.Rules.Current(ctx, tid)
			if after.Version != before.Version+2 || len(after.Rules) != len(before.Rules)+2 {
				t.Fatalf("version %d -> %d, rules %d -> %d", before.Version, after.Version, len(before.Rules), len(after.Rules))
			}
			bf, spring := after.Rules[len(after.Rules)-2], after.Rules[len(after.Rules)-1]
			if bf.ID != "campaign.black-friday" || bf.Kind != rules.KindMultiplier || bf.Multiplier != 30000 {
				t.Errorf("black friday: %+v", bf)
			}
			if spring.Kind != rules.KindAction || spring.Points != 50 || spring.Budget != 5000 || spring.Holdout != 1000 || spring.Condition != "order.subtotal >= 15000" {
				t.Errorf("spring bonus: %+v", spring)
			}
			page := c.get("/admin/campaigns").Body
			if !strings.Contains(section(t, page, `id="campaign-campaign.black-friday"`, "</tr>"), `data-status="running"`) ||
				!strings.Contains(section(t, page, `id="campaign-campaign.spring-bonus"`, "</tr>"), `data-status="scheduled"`) {
				t.Error("the new campaigns are not shown as running and scheduled")
			}
		})

		t.Run("ending a campaign saves it with an end, once", func(t *testing.T) {
			p := c.do("POST", "/admin/campaigns/campaign.black-friday/end", url.Values{"csrf": {token}})
			if p.Status != http.StatusSeeOther {
				t.Fatalf("end: %d", p.Status)
			}
			if row := section(t, c.get("/admin/campaigns").Body, `id="campaign-campaign.black-friday"`, "</tr>"); !strings.Contains(row, `data-status="ended"`) {
				t.Fatalf("after ending: %s", row)
			}
			if p := c.do("POST", "/admin/campaigns/campaign.black-friday/end", url.Values{"csrf": {token}}); p.Status != http.StatusConflict {
				t.Errorf("ending twice: %d", p.Status)
			}
			if p := c.do("POST", "/admin/campaigns/base/end", url.Values{"csrf": {token}}); p.Status != http.StatusNotFound {
				t.Errorf("ending a rule that is no campaign: %d", p.Status)
			}
		})

		t.Run("cancelling a scheduled campaign keeps its window in the history", func(t *testing.T) {
			before, _ := svc.Rules.Current(ctx, tid)
			if row := section(t, c.get("/admin/campaigns").Body, `id="campaign-campaign.spring-bonus"`, "</tr>"); !strings.Contains(row, ">Cancel</button>") || strings.Contains(row, "End now") {
				t.Fatalf("a scheduled campaign offers: %s", row)
			}
			p := c.do("POST", "/admin/campaigns/campaign.spring-bonus/end", url.Values{"csrf": {token}})
			if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "campaign-cancelled") {
				t.Fatalf("cancel: %d %s", p.Status, p.Location)
			}
			after, _ := svc.Rules.Current(ctx, tid)
			if after.Version != before.Version+1 || len(after.Rules) != len(before.Rules)-1 {
				t.Fatalf("version %d -> %d, rules %d -> %d", before.Version, after.Version, len(before.Rules), len(after.Rules))
			}
			page := c.get("/admin/campaigns").Body
			if strings.Contains(page, `id="campaign-campaign.spring-bonus"`) {
				t.Error("the cancelled campaign is still listed")
			}
			// The saved version before holds the campaign with the window it was given.
			for _, r := range before.Rules {
				if r.ID == "campaign.spring-bonus" && (r.StartsAt == nil || r.EndsAt != nil || r.StartsAt.Before(now.Add(29*24*time.Hour))) {
					t.Errorf("the campaign's window was changed before cancelling: %v to %v", r.StartsAt, r.EndsAt)
				}
			}
		})
	})
}
