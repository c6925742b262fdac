package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/metrics"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage"
)

// MaxBatch is the largest number of events one call accepts.
const MaxBatch = 1000

// IngestOptions modify an intake call.
type IngestOptions struct {
	// Batch names fields as events[i].… in errors.
	Batch bool
	// DryRun computes every effect and returns it, then rolls everything back.
	DryRun bool
	// History marks an import of past orders: customers are enrolled whatever the
	// program's enrolment setting, and orders earn points only with GrantPoints.
	History     bool
	GrantPoints bool
	// Scheduled marks events Tenure emits itself (member.birthday…); only they may carry
	// those types and the reserved id prefix.
	Scheduled bool
}

// unlogged reports whether the events are applied without being kept in the event log:
// an import of history that earns nothing. Its orders are the record (the order table is
// keyed by the store's order id, and refunds by theirs), so importing the same file again
// still changes nothing; keeping two events of every imported order besides would take
// two thirds of the space an imported order uses and half of the import's time.
func (o IngestOptions) unlogged() bool { return o.History && !o.GrantPoints }

var errDryRun = errors.New("dry run")

// Ingest records events and applies their effects in one transaction: all of them or, on
// any error, none (the transaction may be shared with concurrent writes, each in a
// savepoint of its own: see storage.DB.WriteGrouped). An event whose id was seen before is not applied again; its original
// result is returned with Replay set. The same id with a different body is a conflict.
func (s *Intake) Ingest(ctx context.Context, tenantID string, events []tenure.Event, opt IngestOptions) ([]tenure.EventResult, error) {
	const op = "service.Ingest"
	if len(events) == 0 {
		return nil, tenure.Invalid(op, "events", "at least one event is required")
	}
	if len(events) > MaxBatch {
		return nil, &tenure.Error{Kind: tenure.KindTooLarge, Op: op, Message: fmt.Sprintf("at most %d events per batch", MaxBatch),
			Fields: []tenure.FieldError{{Field: "events", Message: fmt.Sprintf("has %d events, the limit is %d", len(events), MaxBatch)}}}
	}
	var probs tenure.Problems
	hashes := make([]string, len(events))
	for i := range events {
		probs = append(probs, events[i].Validate(prefix(opt.Batch, i))...)
		probs = append(probs, checkSource(&events[i], prefix(opt.Batch, i), opt)...)
		b, _ := json.Marshal(events[i])
		h := sha256.Sum256(b)
		hashes[i] = hex.EncodeToString(h[:16])
	}
	if err := probs.Err(op); err != nil {
		s.observeAll(events, "rejected")
		return nil, err
	}
	var results []tenure.EventResult
	write := func(tx *storage.Tx) error {
		in := &intake{s: s.core, ctx: ctx, opt: opt}
		var err error
		if in.u, err = s.newUnit(ctx, tx, tenantID); err != nil {
			return err
		}
		results, err = in.run(events, hashes)
		if err != nil {
			return err
		}
		if opt.DryRun {
			return errDryRun
		}
		return nil
	}
	var err error
	if opt.DryRun {
		err = s.db.WriteGrouped(ctx, write)
	} else {
		err = s.db.WriteMerged(ctx, s.mergedIngest(ctx, tenantID, events, hashes, opt, &results), write)
	}
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if err != nil {
		s.observeAll(events, "rejected")
		return nil, err
	}
	if !opt.DryRun {
		s.svc.Flows.afterIngest(ctx, tenantID, events, results)
	}
	for i, r := range results {
		outcome := "processed"
		if r.Replay {
			outcome = "replay"
		}
		s.observe(events[i].Type, outcome)
	}
	return results, nil
}

func (s *core) observe(t tenure.EventType, outcome string) {
	if s.Metrics != nil {
		s.Metrics.EventIngested(t, outcome)
	}
}

func (s *Intake) observeAll(events []tenure.Event, outcome string) {
	for _, e := range events {
		s.observe(e.Type, outcome)
	}
}

func prefix(batch bool, i int) string {
	if !batch {
		return ""
	}
	return "events[" + strconv.Itoa(i) + "]."
}

// intake is one Ingest transaction.
type intake struct {
	s       *core
	ctx     context.Context
	opt     IngestOptions
	u       *unit
	members map[string]tenure.Member
	orders  map[string]*orderState
	stored  []storage.StoredEvent
	occured []int64
	// laps, for a merged run, are the contexts of the requests it serves (merge.go).
	laps []context.Context
}

type orderState struct {
	o        *tenure.Order
	isNew    bool
	hadLines bool
}

