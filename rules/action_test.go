package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

func TestActionRules(t *testing.T) {
	set := Set{TimeZone: "Europe/Warsaw", Rules: []Rule{
		{ID: "signup", Name: "Sign-up", Kind: KindAction, Event: tenure.CustomerCreated, Points: 100, Limit: &Limit{Count: 1, Per: PerLifetime}},
		{ID: "first-order", Name: "First order", Kind: KindAction, Event: tenure.OrderPaid, Points: 50, Condition: "member.order_count == 0"},
		{ID: "review", Name: "Review", Kind: KindAction, Event: tenure.ReviewPosted, Points: 20, Limit: &Limit{Count: 3, Per: PerMonth},
			Bonuses: []Bonus{{Name: "photo bonus", Condition: "event.properties.photo == true", Points: 30},
				{Name: "long review bonus", Condition: "len(event.properties.text) > 5", Points: 10}}},
		{ID: "survey", Kind: KindAction, Event: tenure.SurveyAnswered, Points: 15},
		{ID: "newsletter", Kind: KindAction, Event: tenure.NewsletterSignup, Points: 10, Limit: &Limit{Count: 1, Per: PerLifetime}},
		{ID: "share", Kind: KindAction, Event: tenure.SocialShared, Points: 5, Limit: &Limit{Count: 1, Per: PerDay}},
		{ID: "referral", Kind: KindAction, Event: tenure.ReferralSignup, Points: 200},
		{ID: "video", Name: "Watched the video", Kind: KindAction, Event: tenure.CustomAction, Action: "watched_video", Points: 7},
		{ID: "birthday", Kind: KindAction, Event: MemberBirthday, Points: 100, Limit: &Limit{Count: 1, Per: PerYear}},
		{ID: "anniversary", Kind: KindAction, Event: MemberAnniversary, Points: 50, Condition: "member.enrolled_days >= 365"},
		{ID: "vip-review", Kind: KindMultiplier, Multiplier: 20000, Targets: []string{"review"}, Condition: `"vip" in member.tags`},
	}}
	cs := mustCompile(t, set)
	custom := func(name string) Input {
		in := actionInput(tenure.CustomAction, nil)
		in.Event.Action = name
		return in
	}
	for _, tc := range []struct {
		name   string
		in     Input
		member Member
		want   int64
		rule   string
		reason string
	}{
		{"sign-up", actionInput(tenure.CustomerCreated, nil), Member{}, 100, "signup", "100 pts for customer.created"},
		{"first order", paid(1000), Member{OrderCount: 0}, 50, "first-order", ""},
		{"second order", paid(1000), Member{OrderCount: 1}, 0, "first-order", "condition false: member.order_count == 0"},
		{"review without photo", actionInput(tenure.ReviewPosted, map[string]any{"photo": false}), Member{}, 20, "review", "20 pts for review.posted"},
		{"review with photo", actionInput(tenure.ReviewPosted, map[string]any{"photo": true, "text": "great coffee"}), Member{}, 60, "review",
			"20 pts for review.posted + photo bonus 30 pts + long review bonus 10 pts = 60 pts"},
		{"review whose bonus condition fails at run time", actionInput(tenure.ReviewPosted, map[string]any{"text": 42}), Member{}, 20, "review",
			"long review bonus not given, its condition could not be evaluated"},
		{"vip review is doubled, bonuses too", actionInput(tenure.ReviewPosted, map[string]any{"photo": true}), Member{Tags: []string{"vip"}}, 100, "review",
			"x2 vip-review = 100 pts"},
		{"survey", actionInput(tenure.SurveyAnswered, nil), Member{}, 15, "survey", ""},
		{"newsletter", actionInput(tenure.NewsletterSignup, nil), Member{}, 10, "newsletter", ""},
		{"social share", actionInput(tenure.SocialShared, nil), Member{}, 5, "share", ""},
		{"referral", actionInput(tenure.ReferralSignup, nil), Member{}, 200, "referral", ""},
		{"custom action by name", custom("watched_video"), Member{}, 7, "video", `7 pts for custom "watched_video"`},
		{"birthday", actionInput(MemberBirthday, nil), Member{}, 100, "birthday", ""},
		{"anniversary after a year", actionInput(MemberAnniversary, nil), Member{EnrolledAt: noon.AddDate(-1, 0, 0)}, 50, "anniversary", ""},
		{"anniversary too early", actionInput(MemberAnniversary, nil), Member{EnrolledAt: noon.Add(-300 * 24 * time.Hour)}, 0, "anniversary", "condition false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Member = tc.member
			r := Evaluate(cs, in)
			checkInvariants(t, cs, in, r)
			if r.Points != tc.want {
				t.Fatalf("points %d, want %d: %+v", r.Points, tc.want, r.Explanations)
			}
			if x := explain(t, r, tc.rule); !strings.Contains(x.Reason, tc.reason) {
				t.Fatalf("reason %q, want it to contain %q", x.Reason, tc.reason)
			}
		})
	}
	t.Run("another custom action is not considered", func(t *testing.T) {
		if r := Evaluate(cs, custom("read_blog")); len(r.Explanations) != 0 || r.Points != 0 {
			t.Fatalf("%+v", r)
		}
	})
}

func TestRuntimeFailuresCountAsFalse(t *testing.T) {
	for _, tc := range []struct {
		name, condition, reason string
	}{
		{"division by zero", "10 % member.order_count == 1", "integer divide by zero"},
		{"index out of range", "order.lines[7].net > 0", "index out of range"},
		{"missing attribute compared as a number", "member.attributes.visits > 3", "condition could not be evaluated"},
		{"non-bool value from a map", "event.properties.photo", "bool(string)"},
		{"runaway loop", "len(filter(1..10000000, # > 1)) > 0", "memory budget exceeded"},
		{"nested loops", "all(1..1000, {all(1..1000, {# > 0})})", "memory budget exceeded"},
		{"a huge array made printable", `len(string(map(1..100000, "xxxxxxxxxx"))) > 0`, "memory budget exceeded"},
		{"flattened nested arrays", `len(flatten(map(1..300, map(1..300, #)))) > 0`, "memory budget exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := mustCompile(t, Set{Rules: []Rule{{ID: "r", Kind: KindAction, Event: tenure.CustomerCreated, Points: 1, Condition: tc.condition}}})
			in := actionInput(tenure.CustomerCreated, map[string]any{"photo": "yes"})
			r := Evaluate(cs, in)
			checkInvariants(t, cs, in, r)
			x := explain(t, r, "r")
			if x.Fired || !strings.Contains(x.Reason, tc.reason) {
				t.Fatalf("explanation %+v, want a reason containing %q", x, tc.reason)
			}
		})
	}
}
