package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/input"
	"github.com/tenure-loyalty/tenure/service"
)

// Cookies. The session cookie holds the session's secret id; the login cookie holds a
// random token the sign-in form must echo (a double-submit token: a sign-in cannot be
// forged from another site, so nobody can be signed in to an attacker's account).
const (
	sessionCookie = "tenure_session"
	loginCookie   = "tenure_login"
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
	maxFormBytes  = 1 << 20
)

// req is one dashboard request with who made it.
type req struct {
	w        http.ResponseWriter
	r        *http.Request
	signedIn bool
	secret   string // the session secret from the cookie
	staff    service.Staff
	tenant   tenure.Tenant
	csrf     string
	release  func() // gives the form key back after a refused request (once.go)
}

// actor names the signed-in staff member in the audit log.
func (q *req) actor() string { return q.staff.Actor() }

// wrap runs a route's handler after its checks: a session (unless the route is public),
// for POSTs the same-origin and CSRF checks, then the route's permission.
func (d *Dashboard) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := &req{w: w, r: r}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if !sameOrigin(r) {
				d.render(q, http.StatusForbidden, "error", "Forbidden", "This request came from another site and was refused.")
				return
			}
		}
		if !rt.public {
			if !d.authenticate(q) {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				} else {
					d.render(q, http.StatusUnauthorized, "error", "Signed out", "Your session has ended. Sign in again and repeat the action.")
				}
				return
			}
			if r.Method == http.MethodPost && !validCSRF(q) {
				d.render(q, http.StatusForbidden, "error", "Forbidden", "The form's security token is missing or wrong. Reload the page and try again.")
				return
			}
			if rt.perm != "" && !q.staff.Role.Can(rt.perm) {
				d.render(q, http.StatusForbidden, "error", "Forbidden",
					"Your role ("+roleLabel(q.staff.Role)+") does not allow this. Ask an owner if you need it.")
				return
			}
		}
		if err := input.Check(r, rt.params, maxFormBytes); err != nil {
			d.fail(q, err)
			return
		}
		if r.Method == http.MethodPost && !rt.public && rt.perm != "" && !rt.repeatable {
			if done := d.onceOnly(q, rt); done {
				return
			}
		}
		if err := rt.handle(q); err != nil {
			d.fail(q, err)
		}
		if q.release != nil {
			q.release()
		}
	})
}

// authenticate loads the session named by the cookie and its tenant.
func (d *Dashboard) authenticate(q *req) bool {
	c, err := q.r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return false
	}
	sess, err := d.svc.Access.Session(q.r.Context(), c.Value)
	if err != nil {
		if tenure.KindOf(err) != tenure.KindUnauthorized {
			d.log.Error("dashboard session", "err", err)
		}
		return false
	}
	t, err := d.svc.Tenants.Get(q.r.Context(), sess.Staff.TenantID)
	if err != nil {
		d.log.Error("dashboard tenant", "err", err)
		return false
	}
	q.signedIn, q.secret, q.staff, q.tenant, q.csrf = true, c.Value, sess.Staff, t, csrfToken(c.Value)
	return true
}

// csrfToken derives the session's CSRF token from its secret: only a page served to the
// holder of the (HttpOnly) session cookie can know it, and it changes with every sign-in.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("tenure dashboard csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func validCSRF(q *req) bool {
	got := q.r.Header.Get(csrfHeader)
	if got == "" {
		got = q.r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(q.csrf)) == 1
}

// sameOrigin refuses requests a browser marks as coming from another site. Requests
// without these headers (old browsers, scripts) still need the CSRF token.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// secure reports whether the browser reached us over TLS, directly or through a proxy
// that says so; cookies are then marked Secure.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/admin/", MaxAge: maxAge, HttpOnly: true,
		Secure: secure(r), SameSite: sameSite})
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loginData is the sign-in form.
type loginData struct {
	Email   string
	Next    string
	Token   string
	Error   string
	Choices []tenure.Tenant
}

func (d *Dashboard) loginForm(q *req) error {
	// The form shows even to a signed-in browser: signing in again (perhaps as someone
	// else) replaces the session.
	d.showLogin(q, http.StatusOK, loginData{Next: localNext(q.r.URL.Query().Get("next"))})
	return nil
}

// showLogin renders the sign-in form with a fresh double-submit token.
func (d *Dashboard) showLogin(q *req, status int, data loginData) {
	data.Token = randomToken()
	setCookie(q.w, q.r, loginCookie, data.Token, 3600, http.SameSiteStrictMode)
	d.render(q, status, "login", "Sign in", data)
}

func (d *Dashboard) login(q *req) error {
	r := q.r
	data := loginData{Email: r.PostFormValue("email"), Next: localNext(r.PostFormValue("next"))}
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		data.Error = "The sign-in form expired. Please try again."
		d.showLogin(q, http.StatusForbidden, data)
		return nil
	}
	emailKey, addrKey := signInKeys(r, data.Email)
	wait, err := d.limiter.blocked(r.Context(), emailKey, addrKey)
	if err != nil {
		return err
	}
	if wait > 0 {
		d.log.Warn("dashboard sign-in throttled", "email", data.Email, "remote", r.RemoteAddr)
		q.w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		data.Error = signInLockMessage
		d.showLogin(q, http.StatusTooManyRequests, data)
		return nil
	}
	var previous string
	if old, err := r.Cookie(sessionCookie); err == nil {
		previous = old.Value
	}
	res, err := d.svc.Access.SignIn(r.Context(), service.SignInRequest{Email: data.Email, Password: r.PostFormValue("password"),
		TenantID: r.PostFormValue("tenant"), Previous: previous})
	if tenure.KindOf(err) == tenure.KindUnauthorized {
		if err := d.limiter.failed(r.Context(), emailKey, addrKey); err != nil {
			return err
		}
		data.Error = "Wrong email or password."
		d.showLogin(q, http.StatusUnauthorized, data)
		return nil
	}
	if err != nil {
		return err
	}
	if err := d.limiter.succeeded(r.Context(), emailKey); err != nil {
		return err
	}
	if len(res.Choices) > 0 {
		data.Choices = res.Choices
		d.showLogin(q, http.StatusOK, data)
		return nil
	}
	setCookie(q.w, r, loginCookie, "", -1, http.SameSiteStrictMode)
	// The server enforces the session's expiry; the cookie's lifetime only matches it.
	setCookie(q.w, r, sessionCookie, res.Secret, int(service.SessionLifetime/time.Second), http.SameSiteLaxMode)
	http.Redirect(q.w, r, data.Next, http.StatusSeeOther)
	return nil
}

func (d *Dashboard) logout(q *req) error {
	if err := d.svc.Access.SignOut(q.r.Context(), q.secret); err != nil {
		return err
	}
	setCookie(q.w, q.r, sessionCookie, "", -1, http.SameSiteLaxMode)
	http.Redirect(q.w, q.r, "/admin/login?done=signed-out", http.StatusSeeOther)
	return nil
}

// localNext keeps a post-sign-in destination only if it is a dashboard path on this host.
func localNext(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin/"
	}
	return next
}
