package service_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// datesRules gives 100 points on a member's birthday and 10 on each anniversary.
var datesRules = rules.Set{TimeZone: "Europe/Warsaw", Rules: []rules.Rule{
	{ID: "birthday", Name: "Birthday gift", Kind: rules.KindAction, Event: tenure.MemberBirthday, Points: 100},
	{ID: "anniversary", Name: "Anniversary", Kind: rules.KindAction, Event: tenure.MemberAnniversary, Points: 10},
}}

// datesMembers enrols members with a birthday on 7 December in several zones; "late"
// gives theirs only six days before it.
func datesMembers(v *env) {
	v.t.Helper()
	customer := func(id, birthday, zone string) tenure.Event {
		p := &tenure.MemberPatch{Birthday: &birthday}
		if zone != "" {
			p.TimeZone = &zone
		}
		return tenure.Event{ID: id + "-created", Type: tenure.CustomerCreated, CustomerID: id, Customer: p}
	}
	v.ingest(customer("waw", "1990-12-07", "Europe/Warsaw"), customer("nyc", "--12-07", "America/New_York"),
		customer("home", "2001-12-07", ""), customer("late", "1980-01-01", "Europe/Warsaw"))
	if _, err := v.svc.Rules.Save(ctx, v.tenant, "test", datesRules); err != nil {
		v.t.Fatal(err)
	}
	v.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	b := "1980-12-07"
	v.ingest(tenure.Event{ID: "late-updated", Type: tenure.CustomerUpdated, CustomerID: "late", Customer: &tenure.MemberPatch{Birthday: &b}})
}

func runAll(t *testing.T, svc *service.Service, owner string) {
	t.Helper()
	for {
		n, err := svc.RunDueJobs(ctx, owner, 100)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// TestBirthdayAwardsOnceAtLocalMidnight moves the clock across 7 December half an hour at
// a time: each member earns the birthday gift at their own midnight (Warsaw, New York, and
// the store's zone for a member without one), once, and not after a restart replays the
// same hours; a birthday given six days before earns nothing.
func TestBirthdayAwardsOnceAtLocalMidnight(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, func(p *tenure.Program) { p.TimeZone = "Europe/Warsaw" })
		datesMembers(v)
		start := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
		v.clock.Set(start)
		runAll(t, v.svc, "node-a")
		first := map[string]time.Time{}
		for at := start; !at.After(time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)); at = at.Add(30 * time.Minute) {
			v.clock.Set(at)
			runAll(t, v.svc, "node-a")
			for _, c := range []string{"waw", "nyc", "home", "late"} {
				switch p := v.points(c).Available; {
				case p == 100 && first[c].IsZero():
					first[c] = at
				case p != 0 && p != 100:
					t.Fatalf("%s has %d points at %s", c, p, at)
				}
			}
		}
		want := map[string]time.Time{
			"waw":  time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC), // midnight in Warsaw (UTC+1)
			"home": time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC), // the store's zone
			"nyc":  time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC),  // midnight in New York (UTC-5)
		}
		for c, w := range want {
			if !first[c].Equal(w) {
				t.Errorf("%s got the birthday gift at %s, want %s", c, first[c], w)
			}
		}
		if !first["late"].IsZero() {
			t.Errorf("a birthday set six days before earned at %s", first["late"])
		}

		// A restart: a new service on the same database goes over the same midnights again.
		v.clock.Set(start)
		db2 := storagetest.Open(t, e, v.clock)
		svc2 := service.New(db2, nil)
		if _, err := svc2.Rules.Save(ctx, v.tenant, "test", datesRules); err != nil {
			t.Fatal(err)
		}
		for at := start; !at.After(time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)); at = at.Add(time.Hour) {
			v.clock.Set(at)
			runAll(t, svc2, "node-b")
		}
		for _, c := range []string{"waw", "nyc", "home"} {
			if p := v.points(c); p.Available != 100 || p.Earned != 100 {
				t.Errorf("%s after a restart: %+v, want 100 earned once", c, p)
			}
		}
		v.verify()
	})
}

// TestBirthdayOnTwoNodes runs the daily jobs on two services over one database at once,
// across midnight in Warsaw and New York: every member earns the gift exactly once.
func TestBirthdayOnTwoNodes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, func(p *tenure.Program) { p.TimeZone = "Europe/Warsaw" })
		datesMembers(v)
		other := service.New(storagetest.Open(t, e, v.clock), nil)
		for at := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC); !at.After(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)); at = at.Add(time.Hour) {
			v.clock.Set(at)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, svc := range []*service.Service{v.svc, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n, err := svc.RunDueJobs(ctx, []string{"node-a", "node-b"}[i], 100)
						if err != nil || n == 0 {
							errs[i] = err
							return
						}
					}
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
		}
		runAll(t, v.svc, "node-a")
		for _, c := range []string{"waw", "nyc", "home"} {
			if p := v.points(c); p.Available != 100 || p.Earned != 100 {
				t.Errorf("%s: %+v, want the 100-point gift once", c, p)
			}
		}
		var gifts int
		err := v.db.Read(ctx, func(tx *storage.Tx) error {
			return tx.EachEntry(ctx, v.tenant, func(en tenure.Entry) error {
				if en.Kind == tenure.EntryEarn && en.Amount == 100 {
					gifts++
				}
				return nil
			})
		})
		if err != nil || gifts != 3 {
			t.Fatalf("%d birthday gifts in the ledger, want 3 (err %v)", gifts, err)
		}
		v.verify()
	})
}

