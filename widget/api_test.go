package widget_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/tiers"
	"github.com/tenure-loyalty/tenure/widget"
)

func coupon20() rewards.RewardDefinition {
	return rewards.RewardDefinition{Name: "20 zł coupon", Type: rewards.FixedDiscount, Cost: 200, Value: 2000, ValidDays: 30}
}

// TestMemberAPI walks what the widget does: read the balance, list rewards, redeem one
// (a retry with the same key changes nothing), see the coupon and the history.
func TestMemberAPI(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		s.member(s.tenant, "cust-a", "Ola", 500)
		r20 := s.reward(s.tenant, coupon20())
		s.reward(s.tenant, rewards.RewardDefinition{Name: "Hand grinder", Type: rewards.FreeProduct, ProductID: "grinder", Cost: 1000})
		s.reward(s.tenant, rewards.RewardDefinition{Name: "Gold lounge", Type: rewards.Custom, Cost: 10, Tiers: []string{"gold"}})
		tok := s.token("cust-a")

		sum := s.do("GET", "/v1/member", tok, nil)
		if sum.Status != 200 {
			t.Fatalf("summary: %d %s", sum.Status, sum.Body)
		}
		m := sum.JSON(t)
		if m["customer_id"] != "cust-a" || m["first_name"] != "Ola" || num(t, m, "points.available") != 500 || m["tier"] != nil {
			t.Fatalf("summary: %s", sum.Body)
		}
		if num(t, m, "points.expiring.amount") != 500 {
			t.Errorf("expiring soon: %s", sum.Body)
		}

		var offers struct{ Data []map[string]any }
		rw := s.do("GET", "/v1/member/rewards", tok, nil)
		_ = json.Unmarshal(rw.Body, &offers)
		if rw.Status != 200 || len(offers.Data) != 2 {
			t.Fatalf("rewards (the gold-only one must be hidden): %d %s", rw.Status, rw.Body)
		}
		if offers.Data[0]["available"] != true || offers.Data[1]["available"] != false || num(t, offers.Data[1], "shortfall") != 500 {
			t.Errorf("affordability: %s", rw.Body)
		}

		if r := s.do("POST", "/v1/member/redemptions", tok, map[string]any{"reward_id": r20.ID}); r.Status != 422 || !strings.Contains(string(r.Body), "Idempotency-Key") {
			t.Errorf("redeem without a key: %d %s", r.Status, r.Body)
		}
		red := s.do("POST", "/v1/member/redemptions", tok, map[string]any{"reward_id": r20.ID}, "Idempotency-Key", "k-1")
		if red.Status != 201 {
			t.Fatalf("redeem: %d %s", red.Status, red.Body)
		}
		rm := red.JSON(t)
		code, _ := rm["coupon"].(map[string]any)["code"].(string)
		if len(code) < 8 || num(t, rm, "points.available") != 300 {
			t.Fatalf("redemption: %s", red.Body)
		}
		again := s.do("POST", "/v1/member/redemptions", tok, map[string]any{"reward_id": r20.ID}, "Idempotency-Key", "k-1").JSON(t)
		if again["coupon"].(map[string]any)["code"] != code || num(t, again, "points.available") != 300 {
			t.Errorf("a retry with the same key redeemed again: %v", again)
		}
		if got := num(t, s.do("GET", "/v1/member", tok, nil).JSON(t), "points.available"); got != 300 {
			t.Errorf("balance after redeeming 200 of 500: %d", got)
		}

		cs := s.do("GET", "/v1/member/coupons", tok, nil)
		if cs.Status != 200 || strings.Count(string(cs.Body), code) != 1 {
			t.Errorf("coupons: %d %s", cs.Status, cs.Body)
		}
		if one := s.do("GET", "/v1/member/coupons/"+code, tok, nil); one.Status != 200 || one.JSON(t)["state"] != "issued" {
			t.Errorf("own coupon by code: %d %s", one.Status, one.Body)
		}

		h := s.do("GET", "/v1/member/history", tok, nil)
		var hist struct{ Data []map[string]any }
		_ = json.Unmarshal(h.Body, &hist)
		if h.Status != 200 || len(hist.Data) != 2 {
			t.Fatalf("history: %d %s", h.Status, h.Body)
		}
		if hist.Data[0]["title"] != "Redeemed 20 zł coupon" || hist.Data[0]["detail"] != "Code "+code || num(t, hist.Data[0], "points") != -200 {
			t.Errorf("newest history line: %v", hist.Data[0])
		}
		if hist.Data[1]["title"] != "Adjusted by the store" || strings.Contains(string(h.Body), "ticket 4711") {
			t.Errorf("a staff note leaked into the history, or the adjustment is missing: %s", h.Body)
		}

		if r := s.do("POST", "/v1/member/redemptions", tok, map[string]any{"reward_id": "rwd_nope"}, "Idempotency-Key", "k-2"); r.Status != 404 {
			t.Errorf("unknown reward: %d %s", r.Status, r.Body)
		}
		if r := s.do("POST", "/v1/member/redemptions", tok, `{"reward_id":"x","member":"cust-b"}`, "Idempotency-Key", "k-3"); r.Status != 422 {
			t.Errorf("an unknown body field must be refused: %d %s", r.Status, r.Body)
		}
	})
}

