package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/segments"
	"github.com/tenure-loyalty/tenure/tiers"
)

// rewardsData is the rewards catalog page: the list and the form that adds or edits a
// reward with every field a marketer sets, money typed in the store's currency. The same
// definition is offered as JSON for those who prefer it.
type rewardsData struct {
	Rewards  []rewards.Reward
	Types    []rewards.Type
	Currency string
	Money    moneyStyle
	Tiers    []tiers.Tier
	Segments []segments.Segment
	Form     rewardForm
	Editing  *rewards.Reward
}

// rewardForm is the reward form as typed, kept on a refusal. Money fields hold what was
// typed ("15,00"); Confirm holds the amounts the marketer confirmed despite the warning
// that they look typed in minor units.
type rewardForm struct {
	Name, Description, Type, Cost, Value, Percent, ProductID, MaxPoints, MinOrder string
	Stock, PerMemberLimit, ValidDays, From, Until, CodePattern                    string
	Tiers, Segments                                                               []string
	ReturnOnExpiry                                                                bool
	Confirm                                                                       map[string]string // field -> the amount confirmed
	Suggest                                                                       map[string]string // field -> the amount it was probably meant to be
	JSON                                                                          string
	Errors                                                                        map[string]string
}

// MoneyStyle returns the data attributes app.js formats money with (for templates).
func (s moneyStyle) Attrs() map[string]string {
	return map[string]string{"symbol": s.symbol, "before": strconv.FormatBool(s.before), "group": s.group, "decimal": s.decimal, "digits": strconv.Itoa(s.digits)}
}

func (d *Dashboard) rewards(q *req) error {
	f := rewardForm{Type: string(rewards.FixedDiscount), ValidDays: "90"}
	f.JSON = jsonText(rewards.RewardDefinition{Type: rewards.FixedDiscount, ValidDays: 90})
	return d.showRewards(q, http.StatusOK, rewardsData{Form: f})
}

