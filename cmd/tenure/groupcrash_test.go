package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestCrashDuringGroupCommit kills a node (SIGKILL) while concurrent single-event requests
// are being coalesced into shared transactions. After a restart every acknowledged event is
// there (its replay says so), and every event that is there is there whole: its order, its
// ledger entry and its outbox message, with balances that match the ledger.
func TestCrashDuringGroupCommit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		a := startNode(t, e.DSN, "-workers=false")
		key := a.adminKey()
		body := func(g, i int) string {
			return fmt.Sprintf(`{"id":"e-%d-%d","type":"order.paid","customer_id":"c-%d-%d","order":{"id":"o-%d-%d","lines":[{"quantity":1,"unit_price":30000}]}}`, g, i, g, i%7, g, i)
		}
		const posters = 16
		var acked sync.Map // body -> true
		var nAcked atomic.Int64
		killed := make(chan struct{})
		var wg sync.WaitGroup
		client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: posters, MaxIdleConnsPerHost: posters}}
		for g := 0; g < posters; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					b := body(g, i)
					req, _ := http.NewRequest("POST", a.url+"/v1/events", bytes.NewReader([]byte(b)))
					req.Header.Set("Authorization", "Bearer "+key)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						return // the node is gone
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusCreated {
						acked.Store(b, true)
						nAcked.Add(1)
					} else {
						select {
						case <-killed:
						default:
							t.Errorf("POST /v1/events: %d before the crash", resp.StatusCode)
						}
						return
					}
				}
			}()
		}
		waitFor(t, "acknowledged events", time.Minute, func() bool { return nAcked.Load() >= 300 })
		close(killed)
		a.stop(syscall.SIGKILL)
		wg.Wait()

		b := startNode(t, e.DSN, "-workers=false")
		n := 0
		acked.Range(func(k, _ any) bool {
			n++
			st, res := call(t, "POST", b.url+"/v1/events", key, k.(string))
			if st != 200 || res["replay"] != true {
				t.Errorf("acknowledged event lost in the crash: %d %v\n%s", st, res, k)
				return false
			}
			return true
		})
		b.stop(syscall.SIGTERM)

		db := openRaw(t, e)
		set := func(q string) map[string]bool {
			t.Helper()
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]bool{}
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				out[s] = true
			}
			return out
		}
		events := set(`SELECT external_id FROM events`)
		entries := set(`SELECT DISTINCT cause_id FROM ledger_entries WHERE cause_type = 'event'`)
		orders := set(`SELECT external_id FROM orders`)
		messages := set(`SELECT DISTINCT payload FROM outbox WHERE type = 'points.earned'`)
		if len(events) < n {
			t.Fatalf("%d events stored, %d acknowledged", len(events), n)
		}
		for id := range events {
			order := "o-" + strings.TrimPrefix(id, "e-")
			if !entries[id] || !orders[order] {
				t.Errorf("event %s is stored without its ledger entry (%v) or its order (%v)", id, entries[id], orders[order])
			}
		}
		for id := range entries {
			if !events[id] {
				t.Errorf("ledger entry for event %s, which is not stored", id)
			}
		}
		if len(orders) != len(events) || len(messages) != len(events) {
			t.Errorf("%d events, %d orders, %d points.earned messages", len(events), len(orders), len(messages))
		}
		out, err := runCLI(t, "verify", "-database-url", e.DSN)
		if err != nil || !strings.Contains(out, "OK") {
			t.Fatalf("verify after the crash: %v\n%s", err, out)
		}
		t.Logf("%d events acknowledged, %d stored", n, len(events))
	})
}
