package ledger

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func newBook(now time.Time, lots ...*tenure.Lot) *Book {
	n := 0
	bal := tenure.Balance{MemberID: "mem_1", Wallet: tenure.Points}
	for _, l := range lots {
		bal.Available += l.Remaining
		bal.Pending += l.Pending
	}
	return NewBook(bal, lots, now, func(p string) string { n++; return fmt.Sprintf("%s_%03d", p, n) })
}

func at(d int) *time.Time { t := t0.AddDate(0, 0, d); return &t }

func TestBook(t *testing.T) {
	c := Cause{Type: "test", ID: "x"}
	t.Run("spending takes the lots closest to expiry first and never-expiring ones last", func(t *testing.T) {
		never := &tenure.Lot{ID: "lot_a", Remaining: 50, CreatedAt: t0.AddDate(0, 0, -30)}
		late := &tenure.Lot{ID: "lot_b", Remaining: 50, ExpiresAt: at(90)}
		soon := &tenure.Lot{ID: "lot_c", Remaining: 50, ExpiresAt: at(10)}
		b := newBook(t0, never, late, soon)
		if err := b.Spend(tenure.EntrySpend, 70, c); err != nil {
			t.Fatal(err)
		}
		if soon.Remaining != 0 || late.Remaining != 30 || never.Remaining != 50 {
			t.Fatalf("remaining soon=%d late=%d never=%d, want 0 30 50", soon.Remaining, late.Remaining, never.Remaining)
		}
		if b.Balance.Available != 80 || b.Balance.Spent != 70 {
			t.Fatalf("balance %+v", b.Balance)
		}
	})
	t.Run("a spend above the available balance fails and records nothing", func(t *testing.T) {
		b := newBook(t0, &tenure.Lot{ID: "lot_a", Remaining: 10})
		err := b.Spend(tenure.EntrySpend, 11, c)
		if tenure.KindOf(err) != tenure.KindConflict || len(b.Entries()) != 0 || b.Balance.Available != 10 {
			t.Fatalf("err=%v entries=%d balance=%d", err, len(b.Entries()), b.Balance.Available)
		}
	})
	t.Run("claw-back of spent points under cap stops at zero and reports the rest", func(t *testing.T) {
		lot := &tenure.Lot{ID: "lot_a", Remaining: 20}
		b := newBook(t0, lot)
		un := b.Clawback(lot, 50, tenure.NegativeCap, c)
		if un != 30 || b.Balance.Available != 0 || b.Balance.Reversed != 20 {
			t.Fatalf("uncollected=%d balance=%+v", un, b.Balance)
		}
	})
	t.Run("claw-back under allow goes negative and later earnings settle the debt first", func(t *testing.T) {
		lot := &tenure.Lot{ID: "lot_a", Remaining: 20}
		b := newBook(t0, lot)
		if un := b.Clawback(lot, 50, tenure.NegativeAllow, c); un != 0 || b.Balance.Available != -30 {
			t.Fatalf("uncollected=%d available=%d", un, b.Balance.Available)
		}
		fresh := b.NewLot("order", "o2")
		b.Earn(fresh, 100, false, at(365), c)
		if b.Balance.Available != 70 || fresh.Remaining != 70 {
			t.Fatalf("available=%d fresh lot remaining=%d, want 70 70", b.Balance.Available, fresh.Remaining)
		}
		if d := b.debtLot(); d.Remaining != 0 {
			t.Fatalf("debt lot remaining %d, want 0", d.Remaining)
		}
	})
	t.Run("claw-back takes pending points before available ones", func(t *testing.T) {
		lot := &tenure.Lot{ID: "lot_a", Pending: 40}
		other := &tenure.Lot{ID: "lot_b", Remaining: 100}
		b := newBook(t0, lot, other)
		b.Clawback(lot, 50, tenure.NegativeCap, c)
		if lot.Pending != 0 || other.Remaining != 90 || b.Balance.Pending != 0 || b.Balance.Available != 90 {
			t.Fatalf("lot=%+v other=%+v balance=%+v", lot, other, b.Balance)
		}
	})
	t.Run("expiry removes only what is left of due lots", func(t *testing.T) {
		due := &tenure.Lot{ID: "lot_a", Remaining: 15, ExpiresAt: at(-1)}
		notYet := &tenure.Lot{ID: "lot_b", Remaining: 5, ExpiresAt: at(1)}
		b := newBook(t0, due, notYet)
		if n := b.ExpireDue(c); n != 15 || b.Balance.Available != 5 || b.Balance.Expired != 15 {
			t.Fatalf("expired %d, balance %+v", n, b.Balance)
		}
		if n := b.ExpireDue(c); n != 0 {
			t.Fatalf("second run expired %d more", n)
		}
	})
	t.Run("a transfer keeps each slice's expiry at the receiver", func(t *testing.T) {
		from := newBook(t0, &tenure.Lot{ID: "lot_a", Remaining: 30, ExpiresAt: at(5)}, &tenure.Lot{ID: "lot_b", Remaining: 30, ExpiresAt: at(50)})
		to := newBook(t0)
		to.Balance.MemberID = "mem_2"
		s, err := from.TransferOut(40, c)
		if err != nil {
			t.Fatal(err)
		}
		to.TransferIn(s, c)
		to.RefreshNextExpiry()
		if to.Balance.Available != 40 || to.Balance.NextExpiryAmount != 30 || !to.Balance.NextExpiryAt.Equal(*at(5)) {
			t.Fatalf("receiver %+v", to.Balance)
		}
	})
}

