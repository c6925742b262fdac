package service_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func (v *env) reward(d rewards.RewardDefinition) rewards.Reward {
	v.t.Helper()
	r, err := v.svc.Rewards.Create(ctx, v.tenant, "staff", d)
	if err != nil {
		v.t.Fatalf("create reward %s: %v", d.Name, err)
	}
	return r
}

func (v *env) member(ref string, points int64) {
	v.t.Helper()
	v.ingest(tenure.Event{ID: "enrol-" + ref, Type: tenure.CustomerCreated, CustomerID: ref})
	if points > 0 {
		mustAdjust(v.t, v, ref, points, "opening balance")
	}
}

func (v *env) rewardCounts() map[string]int64 {
	v.t.Helper()
	out := v.counts()
	for _, table := range []string{"rewards", "coupons", "reward_codes"} {
		var n int64
		if err := v.db.Raw().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			v.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// race runs n redemptions at once and counts the coupons issued and the refusals.
func race(t *testing.T, n int, redeem func(i int) error) (issued, refused int) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := redeem(i)
			mu.Lock()
			defer mu.Unlock()
			switch tenure.KindOf(err) {
			case tenure.KindConflict:
				refused++
			default:
				if err != nil {
					t.Errorf("redeem %d: %v", i, err)
				} else {
					issued++
				}
			}
		}()
	}
	wg.Wait()
	return issued, refused
}

var coupon20 = rewards.RewardDefinition{Name: "20 zł coupon", Type: rewards.FixedDiscount, Cost: 200, Value: 2000}

