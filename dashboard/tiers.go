package dashboard

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/tiers"
)

// tiersData is the tiers page: the ladder with how many members hold each tier, and the
// ladder as JSON for those who may change it.
type tiersData struct {
	Config   service.TierConfig
	Currency string
	Rule     string // how a tier is earned, in words
	Rows     []tierRow
	NoTier   int64
	Members  int64
	Text     string
	Errors   []ruleError
	Base     string // the version the editor started from
}

// tierRow is one rung of the ladder as the table shows it.
type tierRow struct {
	Rank       int
	Tier       tiers.Tier
	Threshold  string
	Multiplier string
	Benefits   []string
	Members    int64
	Share      float64
}

func (d *Dashboard) tiers(q *req) error {
	data, err := d.tiersData(q)
	if err != nil {
		return err
	}
	text, _ := json.MarshalIndent(data.Config.Ladder, "", "  ")
	data.Text = string(text)
	d.render(q, http.StatusOK, "tiers", "Tiers", data)
	return nil
}

func (d *Dashboard) tiersData(q *req) (data tiersData, err error) {
	ctx := q.r.Context()
	if data.Config, err = d.svc.Tiers.Config(ctx, q.tenant.ID); err != nil {
		return data, err
	}
	counts, err := d.svc.Tiers.Membership(ctx, q.tenant.ID)
	if err != nil {
		return data, err
	}
	data.Base = strconv.FormatInt(data.Config.Version, 10)
	if q.r.Method == http.MethodPost {
		data.Base = q.r.PostFormValue("version")
	}
	data.Currency = q.tenant.Program.Currency
	l := data.Config.Ladder
	data.Rule = metricText(l.Metric) + " " + windowText(l.Window)
	for _, n := range counts {
		data.Members += n
	}
	data.NoTier = counts[""]
	for i, t := range l.Tiers {
		row := tierRow{Rank: i + 1, Tier: t, Threshold: thresholdText(l.Metric, t.Threshold, data.Currency),
			Multiplier: multiplierText(t.Benefits.EarnMultiplierBP), Benefits: benefitsText(t.Benefits), Members: counts[t.Key]}
		if data.Members > 0 {
			row.Share = float64(row.Members) / float64(data.Members)
		}
		data.Rows = append(data.Rows, row)
	}
	return data, nil
}

// saveTiers stores the ladder typed in the editor as a new version; every member it may
// move is re-evaluated by a job. Problems are shown with their line and nothing is saved;
// a ladder saved by someone else since the editor opened is a conflict (409).
func (d *Dashboard) saveTiers(q *req) error {
	text := q.r.PostFormValue("tiers")
	base, err := formVersion("dashboard.saveTiers", q.r.PostFormValue("version"))
	if err != nil {
		return err
	}
	var ladder tiers.Ladder
	errs := decodeStrict("tiers", text, &ladder)
	if errs == nil {
		if _, err := d.svc.Tiers.SaveIf(q.r.Context(), q.tenant.ID, q.actor(), base, ladder); err != nil {
			if tenure.KindOf(err) != tenure.KindInvalid {
				return err
			}
			errs = locate("tiers", text, err)
		}
	}
	if errs == nil {
		redirect(q, "/admin/tiers", "tiers-saved")
		return nil
	}
	data, err := d.tiersData(q)
	if err != nil {
		return err
	}
	data.Text, data.Errors = text, errs
	d.render(q, http.StatusUnprocessableEntity, "tiers", "Tiers", data)
	return nil
}

// tierForm is the manual tier assignment form on a member's page.
type tierForm struct {
	Tier, Expires, Reason string
	Errors                map[string]string
}

// assignTier sets or removes a member's manual tier. The expiry is a date in the store's
// time zone: the assignment ends at the start of that day.
func (d *Dashboard) assignTier(q *req) error {
	r := q.r
	id := r.PathValue("id")
	form := tierForm{Tier: r.PostFormValue("tier"), Expires: strings.TrimSpace(r.PostFormValue("expires")), Reason: r.PostFormValue("reason")}
	a := service.TierAssignment{Tier: form.Tier, Reason: form.Reason}
	var err error
	if form.Expires != "" {
		loc, lerr := time.LoadLocation(q.tenant.Program.TimeZone)
		if lerr != nil {
			loc = time.UTC
		}
		day, perr := time.ParseInLocation(time.DateOnly, form.Expires, loc)
		if perr != nil {
			err = tenure.Invalid("dashboard.assignTier", "expires_at", "must be a date")
		}
		a.ExpiresAt = &day
	}
	if err == nil {
		_, err = d.svc.Tiers.Assign(r.Context(), q.tenant.ID, q.actor(), id, a)
	}
	if err == nil {
		done := "tier-assigned"
		if a.Tier == "" {
			done = "tier-unassigned"
		}
		redirect(q, "/admin/members/"+url.PathEscape(id), done)
		return nil
	}
	if form.Errors, err = fieldErrors(err); err != nil {
		return err
	}
	return d.memberFormError(q, id, func(data *memberData) { data.TierForm = form })
}

func metricText(m tiers.Metric) string {
	switch m {
	case tiers.PointsEarned:
		return "points earned"
	case tiers.Spend:
		return "spend"
	case tiers.Orders:
		return "orders"
	}
	return string(m)
}

func windowText(w tiers.Window) string {
	switch w {
	case tiers.CalendarYear:
		return "in the calendar year"
	case tiers.Rolling12Months:
		return "in the last 12 months"
	case tiers.Lifetime:
		return "ever"
	}
	return string(w)
}

func thresholdText(m tiers.Metric, n int64, currency string) string {
	switch m {
	case tiers.Spend:
		return money(n, currency)
	case tiers.Orders:
		return num(n) + " orders"
	}
	return num(n) + " points"
}

// multiplierText writes basis points as a store owner does: 15000 -> "x1.5".
func multiplierText(bp int64) string {
	if bp == 0 {
		bp = tiers.OneX
	}
	return "x" + strconv.FormatFloat(float64(bp)/tiers.OneX, 'f', -1, 64)
}

func benefitsText(b tiers.Benefits) []string {
	var out []string
	for _, f := range []struct {
		on   bool
		text string
	}{{b.FreeShipping, "free shipping"}, {b.EarlyAccess, "early access"}, {b.ExclusiveRewards, "exclusive rewards"},
		{b.BirthdayGift, "birthday gift"}, {b.PersonalAdviser, "personal adviser"}} {
		if f.on {
			out = append(out, f.text)
		}
	}
	return out
}
