package flows

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Budget is a member's contact budget across all channels: at most Max marketing messages
// in any window of Per, none in the quiet hours of the member's zone, and a deferred
// message older than Expiry is dropped.
type Budget struct {
	Max       int           `json:"max"`
	Per       time.Duration `json:"per"`
	QuietFrom int           `json:"quiet_from"` // hour of day the quiet hours begin (0..23)
	QuietTo   int           `json:"quiet_to"`   // hour of day they end; equal to QuietFrom means none
	Expiry    time.Duration `json:"expiry"`     // default for messages without their own
}

// DefaultBudget is 3 marketing messages per 7 days, quiet from 21:00 to 08:00, deferred
// messages kept for 14 days.
var DefaultBudget = Budget{Max: 3, Per: 7 * 24 * time.Hour, QuietFrom: 21, QuietTo: 8, Expiry: 14 * 24 * time.Hour}

// Pending is a message waiting for its slot.
type Pending struct {
	ID       string
	Purpose  string // marketing or transactional
	Priority int    // higher first
	Queued   time.Time
	Expiry   time.Duration // 0 = the budget's
}

// Placement says when a pending message goes out, or that it is dropped and why.
type Placement struct {
	ID     string
	At     time.Time
	Drop   bool
	Reason string // why it waits, or why it was dropped; "" when it goes at once
}

// Place gives each pending message its slot at or after now, given the times of the
// marketing messages already sent. Transactional messages go at once. Marketing messages
// are placed in priority order (then queue order), each no earlier than the one before
// it, at the first instant where the window holds room and the member's clock is outside
// the quiet hours; one whose slot falls past its expiry is dropped with the reason.
func Place(b Budget, zone *time.Location, sent []time.Time, pending []Pending, now time.Time) []Placement {
	if zone == nil {
		zone = time.UTC
	}
	ps := slices.Clone(pending)
	slices.SortStableFunc(ps, func(x, y Pending) int {
		return cmp.Or(-cmp.Compare(x.Priority, y.Priority), x.Queued.Compare(y.Queued), cmp.Compare(x.ID, y.ID))
	})
	window := slices.Clone(sent)
	slices.SortFunc(window, time.Time.Compare)
	out := make([]Placement, 0, len(ps))
	floor, behind := now, ""
	for _, p := range ps {
		if p.Purpose == Transactional {
			out = append(out, Placement{ID: p.ID, At: now})
			continue
		}
		at, reason := b.slot(zone, window, floor)
		if reason == "" && at.After(now) {
			reason = behind // it waits behind a message of higher priority
		}
		exp := cmp.Or(p.Expiry, b.Expiry)
		if exp > 0 && at.After(p.Queued.Add(exp)) {
			out = append(out, Placement{ID: p.ID, At: at, Drop: true,
				Reason: fmt.Sprintf("no free slot before it expired at %s (next was %s: %s)", p.Queued.Add(exp).UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339), reason)})
			continue
		}
		out = append(out, Placement{ID: p.ID, At: at, Reason: reason})
		window = append(window, at)
		floor, behind = at, reason
	}
	return out
}

// slot returns the first instant at or after t with room in the window and outside the
// quiet hours, and why it is later than t ("" if it is t).
func (b Budget) slot(zone *time.Location, window []time.Time, t time.Time) (time.Time, string) {
	reason := ""
	for range 1000 {
		moved := false
		if b.Max > 0 && b.Per > 0 {
			var in []time.Time
			for _, s := range window {
				if s.After(t.Add(-b.Per)) && !s.After(t) {
					in = append(in, s)
				}
			}
			if len(in) >= b.Max {
				// The slot opens when enough of the window's messages age out of it.
				t = in[len(in)-b.Max].Add(b.Per)
				reason = fmt.Sprintf("contact budget: %d marketing messages per %s", b.Max, b.Per)
				moved = true
			}
		}
		if end, quiet := b.quietEnd(t, zone); quiet {
			t = end
			if reason == "" {
				reason = fmt.Sprintf("quiet hours %02d:00-%02d:00 in %s", b.QuietFrom, b.QuietTo, zone)
			}
			moved = true
		}
		if !moved {
			return t, reason
		}
	}
	return t, reason
}

// quietEnd reports whether t falls in the quiet hours in zone, and when they end.
func (b Budget) quietEnd(t time.Time, zone *time.Location) (time.Time, bool) {
	if b.QuietFrom == b.QuietTo {
		return t, false
	}
	h := t.In(zone).Hour()
	in := false
	if b.QuietFrom < b.QuietTo {
		in = h >= b.QuietFrom && h < b.QuietTo
	} else {
		in = h >= b.QuietFrom || h < b.QuietTo
	}
	if !in {
		return t, false
	}
	return NextClock(t, zone, b.QuietTo, 0), true
}

// Allowed reports whether a message of purpose may go to a member over channel, given
// the member's consents. Marketing needs an explicit grant; transactional is allowed
// unless withdrawn. Transactional messages bypass the contact budget, never consent.
func Allowed(cs []tenure.Consent, channel, purpose string) bool {
	for _, c := range cs {
		if c.Channel == channel && c.Purpose == purpose {
			return c.Granted
		}
	}
	return purpose == Transactional
}
