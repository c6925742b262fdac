package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage"
)

// BacktestRequest replays a candidate rule set over the stored orders paid in [From, To).
type BacktestRequest struct {
	Rules rules.Set `json:"rules"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Top   int       `json:"top,omitempty" maximum:"100" doc:"How many top gainers to list (default 10)"`
}

// BacktestReport is what a rule set would have cost over a period, next to what the
// current rules gave for the same orders. Nothing live is touched.
type BacktestReport struct {
	Orders          int64          `json:"orders" doc:"Paid orders in the period that were not cancelled"`
	Members         int64          `json:"members" doc:"Members with at least one such order"`
	MembersAffected int64          `json:"members_affected" doc:"Members whose points would differ from the current rules"`
	Points          int64          `json:"points" doc:"Total points the candidate rules award"`
	CurrentPoints   int64          `json:"current_points" doc:"Total points the current rules award for the same orders"`
	CostMinor       int64          `json:"cost_minor" doc:"Candidate points valued at the program's point value, minor units"`
	Distribution    []Bucket       `json:"distribution" doc:"Members by points awarded in the period"`
	TopGainers      []Gainer       `json:"top_gainers"`
	ByRule          map[string]int `json:"fired_by_rule" doc:"How many orders each candidate rule fired on"`
	Reconstructed   int64          `json:"reconstructed_orders" doc:"Orders judged before Tenure kept the member state the rules read, replayed against a reconstruction (see the rules reference)"`
	ElapsedMS       float64        `json:"elapsed_ms"`
}

// Bucket counts members whose award falls in [Min, Max].
type Bucket struct {
	Min     int64 `json:"min"`
	Max     int64 `json:"max"`
	Members int64 `json:"members"`
}

// Gainer is a member with the largest gain under the candidate rules.
type Gainer struct {
	MemberID string `json:"member_id"`
	Points   int64  `json:"points"`
	Current  int64  `json:"current"`
	Gain     int64  `json:"gain"`
}

// BacktestOrder is one order as a backtest judged it.
type BacktestOrder struct {
	Order     *tenure.Order // as stored, with its points account
	Candidate rules.Result
	Current   rules.Result
	// Recorded is true when the member state came from what live evaluation kept on the
	// order; false when it was reconstructed.
	Recorded bool
}

// Backtest replays req.Rules, and the current rules, over every order paid in the period
// (see BacktestEach).
func (s *Rules) Backtest(ctx context.Context, tenantID string, req BacktestRequest) (BacktestReport, error) {
	return s.BacktestEach(ctx, tenantID, req, nil)
}

// BacktestEach replays req.Rules, and the current rules, over every order paid in the
// period, in payment order, and calls each (when not nil) with every judged order. Each
// order is judged by the evaluator live traffic uses, with its input built by the same
// function (ruleInput), for the member as live evaluation saw them when the order was
// paid: the state kept on the order (balance, order statistics, tier, segments, metrics
// — whatever the rules of the time read), and the member's profile. What the kept state
// lacks is reconstructed: order statistics from the orders paid before, the tier from
// the tier changes in the audit log, segments and metrics as they are now, points as
// unknown (0). Caps, limits and budgets are simulated in memory from the start of the
// period. Cancelled orders are judged (they consumed caps and budgets live) but not
// counted in the totals. Nothing live is touched.
func (s *Rules) BacktestEach(ctx context.Context, tenantID string, req BacktestRequest, each func(BacktestOrder) error) (BacktestReport, error) {
	start := time.Now()
	var rep BacktestReport
	if req.Top <= 0 {
		req.Top = 10
	}
	if !req.To.After(req.From) {
		return rep, tenure.Invalid("service.Backtest", "to", "must be after from")
	}
	if _, err := rules.Compile(req.Rules); err != nil {
		return rep, err
	}
	rep.ByRule = map[string]int{}
	type acc struct {
		cand, cur int64
	}
	members := map[string]*acc{}
	simCand, simCur := newSimulation(), newSimulation()
	var pointValue int64
	err := s.db.Read(ctx, func(tx *storage.Tx) error {
		t, err := tx.Tenant(ctx, tenantID)
		if err != nil {
			return err
		}
		pointValue = t.Program.PointValue
		current, err := s.rules(ctx, tx, tenantID, t.Program)
		if err != nil {
			return err
		}
		candidate, err := s.candidateRules(ctx, tx, tenantID, req.Rules)
		if err != nil {
			return err
		}
		h, err := s.loadHistory(ctx, tx, tenantID, req.From, req.To, current, candidate)
		if err != nil {
			return err
		}
		return tx.EachPaidOrder(ctx, tenantID, req.From, req.To, func(o *tenure.Order) error {
			m, b, recorded := h.state(o)
			ev := tenure.Event{Type: tenure.OrderPaid, CustomerID: m.ExternalID, OccurredAt: *o.PaidAt}
			in := ruleInput(m, b, ev, o, *o.PaidAt)
			rc := simCand.evaluate(candidate, in)
			ru := simCur.evaluate(current, in)
			if each != nil {
				if err := each(BacktestOrder{Order: o, Candidate: rc, Current: ru, Recorded: recorded}); err != nil {
					return err
				}
			}
			if o.CancelledAt != nil {
				return nil
			}
			for _, x := range rc.Explanations {
				if x.Fired {
					rep.ByRule[x.RuleID]++
				}
			}
			a := members[o.MemberID]
			if a == nil {
				a = &acc{}
				members[o.MemberID] = a
			}
			a.cand += rc.Points
			a.cur += ru.Points
			rep.Orders++
			if !recorded {
				rep.Reconstructed++
			}
			return nil
		})
	})
	if err != nil {
		return rep, err
	}
	var gainers []Gainer
	var maxPts int64
	for id, a := range members {
		rep.Members++
		rep.Points += a.cand
		rep.CurrentPoints += a.cur
		if a.cand != a.cur {
			rep.MembersAffected++
		}
		maxPts = max(maxPts, a.cand)
		gainers = append(gainers, Gainer{MemberID: id, Points: a.cand, Current: a.cur, Gain: a.cand - a.cur})
	}
	slices.SortFunc(gainers, func(x, y Gainer) int {
		if x.Gain != y.Gain {
			return int(y.Gain - x.Gain)
		}
		if x.MemberID < y.MemberID {
			return -1
		}
		return 1
	})
	rep.TopGainers = gainers[:min(req.Top, len(gainers))]
	rep.Distribution = distribution(members, maxPts, func(a *acc) int64 { return a.cand })
	rep.CostMinor = rep.Points * pointValue / 1_000_000
	rep.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// history is what a backtest knows about members besides the state kept on each order:
// their profiles, and what reconstructs state an order did not keep.
type history struct {
	members  map[string]tenure.Member
	stats    map[string]tenure.OrderStats // paid, uncancelled orders before the one judged
	tiers    map[string][]storage.TierChange
	points   map[string][]storage.BalanceStep
	segments map[string][]string
	metrics  func(memberID string) map[string]float64
}

// loadHistory reads the member profiles and, for the parts of the member state the rule
// books read, what reconstructs them.
func (s *Rules) loadHistory(ctx context.Context, tx *storage.Tx, tenantID string, from, to time.Time, books ...*ruleBook) (*history, error) {
	h := &history{members: map[string]tenure.Member{}, tiers: map[string][]storage.TierChange{}}
	var stats, tier, segs, metrics bool
	for _, rb := range books {
		stats, tier, segs, metrics = stats || rb.stats, tier || rb.tier, segs || rb.segs, metrics || rb.metrics
	}
	err := tx.EachMember(ctx, tenantID, func(m tenure.Member) error {
		h.members[m.ID] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Orders keep their balance whenever they keep a state: the ledger is replayed only
	// for orders that kept none.
	missing, err := tx.OrdersWithoutBasis(ctx, tenantID, from, to)
	if err != nil {
		return nil, err
	}
	if missing > 0 {
		if h.points, err = tx.PointsHistory(ctx, tenantID); err != nil {
			return nil, err
		}
	}
	if stats {
		if h.stats, err = tx.OrderStatsBefore(ctx, tenantID, from); err != nil {
			return nil, err
		}
	}
	if tier {
		changes, err := tx.TierChanges(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		for _, c := range changes {
			h.tiers[c.MemberID] = append(h.tiers[c.MemberID], c)
		}
	}
	if segs {
		if h.segments, err = tx.AllMemberSegments(ctx, tenantID); err != nil {
			return nil, err
		}
	}
	if metrics {
		h.metrics = func(id string) map[string]float64 { return s.memberMetrics(ctx, tenantID, id) }
	}
	return h, nil
}

// state returns the member of an order and the member state the rules read when it was
// paid: kept on the order when live evaluation judged it, otherwise (or for parts it
// did not read) reconstructed. recorded says whether the order kept its state.
//
// A reconstruction places the order's evaluation among the member's ledger entries and
// tier changes by id (ids sort in the order they were made): the evaluation came just
// before the order's lot was opened, or, for an order that earned nothing, when the order
// was first recorded.
func (h *history) state(o *tenure.Order) (m tenure.Member, b tenure.MemberBasis, recorded bool) {
	m, ok := h.members[o.MemberID]
	if !ok {
		m = tenure.Member{ID: o.MemberID}
	}
	mark := o.ID
	if o.Points.LotID != "" {
		mark = o.Points.LotID
	}
	if o.Points.Basis != nil {
		b, recorded = *o.Points.Basis, true
	} else {
		for _, st := range h.points[o.MemberID] {
			if !idBefore(st.EntryID, mark) {
				break
			}
			b.Points = st.Available
		}
	}
	if b.Stats == nil && h.stats != nil {
		st := h.stats[o.MemberID]
		b.Stats = &st
	}
	if b.Tier == nil && len(h.tiers) > 0 {
		tier, _ := m.Attributes["tier"].(string)
		for _, c := range h.tiers[o.MemberID] {
			if !idBefore(c.ID, mark) {
				break
			}
			tier = c.Tier
		}
		b.Tier = &tier
	}
	if b.Segments == nil && h.segments != nil {
		segs := h.segments[o.MemberID]
		b.Segments = &segs
	}
	if !b.MetricsSet && h.metrics != nil {
		b.Metrics = h.metrics(o.MemberID)
	}
	if h.stats != nil && o.CancelledAt == nil {
		st := h.stats[o.MemberID]
		h.stats[o.MemberID] = tenure.OrderStats{Orders: st.Orders + 1, Spent: st.Spent + o.Subtotal()}
	}
	return m, b, recorded
}

// idBefore reports whether id a was made before id b, whatever their kinds: the part
// after the prefix sorts by creation.
func idBefore(a, b string) bool {
	_, x, _ := strings.Cut(a, "_")
	_, y, _ := strings.Cut(b, "_")
	return x < y
}

// distribution buckets members by points into ten equal-width buckets.
func distribution[T any](members map[string]T, maxPts int64, pts func(T) int64) []Bucket {
	const n = 10
	width := max((maxPts+n)/n, 1)
	out := make([]Bucket, n)
	for i := range out {
		out[i] = Bucket{Min: int64(i) * width, Max: int64(i+1)*width - 1}
	}
	for _, m := range members {
		i := min(pts(m)/width, n-1)
		out[i].Members++
	}
	return out
}

// simulation keeps caps, limits and budgets in memory for a backtest, as the live shell
// keeps them in the database.
type simulation struct {
	usage   map[string]map[string]rules.Counter // member/rule -> period key -> counter
	budgets map[string]int64                    // spent
}

func newSimulation() *simulation {
	return &simulation{usage: map[string]map[string]rules.Counter{}, budgets: map[string]int64{}}
}

// evaluate judges in (built by ruleInput) with the usage and budgets simulated so far,
// and records what the result consumed.
func (sim *simulation) evaluate(rb *ruleBook, in rules.Input) rules.Result {
	memberID := in.Member.ID
	p := rules.PeriodsAt(in.At, rb.cs.Location())
	keys := []string{"day:" + p.Day, "week:" + p.Week, "month:" + p.Month, "year:" + p.Year, "lifetime"}
	if len(rb.counted) > 0 {
		in.Usage = map[string]rules.Usage{}
		for _, id := range rb.counted {
			c := sim.usage[memberID+"/"+id]
			in.Usage[id] = rules.Usage{Day: c[keys[0]], Week: c[keys[1]], Month: c[keys[2]], Year: c[keys[3]], Lifetime: c[keys[4]]}
		}
	}
	if len(rb.budgets) > 0 {
		in.Budgets = map[string]int64{}
		for k, total := range rb.budgets {
			in.Budgets[k] = max(total-sim.budgets[k], 0)
		}
	}
	res := rules.Evaluate(rb.cs, in)
	for _, inc := range res.Usage {
		k := memberID + "/" + inc.RuleID
		if sim.usage[k] == nil {
			sim.usage[k] = map[string]rules.Counter{}
		}
		for _, pk := range keys {
			c := sim.usage[k][pk]
			c.Times++
			c.Points += inc.Points
			sim.usage[k][pk] = c
		}
	}
	for _, b := range res.Budgets {
		sim.budgets[b.Key] += b.Points
	}
	return res
}
