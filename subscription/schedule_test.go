package subscription

import (
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }

func TestScheduleStarts(t *testing.T) {
	tests := []struct {
		name string
		s    Calendar
		want []time.Time
	}{
		{"month end clamps each month from the anchor: 31 Jan, 28 Feb, 31 Mar, 30 Apr",
			Calendar{Anchor: date(2027, 1, 31), Interval: Interval{Month, 1}},
			[]time.Time{date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)}},
		{"leap February gets the 29th",
			Calendar{Anchor: date(2028, 1, 31), Interval: Interval{Month, 1}},
			[]time.Time{date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)}},
		{"fixed day 31 on an anchor in a short month",
			Calendar{Anchor: date(2027, 2, 28), Day: 31, Interval: Interval{Month, 1}},
			[]time.Time{date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)}},
		{"every two weeks",
			Calendar{Anchor: date(2026, 12, 24), Interval: Interval{Week, 2}},
			[]time.Time{date(2026, 12, 24), date(2027, 1, 7), date(2027, 1, 21)}},
		{"quarterly across a year end",
			Calendar{Anchor: date(2026, 11, 30), Interval: Interval{Month, 3}},
			[]time.Time{date(2026, 11, 30), date(2027, 2, 28), date(2027, 5, 30), date(2027, 8, 30)}},
		{"yearly from a leap day",
			Calendar{Anchor: date(2028, 2, 29), Interval: Interval{Year, 1}},
			[]time.Time{date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28), date(2032, 2, 29)}[:3]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, want := range tc.want {
				if got := tc.s.Start(k); !got.Equal(want) {
					t.Errorf("Start(%d) = %s, want %s", k, got.Format(time.DateOnly), want.Format(time.DateOnly))
				}
			}
		})
	}
}

func TestScheduleFirst(t *testing.T) {
	for _, s := range []Calendar{
		{Anchor: date(2027, 1, 31), Interval: Interval{Month, 1}},
		{Anchor: date(2027, 1, 5), Interval: Interval{Week, 1}},
		{Anchor: date(2027, 1, 5), Interval: Interval{Day, 10}},
		{Anchor: date(2027, 1, 5), Interval: Interval{Year, 1}},
	} {
		for k := 0; k < 40; k++ {
			st := s.Start(k)
			if got := s.First(st); got != k {
				t.Fatalf("%v: First(Start(%d)) = %d", s.Interval, k, got)
			}
			if got := s.First(st.Add(time.Second)); got != k+1 {
				t.Fatalf("%v: First(Start(%d)+1s) = %d", s.Interval, k, got)
			}
		}
	}
	if got := DayOfMonthAnchor(date(2027, 2, 10), 31); !got.Equal(date(2027, 2, 28)) {
		t.Fatalf("day 31 after 10 Feb = %s, want 28 Feb", got)
	}
	if got := DayOfMonthAnchor(date(2027, 3, 10), 5); !got.Equal(date(2027, 4, 5)) {
		t.Fatalf("day 5 after 10 Mar = %s, want 5 Apr", got)
	}
}