func TestSettleOrder(t *testing.T) {
	p := tenure.DefaultProgram()
	p.AvailableOn, p.ReturnWindowDays = "payment", 14
	paid := t0
	order := func() *tenure.Order {
		return &tenure.Order{ID: "ord_1", Lines: []tenure.OrderLine{{LineID: "1", Quantity: 2, UnitPrice: 10000}, {LineID: "2", Quantity: 1, UnitPrice: 5000}}, PaidAt: &paid}
	}
	c := Cause{Type: "test"}
	t.Run("points stay pending through the return window and are released after it", func(t *testing.T) {
		o := order()
		o.Points.Base = 250 // 1 point per zł of 250 zł
		b := newBook(t0)
		out := SettleOrder(b, p, o, o.Points.Base, c)
		if out.Earned != 250 || !out.Pending || b.Balance.Pending != 250 || !out.AvailableAt.Equal(t0.AddDate(0, 0, 14)) {
			t.Fatalf("outcome %+v", out)
		}
		early := NewBook(b.Balance, b.Lots, t0.AddDate(0, 0, 13), b.newID)
		if out = SettleOrder(early, p, o, o.Points.Base, c); out.Released != 0 || !out.Pending {
			t.Fatalf("released a day early: %+v", out)
		}
		later := NewBook(b.Balance, b.Lots, t0.AddDate(0, 0, 14), b.newID)
		out = SettleOrder(later, p, o, o.Points.Base, c)
		if out.Released != 250 || out.Pending || later.Balance.Available != 250 || later.Balance.Pending != 0 {
			t.Fatalf("after the window: outcome %+v balance %+v", out, later.Balance)
		}
	})
	t.Run("a partial refund claws back proportionally", func(t *testing.T) {
		o := order()
		o.Points.Base = 250 // 1 point per zł of 250 zł
		b := newBook(t0)
		SettleOrder(b, p, o, o.Points.Base, c)
		o.AddRefund(&tenure.RefundData{OrderID: "x", Lines: []tenure.RefundLineData{{LineID: "1", Quantity: 1}}}, "r1", t0)
		out := SettleOrder(b, p, o, o.Points.Base, c)
		if out.Reversed != 100 || out.OrderPoints != 150 || b.Balance.Pending != 150 {
			t.Fatalf("outcome %+v balance %+v", out, b.Balance)
		}
	})
	t.Run("refund before payment and payment after converge on the same points", func(t *testing.T) {
		inOrder := order()
		inOrder.Points.Base = 250
		b1 := newBook(t0)
		SettleOrder(b1, p, inOrder, inOrder.Points.Base, c)
		inOrder.AddRefund(&tenure.RefundData{Amount: 5000}, "r1", t0)
		SettleOrder(b1, p, inOrder, inOrder.Points.Base, c)

		outOfOrder := order()
		outOfOrder.PaidAt = nil
		b2 := newBook(t0)
		outOfOrder.AddRefund(&tenure.RefundData{Amount: 5000}, "r1", t0)
		SettleOrder(b2, p, outOfOrder, 0, c)
		outOfOrder.PaidAt = &paid
		outOfOrder.Points.Base = 250
		SettleOrder(b2, p, outOfOrder, outOfOrder.Points.Base, c)
		if b1.Balance.Pending != 200 || b2.Balance.Pending != 200 {
			t.Fatalf("pending %d and %d, want 200", b1.Balance.Pending, b2.Balance.Pending)
		}
	})
}

