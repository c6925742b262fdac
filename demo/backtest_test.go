package demo_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/demo"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestBacktestReplaysLiveEarning runs the demo store through live intake, then backtests
// the live rule set over every order: each order must get exactly the points the ledger
// recorded for it — tier multipliers, the weekend campaign's holdout and all.
func TestBacktestReplaysLiveEarning(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		h, db, svc, tn := replayed(t, e, demo.Options{Customers: 300, Months: 12, Seed: 11, End: end})
		ctx := context.Background()
		var err error
		// What the ledger earned for each order's lot.
		earned := map[string]int64{}
		err = db.Read(ctx, func(tx *storage.Tx) error {
			return tx.EachEntry(ctx, tn.ID, func(en tenure.Entry) error {
				if en.Kind == tenure.EntryEarn && en.LotID != "" {
					earned[en.LotID] += en.Amount
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		_, set := demo.Program()
		var orders, withLot, tierBoosted, heldOut, weekend int
		rep, err := svc.Rules.BacktestEach(ctx, tn.ID, service.BacktestRequest{Rules: set, From: h.Start, To: end.Add(24 * 3600e9)}, func(b service.BacktestOrder) error {
			o := b.Order
			orders++
			if !b.Recorded || !o.Points.Evaluated {
				t.Errorf("order %s was judged live but kept no member state", o.ExternalID)
			}
			if b.Candidate.Points != o.Points.Base || b.Current.Points != o.Points.Base {
				t.Errorf("order %s: backtest %d (current rules %d), live %d", o.ExternalID, b.Candidate.Points, b.Current.Points, o.Points.Base)
			}
			if o.Points.LotID != "" {
				withLot++
				if got := earned[o.Points.LotID]; got != b.Candidate.Points {
					t.Errorf("order %s: the ledger earned %d, the backtest gives %d", o.ExternalID, got, b.Candidate.Points)
				}
			}
			for _, x := range b.Candidate.Explanations {
				switch {
				case strings.HasPrefix(x.RuleID, "tier.") && x.Fired:
					tierBoosted++
				case x.RuleID == "weekend" && strings.HasPrefix(x.Reason, "held out"):
					heldOut++
				case x.RuleID == "weekend" && x.Fired:
					weekend++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d orders (%d with points), %d with a tier multiplier, weekend %d doubled and %d held out; report %+v",
			orders, withLot, tierBoosted, weekend, heldOut, rep.Orders)
		if orders < h.Orders*9/10 || withLot == 0 || tierBoosted == 0 || heldOut == 0 || weekend == 0 {
			t.Fatalf("the replay does not exercise tiers and holdouts: %d orders of %d, %d with lots, %d tier, %d held out, %d weekend",
				orders, h.Orders, withLot, tierBoosted, heldOut, weekend)
		}
		if rep.Points != rep.CurrentPoints || rep.MembersAffected != 0 || rep.Reconstructed != 0 {
			t.Fatalf("the live rules differ from themselves: %+v", rep)
		}

		// Orders judged before their member state was kept: the backtest reconstructs the
		// tier from the tier changes and the balance from the ledger, in the order the
		// entries were made, and still gives every order its recorded points.
		forgetBasis(t, db)
		var reconstructed int
		_, err = svc.Rules.BacktestEach(ctx, tn.ID, service.BacktestRequest{Rules: set, From: h.Start, To: end.Add(24 * 3600e9)}, func(b service.BacktestOrder) error {
			if !b.Recorded {
				reconstructed++
			}
			if b.Candidate.Points != b.Order.Points.Base {
				t.Errorf("order %s reconstructed: backtest %d, live %d", b.Order.ExternalID, b.Candidate.Points, b.Order.Points.Base)
			}
			return nil
		})
		if err != nil || reconstructed != orders {
			t.Fatalf("%d of %d orders reconstructed, err %v", reconstructed, orders, err)
		}
	})
}

// forgetBasis removes the member state kept on every order, as for orders judged before
// it was kept.
func forgetBasis(t *testing.T, db *storage.DB) {
	t.Helper()
	rows, err := db.Raw().Query(`SELECT id, points FROM orders`)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatal(err)
		}
		delete(p, "basis")
		b, _ := json.Marshal(p)
		docs[id] = string(b)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for id, doc := range docs {
		if _, err := db.Raw().Exec(`UPDATE orders SET points = $1 WHERE id = $2`, doc, id); err != nil {
			t.Fatal(err)
		}
	}
}