// TestMemberIsolation proves a member token reads and acts on its own member only: no
// path, query, body or idempotency key reaches another member or another store.
func TestMemberIsolation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		s.member(s.tenant, "cust-a", "Ola", 500)
		b := s.member(s.tenant, "cust-b", "Zenobia", 900)
		r20 := s.reward(s.tenant, coupon20())
		tokA, tokB := s.token("cust-a"), s.token("cust-b")
		bRed := s.do("POST", "/v1/member/redemptions", tokB, map[string]any{"reward_id": r20.ID}, "Idempotency-Key", "same-key").JSON(t)
		bCoupon := bRed["coupon"].(map[string]any)
		bCode, bID := bCoupon["code"].(string), bCoupon["id"].(string)
		secrets := []string{"cust-b", "Zenobia", b.ID, bCode, bID, "700", "900"}
		clean := func(what string, r response) {
			t.Helper()
			for _, x := range secrets {
				if strings.Contains(string(r.Body), x) {
					t.Errorf("%s: B's %q in the body: %s", what, x, r.Body)
				}
			}
		}

		for _, p := range []string{"/v1/member/coupons/" + bID, "/v1/member/coupons/" + bCode} {
			r := s.do("GET", p, tokA, nil)
			if r.Status != 404 {
				t.Errorf("A reads B's coupon at %s: %d", p, r.Status)
			}
			clean(p, r)
		}
		for _, p := range []string{"/v1/member?member=cust-b&customer_id=cust-b", "/v1/member/history?member=" + b.ID,
			"/v1/member/coupons?member=cust-b", "/v1/member/rewards?member=cust-b", "/v1/member/cust-b", "/v1/member/" + b.ID + "/history"} {
			r := s.do("GET", p, tokA, nil)
			if r.Status != 200 && r.Status != 404 {
				t.Errorf("%s: %d %s", p, r.Status, r.Body)
			}
			clean(p, r)
		}
		// The same Idempotency-Key as B's redemption makes A a coupon of her own.
		aRed := s.do("POST", "/v1/member/redemptions", tokA, map[string]any{"reward_id": r20.ID}, "Idempotency-Key", "same-key")
		if aRed.Status != 201 || num(t, aRed.JSON(t), "points.available") != 300 {
			t.Errorf("A's redemption with B's key: %d %s", aRed.Status, aRed.Body)
		}
		clean("A's redemption with B's key", aRed)
		if bal, _ := s.app.Service.Members.Balance(ctx, s.tenant, "cust-b"); bal.Points.Available != 700 {
			t.Errorf("B's balance moved: %d", bal.Points.Available)
		}

		// A member token is not an API key.
		if r := s.do("GET", "/v1/members/cust-b/balance", tokA, nil); r.Status != 401 {
			t.Errorf("member token on the admin API: %d", r.Status)
		}
		// A token naming B's Tenure id instead of a customer id finds nobody.
		if r := s.do("GET", "/v1/member", s.token(b.ID), nil); r.Status != 404 {
			t.Errorf("token naming a Tenure member id: %d %s", r.Status, r.Body)
		}
		if r := s.do("GET", "/v1/member", s.token("cust-nobody"), nil); r.Status != 404 {
			t.Errorf("token for a customer who is not a member: %d", r.Status)
		}

		// Another store with a customer of the same id: its token sees its own member only,
		// and cannot be passed off as the first store's.
		tenant2, secret2 := s.newTenant("Shop B")
		s.member(tenant2, "cust-a", "Other Ola", 42)
		tok2, _ := widget.SignToken(secret2, tenant2, "cust-a", time.Hour, s.clock.Now())
		if r := s.do("GET", "/v1/member", tok2, nil); r.Status != 200 || num(t, r.JSON(t), "points.available") != 42 {
			t.Errorf("second store's member: %d %s", r.Status, r.Body)
		}
		forged := sign(secret2, map[string]any{"tenant": s.tenant, "member": "cust-a", "iat": s.clock.Now().Unix(), "exp": s.clock.Now().Add(time.Hour).Unix(), "nonce": "x"})
		if r := s.do("GET", "/v1/member", forged, nil); r.Status != 401 {
			t.Errorf("token signed by store 2 claiming store 1: %d %s", r.Status, r.Body)
		}

		// Expiry follows the injected clock; rotation revokes old tokens.
		s.clock.Advance(time.Hour)
		if r := s.do("GET", "/v1/member", tokA, nil); r.Status != 401 || !strings.Contains(string(r.Body), "expired") {
			t.Errorf("expired token: %d %s", r.Status, r.Body)
		}
		fresh := s.token("cust-a")
		if _, _, err := s.app.Service.Widget.RotateSecret(ctx, s.tenant, "test"); err != nil {
			t.Fatal(err)
		}
		if r := s.do("GET", "/v1/member", fresh, nil); r.Status != 401 {
			t.Errorf("token signed with a rotated secret: %d", r.Status)
		}
		if r := s.do("GET", "/v1/member", "", nil); r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("no token: %d %v", r.Status, r.Header)
		}
	})
}

