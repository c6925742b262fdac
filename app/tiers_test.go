package app_test

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/webhook"
)

const tierLadder = `{"metric":"points_earned","window":"calendar_year","grace_days":30,"tiers":[
	{"key":"silver","name":"Silver","threshold":1000,"benefits":{"free_shipping":true}},
	{"key":"gold","name":"Gold","threshold":5000,"benefits":{"earn_multiplier_bp":15000,"free_shipping":true,"early_access":true,"exclusive_rewards":true}}]}`

// TestTiers drives tiers through the API: configuration, an upgrade by orders, the tier
// change webhook, a manual Gold whose 1.5x shows in the earning explanation, its expiry,
// and the year-end review that downgrades only after the grace period.
func TestTiers(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e) // the clock starts on 2026-06-01 09:00 UTC; the program runs in UTC
		rc := &receiver{}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		created := s.do("POST", "/v1/webhooks", s.key, `{"url":"`+srv.URL+`","event_types":["tier.changed"]}`).JSON(t)
		rc.secret, _ = created["secret"].(string)
		order := func(id, cents string) string {
			return `{"id":"` + id + `","type":"order.paid","customer_id":"c-1","order":{"id":"` + id + `","lines":[{"quantity":1,"unit_price":` + cents + `}]}}`
		}
		steps := []step{
			{"no tiers at first", "GET", "/v1/tiers", nil, 200, []string{`"version":0`, `"tiers":[]`}},
			{"a bad ladder names the field", "PUT", "/v1/tiers", strings.Replace(tierLadder, `"threshold":5000`, `"threshold":500`, 1), 422, []string{`body.tiers[1].threshold`}},
			{"and writes nothing", "GET", "/v1/tiers", nil, 200, []string{`"version":0`}},
			{"configure Silver and Gold", "PUT", "/v1/tiers", tierLadder, 200, []string{`"version":1`, `"earn_multiplier_bp":10000`}},
			{"600 points", "POST", "/v1/events", order("o-1", "60000"), 201, []string{`"earned":600`}},
			{"no tier yet, and how far Silver is", "GET", "/v1/members/c-1/tier", nil, 200,
				[]string{`"tier":""`, `"rank":0`, `"text":"400 more points to reach Silver by 2026-12-31"`}},
			{"400 more points", "POST", "/v1/events", order("o-2", "40000"), 201, []string{`"earned":400`}},
			{"Silver at once, with its benefits and progress", "GET", "/v1/members/c-1/tier", nil, 200,
				[]string{`"tier":"silver"`, `"name":"Silver"`, `"free_shipping":true`, `"earn_multiplier":"x1"`, `"qualified_until":"2028-01-01T00:00:00Z"`,
					`"text":"4000 more points to reach Gold by 2026-12-31; 1000 more points to keep Silver by 2027-12-31"`}},
			{"the program's own rules say nothing of tiers: the ladder's multipliers apply by themselves", "PUT", "/v1/rules",
				`{"rules":[{"id":"base","kind":"spend","spend":{"points":1}}]}`, 200, nil},
			{"an unknown tier cannot be assigned", "PUT", "/v1/members/c-1/tier", `{"tier":"platinum","reason":"x"}`, 422, []string{`body.tier`}},
			{"staff make her Gold for June", "PUT", "/v1/members/c-1/tier", `{"tier":"gold","expires_at":"2026-07-01T00:00:00Z","reason":"VIP evening"}`, 200,
				[]string{`"tier":"gold"`, `"earned_tier":"silver"`, `"reason":"VIP evening"`, `"earn_multiplier":"x1.5"`, `"text":"Gold assigned until 2026-06-30"`}},
			{"the assignment is audited", "GET", "/v1/audit-log", nil, 200, []string{`"action":"tier.assigned"`, `"action":"tier.changed"`}},
			{"Gold's 1.5x shows in the explanation", "POST", "/v1/events", order("o-3", "10000"), 201, []string{`x1.5 Gold members`, `"earned":150`}},
		}
		run := func(steps []step) {
			t.Helper()
			for _, st := range steps {
				r := s.do(st.method, st.path, s.key, st.body)
				if r.Status != st.status {
					t.Fatalf("%s: status %d, want %d: %s", st.name, r.Status, st.status, r.Body)
				}
				for _, c := range st.contains {
					if !strings.Contains(string(r.Body), c) {
						t.Fatalf("%s: body lacks %s: %s", st.name, c, r.Body)
					}
				}
			}
		}
		run(steps)

		s.clock.Set(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
		s.tick()
		run([]step{{"the assignment ends and Silver returns", "GET", "/v1/members/c-1/tier", nil, 200, []string{`"tier":"silver"`}}})

		// No activity in 2027: the year-end review finds her short.
		s.clock.Set(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC))
		s.tick()
		run([]step{{"Silver is kept through the grace period", "GET", "/v1/members/c-1/tier", nil, 200,
			[]string{`"tier":"silver"`, `"grace_until":"2028-01-31T00:00:00Z"`, `1000 more points to keep Silver by 2028-01-30`}}})
		s.clock.Set(time.Date(2028, 1, 30, 23, 59, 0, 0, time.UTC))
		s.tick()
		run([]step{{"still Silver the day before", "GET", "/v1/members/c-1/tier", nil, 200, []string{`"tier":"silver"`}}})
		s.clock.Set(time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC))
		s.tick()
		s.tick()
		run([]step{{"downgraded when the grace period ends", "GET", "/v1/members/c-1/tier", nil, 200, []string{`"tier":""`}}})

		rc.mu.Lock()
		defer rc.mu.Unlock()
		got := slices.Clone(rc.got)
		slices.SortFunc(got, func(a, b webhook.Envelope) int { return strings.Compare(a.ID, b.ID) }) // delivery order may differ
		var seen []string
		for _, env := range got {
			if env.Type != "tier.changed" {
				t.Fatalf("unsubscribed message %s", env.Type)
			}
			seen = append(seen, string(env.Data))
		}
		want := []string{`"tier":"silver","name":"Silver","previous_tier":"","direction":"up","reason":"qualified"`,
			`"tier":"gold"`, `"reason":"manual_ended"`, `"previous_tier":"silver","direction":"down","reason":"downgraded"`}
		if len(seen) != len(want) || rc.badSigs != 0 {
			t.Fatalf("webhooks: %d bad signatures, got %v", rc.badSigs, seen)
		}
		for i, w := range want {
			if !strings.Contains(seen[i], w) {
				t.Fatalf("webhook %d lacks %s: %s", i, w, seen[i])
			}
		}
	})
}

func TestTiersOfAnotherTenant(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		s.do("PUT", "/v1/tiers", s.key, tierLadder)
		id := s.do("POST", "/v1/members", s.key, `{"external_id":"a-1"}`).JSON(t)["id"].(string)
		b := s.newTenant("B")
		if r := s.do("PUT", "/v1/tiers", b, tierLadder); r.Status != 200 {
			t.Fatalf("B's ladder: %d %s", r.Status, r.Body)
		}
		for _, c := range []struct{ method, body string }{{"GET", ""}, {"PUT", `{"tier":"gold","reason":"steal"}`}} {
			var body any
			if c.body != "" {
				body = c.body
			}
			if r := s.do(c.method, "/v1/members/"+id+"/tier", b, body); r.Status != 404 {
				t.Fatalf("%s with B's key: %d %s", c.method, r.Status, r.Body)
			}
		}
		if r := s.do("GET", "/v1/members/"+id+"/tier", s.key, nil); r.Status != 200 || strings.Contains(string(r.Body), `"gold"`) {
			t.Fatalf("A's member changed: %s", r.Body)
		}
	})
}
