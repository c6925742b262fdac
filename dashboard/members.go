package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/segments"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/tiers"
)

// membersData is the member list with its search.
type membersData struct {
	Query     string
	By        string // any, email, id, tag
	Tier      string // filters: a tier key, a segment key and a lifecycle stage
	Segment   string
	Lifecycle string
	Stages    []string
	CSV       string // the URL of the list as CSV
	Tiers     []tiers.Tier
	Segments  []segments.Segment
	Glances   map[string]tenure.MemberGlance // points and tier by member id
	TierNames map[string]string
	MatchedBy string
	Total     int // members a name search matched in all; 0 when not counted
	Members   []tenure.Member
	Next      string // URL of the next page, empty on the last
	First     string // URL of the first page, empty on it
}

func (d *Dashboard) members(q *req) error {
	ctx := q.r.Context()
	v := q.r.URL.Query()
	data := membersData{Query: strings.TrimSpace(v.Get("q")), By: v.Get("by"), Tier: v.Get("tier"), Segment: v.Get("segment"),
		Lifecycle: v.Get("lifecycle"), Stages: lifecycleStages}
	if !slices.Contains([]string{"email", "id", "tag", "name"}, data.By) {
		data.By = "any"
	}
	cfg, err := d.svc.Tiers.Config(ctx, q.tenant.ID)
	if err != nil {
		return err
	}
	if data.Segments, err = d.svc.Segments.List(ctx, q.tenant.ID); err != nil {
		return err
	}
	data.Tiers = cfg.Tiers
	f := tenure.MemberFilter{After: v.Get("after"), Limit: 25, Tier: data.Tier, Segment: data.Segment}
	var next string
	switch {
	case data.Lifecycle != "":
		// The members behind a count on the analytics page: judged now, listed in pages.
		data.Members, next, data.Total, err = d.memberRows(ctx, q, data, f)
		data.MatchedBy = "filter"
	case data.Query == "":
		data.Members, next, err = d.svc.Members.List(ctx, q.tenant.ID, f)
		if data.Tier != "" || data.Segment != "" {
			data.MatchedBy = "filter"
		}
	case data.By == "any" && tenure.HasPrefix(data.Query, tenure.PrefixMember):
		var m tenure.Member
		if m, err = d.svc.Members.Get(ctx, q.tenant.ID, data.Query); err == nil {
			data.Members, data.MatchedBy = []tenure.Member{m}, "Tenure id"
		} else if tenure.KindOf(err) == tenure.KindNotFound {
			err = nil
		}
	default:
		if data.By != "name" {
			data.Members, next, data.MatchedBy, err = d.searchMembers(ctx, q.tenant.ID, data.Query, data.By, f)
		}
		// Not an exact email, id or tag: a name or part of an email, accents aside.
		if err == nil && len(data.Members) == 0 && (data.By == "any" || data.By == "name") {
			var found service.MemberSearch
			if found, err = d.svc.Members.Search(ctx, q.tenant.ID, data.Query, f.After, f.Limit); err == nil {
				data.Members, next, data.Total, data.MatchedBy = found.Members, found.Next, found.Total, "name or email"
			}
		}
	}
	if err != nil {
		return err
	}
	ids := make([]string, len(data.Members))
	for i, m := range data.Members {
		ids[i] = m.ID
	}
	if data.Glances, err = d.svc.Members.Glances(ctx, q.tenant.ID, ids); err != nil {
		return err
	}
	data.TierNames = map[string]string{}
	for _, t := range data.Tiers {
		data.TierNames[t.Key] = t.Name
	}
	// Page links keep the search and the filters.
	page := url.Values{}
	for k, val := range map[string]string{"q": data.Query, "tier": data.Tier, "segment": data.Segment, "lifecycle": data.Lifecycle} {
		if val != "" {
			page.Set(k, val)
		}
	}
	if data.Query != "" {
		page.Set("by", data.By)
	}
	if f.After != "" {
		data.First = "/admin/members?" + page.Encode()
	}
	data.CSV = "/admin/members.csv?" + page.Encode()
	if next != "" {
		page.Set("after", next)
		data.Next = "/admin/members?" + page.Encode()
	}
	d.render(q, http.StatusOK, "members", "Members", data)
	return nil
}

