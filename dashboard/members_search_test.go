package dashboard_test

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// addJulia enrols Julia Wójcik, whose surname has an accent her searchers do not type.
func addJulia(t testing.TB, s *server) tenure.Member {
	t.Helper()
	first, last, email := "Julia", "Wójcik", "J.Wojcik-Nowak@Poczta.example"
	m, err := s.app.Service.Members.Create(context.Background(), s.tenant.ID, "test", service.NewMember{ExternalID: "cust-julia",
		MemberPatch: tenure.MemberPatch{FirstName: &first, LastName: &last, Email: &email}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMemberSearch finds members by name and part of an email, capitals and accents
// aside, on each engine.
func TestMemberSearch(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		julia := addJulia(t, s)
		c := s.client(t)
		c.signIn(s.staff[service.RoleSupport])
		rows := regexp.MustCompile(`<a href="/admin/members/(mem_\w+)">`)
		for _, q := range []string{"wojcik", "WÓJCIK", "julia wojcik", "wojcik-nowak", "poczta.example", "Julia%20W%C3%B3jcik"} {
			p := c.get("/admin/members?q=" + strings.ReplaceAll(q, " ", "+"))
			found := false
			n := 0
			for _, m := range rows.FindAllStringSubmatch(p.Body, -1) {
				found = found || m[1] == julia.ID
				n++
			}
			if p.Status != http.StatusOK || !found {
				t.Errorf("%q: %d, Julia not among %d rows: %.300s", q, p.Status, n, section(t, p.Body, `role="status"`, "</p>"))
				continue
			}
			// Every row matches, and the count says how many.
			want := regexp.MustCompile(`\b` + strconv.Itoa(n) + ` members? match`)
			if !want.MatchString(p.Body) {
				t.Errorf("%q: %d rows; %s", q, n, section(t, p.Body, `id="search-status"`, "</p>"))
			}
			for _, name := range regexp.MustCompile(`</a></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>`).FindAllStringSubmatch(p.Body, -1) {
				hay := tenure.Fold(html.UnescapeString(name[1] + " " + name[2]))
				if !strings.Contains(hay, "wojcik") && !strings.Contains(hay, "poczta") {
					t.Errorf("%q matched %q", q, hay)
				}
			}
		}
		if p := c.get("/admin/members?q=wojcikowa"); rows.MatchString(p.Body) || !strings.Contains(p.Body, "No member matches") {
			t.Error("a longer name matched")
		}
		// A name shared by many: the count is of all of them, the page holds 25.
		p := c.get("/admin/members?q=example&by=name")
		total, err := s.app.Service.Members.Search(context.Background(), s.tenant.ID, "example", "", 25)
		if err != nil {
			t.Fatal(err)
		}
		if total.Total <= 25 || len(rows.FindAllString(p.Body, -1)) != 25 || !strings.Contains(p.Body, "25 on this page") || !strings.Contains(p.Body, `rel="next"`) {
			t.Errorf("a broad search: %d in all; %s", total.Total, section(t, p.Body, `id="search-status"`, "</p>"))
		}
	})
}
