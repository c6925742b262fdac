package dashboard_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestSegments adds a segment from the form, counts it, lists and downloads its members,
// refuses bad definitions field by field, and deletes it, on each engine.
func TestSegments(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		svc, tid := s.app.Service, s.tenant.ID
		c := s.client(t)
		token := c.signIn(s.staff[service.RoleMarketer])

		t.Run("bad definitions name their fields and save nothing", func(t *testing.T) {
			for name, tc := range map[string]struct {
				form  url.Values
				field string
			}{
				"a key with capitals":                   {url.Values{"key": {"Tea"}, "name": {"Tea"}, "condition": {"member.frequency > 1"}}, "key"},
				"a condition with a typo":               {url.Values{"key": {"tea"}, "name": {"Tea"}, "condition": {"member.frequncy > 1"}}, "condition"},
				"not a yes-or-no":                       {url.Values{"key": {"tea"}, "name": {"Tea"}, "condition": {"member.frequency"}}, "condition"},
				"a lifecycle stage that does not exist": {url.Values{"key": {"risk"}, "name": {"Risk"}, "condition": {`member.lifecycle == "At risk"`}}, "condition"},
			} {
				tc.form.Set("csrf", token)
				p := c.do("POST", "/admin/segments", tc.form)
				if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="err-`+tc.field+`"`) {
					t.Errorf("%s: %d, want 422 naming %s", name, p.Status, tc.field)
				}
				if strings.Contains(tc.form.Get("condition"), "At risk") && !strings.Contains(p.Body, "did you mean &#34;at_risk&#34;?") {
					t.Errorf("%s: the page does not suggest at_risk: %.400s", name, section(t, p.Body, `id="err-condition"`, "</p>"))
				}
			}
			if list, _ := svc.Segments.List(ctx, tid); len(list) != 0 {
				t.Fatalf("%d segments saved", len(list))
			}
		})

		t.Run("a segment is saved, counted and its members listed and downloaded", func(t *testing.T) {
			p := c.do("POST", "/admin/segments", url.Values{"csrf": {token}, "key": {"tea-buyers"}, "name": {"Tea buyers"},
				"condition": {`"tea" in member.categories`}})
			if p.Status != http.StatusSeeOther {
				t.Fatalf("save: %d %.300s", p.Status, p.Body)
			}
			if row := section(t, c.get("/admin/segments").Body, `id="segment-tea-buyers"`, "</tr>"); !strings.Contains(row, "not yet") {
				t.Errorf("before counting: %s", row)
			}
			if p := c.do("POST", "/admin/segments/refresh", url.Values{"csrf": {token}}); p.Status != http.StatusSeeOther {
				t.Fatalf("recount: %d", p.Status)
			}
			list, _ := svc.Segments.List(ctx, tid)
			if len(list) != 1 || list[0].Members == 0 || list[0].Members >= 120 {
				t.Fatalf("tea buyers among 120 members: %+v", list)
			}
			page := c.get("/admin/segments/tea-buyers")
			if page.Status != http.StatusOK || strings.Count(section(t, page.Body, `id="segment-members"`, "</table>"), `<th scope="row">`) != int(min(list[0].Members, 50)) {
				t.Fatalf("segment page: %d", page.Status)
			}
			dl := c.get("/admin/segments/tea-buyers/members.csv")
			recs, err := csv.NewReader(strings.NewReader(dl.Body)).ReadAll()
			if dl.Status != http.StatusOK || err != nil || int64(len(recs)) != list[0].Members+1 || recs[0][0] != "member_id" {
				t.Fatalf("download: %d, %d records for %d members, %v", dl.Status, len(recs), list[0].Members, err)
			}
			filtered := c.get("/admin/members?segment=tea-buyers")
			if rows := strings.Count(section(t, filtered.Body, "<tbody", "</tbody>"), "<tr"); rows != int(min(list[0].Members, 25)) {
				t.Errorf("members filtered by the segment: %d rows for %d members", rows, list[0].Members)
			}
			if p := c.get("/admin/segments/nope"); p.Status != http.StatusNotFound {
				t.Errorf("unknown segment: %d", p.Status)
			}
		})

		t.Run("delete", func(t *testing.T) {
			if p := c.do("POST", "/admin/segments/tea-buyers/delete", url.Values{"csrf": {token}}); p.Status != http.StatusSeeOther {
				t.Fatalf("delete: %d", p.Status)
			}
			if list, _ := svc.Segments.List(ctx, tid); len(list) != 0 {
				t.Fatalf("still there: %+v", list)
			}
		})
	})
}
