package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/widget"
)

// textCase is one request that breaks (or, with status 2xx, keeps) the input contract:
// valid UTF-8 without NUL in every stored string and every parameter.
type textCase struct {
	name, method, path string
	auth               string // "key", "member", "none", or a literal Authorization header
	body               any
	headers            []string
	status             int
	location           string // the field the problem must name
}

// TestTextInputContract sends NUL characters, invalid UTF-8 bytes and unpaired surrogate
// escapes through the API, the member API and the dashboard's forms on every engine. Each
// must get the same 4xx problem naming the field on both engines, never a 5xx, and write
// nothing; ids are never repaired into each other.
func TestTextInputContract(t *testing.T) {
	const bad = "shop\xffuser"
	cases := []textCase{
		{"NUL in a new member's id", "POST", "/v1/members", "key", `{"external_id":"a\u0000b"}`, nil, 422, "body.external_id"},
		{"invalid UTF-8 in a new member's id", "POST", "/v1/members", "key", `{"external_id":"` + bad + `"}`, nil, 422, "body.external_id"},
		{"unpaired surrogate in a new member's id", "POST", "/v1/members", "key", `{"external_id":"a\ud800"}`, nil, 422, "body.external_id"},
		{"NUL in a member's name", "POST", "/v1/members", "key", `{"external_id":"c9","name":"x\u0000"}`, nil, 422, "body.name"},
		{"NUL in a search parameter", "GET", "/v1/members?email=%00", "key", nil, nil, 422, "query.email"},
		{"invalid UTF-8 in a search parameter", "GET", "/v1/members?email=%FF", "key", nil, nil, 422, "query.email"},
		{"NUL in a cursor", "GET", "/v1/members?cursor=a%00", "key", nil, nil, 422, "query.cursor"},
		{"NUL in a path id", "GET", "/v1/members/a%00b", "key", nil, nil, 422, "path.id"},
		{"invalid UTF-8 in a path id", "GET", "/v1/members/shop%FFuser/balance", "key", nil, nil, 422, "path.id"},
		{"NUL in a patched email", "PATCH", "/v1/members/c1", "key", `{"email":"a\u0000@example.com"}`, nil, 422, "body.email"},
		{"NUL in an event's customer id", "POST", "/v1/events", "key", `{"id":"e1","type":"customer.created","customer_id":"c\u0000"}`, nil, 422, "body.customer_id"},
		{"invalid UTF-8 in an event id", "POST", "/v1/events", "key", `{"id":"` + bad + `","type":"customer.created","customer_id":"c1"}`, nil, 422, "body.id"},
		{"NUL deep in event properties", "POST", "/v1/events", "key", `{"id":"e2","type":"custom","action":"x","customer_id":"c1","properties":{"a":[1,{"note":"\u0000"}]}}`, nil, 422, "body.properties.a[1].note"},
		{"NUL in a property name", "POST", "/v1/events", "key", `{"id":"e3","type":"custom","action":"x","customer_id":"c1","properties":{"k\u0000":1}}`, nil, 422, "body.properties"},
		{"NUL in an order line name", "POST", "/v1/events", "key", `{"id":"e4","type":"order.paid","customer_id":"c1","order":{"id":"o1","lines":[{"name":"\u0000","quantity":1,"unit_price":100}]}}`, nil, 422, "body.order.lines[0].name"},
		{"invalid UTF-8 in a batch", "POST", "/v1/events/batch", "key", `{"events":[{"id":"e5","type":"customer.created","customer_id":"c1"},{"id":"e6","type":"customer.created","customer_id":"` + bad + `"}]}`, nil, 422, "body.events[1].customer_id"},
		{"NUL in an adjustment reason", "POST", "/v1/members/c1/adjustments", "key", `{"amount":5,"reason":"\u0000"}`, nil, 422, "body.reason"},
		{"invalid UTF-8 in an idempotency key", "POST", "/v1/members/c1/adjustments", "key", `{"amount":5,"reason":"x"}`, []string{"Idempotency-Key", "k\xff"}, 422, "header.Idempotency-Key"},
		{"NUL in a webhook description", "POST", "/v1/webhooks", "key", `{"url":"https://example.com/h","description":"\u0000"}`, nil, 422, "body.description"},
		{"NUL in a key name", "POST", "/v1/keys", "key", `{"name":"a\u0000","scope":"admin"}`, nil, 422, "body.name"},
		{"NUL in an event path id", "GET", "/v1/events/a%00", "key", nil, nil, 422, "path.id"},
		{"lower-case bearer scheme", "GET", "/v1/members?limit=1", "bearer", nil, nil, 200, ""},

		{"member API: NUL in a query parameter", "GET", "/v1/member/coupons?state=%00", "member", nil, nil, 422, "query.state"},
		{"member API: invalid UTF-8 in a coupon path", "GET", "/v1/member/coupons/a%FF", "member", nil, nil, 422, "path.ref"},
		{"member API: NUL in a redemption", "POST", "/v1/member/redemptions", "member", `{"reward_id":"rwd\u0000"}`, []string{"Idempotency-Key", "r1"}, 422, "body.reward_id"},
		{"member API: invalid UTF-8 in a redemption", "POST", "/v1/member/redemptions", "member", `{"reward_id":"` + bad + `"}`, []string{"Idempotency-Key", "r2"}, 422, "body.reward_id"},
		{"member API: non-numeric limit", "GET", "/v1/member/history?limit=ten", "member", nil, nil, 422, "query.limit"},
		{"member API: limit too large", "GET", "/v1/member/coupons?limit=101", "member", nil, nil, 422, "query.limit"},
		{"member API: negative limit", "GET", "/v1/member/history?limit=-1", "member", nil, nil, 422, "query.limit"},
		{"member API: a good limit", "GET", "/v1/member/history?limit=100", "member", nil, nil, 200, ""},
		{"member API: lower-case bearer scheme", "GET", "/v1/member", "member-lower", nil, nil, 200, ""},
		{"member API: token naming a NUL member", "GET", "/v1/member", "member-nul", nil, nil, 401, ""},

		{"dashboard: NUL in the sign-in email", "POST", "/admin/login", "none", url.Values{"email": {"a\x00@example.com"}, "password": {"x"}}, nil, 422, "form.email"},
		{"dashboard: invalid UTF-8 in the sign-in tenant", "POST", "/admin/login", "none", url.Values{"email": {"a@example.com"}, "tenant": {bad}}, nil, 422, "form.tenant"},
		{"dashboard: NUL in a query parameter", "GET", "/admin/login?next=%00", "none", nil, nil, 422, "query.next"},
	}
	statuses := map[string]map[string]int{}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		if r := s.do("POST", "/v1/members", s.key, `{"external_id":"c1"}`); r.Status != 200 {
			t.Fatalf("enrol: %d %s", r.Status, r.Body)
		}
		ts, err := s.app.Service.Tenants.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := s.app.Service.Widget.RotateSecret(ctx, ts[0].ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		sign := func(member string) string {
			tok, err := widget.SignToken(secret, ts[0].ID, member, time.Hour, s.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		before := tableCounts(t, s)
		got := map[string]int{}
		for _, c := range cases {
			var auth string
			switch c.auth {
			case "key":
				auth = "Bearer " + s.key
			case "bearer":
				auth = "bearer " + s.key
			case "member":
				auth = "Bearer " + sign("c1")
			case "member-lower":
				auth = "BEARER " + sign("c1")
			case "member-nul":
				auth = "Bearer " + sign("c\x00")
			}
			headers := append([]string{"Authorization", auth}, c.headers...)
			if c.auth == "none" {
				headers = c.headers
			}
			r := s.do(c.method, c.path, "", c.body, headers...)
			got[c.name] = r.Status
			if r.Status >= 500 {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
				continue
			}
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d: %.300s", c.name, r.Status, c.status, r.Body)
				continue
			}
			if c.location == "" {
				continue
			}
			if strings.HasPrefix(c.path, "/admin/") {
				if !strings.Contains(string(r.Body), c.location) {
					t.Errorf("%s: the page does not name %q: %.300s", c.name, c.location, r.Body)
				}
				continue
			}
			var p struct {
				Errors []struct{ Location, Message string }
			}
			if err := json.Unmarshal(r.Body, &p); err != nil || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: not a problem: %s", c.name, r.Body)
				continue
			}
			named := false
			for _, fe := range p.Errors {
				named = named || strings.HasPrefix(fe.Location, c.location)
			}
			if !named {
				t.Errorf("%s: problem does not name %q: %s", c.name, c.location, r.Body)
			}
		}
		after := tableCounts(t, s)
		for k, n := range before {
			if after[k] != n {
				t.Errorf("table %s: %d rows before, %d after", k, n, after[k])
			}
		}
		statuses[e.Name] = got
	})
	if sq, pg := statuses["sqlite"], statuses["postgres"]; sq != nil && pg != nil {
		for _, c := range cases {
			if sq[c.name] != pg[c.name] {
				t.Errorf("%s: SQLite answered %d, PostgreSQL %d", c.name, sq[c.name], pg[c.name])
			}
		}
	}
}

// TestInvalidBytesNeverMergeIds sends two customer ids that differ only in an invalid
// byte: neither is accepted, so they cannot become one member.
func TestInvalidBytesNeverMergeIds(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		for i, id := range []string{"shop\xffuser", "shop\xfeuser"} {
			body := `{"id":"e` + string(rune('0'+i)) + `","type":"custom","action":"visit","customer_id":"` + id + `"}`
			if r := s.do("POST", "/v1/events", s.key, body); r.Status != 422 {
				t.Fatalf("%q: %d %s", id, r.Status, r.Body)
			}
		}
		if n := tableCounts(t, s)["members"]; n != 0 {
			t.Fatalf("%d members stored", n)
		}
	})
}
