package app

import (
	"context"
	"net/http"
	"time"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shopify"
	"github.com/tenure-loyalty/tenure/woocommerce"
)

// shopAdapters are the shop platforms' webhook receivers and code mirrors.
type shopAdapters struct {
	Shops        *service.Shops
	ShopifyCodes *shopify.Codes
	WooCoupons   *woocommerce.Coupons
}

// wireShops adds the shops' webhook addresses to mux and builds their code mirrors.
func (a *App) wireShops(mux *Mux) {
	a.Shops = a.Service.Shops
	shopify.New(a.Shops, a.Log).Register(mux)
	woocommerce.New(a.Shops, a.Log).Register(mux)
	client := &http.Client{Timeout: 30 * time.Second}
	a.ShopifyCodes = shopify.NewCodes(a.Shops, client, a.Log)
	a.WooCoupons = woocommerce.NewCoupons(a.Shops, client, a.Log)
}

// syncShops queues the codes of new, cancelled and expired coupons for the connected
// shops and makes the calls that are due. It returns how many codes it settled.
func (a *App) syncShops(ctx context.Context) (int, error) {
	if _, err := a.Shops.QueueCodes(ctx); err != nil {
		return 0, err
	}
	n, err := a.ShopifyCodes.RunOnce(ctx)
	if err != nil {
		return n, err
	}
	m, err := a.WooCoupons.RunOnce(ctx)
	return n + m, err
}
