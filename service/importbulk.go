package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/storage"
)

// historyChunk is how many orders an import of history writes per transaction.
var historyChunk = 4096

// historyRecord is one order or one refund of an import, in file order.
type historyRecord struct {
	order  *importer.Order
	refund *importer.Refund
}

// historyWriter takes an import of history that earns nothing off the event intake: the
// file is read and checked in the caller's goroutine while another writes the previous
// chunk, one transaction per chunk. A chunk's new members are inserted together, its new
// orders and their lines with multi-row statements, its refunds applied to their orders
// before these are written, and the tier activity summed per member and month. What the
// intake would do differently goes through the intake: an order already stored (an import
// of the same file again, or an order that arrived as live events), and a refund of an
// order that is not imported history.
type historyWriter struct {
	s        *core
	ctx      context.Context
	tenantID string
	chunk    []historyRecord
	orders   int
	work     chan []historyRecord
	failed   chan struct{}
	done     chan struct{}
	err      error
}

func (s *core) newHistoryWriter(ctx context.Context, tenantID string) *historyWriter {
	w := &historyWriter{s: s, ctx: ctx, tenantID: tenantID, work: make(chan []historyRecord, 1),
		failed: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *historyWriter) run() {
	defer close(w.done)
	for chunk := range w.work {
		if err := w.s.writeHistory(w.ctx, w.tenantID, chunk); err != nil {
			w.err = err
			close(w.failed)
			for range w.work { // let the reader finish its send and stop
			}
			return
		}
	}
}

// sink is what the importer delivers to: each record is checked as the intake checks an
// event, then queued.
func (w *historyWriter) sink() importer.Sink {
	return importer.SinkFuncs{
		OnOrder: func(o *importer.Order) error {
			data := o.Data
			e := tenure.Event{ID: "import:" + data.ID + ":paid", Type: tenure.OrderPaid, CustomerID: o.CustomerID, OccurredAt: o.PlacedAt, Order: &data}
			if err := e.Validate("").Err("service.ImportOrders"); err != nil {
				return fmt.Errorf("importing order %s: %w", data.ID, err)
			}
			w.orders++
			return w.add(historyRecord{order: o})
		},
		OnRefund: func(r *importer.Refund) error {
			data := r.Data
			e := tenure.Event{ID: "import:" + data.ID, Type: tenure.OrderRefunded, CustomerID: r.CustomerID, OccurredAt: r.At, Refund: &data}
			if err := e.Validate("").Err("service.ImportOrders"); err != nil {
				return fmt.Errorf("importing refund %s: %w", data.ID, err)
			}
			return w.add(historyRecord{refund: r})
		},
	}
}

func (w *historyWriter) add(rec historyRecord) error {
	w.chunk = append(w.chunk, rec)
	if w.orders < historyChunk {
		return nil
	}
	return w.send()
}

func (w *historyWriter) send() error {
	if len(w.chunk) == 0 {
		return nil
	}
	select {
	case w.work <- w.chunk:
		w.chunk, w.orders = make([]historyRecord, 0, len(w.chunk)), 0
		return nil
	case <-w.failed:
		return w.err
	}
}

// finish writes what is left (unless the import failed) and waits for the writer.
func (w *historyWriter) finish(importErr error) error {
	if importErr == nil {
		importErr = w.send()
	}
	close(w.work)
	<-w.done
	if importErr != nil {
		return importErr
	}
	return w.err
}

// writeHistory writes one chunk in one transaction, then passes what it left to the
// intake, in file order.
func (s *core) writeHistory(ctx context.Context, tenantID string, chunk []historyRecord) error {
	var rest []tenure.Event
	var paid, refunds int
	err := s.db.Write(ctx, func(tx *storage.Tx) error {
		rest, paid, refunds = rest[:0], 0, 0
		u, err := s.newUnit(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		members, err := s.historyMembers(ctx, tx, u, chunk)
		if err != nil {
			return err
		}
		var ext []string
		for _, r := range chunk {
			if r.order != nil {
				ext = append(ext, r.order.Data.ID)
			} else {
				ext = append(ext, r.refund.Data.OrderID)
			}
		}
		slices.Sort(ext)
		known, err := tx.OrdersByExternalID(ctx, tenantID, slices.Compact(ext))
		if err != nil {
			return err
		}
		created := make(map[string]*tenure.Order, len(chunk))
		var fresh, changed []*tenure.Order
		for _, r := range chunk {
			if r.order != nil {
				id := r.order.Data.ID
				if known[id] != nil || created[id] != nil {
					rest = append(rest, orderEvents(r.order)...)
					continue
				}
				o, err := historyOrder(tx, u, members[r.order.CustomerID], r.order)
				if err != nil {
					return err
				}
				if err := s.tierOrderChange(ctx, u, o.MemberID, o, orderTier{}); err != nil {
					return err
				}
				created[id] = o
				fresh = append(fresh, o)
				paid++
				continue
			}
			id := r.refund.Data.OrderID
			o := created[id]
			if o == nil {
				if o = known[id]; o == nil || !o.Points.Evaluated || o.Points.RuleVersion != -1 {
					rest = append(rest, refundEvent(r.refund))
					continue
				}
				if !slices.Contains(changed, o) {
					changed = append(changed, o)
				}
			}
			m := members[r.refund.CustomerID]
			if o.MemberID != m.ID {
				return tenure.Invalid("service.ImportOrders", "customer_id", "order %q belongs to another customer", id)
			}
			before := orderTierOf(o)
			data := r.refund.Data
			o.AddRefund(&data, "import:"+data.ID, eventTime(r.refund.At, tx.Now))
			o.UpdatedAt = tx.Now
			if err := s.tierOrderChange(ctx, u, m.ID, o, before); err != nil {
				return err
			}
			refunds++
		}
		if err := u.flush(ctx); err != nil {
			return err
		}
		ws := make([]storage.OrderWrite, 0, len(fresh)+len(changed))
		for _, o := range fresh {
			ws = append(ws, storage.OrderWrite{Order: o, IsNew: true})
		}
		for _, o := range changed {
			ws = append(ws, storage.OrderWrite{Order: o, HadLines: true})
		}
		if err := tx.SaveOrders(ctx, tenantID, ws); err != nil {
			return err
		}
		hour := tx.Now.Truncate(time.Hour).Add(time.Hour)
		return tx.Schedule(ctx, tenantID, jobSegments, "hourly:"+hour.Format(time.RFC3339), "", hour)
	})
	if err != nil {
		return fmt.Errorf("importing orders from %s: %w", firstID(chunk), err)
	}
	for range paid {
		s.observe(tenure.OrderPaid, "processed")
		s.observe(tenure.OrderFulfilled, "processed")
	}
	for range refunds {
		s.observe(tenure.OrderRefunded, "processed")
	}
	ing := &batcher{s: s, ctx: ctx, tenantID: tenantID, opt: IngestOptions{Batch: true, History: true}}
	for _, e := range rest {
		if err := ing.add(e); err != nil {
			return err
		}
	}
	return ing.flush()
}

// historyMembers finds the chunk's customers and enrols those who are not members yet,
// in the order they first appear, as the intake enrols them.
func (s *core) historyMembers(ctx context.Context, tx *storage.Tx, u *unit, chunk []historyRecord) (map[string]tenure.Member, error) {
	var ids []string
	for _, r := range chunk {
		if r.order != nil {
			ids = append(ids, r.order.CustomerID)
		} else {
			ids = append(ids, r.refund.CustomerID)
		}
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	members, err := tx.MembersByExternalID(ctx, u.tenantID, slices.Compact(sorted), true)
	if err != nil {
		return nil, err
	}
	var fresh []*tenure.Member
	for _, id := range ids {
		if _, ok := members[id]; ok {
			continue
		}
		m := tenure.Member{ID: tx.NewID(tenure.PrefixMember), ExternalID: id, EnrolledAt: tx.Now, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		members[id] = m
		u.fresh[m.ID] = true
		fresh = append(fresh, &m)
	}
	if err := tx.InsertMembers(ctx, u.tenantID, fresh); err != nil {
		return nil, err
	}
	for _, m := range fresh {
		if _, err := tx.Emit(ctx, u.tenantID, "member.created", m.ID, *m); err != nil {
			return nil, err
		}
	}
	return members, nil
}

// historyOrder is the order the intake makes of an imported invoice's order.paid and
// order.fulfilled events: paid and fulfilled at its date, judged as history that earns
// nothing.
func historyOrder(tx *storage.Tx, u *unit, m tenure.Member, io *importer.Order) (*tenure.Order, error) {
	at := eventTime(io.PlacedAt, tx.Now)
	o := &tenure.Order{ID: tx.NewID(tenure.PrefixOrder), ExternalID: io.Data.ID, MemberID: m.ID, CreatedAt: tx.Now, UpdatedAt: tx.Now, Seq: tenure.NextSeq(tx.Now)}
	data := io.Data
	o.Merge(tenure.OrderPaid, &data, at)
	o.Merge(tenure.OrderFulfilled, &tenure.OrderData{ID: io.Data.ID}, at)
	if o.Currency == "" {
		o.Currency = u.prog.Currency
	}
	if o.Currency != u.prog.Currency {
		return nil, tenure.Invalid("service.ImportOrders", "order.currency", "must be the program currency %s", u.prog.Currency)
	}
	o.Points.Evaluated, o.Points.RuleVersion = true, -1
	return o, nil
}

// eventTime is when the intake dates an event that says it happened at: never in the
// future, in UTC.
func eventTime(at, now time.Time) time.Time {
	if at.IsZero() || at.After(now) {
		at = now
	}
	return at.UTC()
}

func orderEvents(o *importer.Order) []tenure.Event {
	data := o.Data
	return []tenure.Event{
		{ID: "import:" + data.ID + ":paid", Type: tenure.OrderPaid, CustomerID: o.CustomerID, OccurredAt: o.PlacedAt, Order: &data},
		{ID: "import:" + data.ID + ":fulfilled", Type: tenure.OrderFulfilled, CustomerID: o.CustomerID, OccurredAt: o.PlacedAt, Order: &tenure.OrderData{ID: data.ID}},
	}
}

func refundEvent(r *importer.Refund) tenure.Event {
	data := r.Data
	return tenure.Event{ID: "import:" + data.ID, Type: tenure.OrderRefunded, CustomerID: r.CustomerID, OccurredAt: r.At, Refund: &data}
}

func firstID(chunk []historyRecord) string {
	if len(chunk) == 0 {
		return ""
	}
	if chunk[0].order != nil {
		return chunk[0].order.Data.ID
	}
	return chunk[0].refund.Data.ID
}
