package service_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func saveRules(t *testing.T, v *env, set rules.Set) {
	t.Helper()
	if _, err := v.svc.Rules.Save(ctx, v.tenant, "test", set); err != nil {
		t.Fatal(err)
	}
}

func TestEarningRules(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		t.Run("the threshold table of seed 003 gives 10, 25 and 70 points and nothing below 100 zł", func(t *testing.T) {
			v := newEnv(t, e, nil)
			saveRules(t, v, rules.Set{Rules: []rules.Rule{{ID: "table", Name: "Thresholds", Kind: rules.KindSpend,
				Spend: &rules.Spend{Table: []rules.Threshold{{Min: 10000, Points: 10}, {Min: 20000, Points: 25}, {Min: 50000, Points: 70}}}}}})
			for i, c := range []struct{ amount, want int64 }{{10000, 10}, {20000, 25}, {50000, 70}, {9999, 0}} {
				r := v.ingest(orderEvent(fmt.Sprint("t", i), tenure.OrderPaid, fmt.Sprint("c", i), fmt.Sprint("o", i), c.amount))[0]
				if r.Points.Earned != c.want {
					t.Errorf("order of %d grosze earned %d, want %d (%s)", c.amount, r.Points.Earned, c.want, r.Explanations)
				}
			}
		})

		t.Run("a weekend double-points campaign fires on Saturday in Warsaw, not on Friday 23:30", func(t *testing.T) {
			v := newEnv(t, e, nil)
			saveRules(t, v, rules.Set{TimeZone: "Europe/Warsaw", Rules: []rules.Rule{
				rules.FromProgram(tenure.DefaultProgram()),
				{ID: "weekend", Name: "Weekend double points", Kind: rules.KindMultiplier, Multiplier: 20000,
					Schedule: &rules.Schedule{Days: []string{"sat", "sun"}}},
			}})
			friday := time.Date(2026, 5, 1, 21, 30, 0, 0, time.UTC)   // 23:30 on Friday in Warsaw (CEST)
			saturday := time.Date(2026, 5, 1, 22, 30, 0, 0, time.UTC) // 00:30 on Saturday in Warsaw
			for _, c := range []struct {
				at   time.Time
				want int64
			}{{friday, 100}, {saturday, 200}} {
				ev := orderEvent("w"+c.at.Format("150405"), tenure.OrderPaid, "c1", "o"+c.at.Format("150405"), 10000)
				ev.OccurredAt = c.at
				r := v.ingest(ev)[0]
				if r.Points.Earned != c.want {
					t.Errorf("paid at %s earned %d, want %d: %s", c.at, r.Points.Earned, c.want, r.Explanations)
				}
			}
		})

		t.Run("a campaign budget of 10,000 points holds under 200 concurrent orders", func(t *testing.T) {
			v := newEnv(t, e, nil)
			saveRules(t, v, rules.Set{Rules: []rules.Rule{{ID: "launch", Name: "Launch bonus", Kind: rules.KindAction,
				Event: tenure.OrderPaid, Points: 70, Budget: 10_000, Campaign: "launch"}}})
			var wg sync.WaitGroup
			errs := make(chan error, 200)
			for i := 0; i < 200; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := v.svc.Intake.Ingest(ctx, v.tenant, []tenure.Event{orderEvent(fmt.Sprint("b", i), tenure.OrderPaid, fmt.Sprint("bc", i%40), fmt.Sprint("bo", i), 5000)}, service.IngestOptions{})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var total int64
			if err := v.db.Raw().QueryRow(`SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE kind = 'earn' AND tenant_id = $1`, v.tenant).Scan(&total); err != nil {
				t.Fatal(err)
			}
			if total != 10_000 {
				t.Fatalf("campaign awarded %d points, want exactly the 10000 budget", total)
			}
			v.verify()
		})

		t.Run("a review with a photo earns its bonus once, and the history explains it", func(t *testing.T) {
			v := newEnv(t, e, nil)
			saveRules(t, v, rules.Set{Rules: []rules.Rule{{ID: "review", Name: "Review", Kind: rules.KindAction, Event: tenure.ReviewPosted, Points: 20,
				Bonuses: []rules.Bonus{{Name: "photo", Condition: "event.properties.photo == true", Points: 30}},
				Limit:   &rules.Limit{Count: 1, Per: rules.PerLifetime}}}})
			first := v.ingest(tenure.Event{ID: "r1", Type: tenure.ReviewPosted, CustomerID: "c1", Properties: map[string]any{"photo": true}})[0]
			second := v.ingest(tenure.Event{ID: "r2", Type: tenure.ReviewPosted, CustomerID: "c1", Properties: map[string]any{"photo": true}})[0]
			if first.Points == nil || first.Points.Earned != 50 || second.Points != nil {
				t.Fatalf("first %+v second %+v", first.Points, second.Points)
			}
			if !strings.Contains(string(second.Explanations), "once") {
				t.Fatalf("second review's explanation does not say the limit: %s", second.Explanations)
			}
			hist, _, err := v.svc.Members.Events(ctx, v.tenant, "c1", "", 10)
			if err != nil || len(hist) != 2 || len(hist[1].Explanations) == 0 {
				t.Fatalf("history %+v %v", hist, err)
			}
			if b := v.points("c1"); b.Available != 50 {
				t.Fatalf("balance %+v", b)
			}
			v.verify()
		})

		t.Run("bad rules are rejected at save time with the position and nothing is stored", func(t *testing.T) {
			v := newEnv(t, e, nil)
			before := v.counts()
			for _, c := range []struct {
				name  string
				rule  rules.Rule
				field string
				has   string
			}{
				{"syntax error", rules.Rule{ID: "x", Kind: rules.KindAction, Event: tenure.ReviewPosted, Points: 1, Condition: "event.type == "}, "rules[0].condition", "column"},
				{"unknown field", rules.Rule{ID: "x", Kind: rules.KindAction, Event: tenure.ReviewPosted, Points: 1, Condition: "member.tierr == \"gold\""}, "rules[0].condition", "tierr"},
				{"type mismatch", rules.Rule{ID: "x", Kind: rules.KindAction, Event: tenure.ReviewPosted, Points: 1, Condition: "order.total + \"x\" > 1"}, "rules[0].condition", "column"},
				{"negative points", rules.Rule{ID: "x", Kind: rules.KindAction, Event: tenure.ReviewPosted, Points: -5}, "rules[0].points", ""},
			} {
				_, err := v.svc.Rules.Save(ctx, v.tenant, "test", rules.Set{Rules: []rules.Rule{c.rule}})
				var te *tenure.Error
				if !asErr(err, &te) || te.Kind != tenure.KindInvalid || !hasField(te, c.field) || !strings.Contains(err.Error(), c.has) {
					t.Errorf("%s: %v", c.name, err)
				}
			}
			sameCounts(t, before, v.counts())
			if cur, _ := v.svc.Rules.Current(ctx, v.tenant); !cur.Default {
				t.Fatalf("a rejected set became current: %+v", cur)
			}
		})

		t.Run("a backtest reports cost and gainers without touching balances", func(t *testing.T) {
			v := newEnv(t, e, nil)
			for i := 0; i < 30; i++ {
				ev := orderEvent(fmt.Sprint("h", i), tenure.OrderPaid, fmt.Sprint("hc", i%5), fmt.Sprint("ho", i), int64(1000*(i+1)))
				ev.OccurredAt = v.clock.Now().Add(-time.Duration(30-i) * 24 * time.Hour)
				v.ingest(ev)
			}
			before := v.counts()
			rep, err := v.svc.Rules.Backtest(ctx, v.tenant, service.BacktestRequest{
				Rules: rules.Set{Rules: []rules.Rule{{ID: "triple", Kind: rules.KindSpend, Spend: &rules.Spend{Points: 3}}}},
				From:  v.clock.Now().AddDate(0, -2, 0), To: v.clock.Now().Add(time.Hour), Top: 3})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Orders != 30 || rep.Members != 5 || rep.Points != 3*rep.CurrentPoints || rep.MembersAffected != 5 || len(rep.TopGainers) != 3 {
				b, _ := json.Marshal(rep)
				t.Fatalf("report %s", b)
			}
			sameCounts(t, before, v.counts())
		})
	})
}
