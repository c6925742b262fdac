package main

import (
	"fmt"
	"sync"
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestTwoNodesRedemptionRaces runs the reward races of the program acceptance across two
// server processes on one database: 100 members racing for the last 5 units get exactly 5
// coupons, and 20 redemptions by one member who can afford one give exactly one.
func TestTwoNodesRedemptionRaces(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		n1 := startNode(t, e.DSN, "-node-name", "node-1")
		key := n1.adminKey()
		n2 := startNode(t, e.DSN, "-node-name", "node-2")
		nodes := []*node{n1, n2}

		scarce := mustCall(t, "POST", n1.url+"/v1/rewards", key, `{"name":"Limited mug","type":"free_product","product_id":"mug","cost":10,"stock":5}`, 200)["id"].(string)
		var batch []byte
		batch = append(batch, `{"events":[`...)
		for i := 0; i < 100; i++ {
			if i > 0 {
				batch = append(batch, ',')
			}
			batch = fmt.Appendf(batch, `{"id":"e-%d","type":"customer.created","customer_id":"racer-%d"}`, i, i)
		}
		batch = append(batch, `]}`...)
		mustCall(t, "POST", n1.url+"/v1/events/batch", key, string(batch), 200)
		for i := 0; i < 100; i++ {
			mustCall(t, "POST", fmt.Sprintf("%s/v1/members/racer-%d/adjustments", n1.url, i), key, `{"amount":50,"reason":"race"}`, 200)
		}
		codes := race(t, 100, func(i int) (string, string) {
			return nodes[i%2].url + fmt.Sprintf("/v1/members/racer-%d/redemptions", i), `{"reward_id":"` + scarce + `"}`
		}, key)
		if codes[200] != 5 || codes[409] != 95 {
			t.Fatalf("last 5 units: status codes %v, want 5 x 200 and 95 x 409", codes)
		}

		pricey := mustCall(t, "POST", n1.url+"/v1/rewards", key, `{"name":"20 zł coupon","type":"fixed_discount","value":2000,"cost":200}`, 200)["id"].(string)
		mustCall(t, "POST", n1.url+"/v1/members", key, `{"external_id":"solo"}`, 200)
		mustCall(t, "POST", n1.url+"/v1/members/solo/adjustments", key, `{"amount":250,"reason":"can afford one"}`, 200)
		codes = race(t, 20, func(i int) (string, string) {
			return nodes[i%2].url + "/v1/members/solo/redemptions", `{"reward_id":"` + pricey + `"}`
		}, key)
		bal := mustCall(t, "GET", n2.url+"/v1/members/solo/balance", key, "", 200)["points"].(map[string]any)
		if codes[200] != 1 || codes[409] != 19 || bal["available"].(float64) != 50 {
			t.Fatalf("one member, twenty tries: %v, balance %v", codes, bal["available"])
		}
	})
}

// race sends n POSTs at once and counts the status codes.
func race(t *testing.T, n int, req func(i int) (url, body string), key string) map[int]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url, body := req(i)
			st, _ := call(t, "POST", url, key, body)
			mu.Lock()
			codes[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}
