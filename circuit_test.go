package tenure

import (
	"testing"
	"time"
)

func TestCircuitRecord(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	p := BreakerPolicy{Failures: 3, Cooldown: time.Minute, MaxCooldown: 3 * time.Minute}
	closed := Circuit{State: CircuitClosed, Since: t0}
	failUnder := func(p BreakerPolicy, c Circuit, n int, at time.Time) Circuit {
		for range n {
			c = c.Record(false, "endpoint answered 503", at, p)
		}
		return c
	}
	fail := func(c Circuit, n int, at time.Time) Circuit { return failUnder(p, c, n, at) }
	cases := []struct {
		name string
		got  Circuit
		want Circuit
	}{
		{"failures below the threshold keep it closed", fail(closed, 2, t0),
			Circuit{State: CircuitClosed, Since: t0, Failures: 2, LastError: "endpoint answered 503", FailedAt: t0}},
		{"the threshold opens it for the cooldown", fail(closed, 3, t0),
			Circuit{State: CircuitOpen, Since: t0, RetryAt: t0.Add(time.Minute), Failures: 3, Opened: 1, LastError: "endpoint answered 503", FailedAt: t0}},
		{"failures of sends already under way do not extend an open circuit", fail(fail(closed, 3, t0), 2, t0.Add(time.Second)),
			Circuit{State: CircuitOpen, Since: t0, RetryAt: t0.Add(time.Minute), Failures: 5, Opened: 1, LastError: "endpoint answered 503", FailedAt: t0.Add(time.Second)}},
		{"a failed probe reopens it for twice as long", fail(Circuit{State: CircuitHalfOpen, Failures: 3, Opened: 1}, 1, t0),
			Circuit{State: CircuitOpen, Since: t0, RetryAt: t0.Add(2 * time.Minute), Failures: 4, Opened: 2, LastError: "endpoint answered 503", FailedAt: t0}},
		{"the cooldown stops growing at the maximum", fail(Circuit{State: CircuitHalfOpen, Failures: 9, Opened: 5}, 1, t0),
			Circuit{State: CircuitOpen, Since: t0, RetryAt: t0.Add(3 * time.Minute), Failures: 10, Opened: 6, LastError: "endpoint answered 503", FailedAt: t0}},
		{"a success closes it and forgets the count", Circuit{State: CircuitHalfOpen, Failures: 4, Opened: 2, LastError: "x", FailedAt: t0}.Record(true, "", t0.Add(time.Hour), p),
			Circuit{State: CircuitClosed, Since: t0.Add(time.Hour), LastError: "x", FailedAt: t0}},
		{"a zero threshold never opens it", failUnder(BreakerPolicy{Cooldown: time.Minute}, closed, 50, t0),
			Circuit{State: CircuitClosed, Since: t0, Failures: 50, LastError: "endpoint answered 503", FailedAt: t0}},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
}
