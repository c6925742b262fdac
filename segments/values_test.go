package segments

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure"
)

func TestUnknownLifecycleValue(t *testing.T) {
	for _, tc := range []struct {
		condition, want string
	}{
		{`member.lifecycle == "At risk"`, `member.lifecycle is never "At risk": it is one of lapsed, new, at_risk, vip, loyal, active, occasional (did you mean "at_risk"?)`},
		{`"VIP" == member.lifecycle && member.m >= 2`, `(did you mean "vip"?)`},
		{`member.lifecycle in ["new", "lost"]`, `member.lifecycle is never "lost"`},
		{`member.lifecycle != "sleeping"`, `is never "sleeping"`},
		{`member.lifecycle == "at_risk"`, ""},
		{`member.lifecycle in ["new", "vip"] || member.tier == "At risk"`, ""},
	} {
		_, err := Compile([]Definition{{Key: "k", Name: "K", Condition: tc.condition}})
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.condition, err)
			}
			continue
		}
		var e *tenure.Error
		if err == nil || !asError(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "segments[0].condition" || !strings.Contains(e.Fields[0].Message, tc.want) {
			t.Errorf("%s: %v, want segments[0].condition: …%s…", tc.condition, err, tc.want)
		}
	}
}

func asError(err error, e **tenure.Error) bool {
	x, ok := err.(*tenure.Error)
	*e = x
	return ok
}
