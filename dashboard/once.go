package dashboard

import (
	"net/http"
	"net/url"
)

// Every dashboard form carries a one-time key (the "csrf" template adds it next to the
// CSRF token). A form's change is made once per key: sending the same form again — the
// reload of a page a POST answered, the back button, a double click — changes nothing and
// lands on the page the form came from with a notice. A request that is refused (a 4xx
// or 5xx answer: the form is shown again with its problems) gives its key back, so the
// corrected form can be sent.

const formKeyField = "form_key"

// onceOnly claims the request's form key before its handler runs. It reports true when
// it has answered the request itself (a repeat, or an error); otherwise it arranges for
// the key to be given back if the handler refuses the request.
func (d *Dashboard) onceOnly(q *req, rt route) (answered bool) {
	key := q.r.PostFormValue(formKeyField)
	if key == "" { // a script or an older page: nothing to claim
		return false
	}
	fresh, err := d.svc.Access.ClaimFormKey(q.r.Context(), q.tenant.ID, key)
	if err != nil {
		d.fail(q, err)
		return true
	}
	if !fresh {
		redirect(q, formOrigin(q), "already-done")
		return true
	}
	rec := &statusRecorder{ResponseWriter: q.w, status: http.StatusOK}
	q.w = rec
	q.release = func() {
		if rec.status >= 400 {
			if err := d.svc.Access.ReleaseFormKey(q.r.Context(), q.tenant.ID, key); err != nil {
				d.log.Error("dashboard: give back a form key", "path", q.r.URL.Path, "err", err)
			}
		}
	}
	return false
}

// formOrigin is the dashboard page a form was sent from (its Referer, which the
// same-origin check has vouched for), else the overview.
func formOrigin(q *req) string {
	if ref, err := url.Parse(q.r.Referer()); err == nil && ref.Host == q.r.Host && len(ref.Path) > len("/admin") && ref.Path[:7] == "/admin/" {
		out := ref.Path
		if ref.RawQuery != "" {
			v := ref.Query()
			v.Del("done")
			if len(v) > 0 {
				out += "?" + v.Encode()
			}
		}
		return out
	}
	return "/admin/"
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
