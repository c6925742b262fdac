package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/widget"
)

// propagation is how soon a change made through one node must apply on another.
const propagation = 100 * time.Millisecond

// TestTwoNodesCaches changes keys, widget settings and balances through node A and reads
// them through node B, which had them cached. On PostgreSQL A and B are two processes; a
// SQLite file has one node, so there B is A and the test checks that the node making a
// change never serves the old value.
func TestTwoNodesCaches(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		a := startNode(t, e.DSN, "-node-name", "node-a")
		admin := a.adminKey()
		b := a
		if e.Name == "postgres" {
			b = startNode(t, e.DSN, "-node-name", "node-b")
		}
		mustCall(t, "POST", a.url+"/v1/members", admin, `{"external_id":"cust-1"}`, 200)

		t.Run("a balance changed through A is read through B at once", func(t *testing.T) {
			want := 0.0
			for i := 1; i <= 20; i++ {
				// B has the balance cached (read twice), then A changes it.
				for range 2 {
					mustCall(t, "GET", b.url+"/v1/members/cust-1/balance", admin, "", 200)
				}
				mustCall(t, "POST", a.url+"/v1/members/cust-1/adjustments", admin, fmt.Sprintf(`{"amount":%d,"reason":"r"}`, i), 200)
				want += float64(i)
				got := mustCall(t, "GET", b.url+"/v1/members/cust-1/balance", admin, "", 200)["points"].(map[string]any)["available"]
				if got != want {
					t.Fatalf("round %d: B read %v right after A's write, want %v", i, got, want)
				}
			}
		})

		t.Run("a key revoked on A is refused by B", func(t *testing.T) {
			k := mustCall(t, "POST", a.url+"/v1/keys", admin, `{"name":"shop","scope":"integration"}`, 200)
			secret, id := k["secret"].(string), k["id"].(string)
			mustCall(t, "GET", b.url+"/v1/members/cust-1/balance", secret, "", 200)
			mustCall(t, "GET", a.url+"/v1/members/cust-1/balance", secret, "", 200)
			mustCall(t, "DELETE", a.url+"/v1/keys/"+id, admin, "", 200)
			if st, _ := call(t, "GET", a.url+"/v1/members/cust-1/balance", secret, ""); st != 401 {
				t.Fatalf("A accepted the key it revoked: %d", st)
			}
			within(t, "B refuses the revoked key", func() bool {
				st, _ := call(t, "GET", b.url+"/v1/members/cust-1/balance", secret, "")
				return st == 401
			})
		})

		tenant := mustCall(t, "GET", a.url+"/v1/widget", admin, "", 200)["tenant_id"].(string)
		token := func(secret string) string {
			tok, err := widget.SignToken(secret, tenant, "cust-1", time.Hour, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}

		t.Run("a widget secret rotated on A is enforced by B", func(t *testing.T) {
			old := token(mustCall(t, "POST", a.url+"/v1/widget/secret", admin, "", 200)["secret"].(string))
			within(t, "B accepts tokens signed with the first secret", func() bool { return member(t, b.url, old, "") == 200 })
			fresh := token(mustCall(t, "POST", a.url+"/v1/widget/secret", admin, "", 200)["secret"].(string))
			if st := member(t, a.url, old, ""); st != 401 {
				t.Fatalf("A accepted a token signed with the secret it replaced: %d", st)
			}
			within(t, "B refuses tokens signed with the old secret", func() bool { return member(t, b.url, old, "") == 401 })
			if st := member(t, b.url, fresh, ""); st != 200 {
				t.Fatalf("B refused a token signed with the new secret: %d", st)
			}
		})

		t.Run("allowed origins changed on A apply on A at once and on B", func(t *testing.T) {
			tok := token(mustCall(t, "POST", a.url+"/v1/widget/secret", admin, "", 200)["secret"].(string))
			mustCall(t, "PUT", a.url+"/v1/widget", admin, `{"allowed_origins":[]}`, 200)
			if st := member(t, a.url, tok, "https://elsewhere.example"); st != 200 {
				t.Fatalf("A: any origin allowed: %d", st)
			}
			within(t, "B allows any origin with the new secret", func() bool { return member(t, b.url, tok, "https://elsewhere.example") == 200 })
			mustCall(t, "PUT", a.url+"/v1/widget", admin, `{"allowed_origins":["https://shop.example"]}`, 200)
			if st := member(t, a.url, tok, "https://elsewhere.example"); st != 403 {
				t.Fatalf("A still allows an origin it just removed: %d", st)
			}
			within(t, "B refuses the removed origin", func() bool { return member(t, b.url, tok, "https://elsewhere.example") == 403 })
			if st := member(t, b.url, tok, "https://shop.example"); st != 200 {
				t.Fatalf("B refused the allowed origin: %d", st)
			}
		})
	})
}

