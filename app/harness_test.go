package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// server is a Tenure app listening on 127.0.0.1:0 with a manual clock.
type server struct {
	t     testing.TB
	app   *app.App
	url   string
	clock *tenure.ManualClock
	key   string // admin key of the first tenant
}

func start(t testing.TB, e storagetest.Engine) *server {
	t.Helper()
	clock := tenure.NewManualClock(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	a, url := apptest.Serve(t, e, clock)
	var out bytes.Buffer
	if _, err := a.Bootstrap(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	key := ""
	for _, f := range strings.Fields(out.String()) {
		if strings.HasPrefix(f, "tnr_") {
			key = f
		}
	}
	return &server{t: t, app: a, url: url, clock: clock, key: key}
}

// newTenant creates another tenant and returns its admin key.
func (s *server) newTenant(name string) string {
	s.t.Helper()
	_, secret, err := s.app.Service.Tenants.Create(context.Background(), name)
	if err != nil {
		s.t.Fatal(err)
	}
	return secret
}

type response = apptest.Response

// do sends a request; body may be a string (sent as is) or a value (JSON-encoded).
func (s *server) do(method, path, key string, body any, headers ...string) response {
	s.t.Helper()
	return apptest.Call(s.t, nil, method, s.url+path, key, body, headers...)
}

func (s *server) tick() (jobs, deliveries int) {
	s.t.Helper()
	j, d, err := s.app.Tick(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return j, d
}
