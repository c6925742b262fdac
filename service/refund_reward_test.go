package service_test

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestRefundAfterRedemption: the points of an order bought a reward, then the order is
// refunded. The claw-back follows the program's negative-balance policy and the history
// says what happened at every step.
func TestRefundAfterRedemption(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		for _, policy := range []string{tenure.NegativeCap, tenure.NegativeAllow} {
			t.Run(policy, func(t *testing.T) {
				v := newEnv(t, e, func(p *tenure.Program) { p.NegativeBalance = policy })
				v.ingest(orderEvent("paid", tenure.OrderPaid, "ola", "o1", 20000),
					tenure.Event{ID: "shipped", Type: tenure.OrderFulfilled, CustomerID: "ola", Order: &tenure.OrderData{ID: "o1"}})
				rw, err := v.svc.Rewards.Create(ctx, v.tenant, "test", rewards.RewardDefinition{Name: "20 zł coupon", Type: rewards.Type("fixed_discount"), Value: 2000, Cost: 200})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := v.svc.Rewards.Redeem(ctx, v.tenant, "shop", "ola", "", service.RedeemRequest{RewardID: rw.ID}); err != nil {
					t.Fatal(err)
				}
				refund := v.ingest(tenure.Event{ID: "refund", Type: tenure.OrderRefunded, CustomerID: "ola", Refund: &tenure.RefundData{OrderID: "o1", Full: true}})[0]
				b := v.points("ola")
				hist, _, err := v.svc.Members.History(ctx, v.tenant, "ola", tenure.Points, "", 50)
				if err != nil {
					t.Fatal(err)
				}
				var story []string
				for i := len(hist) - 1; i >= 0; i-- {
					story = append(story, string(hist[i].Kind)+" "+hist[i].Reason)
				}
				text := strings.Join(story, " | ")
				for _, step := range []string{"earn order.paid o1", "release order.fulfilled o1", "spend", "20 zł coupon"} {
					if !strings.Contains(text, step) {
						t.Errorf("history lacks %q: %s", step, text)
					}
				}
				switch policy {
				case tenure.NegativeCap:
					if b.Available != 0 || refund.Points.Uncollected != 200 || refund.Points.Reversed != 0 {
						t.Fatalf("cap: balance %+v, refund %+v", b, refund.Points)
					}
					o, _ := v.svc.Members.Order(ctx, v.tenant, "o1")
					if o.Points.WrittenOff != 200 {
						t.Fatalf("the uncollected points are not visible on the order: %+v", o.Points)
					}
				case tenure.NegativeAllow:
					if b.Available != -200 || refund.Points.Reversed != 200 || !strings.Contains(text, "reverse order.refunded o1") {
						t.Fatalf("allow: balance %+v, refund %+v, history %s", b, refund.Points, text)
					}
				}
				v.verify()
			})
		}
	})
}
