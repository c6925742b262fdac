package service

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/segments"
	"github.com/tenure-loyalty/tenure/storage"
)

// jobSegments refreshes a tenant's segment membership; payload: nothing.
const jobSegments = "segments.refresh"

// Save validates a segment (errors name the field and, for the condition, the
// position) and stores it, whatever its version; its members are computed by a refresh
// job that runs at once.
func (s *Segments) Save(ctx context.Context, tenantID, actor string, d segments.Definition) (segments.Segment, error) {
	return s.SaveIf(ctx, tenantID, actor, AnyVersion, d)
}

// SaveIf is Save only if the segment's version is still base (the one the editor started
// from; 0 for a segment that must not exist yet): KindConflict, and nothing written, when
// someone saved it since. KindInvalid names the offending fields.
func (s *Segments) SaveIf(ctx context.Context, tenantID, actor string, base int64, d segments.Definition) (segments.Segment, error) {
	if _, err := segments.Compile([]segments.Definition{d}); err != nil {
		if e, ok := err.(*tenure.Error); ok {
			for i := range e.Fields {
				e.Fields[i].Field = strings.TrimPrefix(e.Fields[i].Field, "segments[0].")
			}
		}
		return segments.Segment{}, err
	}
	var version int64
	err := s.db.Write(ctx, func(tx *storage.Tx) (err error) {
		if version, err = bumpVersion(ctx, tx, tenantID, storage.VersionSegment, d.Key, base, "the segment"); err != nil {
			return err
		}
		if err := tx.SaveSegment(ctx, tenantID, d); err != nil {
			return err
		}
		if err := tx.Schedule(ctx, tenantID, jobSegments, "saved:"+strconv.FormatInt(tx.Now.UnixMicro(), 10), "", tx.Now); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "segment.saved", "segment", d.Key, map[string]any{"condition": d.Condition})
	})
	return segments.Segment{Definition: d, Version: version}, err
}

// Delete removes a segment.
func (s *Segments) Delete(ctx context.Context, tenantID, actor, key string) error {
	return s.db.Write(ctx, func(tx *storage.Tx) error {
		if err := tx.DeleteSegment(ctx, tenantID, key); err != nil {
			return err
		}
		if err := tx.DeleteConfigVersion(ctx, tenantID, storage.VersionSegment, key); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "segment.deleted", "segment", key, nil)
	})
}

// List lists a tenant's segments with their member counts.
func (s *Segments) List(ctx context.Context, tenantID string) (out []segments.Segment, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		if out, err = tx.Segments(ctx, tenantID); err != nil {
			return err
		}
		versions, err := tx.ConfigVersions(ctx, tenantID, storage.VersionSegment)
		for i := range out {
			out[i].Version = versions[out[i].Key]
		}
		return err
	})
	return out, err
}

// Members lists the members of a segment, in id order.
func (s *Segments) Members(ctx context.Context, tenantID, key, after string, limit int) (ms []tenure.Member, next string, err error) {
	limit = clampLimit(limit)
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		defs, err := tx.Segments(ctx, tenantID)
		if err != nil {
			return err
		}
		found := false
		for _, d := range defs {
			found = found || d.Key == key
		}
		if !found {
			return tenure.NotFound("service.SegmentMembers", "segment", key)
		}
		ids, err := tx.SegmentMembers(ctx, tenantID, key, after, limit+1)
		if err != nil {
			return err
		}
		for _, id := range ids {
			m, err := tx.Member(ctx, tenantID, id, false)
			if err != nil {
				return err
			}
			ms = append(ms, m)
		}
		return nil
	})
	if len(ms) > limit {
		ms = ms[:limit]
		next = ms[limit-1].ID
	}
	return ms, next, err
}

// WriteMembersCSV writes every member of a segment as CSV (member_id, customer_id,
// email, first_name, last_name, country, city), in id order. It reads them all before
// writing, so an unknown segment is an error and not a half-written file.
func (s *Segments) WriteMembersCSV(ctx context.Context, tenantID, key string, w io.Writer) error {
	var all []tenure.Member
	for cursor := ""; ; {
		ms, next, err := s.Members(ctx, tenantID, key, cursor, 500)
		if err != nil {
			return err
		}
		all = append(all, ms...)
		if next == "" {
			break
		}
		cursor = next
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"member_id", "customer_id", "email", "first_name", "last_name", "country", "city"})
	for _, m := range all {
		_ = cw.Write([]string{m.ID, m.ExternalID, m.Email, m.FirstName, m.LastName, m.Country, m.City})
	}
	cw.Flush()
	return cw.Error()
}

