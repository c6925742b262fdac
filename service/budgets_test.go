package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func TestCampaignBudgets(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		t.Run("a budget of 10,000 points holds when two nodes award from it at once", func(t *testing.T) {
			v := newEnv(t, e, nil)
			saveRules(t, v, rules.Set{Rules: []rules.Rule{
				{ID: "launch", Name: "Launch bonus", Kind: rules.KindAction, Event: tenure.OrderPaid, Points: 70, Budget: 10_000, Campaign: "launch"},
				{ID: "spring", Name: "Spring bonus", Kind: rules.KindAction, Event: tenure.OrderPaid, Points: 30, Budget: 3_000, Campaign: "spring"},
			}})
			other := service.New(storagetest.Open(t, e, v.clock), nil)
			nodes := []*service.Service{v.svc, other}
			// 200 orders from 16 concurrent senders, 8 per node (a bounded number of
			// connections on a shared server).
			var wg sync.WaitGroup
			errs := make(chan error, 200)
			next := make(chan int)
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						ev := orderEvent(fmt.Sprint("n", i), tenure.OrderPaid, fmt.Sprint("nc", i%40), fmt.Sprint("no", i), 5000)
						_, err := nodes[w%2].Intake.Ingest(ctx, v.tenant, []tenure.Event{ev}, service.IngestOptions{})
						errs <- err
					}
				}()
			}
			for i := 0; i < 200; i++ {
				next <- i
			}
			close(next)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			spent := map[string]int64{}
			rows, err := v.db.Raw().Query(`SELECT budget_key, spent FROM rule_budgets WHERE tenant_id = $1`, v.tenant)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				var n int64
				if err := rows.Scan(&k, &n); err != nil {
					t.Fatal(err)
				}
				spent[k] = n
			}
			rows.Close()
			var total int64
			if err := v.db.Raw().QueryRow(`SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE kind = 'earn' AND tenant_id = $1`, v.tenant).Scan(&total); err != nil {
				t.Fatal(err)
			}
			if spent["campaign:launch"] != 10_000 || spent["campaign:spring"] != 3_000 || total != 13_000 {
				t.Fatalf("budgets spent %v and the ledger earned %d, want launch 10000, spring 3000, 13000 in all", spent, total)
			}
			v.verify()
		})

		if e.Name != "postgres" {
			return // SQLite has one writer: there is no row lock to wait for
		}
		t.Run("an event waits for no budget its rules do not take from", func(t *testing.T) {
			v := newEnv(t, e, nil)
			saveRules(t, v, rules.Set{Rules: []rules.Rule{
				{ID: "launch", Name: "Launch bonus", Kind: rules.KindAction, Event: tenure.OrderPaid, Points: 70, Budget: 10_000, Campaign: "launch"},
				{ID: "review", Name: "Review bonus", Kind: rules.KindAction, Event: tenure.ReviewPosted, Points: 20, Budget: 1_000, Campaign: "reviews"},
			}})
			v.ingest(orderEvent("o1", tenure.OrderPaid, "c1", "order-1", 5000)) // creates the launch budget row
			// Another transaction holds the launch budget, as a node awarding from it would.
			holder, err := v.db.Raw().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Rollback()
			var held int64
			if err := holder.QueryRow(`SELECT spent FROM rule_budgets WHERE tenant_id = $1 AND budget_key = 'campaign:launch' FOR UPDATE`, v.tenant).Scan(&held); err != nil {
				t.Fatal(err)
			}
			// A lock wait would last until the holder ends: the deadline turns it into an error.
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			rs, err := v.svc.Intake.Ingest(wctx, v.tenant, []tenure.Event{{ID: "r1", Type: tenure.ReviewPosted, CustomerID: "c1"}}, service.IngestOptions{})
			if err != nil {
				t.Fatalf("a review, which takes only from the reviews budget, failed while the launch budget was held: %v", err)
			}
			if rs[0].Points == nil || rs[0].Points.Earned != 20 {
				t.Fatalf("review earned %+v, want 20", rs[0].Points)
			}
			if held != 70 {
				t.Fatalf("launch budget had spent %d before, want 70", held)
			}
		})
	})
}
