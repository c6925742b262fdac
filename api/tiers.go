package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/tiers"
)

// tierRoutes lists the tier configuration and member tier operations.
func (s *Server) tierRoutes() {
	a := s.api
	huma.Register(a, op("get-tiers", http.MethodGet, "/v1/tiers", "Get the tier configuration", "Tiers", tenure.ScopeReadOnly), s.getTiers)
	huma.Register(a, op("put-tiers", http.MethodPut, "/v1/tiers", "Replace the tier configuration (If-Match for optimistic concurrency); every member is then re-evaluated", "Tiers", tenure.ScopeAdmin, 412), s.putTiers)
	huma.Register(a, op("get-member-tier", http.MethodGet, "/v1/members/{id}/tier", "Get a member's tier with its benefits and progress", "Tiers", tenure.ScopeReadOnly, 404), s.getMemberTier)
	huma.Register(a, op("put-member-tier", http.MethodPut, "/v1/members/{id}/tier", "Assign a member's tier by hand, optionally until a date, with a reason; an empty tier removes the assignment", "Tiers", tenure.ScopeIntegration, 404), s.putMemberTier)
}

func (s *Server) getTiers(ctx context.Context, _ *struct{}) (*tagged[service.TierConfig], error) {
	c, err := s.svc.Tiers.Config(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return withETag(c, c.Version), nil
}

type tiersIn struct {
	IfMatch string `header:"If-Match" doc:"The ETag of GET /v1/tiers this edit started from; when it is no longer current the answer is 412 and nothing is saved"`
	Body    tiers.Ladder
}

func (s *Server) putTiers(ctx context.Context, in *tiersIn) (*tagged[service.TierConfig], error) {
	k := caller(ctx)
	base, err := ifMatch("api.putTiers", in.IfMatch, "GET /v1/tiers")
	if err != nil {
		return nil, s.problem(err)
	}
	c, err := s.svc.Tiers.SaveIf(ctx, k.TenantID, actor(k), base, in.Body)
	if err != nil {
		return nil, s.saveProblem(err, base)
	}
	return withETag(c, c.Version), nil
}

func (s *Server) getMemberTier(ctx context.Context, in *idPath) (*body[service.TierStatus], error) {
	ts, err := s.svc.Tiers.MemberStatus(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(ts), nil
}

type tierAssignIn struct {
	ID   string `path:"id" maxLength:"160" doc:"Member id or the store's customer id"`
	Body service.TierAssignment
}

func (s *Server) putMemberTier(ctx context.Context, in *tierAssignIn) (*body[service.TierStatus], error) {
	k := caller(ctx)
	ts, err := s.svc.Tiers.Assign(ctx, k.TenantID, actor(k), in.ID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(ts), nil
}
