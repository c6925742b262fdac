package subscription

import (
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

var now = time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

func sub(state State) Subscription {
	ps, pe := now.AddDate(0, 0, -5), now.AddDate(0, 0, 9)
	return Subscription{ID: "sub_1", State: state, Price: 8900, Quantity: 1, Currency: "PLN",
		Schedule: Calendar{Anchor: date(2027, 1, 6), Interval: Interval{Week, 2}}, Cycle: 5, NextAt: date(2027, 3, 17),
		PeriodStart: &ps, PeriodEnd: &pe, LastPaid: 8900, Paid: 4}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name     string
		from     Subscription
		ev       Event
		to       State
		errKind  tenure.Kind
		errField string
		check    func(t *testing.T, s Subscription)
	}{
		{name: "a paid trial becomes active and counts its first paid period", from: sub(Trialing),
			ev: Event{Kind: EvPaid, Amount: 8900, PeriodStart: now, PeriodEnd: now.AddDate(0, 0, 14)}, to: Active,
			check: func(t *testing.T, s Subscription) {
				if s.Paid != 5 || s.LastPaid != 8900 || !s.PeriodEnd.Equal(now.AddDate(0, 0, 14)) {
					t.Errorf("paid %d, last %d, period end %s", s.Paid, s.LastPaid, s.PeriodEnd)
				}
			}},
		{name: "a failed charge puts an active subscription past due", from: sub(Active), ev: Event{Kind: EvFailed}, to: PastDue,
			check: func(t *testing.T, s Subscription) {
				if s.Failed != 1 {
					t.Errorf("failed %d", s.Failed)
				}
			}},
		{name: "a paid retry returns to active and keeps the anchor", from: func() Subscription { s := sub(PastDue); s.Failed = 2; return s }(),
			ev: Event{Kind: EvPaid, Amount: 8900, PeriodStart: date(2027, 3, 3), PeriodEnd: date(2027, 3, 17)}, to: Active,
			check: func(t *testing.T, s Subscription) {
				if s.Failed != 0 || !s.Schedule.Anchor.Equal(date(2027, 1, 6)) || !s.NextAt.Equal(date(2027, 3, 17)) {
					t.Errorf("failed %d, anchor %s, next %s", s.Failed, s.Schedule.Anchor, s.NextAt)
				}
			}},
		{name: "an exhausted ladder with final action pause pauses open-ended", from: sub(PastDue), ev: Event{Kind: EvExhausted, Final: FinalPause}, to: Paused,
			check: func(t *testing.T, s Subscription) {
				if s.PausedUntil != nil {
					t.Errorf("paused until %s", s.PausedUntil)
				}
			}},
		{name: "an exhausted ladder with final action cancel cancels", from: sub(PastDue), ev: Event{Kind: EvExhausted, Final: FinalCancel}, to: Cancelled},
		{name: "an exhausted ladder may leave the subscription past due", from: sub(PastDue), ev: Event{Kind: EvExhausted, Final: FinalPastDue}, to: PastDue},
		{name: "ladder exhaustion of an active subscription is a conflict", from: sub(Active), ev: Event{Kind: EvExhausted, Final: FinalCancel}, errKind: tenure.KindConflict, errField: "state"},
		{name: "pause until a date", from: sub(Active), ev: Event{Kind: EvPause, Until: at(21 * 24 * time.Hour)}, to: Paused,
			check: func(t *testing.T, s Subscription) {
				if s.PausedUntil == nil || !s.PausedUntil.Equal(*at(21 * 24 * time.Hour)) {
					t.Errorf("paused until %v", s.PausedUntil)
				}
			}},
		{name: "pause open-ended", from: sub(Active), ev: Event{Kind: EvPause}, to: Paused},
		{name: "pause until a past date names until", from: sub(Active), ev: Event{Kind: EvPause, Until: at(-time.Hour)}, errKind: tenure.KindInvalid, errField: "until"},
		{name: "pause of a past-due subscription is a conflict", from: sub(PastDue), ev: Event{Kind: EvPause}, errKind: tenure.KindConflict, errField: "state"},
		{name: "resume skips the periods that started while paused, on the old calendar", from: func() Subscription {
			s := sub(Paused)
			s.Cycle, s.NextAt = 2, date(2027, 2, 3)
			s.Skips = []time.Time{date(2027, 2, 17), date(2027, 3, 31)}
			return s
		}(), ev: Event{Kind: EvResume}, to: Active,
			check: func(t *testing.T, s Subscription) {
				if s.Cycle != 5 || !s.NextAt.Equal(date(2027, 3, 17)) {
					t.Errorf("cycle %d next %s, want 5 and 17 Mar", s.Cycle, s.NextAt)
				}
				if len(s.Skips) != 1 || !s.Skips[0].Equal(date(2027, 3, 31)) {
					t.Errorf("skips %v", s.Skips)
				}
			}},
		{name: "resume of an active subscription is a conflict", from: sub(Active), ev: Event{Kind: EvResume}, errKind: tenure.KindConflict, errField: "state"},
		{name: "cancel at period end keeps the subscription active and flagged", from: sub(Active), ev: Event{Kind: EvCancel, AtPeriodEnd: true}, to: Active,
			check: func(t *testing.T, s Subscription) {
				if !s.CancelAtPeriodEnd || !s.Entitled(now) {
					t.Errorf("flag %v entitled %v", s.CancelAtPeriodEnd, s.Entitled(now))
				}
			}},
		{name: "cancel now ends billing but keeps entitlement to the paid period", from: sub(Active), ev: Event{Kind: EvCancel}, to: Cancelled,
			check: func(t *testing.T, s Subscription) {
				if !s.Entitled(now) || s.Entitled(s.PeriodEnd.Add(time.Second)) || s.EndedAt == nil {
					t.Errorf("entitlement %v after end %v", s.Entitled(now), s.Entitled(s.PeriodEnd.Add(time.Second)))
				}
			}},
		{name: "cancel of a paused subscription is immediate", from: sub(Paused), ev: Event{Kind: EvCancel, AtPeriodEnd: true}, to: Cancelled},
		{name: "cancel of a cancelled subscription is a conflict", from: sub(Cancelled), ev: Event{Kind: EvCancel}, errKind: tenure.KindConflict, errField: "state"},
		{name: "un-cancel clears the flag", from: func() Subscription { s := sub(Active); s.CancelAtPeriodEnd = true; return s }(), ev: Event{Kind: EvUncancel}, to: Active,
			check: func(t *testing.T, s Subscription) {
				if s.CancelAtPeriodEnd {
					t.Error("still flagged")
				}
			}},
		{name: "un-cancel without a pending cancellation is a conflict", from: sub(Active), ev: Event{Kind: EvUncancel}, errKind: tenure.KindConflict, errField: "state"},
		{name: "un-cancel after the end is a conflict", from: sub(Cancelled), ev: Event{Kind: EvUncancel}, errKind: tenure.KindConflict, errField: "state"},
		{name: "period end with the flag cancels", from: func() Subscription { s := sub(Active); s.CancelAtPeriodEnd = true; return s }(), ev: Event{Kind: EvEnd}, to: Cancelled},
		{name: "a fixed term expires", from: sub(Active), ev: Event{Kind: EvExpire}, to: Expired},
		{name: "an expired subscription cannot be charged", from: sub(Expired), ev: Event{Kind: EvPaid}, errKind: tenure.KindConflict, errField: "state"},
		{name: "an unknown event names event", from: sub(Active), ev: Event{Kind: "explode"}, errKind: tenure.KindInvalid, errField: "event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, tr, err := Apply(tc.from, tc.ev, now)
			if tc.errKind != "" {
				var e *tenure.Error
				if err == nil || tenure.KindOf(err) != tc.errKind {
					t.Fatalf("err = %v, want kind %s", err, tc.errKind)
				}
				e = err.(*tenure.Error)
				if len(e.Fields) == 0 || e.Fields[0].Field != tc.errField {
					t.Fatalf("err fields %+v, want %s", e.Fields, tc.errField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tc.to || tr.From != tc.from.State || tr.To != tc.to || tr.Event != tc.ev.Kind {
				t.Fatalf("state %s, transition %+v; want %s", got.State, tr, tc.to)
			}
			if got.Version != tc.from.Version+1 || !got.UpdatedAt.Equal(now) {
				t.Errorf("version %d updated %s", got.Version, got.UpdatedAt)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func TestDue(t *testing.T) {
	p := Plan{Price: 8900, TermPeriods: 0}
	due := date(2027, 3, 17)
	tests := []struct {
		name   string
		s      func(Subscription) Subscription
		plan   Plan
		action string
	}{
		{"not yet due", func(s Subscription) Subscription { return s }, p, DueNone},
		{"due and active bills", func(s Subscription) Subscription { return s }, p, DueBill},
		{"paused waits", func(s Subscription) Subscription { s.State = Paused; return s }, p, DueWait},
		{"cancelled does nothing", func(s Subscription) Subscription { s.State = Cancelled; return s }, p, DueNone},
		{"flagged ends", func(s Subscription) Subscription { s.CancelAtPeriodEnd = true; return s }, p, DueEnd},
		{"a skipped period is skipped", func(s Subscription) Subscription { s.Skips = []time.Time{due}; return s }, p, DueSkip},
		{"past due does not bill a second period", func(s Subscription) Subscription { s.State = PastDue; return s }, p, DueSkip},
		{"a completed term expires", func(s Subscription) Subscription { return s }, Plan{TermPeriods: 4}, DueExpire},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			when := due
			if i == 0 {
				when = due.Add(-time.Second)
			}
			if got, _ := Due(tc.s(sub(Active)), tc.plan, when); got != tc.action {
				t.Fatalf("Due = %s, want %s", got, tc.action)
			}
		})
	}
	s := Advance(sub(Active))
	if s.Cycle != 6 || !s.NextAt.Equal(date(2027, 3, 31)) {
		t.Fatalf("Advance: cycle %d next %s", s.Cycle, s.NextAt)
	}
}
