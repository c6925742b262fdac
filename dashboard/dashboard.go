// Package dashboard is Tenure's admin web dashboard: server-rendered pages (html/template)
// under /admin/ for the staff of a store, with a little vanilla JavaScript and charts drawn
// by uPlot. Every asset is embedded in the binary and served by Tenure; pages make no
// request to any other host.
//
// Staff sign in with an email and a password (package service keeps accounts, roles and
// sessions). Every state-changing request is a POST carrying the session's CSRF token, and
// every route names the permission it needs (routes.go), so a role's reach can be read in
// one place and tested by walking the table.
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/problem"
	"github.com/tenure-loyalty/tenure/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Dashboard serves the admin pages under /admin/.
type Dashboard struct {
	svc    *service.Service
	log    *slog.Logger
	mux    *http.ServeMux
	pages  map[string]*template.Template
	assets map[string]string // static file name -> content hash, for cache-busting URLs
	routes []route
	// limiter throttles failed sign-ins (ratelimit.go).
	limiter *signInLimiter
	// Breaker is the webhook circuit breaker policy, explained on the webhooks page.
	Breaker tenure.BreakerPolicy
}

// New builds the dashboard on svc. Mount it at /admin/.
func New(svc *service.Service, log *slog.Logger) *Dashboard {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dashboard{svc: svc, log: log, mux: http.NewServeMux(), assets: map[string]string{}, limiter: &signInLimiter{counts: svc.Access}}
	d.loadAssets()
	d.loadTemplates()
	d.routes = d.table()
	checkTable(d.routes)
	pathParams(d.routes)
	for _, rt := range d.routes {
		d.mux.Handle(rt.method+" "+rt.pattern, d.wrap(rt))
	}
	static := http.StripPrefix("/admin/static/", http.FileServerFS(mustSub(staticFS, "static")))
	d.mux.Handle("GET /admin/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // files only, no listings
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		static.ServeHTTP(w, r)
	}))
	return d
}

// ServeHTTP answers requests under /admin/ with the dashboard's security headers.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	d.mux.ServeHTTP(w, r)
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

func (d *Dashboard) loadAssets() {
	_ = fs.WalkDir(staticFS, "static", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		d.assets[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
}

// asset returns the URL of a static file with its content hash, so that browsers may
// cache it forever and still see a new build at once.
func (d *Dashboard) asset(name string) string {
	return "/admin/static/" + name + "?v=" + d.assets[name]
}

func (d *Dashboard) loadTemplates() {
	funcs := d.funcs()
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	d.pages = map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || base == "parts.html" {
			continue
		}
		t := template.Must(layout.Clone())
		template.Must(t.ParseFS(templateFS, n))
		d.pages[strings.TrimSuffix(base, ".html")] = t
	}
}

// view is what every page template gets: the signed-in staff member, the navigation and
// the page's own data.
type view struct {
	Title  string
	Staff  service.Staff
	Tenant tenure.Tenant
	CSRF   string
	Nav    []navLink
	Flash  string
	Data   any
	d      *Dashboard
}

// Can reports whether the signed-in staff member has a permission (for templates).
func (v view) Can(p string) bool { return v.Staff.Role.Can(service.Permission(p)) }

// Asset returns a static file's URL (for templates).
func (v view) Asset(name string) string { return v.d.asset(name) }

// render writes a page with the layout. Rendering goes to a buffer first so that a
// template error becomes a clean 500, not half a page.
func (d *Dashboard) render(q *req, status int, page, title string, data any) {
	t, ok := d.pages[page]
	if !ok {
		panic("dashboard: no template " + page)
	}
	v := view{Title: title, Data: data, d: d, Flash: flashText(q.r.URL.Query().Get("done"))}
	if q.signedIn {
		v.Staff, v.Tenant, v.CSRF = q.staff, q.tenant, q.csrf
		v.Nav = d.nav(q)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		d.log.Error("dashboard template", "page", page, "err", err)
		http.Error(q.w, "internal error; it has been logged", http.StatusInternalServerError)
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.Header().Set("Cache-Control", "no-store")
	q.w.WriteHeader(status)
	_, _ = buf.WriteTo(q.w)
}

// fail renders an error page for err with the status of the one error model (package
// problem): 422 for invalid input, 404, 403, 409, and a logged 500 for anything internal.
func (d *Dashboard) fail(q *req, err error) {
	p, internal := problem.From(err)
	msg := p.Detail
	var e *tenure.Error
	switch {
	case internal:
		msg = "Something went wrong on our side; it has been logged."
		d.log.Error("dashboard", "path", q.r.URL.Path, "err", err)
	case p.Status == http.StatusNotFound:
		msg = "Not found: " + p.Detail
	case errors.As(err, &e) && len(e.Fields) > 0:
		msg = e.Error()
	}
	d.render(q, p.Status, "error", p.Title, msg)
}

// redirect answers a successful POST with a 303 to a page, naming what was done so the
// page can say so.
func redirect(q *req, to, done string) {
	if done != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + done
	}
	http.Redirect(q.w, q.r, to, http.StatusSeeOther)
}

// flashText maps the done= parameter of a redirect to a fixed message; unknown values
// show nothing, so the parameter cannot be used to put text on a page.
func flashText(done string) string {
	return map[string]string{
		"already-done":       "That form had already been sent, so nothing was done again.",
		"adjusted":           "The balance was adjusted and the change recorded in the audit log.",
		"rules-saved":        "The rules were saved as a new version. New events use them from now on.",
		"rules-restored":     "The earlier rules were saved again as a new version. New events use them from now on.",
		"revoked":            "The key was revoked. It stops working at once on this node and within seconds on others.",
		"replayed":           "The message was queued for delivery again, with the same message id.",
		"role":               "The role was changed; it applies from the staff member's next page.",
		"deactivated":        "The account was deactivated and signed out everywhere.",
		"signed-out":         "You are signed out.",
		"tiers-saved":        "The tiers were saved as a new version. Every member they may move is being re-evaluated.",
		"tier-assigned":      "The tier was set and the change recorded in the audit log.",
		"tier-unassigned":    "The manual tier was removed: the earned tier applies again.",
		"campaign-saved":     "The campaign was added to the rules as a new version.",
		"campaign-ended":     "The campaign was ended: the rules were saved as a new version without it running.",
		"campaign-cancelled": "The scheduled campaign was cancelled before it started: the rules were saved as a new version without it.",
		"segment-saved":      "The segment was saved. Its members are being counted in the background; Recount now does it at once.",
		"segment-deleted":    "The segment was deleted.",
		"program-saved":      "The program settings were saved. Events from now on use them.",
		"reward-saved":       "The reward was saved. Coupons already issued keep the terms they were issued with.",
		"reward-created":     "The reward was added to the catalog. Members can redeem it from now on.",
		"reward-archived":    "The reward was archived: members can no longer redeem it; coupons already issued stay valid.",
		"segments-refreshed": "Every segment's members were counted again.",
		"shop-saved":         "The shop connection was saved. Its webhooks are accepted at the URL shown.",
		"shop-disconnected":  "The shop was disconnected: its webhooks are refused from now on; codes already in the shop stay there.",
	}[done]
}
