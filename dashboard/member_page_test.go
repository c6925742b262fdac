package dashboard_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestMemberPage checks the member page's figures and pages against the service.
func TestMemberPage(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		ctx := context.Background()
		svc, tid := s.app.Service, s.tenant.ID
		c := s.client(t)
		c.signIn(s.staff[service.RoleSupport])

		t.Run("the lifetime card adds up to the balance, reversed points included", func(t *testing.T) {
			var found tenure.Member
			var bal service.Balances
			for after := ""; found.ID == ""; {
				ms, next, err := svc.Members.List(ctx, tid, tenure.MemberFilter{After: after, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					if b, err := svc.Members.Balance(ctx, tid, m.ID); err == nil && b.Points.Reversed > 0 && b.Points.Spent == 0 {
						found, bal = m, b
						break
					}
				}
				if next == "" {
					break
				}
				after = next
			}
			if found.ID == "" {
				t.Fatal("the demo store has no member with reversed points")
			}
			p := c.get("/admin/members/" + found.ID)
			card := section(t, p.Body, `id="lifetime-sums"`, "</p>")
			nums := regexp.MustCompile(`(−|-|\+)?([\d,]+) (spent|expired|reversed|adjusted|available|pending)`).FindAllStringSubmatch(card, -1)
			got := map[string]int64{}
			for _, m := range nums {
				n, _ := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
				if m[1] == "−" || m[1] == "-" {
					n = -n
				}
				got[m[3]] = n
			}
			pts := bal.Points
			if got["reversed"] != pts.Reversed || got["available"] != pts.Available {
				t.Fatalf("card %q, want %d reversed and %d available", card, pts.Reversed, pts.Available)
			}
			if pts.Earned-got["spent"]-got["expired"]-got["reversed"]+got["adjusted"] != got["available"]+got["pending"] {
				t.Errorf("the card does not add up: %d earned; %q", pts.Earned, card)
			}
		})

		t.Run("rules that did not fire are folded away", func(t *testing.T) {
			p := c.get("/admin/members/cust-00001")
			if !strings.Contains(p.Body, `<details class="why-off">`) {
				t.Fatal("no folded rules on the page")
			}
			open := regexp.MustCompile(`(?s)<details class="why-off">.*?</details>`).ReplaceAllString(p.Body, "")
			if strings.Contains(open, `class="off"`) {
				t.Error("a rule that did not fire is shown unfolded")
			}
			if !strings.Contains(open, `<ul class="why">`) {
				t.Error("the rules that fired are folded too")
			}
		})

		t.Run("the timeline pages through every event", func(t *testing.T) {
			// The member with the most events.
			var best tenure.Member
			most := 0
			ms, _, err := svc.Members.List(ctx, tid, tenure.MemberFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				evs, _, err := svc.Members.Events(ctx, tid, m.ID, "", 200)
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) > most {
					best, most = m, len(evs)
				}
			}
			// A member with more than a page of events: add custom events until there are.
			for i := most; i <= 25; i++ {
				ev := tenure.Event{ID: "timeline-" + strconv.Itoa(i), Type: tenure.CustomAction, CustomerID: best.ExternalID, Action: "visit"}
				if _, err := svc.Intake.Ingest(ctx, tid, []tenure.Event{ev}, service.IngestOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			all, _, err := svc.Members.Events(ctx, tid, best.ID, "", 200)
			if err != nil {
				t.Fatal(err)
			}
			rowRE := regexp.MustCompile(`<code>([^<]+)</code>`)
			nextRE := regexp.MustCompile(`href="([^"]+)" rel="next">Older events`)
			var seen []string
			path := "/admin/members/" + best.ID
			for pages := 0; path != ""; pages++ {
				if pages > 20 {
					t.Fatal("the timeline does not end")
				}
				p := c.get(path)
				if p.Status != http.StatusOK {
					t.Fatalf("%s: %d", path, p.Status)
				}
				table := section(t, p.Body, `id="timeline"`, "</table>")
				for _, m := range rowRE.FindAllStringSubmatch(table, -1) {
					seen = append(seen, m[1])
				}
				path = ""
				if m := nextRE.FindStringSubmatch(p.Body); m != nil {
					path = strings.ReplaceAll(m[1], "&amp;", "&")
				}
			}
			if len(seen) != len(all) {
				t.Fatalf("the timeline's pages show %d events, the member has %d", len(seen), len(all))
			}
			for i, e := range all {
				if seen[i] != e.EventID {
					t.Fatalf("event %d: page shows %s, want %s (newest first)", i, seen[i], e.EventID)
				}
			}
		})
	})
}
