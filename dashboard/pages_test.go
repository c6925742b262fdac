package dashboard_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestPages opens every page as each role over plain HTTP: what each may see, and that
// forms appear only for those who may use them.
func TestPages(t *testing.T) {
	s := start(t, storagetest.Engines(t)[0])
	ctx := context.Background()
	hook, err := s.app.Service.Webhooks.Create(ctx, s.tenant.ID, "test", service.WebhookInput{URL: "http://127.0.0.1:9/hook"})
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"/admin/", "/admin/members", "/admin/members/cust-00001", "/admin/program", "/admin/rewards", "/admin/campaigns", "/admin/tiers", "/admin/segments", "/admin/analytics",
		"/admin/settings/keys", "/admin/settings/webhooks", "/admin/settings/webhooks/" + hook.ID, "/admin/settings/staff", "/admin/settings/audit"}
	allowed := map[service.Role]int{service.RoleOwner: len(pages), service.RoleMarketer: 9, service.RoleSupport: 9, service.RoleReadOnly: 9}
	for role, n := range allowed {
		t.Run(string(role), func(t *testing.T) {
			c := s.client(t)
			c.signIn(s.staff[role])
			for i, p := range pages {
				want := http.StatusOK
				if i >= n {
					want = http.StatusForbidden
				}
				if got := c.get(p); got.Status != want {
					t.Errorf("%s: %d, want %d", p, got.Status, want)
				}
			}
			member := c.get("/admin/members/cust-00001").Body
			for _, want := range []string{`id="standing-tier"`, `id="standing-lifecycle"`, `id="standing-clv"`, "R", "probability active"} {
				if !strings.Contains(member, want) {
					t.Errorf("the member's standing lacks %q", want)
				}
			}
			if has := strings.Contains(member, `id="adjust-form"`); has != role.Can(service.PermAdjustPoints) {
				t.Errorf("adjust form shown: %v", has)
			}
			program := c.get("/admin/program").Body
			if has := strings.Contains(program, `formaction="/admin/program/rules"`); has != role.Can(service.PermEditProgram) {
				t.Errorf("save rules button shown: %v", has)
			}
			if has := strings.Contains(c.get("/admin/").Body, `href="/admin/settings"`); has != (role == service.RoleOwner) {
				t.Errorf("settings in the menu: %v", has)
			}
		})
	}

	t.Run("members are listed in pages and found by email, id or tag", func(t *testing.T) {
		c := s.client(t)
		c.signIn(s.staff[service.RoleSupport])
		first := c.get("/admin/members")
		next := regexp.MustCompile(`href="(/admin/members\?after=[^"]+)" rel="next"`).FindStringSubmatch(first.Body)
		if next == nil || strings.Count(first.Body, `<a href="/admin/members/mem_`) != 25 {
			t.Fatalf("first page: %d rows, next %v", strings.Count(first.Body, `<a href="/admin/members/mem_`), next)
		}
		second := c.get(strings.ReplaceAll(next[1], "&amp;", "&"))
		rows := regexp.MustCompile(`<a href="/admin/members/(mem_\w+)">`)
		seen := map[string]bool{}
		for _, m := range rows.FindAllStringSubmatch(first.Body, -1) {
			seen[m[1]] = true
		}
		more := rows.FindAllStringSubmatch(second.Body, -1)
		if len(more) == 0 {
			t.Fatal("the second page is empty")
		}
		for _, m := range more {
			if seen[m[1]] {
				t.Errorf("%s is on both pages", m[1])
			}
		}
		m, err := s.app.Service.Members.Get(ctx, s.tenant.ID, "cust-00007")
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]string{m.Email: "email", "cust-00007": "your customer id", "vip": "tag", m.ID: "Tenure id"} {
			p := c.get("/admin/members?q=" + q)
			if !strings.Contains(p.Body, "matched by "+want) {
				t.Errorf("search %q: %.300s", q, p.Body)
			}
		}
		if p := c.get("/admin/members?q=nobody@nowhere.example"); !strings.Contains(p.Body, "No member matches") {
			t.Errorf("no match: %.300s", p.Body)
		}
		if p := c.get("/admin/members/cust-99999"); p.Status != http.StatusNotFound {
			t.Errorf("unknown member: %d", p.Status)
		}
		if p := c.get("/admin/no-such-page"); p.Status != http.StatusNotFound {
			t.Errorf("unknown page: %d", p.Status)
		}
	})

	t.Run("a store's first overview does not wait for its analytics", func(t *testing.T) {
		tn, _, err := s.app.Service.Tenants.Create(ctx, "Fresh store")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.app.Service.Access.CreateStaff(ctx, tn.ID, "test", service.NewStaff{Email: "fresh@shop.example", Name: "Fresh", Role: service.RoleOwner, Password: password}); err != nil {
			t.Fatal(err)
		}
		c := s.client(t)
		c.signIn("fresh@shop.example")
		if p := c.get("/admin/"); p.Status != http.StatusOK || !strings.Contains(p.Body, "being computed now") {
			t.Fatalf("first overview: %d, no note that analytics are on their way", p.Status)
		}
		// The background computation lands; then the note goes.
		for deadline := time.Now().Add(time.Minute); s.app.Service.Reports.ReadySnapshot(ctx, tn.ID, time.Hour) == nil; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no snapshot within a minute")
			}
		}
		if p := c.get("/admin/"); strings.Contains(p.Body, "being computed now") {
			t.Fatal("the note stays after the analytics were computed")
		}
	})
}
