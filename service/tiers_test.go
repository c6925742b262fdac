package service

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/tiers"
)

// tierTest is a service over a fresh database with a manual clock and one tenant whose
// program runs in Europe/Warsaw.
type tierTest struct {
	t      *testing.T
	db     *storage.DB
	svc    *Service
	clock  *tenure.ManualClock
	tenant string
}

var tctx = context.Background()

func newTierTest(t *testing.T, e storagetest.Engine, set *tiers.Ladder) *tierTest {
	t.Helper()
	clock := tenure.NewManualClock(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	db := storagetest.Open(t, e, clock)
	v := &tierTest{t: t, db: db, svc: New(db, nil), clock: clock}
	tn, _, err := v.svc.Tenants.Create(tctx, "Tier store")
	if err != nil {
		t.Fatal(err)
	}
	v.tenant = tn.ID
	p := tn.Program
	p.TimeZone = "Europe/Warsaw"
	if _, err := v.svc.Tenants.UpdateProgram(tctx, v.tenant, "test", p); err != nil {
		t.Fatal(err)
	}
	if set != nil {
		if _, err := v.svc.Tiers.Save(tctx, v.tenant, "test", *set); err != nil {
			t.Fatal(err)
		}
		v.runJobs()
	}
	return v
}

// ladder is Silver at 1000 and Gold at 5000 (1.5x) points per calendar year, 30 days' grace.
func ladder() tiers.Ladder {
	return tiers.Ladder{Metric: tiers.PointsEarned, Window: tiers.CalendarYear, GraceDays: 30, Tiers: []tiers.Tier{
		{Key: "silver", Name: "Silver", Threshold: 1000, Benefits: tiers.Benefits{FreeShipping: true}},
		{Key: "gold", Name: "Gold", Threshold: 5000, Benefits: tiers.Benefits{EarnMultiplierBP: 15000, FreeShipping: true, EarlyAccess: true}},
	}}
}

var warsaw, _ = time.LoadLocation("Europe/Warsaw")

// setClock moves the clock to "2006-01-02 15:04" in Warsaw.
func (v *tierTest) setClock(s string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, warsaw)
	if err != nil {
		v.t.Fatal(err)
	}
	v.clock.Set(t)
}

func (v *tierTest) enrol(ref string) string {
	v.t.Helper()
	m, err := v.svc.Members.Create(tctx, v.tenant, "test", NewMember{ExternalID: ref})
	if err != nil {
		v.t.Fatal(err)
	}
	return m.ID
}

// activity calls the intake hook the way intake does: in a transaction holding the
// member's lock.
func (v *tierTest) activity(memberID string, points, spend, orders int64) {
	v.t.Helper()
	err := v.db.Write(tctx, func(tx *storage.Tx) error {
		if _, err := tx.Member(tctx, v.tenant, memberID, true); err != nil {
			return err
		}
		return v.svc.addTierActivity(tctx, tx, v.tenant, memberID, tx.Now, points, spend, orders)
	})
	if err != nil {
		v.t.Fatal(err)
	}
}

// runJobs runs due jobs as RunDueJobs does once service/jobs.go dispatches tier jobs:
// runTierJob first, the other kinds by runJob.
func (v *tierTest) runJobs() int {
	v.t.Helper()
	done := 0
	for range 100 {
		var jobs []storage.Job
		if err := v.db.Write(tctx, func(tx *storage.Tx) (err error) {
			jobs, err = tx.ClaimJobs(tctx, "test-node", tx.Now.Add(JobLease), 100)
			return err
		}); err != nil {
			v.t.Fatal(err)
		}
		if len(jobs) == 0 {
			return done
		}
		for _, j := range jobs {
			if err := v.db.Write(tctx, func(tx *storage.Tx) error {
				if handled, err := v.svc.runTierJob(tctx, tx, j); handled {
					if err != nil {
						return err
					}
				} else if err := v.svc.runJob(tctx, tx, j); err != nil {
					return err
				}
				return tx.CompleteJob(tctx, j.ID, "test-node")
			}); err != nil {
				v.t.Fatalf("job %s %s: %v", j.Kind, j.Key, err)
			}
			done++
		}
	}
	v.t.Fatal("jobs keep coming")
	return done
}

