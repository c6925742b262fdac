package dashboard_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestMembersBehindCounts follows the at-risk count of the analytics page to the members
// behind it and downloads them as CSV, on each engine.
func TestMembersBehindCounts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		c := s.client(t)
		c.signIn(s.staff[service.RoleMarketer])
		if _, err := s.app.Service.Reports.Snapshot(ctx, s.tenant.ID, 0); err != nil {
			t.Fatal(err)
		}
		page := c.get("/admin/analytics")
		link := regexp.MustCompile(`<a href="/admin/members\?lifecycle=at_risk"[^>]*>([\d,]+)</a>`).FindStringSubmatch(page.Body)
		if link == nil {
			t.Fatalf("the at-risk count is no link: %.500s", section(t, page.Body, `id="lifecycle-table"`, "</table>"))
		}
		rows, err := s.app.Service.Members.Rows(ctx, s.tenant.ID, service.RowFilter{Lifecycle: "at_risk"})
		if err != nil || len(rows) == 0 {
			t.Fatalf("at-risk members: %d, %v", len(rows), err)
		}
		if want := strings.ReplaceAll(link[1], ",", ""); want != strconv.Itoa(len(rows)) {
			t.Errorf("the analytics page counts %s at risk, the list %d", link[1], len(rows))
		}
		list := c.get("/admin/members?lifecycle=at_risk")
		if list.Status != http.StatusOK || !strings.Contains(list.Body, strconv.Itoa(len(rows))+" members at risk now") {
			t.Fatalf("the list: %d %s", list.Status, section(t, list.Body, `id="filter-status"`, "</p>"))
		}
		csvURL := regexp.MustCompile(`href="(/admin/members\.csv\?[^"]+)" download`).FindStringSubmatch(list.Body)
		if csvURL == nil {
			t.Fatal("no CSV link")
		}
		file := c.get(strings.ReplaceAll(csvURL[1], "&amp;", "&"))
		if file.Status != http.StatusOK || !strings.HasPrefix(file.Body, "\ufeff") || !strings.Contains(file.Header.Get("Content-Disposition"), "members-at_risk.csv") {
			t.Fatalf("CSV: %d %q %.40q", file.Status, file.Header.Get("Content-Disposition"), file.Body)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(file.Body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(recs[0], ",") != "email,customer_id,first_name,last_name,email_marketing_consent,points,tier,last_order,orders,spend,lifecycle" || len(recs) != len(rows)+1 {
			t.Fatalf("CSV: %v, %d rows for %d members", recs[0], len(recs)-1, len(rows))
		}
		for i, r := range recs[1:] {
			if r[0] != rows[i].Email || r[1] != rows[i].ExternalID || r[10] != "at_risk" || !strings.Contains(r[0], "@") || r[7] == "" {
				t.Errorf("row %d: %v, want %s %s", i, r, rows[i].Email, rows[i].ExternalID)
			}
		}
		if p := c.get("/admin/members.csv?lifecycle=At+risk"); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("an unknown stage: %d", p.Status)
		}
	})
}
