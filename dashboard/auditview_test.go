package dashboard_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestAuditInWords changes the program settings twice and reads the audit log: who by
// name, what by name with a link, the change as from → to, and the filters.
func TestAuditInWords(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		svc, tid := s.app.Service, s.tenant.ID
		staff, err := svc.Access.StaffList(ctx, tid)
		if err != nil {
			t.Fatal(err)
		}
		var owner service.Staff
		for _, st := range staff {
			if st.Role == service.RoleOwner {
				owner = st
			}
		}
		for _, days := range []int{21, 30} {
			v, err := svc.Tenants.Program(ctx, tid)
			if err != nil {
				t.Fatal(err)
			}
			p := v.Program
			p.ReturnWindowDays = days
			if _, err := svc.Tenants.UpdateProgram(ctx, tid, owner.Actor(), p); err != nil {
				t.Fatal(err)
			}
		}
		c := s.client(t)
		c.signIn(s.staff[service.RoleOwner])
		page := c.get("/admin/settings/audit?action=program.")
		if page.Status != http.StatusOK {
			t.Fatalf("audit: %d", page.Status)
		}
		all := section(t, page.Body, `id="audit-table"`, "</table>")
		if n := strings.Count(all, "<code>program.updated</code>"); n < 2 || n != strings.Count(all, "<tr>")-1 {
			t.Errorf("%d program entries among %d rows", n, strings.Count(all, "<tr>")-1)
		}
		table := section(t, all, "<tbody>", "</tr>") // the newest entry
		for _, want := range []string{`<a href="/admin/program/settings">program settings</a>`, owner.Email,
			"<code>program.return_window_days</code>: <del>21</del> → <ins>30</ins>"} {
			if !strings.Contains(table, want) {
				t.Errorf("the log lacks %q: %.600s", want, table)
			}
		}
		if strings.Contains(table, "<code>program.currency</code>") {
			t.Error("an unchanged field is listed as a change")
		}
		if p := c.get("/admin/settings/audit?actor=nobody-at-all"); !strings.Contains(p.Body, "No entry matches") {
			t.Error("the actor filter kept entries")
		}
		if p := c.get("/admin/settings/audit?from=notadate"); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("a bad date: %d", p.Status)
		}
	})
}
