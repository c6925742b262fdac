package app_test

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// PUT /v1/rules with If-Match saves only over the version it names: a second editor of the
// same version gets 412 and the rules stay as the first one saved them.
func TestRulesIfMatch(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		get := s.do("GET", "/v1/rules", s.key, nil)
		if get.Status != 200 || get.Header.Get("ETag") != `"0"` {
			t.Fatalf("GET /v1/rules: %d, ETag %q", get.Status, get.Header.Get("ETag"))
		}
		a := `{"rules":[{"id":"base","kind":"spend","spend":{"points":1}}]}`
		b := `{"rules":[{"id":"base","kind":"spend","spend":{"points":2}}]}`
		first := s.do("PUT", "/v1/rules", s.key, a, "If-Match", `"0"`)
		if first.Status != 200 || first.Header.Get("ETag") != `"1"` {
			t.Fatalf("first save: %d %s (ETag %q)", first.Status, first.Body, first.Header.Get("ETag"))
		}
		second := s.do("PUT", "/v1/rules", s.key, b, "If-Match", `"0"`)
		if second.Status != 412 {
			t.Fatalf("stale save: %d %s, want 412", second.Status, second.Body)
		}
		bad := s.do("PUT", "/v1/rules", s.key, b, "If-Match", `"v1"`)
		if bad.Status != 422 || !strings.Contains(string(bad.Body), "header.If-Match") {
			t.Fatalf("malformed If-Match: %d %s, want 422 naming the header", bad.Status, bad.Body)
		}
		now := s.do("GET", "/v1/rules", s.key, nil)
		if now.Header.Get("ETag") != `"1"` || !strings.Contains(string(now.Body), `"points":1`) {
			t.Fatalf("after the refused save: ETag %q, %s", now.Header.Get("ETag"), now.Body)
		}
		if r := s.do("PUT", "/v1/rules", s.key, b); r.Status != 200 || r.Header.Get("ETag") != `"2"` {
			t.Fatalf("a save without If-Match is unconditional: %d %s", r.Status, r.Body)
		}
	})
}
