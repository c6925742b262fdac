package service_test

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestSnapshotAsOfInStoreZone: for a store in Europe/London whose history ended, the kept
// snapshot is as of the end of the latest order's day in London, and its RFM rows and
// segment counts are those asked for at that instant.
func TestSnapshotAsOfInStoreZone(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, func(p *tenure.Program) { p.Currency = "GBP"; p.TimeZone = "Europe/London" })
		var b strings.Builder
		b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
		start := time.Date(2011, 1, 1, 23, 30, 0, 0, time.UTC)
		for c := range 30 {
			for k := range 1 + c%4 {
				at := start.AddDate(0, 0, 4*c+9*k)
				fmt.Fprintf(&b, "%d,A%d,thing,%d,%s,%d.00,%d,UK\n", 600000+100*c+k, k, 1+k, at.Format(time.DateTime), 3+c, 13000+c)
			}
		}
		// The latest order: 23:30 UTC on 10 July, already 11 July in London (BST).
		last := time.Date(2011, 7, 10, 23, 30, 0, 0, time.UTC)
		fmt.Fprintf(&b, "%d,A9,thing,1,%s,9.00,%d,UK\n", 700000, last.Format(time.DateTime), 13000)
		if _, err := v.svc.Intake.ImportOrders(ctx, v.tenant, strings.NewReader(b.String()), importer.Config{}, service.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		sn, err := v.svc.Reports.LatestSnapshot(ctx, v.tenant, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		london, _ := time.LoadLocation("Europe/London")
		if want := time.Date(2011, 7, 12, 0, 0, 0, 0, london); !sn.AsOf.Equal(want) {
			t.Fatalf("kept snapshot as of %s (%s), want the end of 11 July in London, %s", sn.AsOf, sn.AsOfReason, want.UTC())
		}
		rs, err := v.svc.Reports.RFM(ctx, v.tenant, sn.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 30 || len(sn.RFM) != 30 {
			t.Fatalf("%d members scored at as_of, %d in the snapshot, want 30", len(rs), len(sn.RFM))
		}
		if got, want := sn.Lifecycle, analytics.SegmentCounts(rs); !maps.Equal(got, want) {
			t.Errorf("segments of the kept snapshot %v, asked at %s %v", got, sn.AsOf, want)
		}
		byMember := map[string]analytics.CustomerRFM{}
		for _, r := range rs {
			byMember[r.Customer] = r
		}
		for _, r := range sn.RFM {
			if !reflect.DeepEqual(r, byMember[r.Customer]) {
				t.Errorf("member %s: kept %+v, asked %+v", r.Customer, r, byMember[r.Customer])
			}
		}
	})
}
