package dashboard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// staffData is the staff management page (owners only). Password is set only in the
// response that created or reset an account: it is shown once to hand over.
type staffData struct {
	Settings []navLink
	Staff    []service.Staff
	Roles    []service.Role
	Email    string
	Name     string
	Role     string
	For      *service.Staff
	Password string
	Errors   map[string]string
	Problem  string
}

func (d *Dashboard) staffPage(q *req) error {
	return d.showStaff(q, http.StatusOK, staffData{Role: string(service.RoleSupport)})
}

func (d *Dashboard) showStaff(q *req, status int, data staffData) error {
	list, err := d.svc.Access.StaffList(q.r.Context(), q.tenant.ID)
	if err != nil {
		return err
	}
	data.Staff, data.Roles, data.Settings = list, service.Roles, d.settingsLinks(q)
	d.render(q, status, "staff", "Staff", data)
	return nil
}

func (d *Dashboard) createStaff(q *req) error {
	r := q.r
	data := staffData{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: r.PostFormValue("role")}
	st, password, err := d.svc.Access.CreateStaff(r.Context(), q.tenant.ID, q.actor(), service.NewStaff{Email: data.Email, Name: data.Name,
		Role: service.Role(data.Role), Password: r.PostFormValue("password")})
	if err != nil {
		if data.Errors, err = fieldErrors(err); err != nil {
			return err
		}
		return d.showStaff(q, http.StatusUnprocessableEntity, data)
	}
	generated := ""
	if r.PostFormValue("password") == "" {
		generated = password
	}
	return d.showStaff(q, http.StatusOK, staffData{Role: string(service.RoleSupport), For: &st, Password: generated})
}

func (d *Dashboard) setRole(q *req) error {
	_, err := d.svc.Access.SetStaffRole(q.r.Context(), q.tenant.ID, q.actor(), q.r.PathValue("id"), service.Role(q.r.PostFormValue("role")))
	return d.staffChanged(q, err, "role")
}

func (d *Dashboard) deactivate(q *req) error {
	_, err := d.svc.Access.DeactivateStaff(q.r.Context(), q.tenant.ID, q.actor(), q.r.PathValue("id"))
	if err == nil && q.r.PathValue("id") == q.staff.ID {
		setCookie(q.w, q.r, sessionCookie, "", -1, http.SameSiteLaxMode)
		http.Redirect(q.w, q.r, "/admin/login?done=deactivated", http.StatusSeeOther)
		return nil
	}
	return d.staffChanged(q, err, "deactivated")
}

func (d *Dashboard) resetPassword(q *req) error {
	st, password, err := d.svc.Access.ResetStaffPassword(q.r.Context(), q.tenant.ID, q.actor(), q.r.PathValue("id"))
	if err != nil {
		return d.staffChanged(q, err, "")
	}
	if st.ID == q.staff.ID { // the owner's own sessions, this one included, have ended
		setCookie(q.w, q.r, sessionCookie, "", -1, http.SameSiteLaxMode)
		q.w.Header().Set("Cache-Control", "no-store")
	}
	return d.showStaff(q, http.StatusOK, staffData{Role: string(service.RoleSupport), For: &st, Password: password})
}

// staffChanged redirects after a change, or shows why it was refused (the last owner
// cannot be demoted or deactivated).
func (d *Dashboard) staffChanged(q *req, err error, done string) error {
	if err == nil {
		redirect(q, "/admin/settings/staff", done)
		return nil
	}
	switch tenure.KindOf(err) {
	case tenure.KindConflict, tenure.KindInvalid:
		var e *tenure.Error
		msg := err.Error()
		if errors.As(err, &e) {
			msg = e.Message
			for _, f := range e.Fields {
				msg += " (" + f.Field + ": " + f.Message + ")"
			}
		}
		return d.showStaff(q, http.StatusConflict, staffData{Role: string(service.RoleSupport), Problem: msg})
	}
	return err
}
