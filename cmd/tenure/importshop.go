package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shopify"
	"github.com/tenure-loyalty/tenure/woocommerce"
)

// importShop backfills a connected shop's order history through the platform's orders
// API (`tenure import shopify|woocommerce`), with the events and ids the shop's webhooks
// use, so that the import and the live webhooks never count an order twice.
func importShop(ctx context.Context, platform tenure.Platform, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var tenantID, since string
	var grant bool
	a, _, err := open(ctx, "import "+string(platform), args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&tenantID, "tenant", "", "tenant id (needed when there are several)")
		fs.StringVar(&since, "since", "", "import orders created on or after this date (YYYY-MM-DD); default all")
		fs.BoolVar(&grant, "grant-points", false, "award points for the imported orders through the current earning rules")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if tenantID, err = soleTenant(ctx, a.Service, tenantID, false); err != nil {
		return err
	}
	conn, err := a.Service.Shops.Of(ctx, tenantID, platform)
	if err != nil {
		return fmt.Errorf("connect the shop first (dashboard Settings > Shops, or PUT /v1/shops/%s): %w", platform, err)
	}
	var from time.Time
	if since != "" {
		if from, err = time.Parse(time.DateOnly, since); err != nil {
			return fmt.Errorf("-since: %w", err)
		}
	}
	rejected := 0
	apply := func(ctx context.Context, orderID string, events []tenure.Event) error {
		_, err := a.Service.Intake.Ingest(ctx, tenantID, events, service.IngestOptions{Batch: true, History: true, GrantPoints: grant})
		switch tenure.KindOf(err) {
		case tenure.KindInvalid, tenure.KindConflict, tenure.KindNotFound, tenure.KindTooLarge:
			rejected++
			fmt.Fprintf(stderr, "order %s not imported: %v\n", orderID, err)
			return nil
		}
		return err
	}
	start := time.Now()
	var pages, orders, events, skipped int
	var failed []string
	var waited time.Duration
	switch platform {
	case tenure.Shopify:
		b := shopify.Backfill{Since: from, Apply: apply}
		s, err := b.Run(ctx, conn)
		pages, orders, events, skipped, failed, waited = s.Pages, s.Orders, s.Events, s.Skipped, s.Failed, s.Waited
		if err != nil {
			return err
		}
	case tenure.WooCommerce:
		b := woocommerce.Backfill{Since: from, Apply: apply}
		s, err := b.Run(ctx, conn)
		pages, orders, events, skipped, failed, waited = s.Pages, s.Orders, s.Events, s.Skipped, s.Failed, s.Waited
		if err != nil {
			return err
		}
	}
	for _, f := range failed {
		fmt.Fprintln(stderr, "not mapped:", f)
	}
	fmt.Fprintf(stdout, "Imported %d orders (%d events) from %s in %d pages in %.1fs (%.1fs waiting for rate limits); %d without a customer, %d not mapped, %d refused\n",
		orders-skipped-len(failed)-rejected, events, conn.Domain, pages, time.Since(start).Seconds(), waited.Seconds(), skipped, len(failed), rejected)
	return nil
}
