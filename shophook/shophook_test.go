package shophook

import (
	"net/http"
	"testing"
	"time"
)

// The platforms sign the raw body: any change to the body, the secret or the encoding of
// the signature must fail the check.
func TestVerify(t *testing.T) {
	body := []byte(`{"id":820982911946154508}`)
	sig := Sign("s3cret", body)
	cases := []struct {
		name, secret, sig string
		body              []byte
		want              bool
	}{
		{"the body signed with the secret", "s3cret", sig, body, true},
		{"another secret", "s3cret2", sig, body, false},
		{"a changed body", "s3cret", sig, []byte(`{"id":820982911946154509}`), false},
		{"no signature", "s3cret", "", body, false},
		{"not base64", "s3cret", "%%%", body, false},
		{"hex instead of base64", "s3cret", "6a0b", body, false},
	}
	for _, c := range cases {
		if got := Verify(c.secret, c.body, c.sig); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	cases := map[string]time.Duration{
		"2": 2 * time.Second, " 30 ": 30 * time.Second, "1.5": 1500 * time.Millisecond,
		"86400": time.Hour, "": 0, "-3": 0, "soon": 0, "2m": 0,
	}
	for in, want := range cases {
		if got := RetryAfter(in); got != want {
			t.Errorf("RetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	if got := RetryAfter(time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat)); got != 0 {
		t.Errorf("a date in the past: %v, want 0", got)
	}
}
