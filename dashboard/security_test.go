package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/dashboard"
	"github.com/tenure-loyalty/tenure/segments"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestSecurity drives the dashboard over plain HTTP, as a browser or an attacker's page
// would, on every storage engine.
func TestSecurity(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)

		t.Run("pages need a session and sign-in leads back", func(t *testing.T) {
			c := s.client(t)
			p := c.get("/admin/members?q=vip")
			if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/login?next=") {
				t.Fatalf("anonymous GET: %d %q", p.Status, p.Location)
			}
			if p := c.do("POST", "/admin/members/cust-00001/adjust", url.Values{"amount": {"5"}, "reason": {"x"}}); p.Status != http.StatusUnauthorized {
				t.Fatalf("anonymous POST: %d", p.Status)
			}
			if p := c.get("/"); p.Status != http.StatusFound || p.Location != "/admin/" {
				t.Fatalf("/ should redirect to the dashboard: %d %q", p.Status, p.Location)
			}
		})

		t.Run("wrong password and unknown email are refused alike", func(t *testing.T) {
			c := s.client(t)
			for _, email := range []string{s.staff[service.RoleOwner], "nobody@shop.example"} {
				form := c.get("/admin/login")
				p := c.do("POST", "/admin/login", url.Values{"email": {email}, "password": {"not the password"}, "csrf": {csrf(t, form)}})
				if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "Wrong email or password") {
					t.Fatalf("%s: %d %.200s", email, p.Status, p.Body)
				}
				if c.cookie("tenure_session") != "" {
					t.Fatal("a failed sign-in set a session")
				}
			}
		})

		t.Run("repeated wrong passwords lock the email out, even with the right one", func(t *testing.T) {
			ctx := context.Background()
			email := "guessed-" + e.Name + "@shop.example"
			if _, _, err := s.app.Service.Access.CreateStaff(ctx, s.tenant.ID, "test", service.NewStaff{Email: email, Name: "Guessed", Role: service.RoleSupport, Password: password}); err != nil {
				t.Fatal(err)
			}
			c := s.client(t)
			try := func(pw string) page {
				form := c.get("/admin/login")
				return c.do("POST", "/admin/login", url.Values{"email": {email}, "password": {pw}, "csrf": {csrf(t, form)}})
			}
			for i := range 5 {
				if p := try("guess " + strconv.Itoa(i)); p.Status != http.StatusUnauthorized {
					t.Fatalf("guess %d: %d", i, p.Status)
				}
			}
			p := try(password)
			if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, "Too many failed sign-ins") {
				t.Fatalf("sixth attempt: %d, Retry-After %q", p.Status, p.Header.Get("Retry-After"))
			}
			if c.cookie("tenure_session") != "" {
				t.Fatal("a throttled sign-in set a session")
			}
			// Other accounts are not locked out by it.
			other := s.client(t)
			other.signIn(s.staff[service.RoleSupport])
			if other.cookie("tenure_session") == "" {
				t.Fatal("another email could not sign in")
			}
		})

		t.Run("sign-in without the form's token is refused (login CSRF)", func(t *testing.T) {
			c := s.client(t)
			p := c.do("POST", "/admin/login", url.Values{"email": {s.staff[service.RoleOwner]}, "password": {password}})
			if p.Status != http.StatusForbidden || c.cookie("tenure_session") != "" {
				t.Fatalf("forged sign-in: %d, session %q", p.Status, c.cookie("tenure_session"))
			}
		})

		t.Run("a session id set before sign-in is not the one after (fixation)", func(t *testing.T) {
			// The attacker signs in, then plants her own valid session id in the victim's browser.
			attacker := s.client(t)
			attacker.signIn(s.staff[service.RoleReadOnly])
			planted := attacker.cookie("tenure_session")
			victim := s.client(t)
			victim.setCookie("tenure_session", planted)
			victim.signIn(s.staff[service.RoleOwner])
			got := victim.cookie("tenure_session")
			if got == "" || got == planted {
				t.Fatalf("session after sign-in %q, planted %q", got, planted)
			}
			if p := attacker.get("/admin/"); p.Status != http.StatusSeeOther {
				t.Fatalf("the planted session still works after the victim signed in: %d", p.Status)
			}
			// A made-up id is never adopted either.
			other := s.client(t)
			other.setCookie("tenure_session", "chosen-by-the-attacker")
			other.signIn(s.staff[service.RoleSupport])
			if other.cookie("tenure_session") == "chosen-by-the-attacker" {
				t.Fatal("a chosen session id was kept")
			}
		})

		t.Run("a POST without or with a wrong CSRF token is refused", func(t *testing.T) {
			c := s.client(t)
			token := c.signIn(s.staff[service.RoleOwner])
			others := s.client(t).signIn(s.staff[service.RoleSupport])
			before := s.fingerprint()
			adjust := url.Values{"wallet": {"points"}, "amount": {"25"}, "reason": {"csrf test"}}
			for name, tok := range map[string]string{"missing": "", "wrong": otherFirst(token), "another session's": others} {
				f := url.Values{}
				for k, v := range adjust {
					f[k] = v
				}
				if tok != "" {
					f.Set("csrf", tok)
				}
				p := c.do("POST", "/admin/members/cust-00001/adjust", f)
				if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "security token") {
					t.Errorf("%s token: %d %.200s", name, p.Status, p.Body)
				}
			}
			if after := s.fingerprint(); after != before {
				t.Fatal("a refused POST wrote something")
			}
			// The right token, in the form or the header, works.
			adjust.Set("csrf", token)
			if p := c.do("POST", "/admin/members/cust-00001/adjust", adjust); p.Status != http.StatusSeeOther {
				t.Fatalf("with the token: %d %.300s", p.Status, p.Body)
			}
			adjust.Del("csrf")
			if p := c.do("POST", "/admin/members/cust-00001/adjust", adjust, "X-CSRF-Token", token); p.Status != http.StatusSeeOther {
				t.Fatalf("with the header: %d", p.Status)
			}
		})

		t.Run("a cross-site POST is refused even with the token", func(t *testing.T) {
			c := s.client(t)
			token := c.signIn(s.staff[service.RoleOwner])
			f := url.Values{"csrf": {token}, "name": {"evil"}, "scope": {"admin"}}
			if p := c.do("POST", "/admin/settings/keys", f, "Origin", "https://evil.example"); p.Status != http.StatusForbidden {
				t.Fatalf("foreign Origin: %d", p.Status)
			}
			if p := c.do("POST", "/admin/settings/keys", f, "Sec-Fetch-Site", "cross-site"); p.Status != http.StatusForbidden {
				t.Fatalf("cross-site fetch: %d", p.Status)
			}
		})

		t.Run("cookies are HttpOnly and SameSite, Secure behind TLS", func(t *testing.T) {
			c := s.client(t)
			form := c.get("/admin/login")
			req, _ := http.NewRequest("POST", s.url+"/admin/login", strings.NewReader(url.Values{"email": {s.staff[service.RoleOwner]},
				"password": {password}, "csrf": {csrf(t, form)}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-Proto", "https")
			req.AddCookie(&http.Cookie{Name: "tenure_login", Value: c.cookie("tenure_login")})
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var found bool
			for _, k := range resp.Cookies() {
				if k.Name == "tenure_session" && k.Value != "" {
					found = true
					if !k.HttpOnly || !k.Secure || k.SameSite != http.SameSiteLaxMode || k.Path != "/admin/" {
						t.Fatalf("session cookie %+v", k)
					}
				}
			}
			if !found {
				t.Fatal("no session cookie")
			}
		})

		t.Run("sign-out ends the session on the server", func(t *testing.T) {
			c := s.client(t)
			token := c.signIn(s.staff[service.RoleSupport])
			old := c.cookie("tenure_session")
			if p := c.do("POST", "/admin/logout", url.Values{"csrf": {token}}); p.Status != http.StatusSeeOther {
				t.Fatalf("logout: %d", p.Status)
			}
			replay := s.client(t)
			replay.setCookie("tenure_session", old)
			if p := replay.get("/admin/"); p.Status != http.StatusSeeOther {
				t.Fatalf("the old session id still works: %d", p.Status)
			}
		})

		t.Run("a marketer cannot open staff settings, keys or the audit log", func(t *testing.T) {
			c := s.client(t)
			c.signIn(s.staff[service.RoleMarketer])
			for _, path := range []string{"/admin/settings/staff", "/admin/settings/keys", "/admin/settings/webhooks", "/admin/settings/audit", "/admin/settings"} {
				if p := c.get(path); p.Status != http.StatusForbidden {
					t.Errorf("%s: %d", path, p.Status)
				}
			}
			if p := c.get("/admin/program"); p.Status != http.StatusOK {
				t.Errorf("program: %d", p.Status)
			}
		})

		t.Run("the sign-in page sends nowhere but the dashboard", func(t *testing.T) {
			c := s.client(t)
			form := c.get("/admin/login?next=//evil.example/x")
			p := c.do("POST", "/admin/login", url.Values{"email": {s.staff[service.RoleOwner]}, "password": {password},
				"csrf": {csrf(t, form)}, "next": {"//evil.example/x"}})
			if p.Location != "/admin/" {
				t.Fatalf("redirected to %q", p.Location)
			}
		})

		t.Run("read-only staff cannot change anything: every mutating route", func(t *testing.T) {
			walkMutatingRoutes(t, s)
		})
	})
}

