package service

import (
	"context"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/clv"
	"github.com/tenure-loyalty/tenure/storage"
)

// Snapshot is a store's analytics at one instant, computed from one pass over its order
// history: monthly customer metrics, cohorts, RFM and lifecycle, the CLV models, the
// program's ledger numbers and the lift of every rule with a holdout group. The dashboard's
// analytics page and member pages read it, so that looking at a member does not refit the
// store's models.
type Snapshot struct {
	ComputedAt time.Time
	Customers  int // customers with at least one paid order
	Orders     int
	// Monthly covers the last 12 calendar months, the current one to date, from the first
	// with an order.
	Monthly []analytics.PeriodMetrics
	// Cohorts are the customers by first-order month over the same 12 months.
	Cohorts   analytics.CohortTable
	RFM       []analytics.CustomerRFM
	Lifecycle map[analytics.Segment]int
	// CLV is the 12-month prediction at a 1% monthly discount rate, with every member in
	// CLV.Top (highest value first); CLVError says why there is none when it is nil.
	CLV      *CLVReport
	CLVError string
	// Program sums the ledger over the 12 months.
	Program ProgramMetrics
	// Lifts holds a report for each current rule with a holdout group, over LiftWindowDays.
	Lifts          []LiftReport
	LiftWindowDays int

	rfmAt, clvAt map[string]int
}

// MemberRFM returns a member's RFM row, or nil when they had no order.
func (sn *Snapshot) MemberRFM(memberID string) *analytics.CustomerRFM {
	if i, ok := sn.rfmAt[memberID]; ok {
		return &sn.RFM[i]
	}
	return nil
}

// MemberCLV returns a member's prediction, or nil when there is none.
func (sn *Snapshot) MemberCLV(memberID string) *MemberCLV {
	if i, ok := sn.clvAt[memberID]; ok {
		return &sn.CLV.Top[i]
	}
	return nil
}

// snapshotCache keeps one snapshot per tenant. A tenant's compute lock is held while its
// snapshot is computed, so that concurrent page views wait for one computation instead of
// each starting their own.
type snapshotCache struct {
	mu sync.Mutex
	by map[string]*snapshotEntry
}

type snapshotEntry struct {
	compute    sync.Mutex // held while computing
	mu         sync.Mutex // guards snap and refreshing
	snap       *Snapshot
	refreshing bool
}

// liftWindowDays is the outcome window of the snapshot's lift reports.
const liftWindowDays = 30

// snapshotTimeout bounds a computation started in the background.
const snapshotTimeout = 15 * time.Minute

func (s *Service) snapshotEntry(tenantID string) *snapshotEntry {
	s.snapshots.mu.Lock()
	defer s.snapshots.mu.Unlock()
	if s.snapshots.by == nil {
		s.snapshots.by = map[string]*snapshotEntry{}
	}
	e := s.snapshots.by[tenantID]
	if e == nil {
		e = &snapshotEntry{}
		s.snapshots.by[tenantID] = e
	}
	return e
}

// fresh returns the kept snapshot if it is younger than maxAge at now.
func (e *snapshotEntry) fresh(now time.Time, maxAge time.Duration) *Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snap != nil && maxAge > 0 && now.Sub(e.snap.ComputedAt) < maxAge && !now.Before(e.snap.ComputedAt) {
		return e.snap
	}
	return nil
}

// Snapshot returns the tenant's analytics snapshot, computing it when the kept one is
// older than maxAge by the service clock (always, for maxAge 0). It waits for the
// computation, which on a store of a million customers takes most of a minute.
func (s *Service) Snapshot(ctx context.Context, tenantID string, maxAge time.Duration) (*Snapshot, error) {
	e := s.snapshotEntry(tenantID)
	if sn := e.fresh(s.Clock.Now().UTC(), maxAge); sn != nil {
		return sn, nil
	}
	e.compute.Lock()
	defer e.compute.Unlock()
	now := s.Clock.Now().UTC()
	if sn := e.fresh(now, maxAge); sn != nil { // computed while we waited
		return sn, nil
	}
	sn, err := s.computeSnapshot(ctx, tenantID, now)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.snap = sn
	e.mu.Unlock()
	return sn, nil
}

// LatestSnapshot returns the kept snapshot at once, however old, and when it is older
// than maxAge starts computing a new one in the background (one at a time per tenant):
// pages show numbers as of the snapshot's ComputedAt and never wait for a refit, except
// the first time a tenant is looked at.
func (s *Service) LatestSnapshot(ctx context.Context, tenantID string, maxAge time.Duration) (*Snapshot, error) {
	if sn := s.keptSnapshot(ctx, tenantID, maxAge, false); sn != nil {
		return sn, nil
	}
	return s.Snapshot(ctx, tenantID, maxAge)
}

// ReadySnapshot is LatestSnapshot that never waits: with no snapshot kept yet it starts the
// first computation in the background and returns nil, for pages that can do without
// (the overview's retention trend, a member's RFM and predicted value).
func (s *Service) ReadySnapshot(ctx context.Context, tenantID string, maxAge time.Duration) *Snapshot {
	return s.keptSnapshot(ctx, tenantID, maxAge, true)
}

