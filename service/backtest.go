package service

import (
	"context"
	"slices"
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
	Orders          int64          `json:"orders"`
	Members         int64          `json:"members" doc:"Members with at least one paid order in the period"`
	MembersAffected int64          `json:"members_affected" doc:"Members whose points would differ from the current rules"`
	Points          int64          `json:"points" doc:"Total points the candidate rules award"`
	CurrentPoints   int64          `json:"current_points" doc:"Total points the current rules award for the same orders"`
	CostMinor       int64          `json:"cost_minor" doc:"Candidate points valued at the program's point value, minor units"`
	Distribution    []Bucket       `json:"distribution" doc:"Members by points awarded in the period"`
	TopGainers      []Gainer       `json:"top_gainers"`
	ByRule          map[string]int `json:"fired_by_rule" doc:"How many orders each candidate rule fired on"`
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

// Backtest replays req.Rules, and the current rules, over every order paid in the period,
// in payment order, with each member's order count and spend built up as it goes and caps,
// limits and budgets simulated in memory. It uses the same evaluator as live traffic.
func (s *Service) Backtest(ctx context.Context, tenantID string, req BacktestRequest) (BacktestReport, error) {
	start := time.Now()
	var rep BacktestReport
	if req.Top <= 0 {
		req.Top = 10
	}
	if !req.To.After(req.From) {
		return rep, tenure.Invalid("service.Backtest", "to", "must be after from")
	}
	candidate, err := newRuleBook(0, req.Rules, nil)
	if err != nil {
		return rep, err
	}
	rep.ByRule = map[string]int{}
	type acc struct {
		cand, cur     int64
		orders, spent int64
	}
	members := map[string]*acc{}
	simCand, simCur := newSimulation(), newSimulation()
	err = s.DB.Read(ctx, func(tx *storage.Tx) error {
		t, err := tx.Tenant(ctx, tenantID)
		if err != nil {
			return err
		}
		current, err := s.rules(ctx, tx, tenantID, t.Program)
		if err != nil {
			return err
		}
		return tx.EachPaidOrder(ctx, tenantID, req.From, req.To, func(o *tenure.Order) error {
			if o.CancelledAt != nil {
				return nil
			}
			a := members[o.MemberID]
			if a == nil {
				a = &acc{}
				members[o.MemberID] = a
			}
			ev := tenure.Event{Type: tenure.OrderPaid, OccurredAt: *o.PaidAt}
			snap := rules.Member{OrderCount: a.orders, TotalSpent: a.spent}
			rc := simCand.evaluate(candidate, o.MemberID, ev, o, snap)
			ru := simCur.evaluate(current, o.MemberID, ev, o, snap)
			for _, x := range rc.Explanations {
				if x.Fired {
					rep.ByRule[x.RuleID]++
				}
			}
			a.cand += rc.Points
			a.cur += ru.Points
			a.orders++
			a.spent += o.Subtotal()
			rep.Orders++
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
	err = s.DB.Read(ctx, func(tx *storage.Tx) error {
		t, err := tx.Tenant(ctx, tenantID)
		rep.CostMinor = rep.Points * t.Program.PointValue / 1_000_000
		return err
	})
	rep.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, err
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

func (sim *simulation) evaluate(rb *ruleBook, memberID string, ev tenure.Event, o *tenure.Order, snap rules.Member) rules.Result {
	p := rules.PeriodsAt(ev.OccurredAt, rb.cs.Location())
	keys := []string{"day:" + p.Day, "week:" + p.Week, "month:" + p.Month, "year:" + p.Year, "lifetime"}
	in := rules.Input{At: ev.OccurredAt, Event: ev, Order: o, Member: snap}
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
