package demo

import (
	"context"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/segments"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/tiers"
)

// Clock is simulated while the demo replays history, then follows the wall clock.
type Clock struct {
	mu   sync.Mutex
	at   time.Time
	live bool
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{at: t.UTC()} }

// Now returns the simulated time, or the wall clock once Live was called.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return c.at
}

// Set moves the simulated time.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.at = t.UTC().Truncate(time.Microsecond)
	c.mu.Unlock()
}

// Live makes the clock follow the wall clock from now on.
func (c *Clock) Live() {
	c.mu.Lock()
	c.live = true
	c.mu.Unlock()
}

// Program is the demo store's loyalty program, from the source articles: the seed 003
// threshold table on top of a base rate, double points at the weekend (seed 001) with a
// 10% holdout group, a sign-up bonus, and reviews with a photo bonus.
func Program() (tenure.Program, rules.Set) {
	p := tenure.DefaultProgram()
	p.Name = "Kawa & Herbata Club"
	p.TimeZone = "Europe/Warsaw"
	p.AvailableOn, p.ReturnWindowDays = "fulfilment", 14
	p.Expiry = tenure.ExpiryPolicy{Mode: "days", Days: 365}
	p.PointValue = 10_000_000 // 1 point = 10 groszy: seed 003 trades 200 points for a 20 zł coupon
	set := rules.Set{TimeZone: "Europe/Warsaw", Rules: []rules.Rule{
		{ID: "base", Name: "1 point per 1 zł", Kind: rules.KindSpend, Spend: &rules.Spend{Points: 1}},
		{ID: "thresholds", Name: "Order size bonus (100/200/500 zł)", Kind: rules.KindSpend,
			Spend: &rules.Spend{Table: []rules.Threshold{{Min: 10000, Points: 10}, {Min: 20000, Points: 25}, {Min: 50000, Points: 70}}}},
		{ID: "weekend", Name: "Double points at the weekend", Kind: rules.KindMultiplier, Multiplier: 20000,
			Schedule: &rules.Schedule{Days: []string{"sat", "sun"}}, Targets: []string{"base"},
			Holdout: 1000}, // 10% of weekend shoppers keep single points: the analytics page measures the campaign's lift
		{ID: "signup", Name: "Welcome bonus", Kind: rules.KindAction, Event: tenure.CustomerCreated, Points: 50,
			Limit: &rules.Limit{Count: 1, Per: rules.PerLifetime}},
		{ID: "review", Name: "Review", Kind: rules.KindAction, Event: tenure.ReviewPosted, Points: 20,
			Bonuses: []rules.Bonus{{Name: "photo", Condition: "event.properties.photo == true", Points: 30}},
			Cap:     &rules.Cap{Points: 100, Per: rules.PerMonth}},
	}}
	return p, set
}

// Catalog is the demo's rewards, from seed 003: a 10% discount for 100 points, a 20 zł
// coupon for 200 and a free product for 500.
func Catalog() []rewards.RewardDefinition {
	return []rewards.RewardDefinition{
		{Name: "10% discount", Type: "percent_discount", Percent: 10, Cost: 100, ValidDays: 30},
		{Name: "20 zł coupon", Type: "fixed_discount", Value: 2000, Cost: 200, MinOrder: 10000, ValidDays: 30, CodePattern: "KAWA-********"},
		{Name: "Free coffee mug", Type: "free_product", ProductID: "p-kitchen-1-0", Value: 4900, Cost: 500, ValidDays: 60},
	}
}

// Ladder is the demo's tiers: Bronze, Silver from 1,000 points a year, Gold from 3,000 with
// 1.5x points and free shipping; 30 days of grace.
func Ladder() tiers.Ladder {
	return tiers.Ladder{Metric: tiers.PointsEarned, Window: tiers.CalendarYear, GraceDays: 30, Tiers: []tiers.Tier{
		{Key: "bronze", Name: "Bronze", Threshold: 0},
		{Key: "silver", Name: "Silver", Threshold: 1000, Benefits: tiers.Benefits{EarnMultiplierBP: 12000}},
		{Key: "gold", Name: "Gold", Threshold: 3000, Benefits: tiers.Benefits{EarnMultiplierBP: 15000, FreeShipping: true, EarlyAccess: true}},
	}}
}