func TestRewardRedemption(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		t.Run("100 concurrent redemptions of the last 5 units issue exactly 5 coupons", func(t *testing.T) {
			v := newEnv(t, e, nil)
			d := coupon20
			d.Stock = new(int64)
			*d.Stock = 5
			r := v.reward(d)
			var enrol []tenure.Event
			for i := range 100 {
				enrol = append(enrol, tenure.Event{ID: fmt.Sprint("e", i), Type: tenure.CustomerCreated, CustomerID: fmt.Sprint("c", i)})
			}
			v.ingest(enrol...)
			for i := range 100 {
				mustAdjust(t, v, fmt.Sprint("c", i), 200, "float")
			}
			issued, refused := race(t, 100, func(i int) error {
				_, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", fmt.Sprint("c", i), "", service.RedeemRequest{RewardID: r.ID})
				return err
			})
			after, _ := v.svc.Rewards.Get(ctx, v.tenant, r.ID)
			if issued != 5 || refused != 95 || *after.Stock != 0 || after.Issued != 5 || v.rewardCounts()["coupons"] != 5 {
				t.Fatalf("issued %d refused %d, reward %+v", issued, refused, after)
			}
			v.verify()
		})

		t.Run("20 concurrent redemptions by a member who can afford one issue one", func(t *testing.T) {
			v := newEnv(t, e, nil)
			r := v.reward(coupon20)
			v.member("ola", 250)
			issued, refused := race(t, 20, func(int) error {
				_, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: r.ID})
				return err
			})
			if b := v.points("ola"); issued != 1 || refused != 19 || b.Available != 50 || b.Spent != 200 {
				t.Fatalf("issued %d refused %d balance %+v", issued, refused, b)
			}
			v.verify()
		})

		t.Run("an Idempotency-Key returns the first coupon and charges once", func(t *testing.T) {
			v := newEnv(t, e, nil)
			r := v.reward(coupon20)
			v.member("ola", 500)
			c1, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "k1", service.RedeemRequest{RewardID: r.ID})
			if err != nil {
				t.Fatal(err)
			}
			c2, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "k1", service.RedeemRequest{RewardID: r.ID})
			if err != nil || c2.ID != c1.ID || c2.Code != c1.Code || v.points("ola").Available != 300 {
				t.Fatalf("retry gave %+v (%v), balance %d", c2, err, v.points("ola").Available)
			}
		})

		t.Run("cancelling returns the points and the unit, once", func(t *testing.T) {
			v := newEnv(t, e, func(p *tenure.Program) { p.Expiry = tenure.ExpiryPolicy{Mode: "days", Days: 90} })
			d := coupon20
			d.Stock = new(int64)
			*d.Stock = 1
			r := v.reward(d)
			v.member("ola", 200)
			c, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: r.ID})
			if err != nil {
				t.Fatal(err)
			}
			v.clock.Advance(time.Hour)
			for range 2 {
				if c, err = v.svc.Rewards.CancelCoupon(ctx, v.tenant, "shop", c.Code, service.CouponCancel{Reason: "order cancelled"}); err != nil {
					t.Fatal(err)
				}
			}
			after, _ := v.svc.Rewards.Get(ctx, v.tenant, r.ID)
			b := v.points("ola")
			if c.State != rewards.Cancelled || c.PointsReturned != 200 || b.Available != 200 || b.Spent != 0 || *after.Stock != 1 {
				t.Fatalf("coupon %+v balance %+v stock %d", c, b, *after.Stock)
			}
			if want := v.clock.Now().AddDate(0, 0, 90); b.NextExpiryAt == nil || !b.NextExpiryAt.Equal(want) {
				t.Fatalf("restored points expire at %v, want %v", b.NextExpiryAt, want)
			}
			es, _, _ := v.svc.Members.History(ctx, v.tenant, "ola", tenure.Points, "", 10)
			if len(es) != 3 || es[0].Kind != tenure.EntryRestore || es[0].Amount != 200 || es[1].Kind != tenure.EntrySpend || es[1].CauseID != c.ID || es[0].CauseID != c.ID {
				t.Fatalf("history %+v", es)
			}
			if _, err := v.svc.Rewards.UseCoupon(ctx, v.tenant, "shop", c.ID, service.CouponUse{OrderID: "o1"}); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("using a cancelled coupon: %v", err)
			}
			v.verify()
		})

		for _, give := range []bool{false, true} {
			t.Run(fmt.Sprintf("an unused coupon expires at valid_until (points returned: %v)", give), func(t *testing.T) {
				v := newEnv(t, e, nil)
				d := coupon20
				d.ValidDays, d.ReturnOnExpiry = 7, give
				r := v.reward(d)
				v.member("ola", 400)
				unused, _ := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: r.ID})
				used, _ := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: r.ID})
				if _, err := v.svc.Rewards.UseCoupon(ctx, v.tenant, "shop", used.ID, service.CouponUse{OrderID: "o1"}); err != nil {
					t.Fatal(err)
				}
				v.clock.Advance(7*24*time.Hour - time.Second)
				v.runJobs()
				if c, _ := v.svc.Rewards.Coupon(ctx, v.tenant, unused.ID); c.State != rewards.Issued {
					t.Fatalf("expired early: %+v", c)
				}
				v.clock.Advance(time.Second)
				if n := v.runJobs(); n != 2 {
					t.Fatalf("ran %d jobs, want 2 (one per coupon)", n)
				}
				c, _ := v.svc.Rewards.Coupon(ctx, v.tenant, unused.ID)
				u, _ := v.svc.Rewards.Coupon(ctx, v.tenant, used.ID)
				want := map[bool]int64{false: 0, true: 200}[give]
				if c.State != rewards.Expired || u.State != rewards.Used || c.PointsReturned != want || v.points("ola").Available != want {
					t.Fatalf("expired %+v used %+v balance %d", c, u, v.points("ola").Available)
				}
				v.verify()
			})
		}

		t.Run("store credit goes into the wallet and back out on cancel, unless spent", func(t *testing.T) {
			v := newEnv(t, e, nil)
			r := v.reward(rewards.RewardDefinition{Name: "10 zł credit", Type: rewards.StoreCredit, Cost: 100, Value: 1000})
			v.member("ola", 100)
			c, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: r.ID})
			if b, _ := v.svc.Members.Balance(ctx, v.tenant, "ola"); err != nil || c.State != rewards.Used || b.Credit.Available != 1000 || b.Points.Available != 0 {
				t.Fatalf("%+v %v %+v", c, err, b)
			}
			if _, err := v.svc.Intake.Spend(ctx, v.tenant, "shop", "ola", "", service.LedgerOp{Wallet: tenure.Credit, Amount: 600}); err != nil {
				t.Fatal(err)
			}
			if _, err := v.svc.Rewards.CancelCoupon(ctx, v.tenant, "shop", c.ID, service.CouponCancel{}); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("cancel after the credit was spent: %v", err)
			}
			if _, err := v.svc.Intake.Adjust(ctx, v.tenant, "staff", "ola", "", service.LedgerOp{Wallet: tenure.Credit, Amount: 600, Reason: "order refunded"}); err != nil {
				t.Fatal(err)
			}
			if _, err := v.svc.Rewards.CancelCoupon(ctx, v.tenant, "shop", c.ID, service.CouponCancel{}); err != nil {
				t.Fatal(err)
			}
			if b, _ := v.svc.Members.Balance(ctx, v.tenant, "ola"); b.Credit.Available != 0 || b.Points.Available != 100 {
				t.Fatalf("after cancel %+v", b)
			}
			v.verify()
		})

		t.Run("pay with points converts whole steps", func(t *testing.T) {
			v := newEnv(t, e, nil)
			r := v.reward(rewards.RewardDefinition{Name: "Pay with points", Type: rewards.PointsDiscount, Cost: 100, Value: 1000, MaxPoints: 500})
			v.member("ola", 450)
			c, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: r.ID, Points: 300})
			if err != nil || c.Points != 300 || c.Value != 3000 || v.points("ola").Available != 150 {
				t.Fatalf("%+v %v", c, err)
			}
			if _, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: r.ID, Points: 150}); tenure.KindOf(err) != tenure.KindInvalid {
				t.Fatalf("half a step: %v", err)
			}
		})

		t.Run("a reward for one tier is hidden from the others", func(t *testing.T) {
			v := newEnv(t, e, nil)
			d := coupon20
			d.Tiers = []string{"Gold"}
			r := v.reward(d)
			v.member("ola", 500)
			if _, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: r.ID}); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("no tier: %v", err)
			}
			gold := "gold"
			if _, err := v.svc.Members.Update(ctx, v.tenant, "staff", "ola", tenure.MemberPatch{Attributes: map[string]any{"tier": gold}}); err != nil {
				t.Fatal(err)
			}
			offers, err := v.svc.Rewards.Available(ctx, v.tenant, "ola")
			if err != nil || len(offers) != 1 || !offers[0].Available {
				t.Fatalf("gold member: %+v %v", offers, err)
			}
		})

		t.Run("refused input writes nothing", func(t *testing.T) {
			v := newEnv(t, e, nil)
			other, _, err := v.svc.Tenants.Create(ctx, "Another store")
			if err != nil {
				t.Fatal(err)
			}
			foreign, err := v.svc.Rewards.Create(ctx, other.ID, "staff", coupon20)
			if err != nil {
				t.Fatal(err)
			}
			v.member("ola", 1000)
			pool := v.reward(rewards.RewardDefinition{Name: "Pool", Type: rewards.FreeShipping, Cost: 10, CodeSource: rewards.CodesPool})
			before := v.rewardCounts()
			for name, err := range map[string]error{
				"negative cost": func() error {
					_, err := v.svc.Rewards.Create(ctx, v.tenant, "staff", rewards.RewardDefinition{Name: "x", Type: rewards.FreeShipping, Cost: -1})
					return err
				}(),
				"another tenant's reward": func() error {
					_, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: foreign.ID})
					return err
				}(),
				"an empty pool upload": func() error { _, err := v.svc.Rewards.AddCodes(ctx, v.tenant, "staff", pool.ID, nil); return err }(),
				"an empty pool": func() error {
					_, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: pool.ID})
					return err
				}(),
			} {
				if err == nil || tenure.KindOf(err) == tenure.KindInternal {
					t.Errorf("%s: %v", name, err)
				}
			}
			sameCounts(t, before, v.rewardCounts())
		})
	})
}
