package widget

import (
	"context"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// HistoryItem is one line of a member's points history, in words a shopper understands.
type HistoryItem struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Points  int64     `json:"points" doc:"Signed: positive earned or returned, negative spent or lost"`
	Pending bool      `json:"pending" doc:"Earned but not usable yet (the return window is still open)"`
	Title   string    `json:"title"`
	Detail  string    `json:"detail,omitempty"`
}

// History lists the member's points history, newest first, in words she understands: one
// line per business event. The entries of one redemption (one per lot taken) or of one
// refund are summed, and the release of an order's points is no line of its own (the
// order's line says whether they are still pending). A page is read with room to spare so
// that a group is not cut at its end. lang "pl" writes the lines in Polish.
func (a *MemberAPI) History(ctx context.Context, c Caller, cursor string, limit int, lang string) (List[HistoryItem], error) {
	if err := checkLimit(limit, "widget.History"); err != nil {
		return List[HistoryItem]{}, err
	}
	if limit == 0 {
		limit = 20
	}
	es, more, err := a.svc.ledger.History(ctx, c.Claims.Tenant, c.Member.ID, tenure.Points, cursor, min(limit*3+10, 200))
	if err != nil {
		return List[HistoryItem]{}, err
	}
	pending, err := a.svc.ledger.PendingLots(ctx, c.Claims.Tenant, c.Member.ID)
	if err != nil {
		return List[HistoryItem]{}, err
	}
	out, last := groupHistory(es, pending, limit)
	if lang == "pl" {
		for i := range out {
			out[i] = inPolish(out[i])
		}
	}
	next := ""
	if last < len(es)-1 || (last == len(es)-1 && more != "") {
		next = es[last].ID
	}
	return list(out, next), nil
}

// groupHistory turns entries (newest first) into at most limit lines, summing the
// adjacent entries of one cause and kind, and returns the index of the last entry used.
func groupHistory(es []tenure.Entry, pending map[string]int64, limit int) (out []HistoryItem, last int) {
	out = []HistoryItem{}
	last = -1
	var key string
	for i, e := range es {
		title, detail, ok := describe(e)
		k := string(e.Kind) + "|" + e.CauseType + "|" + e.CauseID
		switch {
		case !ok:
		case len(out) > 0 && k == key && e.CauseID != "":
			out[len(out)-1].Points += e.Amount
		case len(out) == limit:
			return out, last
		default:
			isPending := e.Kind == tenure.EntryEarn && e.Bucket == tenure.Pending && (e.LotID == "" || pending[e.LotID] > 0)
			out = append(out, HistoryItem{ID: e.ID, At: e.CreatedAt, Points: e.Amount, Pending: isPending, Title: title, Detail: detail})
			key = k
		}
		last = i
	}
	return out, last
}

// eventTitles name what a member did to earn points, by event type.
var eventTitles = map[string]string{
	"customer.created": "Welcome to the program", "review.posted": "Thanks for your review",
	"survey.answered": "Thanks for your feedback", "referral.signup": "Referral bonus",
	"newsletter.signup": "Newsletter sign-up", "social.shared": "Thanks for sharing", "custom": "Bonus points",
}

// describe turns a ledger entry into a title and a detail for the member, or ok=false for
// bookkeeping lines she need not see (releases of pending points, debt settlements).
// Staff reasons of manual adjustments and spends are internal notes and never shown.
func describe(e tenure.Entry) (title, detail string, ok bool) {
	typ, order, summary := parseReason(e.Reason)
	switch e.Kind {
	case tenure.EntrySettle:
		return "", "", false
	case tenure.EntryRelease:
		// Both halves: the earning's own line says whether its points are still pending.
		return "", "", false
	case tenure.EntryEarn:
		switch {
		case e.CauseType == "coupon":
			return "Store credit added", "", true
		case order != "":
			return "Order " + order, summary, true
		case eventTitles[typ] != "":
			return eventTitles[typ], summary, true
		}
		return "Points earned", summary, true
	case tenure.EntrySpend:
		if name, code, found := redeemed(e.Reason); found {
			return "Redeemed " + name, "Code " + code, true
		}
		return "Points used", "", true
	case tenure.EntryRestore:
		if c, found := strings.CutPrefix(e.Reason, "coupon "); found && e.CauseType == "coupon" {
			code, _, _ := strings.Cut(c, " ")
			return "Points returned", "Coupon " + code + " " + couponOutcome(c), true
		}
		return "Points returned", "", true
	case tenure.EntryReverse:
		switch {
		case typ == string(tenure.OrderRefunded) && order != "":
			return "Order " + order + " refunded", "Points for the returned goods", true
		case typ == string(tenure.OrderCancelled) && order != "":
			return "Order " + order + " cancelled", "", true
		}
		return "Points reversed", "", true
	case tenure.EntryExpire:
		return "Points expired", "", true
	case tenure.EntryAdjust:
		return "Adjusted by the store", "", true
	case tenure.EntryTransferIn:
		return "Points received", "", true
	case tenure.EntryTransferOut:
		return "Points sent", "", true
	}
	return "Points", "", true
}

// parseReason splits the reasons the intake writes: "order.paid ORD-1: rule +10, ..." for
// order events and "review.posted: Review +20" for others.
func parseReason(reason string) (typ, order, summary string) {
	head, summary, _ := strings.Cut(reason, ": ")
	typ, order, _ = strings.Cut(head, " ")
	if !strings.HasPrefix(typ, "order.") {
		order = ""
	}
	return typ, order, summary
}

// redeemed parses "redeemed NAME (CODE)".
func redeemed(reason string) (name, code string, ok bool) {
	rest, found := strings.CutPrefix(reason, "redeemed ")
	open := strings.LastIndex(rest, " (")
	if !found || open < 0 || !strings.HasSuffix(rest, ")") {
		return "", "", false
	}
	return rest[:open], rest[open+2 : len(rest)-1], true
}

func couponOutcome(rest string) string {
	if strings.Contains(rest, " expired") {
		return "expired unused"
	}
	return "cancelled"
}
