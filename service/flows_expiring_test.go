package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/flows"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// Points expiring: 300 points that expire in 14 days bring one email at 10:00 the
// member's time, with the amount and the date; a member who withdrew email marketing
// consent gets none.
func TestFlowPointsExpiring(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, func(p *tenure.Program) { p.Expiry = tenure.ExpiryPolicy{Mode: "days", Days: 30} })
		s := newSink(t)
		v.flowsOn(s)
		v.ingest(customer("keep", "keep@example.com", "en", "Europe/Warsaw", true))
		v.ingest(customer("quiet", "quiet@example.com", "pl", "Europe/Warsaw", false))
		for _, m := range []string{"keep", "quiet"} {
			if _, err := v.svc.Intake.Adjust(ctx, v.tenant, "test", m, "", service.LedgerOp{Amount: 300, Reason: "welcome gift"}); err != nil {
				t.Fatal(err)
			}
		}
		// The points expire 2026-06-03 10:00 UTC (12:00 in Warsaw).
		if _, err := v.svc.Flows.EnablePreset(ctx, v.tenant, "test", "points-expiring"); err != nil {
			t.Fatal(err)
		}
		for range 20 * 24 {
			v.runJobs()
			v.clock.Advance(time.Hour)
		}
		got := s.all()
		if len(got) != 1 {
			t.Fatalf("want exactly one email, got %d", len(got))
		}
		if subj := subject(t, got[0]); subj != "300 points expire on 2026-06-03" {
			t.Errorf("subject %q", subj)
		}
		if p := parts(t, got[0]); !strings.Contains(p["text/plain"], "300 of your points expire on 2026-06-03") {
			t.Errorf("text %q", p["text/plain"])
		}
		log := v.messages("keep")
		// 14 days before the expiry the scan at 00:00 UTC sees them; 10:00 in Warsaw (CEST) is 08:00 UTC.
		if len(log) != 1 || log[0].State != flows.Sent || !log[0].SentAt.Equal(time.Date(2026, 5, 21, 8, 0, 0, 0, time.UTC)) {
			t.Fatalf("keep: %+v", log)
		}
		if q := v.messages("quiet"); len(q) != 1 || q[0].State != flows.Skipped {
			t.Fatalf("quiet: %+v", q)
		}
	})
}
