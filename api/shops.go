package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// shopRoutes lists the operations on shop connections (Shopify, WooCommerce).
func (s *Server) shopRoutes() {
	const admin = tenure.ScopeAdmin
	a := s.api
	huma.Register(a, op("list-shops", http.MethodGet, "/v1/shops", "List the shop connections", "Shops", admin), s.listShops)
	huma.Register(a, op("put-shop", http.MethodPut, "/v1/shops/{platform}", "Connect a Shopify store or WooCommerce site, or change its connection", "Shops", admin, 409), s.putShop)
	huma.Register(a, op("get-shop-status", http.MethodGet, "/v1/shops/{platform}/status", "Get a connection's latest webhook deliveries, mapping failures and codes", "Shops", admin, 404), s.shopStatus)
	huma.Register(a, op("delete-shop", http.MethodDelete, "/v1/shops/{platform}", "Disconnect a shop", "Shops", admin, 404), s.deleteShop)
}

type platformPath struct {
	Platform tenure.Platform `path:"platform" enum:"shopify,woocommerce"`
}

type shopPut struct {
	Platform tenure.Platform `path:"platform" enum:"shopify,woocommerce"`
	Body     service.ShopSettings
}

type shopStatusQuery struct {
	Platform tenure.Platform `path:"platform" enum:"shopify,woocommerce"`
	Limit    int             `query:"limit" minimum:"0" maximum:"500" doc:"Deliveries, failures and codes to show, default 50"`
}

func (s *Server) listShops(ctx context.Context, _ *struct{}) (*body[listBody[tenure.ShopConnection]], error) {
	cs, err := s.svc.Shops.Connections(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(cs, ""), nil
}

func (s *Server) putShop(ctx context.Context, in *shopPut) (*body[tenure.ShopConnection], error) {
	k := caller(ctx)
	c, err := s.svc.Shops.Connect(ctx, k.TenantID, actor(k), in.Platform, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(c), nil
}

func (s *Server) shopStatus(ctx context.Context, in *shopStatusQuery) (*body[service.ShopStatus], error) {
	k := caller(ctx)
	c, err := s.svc.Shops.Of(ctx, k.TenantID, in.Platform)
	if err != nil {
		return nil, s.problem(err)
	}
	st, err := s.svc.Shops.Status(ctx, k.TenantID, c.ID, in.Limit)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(st), nil
}

func (s *Server) deleteShop(ctx context.Context, in *platformPath) (*body[deleted], error) {
	k := caller(ctx)
	c, err := s.svc.Shops.Of(ctx, k.TenantID, in.Platform)
	if err != nil {
		return nil, s.problem(err)
	}
	if err := s.svc.Shops.Disconnect(ctx, k.TenantID, actor(k), c.ID); err != nil {
		return nil, s.problem(err)
	}
	return ok(deleted{ID: c.ID, Deleted: true}), nil
}
