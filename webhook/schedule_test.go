package webhook

import (
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	def, err := ParseSchedule("30s,1m30s,4m30s,13m30s,40m30s,2h1m30s,6h,6h,6h")
	if err != nil || def.String() != DefaultSchedule().String() || def.MaxAttempts() != MaxAttempts {
		t.Fatalf("the documented default %v (%v) differs from DefaultSchedule %v", def, err, DefaultSchedule())
	}
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	s, err := ParseSchedule(" 50ms, 2s ")
	if err != nil || s.MaxAttempts() != 3 {
		t.Fatalf("%v %v", s, err)
	}
	if at, ok := s.Next(1, now); !ok || !at.Equal(now.Add(50*time.Millisecond)) {
		t.Errorf("after attempt 1: %v %v", at, ok)
	}
	if at, ok := s.Next(2, now); !ok || !at.Equal(now.Add(2*time.Second)) {
		t.Errorf("after attempt 2: %v %v", at, ok)
	}
	if _, ok := s.Next(3, now); ok {
		t.Error("attempt 3 of 3 failed and was not dead-lettered")
	}
	if none, err := ParseSchedule("none"); err != nil || none.MaxAttempts() != 1 {
		t.Errorf("none: %v %v", none, err)
	}
	for _, bad := range []string{"", "30s,,1m", "-1s", "0s", "soon", "1m,2"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
