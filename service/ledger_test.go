package service_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func serviceOpts(batch bool) service.IngestOptions { return service.IngestOptions{Batch: batch} }
func dryRunOpts() service.IngestOptions            { return service.IngestOptions{DryRun: true} }
func asErr(err error, target **tenure.Error) bool  { return errors.As(err, target) }

func hasField(e *tenure.Error, field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func adjust(n int64, reason string) service.LedgerOp {
	return service.LedgerOp{Amount: n, Reason: reason}
}

func spend(n int64) service.LedgerOp { return service.LedgerOp{Amount: n} }

func mustAdjust(t *testing.T, v *env, ref string, n int64, reason string) {
	t.Helper()
	if _, err := v.svc.Intake.Adjust(ctx, v.tenant, "staff", ref, "", adjust(n, reason)); err != nil {
		t.Fatal(err)
	}
}

func TestLedgerOperations(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		t.Run("fifty concurrent spends never overdraw one balance", func(t *testing.T) {
			v := newEnv(t, e, nil)
			v.ingest(tenure.Event{ID: "m", Type: tenure.CustomerCreated, CustomerID: "c1"})
			mustAdjust(t, v, "c1", 1000, "float")
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok, short := 0, 0
			for i := 0; i < 50; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := v.svc.Intake.Spend(ctx, v.tenant, "shop", "c1", "", spend(30))
					mu.Lock()
					defer mu.Unlock()
					switch tenure.KindOf(err) {
					case "":
						ok++
					case tenure.KindConflict:
						short++
					default:
						if err != nil {
							t.Errorf("spend: %v", err)
						} else {
							ok++
						}
					}
				}()
			}
			wg.Wait()
			b := v.points("c1")
			if ok != 33 || short != 17 || b.Available != 10 || b.Spent != 990 {
				t.Fatalf("ok=%d short=%d balance=%+v; want 33 spends, 10 left", ok, short, b)
			}
			v.verify()
		})

		t.Run("an Idempotency-Key makes a retried adjustment count once", func(t *testing.T) {
			v := newEnv(t, e, nil)
			v.ingest(tenure.Event{ID: "m", Type: tenure.CustomerCreated, CustomerID: "c1"})
			r1, err := v.svc.Intake.Adjust(ctx, v.tenant, "staff", "c1", "k-1", adjust(50, "goodwill"))
			if err != nil {
				t.Fatal(err)
			}
			r2, err := v.svc.Intake.Adjust(ctx, v.tenant, "staff", "c1", "k-1", adjust(50, "goodwill"))
			if err != nil || r2.Balance.Available != r1.Balance.Available || v.points("c1").Available != 50 {
				t.Fatalf("retry: %+v %v", r2, err)
			}
			if _, err := v.svc.Intake.Adjust(ctx, v.tenant, "staff", "c1", "k-1", adjust(70, "goodwill")); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("reused key with another body: %v", err)
			}
		})

		t.Run("a transfer is atomic and refused when the sender is short", func(t *testing.T) {
			v := newEnv(t, e, nil)
			v.ingest(tenure.Event{ID: "a", Type: tenure.CustomerCreated, CustomerID: "mum"}, tenure.Event{ID: "b", Type: tenure.CustomerCreated, CustomerID: "kid"})
			mustAdjust(t, v, "kid", 80, "pocket points")
			before := v.counts()
			if _, err := v.svc.Intake.Transfer(ctx, v.tenant, "shop", "", service.TransferRequest{From: "kid", To: "mum", Amount: 81}); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("overdrawing transfer: %v", err)
			}
			sameCounts(t, before, v.counts())
			if _, err := v.svc.Intake.Transfer(ctx, v.tenant, "shop", "", service.TransferRequest{From: "kid", To: "mum", Amount: 80, Reason: "family pool"}); err != nil {
				t.Fatal(err)
			}
			if k, m := v.points("kid"), v.points("mum"); k.Available != 0 || m.Available != 80 || m.TransferredIn != 80 {
				t.Fatalf("kid %+v mum %+v", k, m)
			}
			v.verify()
		})

		t.Run("store credit is a separate wallet with the same rules", func(t *testing.T) {
			v := newEnv(t, e, nil)
			v.ingest(tenure.Event{ID: "m", Type: tenure.CustomerCreated, CustomerID: "c1"})
			if _, err := v.svc.Intake.Adjust(ctx, v.tenant, "staff", "c1", "", service.LedgerOp{Wallet: tenure.Credit, Amount: 2500, Reason: "cashback"}); err != nil {
				t.Fatal(err)
			}
			if _, err := v.svc.Intake.Spend(ctx, v.tenant, "shop", "c1", "", service.LedgerOp{Wallet: tenure.Credit, Amount: 2600}); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("overspend of credit: %v", err)
			}
			b, _ := v.svc.Members.Balance(ctx, v.tenant, "c1")
			if b.Credit.Available != 2500 || b.Points.Available != 0 {
				t.Fatalf("%+v", b)
			}
		})

		for _, policy := range []string{tenure.NegativeCap, tenure.NegativeAllow} {
			t.Run("a refund of spent points follows the "+policy+" policy", func(t *testing.T) {
				v := newEnv(t, e, func(p *tenure.Program) { p.NegativeBalance = policy })
				v.ingest(orderEvent("p", tenure.OrderPaid, "c1", "o1", 20000), tenure.Event{ID: "f", Type: tenure.OrderFulfilled, CustomerID: "c1", Order: &tenure.OrderData{ID: "o1"}})
				if _, err := v.svc.Intake.Spend(ctx, v.tenant, "shop", "c1", "", spend(150)); err != nil {
					t.Fatal(err)
				}
				r := v.ingest(tenure.Event{ID: "r", Type: tenure.OrderRefunded, CustomerID: "c1", Refund: &tenure.RefundData{OrderID: "o1", Full: true}})[0]
				b := v.points("c1")
				if policy == tenure.NegativeCap && (b.Available != 0 || r.Points.Uncollected != 150 || r.Points.Reversed != 50) {
					t.Fatalf("cap: %+v %+v", b, r.Points)
				}
				if policy == tenure.NegativeAllow && (b.Available != -150 || r.Points.Reversed != 200) {
					t.Fatalf("allow: %+v %+v", b, r.Points)
				}
				v.verify()
			})
		}

		t.Run("verify reports a balance that no longer matches its entries", func(t *testing.T) {
			v := newEnv(t, e, nil)
			v.ingest(tenure.Event{ID: "m", Type: tenure.CustomerCreated, CustomerID: "c1"})
			mustAdjust(t, v, "c1", 100, "seed")
			m, _ := v.svc.Members.Get(ctx, v.tenant, "c1")
			if _, err := v.db.Raw().Exec(`UPDATE balances SET available = available + 1 WHERE wallet = 'points' AND member_id = $1`, m.ID); err != nil {
				t.Fatal(err)
			}
			defer v.db.Raw().Exec(`UPDATE balances SET available = available - 1 WHERE wallet = 'points' AND member_id = $1`, m.ID)
			var bad []storage.Mismatch
			err := v.db.Read(ctx, func(tx *storage.Tx) error {
				_, _, err := tx.Verify(ctx, func(m storage.Mismatch) { bad = append(bad, m) })
				return err
			})
			if err != nil || len(bad) != 1 || bad[0].What != "available" || bad[0].Cached != 101 || bad[0].Derived != 100 {
				t.Fatalf("verify found %+v (%v)", bad, err)
			}
		})

		t.Run("ledger invariants hold for random event sequences", func(t *testing.T) {
			for seed := uint64(1); seed <= 4; seed++ {
				policy := []string{tenure.NegativeCap, tenure.NegativeAllow}[seed%2]
				v := newEnv(t, e, func(p *tenure.Program) {
					p.NegativeBalance, p.AvailableOn, p.ReturnWindowDays = policy, "payment", 7
					p.Expiry = tenure.ExpiryPolicy{Mode: "days", Days: 20}
				})
				randomWalk(t, v, rand.New(rand.NewPCG(seed, 99)), policy, 120)
			}
		})
	})
}

