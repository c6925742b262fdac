package service

import (
	"context"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
)

// Snapshot is a store's analytics as of one instant, computed in one streaming pass over
// its order history (see computeSnapshot): monthly customer metrics, cohorts, RFM and
// lifecycle, the CLV models, the program's ledger numbers and the lift of every rule with
// a holdout group. It is kept in the database, computed by one node and served by all, so
// that looking at a member does not refit the store's models.
type Snapshot struct {
	ComputedAt time.Time
	// AsOf is the instant the figures are as of: orders at or after it are left out, RFM,
	// segments and CLV are scored at it. AsOfReason says how it was chosen.
	AsOf       time.Time
	AsOfReason string
	// From and To bound Monthly and Cohorts: by default the month to date and the twelve
	// calendar months before it, from the first with an order.
	From, To  time.Time
	Customers int // customers with at least one paid order before AsOf
	Orders    int
	Monthly   []analytics.PeriodMetrics
	// Cohorts are the customers by first-order month over the same months.
	Cohorts   analytics.CohortTable
	RFM       []analytics.CustomerRFM
	Lifecycle map[analytics.Segment]int
	// CLV is the 12-month prediction at a 1% monthly discount rate, with every member in
	// CLV.Top (highest value first); CLVError says why there is none when it is nil.
	CLV      *CLVReport
	CLVError string
	// Program sums the ledger over the window.
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

// index fills the member lookups.
func (sn *Snapshot) index() {
	sn.rfmAt, sn.clvAt = make(map[string]int, len(sn.RFM)), map[string]int{}
	for i, r := range sn.RFM {
		sn.rfmAt[r.Customer] = i
	}
	if sn.CLV != nil {
		for i, m := range sn.CLV.Top {
			sn.clvAt[m.MemberID] = i
		}
	}
}

// snapshotCache keeps each tenant's latest snapshot in memory and owns the goroutines
// that compute them in the background: Service.Close stops and awaits them. A tenant's
// compute lock is held while its snapshot is computed, so that concurrent page views wait
// for one computation instead of each starting their own.
type snapshotCache struct {
	mu     sync.Mutex
	by     map[string]*snapshotEntry
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	closed bool
	wg     sync.WaitGroup
}

type snapshotEntry struct {
	compute    sync.Mutex // held while computing
	mu         sync.Mutex // guards snap and refreshing
	snap       *Snapshot
	refreshing bool
}

// liftWindowDays is the outcome window of the snapshot's lift reports.
const liftWindowDays = 30

// snapshotTimeout bounds a computation started in the background, and is the lease a
// node takes on a tenant's next snapshot.
const snapshotTimeout = 15 * time.Minute

func (s *core) snapshotEntry(tenantID string) *snapshotEntry {
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

// goBackground runs fn in a goroutine that Close cancels and awaits; it returns false
// (and runs nothing) once Close has begun.
func (s *core) goBackground(fn func(ctx context.Context)) bool {
	c := &s.snapshots
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	if c.ctx == nil {
		c.ctx, c.cancel = context.WithCancel(context.Background())
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn(c.ctx)
	}()
	return true
}

// Close stops the service's background work (snapshot computations) and waits for it to
// end, so that the database can be closed after it. The service answers requests after
// Close but starts nothing in the background.
func (s *Service) Close() {
	c := &s.snapshots
	c.mu.Lock()
	c.closed = true
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// fresh reports whether sn is younger than maxAge at now.
func fresh(sn *Snapshot, now time.Time, maxAge time.Duration) bool {
	return sn != nil && maxAge > 0 && now.Sub(sn.ComputedAt) < maxAge && !now.Before(sn.ComputedAt)
}

func (e *snapshotEntry) get() *Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.snap
}

func (e *snapshotEntry) set(sn *Snapshot) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snap == nil || !sn.ComputedAt.Before(e.snap.ComputedAt) {
		e.snap = sn
	}
}

// Snapshot returns the tenant's analytics snapshot with the default window (see
// SnapshotOptions), computing it when neither the one this node keeps nor the one stored
// in the database is younger than maxAge by the service clock (always, for maxAge 0). It
// waits for the computation, which on a store of a million customers takes most of a
// minute, and stores the result for every node.
func (s *Reports) Snapshot(ctx context.Context, tenantID string, maxAge time.Duration) (*Snapshot, error) {
	e := s.snapshotEntry(tenantID)
	if sn := e.get(); fresh(sn, s.Clock.Now().UTC(), maxAge) {
		return sn, nil
	}
	e.compute.Lock()
	defer e.compute.Unlock()
	now := s.Clock.Now().UTC()
	if sn := e.get(); fresh(sn, now, maxAge) { // computed while we waited
		return sn, nil
	}
	if maxAge > 0 {
		if sn, err := s.storedSnapshot(ctx, tenantID, e.get()); err != nil {
			return nil, err
		} else if fresh(sn, now, maxAge) { // computed by another node
			e.set(sn)
			return sn, nil
		}
	}
	sn, err := s.computeSnapshot(ctx, tenantID, now, SnapshotOptions{})
	if err != nil {
		return nil, err
	}
	if err := s.storeSnapshot(ctx, tenantID, sn); err != nil { // served from this node all the same
		s.Log.Error("storing the analytics snapshot", "tenant", tenantID, "err", err)
	}
	e.set(sn)
	return sn, nil
}

// SnapshotAt computes a snapshot with the given window, neither kept nor stored: a report
// as of a chosen date.
func (s *Reports) SnapshotAt(ctx context.Context, tenantID string, opt SnapshotOptions) (*Snapshot, error) {
	return s.computeSnapshot(ctx, tenantID, s.Clock.Now().UTC(), opt)
}

// LatestSnapshot returns the kept snapshot at once, however old, and when it is older
// than maxAge starts computing a new one in the background (one at a time per tenant, and
// on one node at a time): pages show numbers as of the snapshot's ComputedAt and never
// wait for a refit, except the first time a tenant is looked at.
func (s *Reports) LatestSnapshot(ctx context.Context, tenantID string, maxAge time.Duration) (*Snapshot, error) {
	if sn := s.keptSnapshot(ctx, tenantID, maxAge, false); sn != nil {
		return sn, nil
	}
	return s.Snapshot(ctx, tenantID, maxAge)
}

// ReadySnapshot is LatestSnapshot that never waits: with no snapshot kept yet it starts the
// first computation in the background and returns nil, for pages that can do without
// (the overview's retention trend, a member's RFM and predicted value).
func (s *Reports) ReadySnapshot(ctx context.Context, tenantID string, maxAge time.Duration) *Snapshot {
	return s.keptSnapshot(ctx, tenantID, maxAge, true)
}

// keptSnapshot returns the kept snapshot (nil if none) and starts a background refresh
// when it is older than maxAge, or when there is none and first is set.
func (s *Reports) keptSnapshot(ctx context.Context, tenantID string, maxAge time.Duration, first bool) *Snapshot {
	e := s.snapshotEntry(tenantID)
	now := s.Clock.Now().UTC()
	e.mu.Lock()
	defer e.mu.Unlock()
	sn := e.snap
	stale := sn != nil && !fresh(sn, now, maxAge)
	if !e.refreshing && (stale || (sn == nil && first)) {
		e.refreshing = s.goBackground(func(bg context.Context) {
			defer func() {
				e.mu.Lock()
				e.refreshing = false
				e.mu.Unlock()
			}()
			bg, cancel := context.WithTimeout(bg, snapshotTimeout)
			defer cancel()
			if err := s.refreshSnapshot(bg, tenantID, maxAge); err != nil && bg.Err() == nil {
				s.Log.Error("analytics snapshot", "tenant", tenantID, "err", err)
			}
		})
	}
	return sn
}

// refreshSnapshot brings the kept snapshot up to date in the background: from the
// database when another node stored a fresh one, else by computing it under the tenant's
// lease, else (another node is computing) by keeping the stored one, however old.
func (s *core) refreshSnapshot(ctx context.Context, tenantID string, maxAge time.Duration) error {
	e := s.snapshotEntry(tenantID)
	e.compute.Lock()
	defer e.compute.Unlock()
	now := s.Clock.Now().UTC()
	if fresh(e.get(), now, maxAge) {
		return nil
	}
	stored, err := s.storedSnapshot(ctx, tenantID, e.get())
	if err != nil {
		return err
	}
	if fresh(stored, now, maxAge) {
		e.set(stored)
		return nil
	}
	claimed, err := s.claimSnapshot(ctx, tenantID, now)
	if err != nil {
		return err
	}
	if !claimed {
		if stored != nil {
			e.set(stored)
		}
		return nil
	}
	sn, err := s.computeSnapshot(ctx, tenantID, now, SnapshotOptions{})
	if err != nil {
		if rerr := s.releaseSnapshot(context.WithoutCancel(ctx), tenantID); rerr != nil {
			s.Log.Error("analytics snapshot lease", "tenant", tenantID, "err", rerr)
		}
		return err
	}
	e.set(sn)
	return s.storeSnapshot(ctx, tenantID, sn)
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
