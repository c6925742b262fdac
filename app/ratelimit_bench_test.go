package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// BenchmarkBalanceReadRateLimit measures GET /v1/members/{id}/balance through the app's
// handler (routing, authentication, the rate limiter, the read, JSON), using 64
// integration keys in turn, with and without the rate limiter in the same run: blocks of
// requests alternate between the two, so that the machine's load, which drifts, weighs on
// both alike. It reports the median time per request of each and the median ratio of
// the paired blocks.
// The limit never refuses but has the lease size of the default limit (50 tokens per take
// from the shared bucket), so on PostgreSQL each key costs the database what a busy key
// at the default limit does: about one take per 50 requests.
//
//	go test ./app -run '^$' -bench BalanceReadRateLimit -benchtime 20000x -count 5
func BenchmarkBalanceReadRateLimit(b *testing.B) {
	for _, e := range storagetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			a, _ := apptest.Serve(b, e, tenure.SystemClock{})
			ctx := context.Background()
			t, _, err := a.Service.Tenants.Create(ctx, "bench")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := a.Service.Members.Create(ctx, t.ID, "bench", service.NewMember{ExternalID: "cust-1"}); err != nil {
				b.Fatal(err)
			}
			var secrets []string
			for i := range 64 {
				_, secret, err := a.Service.Access.CreateKey(ctx, t.ID, "bench", fmt.Sprint("bench ", i), tenure.ScopeIntegration)
				if err != nil {
					b.Fatal(err)
				}
				secrets = append(secrets, secret)
			}
			var store service.TokenStore
			if !a.DB.Synchronous() {
				store = a.DB
			}
			limiter := service.NewRateLimiter(map[tenure.Scope]service.RateLimit{tenure.ScopeIntegration: {Rate: 1_000_000, Burst: 200}}, store, tenure.SystemClock{}, nil)
			get := func(i int) {
				req := httptest.NewRequest("GET", "/v1/members/cust-1/balance", nil)
				req.Header.Set("Authorization", "Bearer "+secrets[i%len(secrets)])
				w := httptest.NewRecorder()
				a.Handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
			for i := range 2 * len(secrets) { // warm: every key authenticated, every bucket leased
				a.Service.Limiter = limiter
				get(i)
			}
			// Short blocks, alternating: each pair of blocks ran under nearly the same load.
			const block = 32
			var ratios, off, on []float64
			b.ResetTimer()
			for done := 0; done+2*block <= b.N; done += 2 * block {
				var per [2]float64
				for i, limited := range []bool{false, true} {
					a.Service.Limiter = nil
					if limited {
						a.Service.Limiter = limiter
					}
					start := time.Now()
					for j := range block {
						get(done + i*block + j)
					}
					per[i] = float64(time.Since(start).Nanoseconds()) / block
				}
				off, on, ratios = append(off, per[0]), append(on, per[1]), append(ratios, per[1]/per[0])
			}
			if len(ratios) > 0 {
				b.ReportMetric(median(off), "off-ns/req")
				b.ReportMetric(median(on), "on-ns/req")
				b.ReportMetric(median(ratios), "on/off")
			}
		})
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
