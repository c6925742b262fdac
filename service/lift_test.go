package service_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func TestHoldoutLift(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		saveRules(t, v, rules.Set{Rules: []rules.Rule{
			rules.FromProgram(tenure.DefaultProgram()),
			{ID: "comeback", Name: "Come-back bonus", Kind: rules.KindAction, Event: tenure.OrderPaid, Points: 100, Holdout: 3000},
		}})
		const n = 60
		for i := 0; i < n; i++ {
			v.ingest(orderEvent(fmt.Sprint("a", i), tenure.OrderPaid, fmt.Sprint("m", i), fmt.Sprint("oa", i), 10000))
		}
		v.clock.Advance(10 * 24 * time.Hour)
		// Treated members come back more often: every treated member, every third held-out one.
		for i := 0; i < n; i++ {
			m, _ := v.svc.Members.Get(ctx, v.tenant, fmt.Sprint("m", i))
			if !rules.InHoldout("comeback", m.ID, 3000) || i%3 == 0 {
				v.ingest(orderEvent(fmt.Sprint("b", i), tenure.OrderPaid, fmt.Sprint("m", i), fmt.Sprint("ob", i), 20000))
			}
		}
		rep, err := v.svc.Reports.Lift(ctx, v.tenant, "comeback", 90)
		if err != nil {
			t.Fatal(err)
		}
		if rep.TreatedMembers+rep.HoldoutMembers != n || rep.HoldoutMembers < 8 || rep.HoldoutMembers > 30 {
			t.Fatalf("groups %d treated, %d holdout", rep.TreatedMembers, rep.HoldoutMembers)
		}
		if rep.Retention.Treated != 1 || rep.Retention.Holdout >= 0.6 || !rep.Significant || rep.CostPerMember <= 0 {
			t.Fatalf("lift %+v", rep.LiftReport)
		}
		// Held-out members never got the bonus.
		for i := 0; i < n; i++ {
			m, _ := v.svc.Members.Get(ctx, v.tenant, fmt.Sprint("m", i))
			b := v.points(m.ID)
			held := rules.InHoldout("comeback", m.ID, 3000)
			orders := int64(1)
			want := int64(100)
			if !held || i%3 == 0 {
				orders, want = 2, 300
			}
			if !held {
				want += 100 * orders
			}
			if b.Earned != want {
				t.Fatalf("member %d (held out %v) earned %d, want %d", i, held, b.Earned, want)
			}
		}
	})
}
