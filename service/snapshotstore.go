package service

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/storage"
)

// snapshotSummary is the stored form of a snapshot's store-wide figures: everything but
// the per-member rows, which are stored one row per member (snapshotMember).
type snapshotSummary struct {
	AsOfReason     string                    `json:"as_of_reason"`
	From           time.Time                 `json:"from"`
	To             time.Time                 `json:"to"`
	Customers      int                       `json:"customers"`
	Orders         int                       `json:"orders"`
	Monthly        []analytics.PeriodMetrics `json:"monthly"`
	Cohorts        analytics.CohortTable     `json:"cohorts"`
	Lifecycle      map[analytics.Segment]int `json:"lifecycle"`
	CLV            *CLVReport                `json:"clv,omitempty"` // without Top
	CLVError       string                    `json:"clv_error,omitempty"`
	Program        ProgramMetrics            `json:"program"`
	Lifts          []LiftReport              `json:"lifts"`
	LiftWindowDays int                       `json:"lift_window_days"`
}

// snapshotMember is one member's stored row.
type snapshotMember struct {
	RFM *analytics.CustomerRFM `json:"rfm,omitempty"`
	CLV *MemberCLV             `json:"clv,omitempty"`
}

// storeSnapshot replaces the tenant's stored snapshot with sn, for every node.
func (s *core) storeSnapshot(ctx context.Context, tenantID string, sn *Snapshot) error {
	sum := snapshotSummary{AsOfReason: sn.AsOfReason, From: sn.From, To: sn.To, Customers: sn.Customers, Orders: sn.Orders,
		Monthly: sn.Monthly, Cohorts: sn.Cohorts, Lifecycle: sn.Lifecycle, CLVError: sn.CLVError, Program: sn.Program,
		Lifts: sn.Lifts, LiftWindowDays: sn.LiftWindowDays}
	if sn.CLV != nil {
		c := *sn.CLV
		c.Top = nil
		sum.CLV = &c
	}
	body, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	members := func(yield func(id, body string) bool) {
		var buf []byte
		row := func(id string, m snapshotMember) bool {
			buf, err = json.Marshal(m)
			return err == nil && yield(id, string(buf))
		}
		for i := range sn.RFM {
			r := &sn.RFM[i]
			if !row(r.Customer, snapshotMember{RFM: r, CLV: sn.MemberCLV(r.Customer)}) {
				return
			}
		}
		if sn.CLV != nil {
			for i := range sn.CLV.Top {
				if m := &sn.CLV.Top[i]; sn.MemberRFM(m.MemberID) == nil && !row(m.MemberID, snapshotMember{CLV: m}) {
					return
				}
			}
		}
	}
	werr := s.db.Write(ctx, func(tx *storage.Tx) error {
		return tx.SaveSnapshot(ctx, tenantID, storage.SnapshotHeader{AsOf: sn.AsOf, ComputedAt: sn.ComputedAt, Summary: string(body)}, members)
	})
	if werr != nil {
		return werr
	}
	return err
}

// storedSnapshot loads the tenant's stored snapshot, or returns kept when the stored one
// is not newer (or nil when there is none).
func (s *core) storedSnapshot(ctx context.Context, tenantID string, kept *Snapshot) (*Snapshot, error) {
	var sn *Snapshot
	err := s.db.Read(ctx, func(tx *storage.Tx) error {
		at, err := tx.SnapshotComputedAt(ctx, tenantID)
		if err != nil || at.IsZero() || (kept != nil && !at.After(kept.ComputedAt)) {
			return err
		}
		h, found, err := tx.SnapshotHeader(ctx, tenantID)
		if err != nil || !found {
			return err
		}
		var sum snapshotSummary
		if err := json.Unmarshal([]byte(h.Summary), &sum); err != nil {
			return err
		}
		sn = &Snapshot{ComputedAt: h.ComputedAt, AsOf: h.AsOf, AsOfReason: sum.AsOfReason, From: sum.From, To: sum.To,
			Customers: sum.Customers, Orders: sum.Orders, Monthly: sum.Monthly, Cohorts: sum.Cohorts, Lifecycle: sum.Lifecycle,
			CLV: sum.CLV, CLVError: sum.CLVError, Program: sum.Program, Lifts: sum.Lifts, LiftWindowDays: sum.LiftWindowDays}
		return tx.EachSnapshotMember(ctx, tenantID, func(id, body string) error {
			var m snapshotMember
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				return err
			}
			if m.RFM != nil {
				sn.RFM = append(sn.RFM, *m.RFM)
			}
			if m.CLV != nil && sn.CLV != nil {
				sn.CLV.Top = append(sn.CLV.Top, *m.CLV)
			}
			return nil
		})
	})
	if err != nil || sn == nil {
		return kept, err
	}
	if sn.CLV != nil {
		slices.SortFunc(sn.CLV.Top, byValue)
	}
	sn.index()
	return sn, nil
}

// byValue orders members by predicted value, highest first, ties by member id.
func byValue(a, b MemberCLV) int {
	switch {
	case a.CLVMinor > b.CLVMinor:
		return -1
	case a.CLVMinor < b.CLVMinor:
		return 1
	}
	return strings.Compare(a.MemberID, b.MemberID)
}

// claimSnapshot takes the tenant's lease on computing the next snapshot.
func (s *core) claimSnapshot(ctx context.Context, tenantID string, now time.Time) (claimed bool, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		claimed, err = tx.ClaimSnapshot(ctx, tenantID, now, now.Add(snapshotTimeout))
		return err
	})
	return claimed, err
}

// releaseSnapshot gives the lease up after a failed computation.
func (s *core) releaseSnapshot(ctx context.Context, tenantID string) error {
	return s.db.Write(ctx, func(tx *storage.Tx) error { return tx.ReleaseSnapshot(ctx, tenantID) })
}
