package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

var ctx = context.Background()

// env is a service over a fresh database with a manual clock and one tenant.
type env struct {
	t      *testing.T
	db     *storage.DB
	svc    *service.Service
	clock  *tenure.ManualClock
	tenant string
}

func newEnv(t *testing.T, e storagetest.Engine, program func(*tenure.Program)) *env {
	t.Helper()
	clock := tenure.NewManualClock(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	db := storagetest.Open(t, e, clock)
	svc := service.New(db, nil)
	tn, _, err := svc.Tenants.Create(ctx, "Test store")
	if err != nil {
		t.Fatal(err)
	}
	if program != nil {
		p := tn.Program
		program(&p)
		if _, err := svc.Tenants.UpdateProgram(ctx, tn.ID, "test", p); err != nil {
			t.Fatal(err)
		}
	}
	return &env{t: t, db: db, svc: svc, clock: clock, tenant: tn.ID}
}

func (v *env) ingest(evs ...tenure.Event) []tenure.EventResult {
	v.t.Helper()
	rs, err := v.svc.Intake.Ingest(ctx, v.tenant, evs, service.IngestOptions{Batch: len(evs) > 1})
	if err != nil {
		v.t.Fatalf("ingest: %v", err)
	}
	return rs
}

func (v *env) points(ref string) tenure.Balance {
	v.t.Helper()
	b, err := v.svc.Members.Balance(ctx, v.tenant, ref)
	if err != nil {
		v.t.Fatalf("balance of %s: %v", ref, err)
	}
	return b.Points
}

// verify fails the test if any cached balance or lot differs from its ledger entries.
func (v *env) verify() {
	v.t.Helper()
	var bad []storage.Mismatch
	err := v.db.Read(ctx, func(tx *storage.Tx) error {
		_, _, err := tx.Verify(ctx, func(m storage.Mismatch) { bad = append(bad, m) })
		return err
	})
	if err != nil {
		v.t.Fatal(err)
	}
	if len(bad) > 0 {
		v.t.Fatalf("ledger verify found %d mismatches, first: %+v", len(bad), bad[0])
	}
}

func (v *env) runJobs() int {
	v.t.Helper()
	total := 0
	for {
		n, err := v.svc.RunDueJobs(ctx, "test-node", 100)
		if err != nil {
			v.t.Fatal(err)
		}
		total += n
		if n == 0 {
			return total
		}
	}
}

// counts returns the number of rows of every table, to prove that something wrote nothing.
func (v *env) counts() map[string]int64 {
	v.t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"members", "events", "orders", "order_lines", "lots", "ledger_entries", "balances", "outbox", "deliveries", "jobs", "audit_log", "idempotency_keys", "member_tags"} {
		var n int64
		if err := v.db.Raw().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			v.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func sameCounts(t *testing.T, before, after map[string]int64) {
	t.Helper()
	for k, n := range before {
		if after[k] != n {
			t.Errorf("table %s: %d rows before, %d after", k, n, after[k])
		}
	}
}

func lines(prices ...int64) []tenure.LineData {
	var out []tenure.LineData
	for i, p := range prices {
		out = append(out, tenure.LineData{ID: fmt.Sprint(i + 1), ProductID: fmt.Sprintf("p%d", i+1), Category: "coffee", Quantity: 1, UnitPrice: p})
	}
	return out
}

func orderEvent(id string, typ tenure.EventType, customer, order string, prices ...int64) tenure.Event {
	return tenure.Event{ID: id, Type: typ, CustomerID: customer, Order: &tenure.OrderData{ID: order, Lines: lines(prices...)}}
}

func refundEvent(id, customer, order string, amount int64) tenure.Event {
	return tenure.Event{ID: id, Type: tenure.OrderRefunded, CustomerID: customer, Refund: &tenure.RefundData{OrderID: order, Amount: amount}}
}
