package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/service"
)

// bulkSeedFrom is the member count from which fixtures seed their members through the
// import of history instead of the event intake: a million members with an order each
// take hours through the intake on a shared 2-core machine.
var bulkSeedFrom = 100_000

// seedBulk enrols members and gives each one earlier paid order of lines lines through the
// import of order history (service.Intake.ImportOrders, the bulk path that writes members,
// orders and lines with multi-row statements and earns nothing), then reads the members
// back. Unlike the intake path, the earlier orders earn no points; they count in every
// member's order statistics the same way.
func (f *fixture) seedBulk(ctx context.Context, members, lines int) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeSeedOrders(pw, members, max(lines, 1))) }()
	cfg := importer.Config{Mapping: importer.Mapping{Currency: "PLN"}}
	if _, err := f.app.Service.Intake.ImportOrders(ctx, f.tenant, pr, cfg, service.ImportOptions{}); err != nil {
		_ = pr.CloseWithError(err)
		return fmt.Errorf("bench: bulk seed: %w", err)
	}
	rows, err := f.app.DB.Raw().QueryContext(ctx, `SELECT external_id, id FROM members WHERE tenant_id = `+placeholder1(f.app.DB.Engine)+` ORDER BY external_id`, f.tenant)
	if err != nil {
		return err
	}
	defer rows.Close()
	f.members = f.members[:0]
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.external, &m.id); err != nil {
			return err
		}
		f.members = append(f.members, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(f.members) != members {
		return fmt.Errorf("bench: bulk seed enrolled %d members, want %d", len(f.members), members)
	}
	return nil
}

func placeholder1(engine string) string {
	if engine == "postgres" {
		return "$1"
	}
	return "?"
}

// writeSeedOrders writes one order-line file invoice per member, a day apart going back.
func writeSeedOrders(w io.Writer, members, lines int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	base := time.Now().UTC().AddDate(0, -1, 0).Truncate(time.Hour)
	var b []byte
	for i := range members {
		at := base.Add(-time.Duration(i%720) * time.Hour).Format(time.DateTime)
		for l := range lines {
			b = fmt.Appendf(b[:0], "%d,SKU%d,Item %d,1,%s,%d.%02d,cust-%07d,Poland\n", 1_000_000+i, l+1, l+1, at, 10+(i+l)%90, (i*7+l)%100, i)
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
