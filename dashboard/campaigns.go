package dashboard

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
)

// Campaigns are not a separate kind of thing: they are earning rules that run for a time
// or at certain hours (a weekend double, a Black Friday bonus). This page lists those rules
// with whether they run right now, and adds or ends one by saving a new version of the
// rule set, so that the one evaluator and its explanations stay the only truth.

// campaignsData is the campaigns page.
type campaignsData struct {
	Version   int64
	TimeZone  string
	Now       string
	Campaigns []campaignRow
	Form      campaignForm
	Days      []string
	Preview   *campaignPreview
}

// campaignRow is one campaign as the table shows it.
type campaignRow struct {
	ID, Name, Effect, When, Status, State string
	Budget                                int64
	Holdout                               string
	CanEnd                                bool
}

// campaignForm is the new-campaign form, kept on a validation error.
type campaignForm struct {
	Name, Effect, Multiplier, Bonus, MinOrder, Starts, Ends, FromHour, ToHour, Budget, Holdout string
	Days                                                                                       []string
	Errors                                                                                     map[string]string
	// SampleAmount and SampleAt are the example order the preview prices.
	SampleAmount, SampleAt string
}

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

func (d *Dashboard) campaigns(q *req) error {
	return d.showCampaigns(q, http.StatusOK, campaignForm{Effect: "multiplier", Multiplier: "2"})
}

func (d *Dashboard) showCampaigns(q *req, status int, form campaignForm) error {
	return d.showCampaignsWith(q, status, form, nil)
}

func (d *Dashboard) showCampaignsWith(q *req, status int, form campaignForm, preview *campaignPreview) error {
	set, err := d.svc.Rules.Current(q.r.Context(), q.tenant.ID)
	if err != nil {
		return err
	}
	loc := setLocation(set.Set, q.tenant)
	now := d.svc.Clock.Now().In(loc)
	if form.SampleAmount == "" {
		form.SampleAmount = moneyInput(12000, q.tenant.Program.Currency)
	}
	if form.SampleAt == "" { // the coming Saturday at noon: when weekend campaigns show
		sat := now.AddDate(0, 0, (int(time.Saturday)-int(now.Weekday())+7)%7)
		form.SampleAt = time.Date(sat.Year(), sat.Month(), sat.Day(), 12, 0, 0, 0, loc).Format("2006-01-02T15:04")
	}
	data := campaignsData{Version: set.Version, TimeZone: loc.String(), Now: now.Format("Mon 2 Jan 2006 15:04"), Form: form, Days: weekdays, Preview: preview}
	for _, r := range set.Rules {
		if isCampaign(r) {
			data.Campaigns = append(data.Campaigns, campaignOf(r, now, loc, q.tenant.Program.Currency))
		}
	}
	d.render(q, status, "campaigns", "Campaigns", data)
	return nil
}

func isCampaign(r rules.Rule) bool {
	return r.Kind == rules.KindMultiplier || r.StartsAt != nil || r.EndsAt != nil || r.Schedule != nil || r.Campaign != ""
}

