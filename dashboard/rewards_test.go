package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestArchiveReward takes a reward out of the catalog from the rewards page.
func TestArchiveReward(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		catalog, _, err := s.app.Service.Rewards.List(ctx, s.tenant.ID, false, "", 10)
		if err != nil || len(catalog) != 3 {
			t.Fatalf("catalog: %v, %d", err, len(catalog))
		}
		mug := catalog[len(catalog)-1]
		support := s.client(t)
		token := support.signIn(s.staff[service.RoleSupport])
		if p := support.do("POST", "/admin/rewards/"+mug.ID+"/archive", url.Values{"csrf": {token}}); p.Status != http.StatusForbidden {
			t.Fatalf("support archiving: %d", p.Status)
		}
		c := s.client(t)
		token = c.signIn(s.staff[service.RoleMarketer])
		if !strings.Contains(c.get("/admin/rewards").Body, `action="/admin/rewards/`+mug.ID+`/archive"`) {
			t.Fatal("no archive button for a marketer")
		}
		if p := c.do("POST", "/admin/rewards/"+mug.ID+"/archive", url.Values{"csrf": {token}}); p.Status != http.StatusSeeOther {
			t.Fatalf("archive: %d %.300s", p.Status, p.Body)
		}
		r, err := s.app.Service.Rewards.Get(ctx, s.tenant.ID, mug.ID)
		if err != nil || r.ArchivedAt == nil {
			t.Fatalf("after archiving: %v, %+v", err, r.ArchivedAt)
		}
		if strings.Contains(section(t, c.get("/admin/rewards").Body, `id="rewards-table"`, "</table>"), mug.Name) {
			t.Error("the archived reward is still listed")
		}
		if p := c.do("POST", "/admin/rewards/rwd_nope/archive", url.Values{"csrf": {token}}); p.Status != http.StatusNotFound {
			t.Errorf("an unknown reward: %d", p.Status)
		}
	})
}