// Refresh recomputes every segment's members from each member's profile: RFM and
// lifecycle from the orders, categories bought, points, tier, tags and attributes, and —
// when a condition reads them — predicted CLV and P(alive). It returns members per segment.
// The computation reads (its own read transactions, never the writer), and only the
// result is written, in a short transaction: intake does not wait for a refresh.
func (s *Segments) Refresh(ctx context.Context, tenantID string) (map[string]int, error) {
	members, err := s.computeSegments(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	err = s.db.Write(ctx, func(tx *storage.Tx) error { return writeSegments(ctx, tx, tenantID, members) })
	return segmentCounts(members), err
}

func segmentCounts(members map[string][]string) map[string]int {
	counts := map[string]int{}
	for k, ids := range members {
		counts[k] = len(ids)
	}
	return counts
}

// writeSegments stores a computed membership. A segment deleted while it was computed is
// left out; one added meanwhile is counted by the refresh its save scheduled.
func writeSegments(ctx context.Context, tx *storage.Tx, tenantID string, members map[string][]string) error {
	recs, err := tx.Segments(ctx, tenantID)
	if err != nil {
		return err
	}
	keep := make(map[string][]string, len(recs))
	for _, r := range recs {
		if ids, ok := members[r.Key]; ok {
			keep[r.Key] = ids
		}
	}
	return tx.ReplaceSegmentMembers(ctx, tenantID, keep)
}

// computeSegments works out every segment's members, reading only. The order history and
// the CLV model are read on their own; the member profiles in one read transaction.
func (s *core) computeSegments(ctx context.Context, tenantID string) (map[string][]string, error) {
	var recs []segments.Segment
	if err := s.db.Read(ctx, func(tx *storage.Tx) (err error) { recs, err = tx.Segments(ctx, tenantID); return err }); err != nil || len(recs) == 0 {
		return map[string][]string{}, err
	}
	defs := make([]segments.Definition, len(recs))
	needCLV := false
	for i, r := range recs {
		defs[i] = r.Definition
		needCLV = needCLV || strings.Contains(r.Condition, "clv") || strings.Contains(r.Condition, "p_alive")
	}
	set, err := segments.Compile(defs)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	h, _, err := s.history(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	rfm := map[string]analytics.CustomerRFM{}
	if h.Orders() > 0 {
		// Orders up to and including now count (RFM excludes its reference instant).
		for _, r := range h.RFM(now.Add(time.Second), analytics.DefaultSegmentConfig()) {
			rfm[r.Customer] = r
		}
	}
	clvs := map[string]MemberCLV{}
	if needCLV {
		if rep, err := s.svc.Reports.CLV(ctx, tenantID, now, 12, 0.01, 1<<30); err == nil && rep.Usable {
			for _, m := range rep.Top {
				clvs[m.MemberID] = m
			}
		}
	}
	members := map[string][]string{}
	for _, d := range defs {
		members[d.Key] = nil
	}
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		for k := range members {
			members[k] = nil // a retried read starts over
		}
		cats, err := tx.MemberCategories(ctx, tenantID)
		if err != nil {
			return err
		}
		points, err := tx.PointsBalances(ctx, tenantID)
		if err != nil {
			return err
		}
		tierOf, err := s.tierKeys(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		if s.segmentHook != nil {
			s.segmentHook(ctx)
		}
		return tx.EachMember(ctx, tenantID, func(m tenure.Member) error {
			p := segments.Profile{ID: m.ID, ExternalID: m.ExternalID, Email: m.Email, Country: m.Country, City: m.City, Tags: m.Tags,
				Attributes: m.Attributes, Points: points[m.ID], EnrolledDays: int(now.Sub(m.EnrolledAt) / (24 * time.Hour)),
				Categories: cats[m.ID], RecencyDays: -1, FirstOrderDays: -1}
			if r, ok := rfm[m.ID]; ok {
				p.RecencyDays, p.FirstOrderDays = r.RecencyDays, int(now.Sub(r.First)/(24*time.Hour))
				p.Frequency, p.OrderCount, p.Monetary = r.Frequency, r.Frequency, r.Monetary
				p.R, p.F, p.M, p.Lifecycle = r.R, r.F, r.M, string(r.Segment)
				if r.Frequency > 0 {
					p.AOV = float64(r.Monetary) / float64(r.Frequency)
				}
			}
			if c, ok := clvs[m.ID]; ok {
				p.CLV, p.PAlive = c.CLVMinor, c.PAlive
			}
			p.Tier = tierOf(m.ID)
			for _, k := range set.Match(p) {
				members[k] = append(members[k], m.ID)
			}
			return nil
		})
	})
	return members, err
}