func (v *tierTest) status(ref string) TierStatus {
	v.t.Helper()
	ts, err := v.svc.Tiers.MemberStatus(tctx, v.tenant, ref)
	if err != nil {
		v.t.Fatal(err)
	}
	return ts
}

func (v *tierTest) expect(ref, tier string) TierStatus {
	v.t.Helper()
	ts := v.status(ref)
	if ts.Tier != tier {
		v.t.Fatalf("%s at %s: tier %q, want %q (state %+v)", ref, v.clock.Now(), ts.Tier, tier, ts.State)
	}
	return ts
}

// changes returns the tier.changed messages, oldest first.
func (v *tierTest) changes() []tierChanged {
	v.t.Helper()
	rows, err := v.db.Raw().Query(`SELECT payload FROM outbox WHERE tenant_id = $1 AND type = 'tier.changed' ORDER BY id`, v.tenant)
	if err != nil {
		v.t.Fatal(err)
	}
	defer rows.Close()
	var out []tierChanged
	for rows.Next() {
		var p string
		var m tierChanged
		if err := rows.Scan(&p); err != nil || json.Unmarshal([]byte(p), &m) != nil {
			v.t.Fatalf("message %s: %v", p, err)
		}
		out = append(out, m)
	}
	return out
}

func (v *tierTest) count(table string) int64 {
	v.t.Helper()
	var n int64
	if err := v.db.Raw().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		v.t.Fatal(err)
	}
	return n
}

func (v *tierTest) counts() map[string]int64 {
	out := map[string]int64{}
	for _, table := range []string{"tier_configs", "tier_states", "tier_stats", "outbox", "jobs", "audit_log"} {
		out[table] = v.count(table)
	}
	return out
}

func lastChange(t *testing.T, msgs []tierChanged, n int) tierChanged {
	t.Helper()
	if len(msgs) != n {
		t.Fatalf("%d tier.changed messages, want %d: %+v", len(msgs), n, msgs)
	}
	return msgs[n-1]
}