// Segments are the demo's customer segments, over the profile segment conditions read.
func Segments() []segments.Definition {
	return []segments.Definition{
		{Key: "big-spenders-gone-quiet", Name: "Big spenders gone quiet", Description: "Top two spend quintiles, no order for two months",
			Condition: "member.m >= 4 && member.recency_days > 60"},
		{Key: "tea-regulars", Name: "Tea regulars", Description: "Bought tea, ordered three times or more",
			Condition: `"tea" in member.categories && member.frequency >= 3`},
		{Key: "likely-to-return", Name: "Likely to return", Description: "The purchase model gives them an 80% or better chance of being active",
			Condition: "member.p_alive >= 0.8 && member.frequency >= 2"},
	}
}

// Setup configures a tenant as the demo store: the Program and its rules, the Ladder and
// the Catalog. It returns the catalog's reward ids, cheapest first, for Replay.
func Setup(ctx context.Context, svc *service.Service, tenantID, actor string) (rewardIDs []string, err error) {
	prog, set := Program()
	if _, err := svc.Tenants.UpdateProgram(ctx, tenantID, actor, prog); err != nil {
		return nil, err
	}
	if _, err := svc.Rules.Save(ctx, tenantID, actor, set); err != nil {
		return nil, err
	}
	if _, err := svc.Tiers.Save(ctx, tenantID, actor, Ladder()); err != nil {
		return nil, err
	}
	for _, d := range Catalog() {
		r, err := svc.Rewards.Create(ctx, tenantID, actor, d)
		if err != nil {
			return nil, err
		}
		rewardIDs = append(rewardIDs, r.ID)
	}
	return rewardIDs, nil
}

// Replay feeds the history through the service day by day: the clock moves to the end of
// each day, that day's events are ingested in one batch per thousand, and the jobs that
// fell due (points becoming available, expiries, subscription renewals and dunning
// retries) run, as they would have live. The day's subscriber actions (h.Subs) come
// between the events and the jobs; when there are any, the subscription Plans are
// created first.
//
// Members redeem as they go: a customer whose order pushes their points to 200 or more
// takes, one time in three, the most expensive reward they can afford (rewardIDs, cheapest
// first), so the demo has redemptions, coupons and a liability that moves.
func Replay(ctx context.Context, svc *service.Service, clock *Clock, tenantID string, h History, rewardIDs []string, progress func(done, total int)) error {
	events := h.Events
	total := len(events)
	day := h.Start.Truncate(24 * time.Hour)
	i, si := 0, 0
	subs := map[string]string{}
	if len(h.Subs) > 0 {
		clock.Set(h.Start)
		if err := setupPlans(ctx, svc, tenantID, "demo"); err != nil {
			return err
		}
	}
	for i < total {
		day = day.Add(24 * time.Hour)
		j := i
		for j < total && events[j].OccurredAt.Before(day) {
			j++
		}
		clock.Set(day.Add(-time.Second))
		for k := i; k < j; k += service.MaxBatch {
			batch := events[k:min(k+service.MaxBatch, j)]
			if _, err := svc.Intake.Ingest(ctx, tenantID, batch, service.IngestOptions{Batch: true}); err != nil {
				return err
			}
		}
		sj := si
		for sj < len(h.Subs) && h.Subs[sj].At.Before(day) {
			sj++
		}
		if err := subscriptionDay(ctx, svc, tenantID, h.Subs[si:sj], subs); err != nil {
			return err
		}
		si = sj
		for {
			n, err := svc.RunDueJobs(ctx, "demo", 500)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
		if err := redeem(ctx, svc, tenantID, events[i:j], rewardIDs); err != nil {
			return err
		}
		i = j
		if progress != nil {
			progress(i, total)
		}
	}
	return nil
}

// redeem lets some of the day's customers spend their points (see Replay).
func redeem(ctx context.Context, svc *service.Service, tenantID string, day []tenure.Event, rewardIDs []string) error {
	if len(rewardIDs) == 0 {
		return nil
	}
	costs := []int64{100, 200, 500}
	for _, e := range day {
		if e.Type != tenure.OrderFulfilled || fnv(e.ID)%3 != 0 {
			continue
		}
		b, err := svc.Members.Balance(ctx, tenantID, e.CustomerID)
		if err != nil {
			return err
		}
		for k := len(rewardIDs) - 1; k >= 0; k-- {
			if b.Points.Available >= costs[k] && b.Points.Available >= 200 {
				if _, err := svc.Rewards.Redeem(ctx, tenantID, "demo", e.CustomerID, "demo:"+e.ID, service.RedeemRequest{RewardID: rewardIDs[k]}); err != nil && tenure.KindOf(err) != tenure.KindConflict {
					return err
				}
				break
			}
		}
	}
	return nil
}

func fnv(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