func (in *intake) run(events []tenure.Event, hashes []string) ([]tenure.EventResult, error) {
	ctx, tx := in.ctx, in.u.tx
	ids := make([]string, len(events))
	var customers []string
	for i, e := range events {
		ids[i] = e.ID
		customers = append(customers, e.CustomerID)
	}
	seen, err := tx.EventsByExternalID(ctx, in.u.tenantID, ids)
	if err != nil {
		return nil, err
	}
	slices.Sort(customers)
	customers = slices.Compact(customers)
	if in.members, err = tx.MembersByExternalID(ctx, in.u.tenantID, customers, true); err != nil {
		return nil, err
	}
	in.orders = map[string]*orderState{}
	// Load what the batch touches up front: the members' books and the orders it names.
	memberIDs := make([]string, 0, len(in.members))
	for _, m := range in.members {
		memberIDs = append(memberIDs, m.ID)
	}
	if err := in.u.preload(ctx, memberIDs, tenure.Points); err != nil {
		return nil, err
	}
	var orderIDs []string
	for _, e := range events {
		switch {
		case e.Order != nil:
			orderIDs = append(orderIDs, e.Order.ID)
		case e.Refund != nil:
			orderIDs = append(orderIDs, e.Refund.OrderID)
		}
	}
	slices.Sort(orderIDs)
	known, err := tx.OrdersByExternalID(ctx, in.u.tenantID, slices.Compact(orderIDs))
	if err != nil {
		return nil, err
	}
	for ext, o := range known {
		in.orders[ext] = &orderState{o: o, hadLines: len(o.Lines) > 0}
	}
	hashOf := map[string]string{}
	for id, st := range seen {
		hashOf[id] = st.BodyHash
	}
	in.lap(metrics.StageLoad)
	results := make([]tenure.EventResult, len(events))
	for i := range events {
		e := &events[i]
		p := prefix(in.opt.Batch, i)
		if st, ok := seen[e.ID]; ok {
			if hashOf[e.ID] != hashes[i] {
				return nil, &tenure.Error{Kind: tenure.KindConflict, Op: "service.Ingest", Message: "event id reused with a different body",
					Fields: []tenure.FieldError{{Field: p + "id", Message: fmt.Sprintf("event %q was already received with a different body", e.ID)}}}
			}
			r := st.Result
			r.Replay = true
			results[i] = r
			continue
		}
		r, err := in.apply(e, p)
		if err != nil {
			return nil, err
		}
		results[i] = r
		st := storage.StoredEvent{ID: r.ID, ExternalID: e.ID, Type: e.Type, MemberID: r.MemberID, BodyHash: hashes[i], Result: r}
		seen[e.ID], hashOf[e.ID] = st, hashes[i]
		if in.opt.unlogged() {
			continue
		}
		payload, _ := json.Marshal(e)
		st.Payload = string(payload)
		in.stored = append(in.stored, st)
		in.occured = append(in.occured, e.OccurredAt.UnixMicro())
	}
	in.lap(metrics.StageEvaluate)
	if err := in.u.flush(ctx); err != nil {
		return nil, err
	}
	writes := make([]storage.OrderWrite, 0, len(in.orders))
	for _, st := range in.orders {
		writes = append(writes, storage.OrderWrite{Order: st.o, IsNew: st.isNew, HadLines: st.hadLines})
	}
	if err := tx.SaveOrders(ctx, in.u.tenantID, writes); err != nil {
		return nil, err
	}
	if err := tx.InsertEvents(ctx, in.u.tenantID, in.stored, in.occured); err != nil {
		return nil, err
	}
	// Segments follow the new activity within the hour.
	hour := tx.Now.Truncate(time.Hour).Add(time.Hour)
	if err := tx.Schedule(ctx, in.u.tenantID, jobSegments, "hourly:"+hour.Format(time.RFC3339), "", hour); err != nil {
		return nil, err
	}
	return results, nil
}

