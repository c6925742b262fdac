package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// rewardStep is one call of a rewards scenario. {name} in path and body is replaced by
// an id saved earlier with save; at, when set, moves the clock first; tick runs the
// background jobs after the call.
type rewardStep struct {
	name     string
	method   string
	path     string
	body     string
	status   int
	contains []string
	save     string
	at       string
	tick     bool
}

func (s *server) scenario(t *testing.T, steps []rewardStep) map[string]string {
	t.Helper()
	vars := map[string]string{}
	fill := func(x string) string {
		for k, v := range vars {
			x = strings.ReplaceAll(x, "{"+k+"}", v)
		}
		return x
	}
	for _, st := range steps {
		if st.at != "" {
			at, err := time.Parse(time.RFC3339, st.at)
			if err != nil {
				t.Fatal(err)
			}
			s.clock.Set(at)
		}
		var body any
		if st.body != "" {
			body = fill(st.body)
		}
		r := s.do(st.method, fill(st.path), s.key, body)
		if r.Status != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, r.Status, st.status, r.Body)
		}
		for _, c := range st.contains {
			if !strings.Contains(string(r.Body), fill(c)) {
				t.Fatalf("%s: body lacks %s: %s", st.name, fill(c), r.Body)
			}
		}
		if st.save != "" {
			vars[st.save] = r.JSON(t)["id"].(string)
		}
		if st.tick {
			s.tick()
		}
	}
	return vars
}