// setLocation is the rule set's time zone, else the program's, else UTC.
func setLocation(set rules.Set, t tenure.Tenant) *time.Location {
	for _, name := range []string{set.TimeZone, t.Program.TimeZone} {
		if name == "" {
			continue
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}

// campaignOf describes a rule and whether it runs at now (in the set's time zone).
func campaignOf(r rules.Rule, now time.Time, loc *time.Location, currency string) campaignRow {
	row := campaignRow{ID: r.ID, Name: r.Name, Budget: r.Budget}
	if row.Name == "" {
		row.Name = r.ID
	}
	switch r.Kind {
	case rules.KindMultiplier:
		row.Effect = "x" + strconv.FormatFloat(float64(r.Multiplier)/float64(rules.OneX), 'f', -1, 64) + " points on "
		if len(r.Targets) == 0 {
			row.Effect += "every spend rule"
		} else {
			row.Effect += strings.Join(r.Targets, ", ")
		}
	case rules.KindAction:
		row.Effect = "+" + num(r.Points) + " points per " + string(r.Event)
	default:
		row.Effect = "spend rule"
	}
	if r.Condition != "" {
		row.Effect += " when " + r.Condition
	}
	var when []string
	switch {
	case r.StartsAt != nil && r.EndsAt != nil:
		when = append(when, r.StartsAt.In(loc).Format("2 Jan 2006 15:04")+" to "+r.EndsAt.In(loc).Format("2 Jan 2006 15:04"))
	case r.StartsAt != nil:
		when = append(when, "from "+r.StartsAt.In(loc).Format("2 Jan 2006 15:04"))
	case r.EndsAt != nil:
		when = append(when, "until "+r.EndsAt.In(loc).Format("2 Jan 2006 15:04"))
	}
	if s := r.Schedule; s != nil {
		if len(s.Days) > 0 {
			when = append(when, strings.Join(s.Days, ", "))
		}
		if s.FromHour != 0 || (s.ToHour != 0 && s.ToHour != 24) {
			to := s.ToHour
			if to == 0 {
				to = 24
			}
			when = append(when, fmt.Sprintf("%02d:00–%02d:00", s.FromHour, to))
		}
	}
	row.When = strings.Join(when, "; ")
	if row.When == "" {
		row.When = "always"
	}
	if r.Holdout > 0 {
		row.Holdout = r.Holdout.Percent() + " held out"
	}
	row.Status, row.State = "running", "succeeded"
	switch {
	case r.EndsAt != nil && !now.Before(*r.EndsAt):
		row.Status, row.State = "ended", "cancelled"
	case r.StartsAt != nil && now.Before(*r.StartsAt):
		row.Status, row.State = "scheduled", "pending"
	case r.Schedule != nil && !inSchedule(*r.Schedule, now):
		row.Status, row.State = "outside its hours", "pending"
	}
	row.CanEnd = row.Status != "ended"
	return row
}

// inSchedule reports whether local time now falls in a schedule's days and hours, as the
// evaluator decides it (rules.Schedule: ToHour 0 is the end of the day).
func inSchedule(s rules.Schedule, now time.Time) bool {
	if len(s.Days) > 0 && !slices.Contains(s.Days, weekdays[(int(now.Weekday())+6)%7]) {
		return false
	}
	to := s.ToHour
	if to == 0 {
		to = 24
	}
	return now.Hour() >= s.FromHour && now.Hour() < to
}

// createCampaign adds the campaign of the form to the current rules as a new version.
func (d *Dashboard) createCampaign(q *req) error {
	r := q.r
	f := readCampaignForm(q)
	set, err := d.svc.Rules.Current(r.Context(), q.tenant.ID)
	if err != nil {
		return err
	}
	f.rule(setLocation(set.Set, q.tenant), set.Set) // the form's own problems, before writing
	if len(f.Errors) == 0 {
		// Added to the rules current when the write runs, so a campaign someone else adds at
		// the same moment is kept too.
		at := 0
		_, err := d.svc.Rules.Update(r.Context(), q.tenant.ID, q.actor(), service.AnyVersion, func(cur rules.Set) (rules.Set, error) {
			loc := setLocation(cur, q.tenant)
			next := cur
			next.Rules = append(slices.Clone(cur.Rules), f.rule(loc, cur))
			if next.TimeZone == "" {
				next.TimeZone = loc.String()
			}
			at = len(next.Rules) - 1
			return next, nil
		})
		if err != nil {
			if tenure.KindOf(err) != tenure.KindInvalid {
				return err
			}
			f.fieldsOf(err, at)
		}
	}
	if len(f.Errors) > 0 {
		return d.showCampaigns(q, http.StatusUnprocessableEntity, f)
	}
	redirect(q, "/admin/campaigns", "campaign-saved")
	return nil
}

// rule builds the campaign's rule from the form, noting the form's own problems.
func (f *campaignForm) rule(loc *time.Location, set rules.Set) rules.Rule {
	if f.Name == "" {
		f.Errors["name"] = "is required"
	}
	r := rules.Rule{ID: campaignID(f.Name, set), Name: f.Name}
	switch f.Effect {
	case "multiplier":
		x, err := strconv.ParseFloat(f.Multiplier, 64)
		if err != nil || !(x > 1) || x > 100 {
			f.Errors["multiplier"] = "must be a number above 1 and at most 100, such as 2 or 1.5"
		}
		r.Kind, r.Multiplier = rules.KindMultiplier, rules.BasisPoints(math.Round(x*float64(rules.OneX)))
		if f.Budget != "" {
			f.Errors["budget"] = "a multiplier has no budget of its own; give a bonus campaign one"
		}
	case "bonus":
		r.Kind, r.Event = rules.KindAction, tenure.OrderPaid
		r.Points = f.whole("bonus", f.Bonus, 1, rules.MaxRulePoints)
		if f.MinOrder != "" {
			least := f.whole("min_order", f.MinOrder, 1, int64(tenure.MaxMoney)/100)
			r.Condition = "order.subtotal >= " + strconv.FormatInt(least*100, 10)
		}
		if f.Budget != "" {
			r.Budget = f.whole("budget", f.Budget, 1, rules.MaxBudget)
		}
	default:
		f.Errors["effect"] = "choose a multiplier or a bonus"
	}
	r.StartsAt, r.EndsAt = f.instant("starts", f.Starts, loc), f.instant("ends", f.Ends, loc)
	if r.StartsAt != nil && r.EndsAt != nil && !r.EndsAt.After(*r.StartsAt) && f.Errors["ends"] == "" {
		f.Errors["ends"] = "must be after the start"
	}
	if len(f.Days) > 0 || f.FromHour != "" || f.ToHour != "" {
		s := &rules.Schedule{Days: f.Days}
		if f.FromHour != "" {
			s.FromHour = int(f.whole("hours", f.FromHour, 0, 23))
		}
		if f.ToHour != "" {
			s.ToHour = int(f.whole("hours", f.ToHour, 0, 24))
		}
		r.Schedule = s
	}
	if f.Holdout != "" {
		r.Holdout = rules.BasisPoints(f.whole("holdout", f.Holdout, 0, 50) * 100)
	}
	return r
}

// whole parses a whole number in [lo, hi] for a field.
func (f *campaignForm) whole(field, s string, lo, hi int64) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		f.Errors[field] = fmt.Sprintf("must be a whole number from %s to %s", num(lo), num(hi))
	}
	return n
}

