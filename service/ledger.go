package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/storage"
)

// Balances is a member's points and store-credit balances.
type Balances struct {
	MemberID   string         `json:"member_id"`
	ExternalID string         `json:"customer_id"`
	Points     tenure.Balance `json:"points"`
	Credit     tenure.Balance `json:"credit"`
}

// Balance reads both balances from their cached rows: one indexed statement, no ledger
// scan, no transaction; on one node (SQLite) from memory when nothing changed since. Never
// older than the last write that returned, on any node.
func (s *Members) Balance(ctx context.Context, tenantID, memberRef string) (out Balances, err error) {
	now := time.Now()
	cached := s.changes.Synchronous() && s.changes.Live()
	b, epoch, ok := s.balances.get(tenantID, memberRef, now)
	if ok && cached {
		return b, nil
	}
	out.ExternalID, out.Points, out.Credit, err = s.db.MemberBalances(ctx, tenantID, memberRef)
	out.MemberID = out.Points.MemberID
	if err == nil && cached {
		s.balances.put(tenantID, memberRef, out, now, epoch)
	}
	return out, err
}

// History lists a member's ledger entries in one wallet, newest first.
func (s *Members) History(ctx context.Context, tenantID, memberRef string, w tenure.Wallet, before string, limit int) (es []tenure.Entry, next string, err error) {
	limit = clampLimit(limit)
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		es, err = tx.Entries(ctx, tenantID, m.ID, w, before, limit+1)
		return err
	})
	if len(es) > limit {
		es = es[:limit]
		next = es[limit-1].ID
	}
	return es, next, err
}

// LedgerOp is a manual ledger operation: an adjustment or a spend.
type LedgerOp struct {
	Wallet    tenure.Wallet `json:"wallet,omitempty" enum:"points,credit" doc:"Defaults to points"`
	Amount    int64         `json:"amount" doc:"Points, or minor units for credit. Adjustments may be negative; spends are positive"`
	Reason    string        `json:"reason,omitempty" maxLength:"500" doc:"Why; required for adjustments"`
	Reference string        `json:"reference,omitempty" maxLength:"128" doc:"The store's reference, e.g. the order the points paid for"`
}

// OpResult is a member's balance after an operation and the entries it wrote.
type OpResult struct {
	Balance tenure.Balance `json:"balance"`
	Entries []tenure.Entry `json:"entries"`
}

func (op *LedgerOp) validate(adjust bool) error {
	var p tenure.Problems
	if op.Wallet == "" {
		op.Wallet = tenure.Points
	}
	if !op.Wallet.Valid() {
		p.Add("wallet", "must be points or credit")
	}
	switch {
	case op.Amount == 0:
		p.Add("amount", "must not be zero")
	case !adjust && op.Amount < 0:
		p.Add("amount", "must be positive")
	case op.Amount > tenure.MaxMoney || op.Amount < -tenure.MaxMoney:
		p.Add("amount", "must be between -%d and %d", int64(tenure.MaxMoney), int64(tenure.MaxMoney))
	}
	op.Reason = strings.TrimSpace(op.Reason)
	if adjust && op.Reason == "" {
		p.Add("reason", "is required: say why the balance changes")
	}
	return p.Err("service.LedgerOp")
}

// Adjust applies a manual correction with a reason, recorded in the audit log.
func (s *Intake) Adjust(ctx context.Context, tenantID, actor, memberRef, idemKey string, op LedgerOp) (OpResult, error) {
	if err := op.validate(true); err != nil {
		return OpResult{}, err
	}
	return s.ledgerOp(ctx, tenantID, actor, memberRef, idemKey, op, "adjusted", func(u *unit, b *ledger.Book, c ledger.Cause) error {
		return b.Adjust(op.Amount, u.prog.ExpiresAt(u.tx.Now), c)
	})
}

// Spend takes points or credit from the available balance; KindConflict if short. Two
// concurrent spends of the same member are serialised by the member's row lock, so they
// can never overdraw.
func (s *Intake) Spend(ctx context.Context, tenantID, actor, memberRef, idemKey string, op LedgerOp) (OpResult, error) {
	if err := op.validate(false); err != nil {
		return OpResult{}, err
	}
	return s.ledgerOp(ctx, tenantID, actor, memberRef, idemKey, op, "spent", func(u *unit, b *ledger.Book, c ledger.Cause) error {
		return b.Spend(tenure.EntrySpend, op.Amount, c)
	})
}

func (s *Intake) ledgerOp(ctx context.Context, tenantID, actor, memberRef, idemKey string, op LedgerOp, verb string,
	decide func(*unit, *ledger.Book, ledger.Cause) error) (res OpResult, err error) {
	err = s.db.WriteGrouped(ctx, func(tx *storage.Tx) error {
		res, err = idempotent(ctx, tx, tenantID, idemKey, "ledger."+verb+"/"+memberRef, op, func() (OpResult, error) {
			return s.applyLedgerOp(ctx, tx, tenantID, actor, memberRef, op, verb, decide)
		})
		return err
	})
	return res, err
}