// TestRewardCatalogFromSeed003 walks the catalog of seed [003] — "10% discount = 100 pts",
// "20 zł coupon = 200 pts", "free product = 500 pts" — through redemption, use, cancel,
// pools, limits, windows and expiry, on every engine.
func TestRewardCatalogFromSeed003(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		s.scenario(t, []rewardStep{
			{name: "a 10% discount for 100 points", method: "POST", path: "/v1/rewards", body: `{"name":"10% discount","type":"percent_discount","percent":10,"cost":100}`,
				status: 200, contains: []string{`"percent":10`, `"code_source":"pattern"`}, save: "r10"},
			{name: "a 20 zł coupon for 200 points", method: "POST", path: "/v1/rewards", body: `{"name":"20 zł coupon","type":"fixed_discount","value":2000,"cost":200,"min_order":10000,"valid_days":30,"code_pattern":"ZL20-*******"}`,
				status: 200, save: "r20"},
			{name: "a free product for 500 points", method: "POST", path: "/v1/rewards", body: `{"name":"free product","type":"free_product","product_id":"mug","cost":500}`, status: 200, save: "r500"},
			{name: "a member with 250 points", method: "POST", path: "/v1/members", body: `{"external_id":"ola"}`, status: 200},
			{name: "her points", method: "POST", path: "/v1/members/ola/adjustments", body: `{"amount":250,"reason":"seed"}`, status: 200},
			{name: "what she can have and why not", method: "GET", path: "/v1/rewards/available?member=ola", status: 200,
				contains: []string{`"available":true`, `"message":"needs 250 more points"`, `"shortfall":250`}},
			{name: "she takes the 200-point coupon", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{r20}"}`, status: 200,
				contains: []string{`"code":"ZL20-`, `"points":200`, `"value":2000`, `"min_order":10000`, `"valid_until":"2026-07-01T09:00:00Z"`, `"state":"issued"`, `"reward_name":"20 zł coupon"`}, save: "coupon"},
			{name: "50 points are left", method: "GET", path: "/v1/members/ola/balance", status: 200, contains: []string{`"available":50`}},
			{name: "the 100-point discount names the shortfall", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{r10}"}`, status: 409,
				contains: []string{`needs 50 more points`, `body.reward_id`}},
			{name: "the store was told", method: "GET", path: "/v1/audit-log", status: 200, contains: []string{`"action":"reward.redeemed"`}},
			{name: "an order below the minimum is refused", method: "POST", path: "/v1/coupons/{coupon}/use", body: `{"order_id":"o-1","order_total":5000}`, status: 409,
				contains: []string{`at least 10000`, `body.order_total`}},
			{name: "the coupon is used on a large enough order", method: "POST", path: "/v1/coupons/{coupon}/use", body: `{"order_id":"o-1","order_total":12000}`, status: 200,
				contains: []string{`"state":"used"`, `"order_id":"o-1"`}},
			{name: "the order is cancelled: the points come back", method: "POST", path: "/v1/coupons/{coupon}/cancel", body: `{"reason":"order o-1 cancelled"}`, status: 200,
				contains: []string{`"state":"cancelled"`, `"points_returned":200`}},
			{name: "250 points again", method: "GET", path: "/v1/members/ola/balance", status: 200, contains: []string{`"available":250`}},
			{name: "the history explains it: spend, then restore", method: "GET", path: "/v1/members/ola/ledger", status: 200,
				contains: []string{`"kind":"restore","bucket":"available","amount":200`, `"kind":"spend","bucket":"available","amount":-200`, `"cause_id":"{coupon}"`}},
			{name: "her coupons", method: "GET", path: "/v1/members/ola/coupons?state=cancelled", status: 200, contains: []string{`"id":"{coupon}"`}},

			{name: "a pool reward", method: "POST", path: "/v1/rewards", body: `{"name":"Free shipping","type":"free_shipping","cost":10,"code_source":"pool"}`, status: 200,
				contains: []string{`"codes_available":0`}, save: "pool"},
			{name: "two codes uploaded", method: "POST", path: "/v1/rewards/{pool}/codes", body: `{"codes":["ship-a","SHIP-B"]}`, status: 200, contains: []string{`"codes_available":2`}},
			{name: "a code the store already has is refused", method: "POST", path: "/v1/rewards/{pool}/codes", body: `{"codes":["SHIP-C","ship-a"]}`, status: 409, contains: []string{`body.codes[1]`}},
			{name: "the first code goes first", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{pool}"}`, status: 200, contains: []string{`"code":"SHIP-A"`}},
			{name: "then the second", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{pool}"}`, status: 200, contains: []string{`"code":"SHIP-B"`}},
			{name: "an exhausted pool is out of stock", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{pool}"}`, status: 409, contains: []string{`out of stock`}},

			{name: "a once-per-member reward", method: "POST", path: "/v1/rewards", body: `{"name":"Welcome gift","type":"custom","cost":10,"per_member_limit":1}`, status: 200, save: "once"},
			{name: "the first is granted", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{once}"}`, status: 200},
			{name: "the second reaches the limit", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{once}"}`, status: 409, contains: []string{`limit reached`}},

			{name: "a reward from tomorrow", method: "POST", path: "/v1/rewards", body: `{"name":"Summer sale","type":"percent_discount","percent":15,"cost":10,"available_from":"2026-06-02T00:00:00Z","available_until":"2026-06-03T00:00:00Z","valid_days":1}`,
				status: 200, save: "summer"},
			{name: "not yet", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{summer}"}`, status: 409, contains: []string{`available from 2026-06-02T00:00:00Z`}},
			{name: "on the day it is", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{summer}"}`, at: "2026-06-02T08:00:00Z", status: 200, save: "summerCoupon"},
			{name: "after the window it is not", method: "POST", path: "/v1/members/ola/redemptions", body: `{"reward_id":"{summer}"}`, at: "2026-06-03T00:00:00Z", status: 409, contains: []string{`no longer available`}},
			{name: "the unused coupon expires at valid_until", method: "GET", path: "/v1/coupons/{summerCoupon}", at: "2026-06-03T08:00:00Z", status: 200, contains: []string{`"state":"issued"`}, tick: true},
			{name: "and stays expired, points kept by default", method: "GET", path: "/v1/coupons/{summerCoupon}", status: 200, contains: []string{`"state":"expired"`, `"expired_at":"2026-06-03T08:00:00Z"`}},
			{name: "an expired coupon cannot be used", method: "POST", path: "/v1/coupons/{summerCoupon}/use", body: `{"order_id":"o-2"}`, status: 409, contains: []string{`expired`}},
		})
	})
}

// TestRewardBadInput sends invalid catalog and redemption requests and checks each gets a
// 4xx problem naming the field, and that none of them wrote anything.
func TestRewardBadInput(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		other := s.newTenant("Other store")
		foreign := s.do("POST", "/v1/rewards", other, `{"name":"Theirs","type":"free_shipping","cost":1}`).JSON(t)["id"].(string)
		s.do("POST", "/v1/members", s.key, `{"external_id":"ola"}`)
		s.do("POST", "/v1/members/ola/adjustments", s.key, `{"amount":100,"reason":"seed"}`)
		pool := s.do("POST", "/v1/rewards", s.key, `{"name":"Pool","type":"free_shipping","cost":1,"code_source":"pool"}`).JSON(t)["id"].(string)
		before := rewardTables(t, s)
		for _, c := range []struct {
			name, method, path, body string
			status                   int
			mention                  string
		}{
			{"negative cost", "POST", "/v1/rewards", `{"name":"x","type":"free_shipping","cost":-5}`, 422, "body.cost"},
			{"unknown type", "POST", "/v1/rewards", `{"name":"x","type":"teleport","cost":5}`, 422, "body.type"},
			{"percent over 100", "POST", "/v1/rewards", `{"name":"x","type":"percent_discount","percent":150,"cost":5}`, 422, "body.percent"},
			{"fixed discount without a value", "POST", "/v1/rewards", `{"name":"x","type":"fixed_discount","cost":5}`, 422, "body.value"},
			{"a guessable code pattern", "POST", "/v1/rewards", `{"name":"x","type":"free_shipping","cost":5,"code_pattern":"SALE##"}`, 422, "body.code_pattern"},
			{"an update with a bad window", "PUT", "/v1/rewards/" + pool, `{"name":"x","type":"free_shipping","cost":5,"available_from":"2026-07-01T00:00:00Z","available_until":"2026-06-01T00:00:00Z"}`, 422, "body.available_until"},
			{"an empty pool upload", "POST", "/v1/rewards/" + pool + "/codes", `{"codes":[]}`, 422, "body.codes"},
			{"a blank code", "POST", "/v1/rewards/" + pool + "/codes", `{"codes":["OK1"," "]}`, 422, "body.codes[1]"},
			{"another tenant's reward", "POST", "/v1/members/ola/redemptions", `{"reward_id":"` + foreign + `"}`, 404, "body.reward_id"},
			{"points on a fixed-cost reward", "POST", "/v1/members/ola/redemptions", `{"reward_id":"` + pool + `","points":7}`, 422, "body.points"},
			{"an empty pool", "POST", "/v1/members/ola/redemptions", `{"reward_id":"` + pool + `"}`, 409, "out of stock"},
			{"an unknown coupon", "POST", "/v1/coupons/NOPE/use", `{"order_id":"o"}`, 404, "NOPE"},
			{"availability without a member", "GET", "/v1/rewards/available", "", 422, "query.member"},
		} {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := s.do(c.method, c.path, s.key, body)
			if r.Status != c.status || !strings.Contains(string(r.Body), c.mention) {
				t.Errorf("%s: %d %s; want %d mentioning %s", c.name, r.Status, r.Body, c.status, c.mention)
			}
		}
		after := rewardTables(t, s)
		for k, n := range before {
			if after[k] != n {
				t.Errorf("table %s: %d rows before, %d after", k, n, after[k])
			}
		}
	})
}

func rewardTables(t *testing.T, s *server) map[string]int64 {
	t.Helper()
	out := tableCounts(t, s)
	for _, table := range []string{"rewards", "coupons", "reward_codes", "audit_log"} {
		var n int64
		if err := s.app.DB.Raw().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// rewardsRouted reports whether the server has the rewards routes; until it does, the
// isolation walk visits none of them and needs no ids for them.
func rewardsRouted(s *server) bool { return s.app.API.OpenAPI().Paths["/v1/rewards"] != nil }

// isolationReward gives the tenant-isolation walk a reward of tenant A's.
func isolationReward(t *testing.T, s *server, key string) string {
	t.Helper()
	if !rewardsRouted(s) {
		return "rwd_unrouted"
	}
	r := s.do("POST", "/v1/rewards", key, `{"name":"A's pool","type":"free_shipping","cost":1,"code_source":"pool"}`)
	if r.Status != 200 {
		t.Fatalf("create reward: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

// isolationCoupon gives the tenant-isolation walk a coupon of tenant A's member.
func isolationCoupon(t *testing.T, s *server, key, member string) string {
	t.Helper()
	if !rewardsRouted(s) {
		return "cpn_unrouted"
	}
	reward := s.do("POST", "/v1/rewards", key, `{"name":"A's gift","type":"custom","cost":1}`).JSON(t)["id"].(string)
	r := s.do("POST", "/v1/members/"+member+"/redemptions", key, `{"reward_id":"`+reward+`"}`)
	if r.Status != 200 {
		t.Fatalf("redeem: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}