func fieldsOf(err error) []string {
	var out []string
	if e, ok := err.(*tenure.Error); ok {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestTierCalendarYear(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		set := ladder()
		v := newTierTest(t, e, &set)
		ola := v.enrol("ola")

		v.setClock("2026-06-10 12:00")
		v.activity(ola, 600, 60000, 1)
		v.expect("ola", "")
		v.activity(ola, 400, 40000, 1)
		ts := v.expect("ola", "silver")
		if want := time.Date(2027, 12, 31, 23, 0, 0, 0, time.UTC); ts.QualifiedUntil == nil || !ts.QualifiedUntil.Equal(want) {
			t.Fatalf("crossing Silver mid-year: qualified until %v, want the end of 2027 in Warsaw", ts.QualifiedUntil)
		}
		if !ts.Benefits.FreeShipping || ts.EarnMultiplier != "x1" || ts.Rank != 1 || ts.Name != "Silver" {
			t.Fatalf("benefits %+v", ts)
		}
		if m := lastChange(t, v.changes(), 1); m.Tier != "silver" || m.Previous != "" || m.Direction != "up" || m.Reason != tiers.ReasonQualified || m.CustomerID != "ola" {
			t.Fatalf("tier.changed %+v", m)
		}
		if got := ts.Progress.Text; got != "4000 more points to reach Gold by 2026-12-31; 1000 more points to keep Silver by 2027-12-31" {
			t.Fatalf("progress %q", got)
		}

		v.setClock("2027-05-01 12:00")
		v.activity(ola, 300, 30000, 1)
		v.setClock("2027-12-31 23:59")
		if n := v.runJobs(); n != 0 {
			t.Fatalf("%d jobs ran before the window end", n)
		}
		v.expect("ola", "silver")

		v.setClock("2028-01-01 00:00")
		if n := v.runJobs(); n != 1 {
			t.Fatalf("%d jobs at the window end, want the review", n)
		}
		ts = v.expect("ola", "silver")
		if ts.GraceUntil == nil || !ts.GraceUntil.Equal(time.Date(2028, 1, 30, 23, 0, 0, 0, time.UTC)) {
			t.Fatalf("grace until %v", ts.GraceUntil)
		}
		if !strings.Contains(ts.Progress.Text, "1000 more points to keep Silver by 2028-01-30") {
			t.Fatalf("progress in grace %q", ts.Progress.Text)
		}

		v.setClock("2028-01-30 23:59")
		if n := v.runJobs(); n != 0 {
			t.Fatalf("%d jobs ran inside the grace period", n)
		}
		v.expect("ola", "silver")
		lastChange(t, v.changes(), 1)

		v.setClock("2028-01-31 00:00")
		if n := v.runJobs(); n != 1 {
			t.Fatalf("%d jobs at the grace end", n)
		}
		v.expect("ola", "")
		m := lastChange(t, v.changes(), 2)
		if m.Tier != "" || m.Previous != "silver" || m.Direction != "down" || m.Reason != tiers.ReasonDowngraded {
			t.Fatalf("tier.changed %+v", m)
		}
		audit, err := v.svc.Tenants.AuditLog(tctx, v.tenant, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range audit {
			if a.Action == "tier.changed" && a.TargetID == ola {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("%d tier.changed audit entries", n)
		}
		// Running a review again, as a retried job would, changes nothing.
		err = v.db.Write(tctx, func(tx *storage.Tx) error {
			_, err := v.svc.runTierJob(tctx, tx, storage.Job{TenantID: v.tenant, Kind: jobTierReview, Payload: ola})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		lastChange(t, v.changes(), 2)
	})
}

func TestTierMultiplierForTheRules(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		set := ladder()
		v := newTierTest(t, e, &set)
		id := v.enrol("vip")
		tierOf := func() (key string, m rules.BasisPoints) {
			err := v.db.Read(tctx, func(tx *storage.Tx) (err error) { key, m, err = v.svc.tierOf(tctx, tx, v.tenant, id); return err })
			if err != nil {
				t.Fatal(err)
			}
			return key, m
		}
		if k, m := tierOf(); k != "" || m != rules.OneX {
			t.Fatalf("no tier: %q %v", k, m)
		}
		v.setClock("2026-03-01 10:00")
		v.activity(id, 5200, 0, 3)
		if k, m := tierOf(); k != "gold" || m != 15000 {
			t.Fatalf("gold: %q %v", k, m)
		}
		if ts := v.expect("vip", "gold"); ts.EarnMultiplier != "x1.5" || ts.Benefits.EarnMultiplierBP != 15000 || !ts.Benefits.EarlyAccess {
			t.Fatalf("status %+v", ts)
		}
	})
}

func TestTierRolling12MonthsBySpend(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		set := tiers.Ladder{Metric: tiers.Spend, Window: tiers.Rolling12Months, GraceDays: 10, Tiers: []tiers.Tier{{Key: "insider", Name: "Insider", Threshold: 100000}}}
		v := newTierTest(t, e, &set)
		id := v.enrol("ana")
		v.setClock("2026-02-10 10:00")
		v.activity(id, 500, 60000, 1)
		v.setClock("2026-07-10 10:00")
		v.activity(id, 400, 40000, 1)
		ts := v.expect("ana", "insider")
		if want := time.Date(2027, 2, 28, 23, 0, 0, 0, time.UTC); !ts.QualifiedUntil.Equal(want) {
			t.Fatalf("qualified until %v: February's spend drops out when March 2027 begins", ts.QualifiedUntil)
		}
		if !strings.HasPrefix(ts.Progress.Text, "Insider is the top tier; 600.00 more spend to keep Insider by 2027-02-28") {
			t.Fatalf("progress %q", ts.Progress.Text)
		}
		v.setClock("2027-03-01 00:00")
		v.runJobs()
		if ts := v.expect("ana", "insider"); ts.GraceUntil == nil {
			t.Fatal("no grace period")
		}
		v.setClock("2027-03-11 00:00")
		v.runJobs()
		v.expect("ana", "")
		if m := lastChange(t, v.changes(), 2); m.Reason != tiers.ReasonDowngraded {
			t.Fatalf("%+v", m)
		}
	})
}

