package analytics

import (
	"math"
	"time"
)

// Segment is a lifecycle segment (CAPABILITIES §10).
type Segment string

// The lifecycle segments, in the order of precedence in which they are assigned.
const (
	Lapsed     Segment = "lapsed"     // gone: no order for longer than LapsedAfter
	New        Segment = "new"        // first order within NewWithin
	AtRisk     Segment = "at_risk"    // a repeat buyer gone quiet: last order older than ActiveWithin
	VIP        Segment = "vip"        // active and among the top spenders
	Loyal      Segment = "loyal"      // active with LoyalMinOrders or more orders (champions)
	Active     Segment = "active"     // active with 2 or more orders (regulars)
	Occasional Segment = "occasional" // everyone else: a single order, neither new nor lapsed
)

// Segments lists every segment in order of precedence.
var Segments = []Segment{Lapsed, New, AtRisk, VIP, Loyal, Active, Occasional}

// SegmentConfig holds the thresholds of the lifecycle segments. A zero field takes the
// value of DefaultSegmentConfig. Durations are measured back from the reference date;
// "within d" includes an order exactly d ago.
type SegmentConfig struct {
	NewWithin       time.Duration // first order within this: New (30 days)
	ActiveWithin    time.Duration // last order within this: active (90 days)
	LapsedAfter     time.Duration // last order longer ago than this: Lapsed (180 days)
	AtRiskMinOrders int           // orders needed to be AtRisk rather than Occasional when quiet (2)
	LoyalMinOrders  int           // orders needed to be Loyal (5)
	// VIPTopShare is the share of customers, ranked by monetary value, that can be VIP
	// (0.05: the top 5%, that is the top ceil(0.05 x n) places; a tied group is in when its
	// best place is). VIPMinMonetary, when positive, replaces it with a fixed threshold: a
	// VIP has spent at least that much (minor units).
	VIPTopShare    float64
	VIPMinMonetary int64
}

// DefaultSegmentConfig returns the default thresholds.
func DefaultSegmentConfig() SegmentConfig {
	const day = 24 * time.Hour
	return SegmentConfig{NewWithin: 30 * day, ActiveWithin: 90 * day, LapsedAfter: 180 * day,
		AtRiskMinOrders: 2, LoyalMinOrders: 5, VIPTopShare: 0.05}
}

func (c SegmentConfig) withDefaults() SegmentConfig {
	d := DefaultSegmentConfig()
	if c.NewWithin <= 0 {
		c.NewWithin = d.NewWithin
	}
	if c.ActiveWithin <= 0 {
		c.ActiveWithin = d.ActiveWithin
	}
	if c.LapsedAfter <= 0 {
		c.LapsedAfter = d.LapsedAfter
	}
	if c.AtRiskMinOrders <= 0 {
		c.AtRiskMinOrders = d.AtRiskMinOrders
	}
	if c.LoyalMinOrders <= 0 {
		c.LoyalMinOrders = d.LoyalMinOrders
	}
	if c.VIPTopShare <= 0 {
		c.VIPTopShare = d.VIPTopShare
	}
	return c
}

// segment gives each customer the first segment of Segments whose rule holds:
//
//	Lapsed      recency > LapsedAfter
//	New         first order within NewWithin
//	AtRisk      recency > ActiveWithin and frequency >= AtRiskMinOrders
//	VIP         recency <= ActiveWithin and a top spender (VIPTopShare or VIPMinMonetary)
//	Loyal       recency <= ActiveWithin and frequency >= LoyalMinOrders
//	Active      recency <= ActiveWithin and frequency >= 2
//	Occasional  otherwise
//
// Recency here is the exact time since the last order, not the whole days of RecencyDays.
func segment(rs []CustomerRFM, asOf time.Time, cfg SegmentConfig) {
	vip := make([]bool, len(rs))
	if cfg.VIPMinMonetary > 0 {
		for i := range rs {
			vip[i] = rs[i].Monetary >= cfg.VIPMinMonetary
		}
	} else if len(rs) > 0 {
		places := int(math.Ceil(cfg.VIPTopShare*float64(len(rs)) - 1e-9))
		_, above := rankCounts(rs, func(r *CustomerRFM) int64 { return r.Monetary })
		for i := range rs {
			vip[i] = above[i] < places
		}
	}
	for i := range rs {
		r := &rs[i]
		quiet := asOf.Sub(r.Last)
		active := quiet <= cfg.ActiveWithin
		switch {
		case quiet > cfg.LapsedAfter:
			r.Segment = Lapsed
		case asOf.Sub(r.First) <= cfg.NewWithin:
			r.Segment = New
		case !active && r.Frequency >= cfg.AtRiskMinOrders:
			r.Segment = AtRisk
		case active && vip[i]:
			r.Segment = VIP
		case active && r.Frequency >= cfg.LoyalMinOrders:
			r.Segment = Loyal
		case active && r.Frequency >= 2:
			r.Segment = Active
		default:
			r.Segment = Occasional
		}
	}
}
