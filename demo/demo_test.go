package demo_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/demo"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/subscription"
)

var end = time.Date(2026, 11, 1, 15, 0, 0, 0, time.UTC)

func TestGenerateIsDeterministic(t *testing.T) {
	a := demo.Generate(demo.Options{Customers: 200, Months: 6, Seed: 7, End: end, Subscribers: 20})
	b := demo.Generate(demo.Options{Customers: 200, Months: 6, Seed: 7, End: end.Add(5 * time.Hour), Subscribers: 20}) // same day
	if !reflect.DeepEqual(a.Events, b.Events) || !reflect.DeepEqual(a.Subs, b.Subs) || len(a.Subs) < 20 {
		t.Fatal("the same seed and day gave different stores")
	}
	// Subscribers are drawn apart: the store around them is the same without them.
	if plain := demo.Generate(demo.Options{Customers: 200, Months: 6, Seed: 7, End: end}); !reflect.DeepEqual(a.Events, plain.Events) || len(plain.Subs) != 0 {
		t.Fatal("adding subscribers changed the rest of the store")
	}
	c := demo.Generate(demo.Options{Customers: 200, Months: 6, Seed: 8, End: end})
	if reflect.DeepEqual(a.Events, c.Events) {
		t.Fatal("another seed gave the same store")
	}
	repeat := map[string]int{}
	for _, e := range a.Events {
		if e.Type == "order.paid" {
			repeat[e.CustomerID]++
		}
	}
	var once, more int
	for _, n := range repeat {
		if n == 1 {
			once++
		} else {
			more++
		}
	}
	if once == 0 || more == 0 {
		t.Fatalf("a believable store has one-timers and repeat buyers: %d and %d", once, more)
	}
}

func TestReplay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		h, db, svc, tn := replayed(t, e, demo.Options{Customers: 150, Months: 4, Seed: 3, End: end, Subscribers: 24})
		ctx := context.Background()
		var members int64
		var bad []storage.Mismatch
		_ = db.Read(ctx, func(tx *storage.Tx) (err error) {
			members, err = tx.CountMembers(ctx, tn.ID)
			if err == nil {
				_, _, err = tx.Verify(ctx, func(m storage.Mismatch) { bad = append(bad, m) })
			}
			return err
		})
		pm, err := svc.Reports.ProgramMetrics(ctx, tn.ID, h.Start, end)
		if err != nil || members != 150 || len(bad) > 0 || pm.Issued == 0 || pm.Redeemed == 0 {
			t.Fatalf("members %d, mismatches %v, program %+v, err %v", members, bad, pm, err)
		}
		checkSubscribers(t, svc, tn.ID, h)
	})
}

// checkSubscribers checks the replayed box subscribers: subscriptions in every state, a
// dunning queue, customers kept by the cancel flow and others lost through it, renewals
// booked as orders that earned points, and a positive MRR at the end.
func checkSubscribers(t *testing.T, svc *service.Service, tenantID string, h demo.History) {
	t.Helper()
	ctx := context.Background()
	all, err := svc.Subscriptions.List(ctx, tenantID, service.SubscriptionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[subscription.State]int{}
	for _, s := range all {
		states[s.State]++
	}
	for _, st := range []subscription.State{subscription.Active, subscription.Paused, subscription.PastDue, subscription.Cancelled} {
		if states[st] == 0 {
			t.Errorf("no %s subscription among %d: %v", st, len(all), states)
		}
	}
	t.Logf("%d subscriptions by state: %v", len(all), states)
	m, err := svc.Subscriptions.Metrics(ctx, tenantID, h.Start, end)
	if err != nil {
		t.Fatal(err)
	}
	var news, churned int64
	for _, mv := range m.Movements {
		news += mv.New
		churned += mv.Churned
	}
	last := m.Movements[len(m.Movements)-1]
	if last.End <= 0 || news <= 0 || churned <= 0 {
		t.Errorf("MRR at the end %d, new %d, churned %d: want all positive", last.End, news, churned)
	}
	if m.Funnel.Saved == 0 || m.Funnel.SaveFlows <= m.Funnel.Saved || m.Funnel.DunningRecovered == 0 {
		t.Errorf("funnel %+v: want saves, cancellations and recovered dunning", m.Funnel)
	}
	// A renewal is an order through the intake and earns points like any other.
	i := slices.IndexFunc(all, func(s subscription.Subscription) bool { return s.State == subscription.Active })
	tl, err := svc.Subscriptions.Timeline(ctx, tenantID, all[i].ID)
	if err != nil || len(tl.Renewals) == 0 || tl.Renewals[0].OrderID == "" {
		t.Fatalf("timeline of %s: %+v, %v", all[i].ID, tl, err)
	}
	o, err := svc.Members.Order(ctx, tenantID, tl.Renewals[0].OrderID)
	if err != nil || o.Subtotal() <= 0 {
		t.Fatalf("renewal order %+v: %v", o, err)
	}
	b, err := svc.Members.Balance(ctx, tenantID, all[i].MemberID)
	if err != nil || b.Points.Earned < o.Subtotal()/100 {
		t.Fatalf("subscriber's points %+v after a %d order: %v", b.Points, o.Subtotal(), err)
	}
}

// replayed generates a demo store, configures a tenant as tenure demo does and replays the
// history through the service on engine e.
func replayed(t *testing.T, e storagetest.Engine, o demo.Options) (demo.History, *storage.DB, *service.Service, tenure.Tenant) {
	t.Helper()
	h := demo.Generate(o)
	clock := demo.NewClock(h.Start)
	db := storagetest.Open(t, e, clock)
	svc := service.New(db, nil)
	ctx := context.Background()
	tn, _, err := svc.Tenants.Create(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	rewardIDs, err := demo.Setup(ctx, svc, tn.ID, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Replay(ctx, svc, clock, tn.ID, h, rewardIDs, nil); err != nil {
		t.Fatal(err)
	}
	return h, db, svc, tn
}
