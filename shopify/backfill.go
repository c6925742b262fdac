package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/shophook"
)

// Backfill pages through a store's order history with the Admin REST API
// (GET /admin/api/<version>/orders.json, 250 orders a page, the cursor in the Link
// header), keeping under the API's call limit, and hands each order's events to Apply:
// the same events, with the same ids, as the store's webhooks would have sent, so an
// import and live webhooks never count an order twice.
type Backfill struct {
	HTTP *http.Client
	// Sleep waits between calls; nil sleeps (tests record the waits instead).
	Sleep func(ctx context.Context, d time.Duration) error
	// Since, when set, starts at orders created then (created_at_min).
	Since time.Time
	// Apply records one order's events (placed, paid, fulfilled, cancelled, refunds).
	Apply func(ctx context.Context, orderID string, events []tenure.Event) error
}

// BackfillSummary counts what a backfill read and did.
type BackfillSummary struct {
	Pages, Orders, Events int
	Skipped               int // orders without a customer
	Failed                []string
	Waited                time.Duration
}

// PageSize is the most orders the Admin API returns a page.
const PageSize = 250

var nextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// Run imports shop's orders, oldest first.
func (b *Backfill) Run(ctx context.Context, shop tenure.ShopConnection) (BackfillSummary, error) {
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
	q := url.Values{"status": {"any"}, "limit": {strconv.Itoa(PageSize)}, "order": {"created_at asc"}}
	if !b.Since.IsZero() {
		q.Set("created_at_min", b.Since.UTC().Format(time.RFC3339))
	}
	next := shop.APIURL + "/admin/api/" + APIVersion + "/orders.json?" + q.Encode()
	for next != "" {
		var page struct {
			Orders []json.RawMessage `json:"orders"`
		}
		link, err := b.get(ctx, shop, next, &page, &sum)
		if err != nil {
			return sum, err
		}
		sum.Pages++
		for _, raw := range page.Orders {
			var o order
			if err := json.Unmarshal(raw, &o); err != nil {
				sum.Failed = append(sum.Failed, fmt.Sprintf("page %d: unreadable order: %v", sum.Pages, err))
				continue
			}
			sum.Orders++
			events, skip, err := historyEvents(o)
			switch {
			case err != nil:
				sum.Failed = append(sum.Failed, "order "+string(o.ID)+": "+err.Error())
				continue
			case skip:
				sum.Skipped++
				continue
			}
			if err := b.Apply(ctx, string(o.ID), events); err != nil {
				return sum, err
			}
			sum.Events += len(events)
		}
		next = ""
		if m := nextLink.FindStringSubmatch(link); m != nil {
			next = m[1]
		}
	}
	return sum, nil
}

// get fetches one page, waiting out 429s (Retry-After) and slowing down when the call
// limit (X-Shopify-Shop-Api-Call-Limit: used/size) is nearly reached.
func (b *Backfill) get(ctx context.Context, shop tenure.ShopConnection, u string, out any, sum *BackfillSummary) (link string, err error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("X-Shopify-Access-Token", shop.APIKey)
		req.Header.Set("Accept", "application/json")
		resp, err := b.HTTP.Do(req)
		if err != nil {
			return "", err
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return "", err
		}
		wait := time.Duration(0)
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			if attempt >= 8 {
				return "", fmt.Errorf("shopify: %d after %d attempts: %s", resp.StatusCode, attempt+1, shophook.Snippet(raw))
			}
			if wait = shophook.RetryAfter(resp.Header.Get("Retry-After")); wait == 0 {
				wait = time.Second << min(attempt, 5)
			}
		case resp.StatusCode != http.StatusOK:
			return "", fmt.Errorf("shopify: %d %s", resp.StatusCode, shophook.Snippet(raw))
		default:
			if err := json.Unmarshal(raw, out); err != nil {
				return "", fmt.Errorf("shopify: unreadable page: %v", err)
			}
			if used, size, ok := strings.Cut(resp.Header.Get("X-Shopify-Shop-Api-Call-Limit"), "/"); ok {
				u, _ := strconv.Atoi(used)
				s, _ := strconv.Atoi(size)
				if s > 0 && u >= s-2 {
					// The bucket leaks two calls a second: leave room for the next page.
					d := time.Duration(u-s+3) * 500 * time.Millisecond
					sum.Waited += d
					if err := b.Sleep(ctx, d); err != nil {
						return "", err
					}
				}
			}
			return resp.Header.Get("Link"), nil
		}
		sum.Waited += wait
		if err := b.Sleep(ctx, wait); err != nil {
			return "", err
		}
	}
}

// historyEvents are the events an order's current state implies, with the ids the
// webhooks use: placed; paid once its financial status says so; fulfilled; cancelled; and
// one event per refund.
func historyEvents(o order) (events []tenure.Event, skip bool, err error) {
	topics := []string{"orders/create"}
	switch o.FinancialStatus {
	case "paid", "partially_refunded", "refunded":
		topics = append(topics, "orders/paid")
	}
	if o.FulfillmentStatus == "fulfilled" {
		topics = append(topics, "orders/fulfilled")
	}
	if o.CancelledAt != "" {
		topics = append(topics, "orders/cancelled")
	}
	for _, t := range topics {
		m, err := mapOrder(t, o)
		if err != nil {
			return nil, false, err
		}
		if m.Skip != "" {
			return nil, true, nil
		}
		events = append(events, m.Events...)
	}
	for _, r := range o.Refunds {
		m, err := mapRefund(r)
		if err != nil {
			return nil, false, err
		}
		for _, e := range m.Events {
			e.CustomerID = string(o.Customer.ID)
			events = append(events, e)
		}
	}
	return events, false, nil
}