func TestTierLifetimeByOrders(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		set := tiers.Ladder{Metric: tiers.Orders, Window: tiers.Lifetime, GraceDays: 14, Tiers: []tiers.Tier{{Key: "regular", Name: "Regular", Threshold: 3}}}
		v := newTierTest(t, e, &set)
		id := v.enrol("jan")
		for i, month := range []string{"2026-01-10 10:00", "2027-06-10 10:00", "2029-11-10 10:00"} {
			v.setClock(month)
			v.activity(id, 100, 5000, 1)
			if want := map[bool]string{true: "regular", false: ""}[i == 2]; v.status("jan").Tier != want {
				t.Fatalf("after order %d: %q", i+1, v.status("jan").Tier)
			}
		}
		if ts := v.status("jan"); ts.QualifiedUntil != nil || ts.Progress.Keep != nil {
			t.Fatalf("a lifetime tier needs no keeping: %+v", ts)
		}
		v.setClock("2029-11-20 10:00")
		v.activity(id, -100, -5000, -1) // a full refund of the third order
		if ts := v.expect("jan", "regular"); ts.GraceUntil == nil {
			t.Fatal("the refund should start the grace period")
		}
		v.setClock("2029-12-04 10:00")
		v.runJobs()
		v.expect("jan", "")
		lastChange(t, v.changes(), 2)
	})
}

func TestTierManualAssignment(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		set := ladder()
		v := newTierTest(t, e, &set)
		id := v.enrol("eva")
		v.setClock("2026-04-01 10:00")
		v.activity(id, 1200, 0, 2)
		v.expect("eva", "silver")

		until := time.Date(2026, 5, 1, 0, 0, 0, 0, warsaw)
		ts, err := v.svc.Tiers.Assign(tctx, v.tenant, "key:staff", "eva", TierAssignment{Tier: "Gold", ExpiresAt: &until, Reason: "influencer campaign"})
		if err != nil {
			t.Fatal(err)
		}
		if ts.Tier != "gold" || ts.Earned != "silver" || ts.Manual == nil || ts.Manual.Actor != "key:staff" || ts.EarnMultiplier != "x1.5" ||
			ts.Progress.Text != "Gold assigned until 2026-04-30" {
			t.Fatalf("assigned: %+v", ts)
		}
		if m := lastChange(t, v.changes(), 2); m.Reason != tiers.ReasonManual || m.ManualUntil == nil || m.Direction != "up" {
			t.Fatalf("%+v", m)
		}
		v.setClock("2026-04-30 23:59")
		v.runJobs()
		v.expect("eva", "gold")
		v.setClock("2026-05-01 00:00")
		v.runJobs()
		if ts := v.expect("eva", "silver"); ts.Manual != nil {
			t.Fatalf("the expired assignment is kept: %+v", ts.Manual)
		}
		if m := lastChange(t, v.changes(), 3); m.Reason != tiers.ReasonManualEnded || m.Tier != "silver" || m.Direction != "down" {
			t.Fatalf("%+v", m)
		}

		// An assignment with no end lasts until it is removed.
		if _, err := v.svc.Tiers.Assign(tctx, v.tenant, "key:staff", "eva", TierAssignment{Tier: "gold", Reason: "founder"}); err != nil {
			t.Fatal(err)
		}
		v.expect("eva", "gold")
		if _, err := v.svc.Tiers.Assign(tctx, v.tenant, "key:staff", "eva", TierAssignment{Reason: "founder left"}); err != nil {
			t.Fatal(err)
		}
		v.expect("eva", "silver")
		lastChange(t, v.changes(), 5)
		audit, _ := v.svc.Tenants.AuditLog(tctx, v.tenant, "", 50)
		var actions []string
		for _, a := range audit {
			if strings.HasPrefix(a.Action, "tier.") && a.Action != "tier.changed" {
				actions = append(actions, a.Action)
			}
		}
		if !slices.Equal(actions, []string{"tier.unassigned", "tier.assigned", "tier.assigned"}) {
			t.Fatalf("audit %v", actions)
		}

		for _, c := range []struct {
			name  string
			in    TierAssignment
			field string
		}{
			{"an unknown tier is refused", TierAssignment{Tier: "platinum", Reason: "x"}, "tier"},
			{"an expiry in the past is refused", TierAssignment{Tier: "gold", ExpiresAt: &until, Reason: "x"}, "expires_at"},
			{"a reason is required", TierAssignment{Tier: "gold"}, "reason"},
		} {
			before := v.counts()
			_, err := v.svc.Tiers.Assign(tctx, v.tenant, "key:staff", "eva", c.in)
			if tenure.KindOf(err) != tenure.KindInvalid || !slices.Equal(fieldsOf(err), []string{c.field}) {
				t.Fatalf("%s: %v", c.name, err)
			}
			if after := v.counts(); !sameRows(before, after) {
				t.Fatalf("%s wrote: %v -> %v", c.name, before, after)
			}
		}
	})
}

