package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// The audit log in words: who by name, what by name with a link, and each change as the
// fields that changed since the same target's previous entry of the same kind (a diff),
// with filters by person, action and date.

// auditRow is one entry as the page shows it.
type auditRow struct {
	tenure.AuditEntry
	Who       string
	What      string // the target's name, or its id
	Link      string // the target's page, if it has one
	Changes   []auditChange
	Compared  bool // Changes are against the previous entry of the same action and target
	Truncated int  // fields left out of a long entry
}

// auditChange is one field of an entry's details: its path, the value before (when
// compared) and after.
type auditChange struct{ Field, Before, After string }

// auditFilter narrows the log; empty fields do not filter.
type auditFilter struct {
	Actor, Action, From, To string
}

// auditScan is how many of the newest entries a filtered page looks through.
const auditScan = 1000

// auditRows reads the log from before, keeps what the filter selects (at most limit), and
// describes each entry. next is the cursor of the next page, "" on the last.
func (d *Dashboard) auditRows(ctx context.Context, q *req, f auditFilter, before string, limit int) (rows []auditRow, next string, err error) {
	var from, to time.Time
	if f.From != "" {
		if from, err = time.Parse(time.DateOnly, f.From); err != nil {
			return nil, "", tenure.Invalid("dashboard.audit", "from", "must be a date")
		}
	}
	if f.To != "" {
		if to, err = time.Parse(time.DateOnly, f.To); err != nil {
			return nil, "", tenure.Invalid("dashboard.audit", "to", "must be a date")
		}
		to = to.AddDate(0, 0, 1)
	}
	var all []tenure.AuditEntry
	cursor := before
	for len(all) < auditScan {
		page, err := d.svc.Tenants.AuditLog(ctx, q.tenant.ID, cursor, 200)
		if err != nil {
			return nil, "", err
		}
		all = append(all, page...)
		if len(page) < 200 {
			break
		}
		cursor = page[len(page)-1].ID
	}
	names, err := d.actorNames(ctx, q)
	if err != nil {
		return nil, "", err
	}
	for i, e := range all {
		who := names[e.Actor]
		if who == "" {
			who = e.Actor
		}
		switch {
		case f.Actor != "" && !strings.Contains(strings.ToLower(who+" "+e.Actor), strings.ToLower(f.Actor)),
			f.Action != "" && !strings.HasPrefix(e.Action, f.Action),
			!from.IsZero() && e.CreatedAt.Before(from), !to.IsZero() && !e.CreatedAt.Before(to):
			continue
		}
		if len(rows) == limit {
			next = rows[len(rows)-1].ID
			break
		}
		row := auditRow{AuditEntry: e, Who: who}
		row.What, row.Link = d.auditTarget(ctx, q, e, names)
		var prev map[string]any
		for _, o := range all[i+1:] {
			if o.Action == e.Action && o.TargetType == e.TargetType && o.TargetID == e.TargetID {
				prev, row.Compared = o.Details, true
				break
			}
		}
		row.Changes, row.Truncated = changes(prev, e.Details, row.Compared)
		rows = append(rows, row)
	}
	return rows, next, nil
}

// actorNames maps "staff:<id>" to the staff member's name and email.
func (d *Dashboard) actorNames(ctx context.Context, q *req) (map[string]string, error) {
	staff, err := d.svc.Access.StaffList(ctx, q.tenant.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range staff {
		out[s.Actor()] = strings.TrimSpace(s.Name + " <" + s.Email + ">")
		out["staff:"+s.ID] = out[s.Actor()]
	}
	return out, nil
}

// auditTarget names an entry's target and links to its page.
func (d *Dashboard) auditTarget(ctx context.Context, q *req, e tenure.AuditEntry, names map[string]string) (string, string) {
	id := e.TargetID
	switch e.TargetType {
	case "member":
		if m, err := d.svc.Members.Get(ctx, q.tenant.ID, id); err == nil {
			return memberTitle(m) + " (" + m.ExternalID + ")", "/admin/members/" + url.PathEscape(m.ID)
		}
		return id, "/admin/members/" + url.PathEscape(id)
	case "reward":
		if r, err := d.svc.Rewards.Get(ctx, q.tenant.ID, id); err == nil {
			return r.Name, "/admin/rewards/" + url.PathEscape(id)
		}
	case "segment":
		return id, "/admin/segments/" + url.PathEscape(id)
	case "staff":
		if n := names["staff:"+id]; n != "" {
			return n, "/admin/settings/staff"
		}
		return id, "/admin/settings/staff"
	case "webhook":
		return id, "/admin/settings/webhooks/" + url.PathEscape(id)
	case "key":
		return id, "/admin/settings/keys"
	case "tenant":
		switch {
		case strings.HasPrefix(e.Action, "program."):
			return "program settings", "/admin/program/settings"
		case strings.HasPrefix(e.Action, "tiers."):
			return "tier ladder", "/admin/tiers"
		case strings.HasPrefix(e.Action, "rules."):
			return "earning rules", "/admin/program"
		}
		return "the store", ""
	}
	return id, ""
}

// maxChanges is how many fields one entry shows.
const maxChanges = 30

// changes lists the fields of an entry's details (nested objects as dotted paths); when
// compared with the previous entry, only those that changed, each with its old value.
func changes(before, after map[string]any, compared bool) ([]auditChange, int) {
	a, b := flatten(after), flatten(before)
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	if compared {
		for k := range b {
			if _, ok := a[k]; !ok {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	keys = slices.Compact(keys)
	var out []auditChange
	for _, k := range keys {
		if compared && a[k] == b[k] {
			continue
		}
		c := auditChange{Field: k, After: a[k]}
		if compared {
			c.Before = b[k]
		}
		out = append(out, c)
	}
	if len(out) > maxChanges {
		return out[:maxChanges], len(out) - maxChanges
	}
	return out, 0
}

// flatten writes nested details as "path" -> value text.
func flatten(m map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 && prefix != "" {
				out[prefix] = "{}"
			}
			for k, vv := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, vv)
			}
		case []any:
			if len(x) == 0 {
				out[prefix] = "[]"
			}
			for i, vv := range x {
				walk(fmt.Sprintf("%s[%d]", prefix, i), vv)
			}
		case nil:
			out[prefix] = "—"
		case string:
			out[prefix] = x
		default:
			b, _ := json.Marshal(x)
			out[prefix] = string(b)
		}
	}
	// Details come as decoded JSON, but normalise any typed value the same way.
	raw, _ := json.Marshal(m)
	var plain map[string]any
	_ = json.Unmarshal(raw, &plain)
	walk("", plain)
	return out
}
