package service

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/tiers"
)

// unit is the state of one write transaction: the tenant's program and the ledger books
// loaded so far. Books are loaded once (locking their balance rows) and saved together
// by flush, so that a batch touching one member many times writes its balance once.
type unit struct {
	tx       *storage.Tx
	tenantID string
	prog     tenure.Program
	books    map[string]*ledger.Book
	order    []string
	metrics  Observer
	stats    map[string]memberStats // order counts for rules, loaded on first use
	fresh    map[string]bool        // members enrolled in this transaction: empty books
	tiers    *tierEnv               // the tier ladder, loaded on first use
	// cacheBalances: balances are cached (one node), so changed ones are announced.
	cacheBalances bool
	// tierStats buffers qualifying activity while no ladder is configured.
	tierStats map[storage.TierMonth]tiers.Totals
	rules     *ruleBook // the tenant's rules, loaded once per transaction
	// budgets is what each campaign budget has spent, read once per transaction; locked
	// marks the budgets locked in it, whose value is exact until the commit.
	budgets map[string]int64
	locked  map[string]bool
	// members are the members the transaction loaded up front: the rules' per-member
	// reads (order statistics, rule counters) are made for all of them at once.
	members []string
	// usage holds the rule counters of the members in usageFor, for the period keys
	// usageKeys, kept current as the transaction adds to them.
	usage     map[string]map[string]map[string]storage.Counter
	usageFor  map[string]bool
	usageKeys []string
}

func (s *core) newUnit(ctx context.Context, tx *storage.Tx, tenantID string) (*unit, error) {
	t, err := tx.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return &unit{tx: tx, tenantID: tenantID, prog: t.Program, books: map[string]*ledger.Book{}, metrics: s.Metrics, stats: map[string]memberStats{}, fresh: map[string]bool{}, tierStats: map[storage.TierMonth]tiers.Totals{},
		cacheBalances: s.changes.Synchronous()}, nil
}

// book returns the member's book for a wallet, loading and locking it on first use.
func (u *unit) book(ctx context.Context, memberID string, w tenure.Wallet) (*ledger.Book, error) {
	k := memberID + "/" + string(w)
	if b, ok := u.books[k]; ok {
		return b, nil
	}
	var bal tenure.Balance
	var lots []*tenure.Lot
	if u.fresh[memberID] {
		bal = tenure.Balance{MemberID: memberID, Wallet: w, UpdatedAt: u.tx.Now} // enrolled in this transaction
	} else {
		var err error
		if bal, lots, err = u.tx.LoadAccount(ctx, u.tenantID, memberID, w); err != nil {
			return nil, err
		}
	}
	u.add(k, ledger.NewBook(bal, lots, u.tx.Now, u.tx.NewID))
	return u.books[k], nil
}

func (u *unit) add(k string, b *ledger.Book) {
	u.books[k] = b
	u.order = append(u.order, k)
}

// preload loads the books of many members in one wallet with a few queries.
func (u *unit) preload(ctx context.Context, memberIDs []string, w tenure.Wallet) error {
	u.members = append(u.members, memberIDs...)
	var need []string
	for _, id := range memberIDs {
		if _, ok := u.books[id+"/"+string(w)]; !ok && !u.fresh[id] {
			need = append(need, id)
		}
	}
	if len(need) == 0 {
		return nil
	}
	slices.Sort(need)
	bals, lots, err := u.tx.LoadAccounts(ctx, u.tenantID, need, w)
	if err != nil {
		return err
	}
	for _, id := range need {
		if bal, ok := bals[id]; ok {
			u.add(id+"/"+string(w), ledger.NewBook(bal, lots[id], u.tx.Now, u.tx.NewID))
		}
	}
	return nil
}

// flush writes every book's entries, lots and balance, and schedules the expiry of every
// lot that now carries an expiry. Scheduling is keyed by member, wallet and instant, so
// lots expiring together share one job.
func (u *unit) flush(ctx context.Context) error {
	written := 0
	defer func() {
		if u.metrics != nil && written > 0 {
			u.tx.OnCommit(func() { u.metrics.LedgerEntries(written) })
		}
	}()
	changes := make([]storage.AccountChange, 0, len(u.order))
	for _, k := range u.order {
		b := u.books[k]
		b.RefreshNextExpiry()
		changes = append(changes, storage.AccountChange{Balance: b.Balance, Lots: b.Touched(), Entries: b.Entries()})
	}
	if err := u.tx.SaveAccounts(ctx, u.tenantID, changes); err != nil {
		return err
	}
	if err := u.tx.AddTierActivities(ctx, u.tenantID, u.tierStats); err != nil {
		return err
	}
	clear(u.tierStats)
	for i, k := range u.order {
		b := u.books[k]
		if u.cacheBalances && len(b.Entries()) > 0 {
			u.tx.Notify(storage.Change{Kind: storage.ChangeBalance, ID: b.Balance.MemberID})
		}
		touched := changes[i].Lots
		written += len(b.Entries())
		var scheduled []int64
		for _, l := range touched {
			if l.ExpiresAt == nil || l.Remaining <= 0 || l.Debt {
				continue
			}
			at := l.ExpiresAt.UnixMicro()
			if slices.Contains(scheduled, at) {
				continue
			}
			scheduled = append(scheduled, at)
			payload, _ := json.Marshal(expirePayload{MemberID: l.MemberID, Wallet: l.Wallet})
			key := l.MemberID + "/" + string(l.Wallet) + "/" + strconv.FormatInt(at, 10)
			if err := u.tx.Schedule(ctx, u.tenantID, jobExpire, key, string(payload), *l.ExpiresAt); err != nil {
				return err
			}
		}
	}
	return nil
}

type expirePayload struct {
	MemberID string        `json:"member_id"`
	Wallet   tenure.Wallet `json:"wallet"`
}

// pointsMessage is the body of points.* and credit.* notifications.
type pointsMessage struct {
	MemberID    string        `json:"member_id"`
	ExternalID  string        `json:"customer_id,omitempty"`
	Wallet      tenure.Wallet `json:"wallet"`
	Amount      int64         `json:"amount"`
	Uncollected int64         `json:"uncollected,omitempty"`
	OrderID     string        `json:"order_id,omitempty"`
	EventID     string        `json:"event_id,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	Pending     bool          `json:"pending,omitempty"`
	AvailableAt any           `json:"available_at,omitempty"`
	Balance     int64         `json:"balance_available"`
	BalancePend int64         `json:"balance_pending"`
}