func sameRows(a, b map[string]int64) bool {
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return len(a) == len(b)
}

func TestTierConfiguration(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newTierTest(t, e, nil)
		id := v.enrol("kim")
		v.setClock("2026-03-01 10:00")
		v.activity(id, 700, 0, 1) // recorded while no tiers exist
		if c, err := v.svc.Tiers.Config(tctx, v.tenant); err != nil || c.Version != 0 || len(c.Tiers) != 0 || c.Metric != tiers.PointsEarned {
			t.Fatalf("default config %+v %v", c, err)
		}

		t.Run("a bad configuration names the field and writes nothing", func(t *testing.T) {
			before := v.counts()
			bad := ladder()
			bad.Tiers[1].Threshold = 900
			bad.Tiers[0].Benefits.EarnMultiplierBP = -1
			_, err := v.svc.Tiers.Save(tctx, v.tenant, "test", bad)
			got := fieldsOf(err)
			slices.Sort(got)
			if !slices.Equal(got, []string{"tiers[0].benefits.earn_multiplier_bp", "tiers[1].threshold"}) {
				t.Fatalf("fields %v (%v)", got, err)
			}
			if after := v.counts(); !sameRows(before, after) {
				t.Fatalf("wrote: %v -> %v", before, after)
			}
		})

		t.Run("saving re-evaluates every member, counting earlier activity", func(t *testing.T) {
			set := ladder()
			set.Tiers[0].Threshold = 500
			c, err := v.svc.Tiers.Save(tctx, v.tenant, "test", set)
			if err != nil || c.Version != 1 {
				t.Fatalf("%+v %v", c, err)
			}
			v.expect("kim", "silver") // a read evaluates at once
			if len(v.changes()) != 0 {
				t.Fatal("announced before the rescan job ran")
			}
			v.runJobs()
			if m := lastChange(t, v.changes(), 1); m.Tier != "silver" || m.Reason != tiers.ReasonQualified {
				t.Fatalf("%+v", m)
			}
			set.Tiers = nil // turning tiers off takes the tier away
			if c, err = v.svc.Tiers.Save(tctx, v.tenant, "test", set); err != nil || c.Version != 2 {
				t.Fatalf("%+v %v", c, err)
			}
			v.runJobs()
			if m := lastChange(t, v.changes(), 2); m.Tier != "" || m.Reason != tiers.ReasonReconfigured {
				t.Fatalf("%+v", m)
			}
		})
	})
}

func TestTierTenantIsolation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		set := ladder()
		v := newTierTest(t, e, &set)
		id := v.enrol("ola")
		other, _, err := v.svc.Tenants.Create(tctx, "Other store")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.svc.Tiers.Save(tctx, other.ID, "x", set); err != nil {
			t.Fatal(err)
		}
		if _, err := v.svc.Tiers.MemberStatus(tctx, other.ID, id); tenure.KindOf(err) != tenure.KindNotFound {
			t.Fatalf("read: %v", err)
		}
		before := v.counts()
		if _, err := v.svc.Tiers.Assign(tctx, other.ID, "x", id, TierAssignment{Tier: "gold", Reason: "steal"}); tenure.KindOf(err) != tenure.KindNotFound {
			t.Fatalf("assign: %v", err)
		}
		if after := v.counts(); !sameRows(before, after) {
			t.Fatalf("wrote: %v -> %v", before, after)
		}
	})
}

