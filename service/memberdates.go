package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage"
)

// jobMemberDates emits member.birthday and member.anniversary for the local midnights in
// (payload.From, run_at], then schedules itself for the next hour. Its key is its run_at,
// hour-aligned, so that every chain of these jobs for a tenant converges on the same
// keys and is stored once. It runs while some earning rule listens to these events.
const jobMemberDates = "member.dates"

// memberDatesCatchUp bounds how far one member.dates job reaches when it runs late.
const memberDatesCatchUp = 7 * 24 * time.Hour

type memberDatesPayload struct {
	From time.Time `json:"from"`
}

// checkSource rejects, from anyone but Tenure's scheduler, the event types Tenure emits
// itself and the event id prefix it reserves for them.
func checkSource(e *tenure.Event, p string, opt IngestOptions) tenure.Problems {
	var probs tenure.Problems
	if opt.Scheduled {
		return nil
	}
	if e.Type.IsScheduled() {
		probs.Add(p+"type", "%s is emitted by Tenure itself, daily in each member's time zone; a store cannot send it", e.Type)
	}
	if strings.HasPrefix(e.ID, tenure.ScheduledEventPrefix) {
		probs.Add(p+"id", "must not begin with %q, which Tenure's own events use", tenure.ScheduledEventPrefix)
	}
	return probs
}

// scheduledTypes returns which of the events Tenure emits itself the rule book listens to.
func (rb *ruleBook) scheduledTypes() (birthday, anniversary bool) { return scheduledTypes(rb.set) }

// scheduledTypes returns which of the events Tenure emits itself a rule set listens to.
func scheduledTypes(set rules.Set) (birthday, anniversary bool) {
	for _, r := range set.Rules {
		birthday = birthday || r.Event == tenure.MemberBirthday
		anniversary = anniversary || r.Event == tenure.MemberAnniversary
	}
	return birthday, anniversary
}

// scheduleMemberDates starts the tenant's member.dates jobs at the next hour, unless a
// chain of them already reaches it.
func scheduleMemberDates(ctx context.Context, tx *storage.Tx, tenantID string) error {
	from := tx.Now.UTC().Truncate(time.Hour)
	to := from.Add(time.Hour)
	b, _ := json.Marshal(memberDatesPayload{From: from})
	return tx.Schedule(ctx, tenantID, jobMemberDates, to.Format(time.RFC3339), string(b), to)
}

