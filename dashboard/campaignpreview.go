package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
)

// campaignPreview is what an example order earns with the campaign being typed and
// without it, from the same evaluator as live orders (a dry run: nothing is written).
type campaignPreview struct {
	Amount      string // the order, formatted
	At          string // when, in the set's time zone
	With        int64
	Without     int64
	Lines       []string // the rules that fired with the campaign, each with its points
	CampaignRan bool     // the campaign's own rule fired
}

// previewCampaign prices the example order of the form (sample_amount, sample_at) with
// the current rules and with the campaign added, and shows the campaigns page with the
// result beside the form. It writes nothing.
func (d *Dashboard) previewCampaign(q *req) error {
	ctx := q.r.Context()
	f := readCampaignForm(q)
	cur, err := d.svc.Rules.Current(ctx, q.tenant.ID)
	if err != nil {
		return err
	}
	loc := setLocation(cur.Set, q.tenant)
	rule := f.rule(loc, cur.Set)
	cy := q.tenant.Program.Currency
	amount, msg := parseMoney(f.SampleAmount, cy)
	if msg != "" {
		f.Errors["sample_amount"] = msg
	}
	at, perr := time.ParseInLocation("2006-01-02T15:04", f.SampleAt, loc)
	if perr != nil {
		f.Errors["sample_at"] = "must be a date and time"
	}
	if len(f.Errors) > 0 {
		return d.showCampaigns(q, http.StatusUnprocessableEntity, f)
	}
	with := cur.Set
	with.Rules = append(slices.Clone(cur.Rules), rule)
	if with.TimeZone == "" {
		with.TimeZone = loc.String()
	}
	ev := tenure.Event{ID: "campaign-preview", Type: tenure.OrderPaid, CustomerID: "campaign-preview", OccurredAt: at.UTC(),
		Order: &tenure.OrderData{ID: "campaign-preview", Currency: cy, Lines: []tenure.LineData{{Quantity: 1, UnitPrice: amount, Name: "example"}}}}
	p := &campaignPreview{Amount: money(amount, cy), At: at.Format("Mon 2 Jan 2006 15:04")}
	base, err := d.svc.Rules.Evaluate(ctx, q.tenant.ID, service.EvaluateRequest{Rules: &cur.Set, Event: ev})
	if err != nil {
		return d.previewProblem(q, f, err)
	}
	res, err := d.svc.Rules.Evaluate(ctx, q.tenant.ID, service.EvaluateRequest{Rules: &with, Event: ev})
	if err != nil {
		return d.previewProblem(q, f, err)
	}
	p.Without, p.With = base.Points, res.Points
	for _, e := range res.Explanations {
		if !e.Fired {
			continue
		}
		name := e.RuleName
		if name == "" {
			name = e.RuleID
		}
		times := "×" + strconv.FormatFloat(float64(e.Multiplier)/float64(rules.OneX), 'f', -1, 64)
		line := name + " +" + num(e.Points)
		switch {
		case e.Kind == rules.KindMultiplier:
			line = name + ": " + times
		case e.Multiplier > rules.OneX:
			line += " (" + times + ")"
		}
		p.Lines = append(p.Lines, line)
		p.CampaignRan = p.CampaignRan || e.RuleID == rule.ID || slices.Contains(e.MultipliedBy, rule.ID)
	}
	return d.showCampaignsWith(q, http.StatusOK, f, p)
}

// previewProblem shows the rule set's objection to the campaign on the form's fields.
func (d *Dashboard) previewProblem(q *req, f campaignForm, err error) error {
	if tenure.KindOf(err) != tenure.KindInvalid {
		return err
	}
	cur, rerr := d.svc.Rules.Current(q.r.Context(), q.tenant.ID)
	if rerr != nil {
		return rerr
	}
	f.fieldsOf(err, len(cur.Rules))
	return d.showCampaigns(q, http.StatusUnprocessableEntity, f)
}
