package widget

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure/rules"
)

// Earning is what a shopper can do for points: the program's standing ways to earn and
// the campaigns running at this moment. Names are the store's own (in its language);
// the widget phrases the numbers in the shopper's.
type Earning struct {
	Ways      []WayToEarn   `json:"ways"`
	Campaigns []CampaignNow `json:"campaigns"`
}

// WayToEarn is one standing earning rule.
type WayToEarn struct {
	Name     string `json:"name"`
	Kind     string `json:"kind" doc:"spend (points for money spent) or action (points for something done)"`
	Event    string `json:"event,omitempty" doc:"For action rules: the event that earns, such as review.posted"`
	Points   int64  `json:"points" doc:"Spend: points per unit; action: points per event"`
	Unit     int64  `json:"unit,omitempty" doc:"Spend: minor units per step (100 = one zloty)"`
	MinOrder int64  `json:"min_order,omitempty" doc:"Minor units; smaller orders earn nothing from this rule"`
}

// CampaignNow is a campaign running now.
type CampaignNow struct {
	Name       string     `json:"name"`
	Multiplier string     `json:"multiplier,omitempty" doc:"A multiplier campaign's factor, such as 2 or 1.5"`
	Points     int64      `json:"points,omitempty" doc:"A bonus campaign's points per paid order"`
	EndsAt     *time.Time `json:"ends_at,omitempty" doc:"When it ends; absent when it has no end"`
}

// Earning lists the program's ways to earn and the campaigns running now.
func (a *MemberAPI) Earning(ctx context.Context, c Caller) (Earning, error) {
	set, err := a.svc.rules.Current(ctx, c.Claims.Tenant)
	if err != nil {
		return Earning{}, err
	}
	t, err := a.svc.tenants.Get(ctx, c.Claims.Tenant)
	if err != nil {
		return Earning{}, err
	}
	loc := time.UTC
	for _, name := range []string{set.TimeZone, t.Program.TimeZone} {
		if l, err := time.LoadLocation(name); name != "" && err == nil {
			loc = l
			break
		}
	}
	return earningOf(set.Set, a.svc.clock.Now().In(loc)), nil
}

// earningOf sorts a rule set into ways to earn and campaigns running at now (in the set's
// time zone). Rules with a condition on the member (a tier's perk, a segment's offer)
// are left out: they are not for every shopper.
func earningOf(set rules.Set, now time.Time) Earning {
	out := Earning{Ways: []WayToEarn{}, Campaigns: []CampaignNow{}}
	for _, r := range set.Rules {
		name := r.Name
		if name == "" {
			name = r.ID
		}
		timed := r.StartsAt != nil || r.EndsAt != nil || r.Schedule != nil || r.Kind == rules.KindMultiplier
		if timed {
			if r.Condition != "" || !runningAt(r, now) {
				continue
			}
			c := CampaignNow{Name: name, EndsAt: r.EndsAt}
			switch r.Kind {
			case rules.KindMultiplier:
				c.Multiplier = strconv.FormatFloat(float64(r.Multiplier)/float64(rules.OneX), 'f', -1, 64)
			case rules.KindAction:
				c.Points = r.Points
			}
			if s := r.Schedule; s != nil && s.ToHour != 0 && s.ToHour != 24 { // ends today at ToHour
				end := time.Date(now.Year(), now.Month(), now.Day(), s.ToHour, 0, 0, 0, now.Location()).UTC()
				if c.EndsAt == nil || end.Before(*c.EndsAt) {
					c.EndsAt = &end
				}
			}
			out.Campaigns = append(out.Campaigns, c)
			continue
		}
		if r.Condition != "" {
			continue
		}
		switch r.Kind {
		case rules.KindSpend:
			if r.Spend == nil || r.Spend.Points == 0 { // threshold tables are explained by their name
				out.Ways = append(out.Ways, WayToEarn{Name: name, Kind: "spend"})
				continue
			}
			unit := r.Spend.Unit
			if unit == 0 {
				unit = 100
			}
			out.Ways = append(out.Ways, WayToEarn{Name: name, Kind: "spend", Points: r.Spend.Points, Unit: unit, MinOrder: r.Spend.MinOrder})
		case rules.KindAction:
			out.Ways = append(out.Ways, WayToEarn{Name: name, Kind: "action", Event: string(r.Event), Points: r.Points})
		}
	}
	return out
}

// runningAt reports whether a timed rule runs at now, as the evaluator decides it.
func runningAt(r rules.Rule, now time.Time) bool {
	if r.StartsAt != nil && now.Before(*r.StartsAt) || r.EndsAt != nil && !now.Before(*r.EndsAt) {
		return false
	}
	s := r.Schedule
	if s == nil {
		return true
	}
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	if len(s.Days) > 0 && !slices.Contains(s.Days, days[now.Weekday()]) {
		return false
	}
	to := s.ToHour
	if to == 0 {
		to = 24
	}
	return now.Hour() >= s.FromHour && now.Hour() < to
}