// StartMemberDates makes sure every tenant whose rules listen to member.birthday or
// member.anniversary has its member.dates jobs running (rule sets saved before these
// events were emitted have none yet). Workers call it when they start; it is harmless to
// call again.
func (s *Service) StartMemberDates(ctx context.Context) error {
	return s.db.Write(ctx, func(tx *storage.Tx) error {
		ts, err := tx.Tenants(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			rb, err := s.rules(ctx, tx, t.ID, t.Program)
			if err != nil {
				return err
			}
			if birthday, anniversary := rb.scheduledTypes(); birthday || anniversary {
				if err := scheduleMemberDates(ctx, tx, t.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// runMemberDatesJob runs member.dates jobs; handled is false for other kinds.
func (s *core) runMemberDatesJob(ctx context.Context, tx *storage.Tx, j storage.Job) (handled bool, err error) {
	if j.Kind != jobMemberDates {
		return false, nil
	}
	var p memberDatesPayload
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return true, err
	}
	to := j.RunAt.UTC()
	t, err := tx.Tenant(ctx, j.TenantID)
	if err != nil {
		return true, err
	}
	rb, err := s.rules(ctx, tx, j.TenantID, t.Program)
	if err != nil {
		return true, err
	}
	birthday, anniversary := rb.scheduledTypes()
	if !birthday && !anniversary {
		return true, nil // the chain ends; saving rules that listen starts a new one
	}
	for {
		n, err := tx.IndexMemberDates(ctx, j.TenantID, 1000)
		if err != nil {
			return true, err
		}
		if n < 1000 {
			break
		}
	}
	var events []tenure.Event
	if birthday {
		ev, err := birthdayEvents(ctx, tx, j.TenantID, t.Program, p.From, to)
		if err != nil {
			return true, err
		}
		events = append(events, ev...)
	}
	if anniversary {
		ev, err := anniversaryEvents(ctx, tx, j.TenantID, t.Program, p.From, to)
		if err != nil {
			return true, err
		}
		events = append(events, ev...)
	}
	if err := s.ingestScheduled(ctx, tx, j.TenantID, events); err != nil {
		return true, err
	}
	next := to.Add(time.Hour)
	if now := tx.Now.UTC().Truncate(time.Hour); now.After(next) {
		next = now
		if far := to.Add(memberDatesCatchUp); far.Before(now) {
			next = far
		}
	}
	b, _ := json.Marshal(memberDatesPayload{From: to})
	return true, tx.Schedule(ctx, j.TenantID, jobMemberDates, next.Format(time.RFC3339), string(b), next)
}

// memberZone is the time zone a member's dates are kept in: their own when stored,
// else the program's.
func memberZone(m tenure.Member, prog tenure.Program) *time.Location {
	if m.TimeZone != "" {
		if loc, err := time.LoadLocation(m.TimeZone); err == nil {
			return loc
		}
	}
	return prog.Location()
}

// localMidnight is the instant day month/day of year begins in loc; 29 February falls on
// the 28th in other years.
func localMidnight(year int, month time.Month, day int, loc *time.Location) time.Time {
	if month == time.February && day == 29 && !isLeap(year) {
		day = 28
	}
	return time.Date(year, month, day, 0, 0, 0, 0, loc).UTC()
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// scheduledID is the id of an event Tenure emits: one per member, type and year, so that
// emitting it again (a job run twice, two nodes) is a replay.
func scheduledID(t tenure.EventType, memberID string, year int) string {
	return tenure.ScheduledEventPrefix + string(t) + ":" + memberID + ":" + strconv.Itoa(year)
}

// birthdayEvents returns member.birthday for every member whose birthday begins, in
// their time zone, in (from, to], and whose birthday was known the program's notice
// before that.
func birthdayEvents(ctx context.Context, tx *storage.Tx, tenantID string, prog tenure.Program, from, to time.Time) ([]tenure.Event, error) {
	// A local midnight in (from, to] is on a UTC date from the day before from to the day
	// after to, whatever the zone.
	var days []string
	for d := from.UTC().AddDate(0, 0, -1).Truncate(24 * time.Hour); !d.After(to.UTC().AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format("01-02"))
	}
	if slices.Contains(days, "02-28") && !slices.Contains(days, "02-29") {
		days = append(days, "02-29")
	}
	members, err := tx.MembersByBirthday(ctx, tenantID, days)
	if err != nil {
		return nil, err
	}
	notice := time.Duration(prog.BirthdayNotice()) * 24 * time.Hour
	var out []tenure.Event
	for _, dm := range members {
		m := dm.Member
		month, day, birthYear, ok := parseBirthday(m.Birthday)
		if !ok || m.ExternalID == "" {
			continue
		}
		loc := memberZone(m, prog)
		for y := from.In(loc).Year(); y <= to.In(loc).Year(); y++ {
			at := localMidnight(y, month, day, loc)
			if !at.After(from) || at.After(to) || dm.BirthdaySince.After(at.Add(-notice)) {
				continue
			}
			props := map[string]any{"year": y}
			if birthYear > 0 {
				props["age"] = y - birthYear
			}
			out = append(out, tenure.Event{ID: scheduledID(tenure.MemberBirthday, m.ID, y), Type: tenure.MemberBirthday,
				CustomerID: m.ExternalID, OccurredAt: at, Properties: props})
		}
	}
	return out, nil
}

// parseBirthday reads "YYYY-MM-DD" or "--MM-DD" (birthYear 0 when unknown).
func parseBirthday(b string) (month time.Month, day, birthYear int, ok bool) {
	if len(b) < 7 {
		return 0, 0, 0, false
	}
	md := b[len(b)-5:]
	mm, err1 := strconv.Atoi(md[:2])
	dd, err2 := strconv.Atoi(md[3:])
	if err1 != nil || err2 != nil || mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return 0, 0, 0, false
	}
	if len(b) == 10 {
		birthYear, _ = strconv.Atoi(b[:4])
	}
	return time.Month(mm), dd, birthYear, true
}

// anniversaryEvents returns member.anniversary for every member whose anniversary of
// enrolment (the date they enrolled, in their time zone) begins in (from, to].
func anniversaryEvents(ctx context.Context, tx *storage.Tx, tenantID string, prog tenure.Program, from, to time.Time) ([]tenure.Event, error) {
	first, ok, err := tx.FirstEnrolment(ctx, tenantID)
	if err != nil || !ok {
		return nil, err
	}
	seen := map[string]bool{}
	var out []tenure.Event
	// Members enrolled k years before the window, give or take the widest zone offsets.
	for k := 1; ; k++ {
		lo, hi := from.AddDate(-k, 0, -2), to.AddDate(-k, 0, 2)
		if hi.Before(first) {
			break
		}
		members, err := tx.MembersEnrolledBetween(ctx, tenantID, lo, hi)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if m.ExternalID == "" {
				continue
			}
			loc := memberZone(m, prog)
			e := m.EnrolledAt.In(loc)
			y := e.Year() + k
			at := localMidnight(y, e.Month(), e.Day(), loc)
			id := scheduledID(tenure.MemberAnniversary, m.ID, y)
			if !at.After(from) || at.After(to) || seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, tenure.Event{ID: id, Type: tenure.MemberAnniversary, CustomerID: m.ExternalID, OccurredAt: at,
				Properties: map[string]any{"year": y, "years": k}})
		}
	}
	return out, nil
}

// ingestScheduled runs events Tenure emits through the intake in the caller's
// transaction. Events already received (an earlier run, another node) are skipped.
func (s *core) ingestScheduled(ctx context.Context, tx *storage.Tx, tenantID string, events []tenure.Event) error {
	for start := 0; start < len(events); start += MaxBatch {
		batch := events[start:min(start+MaxBatch, len(events))]
		ids := make([]string, len(batch))
		for i, e := range batch {
			ids[i] = e.ID
		}
		seen, err := tx.EventsByExternalID(ctx, tenantID, ids)
		if err != nil {
			return err
		}
		batch = slices.DeleteFunc(slices.Clone(batch), func(e tenure.Event) bool { _, ok := seen[e.ID]; return ok })
		if len(batch) == 0 {
			continue
		}
		opt := IngestOptions{Batch: true, Scheduled: true}
		var probs tenure.Problems
		hashes := make([]string, len(batch))
		for i := range batch {
			probs = append(probs, batch[i].Validate(prefix(true, i))...)
			b, _ := json.Marshal(batch[i])
			h := sha256.Sum256(b)
			hashes[i] = hex.EncodeToString(h[:16])
		}
		if err := probs.Err("service.ingestScheduled"); err != nil {
			return err
		}
		in := &intake{s: s, ctx: ctx, opt: opt}
		if in.u, err = s.newUnit(ctx, tx, tenantID); err != nil {
			return err
		}
		if _, err := in.run(batch, hashes); err != nil {
			return err
		}
		for _, e := range batch {
			s.observe(e.Type, "processed")
		}
	}
	return nil
}
