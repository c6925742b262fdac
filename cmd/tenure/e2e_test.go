package main

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/webhook"
)

// TestCrashBetweenCommitAndDelivery kills a node (SIGKILL) right after an event committed,
// before any worker delivered its webhook; a fresh node delivers it.
func TestCrashBetweenCommitAndDelivery(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		var mu sync.Mutex
		var secret string
		var got []string
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), time.Minute) != nil {
				w.WriteHeader(400)
				return
			}
			got = append(got, r.Header.Get(webhook.HeaderType))
		}))
		defer hook.Close()

		a := startNode(t, e.DSN, "-workers=false")
		key := a.adminKey()
		created := mustCall(t, "POST", a.url+"/v1/webhooks", key, `{"url":"`+hook.URL+`","event_types":["points.earned"]}`, 200)
		mu.Lock()
		secret = created["secret"].(string)
		mu.Unlock()
		mustCall(t, "POST", a.url+"/v1/events", key, `{"id":"crash-1","type":"order.paid","customer_id":"c1","order":{"id":"o1","lines":[{"quantity":1,"unit_price":30000}]}}`, 201)
		a.stop(syscall.SIGKILL)

		b := startNode(t, e.DSN)
		waitFor(t, "the webhook from before the crash", 15*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) == 1 && got[0] == "points.earned"
		})
		// The event committed before the crash is there, once.
		st, res := call(t, "POST", b.url+"/v1/events", key, `{"id":"crash-1","type":"order.paid","customer_id":"c1","order":{"id":"o1","lines":[{"quantity":1,"unit_price":30000}]}}`)
		if st != 200 || res["replay"] != true {
			t.Fatalf("replay after crash: %d %v", st, res)
		}
	})
}

// TestTwoNodes runs two server processes on one database: fifty concurrent spends split
// across them never overdraw, and scheduled jobs (including those leased by a node that
// died) each run exactly once.
func TestTwoNodes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		n1 := startNode(t, e.DSN, "-node-name", "node-1")
		key := n1.adminKey()
		n2 := startNode(t, e.DSN, "-node-name", "node-2")
		nodes := []*node{n1, n2}

		t.Run("fifty concurrent spends never overdraw", func(t *testing.T) {
			mustCall(t, "POST", n1.url+"/v1/members", key, `{"external_id":"spender"}`, 200)
			mustCall(t, "POST", n1.url+"/v1/members/spender/adjustments", key, `{"amount":1000,"reason":"float"}`, 200)
			var wg sync.WaitGroup
			var mu sync.Mutex
			codes := map[int]int{}
			for i := 0; i < 50; i++ {
				wg.Add(1)
				go func(n *node) {
					defer wg.Done()
					st, _ := call(t, "POST", n.url+"/v1/members/spender/spends", key, `{"amount":30}`)
					mu.Lock()
					codes[st]++
					mu.Unlock()
				}(nodes[i%2])
			}
			wg.Wait()
			bal := mustCall(t, "GET", n2.url+"/v1/members/spender/balance", key, "", 200)["points"].(map[string]any)
			if codes[200] != 33 || codes[409] != 17 || bal["available"].(float64) != 10 {
				t.Fatalf("status codes %v, balance %v; want 33 x 200, 17 x 409, 10 left", codes, bal["available"])
			}
		})

		t.Run("each job runs once, and a dead node's leases are taken over", func(t *testing.T) {
			mustCall(t, "PUT", n1.url+"/v1/program", key, `{"name":"p","currency":"PLN","points_per_unit":1,"min_order":0,"include_shipping":false,"available_on":"payment","return_window_days":1,"expiry":{"mode":"never"},"negative_balance":"cap","auto_enrol":true,"point_value_micros":1000000,"time_zone":"UTC"}`, 200)
			// Paid "a day minus three seconds ago": the return window ends in three seconds.
			paid := time.Now().UTC().Add(-24*time.Hour + 3*time.Second).Format(time.RFC3339Nano)
			const orders = 60
			var batch []byte
			batch = append(batch, `{"events":[`...)
			for i := 0; i < orders; i++ {
				if i > 0 {
					batch = append(batch, ',')
				}
				batch = fmt.Appendf(batch, `{"id":"job-%d","type":"order.paid","customer_id":"jc-%d","occurred_at":%q,"order":{"id":"jo-%d","lines":[{"quantity":1,"unit_price":10000}]}}`, i, i%7, paid, i)
			}
			batch = append(batch, `]}`...)
			mustCall(t, "POST", n1.url+"/v1/events/batch", key, string(batch), 200)

			db := openRaw(t, e)
			// A third node claimed a third of the jobs and died: its lease runs out in 4 s.
			res, err := db.Exec(`UPDATE jobs SET state = 'running', lease_owner = 'dead-node', lease_until = $1, attempts = 1
				WHERE kind = 'order.release' AND id IN (SELECT id FROM jobs WHERE kind = 'order.release' ORDER BY id LIMIT 20)`,
				time.Now().Add(4*time.Second).UnixMicro())
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 20 {
				t.Fatalf("leased %d jobs to the dead node, want 20", n)
			}
			waitFor(t, "all release jobs", 30*time.Second, func() bool {
				var done int
				_ = db.QueryRow(`SELECT COUNT(*) FROM jobs WHERE kind = 'order.release' AND state = 'done'`).Scan(&done)
				return done == orders
			})
			rows, err := db.Query(`SELECT done_by, COUNT(*) FROM jobs WHERE kind = 'order.release' GROUP BY done_by`)
			if err != nil {
				t.Fatal(err)
			}
			by := map[string]int{}
			for rows.Next() {
				var who string
				var n int
				_ = rows.Scan(&who, &n)
				by[who] = n
			}
			_ = rows.Close()
			if by["dead-node"] != 0 || by["node-1"]+by["node-2"] != orders {
				t.Fatalf("jobs done by %v", by)
			}
			var releases int
			if err := db.QueryRow(`SELECT COUNT(*) FROM ledger_entries WHERE kind = 'release' AND bucket = 'available'`).Scan(&releases); err != nil {
				t.Fatal(err)
			}
			if releases != orders {
				t.Fatalf("%d release entries for %d orders: a job ran twice or not at all", releases, orders)
			}
			t.Logf("jobs done by node: %v", by)
		})

		// Both nodes stop cleanly on SIGTERM, and verify finds the ledger consistent.
		for _, n := range nodes {
			n.stop(syscall.SIGTERM)
			if n.err != nil {
				t.Fatalf("a node did not exit cleanly on SIGTERM: %v", n.err)
			}
		}
		out, err := runCLI(t, "verify", "-database-url", e.DSN)
		if err != nil || !strings.Contains(out, "OK") {
			t.Fatalf("verify: %v\n%s", err, out)
		}
		if _, err := openRaw(t, e).Exec(`UPDATE balances SET pending = pending + 7 WHERE member_id IN (SELECT member_id FROM balances LIMIT 1)`); err != nil {
			t.Fatal(err)
		}
		if out, err := runCLI(t, "verify", "-database-url", e.DSN); err == nil || !strings.Contains(out, "pending") {
			t.Fatalf("verify missed a corrupted balance: %v\n%s", err, out)
		}
	})
}

func openRaw(t *testing.T, e storagetest.Engine) *sql.DB {
	t.Helper()
	driver := "sqlite"
	dsn := e.DSN
	if e.Name == "postgres" {
		driver = "pgx"
	} else {
		dsn = "file:" + e.DSN + "?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := execSelf(args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
