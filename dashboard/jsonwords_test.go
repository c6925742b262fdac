package dashboard

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/tiers"
)

// TestJSONErrorsInPlainWords types the mistakes a marketer makes in the rules and tiers
// editors and checks that each is explained without the decoder's terms.
func TestJSONErrorsInPlainWords(t *testing.T) {
	internals := []string{"unmarshal", "int64", "Go ", "struct", "rules.Rule", "json:", "float64", "time.Time", "invalid character"}
	for _, tc := range []struct {
		name, text, want string
		into             any
	}{
		{"points typed as words", `{"rules": [{"id": "a", "kind": "action", "event": "review.posted", "points": "ten"}]}`, "“points” must be a whole number", &rules.Set{}},
		{"points with a fraction", `{"rules": [{"id": "a", "kind": "action", "event": "review.posted", "points": 1.5}]}`, "“points” must be a whole number (such as 10), not 1.5", &rules.Set{}},
		{"a misspelt field", `{"rules": [{"id": "a", "kind": "action", "pointz": 5}]}`, "unknown field pointz", &rules.Set{}},
		{"a missing comma", `{"rules": [{"id": "a" "kind": "action"}]}`, "missing comma", &rules.Set{}},
		{"cut short", `{"rules": [{"id": "a"`, "ends too early", &rules.Set{}},
		{"a bad date", `{"rules": [{"id": "a", "kind": "multiplier", "starts_at": "next friday"}]}`, "must look like 2027-05-23T10:00:00Z", &rules.Set{}},
		{"a threshold as text", `{"tiers": [{"key": "gold", "name": "Gold", "threshold": "1000"}]}`, "“threshold” must be a whole number", &tiers.Ladder{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := decodeStrict("rules", tc.text, tc.into)
			if len(errs) != 1 {
				t.Fatalf("got %d problems", len(errs))
			}
			msg := errs[0].Message
			if !strings.Contains(msg, tc.want) {
				t.Errorf("%q, want it to contain %q", msg, tc.want)
			}
			for _, w := range internals {
				if strings.Contains(msg, w) {
					t.Errorf("%q shows %q", msg, w)
				}
			}
			if errs[0].Line != 1 {
				t.Errorf("line %d, want 1", errs[0].Line)
			}
		})
	}
}
