package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestRestoreRules rolls the rules back to an earlier version from the program page: the
// old set is saved again as a new version, on each engine.
func TestRestoreRules(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		svc, tid := s.app.Service, s.tenant.ID
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleMarketer])
		v1, err := svc.Rules.Current(ctx, tid)
		if err != nil {
			t.Fatal(err)
		}
		// A campaign makes version 2; restoring version 1 makes version 3, equal to 1.
		if p := c.do("POST", "/admin/campaigns", url.Values{"csrf": {token}, "name": {"Flash sale"}, "effect": {"multiplier"}, "multiplier": {"3"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("campaign: %d", p.Status)
		}
		page := c.get("/admin/program").Body
		if !strings.Contains(page, `action="/admin/program/versions/`+strconv.FormatInt(v1.Version, 10)+`/restore"`) {
			t.Fatal("no restore button for the earlier version")
		}
		p := c.do("POST", "/admin/program/versions/"+strconv.FormatInt(v1.Version, 10)+"/restore", url.Values{"csrf": {token}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("restore: %d %.300s", p.Status, p.Body)
		}
		now, _ := svc.Rules.Current(ctx, tid)
		if now.Version != v1.Version+2 || !reflect.DeepEqual(now.Rules, v1.Rules) {
			t.Fatalf("after restoring: version %d, %d rules (version 1 had %d)", now.Version, len(now.Rules), len(v1.Rules))
		}
		for _, bad := range []string{"999", "x"} {
			if p := c.do("POST", "/admin/program/versions/"+bad+"/restore", url.Values{"csrf": {token}}); p.Status != http.StatusNotFound {
				t.Errorf("restore %s: %d", bad, p.Status)
			}
		}
	})
}