// within fails unless cond holds within propagation of the call.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > propagation {
			t.Fatalf("%s: not within %v", what, propagation)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// member calls the member API with a member token and, if set, a browser's Origin.
func member(t *testing.T, base, token, origin string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", base+"/v1/member", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestTwoNodesSignInThrottle spreads failed dashboard sign-ins for one email over two
// nodes: they add up, and past the limit both nodes refuse even the right password.
func TestTwoNodesSignInThrottle(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		a := startNode(t, e.DSN, "-node-name", "node-a")
		b := startNode(t, e.DSN, "-node-name", "node-b")
		out, err := runCLI(t, "staff", "create", "-email", "owner@shop.example", "-role", "owner", "-database-url", e.DSN)
		if err != nil {
			t.Fatalf("staff create: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		password := strings.TrimSpace(lines[len(lines)-1])
		for i := range 5 {
			n := []*node{a, b}[i%2]
			if st, _ := signIn(t, n.url, "owner@shop.example", "wrong"); st != 401 {
				t.Fatalf("failure %d on %s: %d", i+1, n.url, st)
			}
		}
		for _, n := range []*node{a, b} {
			st, retry := signIn(t, n.url, "owner@shop.example", password)
			if secs, err := strconv.Atoi(retry); st != 429 || err != nil || secs < 14*60 || secs > 16*60+1 {
				t.Fatalf("after five failures split across the nodes: %d, Retry-After %q", st, retry)
			}
		}
	})
}

// signIn posts the dashboard's sign-in form; it returns the status and Retry-After.
func signIn(t *testing.T, base, email, password string) (int, string) {
	t.Helper()
	form := url.Values{"email": {email}, "password": {password}, "csrf": {"tok"}, "next": {"/admin/"}}
	req, _ := http.NewRequestWithContext(context.Background(), "POST", base+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "tenure_login", Value: "tok"})
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestTwoNodesRateLimit drains one integration key's bucket through two nodes: the
// requests add up, and then both nodes answer 429 with Retry-After.
func TestTwoNodesRateLimit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		limit := []string{"-api-rate-limit", "100:200,integration=0.2:6"} // 6 at once, then one per 5 s
		a := startNode(t, e.DSN, append(limit, "-node-name", "node-a")...)
		admin := a.adminKey()
		b := a // a SQLite file has one node
		if e.Name == "postgres" {
			b = startNode(t, e.DSN, append(limit, "-node-name", "node-b")...)
		}
		mustCall(t, "POST", a.url+"/v1/members", admin, `{"external_id":"cust-1"}`, 200)
		key := mustCall(t, "POST", a.url+"/v1/keys", admin, `{"name":"shop","scope":"integration"}`, 200)["secret"].(string)
		for i := range 6 {
			n := []*node{a, b}[i%2]
			mustCall(t, "GET", n.url+"/v1/members/cust-1/balance", key, "", 200)
		}
		for _, n := range []*node{a, b} {
			st, retry, body := callHeader(t, n.url+"/v1/members/cust-1/balance", key, "Retry-After")
			if secs, err := strconv.Atoi(retry); st != 429 || err != nil || secs < 1 || secs > 5 || !strings.Contains(body, "rate limit") {
				t.Fatalf("seventh request: %d, Retry-After %q, %s", st, retry, body)
			}
		}
		// Other keys have buckets of their own.
		mustCall(t, "GET", b.url+"/v1/members/cust-1/balance", admin, "", 200)
	})
}

// callHeader GETs url with key and returns the status, one response header and the body.
func callHeader(t *testing.T, url, key, header string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get(header), string(body)
}
