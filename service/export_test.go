package service_test

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestExport writes the ledger and the members as CSV and derives every member's balance
// from the exported ledger again: the export is the whole truth, not a summary.
func TestExport(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, func(p *tenure.Program) { p.AvailableOn, p.ReturnWindowDays = "fulfilment", 14 })
		v.ingest(orderEvent("e1", tenure.OrderPaid, "anna", "o1", 12000, 3000),
			orderEvent("e2", tenure.OrderPaid, "bartek", "o2", 5000))
		v.ingest(tenure.Event{ID: "e3", Type: tenure.OrderFulfilled, CustomerID: "anna", Order: &tenure.OrderData{ID: "o1"}})
		v.clock.Advance(15 * 24 * time.Hour) // anna's points are released after the return window; bartek's stay pending
		v.runJobs()
		if _, err := v.svc.Intake.Adjust(ctx, v.tenant, "test", "anna", "", service.LedgerOp{Amount: -20, Reason: "correction, export test"}); err != nil {
			t.Fatal(err)
		}
		v.clock.Advance(time.Hour)

		var ledger, members bytes.Buffer
		if err := v.svc.Reports.WriteExport(ctx, v.tenant, "ledger", &ledger); err != nil {
			t.Fatal(err)
		}
		if err := v.svc.Reports.WriteExport(ctx, v.tenant, "members", &members); err != nil {
			t.Fatal(err)
		}
		entries, _ := csv.NewReader(&ledger).ReadAll()
		rows, _ := csv.NewReader(&members).ReadAll()
		if len(entries) < 4 || entries[0][0] != "entry_id" || len(rows) != 3 || rows[0][0] != "member_id" {
			t.Fatalf("%d ledger rows, %d member rows", len(entries), len(rows))
		}
		derived := map[string][2]int64{} // member id -> available, pending points
		for _, e := range entries[1:] {
			if e[2] != "points" {
				continue
			}
			n, _ := strconv.ParseInt(e[5], 10, 64)
			d := derived[e[1]]
			if e[4] == "available" {
				d[0] += n
			} else {
				d[1] += n
			}
			derived[e[1]] = d
		}
		for _, r := range rows[1:] {
			b := v.points(r[0])
			if r[9] != strconv.FormatInt(b.Available, 10) || r[10] != strconv.FormatInt(b.Pending, 10) {
				t.Errorf("member %s (%s): exported %s/%s, balance %d/%d", r[0], r[1], r[9], r[10], b.Available, b.Pending)
			}
			if d := derived[r[0]]; d[0] != b.Available || d[1] != b.Pending {
				t.Errorf("member %s: the exported ledger sums to %v, the balance is %d/%d", r[1], d, b.Available, b.Pending)
			}
		}
		if err := v.svc.Reports.WriteExport(ctx, v.tenant, "orders", &bytes.Buffer{}); tenure.KindOf(err) != tenure.KindInvalid {
			t.Fatalf("an unknown export: %v", err)
		}
	})
}
