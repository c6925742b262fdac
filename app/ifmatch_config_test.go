package app_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// Program settings, tiers, rewards and segments are saved with If-Match like the rules:
// two editors who read the same ETag save at the same moment, exactly one gets 200 and the
// other 412, and what is stored is the winner's.
func TestConfigIfMatch(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		created := s.do("POST", "/v1/rewards", s.key, `{"name":"Coupon","type":"fixed_discount","cost":100,"value":1000}`)
		var reward struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		}
		if created.Status != 200 || json.Unmarshal(created.Body, &reward) != nil || reward.Version != 1 {
			t.Fatalf("create reward: %d %s", created.Status, created.Body)
		}
		program := s.do("GET", "/v1/program", s.key, nil)
		var prog map[string]any
		if program.Status != 200 || json.Unmarshal(program.Body, &prog) != nil {
			t.Fatalf("GET /v1/program: %d %s", program.Status, program.Body)
		}
		cases := []struct {
			name, path, etag string
			body             func(i int) string
			read             string // a GET whose body shows the winner's mark
		}{
			{"program", "/v1/program", program.Header.Get("ETag"), func(i int) string {
				prog["name"] = fmt.Sprintf("Club #%d", i)
				b, _ := json.Marshal(prog)
				return string(b)
			}, "/v1/program"},
			{"tiers", "/v1/tiers", `"0"`, func(i int) string {
				return fmt.Sprintf(`{"metric":"spend","window":"lifetime","tiers":[{"key":"gold","name":"Gold #%d","threshold":1000}]}`, i)
			}, "/v1/tiers"},
			{"reward", "/v1/rewards/" + reward.ID, `"1"`, func(i int) string {
				return fmt.Sprintf(`{"name":"Coupon #%d","type":"fixed_discount","cost":100,"value":1000}`, i)
			}, "/v1/rewards/" + reward.ID},
			{"segment", "/v1/segments/buyers", `"0"`, func(i int) string {
				return fmt.Sprintf(`{"name":"Buyers #%d","condition":"member.frequency >= 1"}`, i)
			}, "/v1/segments"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.name != "segment" {
					if got := s.do("GET", c.path, s.key, nil).Header.Get("ETag"); got != c.etag {
						t.Fatalf("GET %s: ETag %q, want %q", c.path, got, c.etag)
					}
				}
				bodies := []string{c.body(1), c.body(2)}
				status := make([]int, 2)
				var wg sync.WaitGroup
				for i := range 2 {
					wg.Go(func() { status[i] = s.do("PUT", c.path, s.key, bodies[i], "If-Match", c.etag).Status })
				}
				wg.Wait()
				winner := -1
				switch {
				case status[0] == 200 && status[1] == 412:
					winner = 1
				case status[0] == 412 && status[1] == 200:
					winner = 2
				default:
					t.Fatalf("two saves over ETag %s answered %v, want one 200 and one 412", c.etag, status)
				}
				now := s.do("GET", c.read, s.key, nil)
				mark := fmt.Sprintf("#%d\"", winner)
				if !strings.Contains(string(now.Body), mark) || strings.Contains(string(now.Body), fmt.Sprintf("#%d\"", 3-winner)) {
					t.Fatalf("after the race edit %d should be stored: %s", winner, now.Body)
				}
				if r := s.do("PUT", c.path, s.key, c.body(winner), "If-Match", `"x"`); r.Status != 422 || !strings.Contains(string(r.Body), "header.If-Match") {
					t.Fatalf("malformed If-Match: %d %s, want 422 naming the header", r.Status, r.Body)
				}
			})
		}
	})
}
