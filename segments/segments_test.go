package segments

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure"
)

func TestCompile(t *testing.T) {
	cases := []struct {
		name, cond, field, has string
	}{
		{"syntax error", "member.recency_days >", "segments[0].condition", "line 1, column"},
		{"unknown field", "member.recency > 3", "segments[0].condition", "recency"},
		{"type mismatch", `member.monetary + "x" > 1`, "segments[0].condition", "column"},
		{"not a boolean", "member.monetary", "segments[0].condition", "true or false"},
	}
	for _, c := range cases {
		_, err := Compile([]Definition{{Key: "k", Name: "K", Condition: c.cond}})
		var te *tenure.Error
		if err == nil || !strings.Contains(err.Error(), c.has) || !errorsAs(err, &te) || te.Fields[0].Field != c.field {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if _, err := Compile([]Definition{{Key: "Bad Key", Name: "x", Condition: "true"}, {Key: "a", Name: "", Condition: "true"}}); err == nil ||
		!strings.Contains(err.Error(), "segments[0].key") || !strings.Contains(err.Error(), "segments[1].name") {
		t.Fatalf("bad keys and names: %v", err)
	}
}

func TestMatch(t *testing.T) {
	s, err := Compile([]Definition{
		{Key: "big-spenders", Name: "Big spenders", Condition: "member.monetary >= 100000"},
		{Key: "lapsing-vip", Name: "Lapsing VIP", Condition: `member.lifecycle == "at_risk" && member.m == 5`},
		{Key: "coffee", Name: "Coffee lovers", Condition: `"coffee" in member.categories`},
		{Key: "tagged", Name: "Attribute", Condition: `member.attributes.size == "M"`},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    Profile
		want string
	}{
		{"a big coffee buyer", Profile{Monetary: 150000, Categories: []string{"coffee"}}, "big-spenders,coffee"},
		{"an at-risk top spender", Profile{Lifecycle: "at_risk", M: 5}, "lapsing-vip"},
		{"a missing attribute is simply false", Profile{}, ""},
		{"an attribute that matches", Profile{Attributes: map[string]any{"size": "M"}}, "tagged"},
	} {
		if got := strings.Join(s.Match(c.p), ","); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func errorsAs(err error, target **tenure.Error) bool {
	e, ok := err.(*tenure.Error)
	*target = e
	return ok
}
