package widget_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/widget"
)

// server is a Tenure app on 127.0.0.1:0 with a manual clock, one tenant with a widget
// secret, and helpers to sign member tokens and call the member API.
type server struct {
	t      testing.TB
	app    *app.App
	url    string
	clock  *tenure.ManualClock
	tenant string
	secret string
}

func start(t testing.TB, e storagetest.Engine) *server {
	t.Helper()
	clock := tenure.NewManualClock(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	a, url := apptest.Serve(t, e, clock)
	s := &server{t: t, app: a, url: url, clock: clock}
	s.tenant, s.secret = s.newTenant("Shop A")
	return s
}

// newTenant creates a tenant with a widget secret.
func (s *server) newTenant(name string) (id, secret string) {
	s.t.Helper()
	ctx := context.Background()
	tn, _, err := s.app.Service.Tenants.Create(ctx, name)
	if err != nil {
		s.t.Fatal(err)
	}
	_, secret, err = s.app.Service.Widget.RotateSecret(ctx, tn.ID, "test")
	if err != nil {
		s.t.Fatal(err)
	}
	return tn.ID, secret
}

// member enrols a customer of tenant with the given available points.
func (s *server) member(tenant, customer, firstName string, points int64) tenure.Member {
	s.t.Helper()
	ctx := context.Background()
	m, err := s.app.Service.Members.Create(ctx, tenant, "test", service.NewMember{ExternalID: customer, MemberPatch: tenure.MemberPatch{FirstName: &firstName}})
	if err != nil {
		s.t.Fatal(err)
	}
	if points > 0 {
		if _, err := s.app.Service.Intake.Adjust(ctx, tenant, "test", customer, "", service.LedgerOp{Amount: points, Reason: "internal note: goodwill for ticket 4711"}); err != nil {
			s.t.Fatal(err)
		}
	}
	return m
}

// reward adds a reward to tenant's catalog.
func (s *server) reward(tenant string, d rewards.RewardDefinition) rewards.Reward {
	s.t.Helper()
	r, err := s.app.Service.Rewards.Create(context.Background(), tenant, "test", d)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// token signs a member token for a customer of the server's first tenant.
func (s *server) token(customer string) string {
	s.t.Helper()
	tok, err := widget.SignToken(s.secret, s.tenant, customer, time.Hour, s.clock.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

type response = apptest.Response

// do calls the server with a member token (empty for none); body is JSON-encoded unless
// it is a string. headers are name, value pairs.
func (s *server) do(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	return apptest.Call(s.t, nil, method, s.url+path, token, body, headers...)
}

// num reads a number at a dotted path of a decoded JSON object.
func num(t testing.TB, m map[string]any, path string) int64 {
	t.Helper()
	var v any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %v is not an object", path, v)
		}
		v = obj[k]
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%s = %v, not a number", path, v)
	}
	return int64(f)
}
