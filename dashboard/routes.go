package dashboard

import (
	"net/http"
	"strings"

	"github.com/tenure-loyalty/tenure/service"
)

// route is one dashboard endpoint: who may call it and what answers. Every state change
// is a POST; GETs never write.
type route struct {
	method  string
	pattern string
	perm    service.Permission // "" for any signed-in staff member
	public  bool               // no session needed (sign-in only)
	handle  func(*req) error
	params  []string // the pattern's path parameters, filled in by pathParams
	// repeatable marks a POST that changes nothing (a dry run, a backtest): it may be sent
	// again as often as wanted, so its form key is not claimed.
	repeatable bool
}

// pathParams names the {parameters} of each route's pattern, for the input check.
func pathParams(routes []route) {
	for i, rt := range routes {
		for _, seg := range strings.Split(rt.pattern, "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok && seg != "{$}" {
				routes[i].params = append(routes[i].params, strings.TrimSuffix(strings.TrimSuffix(name, "}"), "..."))
			}
		}
	}
}

// table lists every dashboard route, top to bottom. A new page adds its routes here and,
// if it should appear in the menu, an entry in nav.go.
func (d *Dashboard) table() []route {
	const (
		overview = service.PermViewOverview
		members  = service.PermViewMembers
		adjust   = service.PermAdjustPoints
		program  = service.PermViewProgram
		edit     = service.PermEditProgram
		keys     = service.PermManageKeys
		webhooks = service.PermManageWebhooks
		staff    = service.PermManageStaff
		audit    = service.PermViewAudit
	)
	return []route{
		{method: "GET", pattern: "/admin/login", public: true, handle: d.loginForm},
		{method: "POST", pattern: "/admin/login", public: true, handle: d.login},
		{method: "POST", pattern: "/admin/logout", handle: d.logout},

		{method: "GET", pattern: "/admin/{$}", perm: overview, handle: d.overview},

		{method: "GET", pattern: "/admin/analytics", perm: overview, handle: d.analytics},
		{method: "GET", pattern: "/admin/analytics/{file}", perm: overview, handle: d.analyticsCSV},

		{method: "GET", pattern: "/admin/members", perm: members, handle: d.members},
		{method: "GET", pattern: "/admin/members.csv", perm: members, handle: d.membersCSV},
		{method: "GET", pattern: "/admin/members/{id}", perm: members, handle: d.member},
		{method: "GET", pattern: "/admin/subscriptions", perm: members, handle: d.subscriptions},
		{method: "GET", pattern: "/admin/subscriptions/{id}", perm: members, handle: d.subscriptionPage},
		{method: "POST", pattern: "/admin/members/{id}/adjust", perm: adjust, handle: d.adjust},
		{method: "POST", pattern: "/admin/members/{id}/tier", perm: adjust, handle: d.assignTier},

		{method: "GET", pattern: "/admin/program", perm: program, handle: d.program},
		{method: "POST", pattern: "/admin/program/rules", perm: edit, handle: d.saveRules},
		{method: "GET", pattern: "/admin/program/settings", perm: program, handle: d.programSettings},
		{method: "POST", pattern: "/admin/program/settings", perm: edit, handle: d.saveProgramSettings},
		{method: "POST", pattern: "/admin/program/dry-run", perm: edit, handle: d.dryRun, repeatable: true},
		{method: "POST", pattern: "/admin/program/backtest", perm: edit, handle: d.backtest, repeatable: true},
		{method: "POST", pattern: "/admin/program/versions/{version}/restore", perm: edit, handle: d.restoreRules},

		{method: "GET", pattern: "/admin/rewards", perm: program, handle: d.rewards},
		{method: "POST", pattern: "/admin/rewards", perm: edit, handle: d.createReward},
		{method: "GET", pattern: "/admin/rewards/{id}", perm: program, handle: d.editReward},
		{method: "POST", pattern: "/admin/rewards/{id}", perm: edit, handle: d.updateReward},
		{method: "POST", pattern: "/admin/rewards/{id}/archive", perm: edit, handle: d.archiveReward},

		{method: "GET", pattern: "/admin/campaigns", perm: program, handle: d.campaigns},
		{method: "POST", pattern: "/admin/campaigns", perm: edit, handle: d.createCampaign},
		{method: "POST", pattern: "/admin/campaigns/preview", perm: edit, handle: d.previewCampaign, repeatable: true},
		{method: "POST", pattern: "/admin/campaigns/{id}/end", perm: edit, handle: d.endCampaign},

		{method: "GET", pattern: "/admin/segments", perm: program, handle: d.segments},
		{method: "POST", pattern: "/admin/segments", perm: edit, handle: d.saveSegment},
		{method: "POST", pattern: "/admin/segments/refresh", perm: edit, handle: d.refreshSegments},
		{method: "GET", pattern: "/admin/segments/{key}", perm: program, handle: d.segment},
		{method: "GET", pattern: "/admin/segments/{key}/members.csv", perm: members, handle: d.segmentCSV},
		{method: "POST", pattern: "/admin/segments/{key}/delete", perm: edit, handle: d.deleteSegment},

		{method: "GET", pattern: "/admin/tiers", perm: program, handle: d.tiers},
		{method: "POST", pattern: "/admin/tiers", perm: edit, handle: d.saveTiers},

		{method: "GET", pattern: "/admin/settings", handle: d.settings},
		{method: "GET", pattern: "/admin/settings/keys", perm: keys, handle: d.keys},
		{method: "POST", pattern: "/admin/settings/keys", perm: keys, handle: d.createKey},
		{method: "POST", pattern: "/admin/settings/keys/{id}/revoke", perm: keys, handle: d.revokeKey},
		{method: "GET", pattern: "/admin/settings/webhooks", perm: webhooks, handle: d.webhooks},
		{method: "POST", pattern: "/admin/settings/webhooks", perm: webhooks, handle: d.createWebhook},
		{method: "GET", pattern: "/admin/settings/webhooks/{id}", perm: webhooks, handle: d.webhook},
		{method: "POST", pattern: "/admin/settings/deliveries/{id}/replay", perm: webhooks, handle: d.replayDelivery},
		{method: "GET", pattern: "/admin/settings/shops", perm: webhooks, handle: d.shops},
		{method: "POST", pattern: "/admin/settings/shops/{platform}", perm: webhooks, handle: d.saveShop},
		{method: "POST", pattern: "/admin/settings/shops/{platform}/disconnect", perm: webhooks, handle: d.disconnectShop},
		{method: "GET", pattern: "/admin/settings/staff", perm: staff, handle: d.staffPage},
		{method: "POST", pattern: "/admin/settings/staff", perm: staff, handle: d.createStaff},
		{method: "POST", pattern: "/admin/settings/staff/{id}/role", perm: staff, handle: d.setRole},
		{method: "POST", pattern: "/admin/settings/staff/{id}/deactivate", perm: staff, handle: d.deactivate},
		{method: "POST", pattern: "/admin/settings/staff/{id}/reset-password", perm: staff, handle: d.resetPassword},
		{method: "GET", pattern: "/admin/settings/audit", perm: audit, handle: d.audit},

		{method: "GET", pattern: "/admin/", handle: d.notFound},
	}
}

