package service

import (
	"context"
	"time"

	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/subscription"
)

// SubscriptionMetrics are the recurring-revenue figures of a range of months.
type SubscriptionMetrics struct {
	From      time.Time                   `json:"from"`
	To        time.Time                   `json:"to"`
	Movements []subscription.Movement     `json:"movements" doc:"MRR bridge per calendar month"`
	Funnel    subscription.Funnel         `json:"funnel" doc:"Trial conversion, dunning recovery and save rate over the range"`
	Saves     []subscription.SaveCount    `json:"saves" doc:"Cancel flows by reason, accepted offer and outcome"`
	Renewals  []subscription.RenewalCount `json:"renewals" doc:"Renewals due in the range by status"`
	Plans     []PlanSubscribers           `json:"plans" doc:"Subscriptions with MRR per plan now"`
}

// PlanSubscribers counts a plan's contributing subscriptions and their MRR.
type PlanSubscribers struct {
	Plan        string `json:"plan"`
	Subscribers int    `json:"subscribers"`
	MRR         int64  `json:"mrr"`
}

// Metrics computes the MRR movements of every month from from's to to's, and the
// funnel rates over [from, to], from the stored timelines (docs/metrics.md).
func (s *Subscriptions) Metrics(ctx context.Context, tenantID string, from, to time.Time) (m SubscriptionMetrics, err error) {
	m.From, m.To = from, to
	end := to.Add(time.Microsecond)
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		changes, err := tx.MRRChanges(ctx, tenantID, end)
		if err != nil {
			return err
		}
		m.Movements = subscription.Movements(changes, from, to)
		counts, err := tx.TransitionCounts(ctx, tenantID, from, end)
		if err != nil {
			return err
		}
		f := subscription.Funnel{
			TrialsConverted:  counts["trialing/converted"],
			DunningRecovered: counts["past_due/paid"],
		}
		f.TrialsEnded = f.TrialsConverted + counts["trialing/failed"] + counts["trialing/cancel"] + counts["trialing/end"]
		f.DunningStarted = f.DunningRecovered + counts["past_due/exhausted"]
		if m.Saves, err = tx.SaveCounts(ctx, tenantID, from, end); err != nil {
			return err
		}
		for _, c := range m.Saves {
			switch c.Outcome {
			case subscription.SaveAccepted:
				f.Saved += c.Count
				f.SaveFlows += c.Count
			case subscription.SaveCancelled:
				f.SaveFlows += c.Count
			}
		}
		m.Funnel = f.Rates()
		if m.Renewals, err = tx.RenewalCounts(ctx, tenantID, from, end); err != nil {
			return err
		}
		plans, err := tx.Plans(ctx, tenantID)
		if err != nil {
			return err
		}
		byID := map[string]subscription.Plan{}
		for _, p := range plans {
			byID[p.ID] = p
			m.Plans = append(m.Plans, PlanSubscribers{Plan: p.Key})
		}
		for _, st := range []subscription.State{subscription.Active, subscription.PastDue} {
			subs, err := tx.Subscriptions(ctx, tenantID, storage.SubscriptionFilter{State: string(st)})
			if err != nil {
				return err
			}
			for _, sub := range subs {
				for i := range m.Plans {
					if m.Plans[i].Plan == sub.PlanKey {
						m.Plans[i].Subscribers++
						m.Plans[i].MRR += subscription.MRR(sub, byID[sub.PlanID])
					}
				}
			}
		}
		return nil
	})
	return m, err
}