func (s *core) applyLedgerOp(ctx context.Context, tx *storage.Tx, tenantID, actor, memberRef string, op LedgerOp, verb string,
	decide func(*unit, *ledger.Book, ledger.Cause) error) (res OpResult, err error) {
	u, err := s.newUnit(ctx, tx, tenantID)
	if err != nil {
		return res, err
	}
	m, err := tx.Member(ctx, tenantID, memberRef, true)
	if err != nil {
		return res, err
	}
	b, err := u.book(ctx, m.ID, op.Wallet)
	if err != nil {
		return res, err
	}
	causeType := map[string]string{"adjusted": "adjustment", "spent": "spend"}[verb]
	c := ledger.Cause{Type: causeType, ID: tx.NewID(causeType), Reason: op.Reason + refSuffix(op.Reference), Actor: actor}
	if err := decide(u, b, c); err != nil {
		return res, err
	}
	if err := u.flush(ctx); err != nil {
		return res, err
	}
	res = OpResult{Balance: b.Balance, Entries: slices.Clone(b.Entries())}
	if _, err := tx.Emit(ctx, tenantID, string(op.Wallet)+"."+verb, m.ID, pointsMessage{MemberID: m.ID, ExternalID: m.ExternalID, Wallet: op.Wallet,
		Amount: op.Amount, Reason: op.Reason, Balance: b.Balance.Available, BalancePend: b.Balance.Pending}); err != nil {
		return res, err
	}
	return res, tx.Audit(ctx, tenantID, actor, string(op.Wallet)+"."+verb, "member", m.ID, map[string]any{"amount": op.Amount, "reason": op.Reason, "reference": op.Reference})
}

func refSuffix(ref string) string {
	if ref == "" {
		return ""
	}
	return " (ref " + ref + ")"
}

// TransferRequest moves points or credit between two members of one tenant.
type TransferRequest struct {
	From   string        `json:"from" minLength:"1" maxLength:"128" doc:"Sender: member id or the store's customer id"`
	To     string        `json:"to" minLength:"1" maxLength:"128" doc:"Receiver: member id or the store's customer id"`
	Wallet tenure.Wallet `json:"wallet,omitempty" enum:"points,credit"`
	Amount int64         `json:"amount" doc:"Positive amount to move"`
	Reason string        `json:"reason,omitempty" maxLength:"500"`
}

// TransferResult shows both balances after a transfer.
type TransferResult struct {
	ID   string         `json:"id"`
	From tenure.Balance `json:"from"`
	To   tenure.Balance `json:"to"`
}

// Transfer moves an amount atomically: the sender's soonest-expiring lots are debited and
// the receiver gets lots with the same expiries. Both members are locked in id order.
func (s *Intake) Transfer(ctx context.Context, tenantID, actor, idemKey string, r TransferRequest) (res TransferResult, err error) {
	op := LedgerOp{Wallet: r.Wallet, Amount: r.Amount, Reason: r.Reason}
	if err := op.validate(false); err != nil {
		return res, err
	}
	if r.From == r.To {
		return res, tenure.Invalid("service.Transfer", "to", "must differ from from")
	}
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		res, err = idempotent(ctx, tx, tenantID, idemKey, "transfer", r, func() (TransferResult, error) {
			return s.applyTransfer(ctx, tx, tenantID, actor, r, op)
		})
		return err
	})
	return res, err
}

func (s *Intake) applyTransfer(ctx context.Context, tx *storage.Tx, tenantID, actor string, r TransferRequest, op LedgerOp) (res TransferResult, err error) {
	err = func() error {
		u, err := s.newUnit(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		from, err := tx.Member(ctx, tenantID, r.From, false)
		if err != nil {
			return tenure.Invalid("service.Transfer", "from", "no member %q", r.From)
		}
		to, err := tx.Member(ctx, tenantID, r.To, false)
		if err != nil {
			return tenure.Invalid("service.Transfer", "to", "no member %q", r.To)
		}
		if from.ID == to.ID {
			return tenure.Invalid("service.Transfer", "to", "must differ from from")
		}
		first, second := from.ID, to.ID
		if second < first {
			first, second = second, first
		}
		for _, id := range []string{first, second} {
			if _, err := tx.Member(ctx, tenantID, id, true); err != nil {
				return err
			}
		}
		res.ID = tx.NewID(tenure.PrefixTransfer)
		c := ledger.Cause{Type: "transfer", ID: res.ID, Reason: op.Reason, Actor: actor}
		fb, err := u.book(ctx, from.ID, op.Wallet)
		if err != nil {
			return err
		}
		tb, err := u.book(ctx, to.ID, op.Wallet)
		if err != nil {
			return err
		}
		slices, err := fb.TransferOut(op.Amount, c)
		if err != nil {
			return err
		}
		tb.TransferIn(slices, c)
		if err := u.flush(ctx); err != nil {
			return err
		}
		res.From, res.To = fb.Balance, tb.Balance
		msg := map[string]any{"transfer_id": res.ID, "from": from.ID, "to": to.ID, "wallet": op.Wallet, "amount": op.Amount, "reason": op.Reason}
		if _, err := tx.Emit(ctx, tenantID, string(op.Wallet)+".transferred", from.ID, msg); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, string(op.Wallet)+".transferred", "transfer", res.ID, msg)
	}()
	return res, err
}

// Order loads an order with its lines and points account.
func (s *Members) Order(ctx context.Context, tenantID, id string) (o *tenure.Order, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		var found bool
		o, found, err = tx.Order(ctx, tenantID, id)
		if err == nil && !found {
			err = tenure.NotFound("service.Order", "order", id)
		}
		return err
	})
	return o, err
}

// Event loads a stored event and the result it produced.
func (s *Members) Event(ctx context.Context, tenantID, id string) (res tenure.EventResult, ev tenure.Event, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		st, e, err := tx.Event(ctx, tenantID, id)
		res, ev = st.Result, e
		return err
	})
	return res, ev, err
}