// editReward shows the form filled with a reward's definition.
func (d *Dashboard) editReward(q *req) error {
	rw, err := d.svc.Rewards.Get(q.r.Context(), q.tenant.ID, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.showRewards(q, http.StatusOK, rewardsData{Editing: &rw, Form: formOfReward(rw.RewardDefinition, q.tenant)})
}

func (d *Dashboard) showRewards(q *req, status int, data rewardsData) error {
	ctx := q.r.Context()
	rs, _, err := d.svc.Rewards.List(ctx, q.tenant.ID, false, "", 200)
	if err != nil {
		return err
	}
	cfg, err := d.svc.Tiers.Config(ctx, q.tenant.ID)
	if err != nil {
		return err
	}
	if data.Segments, err = d.svc.Segments.List(ctx, q.tenant.ID); err != nil {
		return err
	}
	data.Rewards, data.Types, data.Tiers = rs, rewards.Types, cfg.Tiers
	data.Currency = q.tenant.Program.Currency
	data.Money = styleOf(data.Currency)
	title := "Rewards"
	if data.Editing != nil {
		title = "Edit " + data.Editing.Name
	}
	d.render(q, status, "rewards", title, data)
	return nil
}

func (d *Dashboard) createReward(q *req) error { return d.saveReward(q, "") }

func (d *Dashboard) updateReward(q *req) error { return d.saveReward(q, q.r.PathValue("id")) }

// saveReward adds (id "") or changes a reward from the form, or from its JSON when the
// JSON button was used. Money is read in major units; an amount that looks typed in
// minor units is asked about once, with what it probably meant.
func (d *Dashboard) saveReward(q *req, id string) error {
	r := q.r
	var editing *rewards.Reward
	if id != "" {
		rw, err := d.svc.Rewards.Get(r.Context(), q.tenant.ID, id)
		if err != nil {
			return err
		}
		editing = &rw
	}
	f := readRewardForm(q)
	var def rewards.RewardDefinition
	if r.PostFormValue("mode") == "json" {
		if errs := decodeStrict("reward", f.JSON, &def); errs != nil {
			f.Errors = map[string]string{"json": "line " + strconv.Itoa(errs[0].Line) + ": " + errs[0].Message}
			return d.showRewards(q, http.StatusUnprocessableEntity, rewardsData{Form: f, Editing: editing})
		}
		f = formOfReward(def, q.tenant)
		f.JSON = r.PostFormValue("definition")
	} else {
		def = f.definition(q.tenant)
	}
	if len(f.Errors) == 0 {
		var rw rewards.Reward
		var err error
		if editing != nil {
			// The editor started from the version in the form: saving over a newer one
			// would lose someone else's change (409, reload).
			base := editing.Version
			if v, perr := strconv.ParseInt(r.PostFormValue("version"), 10, 64); perr == nil {
				base = v
			}
			rw, err = d.svc.Rewards.UpdateIf(r.Context(), q.tenant.ID, q.actor(), id, base, def)
		} else {
			rw, err = d.svc.Rewards.Create(r.Context(), q.tenant.ID, q.actor(), def)
		}
		if err == nil {
			done := "reward-created"
			if editing != nil {
				done = "reward-saved"
			}
			_ = rw
			redirect(q, "/admin/rewards", done)
			return nil
		}
		if tenure.KindOf(err) == tenure.KindConflict && editing != nil {
			return &tenure.Error{Kind: tenure.KindConflict, Op: "dashboard.saveReward",
				Message: "someone saved this reward after you opened it: reload it to see their change, then make yours again"}
		}
		msgs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		f.Errors = map[string]string{}
		for k, v := range msgs {
			f.Errors[rewardField(k)] = v
		}
	}
	if f.JSON == "" {
		f.JSON = jsonText(def)
	}
	return d.showRewards(q, http.StatusUnprocessableEntity, rewardsData{Form: f, Editing: editing})
}

// rewardField maps a definition's field ("min_order", "stock") to the form field it is
// typed in; they share names but for the dates.
func rewardField(f string) string {
	switch f {
	case "available_from":
		return "from"
	case "available_until":
		return "until"
	case "return_points_on_expiry":
		return "return_on_expiry"
	}
	return f
}

func readRewardForm(q *req) rewardForm {
	r := q.r
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := rewardForm{Name: v("name"), Description: v("description"), Type: v("type"), Cost: v("cost"), Value: v("value"),
		Percent: v("percent"), ProductID: v("product_id"), MaxPoints: v("max_points"), MinOrder: v("min_order"), Stock: v("stock"),
		PerMemberLimit: v("per_member_limit"), ValidDays: v("valid_days"), From: v("from"), Until: v("until"), CodePattern: v("code_pattern"),
		Tiers: r.PostForm["tiers"], Segments: r.PostForm["segments"], ReturnOnExpiry: r.PostFormValue("return_on_expiry") == "on",
		JSON: r.PostFormValue("definition"), Confirm: map[string]string{}, Suggest: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"value", "min_order"} {
		if c := r.PostFormValue("confirm_" + k); c != "" {
			f.Confirm[k] = c
		}
		if use := v("use_" + k); use != "" { // "Use 15,00 zł" on the warning
			switch k {
			case "value":
				f.Value = use
			case "min_order":
				f.MinOrder = use
			}
		}
	}
	return f
}

// definition builds the reward from the form, noting the form's own problems.
func (f *rewardForm) definition(t tenure.Tenant) rewards.RewardDefinition {
	cur := t.Program.Currency
	if f.Errors == nil {
		f.Errors, f.Suggest, f.Confirm = map[string]string{}, map[string]string{}, map[string]string{}
	}
	def := rewards.RewardDefinition{Name: f.Name, Description: f.Description, Type: rewards.Type(f.Type), ProductID: f.ProductID,
		Tiers: f.Tiers, Segments: f.Segments, ReturnOnExpiry: f.ReturnOnExpiry, CodePattern: f.CodePattern}
	def.Cost = f.whole("cost", f.Cost)
	def.Percent = f.whole("percent", f.Percent)
	def.MaxPoints = f.whole("max_points", f.MaxPoints)
	def.PerMemberLimit = f.whole("per_member_limit", f.PerMemberLimit)
	def.ValidDays = int(f.whole("valid_days", f.ValidDays))
	if f.Stock != "" {
		n := f.whole("stock", f.Stock)
		def.Stock = &n
	}
	// The value is worth comparing with what the points cost the store.
	worth := def.Cost * t.Program.PointValue / 1_000_000
	if def.Type == rewards.PointsDiscount {
		worth = 0
	}
	def.Value = f.money("value", f.Value, worth, cur)
	def.MinOrder = f.money("min_order", f.MinOrder, 100*pow10(styleOf(cur).digits), cur)
	loc := time.UTC
	if l, err := time.LoadLocation(t.Program.TimeZone); err == nil && t.Program.TimeZone != "" {
		loc = l
	}
	def.AvailableFrom = f.day("from", f.From, loc, 0)
	def.AvailableUntil = f.day("until", f.Until, loc, 1) // through the whole day typed
	return def
}

// whole reads a whole number; empty is zero.
func (f *rewardForm) whole(field, s string) int64 {
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(strings.NewReplacer(" ", "", nbsp, "", ",", "").Replace(s), 10, 64)
	if err != nil || n < 0 {
		f.Errors[field] = "must be a whole number, 0 or more"
	}
	return n
}

// money reads an amount in major units; empty is zero. An amount that looks typed in
// minor units (see unlikelyMinorUnits) is refused once with a suggestion, unless the
// marketer confirmed that very amount.
func (f *rewardForm) money(field, s string, worth int64, cur string) int64 {
	if s == "" {
		return 0
	}
	minor, msg := parseMoney(s, cur)
	if msg != "" {
		f.Errors[field] = msg
		return 0
	}
	if unlikelyMinorUnits(minor, worth, cur) && f.Confirm[field] != s {
		meant := minor / pow10(styleOf(cur).digits)
		f.Suggest[field] = moneyInput(meant, cur)
		f.Errors[field] = "did you mean " + money(meant, cur) + "? Amounts are typed in " + styleOf(cur).symbol + ", not in hundredths: " + s + " is " + money(minor, cur)
	}
	return minor
}

// day reads a date (YYYY-MM-DD) as the start of that day in the store's time zone, plus
// days; empty is no bound.
func (f *rewardForm) day(field, s string, loc *time.Location, plus int) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		f.Errors[field] = "must be a date"
		return nil
	}
	t = t.AddDate(0, 0, plus).UTC()
	return &t
}