// searchMembers looks a query up by email, the store's id or a tag; "any" tries the
// likely ones in turn and says which matched.
func (d *Dashboard) searchMembers(ctx context.Context, tenantID, query, by string, f tenure.MemberFilter) ([]tenure.Member, string, string, error) {
	tries := []string{by}
	if by == "any" {
		tries = []string{"id", "tag"}
		if strings.Contains(query, "@") {
			tries = []string{"email"}
		}
	}
	names := map[string]string{"email": "email", "id": "your customer id", "tag": "tag"}
	for _, how := range tries {
		g := f
		switch how {
		case "email":
			g.Email = query
		case "id":
			g.ExternalID = query
		case "tag":
			g.Tag = query
		}
		ms, next, err := d.svc.Members.List(ctx, tenantID, g)
		if err != nil || len(ms) > 0 {
			return ms, next, names[how], err
		}
	}
	return nil, "", "", nil
}

// memberData is the member's 360° page.
type memberData struct {
	Member                   tenure.Member
	Balances                 service.Balances
	Currency                 string
	Entries                  []entryView
	OlderURL                 string
	Events                   []tenure.EventResult
	Timeline                 []tenure.EventResult // one page of the timeline of events, newest first
	NewerEvents, OlderEvents string               // URLs of the timeline's neighbouring pages
	Orders                   []*tenure.Order
	Coupons                  []rewards.Coupon
	Standing                 service.Standing
	Adjust                   adjustForm
	Tiers                    []tiers.Tier // the ladder, for the manual assignment form
	TierForm                 tierForm
	Attributes               [][2]string
	OrderCount               int64
	Actors                   map[string]string // "staff:<id>" -> email, for entries made in the dashboard
}

// entryView is a ledger entry with the event that caused it, if any.
type entryView struct {
	tenure.Entry
	Event *tenure.EventResult
}

// adjustForm is the manual adjustment form, kept on a validation error.
type adjustForm struct {
	Wallet string
	Amount string
	Reason string
	Key    string // idempotency key: a double submit adjusts once
	Errors map[string]string
}