// MutatingRoutes lists the method and path pattern of every POST route but sign-in and
// sign-out (dry runs and backtests included: they need the edit permission), for tests
// that walk them all.
func (d *Dashboard) MutatingRoutes() [][2]string {
	var out [][2]string
	for _, rt := range d.routes {
		if rt.method != "GET" && !rt.public && rt.pattern != "/admin/logout" {
			out = append(out, [2]string{rt.method, rt.pattern})
		}
	}
	return out
}

// checkTable refuses a route table in which a state-changing route needs no permission:
// every change must be something a role can be denied.
func checkTable(routes []route) {
	for _, rt := range routes {
		if rt.method != "GET" && !rt.public && rt.pattern != "/admin/logout" && rt.perm == "" {
			panic("dashboard: " + rt.method + " " + rt.pattern + " needs a permission")
		}
	}
}

// settings sends staff to the first settings page their role may open.
func (d *Dashboard) settings(q *req) error {
	for _, l := range settingsNav {
		if q.staff.Role.Can(l.perm) {
			redirect(q, l.path, "")
			return nil
		}
	}
	return forbidden("your role has no settings pages")
}

func (d *Dashboard) notFound(q *req) error {
	d.render(q, http.StatusNotFound, "error", "Not found", "There is no such page.")
	return nil
}

func roleLabel(r service.Role) string {
	return strings.ReplaceAll(string(r), "_", "-")
}
