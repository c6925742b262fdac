package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/rules"
)

// FuzzCampaignForm feeds the campaign form arbitrary values: it never panics, and a form
// it accepts builds a rule the rules package accepts too, with an id that is unique.
func FuzzCampaignForm(f *testing.F) {
	f.Add("Black Friday", "multiplier", "2", "", "", "2026-11-27T00:00", "2026-11-30T23:59", "", "", "", "10", "fri")
	f.Add("Spring bonus", "bonus", "", "50", "150", "", "", "9", "17", "5000", "", "sat")
	f.Add("???", "bonus", "1e3", "-1", "0x10", "2026-02-30T10:00", "yesterday", "24", "0", "9999999999999999999", "51", "funday")
	f.Fuzz(func(t *testing.T, name, effect, mult, bonus, minOrder, starts, ends, from, to, budget, holdout, day string) {
		set := rules.Set{TimeZone: "Europe/Warsaw", Rules: []rules.Rule{{ID: "base", Kind: rules.KindSpend, Spend: &rules.Spend{Points: 1}}}}
		form := campaignForm{Name: strings.TrimSpace(name), Effect: effect, Multiplier: mult, Bonus: bonus, MinOrder: minOrder,
			Starts: starts, Ends: ends, FromHour: from, ToHour: to, Budget: budget, Holdout: holdout, Days: []string{day}, Errors: map[string]string{}}
		loc, _ := time.LoadLocation("Europe/Warsaw")
		r := form.rule(loc, set)
		if r.ID == "base" || !strings.HasPrefix(r.ID, "campaign.") || len(r.ID) > rules.MaxIDChars {
			t.Fatalf("id %q", r.ID)
		}
		if len(form.Errors) > 0 {
			return
		}
		set.Rules = append(set.Rules, r)
		if _, err := rules.Compile(set); err != nil {
			form.fieldsOf(err, 1)
			if len(form.Errors) == 0 {
				t.Fatalf("a refused rule left the form without errors: %v", err)
			}
		}
	})
}
