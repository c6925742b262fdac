package dashboard

import (
	"errors"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// navEntry is one item of the menu, shown to staff whose role has perm.
type navEntry struct {
	label string
	path  string
	perm  service.Permission
}

// mainNav is the menu, in order. A new section (segments, flows, ...) adds an entry here
// and its routes in routes.go.
var mainNav = []navEntry{
	{label: "Overview", path: "/admin/", perm: service.PermViewOverview},
	{label: "Members", path: "/admin/members", perm: service.PermViewMembers},
	{label: "Subscriptions", path: "/admin/subscriptions", perm: service.PermViewMembers},
	{label: "Program", path: "/admin/program", perm: service.PermViewProgram},
	{label: "Rewards", path: "/admin/rewards", perm: service.PermViewProgram},
	{label: "Campaigns", path: "/admin/campaigns", perm: service.PermViewProgram},
	{label: "Tiers", path: "/admin/tiers", perm: service.PermViewProgram},
	{label: "Segments", path: "/admin/segments", perm: service.PermViewProgram},
	{label: "Analytics", path: "/admin/analytics", perm: service.PermViewOverview},
	{label: "Settings", path: "/admin/settings", perm: ""},
}

// settingsNav is the settings sub-menu; "Settings" shows when any of these is allowed.
var settingsNav = []navEntry{
	{label: "API keys", path: "/admin/settings/keys", perm: service.PermManageKeys},
	{label: "Webhooks", path: "/admin/settings/webhooks", perm: service.PermManageWebhooks},
	{label: "Shops", path: "/admin/settings/shops", perm: service.PermManageWebhooks},
	{label: "Staff", path: "/admin/settings/staff", perm: service.PermManageStaff},
	{label: "Audit log", path: "/admin/settings/audit", perm: service.PermViewAudit},
}

// navLink is a menu entry as a template shows it.
type navLink struct {
	Label   string
	Path    string
	Current bool
}

// nav returns the menu entries the signed-in staff member may open, marking the current
// section.
func (d *Dashboard) nav(q *req) []navLink {
	var out []navLink
	p := q.r.URL.Path
	for _, e := range mainNav {
		if e.path == "/admin/settings" {
			if len(d.settingsLinks(q)) == 0 {
				continue
			}
		} else if !q.staff.Role.Can(e.perm) {
			continue
		}
		cur := p == e.path || (e.path != "/admin/" && strings.HasPrefix(p, e.path+"/"))
		out = append(out, navLink{Label: e.label, Path: e.path, Current: cur})
	}
	return out
}

// settingsLinks returns the settings pages the staff member may open.
func (d *Dashboard) settingsLinks(q *req) []navLink {
	var out []navLink
	for _, e := range settingsNav {
		if q.staff.Role.Can(e.perm) {
			out = append(out, navLink{Label: e.label, Path: e.path, Current: strings.HasPrefix(q.r.URL.Path, e.path)})
		}
	}
	return out
}

func forbidden(msg string) error {
	return &tenure.Error{Kind: tenure.KindForbidden, Op: "dashboard", Message: msg}
}

// fieldErrors turns a validation error into messages by field for a form; other errors
// are returned for the caller to fail with.
func fieldErrors(err error) (map[string]string, error) {
	var e *tenure.Error
	if !errors.As(err, &e) || (e.Kind != tenure.KindInvalid && e.Kind != tenure.KindConflict) {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range e.Fields {
		if out[f.Field] != "" {
			out[f.Field] += "; "
		}
		out[f.Field] += f.Message
	}
	if len(e.Fields) == 0 {
		out[""] = e.Message
	}
	return out, nil
}
