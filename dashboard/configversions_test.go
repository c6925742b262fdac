package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

var versionRE = regexp.MustCompile(`name="version" value="([0-9]*)"`)

// formVersionOf returns the hidden version of the form on a page.
func formVersionOf(t *testing.T, p page) string {
	t.Helper()
	m := versionRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no version field on the page (%d): %.300s", p.Status, p.Body)
	}
	return m[1]
}

// race posts two forms at the same moment and checks that exactly one is saved (303) and
// the other refused with 409 and what to do; it returns which one was saved (0 or 1).
func race(t *testing.T, c *client, path string, forms [2]url.Values) int {
	t.Helper()
	var pages [2]page
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { pages[i] = c.do("POST", path, forms[i]) })
	}
	wg.Wait()
	for i, lost := range []int{1, 0} {
		if pages[i].Status == http.StatusSeeOther && pages[lost].Status == http.StatusConflict {
			if !strings.Contains(pages[lost].Body, "reload") {
				t.Errorf("the refused save does not say what to do: %.500s", pages[lost].Body)
			}
			return i
		}
	}
	t.Fatalf("two saves of %s from the same version answered %d and %d, want one 303 and one 409", path, pages[0].Status, pages[1].Status)
	return -1
}

// Two staff who opened the tiers editor at the same version save at the same moment: one
// ladder is saved, the other gets 409 and nothing of it is stored.
func TestTiersEditConflict(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleMarketer])
		version := formVersionOf(t, c.get("/admin/tiers"))
		ladder := func(name string) string {
			return `{"metric":"spend","window":"lifetime","tiers":[{"key":"gold","name":"` + name + `","threshold":100000}]}`
		}
		names := [2]string{"Gold of Anna", "Gold of Ben"}
		won := race(t, c, "/admin/tiers", [2]url.Values{
			{"csrf": {token}, "version": {version}, "tiers": {ladder(names[0])}},
			{"csrf": {token}, "version": {version}, "tiers": {ladder(names[1])}},
		})
		cfg, err := s.app.Service.Tiers.Config(context.Background(), s.tenant.ID)
		if err != nil || len(cfg.Tiers) != 1 || cfg.Tiers[0].Name != names[won] {
			t.Fatalf("stored after the race: %+v %v, want %q", cfg.Tiers, err, names[won])
		}
		if got := formVersionOf(t, c.get("/admin/tiers")); got == version {
			t.Fatalf("the editor still offers version %s after a save", got)
		}
	})
}

// The segment form carries the segment's version: two staff adding the same segment, or
// editing it from the same version, cannot overwrite each other.
func TestSegmentEditConflict(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleMarketer])
		if v := formVersionOf(t, c.get("/admin/segments")); v != "0" {
			t.Fatalf("the new-segment form has version %q, want 0", v)
		}
		form := func(version, name string) url.Values {
			return url.Values{"csrf": {token}, "version": {version}, "key": {"regulars"}, "name": {name}, "condition": {"member.frequency >= 3"}}
		}
		names := [2]string{"Regulars (Anna)", "Regulars (Ben)"}
		won := race(t, c, "/admin/segments", [2]url.Values{form("0", names[0]), form("0", names[1])})

		edit := c.get("/admin/segments?edit=regulars")
		v := formVersionOf(t, edit)
		if v != "1" || !strings.Contains(edit.Body, names[won]) {
			t.Fatalf("the edit form: version %q, want 1 with %q", v, names[won])
		}
		won = race(t, c, "/admin/segments", [2]url.Values{form(v, "Regulars, renamed by Anna"), form(v, "Regulars, renamed by Ben")})
		list, err := s.app.Service.Segments.List(context.Background(), s.tenant.ID)
		want := []string{"Regulars, renamed by Anna", "Regulars, renamed by Ben"}[won]
		if err != nil || len(list) != 1 || list[0].Name != want || list[0].Version != 2 {
			t.Fatalf("stored after the second race: %+v %v, want %q at version 2", list, err, want)
		}
	})
}

// Two staff who opened the same reward save it at the same moment: one name is stored,
// the other save gets 409 and changes nothing.
func TestRewardEditConflict(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		rw, err := s.app.Service.Rewards.Create(ctx, s.tenant.ID, "test", rewards.RewardDefinition{Name: "Free delivery", Type: rewards.FreeShipping, Cost: 100})
		if err != nil {
			t.Fatal(err)
		}
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleMarketer])
		path := "/admin/rewards/" + rw.ID
		version := formVersionOf(t, c.get(path))
		names := [2]string{"Delivery on Anna", "Delivery on Ben"}
		form := func(name string) url.Values {
			return url.Values{"csrf": {token}, "version": {version}, "name": {name}, "type": {"free_shipping"}, "cost": {"100"}}
		}
		won := race(t, c, path, [2]url.Values{form(names[0]), form(names[1])})
		got, err := s.app.Service.Rewards.Get(ctx, s.tenant.ID, rw.ID)
		if err != nil || got.Name != names[won] {
			t.Fatalf("stored after the race: %q %v, want %q", got.Name, err, names[won])
		}
		if formVersionOf(t, c.get(path)) == version {
			t.Fatalf("the editor still offers version %s after a save", version)
		}
	})
}
