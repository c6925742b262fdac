package service_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func TestIntake(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		t.Run("an order earns pending points that fulfilment makes available", func(t *testing.T) {
			v := newEnv(t, e, nil)
			rs := v.ingest(orderEvent("e1", tenure.OrderPaid, "c1", "o1", 12000, 3050))
			if !rs[0].Enrolled || rs[0].Points.Earned != 150 || !rs[0].Points.Pending {
				t.Fatalf("paid: %+v %+v", rs[0], rs[0].Points)
			}
			if b := v.points("c1"); b.Pending != 150 || b.Available != 0 {
				t.Fatalf("after paid: %+v", b)
			}
			v.ingest(tenure.Event{ID: "e2", Type: tenure.OrderFulfilled, CustomerID: "c1", Order: &tenure.OrderData{ID: "o1"}})
			b := v.points("c1")
			if b.Pending != 0 || b.Available != 150 || b.NextExpiryAmount != 150 || b.NextExpiryAt == nil {
				t.Fatalf("after fulfilled: %+v", b)
			}
			v.verify()
		})

		t.Run("every event replayed ten times changes nothing and says it is a replay", func(t *testing.T) {
			v := newEnv(t, e, nil)
			seq := []tenure.Event{
				{ID: "s0", Type: tenure.CustomerCreated, CustomerID: "c9", Customer: &tenure.MemberPatch{Email: ptr("ana@example.com")}},
				orderEvent("s1", tenure.OrderPlaced, "c9", "o9", 10000, 20000),
				orderEvent("s2", tenure.OrderPaid, "c9", "o9", 10000, 20000),
				refundEvent("s3", "c9", "o9", 5000),
				{ID: "s4", Type: tenure.OrderFulfilled, CustomerID: "c9", Order: &tenure.OrderData{ID: "o9"}},
				{ID: "s5", Type: tenure.ReviewPosted, CustomerID: "c9", Properties: map[string]any{"rating": 5}},
			}
			first := make([]tenure.EventResult, len(seq))
			for i, ev := range seq {
				first[i] = v.ingest(ev)[0]
			}
			before, bal := v.counts(), v.points("c9")
			for round := 0; round < 10; round++ {
				for i, ev := range seq {
					r := v.ingest(ev)[0]
					want := first[i]
					want.Replay = true
					if !reflect.DeepEqual(r, want) {
						t.Fatalf("replay %d of %s: got %+v want %+v", round, ev.ID, r, want)
					}
				}
				for _, r := range v.ingest(seq...) {
					if !r.Replay {
						t.Fatalf("batch replay of %s not marked as replay", r.EventID)
					}
				}
			}
			sameCounts(t, before, v.counts())
			if after := v.points("c9"); !after.SameSums(bal) {
				t.Fatalf("balance moved: %+v -> %+v", bal, after)
			}
		})

		t.Run("out-of-order arrival converges on the in-order state", func(t *testing.T) {
			v := newEnv(t, e, nil)
			steps := []tenure.EventType{tenure.OrderPlaced, tenure.OrderPaid, tenure.OrderFulfilled, tenure.OrderRefunded}
			perms := permutations(len(steps))
			var want tenure.Balance
			for pi, perm := range perms {
				cust, order := fmt.Sprintf("c%d", pi), fmt.Sprintf("o%d", pi)
				for _, si := range perm {
					id := fmt.Sprintf("p%d-%d", pi, si)
					switch steps[si] {
					case tenure.OrderRefunded:
						v.ingest(refundEvent(id, cust, order, 7000))
					case tenure.OrderFulfilled:
						v.ingest(tenure.Event{ID: id, Type: tenure.OrderFulfilled, CustomerID: cust, Order: &tenure.OrderData{ID: order}})
					default:
						v.ingest(orderEvent(id, steps[si], cust, order, 10000, 10000))
					}
				}
				b := v.points(cust)
				if pi == 0 {
					want = b
					if b.Available != 130 || b.Pending != 0 {
						t.Fatalf("in-order result %+v, want 130 available", b)
					}
				}
				if b.Available != want.Available || b.Pending != want.Pending {
					t.Fatalf("order %v: available/pending %d/%d, in order %d/%d", perm, b.Available, b.Pending, want.Available, want.Pending)
				}
				o, err := v.svc.Members.Order(ctx, v.tenant, order)
				if err != nil || o.Points.Credited != 130 {
					t.Fatalf("order %v: %+v %v", perm, o, err)
				}
			}
			v.verify()
		})

		t.Run("bad input is rejected with the field named and writes nothing", func(t *testing.T) {
			v := newEnv(t, e, func(p *tenure.Program) { p.AutoEnrol = false })
			v.ingest(tenure.Event{ID: "ok1", Type: tenure.CustomerCreated, CustomerID: "known"})
			v.ingest(orderEvent("ok2", tenure.OrderPaid, "known", "o1", 1000))
			before := v.counts()
			cases := []struct {
				name  string
				evs   []tenure.Event
				kind  tenure.Kind
				field string
			}{
				{"unknown event type", []tenure.Event{{ID: "x", Type: "order.exploded", CustomerID: "known"}}, tenure.KindInvalid, "type"},
				{"negative price", []tenure.Event{orderEvent("x", tenure.OrderPaid, "known", "o2", -5)}, tenure.KindInvalid, "order.lines[0].unit_price"},
				{"absurd amount", []tenure.Event{orderEvent("x", tenure.OrderPaid, "known", "o2", tenure.MaxMoney+1)}, tenure.KindInvalid, "order.lines[0].unit_price"},
				{"missing order", []tenure.Event{{ID: "x", Type: tenure.OrderPaid, CustomerID: "known"}}, tenure.KindInvalid, "order"},
				{"unknown member without auto-enrolment", []tenure.Event{orderEvent("x", tenure.OrderPaid, "stranger", "o3", 100)}, tenure.KindInvalid, "customer_id"},
				{"someone else's order", []tenure.Event{
					{ID: "x0", Type: tenure.CustomerCreated, CustomerID: "other"},
					orderEvent("x1", tenure.OrderPaid, "other", "o1", 1000)}, tenure.KindInvalid, "events[1].customer_id"},
				{"foreign currency", []tenure.Event{{ID: "x", Type: tenure.OrderPaid, CustomerID: "known", Order: &tenure.OrderData{ID: "o4", Currency: "EUR", Lines: lines(100)}}}, tenure.KindInvalid, "order.currency"},
				{"event id reused with another body", []tenure.Event{orderEvent("ok2", tenure.OrderPaid, "known", "o1", 2000)}, tenure.KindConflict, "id"},
				{"a valid event before an invalid one in a batch", []tenure.Event{
					orderEvent("y1", tenure.OrderPaid, "known", "o5", 1000),
					{ID: "y2", Type: tenure.OrderPaid, CustomerID: "known", Order: &tenure.OrderData{ID: "o6", Lines: []tenure.LineData{{Quantity: 0, UnitPrice: 1}}}}}, tenure.KindInvalid, "events[1].order.lines[0].quantity"},
			}
			for _, c := range cases {
				_, err := v.svc.Intake.Ingest(ctx, v.tenant, c.evs, serviceOpts(len(c.evs) > 1))
				var te *tenure.Error
				if !asErr(err, &te) || te.Kind != c.kind || !hasField(te, c.field) {
					t.Errorf("%s: got %v, want %s naming %s", c.name, err, c.kind, c.field)
				}
			}
			sameCounts(t, before, v.counts())
		})

		t.Run("a dry run returns the effects and writes nothing", func(t *testing.T) {
			v := newEnv(t, e, nil)
			before := v.counts()
			rs, err := v.svc.Intake.Ingest(ctx, v.tenant, []tenure.Event{orderEvent("d1", tenure.OrderPaid, "c1", "o1", 50000)}, dryRunOpts())
			if err != nil || rs[0].Points.Earned != 500 {
				t.Fatalf("dry run: %+v %v", rs, err)
			}
			sameCounts(t, before, v.counts())
		})

		t.Run("pending points become available when the return window ends, by job", func(t *testing.T) {
			v := newEnv(t, e, func(p *tenure.Program) { p.AvailableOn, p.ReturnWindowDays = "payment", 14 })
			v.ingest(orderEvent("w1", tenure.OrderPaid, "c1", "o1", 10000))
			v.clock.Advance(13 * 24 * time.Hour)
			v.runJobs()
			if b := v.points("c1"); b.Pending != 100 {
				t.Fatalf("a day early: %+v", b)
			}
			v.clock.Advance(24 * time.Hour)
			if n := v.runJobs(); n == 0 {
				t.Fatal("no job ran at the end of the window")
			}
			if b := v.points("c1"); b.Pending != 0 || b.Available != 100 {
				t.Fatalf("after window: %+v", b)
			}
			v.clock.Advance(24 * time.Hour)
			if n := v.runJobs(); n != 0 {
				t.Fatalf("%d jobs ran again", n)
			}
			v.verify()
		})

		t.Run("a refund inside the window cancels the pending points", func(t *testing.T) {
			v := newEnv(t, e, func(p *tenure.Program) { p.AvailableOn, p.ReturnWindowDays = "payment", 14 })
			v.ingest(orderEvent("r1", tenure.OrderPaid, "c1", "o1", 10000))
			v.clock.Advance(3 * 24 * time.Hour)
			v.ingest(tenure.Event{ID: "r2", Type: tenure.OrderRefunded, CustomerID: "c1", Refund: &tenure.RefundData{OrderID: "o1", Full: true}})
			v.clock.Advance(30 * 24 * time.Hour)
			v.runJobs()
			if b := v.points("c1"); b.Pending != 0 || b.Available != 0 || b.Reversed != 100 {
				t.Fatalf("%+v", b)
			}
			v.verify()
		})

		t.Run("lots expire by job and spending uses the soonest-expiring first", func(t *testing.T) {
			v := newEnv(t, e, func(p *tenure.Program) { p.Expiry = tenure.ExpiryPolicy{Mode: "days", Days: 30} })
			if _, err := v.svc.Intake.Adjust(ctx, v.tenant, "staff", "c1", "", adjust(100, "welcome")); err == nil {
				t.Fatal("adjusting an unknown member succeeded")
			}
			v.ingest(tenure.Event{ID: "m", Type: tenure.CustomerCreated, CustomerID: "c1"})
			mustAdjust(t, v, "c1", 100, "early lot")
			v.clock.Advance(10 * 24 * time.Hour)
			mustAdjust(t, v, "c1", 100, "later lot")
			if _, err := v.svc.Intake.Spend(ctx, v.tenant, "shop", "c1", "", spend(60)); err != nil {
				t.Fatal(err)
			}
			v.clock.Advance(21 * 24 * time.Hour) // the first lot (40 left) is past 30 days
			v.runJobs()
			b := v.points("c1")
			if b.Available != 100 || b.Expired != 40 || b.Spent != 60 {
				t.Fatalf("%+v", b)
			}
			v.verify()
		})
	})
}

func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	// Keep the natural order first: it is the reference.
	for i, p := range out {
		natural := true
		for j := range p {
			natural = natural && p[j] == j
		}
		if natural {
			out[0], out[i] = out[i], out[0]
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
