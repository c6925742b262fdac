package dashboard_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestAnalytics opens the analytics page and every download on each engine, and checks
// them against the service's own numbers.
func TestAnalytics(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		c := s.client(t)
		c.signIn(s.staff[service.RoleReadOnly])
		page := c.get("/admin/analytics")
		if page.Status != http.StatusOK {
			t.Fatalf("analytics: %d %.300s", page.Status, page.Body)
		}
		sn, err := s.app.Service.Reports.Snapshot(ctx, s.tenant.ID, service.StandingMaxAge)
		if err != nil {
			t.Fatal(err)
		}
		if sn.Customers == 0 || sn.CLV == nil || len(sn.Cohorts) == 0 {
			t.Fatalf("the demo store should have customers, cohorts and a CLV model: %d, %v, %d (%s)", sn.Customers, sn.CLV != nil, len(sn.Cohorts), sn.CLVError)
		}

		t.Run("the page shows every section", func(t *testing.T) {
			for _, id := range []string{`id="cohort-heatmap"`, `id="rfm-grid"`, `id="lifecycle-table"`, `id="clv-top"`, `id="alive-table"`,
				`id="lift-table"`, `id="monthly-table"`, `id="kpi-participation"`, `id="rates-monthly"`, `id="lifecycle-mix"`} {
				if !strings.Contains(page.Body, id) {
					t.Errorf("no %s", id)
				}
			}
			// A small store's model may fit and still give no values; the page must say why.
			if len(sn.CLV.Distribution) > 0 {
				if !strings.Contains(page.Body, `id="clv-distribution"`) {
					t.Error("no CLV distribution chart")
				}
			} else if sn.CLV.ValueError == "" || !strings.Contains(page.Body, `id="clv-warnings"`) {
				t.Errorf("no CLV values and no warning on the page (value error %q)", sn.CLV.ValueError)
			}
			if !strings.Contains(page.Body, `href="/admin/analytics" aria-current="page"`) {
				t.Error("the menu does not mark Analytics as the current page")
			}
		})

		t.Run("the RFM grid counts every customer once", func(t *testing.T) {
			grid := section(t, page.Body, `id="rfm-grid"`, "</table>")
			total := 0
			for _, m := range regexp.MustCompile(`heat-\d" title="[^"]*">([\d,]+)</td>`).FindAllStringSubmatch(grid, -1) {
				n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
				total += n
			}
			if total != sn.Customers {
				t.Fatalf("grid sums to %d, the store has %d customers with orders", total, sn.Customers)
			}
		})

		t.Run("the cohort heat map has a row per cohort and month 0 at 100%", func(t *testing.T) {
			grid := section(t, page.Body, `id="cohort-heatmap"`, "</table>")
			rows, first := strings.Count(grid, `<th scope="row">`), 0
			for first < len(sn.Cohorts) && sn.Cohorts[first].Size == 0 {
				first++ // months before the store's first customer have no row
			}
			if rows != len(sn.Cohorts)-first || rows == 0 {
				t.Fatalf("%d rows, %d cohorts of which %d before the first customer", rows, len(sn.Cohorts), first)
			}
			if strings.Count(grid, ">100.0%</td>") != rows {
				t.Fatal("a cohort's month 0 is not 100%")
			}
		})

		t.Run("the weekend campaign's holdout gives a lift report", func(t *testing.T) {
			if len(sn.Lifts) != 1 || sn.Lifts[0].RuleID != "weekend" || sn.Lifts[0].TreatedMembers == 0 {
				t.Fatalf("lifts: %+v", sn.Lifts)
			}
			// The groups are the rule's exposures, split by the stable holdout hash. (A store
			// this small has about six held-out members, sometimes none.)
			var exps []storage.Exposure
			if err := s.app.DB.Read(ctx, func(tx *storage.Tx) (err error) { exps, err = tx.Exposures(ctx, s.tenant.ID, "weekend"); return err }); err != nil {
				t.Fatal(err)
			}
			held := 0
			for _, x := range exps {
				if x.Holdout != rules.InHoldout("weekend", x.MemberID, 1000) {
					t.Fatalf("member %s: held out %v against the hash", x.MemberID, x.Holdout)
				}
				if x.Holdout {
					held++
				}
			}
			if sn.Lifts[0].HoldoutMembers != held || sn.Lifts[0].TreatedMembers != len(exps)-held {
				t.Fatalf("lift groups %d/%d, exposures %d with %d held out", sn.Lifts[0].TreatedMembers, sn.Lifts[0].HoldoutMembers, len(exps), held)
			}
			p := c.get("/admin/analytics?lift_rule=weekend&window=60")
			if p.Status != http.StatusOK || !strings.Contains(p.Body, `id="lift-result"`) || !strings.Contains(p.Body, "weekend over 60 days") {
				t.Fatalf("lift form: %d %.300s", p.Status, section(t, p.Body, `id="lift"`, "</section>"))
			}
			for _, q := range []string{"lift_rule=weekend&window=0", "lift_rule=weekend&window=x", "lift_rule=nope&window=30"} {
				p := c.get("/admin/analytics?" + q)
				if p.Status != http.StatusOK || !strings.Contains(p.Body, `id="lift-error"`) {
					t.Errorf("%s: %d, no error shown", q, p.Status)
				}
			}
		})

		t.Run("every download is a CSV matching the page", func(t *testing.T) {
			want := map[string]struct {
				head string
				rows int
			}{
				"metrics.csv":          {"period", len(sn.Monthly)},
				"cohorts.csv":          {"cohort", len(sn.Cohorts)},
				"rfm.csv":              {"customer", sn.Customers},
				"lifecycle.csv":        {"segment", 7},
				"clv.csv":              {"member_id", sn.CLV.Customers},
				"clv-distribution.csv": {"from_minor", len(sn.CLV.Distribution)},
				"program.csv":          {"metric", 15},
				"lift.csv":             {"rule_id", 4 * len(sn.Lifts)},
			}
			for name, w := range want {
				p := c.get("/admin/analytics/" + name)
				if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") ||
					!strings.Contains(p.Header.Get("Content-Disposition"), name) {
					t.Errorf("%s: %d %q %q", name, p.Status, p.Header.Get("Content-Type"), p.Header.Get("Content-Disposition"))
					continue
				}
				recs, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
				if err != nil || len(recs) != w.rows+1 || recs[0][0] != w.head {
					t.Errorf("%s: %d records (want %d + header %q), err %v", name, len(recs), w.rows, w.head, err)
				}
			}
			if p := c.get("/admin/analytics/secrets.csv"); p.Status != http.StatusNotFound {
				t.Errorf("unknown download: %d", p.Status)
			}
		})

		t.Run("the lifecycle download adds up to the customers", func(t *testing.T) {
			recs, _ := csv.NewReader(strings.NewReader(c.get("/admin/analytics/lifecycle.csv").Body)).ReadAll()
			total := 0
			for _, r := range recs[1:] {
				n, _ := strconv.Atoi(r[1])
				total += n
			}
			if total != sn.Customers {
				t.Fatalf("lifecycle sums to %d, want %d", total, sn.Customers)
			}
		})
	})
}

// section returns the part of body from the first occurrence of start to the next end.
func section(t *testing.T, body, start, end string) string {
	t.Helper()
	i := strings.Index(body, start)
	if i < 0 {
		t.Fatalf("no %s in the page", start)
	}
	j := strings.Index(body[i:], end)
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}