// randomWalk applies random orders, refunds, cancellations, fulfilments, spends,
// adjustments, transfers and clock moves (which run due jobs: releases and expiries),
// checking the ledger after every step.
func randomWalk(t *testing.T, v *env, rng *rand.Rand, policy string, steps int) {
	t.Helper()
	customers := []string{"a", "b", "c", "d"}
	for _, c := range customers {
		v.ingest(tenure.Event{ID: "enrol-" + c, Type: tenure.CustomerCreated, CustomerID: c})
	}
	var orders []string
	for step := 0; step < steps; step++ {
		cust := customers[rng.IntN(len(customers))]
		id := fmt.Sprintf("ev-%d", step)
		var err error
		switch k := rng.IntN(9); {
		case k <= 1 || len(orders) == 0:
			o := fmt.Sprintf("o-%d", step)
			orders = append(orders, o+"|"+cust)
			_, err = v.svc.Intake.Ingest(ctx, v.tenant, []tenure.Event{orderEvent(id, tenure.OrderPaid, cust, o, rng.Int64N(40000)+100, rng.Int64N(9000)+100)}, service.IngestOptions{})
		case k == 2:
			o, c := splitOrder(orders[rng.IntN(len(orders))])
			_, err = v.svc.Intake.Ingest(ctx, v.tenant, []tenure.Event{refundEvent(id, c, o, rng.Int64N(8000)+1)}, service.IngestOptions{})
		case k == 3:
			o, c := splitOrder(orders[rng.IntN(len(orders))])
			_, err = v.svc.Intake.Ingest(ctx, v.tenant, []tenure.Event{{ID: id, Type: tenure.OrderCancelled, CustomerID: c, Order: &tenure.OrderData{ID: o}}}, service.IngestOptions{})
		case k == 4:
			_, err = v.svc.Intake.Spend(ctx, v.tenant, "shop", cust, "", spend(rng.Int64N(300)+1))
		case k == 5:
			_, err = v.svc.Intake.Adjust(ctx, v.tenant, "staff", cust, "", adjust(rng.Int64N(300)-150+1, "random"))
		case k == 6:
			to := customers[rng.IntN(len(customers))]
			if to != cust {
				_, err = v.svc.Intake.Transfer(ctx, v.tenant, "shop", "", service.TransferRequest{From: cust, To: to, Amount: rng.Int64N(200) + 1})
			}
		default:
			v.clock.Advance(time.Duration(rng.IntN(6*24)) * time.Hour)
			v.runJobs()
		}
		if err != nil && tenure.KindOf(err) != tenure.KindConflict {
			t.Fatalf("step %d: %v", step, err)
		}
		if step%10 == 9 {
			v.verify()
		}
		for _, c := range customers {
			b, err := v.svc.Members.Balance(ctx, v.tenant, c)
			if err != nil {
				t.Fatal(err)
			}
			if b.Points.Pending < 0 || (policy == tenure.NegativeCap && b.Points.Available < 0) {
				t.Fatalf("step %d: %s below the %s floor: %+v", step, c, policy, b.Points)
			}
		}
	}
	v.verify()
}

func splitOrder(s string) (order, customer string) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '|' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