// apply handles one new event.
func (in *intake) apply(e *tenure.Event, p string) (tenure.EventResult, error) {
	ctx, tx, u := in.ctx, in.u.tx, in.u
	if e.OccurredAt.IsZero() || e.OccurredAt.After(tx.Now) {
		e.OccurredAt = tx.Now
	}
	e.OccurredAt = e.OccurredAt.UTC()
	r := tenure.EventResult{EventID: e.ID, ID: tx.NewID(tenure.PrefixEvent), Type: e.Type, CreatedAt: tx.Now}

	m, ok := in.members[e.CustomerID]
	switch {
	case ok && e.Customer != nil && (e.Type == tenure.CustomerCreated || e.Type == tenure.CustomerUpdated):
		if err := e.Customer.Apply(&m, tx.Now, p+"customer."); err != nil {
			return r, err
		}
		if err := tx.UpdateMember(ctx, u.tenantID, &m); err != nil {
			return r, err
		}
		if _, err := tx.Emit(ctx, u.tenantID, "member.updated", m.ID, m); err != nil {
			return r, err
		}
		in.members[e.CustomerID] = m
	case !ok && (e.Type == tenure.CustomerCreated || u.prog.AutoEnrol || in.opt.History):
		var err error
		if m, err = in.s.enrol(ctx, tx, u.tenantID, e.CustomerID, e.Customer, p+"customer."); err != nil {
			return r, err
		}
		u.fresh[m.ID] = true
		in.members[e.CustomerID] = m
		r.Enrolled = true
	case !ok:
		return r, &tenure.Error{Kind: tenure.KindInvalid, Op: "service.Ingest", Message: "unknown member",
			Fields: []tenure.FieldError{{Field: p + "customer_id", Message: fmt.Sprintf("no member %q; enrol the customer first (automatic enrolment is off)", e.CustomerID)}}}
	}
	r.MemberID = m.ID
	if e.Type.IsOrderEvent() {
		return in.applyOrder(e, p, m, r)
	}
	if in.opt.History && !in.opt.GrantPoints {
		return r, nil
	}
	return in.applyAction(e, m, r)
}

// applyAction judges a non-order event with the earning rules (sign-up, review, survey…)
// and credits what they award as a lot available at once.
func (in *intake) applyAction(e *tenure.Event, m tenure.Member, r tenure.EventResult) (tenure.EventResult, error) {
	ctx, u := in.ctx, in.u
	res, _, err := in.s.award(ctx, u, m, *e, nil, e.OccurredAt)
	if err != nil {
		return r, err
	}
	r.Explanations = explanations(res)
	if res.Points <= 0 {
		return r, nil
	}
	book, err := u.book(ctx, m.ID, tenure.Points)
	if err != nil {
		return r, err
	}
	lot := book.NewLot("event", e.ID)
	book.Earn(lot, res.Points, false, u.prog.ExpiresAt(u.tx.Now), ledger.Cause{Type: "event", ID: e.ID, Reason: string(e.Type) + ": " + summary(res)})
	r.Points = &tenure.PointsOutcome{Earned: res.Points}
	_, err = u.tx.Emit(ctx, u.tenantID, "points.earned", m.ID, pointsMessage{MemberID: m.ID, ExternalID: m.ExternalID, Wallet: tenure.Points,
		Amount: res.Points, EventID: e.ID, Reason: summary(res), Balance: book.Balance.Available, BalancePend: book.Balance.Pending})
	return r, err
}

func explanations(res rules.Result) json.RawMessage {
	if len(res.Explanations) == 0 {
		return nil
	}
	b, _ := json.Marshal(res.Explanations)
	return b
}

