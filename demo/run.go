package demo

import (
	"context"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
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
// threshold table on top of a base rate, double points at the weekend (seed 001), a
// sign-up bonus, and reviews with a photo bonus.
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
			Schedule: &rules.Schedule{Days: []string{"sat", "sun"}}, Targets: []string{"base"}},
		{ID: "signup", Name: "Welcome bonus", Kind: rules.KindAction, Event: tenure.CustomerCreated, Points: 50,
			Limit: &rules.Limit{Count: 1, Per: rules.PerLifetime}},
		{ID: "review", Name: "Review", Kind: rules.KindAction, Event: tenure.ReviewPosted, Points: 20,
			Bonuses: []rules.Bonus{{Name: "photo", Condition: "event.properties.photo == true", Points: 30}},
			Cap:     &rules.Cap{Points: 100, Per: rules.PerMonth}},
	}}
	return p, set
}

// Replay feeds the history through the service day by day: the clock moves to the end of
// each day, that day's events are ingested in one batch per thousand, and the jobs that
// fell due (points becoming available, expiries) run, as they would have live.
func Replay(ctx context.Context, svc *service.Service, clock *Clock, tenantID string, h History, progress func(done, total int)) error {
	events := h.Events
	total := len(events)
	day := h.Start.Truncate(24 * time.Hour)
	i := 0
	for i < total {
		day = day.Add(24 * time.Hour)
		j := i
		for j < total && events[j].OccurredAt.Before(day) {
			j++
		}
		clock.Set(day.Add(-time.Second))
		for k := i; k < j; k += service.MaxBatch {
			batch := events[k:min(k+service.MaxBatch, j)]
			if _, err := svc.Ingest(ctx, tenantID, batch, service.IngestOptions{Batch: true}); err != nil {
				return err
			}
		}
		for {
			n, err := svc.RunDueJobs(ctx, "demo", 500)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
		i = j
		if progress != nil {
			progress(i, total)
		}
	}
	return nil
}
