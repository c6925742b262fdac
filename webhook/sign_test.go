package webhook

import (
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"msg_1","type":"points.earned"}`)
	sig := Sign("whsec_k", now, body)
	cases := []struct {
		name         string
		secret, sig  string
		body         []byte
		at           time.Time
		wantErrorHas string
	}{
		{"a correct signature verifies", "whsec_k", sig, body, now.Add(time.Minute), ""},
		{"a tampered body fails", "whsec_k", sig, []byte(`{"id":"msg_1","type":"points.expired"}`), now, "mismatch"},
		{"another secret fails", "whsec_other", sig, body, now, "mismatch"},
		{"an old timestamp fails", "whsec_k", sig, body, now.Add(10 * time.Minute), "tolerance"},
		{"a malformed header fails", "whsec_k", "v1=abc", body, now, "malformed"},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.sig, c.body, c.at, 5*time.Minute)
		if c.wantErrorHas == "" && err != nil || c.wantErrorHas != "" && (err == nil || !strings.Contains(err.Error(), c.wantErrorHas)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	var total time.Duration
	prev := time.Duration(0)
	for n := 1; n < MaxAttempts; n++ {
		d := Backoff(n)
		if d < prev || d > 6*time.Hour {
			t.Fatalf("backoff %d = %v after %v", n, d, prev)
		}
		prev, total = d, total+d
	}
	if total < 12*time.Hour || total > 48*time.Hour {
		t.Fatalf("retries span %v, want about a day", total)
	}
}