func (in *intake) applyOrder(e *tenure.Event, p string, m tenure.Member, r tenure.EventResult) (tenure.EventResult, error) {
	ctx, tx, u := in.ctx, in.u.tx, in.u
	ext := ""
	if e.Order != nil {
		ext = e.Order.ID
	} else {
		ext = e.Refund.OrderID
	}
	st, ok := in.orders[ext]
	if !ok { // every existing order of the batch was loaded in run: this one is new
		st = &orderState{o: &tenure.Order{ID: tx.NewID(tenure.PrefixOrder), ExternalID: ext, MemberID: m.ID, CreatedAt: tx.Now, Seq: tenure.NextSeq(tx.Now)}, isNew: true}
		in.orders[ext] = st
	}
	o := st.o
	tierBefore := orderTierOf(o)
	if o.MemberID != m.ID {
		return r, tenure.Invalid("service.Ingest", p+"customer_id", "order %q belongs to another customer", ext)
	}
	if e.Type == tenure.OrderRefunded {
		o.AddRefund(e.Refund, e.ID, e.OccurredAt)
	} else {
		o.Merge(e.Type, e.Order, e.OccurredAt)
	}
	if o.Currency == "" {
		o.Currency = u.prog.Currency
	}
	if o.Currency != u.prog.Currency {
		return r, tenure.Invalid("service.Ingest", p+"order.currency", "must be the program currency %s", u.prog.Currency)
	}
	o.UpdatedAt = tx.Now
	reason := fmt.Sprintf("%s %s", e.Type, ext)
	if in.opt.History && !in.opt.GrantPoints && !o.Points.Evaluated {
		o.Points.Evaluated, o.Points.RuleVersion = true, -1 // imported history: recorded, earns nothing
		u.countOrder(m.ID, o.Subtotal())
	}
	if o.PaidAt != nil && !o.Points.Evaluated && len(o.Lines) > 0 {
		// The rules judge the order once, as of its payment, whatever event completed it.
		paid := tenure.Event{ID: e.ID, Type: tenure.OrderPaid, CustomerID: e.CustomerID, OccurredAt: *o.PaidAt, Properties: e.Properties}
		res, rb, err := in.s.award(ctx, u, m, paid, o, *o.PaidAt)
		if err != nil {
			return r, err
		}
		o.Points.Base, o.Points.Evaluated, o.Points.RuleVersion = res.Points, true, rb.version
		u.countOrder(m.ID, o.Subtotal())
		r.Explanations = explanations(res)
		if sum := summary(res); sum != "" {
			reason += ": " + sum
		}
	} else if e.Type != tenure.OrderPaid && !(in.opt.History && !in.opt.GrantPoints) {
		// Other order events may carry action rules (e.g. a bonus on fulfilment).
		res, _, err := in.s.award(ctx, u, m, *e, o, e.OccurredAt)
		if err != nil {
			return r, err
		}
		if res.Points > 0 || len(res.Explanations) > 0 {
			if ar, err := in.applyAwarded(e, m, res); err != nil {
				return r, err
			} else if ar > 0 {
				reason += ": +" + itoa64(ar) + " by rules"
			}
			r.Explanations = explanations(res)
		}
	}
	book, err := u.book(ctx, m.ID, tenure.Points)
	if err != nil {
		return r, err
	}
	out := ledger.SettleOrder(book, u.prog, o, o.Points.Base, ledger.Cause{Type: "event", ID: e.ID, Reason: reason})
	r.OrderID, r.Points = o.ID, &out
	if err := in.s.tierOrderChange(ctx, u, m.ID, o, tierBefore); err != nil {
		return r, err
	}
	return r, in.s.announce(ctx, tx, u.tenantID, m, book, o, out, e.ID)
}

// applyAwarded credits points that rules gave to a non-paying order event as their own
// lot, available at once. It returns the points credited.
func (in *intake) applyAwarded(e *tenure.Event, m tenure.Member, res rules.Result) (int64, error) {
	if res.Points <= 0 {
		return 0, nil
	}
	book, err := in.u.book(in.ctx, m.ID, tenure.Points)
	if err != nil {
		return 0, err
	}
	lot := book.NewLot("event", e.ID)
	book.Earn(lot, res.Points, false, in.u.prog.ExpiresAt(in.u.tx.Now), ledger.Cause{Type: "event", ID: e.ID, Reason: string(e.Type) + ": " + summary(res)})
	return res.Points, nil
}

// announce writes the notifications and the release job that follow an order settlement.
func (s *core) announce(ctx context.Context, tx *storage.Tx, tenantID string, m tenure.Member, book *ledger.Book, o *tenure.Order, out tenure.PointsOutcome, eventID string) error {
	msg := pointsMessage{MemberID: m.ID, ExternalID: m.ExternalID, Wallet: tenure.Points, OrderID: o.ExternalID, EventID: eventID,
		Balance: book.Balance.Available, BalancePend: book.Balance.Pending}
	emit := func(typ string, amount, uncollected int64, pending bool) error {
		if amount == 0 && uncollected == 0 {
			return nil
		}
		mm := msg
		mm.Amount, mm.Uncollected, mm.Pending = amount, uncollected, pending
		if pending && out.AvailableAt != nil {
			mm.AvailableAt = out.AvailableAt
		}
		_, err := tx.Emit(ctx, tenantID, typ, m.ID, mm)
		return err
	}
	if err := emit("points.earned", out.Earned, 0, out.Pending); err != nil {
		return err
	}
	if err := emit("points.reversed", out.Reversed, out.Uncollected, false); err != nil {
		return err
	}
	if err := emit("points.available", out.Released, 0, false); err != nil {
		return err
	}
	if out.Pending && out.AvailableAt != nil {
		key := o.ID + "@" + strconv.FormatInt(out.AvailableAt.UnixMicro(), 10)
		return tx.Schedule(ctx, tenantID, jobRelease, key, o.ExternalID, *out.AvailableAt)
	}
	return nil
}