// TestAnniversaryOfEnrolment: a member enrolled on 4 May earns the anniversary gift at
// midnight on 4 May a year later in their zone, with the number of years.
func TestAnniversaryOfEnrolment(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, func(p *tenure.Program) { p.TimeZone = "Europe/Warsaw" })
		datesMembers(v) // enrolled 4 May 2026, 10:00 UTC
		v.clock.Set(time.Date(2027, 5, 3, 21, 30, 0, 0, time.UTC))
		runAll(t, v.svc, "node-a")
		before := v.points("waw").Earned
		v.clock.Set(time.Date(2027, 5, 3, 22, 0, 0, 0, time.UTC)) // midnight in Warsaw (UTC+2)
		runAll(t, v.svc, "node-a")
		if got := v.points("waw").Earned - before; got != 10 {
			t.Fatalf("the anniversary gave %d points at midnight, want 10", got)
		}
		v.clock.Set(time.Date(2027, 5, 5, 0, 0, 0, 0, time.UTC))
		runAll(t, v.svc, "node-a")
		if got := v.points("waw").Earned - before; got != 10 {
			t.Fatalf("the anniversary gave %d points in all, want 10 once", got)
		}
		var years any
		err := v.db.Read(ctx, func(tx *storage.Tx) error {
			m, err := tx.Member(ctx, v.tenant, "waw", false)
			if err != nil {
				return err
			}
			_, ev, err := tx.Event(ctx, v.tenant, tenure.ScheduledEventPrefix+"member.anniversary:"+m.ID+":2027")
			years = ev.Properties["years"]
			return err
		})
		if err != nil || years != float64(1) {
			t.Fatalf("anniversary event years %v, err %v", years, err)
		}
	})
}

// TestStoresCannotSendScheduledEvents: the intake rejects member.birthday and the
// reserved id prefix from a store, naming the field and writing nothing; a dry run
// judges a birthday.
func TestStoresCannotSendScheduledEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		if _, err := v.svc.Rules.Save(ctx, v.tenant, "test", datesRules); err != nil {
			t.Fatal(err)
		}
		before := v.counts()
		for _, c := range []struct {
			ev    tenure.Event
			field string
		}{
			{tenure.Event{ID: "b1", Type: tenure.MemberBirthday, CustomerID: "c1"}, "type"},
			{tenure.Event{ID: "tenure:member.birthday:x:2026", Type: tenure.ReviewPosted, CustomerID: "c1"}, "id"},
		} {
			_, err := v.svc.Intake.Ingest(ctx, v.tenant, []tenure.Event{c.ev}, service.IngestOptions{})
			var te *tenure.Error
			if !errors.As(err, &te) || te.Kind != tenure.KindInvalid || len(te.Fields) != 1 || te.Fields[0].Field != c.field {
				t.Fatalf("%+v: got %v, want a problem naming %s", c.ev, err, c.field)
			}
		}
		sameCounts(t, before, v.counts())
		res, err := v.svc.Rules.Evaluate(ctx, v.tenant, service.EvaluateRequest{Event: tenure.Event{ID: "dry", Type: tenure.MemberBirthday, CustomerID: "c1"}})
		if err != nil || res.Points != 100 {
			t.Fatalf("dry run of a birthday: %+v, %v", res, err)
		}
	})
}

// TestStartMemberDates: a rule set saved before birthdays were emitted (no job yet) gets
// its jobs when the workers start, and the birthday still earns once.
func TestStartMemberDates(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, func(p *tenure.Program) { p.TimeZone = "Europe/Warsaw" })
		datesMembers(v)
		if _, err := v.db.Raw().Exec(`DELETE FROM jobs WHERE kind = 'member.dates'`); err != nil {
			t.Fatal(err)
		}
		v.clock.Set(time.Date(2026, 12, 6, 22, 30, 0, 0, time.UTC))
		for i := 0; i < 2; i++ {
			if err := v.svc.StartMemberDates(ctx); err != nil {
				t.Fatal(err)
			}
		}
		v.clock.Set(time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC))
		runAll(t, v.svc, "node-a")
		if p := v.points("waw"); p.Earned != 100 {
			t.Fatalf("after the workers started: %+v, want the birthday gift", p)
		}
	})
}