// instant parses a datetime-local value in the set's time zone; empty is no bound.
func (f *campaignForm) instant(field, s string, loc *time.Location) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
	if err != nil {
		f.Errors[field] = "must be a date and time"
		return nil
	}
	t = t.UTC()
	return &t
}

// fieldsOf puts the rule set's validation problems about the new rule (index i) on the
// form fields they concern.
func (f *campaignForm) fieldsOf(err error, i int) {
	msgs, _ := fieldErrors(err)
	prefix := "rules[" + strconv.Itoa(i) + "]."
	byJSON := map[string]string{"id": "name", "name": "name", "multiplier_bp": "multiplier", "points": "bonus",
		"condition": "min_order", "starts_at": "starts", "ends_at": "ends", "budget": "budget", "holdout_bp": "holdout"}
	for field, msg := range msgs {
		key, ok := strings.CutPrefix(field, prefix)
		switch {
		case !ok:
			f.Errors[""] = strings.TrimSpace(f.Errors[""] + " " + field + ": " + msg)
		case strings.HasPrefix(key, "schedule.days"):
			f.Errors["days"] = msg
		case strings.HasPrefix(key, "schedule."):
			f.Errors["hours"] = msg
		case byJSON[key] != "":
			f.Errors[byJSON[key]] = msg
		default:
			f.Errors[""] = strings.TrimSpace(f.Errors[""] + " " + key + ": " + msg)
		}
	}
}

// campaignID derives a rule id from a name, unique in the set: "Black Friday" ->
// "campaign.black-friday", then "-2", "-3" ...
func campaignID(name string, set rules.Set) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	slug := strings.TrimSuffix(b.String(), "-")
	if slug == "" { // a name of symbols or another script
		slug = "unnamed"
	}
	base := "campaign." + slug
	if len(base) > 48 {
		base = strings.TrimSuffix(base[:48], "-")
	}
	taken := func(id string) bool {
		return slices.ContainsFunc(set.Rules, func(r rules.Rule) bool { return r.ID == id })
	}
	id := base
	for n := 2; taken(id); n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	return id
}

// endCampaign ends a running campaign now by giving its rule an end, or cancels a
// scheduled one by taking it out of the rules; either is saved as a new version of the
// rules (the history and explanations stay).
func (d *Dashboard) endCampaign(q *req) error {
	id := q.r.PathValue("id")
	now := d.svc.Clock.Now().UTC().Truncate(time.Second)
	cancelled := false
	_, err := d.svc.Rules.Update(q.r.Context(), q.tenant.ID, q.actor(), service.AnyVersion, func(cur rules.Set) (rules.Set, error) {
		i := slices.IndexFunc(cur.Rules, func(r rules.Rule) bool { return r.ID == id })
		if i < 0 || !isCampaign(cur.Rules[i]) {
			return cur, tenure.NotFound("dashboard.endCampaign", "campaign", id)
		}
		next := cur
		next.Rules = slices.Clone(cur.Rules)
		r := &next.Rules[i]
		if r.EndsAt != nil && !now.Before(*r.EndsAt) {
			return cur, &tenure.Error{Kind: tenure.KindConflict, Op: "dashboard.endCampaign", Message: "the campaign has already ended"}
		}
		if r.StartsAt != nil && !now.After(*r.StartsAt) {
			// A campaign that has not started is cancelled: it leaves the rules, and its
			// window stays as it was in the earlier versions (Restore brings it back).
			next.Rules = slices.Delete(next.Rules, i, i+1)
			cancelled = true
			return next, nil
		}
		r.EndsAt = &now
		return next, nil
	})
	if err != nil {
		return err
	}
	if cancelled {
		redirect(q, "/admin/campaigns", "campaign-cancelled")
		return nil
	}
	redirect(q, "/admin/campaigns", "campaign-ended")
	return nil
}

// readCampaignForm reads the new-campaign form, with the example order of its preview.
func readCampaignForm(q *req) campaignForm {
	r := q.r
	_ = r.ParseForm()
	return campaignForm{Name: strings.TrimSpace(r.PostFormValue("name")), Effect: r.PostFormValue("effect"),
		Multiplier: strings.TrimSpace(r.PostFormValue("multiplier")), Bonus: strings.TrimSpace(r.PostFormValue("bonus")),
		MinOrder: strings.TrimSpace(r.PostFormValue("min_order")), Starts: r.PostFormValue("starts"), Ends: r.PostFormValue("ends"),
		FromHour: strings.TrimSpace(r.PostFormValue("from_hour")), ToHour: strings.TrimSpace(r.PostFormValue("to_hour")),
		Budget: strings.TrimSpace(r.PostFormValue("budget")), Holdout: strings.TrimSpace(r.PostFormValue("holdout")),
		Days: r.PostForm["days"], Errors: map[string]string{},
		SampleAmount: strings.TrimSpace(r.PostFormValue("sample_amount")), SampleAt: r.PostFormValue("sample_at")}
}