func (d *Dashboard) member(q *req) error {
	data, err := d.memberData(q.r.Context(), q, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	data.Adjust = adjustForm{Wallet: "points", Key: randomToken()}
	d.render(q, http.StatusOK, "member", memberTitle(data.Member), data)
	return nil
}

func memberTitle(m tenure.Member) string {
	name := strings.TrimSpace(m.FirstName + " " + m.LastName)
	if name == "" {
		name = m.Email
	}
	if name == "" {
		name = m.ExternalID
	}
	return name
}

// memberData loads the 360° view: profile, balances, the newest ledger entries with the
// events behind them and their rule explanations, recent orders and coupons.
func (d *Dashboard) memberData(ctx context.Context, q *req, ref string) (data memberData, err error) {
	tid := q.tenant.ID
	data.Currency = q.tenant.Program.Currency
	if data.Member, err = d.svc.Members.Get(ctx, tid, ref); err != nil {
		return data, err
	}
	m := data.Member
	if data.Balances, err = d.svc.Members.Balance(ctx, tid, m.ID); err != nil {
		return data, err
	}
	before := q.r.URL.Query().Get("before")
	entries, next, err := d.svc.Members.History(ctx, tid, m.ID, tenure.Points, before, 50)
	if err != nil {
		return data, err
	}
	if next != "" {
		data.OlderURL = "/admin/members/" + url.PathEscape(m.ID) + "?before=" + url.QueryEscape(next) + "#ledger"
	}
	if data.Events, _, err = d.svc.Members.Events(ctx, tid, m.ID, "", 200); err != nil {
		return data, err
	}
	byID := map[string]*tenure.EventResult{}
	for i := range data.Events { // entries name an event by the store's id
		byID[data.Events[i].EventID] = &data.Events[i]
		byID[data.Events[i].ID] = &data.Events[i]
	}
	for _, e := range entries {
		v := entryView{Entry: e}
		if e.CauseType == "event" {
			v.Event = byID[e.CauseID]
		}
		data.Entries = append(data.Entries, v)
	}
	if err = d.timeline(ctx, q, &data); err != nil {
		return data, err
	}
	if data.Orders, data.OrderCount, err = d.svc.Members.Orders(ctx, tid, m.ID, 10); err != nil {
		return data, err
	}
	if data.Coupons, _, err = d.svc.Rewards.MemberCoupons(ctx, tid, m.ID, "", "", 20); err != nil {
		return data, err
	}
	if data.Standing, err = d.svc.Members.Standing(ctx, tid, m.ID); err != nil {
		return data, err
	}
	if q.staff.Role.Can(service.PermAdjustPoints) {
		cfg, err := d.svc.Tiers.Config(ctx, tid)
		if err != nil {
			return data, err
		}
		data.Tiers = cfg.Tiers
		if t := data.Standing.Tier; t != nil && t.Manual != nil {
			data.TierForm.Tier = t.Manual.Tier
		}
	}
	staff, err := d.svc.Access.StaffList(ctx, tid)
	if err != nil {
		return data, err
	}
	data.Actors = map[string]string{}
	for _, s := range staff {
		data.Actors[s.Actor()] = s.Email
	}
	for k, v := range m.Attributes {
		data.Attributes = append(data.Attributes, [2]string{k, attrText(v)})
	}
	slices.SortFunc(data.Attributes, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return data, nil
}

// attrText shows an attribute value: strings as they are, anything else as JSON.
func attrText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// adjust applies a manual adjustment with a required reason; the service records it in
// the audit log with the staff member as actor.
func (d *Dashboard) adjust(q *req) error {
	r := q.r
	id := r.PathValue("id")
	form := adjustForm{Wallet: r.PostFormValue("wallet"), Amount: strings.TrimSpace(r.PostFormValue("amount")),
		Reason: r.PostFormValue("reason"), Key: r.PostFormValue("key")}
	op := service.LedgerOp{Wallet: tenure.Wallet(form.Wallet), Reason: form.Reason}
	amount, perr := strconv.ParseInt(form.Amount, 10, 64)
	var err error
	if perr != nil {
		err = tenure.Invalid("dashboard.adjust", "amount", "must be a whole number, negative to take away")
	} else {
		op.Amount = amount
		key := ""
		if form.Key != "" {
			key = "dashboard-adjust-" + form.Key
		}
		_, err = d.svc.Intake.Adjust(r.Context(), q.tenant.ID, q.actor(), id, key, op)
	}
	if err == nil {
		redirect(q, "/admin/members/"+url.PathEscape(id), "adjusted")
		return nil
	}
	if form.Errors, err = fieldErrors(err); err != nil {
		return err
	}
	return d.memberFormError(q, id, func(data *memberData) { data.Adjust = form })
}

// memberFormError shows a member's page again with a form's problems, which keep sets on
// the page's data (422: the form was understood, its content refused).
func (d *Dashboard) memberFormError(q *req, id string, keep func(*memberData)) error {
	data, err := d.memberData(q.r.Context(), q, id)
	if err != nil {
		return err
	}
	keep(&data)
	d.render(q, http.StatusUnprocessableEntity, "member", memberTitle(data.Member), data)
	return nil
}

// timelinePage is how many events one page of a member's timeline shows.
const timelinePage = 20

// timeline loads one page of the member's events, newest first: ?events=<cursor> names
// the page, and the page links keep the ledger's own cursor.
func (d *Dashboard) timeline(ctx context.Context, q *req, data *memberData) error {
	v := q.r.URL.Query()
	cursor := v.Get("events")
	evs, next, err := d.svc.Members.Events(ctx, q.tenant.ID, data.Member.ID, cursor, timelinePage)
	if err != nil {
		return err
	}
	data.Timeline = evs
	link := func(c string) string {
		u := url.Values{}
		if b := v.Get("before"); b != "" {
			u.Set("before", b)
		}
		if c != "" {
			u.Set("events", c)
		}
		s := "/admin/members/" + url.PathEscape(data.Member.ID)
		if len(u) > 0 {
			s += "?" + u.Encode()
		}
		return s + "#events-title"
	}
	if next != "" {
		data.OlderEvents = link(next)
	}
	if cursor != "" {
		data.NewerEvents = link("")
	}
	return nil
}
