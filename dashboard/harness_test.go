package dashboard_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// server is a Tenure app on 127.0.0.1:0 holding a small demo store (the same generator
// and replay as `tenure demo`) and one staff account per role.
type server struct {
	t      testing.TB
	app    *app.App
	url    string
	tenant tenure.Tenant
	key    string                  // the tenant's admin API key
	staff  map[service.Role]string // role -> email; every password is password
}

const password = "correct horse battery staple"

// start builds the demo store on engine e and serves it, with one staff account per role
// and a customer tagged vip. Customers and months are kept small so that the whole history
// replays in a second or two; members do not redeem, so balances are what they earned.
func start(t testing.TB, e storagetest.Engine) *server {
	t.Helper()
	ctx := context.Background()
	d := apptest.ServeDemo(t, e, apptest.DemoOptions{Customers: 120, Months: 8, Seed: 7})
	a := d.App
	s := &server{t: t, app: a, url: d.URL, tenant: d.Tenant, key: d.Key, staff: map[service.Role]string{}}
	for _, r := range service.Roles {
		email := strings.ReplaceAll(string(r), "_", "-") + "@shop.example"
		if _, _, err := a.Service.Access.CreateStaff(ctx, d.Tenant.ID, "test", service.NewStaff{Email: email, Name: "Test " + string(r), Role: r, Password: password}); err != nil {
			t.Fatal(err)
		}
		s.staff[r] = email
	}
	vip := []string{"vip"}
	if _, err := a.Service.Members.Update(ctx, d.Tenant.ID, "test", "cust-00002", tenure.MemberPatch{Tags: &vip}); err != nil {
		t.Fatal(err)
	}
	return s
}

// client is a browser-like HTTP client: a cookie jar, no automatic redirects.
type client struct {
	t    testing.TB
	s    *server
	http *http.Client
	jar  *cookiejar.Jar
}

func (s *server) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, s: s, jar: jar, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (c *client) do(method, path string, form url.Values, headers ...string) page {
	c.t.Helper()
	var body any
	if form != nil {
		body = form
	}
	r := apptest.Call(c.t, c.http, method, c.s.url+path, "", body, headers...)
	return page{Status: r.Status, Location: r.Header.Get("Location"), Body: string(r.Body), Header: r.Header}
}

func (c *client) get(path string) page { c.t.Helper(); return c.do("GET", path, nil) }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the first form on a page.
func csrf(t testing.TB, p page) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no CSRF token on the page (%d): %.300s", p.Status, p.Body)
	}
	return m[1]
}

// cookie returns the value of a cookie the client holds for the dashboard.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.s.url + "/admin/")
	for _, k := range c.jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

func (c *client) setCookie(name, value string) {
	u, _ := url.Parse(c.s.url + "/admin/")
	c.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/admin/"}})
}

// signIn signs in through the form, as a browser would, and returns a page's CSRF token.
func (c *client) signIn(email string) string {
	c.t.Helper()
	form := c.get("/admin/login")
	p := c.do("POST", "/admin/login", url.Values{"email": {email}, "password": {password}, "csrf": {csrf(c.t, form)}, "next": {"/admin/"}})
	if p.Status != http.StatusSeeOther || p.Location != "/admin/" {
		c.t.Fatalf("sign-in as %s: %d %s %.300s", email, p.Status, p.Location, p.Body)
	}
	return csrf(c.t, c.get("/admin/members"))
}

// fingerprint summarises every table a dashboard action could write, so that a test can
// prove nothing changed.
func (s *server) fingerprint() string {
	s.t.Helper()
	db := s.app.DB.Raw()
	var b strings.Builder
	for _, table := range []string{"audit_log", "ledger_entries", "balances", "members", "member_tags", "api_keys", "staff",
		"staff_sessions", "rule_sets", "webhooks", "deliveries", "outbox", "rewards", "coupons", "idempotency_keys", "tenants",
		"segment_defs", "segment_members", "shop_connections"} {
		var n int64
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			s.t.Fatalf("count %s: %v", table, err)
		}
		fmt.Fprintf(&b, "%s=%d ", table, n)
	}
	for _, q := range []string{`SELECT id, role, active, password_hash FROM staff ORDER BY id`,
		`SELECT id, COALESCE(revoked_at, 0), '', '' FROM api_keys ORDER BY id`,
		`SELECT member_id, wallet, available, pending FROM balances ORDER BY member_id, wallet`,
		`SELECT tenant_id, CAST(version AS TEXT), doc, '' FROM rule_sets ORDER BY version`,
		`SELECT tenant_id, CAST(version AS TEXT), doc, '' FROM tier_configs ORDER BY tenant_id`,
		`SELECT member_id, tier, manual, earned FROM tier_states ORDER BY member_id`,
		`SELECT seg_key, CAST(members AS TEXT), doc, CAST(COALESCE(refreshed_at, 0) AS TEXT) FROM segment_defs ORDER BY seg_key`,
		`SELECT id, CAST(COALESCE(archived_at, 0) AS TEXT), '', '' FROM rewards ORDER BY id`,
		`SELECT id, domain, status, CAST(updated_at AS TEXT) FROM shop_connections ORDER BY id`} {
		rows, err := db.Query(q)
		if err != nil {
			s.t.Fatal(err)
		}
		for rows.Next() {
			var a, c, d string
			var x sql.NullString
			if err := rows.Scan(&a, &x, &c, &d); err != nil {
				s.t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s|%s|%s|%s;", a, x.String, c, d)
		}
		if err := rows.Err(); err != nil {
			s.t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
