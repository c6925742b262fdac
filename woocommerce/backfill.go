package woocommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/shophook"
)

// Backfill pages through a site's order history with the REST API
// (GET /wp-json/wc/v3/orders, 100 a page, oldest first, until X-WP-TotalPages), waiting
// out 429s, and hands each order's events to Apply: the same events, with the same ids,
// as the site's webhooks would have sent.
type Backfill struct {
	HTTP *http.Client
	// Sleep waits between attempts; nil sleeps (tests record the waits instead).
	Sleep func(ctx context.Context, d time.Duration) error
	// Since, when set, starts at orders created then (after).
	Since time.Time
	// Apply records one order's events.
	Apply func(ctx context.Context, orderID string, events []tenure.Event) error
}

// BackfillSummary counts what a backfill read and did.
type BackfillSummary struct {
	Pages, Orders, Events int
	Skipped               int // guest orders and statuses that mean nothing yet
	Failed                []string
	Waited                time.Duration
}

// PageSize is the most orders the REST API returns a page.
const PageSize = 100

// Run imports the site's orders, oldest first.
func (b *Backfill) Run(ctx context.Context, site tenure.ShopConnection) (BackfillSummary, error) {
	var sum BackfillSummary
	if b.HTTP == nil {
		b.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if b.Sleep == nil {
		b.Sleep = func(ctx context.Context, d time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
				return nil
			}
		}
	}
	for page, pages := 1, 1; page <= pages; page++ {
		q := url.Values{"per_page": {strconv.Itoa(PageSize)}, "page": {strconv.Itoa(page)}, "orderby": {"date"}, "order": {"asc"}}
		if !b.Since.IsZero() {
			q.Set("after", b.Since.UTC().Format("2006-01-02T15:04:05"))
		}
		var orders []json.RawMessage
		total, err := b.get(ctx, site, site.APIURL+"/wp-json/wc/v3/orders?"+q.Encode(), &orders, &sum)
		if err != nil {
			return sum, err
		}
		sum.Pages++
		pages = total
		for _, raw := range orders {
			sum.Orders++
			var o order
			if err := json.Unmarshal(raw, &o); err != nil {
				sum.Failed = append(sum.Failed, fmt.Sprintf("page %d: unreadable order: %v", page, err))
				continue
			}
			m, err := mapOrder(o)
			switch {
			case err != nil:
				sum.Failed = append(sum.Failed, "order "+string(o.ID)+": "+err.Error())
				continue
			case m.Skip != "":
				sum.Skipped++
				continue
			}
			if err := b.Apply(ctx, string(o.ID), m.Events); err != nil {
				return sum, err
			}
			sum.Events += len(m.Events)
		}
		if len(orders) == 0 {
			break
		}
	}
	return sum, nil
}

// get fetches one page and returns X-WP-TotalPages.
func (b *Backfill) get(ctx context.Context, site tenure.ShopConnection, u string, out any, sum *BackfillSummary) (int, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return 0, err
		}
		req.SetBasicAuth(site.APIKey, site.APISecret)
		req.Header.Set("Accept", "application/json")
		resp, err := b.HTTP.Do(req)
		if err != nil {
			return 0, err
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(raw, out); err != nil {
				return 0, fmt.Errorf("woocommerce: unreadable page: %v", err)
			}
			total, _ := strconv.Atoi(resp.Header.Get("X-WP-TotalPages"))
			return total, nil
		}
		if (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500) || attempt >= 8 {
			return 0, fmt.Errorf("woocommerce: %d %s", resp.StatusCode, shophook.Snippet(raw))
		}
		wait := shophook.RetryAfter(resp.Header.Get("Retry-After"))
		if wait == 0 {
			wait = time.Second << min(attempt, 5)
		}
		sum.Waited += wait
		if err := b.Sleep(ctx, wait); err != nil {
			return 0, err
		}
	}
}
