package rules

import (
	"errors"
	"testing"

	"github.com/tenure-loyalty/tenure"
)

// TestRulesListenOnlyToEmittedEvents: an action rule may listen to the events Tenure
// emits itself, but not to a type nothing emits, and a spend rule needs an order event.
func TestRulesListenOnlyToEmittedEvents(t *testing.T) {
	for _, typ := range tenure.ScheduledEventTypes {
		set := Set{Rules: []Rule{{ID: "r", Kind: KindAction, Event: typ, Points: 100}}}
		if _, err := Compile(set); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
	for _, r := range []Rule{
		{ID: "r", Kind: KindAction, Event: "member.nameday", Points: 100},
		{ID: "r", Kind: KindSpend, Event: tenure.MemberBirthday, Spend: &Spend{Points: 1}},
	} {
		_, err := Compile(Set{Rules: []Rule{r}})
		var te *tenure.Error
		if !errors.As(err, &te) || len(te.Fields) == 0 || te.Fields[0].Field != "rules[0].event" {
			t.Errorf("%+v: got %v, want a problem naming rules[0].event", r, err)
		}
	}
}