// formOfReward fills the form from a definition.
func formOfReward(def rewards.RewardDefinition, t tenure.Tenant) rewardForm {
	cur := t.Program.Currency
	loc := time.UTC
	if l, err := time.LoadLocation(t.Program.TimeZone); err == nil && t.Program.TimeZone != "" {
		loc = l
	}
	n := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	f := rewardForm{Name: def.Name, Description: def.Description, Type: string(def.Type), Cost: strconv.FormatInt(def.Cost, 10),
		Value: moneyInput(def.Value, cur), Percent: n(def.Percent), ProductID: def.ProductID, MaxPoints: n(def.MaxPoints),
		MinOrder: moneyInput(def.MinOrder, cur), PerMemberLimit: n(def.PerMemberLimit), ValidDays: n(int64(def.ValidDays)),
		Tiers: slices.Clone(def.Tiers), Segments: slices.Clone(def.Segments), ReturnOnExpiry: def.ReturnOnExpiry,
		JSON: jsonText(def), Errors: map[string]string{}}
	if def.CodeSource == rewards.CodesPattern && def.CodePattern != "********" {
		f.CodePattern = def.CodePattern
	}
	if def.Stock != nil {
		f.Stock = strconv.FormatInt(*def.Stock, 10)
	}
	if def.AvailableFrom != nil {
		f.From = def.AvailableFrom.In(loc).Format("2006-01-02")
	}
	if def.AvailableUntil != nil {
		f.Until = def.AvailableUntil.In(loc).Add(-time.Nanosecond).Format("2006-01-02")
	}
	return f
}

// archiveReward takes a reward out of the catalog: members can no longer redeem it; the
// coupons already issued stay valid.
func (d *Dashboard) archiveReward(q *req) error {
	if _, err := d.svc.Rewards.Archive(q.r.Context(), q.tenant.ID, q.actor(), q.r.PathValue("id")); err != nil {
		return err
	}
	redirect(q, "/admin/rewards", "reward-archived")
	return nil
}