// walkMutatingRoutes posts a valid request to every mutating route of the dashboard as a
// read-only staff member and expects 403 and no write; then, as a control, the same
// requests as the owner succeed and do write.
func walkMutatingRoutes(t *testing.T, s *server) {
	ctx := context.Background()
	tid := s.tenant.ID
	keys, err := s.app.Service.Access.Keys(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	hook, err := s.app.Service.Webhooks.Create(ctx, tid, "test", service.WebhookInput{URL: "http://127.0.0.1:9/hook"})
	if err != nil {
		t.Fatal(err)
	}
	staff, err := s.app.Service.Access.StaffList(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	var support string
	for _, st := range staff {
		if st.Role == service.RoleSupport {
			support = st.ID
		}
	}
	member, err := s.app.Service.Members.Get(ctx, tid, "cust-00003")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := s.app.Service.Rules.Current(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	rulesJSON := mustJSON(t, rules.Set)
	catalog, _, err := s.app.Service.Rewards.List(ctx, tid, false, "", 10)
	if err != nil || len(catalog) == 0 {
		t.Fatalf("the demo catalog: %v, %d rewards", err, len(catalog))
	}
	if _, err := s.app.Service.Segments.Save(ctx, tid, "test", segments.Definition{Key: "walk-doomed", Name: "Doomed", Condition: "member.frequency >= 1"}); err != nil {
		t.Fatal(err)
	}
	ladder, err := s.app.Service.Tiers.Config(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	ladder.GraceDays++ // a real change, so that the owner's save writes a version
	ladderJSON := mustJSON(t, ladder.Ladder)
	// One valid request per mutating route. A new route must be added here, or this test fails.
	requests := map[string]struct {
		path string
		form url.Values
	}{
		"/admin/members/{id}/adjust":                  {"/admin/members/" + member.ID + "/adjust", url.Values{"wallet": {"points"}, "amount": {"40"}, "reason": {"walk"}}},
		"/admin/members/{id}/tier":                    {"/admin/members/" + member.ID + "/tier", url.Values{"tier": {"gold"}, "reason": {"walk"}}},
		"/admin/tiers":                                {"/admin/tiers", url.Values{"tiers": {ladderJSON}}},
		"/admin/campaigns":                            {"/admin/campaigns", url.Values{"name": {"Walk"}, "effect": {"multiplier"}, "multiplier": {"2"}}},
		"/admin/segments":                             {"/admin/segments", url.Values{"key": {"walkers"}, "name": {"Walkers"}, "condition": {"member.frequency >= 2"}}},
		"/admin/segments/refresh":                     {"/admin/segments/refresh", url.Values{}},
		"/admin/segments/{key}/delete":                {"/admin/segments/walk-doomed/delete", url.Values{}},
		"/admin/campaigns/{id}/end":                   {"/admin/campaigns/weekend/end", url.Values{}},
		"/admin/program/rules":                        {"/admin/program/rules", url.Values{"rules": {rulesJSON}}},
		"/admin/program/dry-run":                      {"/admin/program/dry-run", url.Values{"rules": {rulesJSON}, "event": {`{"id":"x","type":"order.paid","customer_id":"c","order":{"id":"o","lines":[{"quantity":1,"unit_price":10000}]}}`}}},
		"/admin/program/backtest":                     {"/admin/program/backtest", url.Values{"rules": {rulesJSON}, "from": {time.Now().AddDate(-1, 0, 0).Format(time.DateOnly)}, "to": {time.Now().Format(time.DateOnly)}}},
		"/admin/program/versions/{version}/restore":   {"/admin/program/versions/1/restore", url.Values{}},
		"/admin/rewards":                              {"/admin/rewards", url.Values{"name": {"Mug"}, "type": {"free_shipping"}, "cost": {"100"}}},
		"/admin/rewards/{id}/archive":                 {"/admin/rewards/" + catalog[0].ID + "/archive", url.Values{}},
		"/admin/rewards/{id}":                         {"/admin/rewards/" + catalog[0].ID, url.Values{"name": {"Mug"}, "type": {"free_shipping"}, "cost": {"120"}}},
		"/admin/program/settings":                     {"/admin/program/settings", url.Values{"name": {"Walk"}, "currency": {"PLN"}, "points_per_unit": {"1"}, "available_on": {"payment"}, "return_window_days": {"14"}, "expiry_mode": {"never"}, "negative_balance": {"cap"}, "point_value": {"0,10"}, "time_zone": {"Europe/Warsaw"}}},
		"/admin/campaigns/preview":                    {"/admin/campaigns/preview", url.Values{"name": {"Walk"}, "effect": {"multiplier"}, "multiplier": {"2"}, "sample_amount": {"120"}, "sample_at": {"2030-01-01T12:00"}}},
		"/admin/settings/keys":                        {"/admin/settings/keys", url.Values{"name": {"walk"}, "scope": {"read_only"}}},
		"/admin/settings/keys/{id}/revoke":            {"/admin/settings/keys/" + keys[0].ID + "/revoke", url.Values{}},
		"/admin/settings/webhooks":                    {"/admin/settings/webhooks", url.Values{"url": {"http://127.0.0.1:9/other"}}},
		"/admin/settings/deliveries/{id}/replay":      {"", nil}, // filled below: needs a finished delivery
		"/admin/settings/staff":                       {"/admin/settings/staff", url.Values{"email": {"new@shop.example"}, "role": {"support"}}},
		"/admin/settings/shops/{platform}":            {"/admin/settings/shops/shopify", url.Values{"domain": {"walk.myshopify.com"}, "webhook_secret": {"walk"}}},
		"/admin/settings/shops/{platform}/disconnect": {"/admin/settings/shops/shopify/disconnect", url.Values{}},
		"/admin/settings/staff/{id}/role":             {"/admin/settings/staff/" + support + "/role", url.Values{"role": {"marketer"}}},
		"/admin/settings/staff/{id}/deactivate":       {"/admin/settings/staff/" + support + "/deactivate", url.Values{}},
		"/admin/settings/staff/{id}/reset-password":   {"/admin/settings/staff/" + support + "/reset-password", url.Values{}},
	}
	if _, _, err := s.app.Tick(ctx); err != nil { // deliver (and fail) the webhook's messages
		t.Fatal(err)
	}
	ds, _, err := s.app.Service.Webhooks.Deliveries(ctx, tid, hook.ID, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	replay := requests["/admin/settings/deliveries/{id}/replay"]
	if len(ds) > 0 {
		replay.path = "/admin/settings/deliveries/" + ds[0].ID + "/replay"
	} else {
		replay.path = "/admin/settings/deliveries/dlv_none/replay"
	}
	replay.form = url.Values{}
	requests["/admin/settings/deliveries/{id}/replay"] = replay

	routes := dashboard.New(s.app.Service, nil).MutatingRoutes()
	if len(routes) < len(requests) {
		t.Fatalf("the route table lists %d mutating routes, the walk knows %d", len(routes), len(requests))
	}
	reader := s.client(t)
	token := reader.signIn(s.staff[service.RoleReadOnly])
	before := s.fingerprint()
	for _, rt := range routes {
		rq, ok := requests[rt[1]]
		if !ok {
			t.Errorf("route %s %s is not in the walk: add a valid request for it", rt[0], rt[1])
			continue
		}
		f := url.Values{"csrf": {token}}
		for k, v := range rq.form {
			f[k] = v
		}
		p := reader.do(rt[0], rq.path, f)
		if p.Status != http.StatusForbidden {
			t.Errorf("read-only %s %s: %d, want 403", rt[0], rq.path, p.Status)
		}
	}
	if after := s.fingerprint(); after != before {
		t.Fatalf("read-only requests wrote something:\nbefore %s\nafter  %s", before, after)
	}

	// Control: the owner's identical requests are allowed, so the 403s above were the role.
	owner := s.client(t)
	token = owner.signIn(s.staff[service.RoleOwner])
	for _, rt := range routes {
		rq := requests[rt[1]]
		f := url.Values{"csrf": {token}}
		for k, v := range rq.form {
			f[k] = v
		}
		p := owner.do(rt[0], rq.path, f)
		if p.Status != http.StatusOK && p.Status != http.StatusSeeOther && !(p.Status == http.StatusNotFound && len(ds) == 0) {
			t.Errorf("owner %s %s: %d %.300s", rt[0], rq.path, p.Status, p.Body)
		}
	}
	if after := s.fingerprint(); after == before {
		t.Fatal("the owner's requests wrote nothing: the walk proves nothing")
	}
}

// otherFirst returns s with its first character changed, so that it is surely different.
func otherFirst(s string) string {
	if strings.HasPrefix(s, "x") {
		return "y" + s[1:]
	}
	return "x" + s[1:]
}