func TestTierOrderFigures(t *testing.T) {
	paid := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	order := func() *tenure.Order {
		return &tenure.Order{Lines: []tenure.OrderLine{{LineID: "1", Quantity: 2, UnitPrice: 5000}}, PaidAt: &paid,
			Points: tenure.OrderPoints{Credited: 100}}
	}
	cancelled := order()
	cancelled.CancelledAt, cancelled.Points.Credited = &paid, 0
	partial := order()
	partial.Refunds = []tenure.Refund{{Amount: 3000}}
	full := order()
	full.Refunds = []tenure.Refund{{Full: true}}
	unpaid := order()
	unpaid.PaidAt, unpaid.Points.Credited = nil, 0
	for _, c := range []struct {
		name string
		o    *tenure.Order
		want orderTier
	}{
		{"a paid order counts its points, subtotal and itself", order(), orderTier{100, 10000, 1}},
		{"a partial refund reduces the spend", partial, orderTier{100, 7000, 1}},
		{"a full refund takes the order away", full, orderTier{100, 0, 0}},
		{"a cancelled order counts nothing", cancelled, orderTier{}},
		{"an unpaid order counts nothing yet", unpaid, orderTier{}},
	} {
		if got := orderTierOf(c.o); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestTierKeysInBulkAgreeWithTierOf(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		set := ladder()
		set.Tiers = append([]tiers.Tier{{Key: "bronze", Name: "Bronze"}}, set.Tiers...)
		v := newTierTest(t, e, &set)
		ids := map[string]string{"none": v.enrol("none"), "silver": v.enrol("s"), "gold": v.enrol("g"), "manual": v.enrol("m"), "lapsed": v.enrol("l"), "fresh": v.enrol("f")}
		v.setClock("2026-03-01 10:00")
		v.activity(ids["silver"], 1500, 0, 1)
		v.activity(ids["gold"], 6000, 0, 1)
		v.activity(ids["lapsed"], 1000, 0, 1)
		if _, err := v.svc.Tiers.Assign(tctx, v.tenant, "staff", "m", TierAssignment{Tier: "gold", Reason: "friend"}); err != nil {
			t.Fatal(err)
		}
		v.setClock("2028-01-10 10:00")
		v.activity(ids["fresh"], 1200, 0, 1)
		v.setClock("2028-02-15 10:00") // no job ran: the 2026 tiers are past review and grace
		want := map[string]string{"none": "bronze", "silver": "bronze", "gold": "bronze", "manual": "gold", "lapsed": "bronze", "fresh": "silver"}
		err := v.db.Read(tctx, func(tx *storage.Tx) error {
			tierOf, err := v.svc.tierKeys(tctx, tx, v.tenant)
			if err != nil {
				return err
			}
			for name, id := range ids {
				one, _, err := v.svc.tierOf(tctx, tx, v.tenant, id)
				if err != nil {
					return err
				}
				if got := tierOf(id); got != one || got != want[name] {
					t.Errorf("%s: bulk %q, one by one %q, want %q", name, got, one, want[name])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestTierOrderChangeNetsRefundsInThePaidMonth(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		set := ladder()
		v := newTierTest(t, e, &set)
		id := v.enrol("ola")
		paid := time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC) // 00:30 on 1 April in Warsaw
		o := &tenure.Order{Lines: []tenure.OrderLine{{LineID: "1", Quantity: 1, UnitPrice: 120000}}}
		event := func(now string, change func()) {
			v.setClock(now)
			err := v.db.Write(tctx, func(tx *storage.Tx) error {
				u, err := v.svc.newUnit(tctx, tx, v.tenant)
				if err != nil {
					return err
				}
				before := orderTierOf(o)
				change()
				return v.svc.tierOrderChange(tctx, u, id, o, before)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		stats := func() map[string]tiers.Totals {
			var s tiers.Stats
			err := v.db.Read(tctx, func(tx *storage.Tx) (err error) {
				s, err = tx.TierStats(tctx, v.tenant, id, "2000-01", true)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return s.Months
		}
		event("2026-04-01 00:30", func() { o.PaidAt, o.Points.Credited = &paid, 1200 })
		if got := stats(); len(got) != 1 || got["2026-04"] != (tiers.Totals{Points: 1200, Spend: 120000, Orders: 1}) {
			t.Fatalf("after payment: %+v", got)
		}
		v.expect("ola", "silver")
		event("2026-05-20 10:00", func() { o.Refunds = []tenure.Refund{{Amount: 50000}}; o.Points.Credited = 700 })
		if got := stats(); len(got) != 1 || got["2026-04"] != (tiers.Totals{Points: 700, Spend: 70000, Orders: 1}) {
			t.Fatalf("after a partial refund: %+v", got)
		}
		event("2026-06-02 10:00", func() { o.Refunds = append(o.Refunds, tenure.Refund{Full: true}); o.Points.Credited = 0 })
		if got := stats(); len(got) != 1 || got["2026-04"] != (tiers.Totals{}) {
			t.Fatalf("after a full refund: %+v", got)
		}
		// Downgrades wait for the window end: the refunds leave Silver in place until 2027.
		if ts := v.expect("ola", "silver"); !ts.QualifiedUntil.Equal(time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)) {
			t.Fatalf("qualified until %v", ts.QualifiedUntil)
		}
	})
}