// keptSnapshot returns the kept snapshot (nil if none) and starts a background
// computation when it is older than maxAge, or when there is none and first is set.
func (s *Service) keptSnapshot(ctx context.Context, tenantID string, maxAge time.Duration, first bool) *Snapshot {
	e := s.snapshotEntry(tenantID)
	now := s.Clock.Now().UTC()
	e.mu.Lock()
	sn := e.snap
	stale := sn != nil && (maxAge <= 0 || now.Sub(sn.ComputedAt) >= maxAge || now.Before(sn.ComputedAt))
	if !e.refreshing && (stale || (sn == nil && first)) {
		e.refreshing = true
		go func() {
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), snapshotTimeout)
			defer cancel()
			if _, err := s.Snapshot(bg, tenantID, maxAge); err != nil {
				s.Log.Error("analytics snapshot", "tenant", tenantID, "err", err)
			}
			e.mu.Lock()
			e.refreshing = false
			e.mu.Unlock()
		}()
	}
	e.mu.Unlock()
	return sn
}

func (s *Service) computeSnapshot(ctx context.Context, tenantID string, now time.Time) (*Snapshot, error) {
	sn := &Snapshot{ComputedAt: now, LiftWindowDays: liftWindowDays, rfmAt: map[string]int{}, clvAt: map[string]int{}}
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -11, 0)
	var err error
	if sn.Program, err = s.ProgramMetrics(ctx, tenantID, from, now); err != nil {
		return nil, err
	}
	var orders []analytics.Order
	var txns []clv.Transaction
	byMember := map[string][]storage.OrderFact{}
	err = s.DB.Read(ctx, func(tx *storage.Tx) error {
		return tx.EachOrderFact(ctx, tenantID, func(f storage.OrderFact) error {
			net := max(f.Net, 0)
			orders = append(orders, analytics.Order{Customer: f.MemberID, At: f.PaidAt, Amount: net, Items: f.Items})
			txns = append(txns, clv.Transaction{CustomerID: f.MemberID, Time: f.PaidAt, Amount: float64(net)})
			byMember[f.MemberID] = append(byMember[f.MemberID], f)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	h, err := analytics.NewHistory(orders)
	if err != nil {
		return nil, err
	}
	sn.Customers, sn.Orders = h.Customers(), h.Orders()
	if h.Orders() > 0 {
		to := now.Add(time.Second)
		sn.Monthly = h.Series(analytics.Month, from, to, analytics.Options{})
		for len(sn.Monthly) > 1 && sn.Monthly[0].CustomersToDate == 0 { // months before the first order
			sn.Monthly = sn.Monthly[1:]
		}
		sn.Cohorts = h.Cohorts(from, to)
		sn.RFM = h.RFM(now, analytics.DefaultSegmentConfig())
		sn.Lifecycle = analytics.SegmentCounts(sn.RFM)
		for i, r := range sn.RFM {
			sn.rfmAt[r.Customer] = i
		}
		rep, err := fitCLV(txns, now, 12, 0.01, len(txns), 0)
		if err != nil {
			sn.CLVError = err.Error()
		} else {
			sn.CLV = &rep
			for i, m := range rep.Top {
				sn.clvAt[m.MemberID] = i
			}
		}
	}
	if sn.Lifts, err = s.snapshotLifts(ctx, tenantID, byMember); err != nil {
		return nil, err
	}
	return sn, nil
}

// snapshotLifts reports on every rule of the current set that holds members out.
func (s *Service) snapshotLifts(ctx context.Context, tenantID string, orders map[string][]storage.OrderFact) ([]LiftReport, error) {
	set, err := s.Rules(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out []LiftReport
	for _, r := range set.Rules {
		if r.Holdout <= 0 {
			continue
		}
		var exps []storage.Exposure
		var pointValue int64
		err := s.DB.Read(ctx, func(tx *storage.Tx) error {
			t, err := tx.Tenant(ctx, tenantID)
			if err != nil {
				return err
			}
			pointValue = t.Program.PointValue
			exps, err = tx.Exposures(ctx, tenantID, r.ID)
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, LiftReport{RuleID: r.ID, WindowDays: liftWindowDays, LiftReport: lift(exps, orders, pointValue, liftWindowDays)})
	}
	return out, nil
}

// MemberMetrics returns a member's metrics as the earning rules read them
// (member.metrics): RFM measures and scores, average order value and the CLV
// prediction. A member with no order has none; without a CLV fit the prediction keys
// are absent.
func (sn *Snapshot) MemberMetrics(memberID string) map[string]float64 {
	out := map[string]float64{}
	if r := sn.MemberRFM(memberID); r != nil {
		out["recency_days"] = float64(r.RecencyDays)
		out["frequency"] = float64(r.Frequency)
		out["monetary"] = float64(r.Monetary)
		if r.Frequency > 0 {
			out["aov"] = float64(r.Monetary) / float64(r.Frequency)
		}
		out["r"], out["f"], out["m"] = float64(r.R), float64(r.F), float64(r.M)
	}
	if c := sn.MemberCLV(memberID); c != nil {
		out["clv"] = c.CLVMinor
		out["p_alive"] = c.PAlive
		out["expected_orders"] = c.ExpectedPurchases
	}
	return out
}