// TestBookInvariants drives random operations and checks after each that the balance is
// the sum of its entries, equals the sum of the lots, and respects the policy floor.
func TestBookInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed*7))
		policy := tenure.NegativeCap
		if seed%2 == 0 {
			policy = tenure.NegativeAllow
		}
		now := t0
		b := newBook(now)
		var all []tenure.Entry
		var orderLots []*tenure.Lot
		for step := 0; step < 60; step++ {
			c := Cause{Type: "prop", ID: fmt.Sprint(step)}
			b = NewBook(b.Balance, b.Lots, now, b.newID)
			switch rng.IntN(6) {
			case 0:
				l := b.NewLot("order", fmt.Sprint(step))
				b.Earn(l, rng.Int64N(500)+1, rng.IntN(2) == 0, at(rng.IntN(60)), c)
				orderLots = append(orderLots, l)
			case 1:
				if len(orderLots) > 0 {
					l := orderLots[rng.IntN(len(orderLots))]
					b.Release(l, at(rng.IntN(60)), c)
				}
			case 2:
				_ = b.Spend(tenure.EntrySpend, rng.Int64N(400)+1, c)
			case 3:
				if len(orderLots) > 0 {
					b.Clawback(orderLots[rng.IntN(len(orderLots))], rng.Int64N(300)+1, policy, c)
				}
			case 4:
				now = now.AddDate(0, 0, rng.IntN(20))
				b = NewBook(b.Balance, b.Lots, now, b.newID)
				b.ExpireDue(c)
			case 5:
				_ = b.Adjust(rng.Int64N(200)-100, at(30), Cause{Type: "adjustment", Reason: "prop"})
			}
			all = append(all, b.Entries()...)
			var derived tenure.Balance
			for _, e := range all {
				derived.Apply(e)
			}
			var lotsAvail, lotsPend int64
			for _, l := range b.Lots {
				lotsAvail += l.Remaining
				lotsPend += l.Pending
				if l.Remaining < 0 && !l.Debt {
					t.Fatalf("seed %d step %d: lot %s has negative remaining %d", seed, step, l.ID, l.Remaining)
				}
			}
			if !derived.SameSums(b.Balance) {
				t.Fatalf("seed %d step %d: cached %+v, from entries %+v", seed, step, b.Balance, derived)
			}
			if lotsAvail != b.Balance.Available || lotsPend != b.Balance.Pending {
				t.Fatalf("seed %d step %d: lots %d/%d, balance %d/%d", seed, step, lotsAvail, lotsPend, b.Balance.Available, b.Balance.Pending)
			}
			if policy == tenure.NegativeCap && b.Balance.Available < 0 {
				t.Fatalf("seed %d step %d: available %d below zero under cap", seed, step, b.Balance.Available)
			}
			if b.Balance.Pending < 0 {
				t.Fatalf("seed %d step %d: pending %d below zero", seed, step, b.Balance.Pending)
			}
		}
	}
}
