package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/widget"
)

// widgetRoutes lists the storefront widget's settings: the member-token signing secret,
// the storefront origins allowed to call the member API, and server-side token signing.
// The member API itself (/v1/member) authenticates with member tokens, not API keys, and
// is served by package widget.
func (s *Server) widgetRoutes() {
	a := s.api
	huma.Register(a, op("get-widget", http.MethodGet, "/v1/widget", "Get the storefront widget settings (never the secret)", "Widget", tenure.ScopeReadOnly), s.getWidget)
	huma.Register(a, op("put-widget", http.MethodPut, "/v1/widget", "Set the storefront origins allowed to call the member API; empty for any", "Widget", tenure.ScopeAdmin), s.putWidget)
	huma.Register(a, op("rotate-widget-secret", http.MethodPost, "/v1/widget/secret", "Make a new member-token signing secret (shown once); tokens signed with the old one stop working", "Widget", tenure.ScopeAdmin), s.rotateWidgetSecret)
	huma.Register(a, op("create-member-token", http.MethodPost, "/v1/widget/tokens", "Sign a member token for one of the store's customers, for backends that would rather not sign it themselves", "Widget", tenure.ScopeIntegration, 404, 409), s.createMemberToken)
}

func (s *Server) getWidget(ctx context.Context, _ *struct{}) (*body[service.WidgetSettings], error) {
	v, err := s.svc.Widget.Settings(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

type widgetIn struct {
	Body struct {
		AllowedOrigins []string `json:"allowed_origins" maxItems:"20" doc:"Origins like https://shop.example; empty for any"`
	}
}

func (s *Server) putWidget(ctx context.Context, in *widgetIn) (*body[service.WidgetSettings], error) {
	k := caller(ctx)
	v, err := s.svc.Widget.SetOrigins(ctx, k.TenantID, actor(k), in.Body.AllowedOrigins)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

type widgetSecret struct {
	service.WidgetSettings
	Secret string `json:"secret" doc:"Sign member tokens with it; store it now, it is never shown again"`
}

func (s *Server) rotateWidgetSecret(ctx context.Context, _ *struct{}) (*body[widgetSecret], error) {
	k := caller(ctx)
	v, secret, err := s.svc.Widget.RotateSecret(ctx, k.TenantID, actor(k))
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(widgetSecret{WidgetSettings: v, Secret: secret}), nil
}

type tokenIn struct {
	Body struct {
		CustomerID string `json:"customer_id" minLength:"1" maxLength:"128" doc:"The store's customer id of an enrolled member"`
		TTLSeconds int    `json:"ttl_seconds,omitempty" minimum:"0" maximum:"86400" doc:"Lifetime in seconds, default 3600, at most 86400"`
	}
}

type tokenOut struct {
	Token     string    `json:"token" doc:"Put it in the widget's data-token attribute"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) createMemberToken(ctx context.Context, in *tokenIn) (*body[tokenOut], error) {
	tenantID := caller(ctx).TenantID
	if _, err := s.svc.Widget.Member(ctx, tenantID, in.Body.CustomerID); err != nil {
		return nil, s.problem(err)
	}
	secret, _, err := s.svc.Widget.Key(ctx, tenantID)
	if tenure.KindOf(err) == tenure.KindUnauthorized {
		err = tenure.Errorf(tenure.KindConflict, "api.createMemberToken", "no widget secret yet: create one with POST /v1/widget/secret")
	}
	if err != nil {
		return nil, s.problem(err)
	}
	ttl := time.Duration(in.Body.TTLSeconds) * time.Second
	if ttl == 0 {
		ttl = time.Hour
	}
	now := s.svc.Clock.Now()
	token, err := widget.SignToken(secret, tenantID, in.Body.CustomerID, ttl, now)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(tokenOut{Token: token, ExpiresAt: now.Add(ttl).Truncate(time.Second)}), nil
}
