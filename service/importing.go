package service

import (
	"context"
	"fmt"
	"io"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/importer"
)

// ImportOptions modify a history import.
type ImportOptions struct {
	// GrantPoints judges imported orders with the current earning rules and credits the
	// points, as if they had been sent live; otherwise orders are recorded for analytics
	// and earn nothing.
	GrantPoints bool
	// viaIntake sends history that earns nothing through the event intake too, as every
	// import did before the bulk path: the tests compare the two.
	viaIntake bool
}

// ImportOrders streams an order-line CSV (see package importer) into the tenant: each
// member invoice becomes an order paid and fulfilled at its date, each matched
// cancellation a refund of those lines; guests are counted, not enrolled. Event ids are
// derived from invoice numbers, so importing the same file again changes nothing. The
// program's currency must be the file's. History that earns nothing is written in large
// chunks beside the intake (see historyWriter); with GrantPoints every order goes through
// the intake and its earning rules.
func (s *Intake) ImportOrders(ctx context.Context, tenantID string, src io.Reader, cfg importer.Config, opt ImportOptions) (*importer.Summary, error) {
	t, err := s.svc.Tenants.Get(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	currency := cfg.Mapping.Currency
	if currency == "" {
		currency = importer.DefaultMapping().Currency
	}
	if currency != t.Program.Currency {
		return nil, tenure.Invalid("service.ImportOrders", "currency", "the file is in %s but the program's currency is %s; change one of them", currency, t.Program.Currency)
	}
	if !opt.GrantPoints && !opt.viaIntake {
		w := s.newHistoryWriter(ctx, tenantID)
		sum, err := importer.Import(ctx, src, cfg, w.sink())
		return sum, w.finish(err)
	}
	ing := &batcher{s: s.core, ctx: ctx, tenantID: tenantID, opt: IngestOptions{Batch: true, History: true, GrantPoints: opt.GrantPoints}}
	sink := importer.SinkFuncs{
		OnOrder: func(o *importer.Order) error {
			at := o.PlacedAt
			data := o.Data
			return ing.add(
				tenure.Event{ID: "import:" + data.ID + ":paid", Type: tenure.OrderPaid, CustomerID: o.CustomerID, OccurredAt: at, Order: &data},
				tenure.Event{ID: "import:" + data.ID + ":fulfilled", Type: tenure.OrderFulfilled, CustomerID: o.CustomerID, OccurredAt: at, Order: &tenure.OrderData{ID: data.ID}},
			)
		},
		OnRefund: func(r *importer.Refund) error {
			data := r.Data
			return ing.add(tenure.Event{ID: "import:" + data.ID, Type: tenure.OrderRefunded, CustomerID: r.CustomerID, OccurredAt: r.At, Refund: &data})
		},
	}
	sum, err := importer.Import(ctx, src, cfg, sink)
	if err != nil {
		return sum, err
	}
	return sum, ing.flush()
}

// batcher groups events into intake batches of MaxBatch.
type batcher struct {
	s        *core
	ctx      context.Context
	tenantID string
	opt      IngestOptions
	pending  []tenure.Event
}

func (b *batcher) add(evs ...tenure.Event) error {
	b.pending = append(b.pending, evs...)
	if len(b.pending) >= MaxBatch-2 {
		return b.flush()
	}
	return nil
}

func (b *batcher) flush() error {
	if len(b.pending) == 0 {
		return nil
	}
	_, err := b.s.svc.Intake.Ingest(b.ctx, b.tenantID, b.pending, b.opt)
	if err != nil {
		return fmt.Errorf("importing events %s..%s: %w", b.pending[0].ID, b.pending[len(b.pending)-1].ID, err)
	}
	b.pending = b.pending[:0]
	return nil
}