// TestMemberOrigins checks the tenant's allowed origins: browsers on other origins are
// refused before anything is read; server calls without an Origin pass.
func TestMemberOrigins(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		s.member(s.tenant, "cust-a", "Ola", 10)
		tok := s.token("cust-a")
		if r := s.do("GET", "/v1/member", tok, nil, "Origin", "https://any.example"); r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("no origins set: %d %v", r.Status, r.Header)
		}
		if _, err := s.app.Service.Widget.SetOrigins(ctx, s.tenant, "test", []string{"ftp://shop.example", "https://shop.example/cart"}); tenure.KindOf(err) != tenure.KindInvalid ||
			!strings.Contains(err.Error(), "allowed_origins[0]") || !strings.Contains(err.Error(), "allowed_origins[1]") {
			t.Errorf("bad origins: %v", err)
		}
		v, err := s.app.Service.Widget.SetOrigins(ctx, s.tenant, "test", []string{"HTTPS://Shop.Example:443", "https://shop.example", "http://localhost:3000"})
		if err != nil || strings.Join(v.AllowedOrigins, " ") != "https://shop.example http://localhost:3000" {
			t.Fatalf("origins: %v %v", v.AllowedOrigins, err)
		}
		if r := s.do("GET", "/v1/member", tok, nil, "Origin", "https://shop.example"); r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
			t.Errorf("allowed origin: %d %v", r.Status, r.Header)
		}
		if r := s.do("GET", "/v1/member", tok, nil, "Origin", "https://evil.example"); r.Status != 403 || strings.Contains(string(r.Body), "cust-a") {
			t.Errorf("other origin: %d %s", r.Status, r.Body)
		}
		if r := s.do("GET", "/v1/member", tok, nil); r.Status != 200 {
			t.Errorf("server-side call without Origin: %d", r.Status)
		}
		pre := s.do("OPTIONS", "/v1/member/redemptions", "", nil, "Origin", "https://shop.example", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization,content-type,idempotency-key")
		if pre.Status != 204 || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Idempotency-Key") {
			t.Errorf("preflight: %d %v", pre.Status, pre.Header)
		}
		ws, err := s.app.Service.Widget.Settings(ctx, s.tenant)
		shown, _ := json.Marshal(ws)
		if err != nil || !ws.Configured || !strings.HasPrefix(s.secret, ws.SecretHint) || len(ws.SecretHint) != 8 || strings.Contains(string(shown), s.secret) {
			t.Errorf("settings: %s %v", shown, err)
		}
	})
}

// TestMemberTier shows the tier and the progress toward the next one once the program has
// tiers, and nothing before.
func TestMemberTier(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		s.member(s.tenant, "cust-a", "Ola", 10)
		tok := s.token("cust-a")
		if m := s.do("GET", "/v1/member", tok, nil).JSON(t); m["tier"] != nil {
			t.Fatalf("tier without a ladder: %v", m["tier"])
		}
		ladder := tiers.Ladder{Metric: tiers.PointsEarned, Window: tiers.Lifetime, Tiers: []tiers.Tier{
			{Key: "bronze", Name: "Bronze", Threshold: 0}, {Key: "silver", Name: "Silver", Threshold: 1000}}}
		if _, err := s.app.Service.Tiers.Save(context.Background(), s.tenant, "test", ladder); err != nil {
			t.Fatal(err)
		}
		m := s.do("GET", "/v1/member", tok, nil).JSON(t)
		tier, _ := m["tier"].(map[string]any)
		next, _ := tier["next"].(map[string]any)
		if tier["name"] != "Bronze" || next["name"] != "Silver" || num(t, tier, "percent") != 0 || num(t, next, "need") != 1000 ||
			!strings.Contains(tier["progress"].(string), "Silver") {
			t.Fatalf("tier: %v", m["tier"])
		}
	})
}
