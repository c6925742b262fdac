package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestProgramSettings edits the program's settings through the form: money and point value
// in złoty, a stale form refused, a bad time zone named, on each engine.
func TestProgramSettings(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleMarketer])
		page := c.get("/admin/program/settings")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, `name="point_value" inputmode="decimal" value="0,10"`) {
			t.Fatalf("settings: %d %.400s", page.Status, section(t, page.Body, `id="ps-value"`, "</div>"))
		}
		before, err := s.app.Service.Tenants.Program(ctx, s.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"csrf": {token}, "version": {formValue(t, page.Body, "version")}, "name": {"Kawa Club"}, "currency": {"PLN"},
			"points_per_unit": {"1"}, "min_order": {"20,00"}, "available_on": {"payment"}, "return_window_days": {"21"},
			"expiry_mode": {"days"}, "expiry_days": {"180"}, "negative_balance": {"cap"}, "point_value": {"0,05"},
			"time_zone": {"Europe/Warsaw"}, "auto_enrol": {"on"}}
		if p := c.do("POST", "/admin/program/settings", form); p.Status != http.StatusSeeOther {
			t.Fatalf("save: %d %.400s", p.Status, p.Body)
		}
		after, err := s.app.Service.Tenants.Program(ctx, s.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		p := after.Program
		if p.Name != "Kawa Club" || p.ReturnWindowDays != 21 || p.Expiry.Days != 180 || p.PointValue != 5_000_000 || p.MinOrder != 2000 || after.Version != before.Version+1 {
			t.Fatalf("after saving: %+v (version %d -> %d)", p, before.Version, after.Version)
		}
		// The same form again (its version is now stale) changes nothing.
		form.Set("return_window_days", "30")
		if p := c.do("POST", "/admin/program/settings", form); p.Status != http.StatusConflict {
			t.Errorf("a stale form: %d", p.Status)
		}
		fresh := c.get("/admin/program/settings")
		form.Set("version", formValue(t, fresh.Body, "version"))
		form.Set("time_zone", "Mars/Olympus")
		if p := c.do("POST", "/admin/program/settings", form); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="err-time_zone"`) {
			t.Errorf("a bad time zone: %d", p.Status)
		}
		if now, _ := s.app.Service.Tenants.Program(ctx, s.tenant.ID); now.Program.ReturnWindowDays != 21 {
			t.Errorf("a refused form changed the settings: %+v", now.Program)
		}
	})
}

// formValue returns the value of the first input with the name on a page.
func formValue(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, `name="`+name+`" value="`)
	if i < 0 {
		t.Fatalf("no %s on the page", name)
	}
	rest := body[i+len(`name="`+name+`" value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}
