package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/webhook"
)

// The webhooks page shows an endpoint whose circuit opened, with its last error; a
// dead-lettered delivery is replayed from the endpoint's page and, once the endpoint is
// back, arrives and heals the circuit. Screenshots at 1440 and 375 px.
func TestWebhookHealthAndDeadLetterReplay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		s := start(t, e)
		var status atomic.Int32
		status.Store(http.StatusBadGateway)
		var got atomic.Int32
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got.Add(1)
			w.WriteHeader(int(status.Load()))
		}))
		defer rc.Close()
		hook, err := s.app.Service.Webhooks.Create(ctx, s.tenant.ID, "test", service.WebhookInput{URL: rc.URL + "/tenure", EventTypes: []string{"member.created"}, Description: "Shop backend"})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"hook-1", "hook-2", "hook-3", "hook-4", "hook-5"} {
			if r := apptest.Call(t, nil, "POST", s.url+"/v1/members", s.key, `{"external_id":"`+id+`"}`); r.Status != http.StatusOK {
				t.Fatalf("member: %d %s", r.Status, r.Body)
			}
		}
		// No retries; five failures open the circuit (as configured), for a moment only.
		d := webhook.New(s.app.DB, webhook.Options{Node: "test", Schedule: webhook.Schedule{},
			Breaker: tenure.BreakerPolicy{Failures: 5, Cooldown: 50 * time.Millisecond, MaxCooldown: time.Second}})
		defer d.Close()
		for sent := 0; sent < 5; {
			n, err := d.RunOnce(ctx)
			if n == 0 || err != nil {
				t.Fatalf("after %d attempts: %d %v", sent, n, err)
			}
			sent += n
		}

		c := s.client(t)
		c.signIn(s.staff[service.RoleOwner])
		list := c.get("/admin/settings/webhooks")
		for _, want := range []string{`<span class="state open">open</span>`, "endpoint answered 502", "5 failed attempts in a row"} {
			if !strings.Contains(list.Body, want) {
				t.Fatalf("the webhooks page lacks %q:\n%s", want, list.Body)
			}
		}
		detail := c.get("/admin/settings/webhooks/" + hook.ID + "?state=dead")
		m := regexp.MustCompile(`action="(/admin/settings/deliveries/[^"]+/replay)"`).FindStringSubmatch(detail.Body)
		if m == nil || !strings.Contains(detail.Body, `<span class="state dead">dead</span>`) {
			t.Fatalf("no dead letter with a replay button:\n%s", detail.Body)
		}
		if p := c.do("POST", m[1], url.Values{"csrf": {csrf(t, detail)}}); p.Status != http.StatusSeeOther {
			t.Fatalf("replay: %d %s", p.Status, p.Body)
		}

		if e.Name == "sqlite" {
			b := apptest.NewBrowser(t)
			signIn(t, b, s, s.staff[service.RoleOwner])
			for _, w := range []struct {
				width, height int64
				name          string
			}{{1440, 900, "13-webhooks-open-1440"}, {375, 812, "13-webhooks-open-375"}} {
				b.Do(t, chromedp.EmulateViewport(w.width, w.height))
				b.Open(t, s.url+"/admin/settings/webhooks")
				if got := b.Text(t, "#webhooks-table td.circuit"); !strings.Contains(got, "open") || !strings.Contains(got, "endpoint answered 502") {
					t.Fatalf("%d px: the circuit cell reads %q", w.width, got)
				}
				if over := apptest.Eval[bool](t, b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
					t.Errorf("%d px: the page scrolls sideways", w.width)
				}
				b.Shot(t, w.name, true)
			}
			b.Do(t, chromedp.EmulateViewport(1280, 900))
		}

		status.Store(http.StatusNoContent)
		time.Sleep(60 * time.Millisecond) // the cooldown ends: the replay is the probe
		if n, err := d.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("replay pass: %d %v", n, err)
		}
		if got.Load() != 6 {
			t.Fatalf("the endpoint got %d requests, want five failures and the replay", got.Load())
		}
		list = c.get("/admin/settings/webhooks")
		if !strings.Contains(list.Body, `<span class="state healthy">healthy</span>`) || strings.Contains(list.Body, "endpoint answered 502") {
			t.Fatalf("after the replay succeeded the page still shows the failure:\n%s", list.Body)
		}
		if p := c.get("/admin/settings/webhooks/" + hook.ID + "?state=succeeded"); !strings.Contains(p.Body, `<span class="state succeeded">succeeded</span>`) {
			t.Fatalf("the replay is not listed as succeeded:\n%s", p.Body)
		}
	})
}
