package dashboard_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// staffEnv is a service over a fresh database with a manual clock and one tenant.
type staffEnv struct {
	svc    *service.Service
	db     *storage.DB
	clock  *tenure.ManualClock
	tenant string
}

func newStaffEnv(t *testing.T, e storagetest.Engine) *staffEnv {
	t.Helper()
	clock := tenure.NewManualClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))
	db := storagetest.Open(t, fresh(t, e), clock)
	svc := service.New(db, nil)
	tn, _, err := svc.Tenants.Create(context.Background(), "Test store")
	if err != nil {
		t.Fatal(err)
	}
	return &staffEnv{svc: svc, db: db, clock: clock, tenant: tn.ID}
}

// fresh returns an empty database on the same engine as e, so that subtests do not see
// each other's rows.
func fresh(t *testing.T, e storagetest.Engine) storagetest.Engine {
	t.Helper()
	if e.Name == "postgres" {
		return storagetest.Engine{Name: e.Name, DSN: storagetest.FreshSchema(t, os.Getenv(storagetest.PostgresEnv))}
	}
	return storagetest.Engine{Name: e.Name, DSN: filepath.Join(t.TempDir(), "tenure.db")}
}

func (e *staffEnv) create(t *testing.T, email string, role service.Role) service.Staff {
	t.Helper()
	st, _, err := e.svc.Access.CreateStaff(context.Background(), e.tenant, "test", service.NewStaff{Email: email, Role: role, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *staffEnv) signIn(t *testing.T, email, previous string) service.SignIn {
	t.Helper()
	res, err := e.svc.Access.SignIn(context.Background(), service.SignInRequest{Email: email, Password: password, Previous: previous})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func fieldsOf(err error) string {
	var names []string
	if e, ok := err.(*tenure.Error); ok {
		for _, f := range e.Fields {
			names = append(names, f.Field)
		}
	}
	return strings.Join(names, ",")
}

// TestStaff is the behaviour of staff accounts and sessions, on every storage engine.
func TestStaff(t *testing.T) {
	ctx := context.Background()
	storagetest.Each(t, func(t *testing.T, eng storagetest.Engine) {
		t.Run("passwords are stored as salted PBKDF2-SHA256 with 600,000 iterations", func(t *testing.T) {
			e := newStaffEnv(t, eng)
			a := e.create(t, "Ola@Shop.example", service.RoleOwner)
			e.create(t, "ola2@shop.example", service.RoleSupport)
			if a.Email != "ola@shop.example" {
				t.Errorf("email kept as %q, want lower case", a.Email)
			}
			var hashes []string
			rows, err := e.db.Raw().Query(`SELECT password_hash FROM staff ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var h string
				if err := rows.Scan(&h); err != nil {
					t.Fatal(err)
				}
				hashes = append(hashes, h)
			}
			rows.Close()
			if len(hashes) != 2 || hashes[0] == hashes[1] {
				t.Fatalf("the same password must hash differently (per-user salt): %q", hashes)
			}
			for _, h := range hashes {
				p := strings.Split(h, "$")
				if len(p) != 4 || p[0] != "pbkdf2-sha256" || p[1] != "600000" || strings.Contains(h, password) {
					t.Errorf("stored hash %q", h)
				}
			}
		})

		t.Run("validation names the fields; an email is unique in a tenant only", func(t *testing.T) {
			e := newStaffEnv(t, eng)
			_, _, err := e.svc.Access.CreateStaff(ctx, e.tenant, "test", service.NewStaff{Email: "not an email", Role: "boss", Password: "short"})
			if tenure.KindOf(err) != tenure.KindInvalid || fieldsOf(err) != "email,role,password" {
				t.Fatalf("got %v (fields %s)", err, fieldsOf(err))
			}
			e.create(t, "ola@shop.example", service.RoleOwner)
			if _, _, err := e.svc.Access.CreateStaff(ctx, e.tenant, "test", service.NewStaff{Email: "OLA@shop.example", Role: service.RoleSupport, Password: password}); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("duplicate email: %v", err)
			}
			other, _, _ := e.svc.Tenants.Create(ctx, "Other store")
			if _, _, err := e.svc.Access.CreateStaff(ctx, other.ID, "test", service.NewStaff{Email: "ola@shop.example", Role: service.RoleOwner, Password: password}); err != nil {
				t.Fatalf("the same email in another store: %v", err)
			}
			st, generated, err := e.svc.Access.CreateStaff(ctx, e.tenant, "test", service.NewStaff{Email: "new@shop.example", Role: service.RoleReadOnly})
			if err != nil || len(generated) < service.MinPasswordLength || st.Role != service.RoleReadOnly {
				t.Fatalf("generated password %q: %v", generated, err)
			}
			if _, err := e.svc.Access.SignIn(ctx, service.SignInRequest{Email: "new@shop.example", Password: generated}); err != nil {
				t.Fatalf("sign in with the generated password: %v", err)
			}
		})

		t.Run("every sign-in issues a new session and ends the previous one", func(t *testing.T) {
			e := newStaffEnv(t, eng)
			e.create(t, "ola@shop.example", service.RoleOwner)
			first := e.signIn(t, "ola@shop.example", "")
			second := e.signIn(t, "ola@shop.example", first.Secret)
			if first.Secret == second.Secret || len(second.Secret) < 43 {
				t.Fatalf("secrets %q %q", first.Secret, second.Secret)
			}
			if _, err := e.svc.Access.Session(ctx, first.Secret); tenure.KindOf(err) != tenure.KindUnauthorized {
				t.Fatalf("the previous session still works: %v", err)
			}
			sess, err := e.svc.Access.Session(ctx, second.Secret)
			if err != nil || sess.Staff.Email != "ola@shop.example" || sess.Staff.LastLoginAt == nil {
				t.Fatalf("session: %+v %v", sess, err)
			}
			var stored int
			if err := e.db.Raw().QueryRow(`SELECT COUNT(*) FROM staff_sessions WHERE id_hash = $1`, second.Secret).Scan(&stored); err != nil || stored != 0 {
				t.Fatalf("the session secret is stored in the clear (%d, %v)", stored, err)
			}
			if err := e.svc.Access.SignOut(ctx, second.Secret); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Access.Session(ctx, second.Secret); tenure.KindOf(err) != tenure.KindUnauthorized {
				t.Fatalf("signed out, still in: %v", err)
			}
		})

		t.Run("wrong password, unknown email and a deactivated account are all refused", func(t *testing.T) {
			e := newStaffEnv(t, eng)
			e.create(t, "owner@shop.example", service.RoleOwner)
			gone := e.create(t, "gone@shop.example", service.RoleSupport)
			if _, err := e.svc.Access.DeactivateStaff(ctx, e.tenant, "test", gone.ID); err != nil {
				t.Fatal(err)
			}
			for _, in := range []service.SignInRequest{
				{Email: "owner@shop.example", Password: "wrong password!"},
				{Email: "nobody@shop.example", Password: password},
				{Email: "gone@shop.example", Password: password},
			} {
				if _, err := e.svc.Access.SignIn(ctx, in); tenure.KindOf(err) != tenure.KindUnauthorized || err.Error() != "service.SignIn: wrong email or password" {
					t.Errorf("%s: %v", in.Email, err)
				}
			}
		})

		t.Run("sessions expire after their lifetime", func(t *testing.T) {
			e := newStaffEnv(t, eng)
			e.create(t, "ola@shop.example", service.RoleOwner)
			s := e.signIn(t, "ola@shop.example", "")
			e.clock.Advance(service.SessionLifetime - time.Minute)
			if _, err := e.svc.Access.Session(ctx, s.Secret); err != nil {
				t.Fatalf("before expiry: %v", err)
			}
			e.clock.Advance(2 * time.Minute)
			if _, err := e.svc.Access.Session(ctx, s.Secret); tenure.KindOf(err) != tenure.KindUnauthorized {
				t.Fatalf("after expiry: %v", err)
			}
		})

		t.Run("a role change applies to the next request; deactivation and reset sign out", func(t *testing.T) {
			e := newStaffEnv(t, eng)
			e.create(t, "owner@shop.example", service.RoleOwner)
			m := e.create(t, "mia@shop.example", service.RoleMarketer)
			s := e.signIn(t, "mia@shop.example", "")
			if _, err := e.svc.Access.SetStaffRole(ctx, e.tenant, "test", m.ID, service.RoleReadOnly); err != nil {
				t.Fatal(err)
			}
			if sess, _ := e.svc.Access.Session(ctx, s.Secret); sess.Staff.Role != service.RoleReadOnly {
				t.Fatalf("role after the change: %q", sess.Staff.Role)
			}
			if _, _, err := e.svc.Access.ResetStaffPassword(ctx, e.tenant, "test", m.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Access.Session(ctx, s.Secret); tenure.KindOf(err) != tenure.KindUnauthorized {
				t.Fatalf("a password reset left the session: %v", err)
			}
			if _, err := e.svc.Access.SignIn(ctx, service.SignInRequest{Email: "mia@shop.example", Password: password}); err == nil {
				t.Fatal("the old password still works after a reset")
			}
			if _, err := e.svc.Access.SetStaffRole(ctx, e.tenant, "test", m.ID, "boss"); tenure.KindOf(err) != tenure.KindInvalid {
				t.Fatalf("unknown role: %v", err)
			}
		})

		t.Run("the last active owner can be neither demoted nor deactivated", func(t *testing.T) {
			e := newStaffEnv(t, eng)
			a := e.create(t, "a@shop.example", service.RoleOwner)
			if _, err := e.svc.Access.SetStaffRole(ctx, e.tenant, "test", a.ID, service.RoleSupport); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("demote the only owner: %v", err)
			}
			if _, err := e.svc.Access.DeactivateStaff(ctx, e.tenant, "test", a.ID); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("deactivate the only owner: %v", err)
			}
			b := e.create(t, "b@shop.example", service.RoleOwner)
			if _, err := e.svc.Access.SetStaffRole(ctx, e.tenant, "test", a.ID, service.RoleSupport); err != nil {
				t.Fatalf("demote one of two owners: %v", err)
			}
			if _, err := e.svc.Access.DeactivateStaff(ctx, e.tenant, "test", b.ID); tenure.KindOf(err) != tenure.KindConflict {
				t.Fatalf("deactivate the remaining owner: %v", err)
			}
			if _, err := e.svc.Access.DeactivateStaff(ctx, e.tenant, "test", "stf_unknown"); tenure.KindOf(err) != tenure.KindNotFound {
				t.Fatalf("unknown staff: %v", err)
			}
		})

		t.Run("the same email in two stores asks which store", func(t *testing.T) {
			e := newStaffEnv(t, eng)
			e.create(t, "ola@shop.example", service.RoleOwner)
			other, _, _ := e.svc.Tenants.Create(ctx, "Second store")
			if _, _, err := e.svc.Access.CreateStaff(ctx, other.ID, "test", service.NewStaff{Email: "ola@shop.example", Role: service.RoleSupport, Password: password}); err != nil {
				t.Fatal(err)
			}
			res := e.signIn(t, "ola@shop.example", "")
			if res.Secret != "" || len(res.Choices) != 2 {
				t.Fatalf("want a choice of two stores, got %+v", res)
			}
			res, err := e.svc.Access.SignIn(ctx, service.SignInRequest{Email: "ola@shop.example", Password: password, TenantID: other.ID})
			if err != nil || res.Session.Staff.TenantID != other.ID || res.Session.Staff.Role != service.RoleSupport {
				t.Fatalf("sign in to the second store: %+v %v", res.Session, err)
			}
		})
	})
}

// TestRoles pins what each role may do, as docs/dashboard.md describes it.
func TestRoles(t *testing.T) {
	want := map[service.Role][]service.Permission{
		service.RoleOwner:    {service.PermManageStaff, service.PermManageKeys, service.PermManageWebhooks, service.PermViewAudit, service.PermEditProgram, service.PermAdjustPoints},
		service.RoleMarketer: {service.PermViewMembers, service.PermViewProgram, service.PermEditProgram},
		service.RoleSupport:  {service.PermViewMembers, service.PermAdjustPoints},
		service.RoleReadOnly: {service.PermViewOverview, service.PermViewMembers, service.PermViewProgram},
	}
	deny := map[service.Role][]service.Permission{
		service.RoleMarketer: {service.PermManageStaff, service.PermManageKeys, service.PermAdjustPoints, service.PermViewAudit},
		service.RoleSupport:  {service.PermEditProgram, service.PermManageStaff, service.PermManageKeys},
		service.RoleReadOnly: {service.PermAdjustPoints, service.PermEditProgram, service.PermManageStaff, service.PermManageKeys, service.PermManageWebhooks, service.PermViewAudit},
	}
	for r, ps := range want {
		for _, p := range ps {
			if !r.Can(p) {
				t.Errorf("%s should have %s", r, p)
			}
		}
	}
	for r, ps := range deny {
		for _, p := range ps {
			if r.Can(p) {
				t.Errorf("%s should not have %s", r, p)
			}
		}
	}
}
