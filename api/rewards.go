package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/metrics"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
)

// rewardRoutes lists the rewards catalog, redemption and coupon operations.
func (s *Server) rewardRoutes() {
	const (
		admin = tenure.ScopeAdmin
		integ = tenure.ScopeIntegration
		read  = tenure.ScopeReadOnly
	)
	a := s.api
	huma.Register(a, op("list-rewards", http.MethodGet, "/v1/rewards", "List the rewards catalog", "Rewards", read), s.listRewards)
	huma.Register(a, op("create-reward", http.MethodPost, "/v1/rewards", "Add a reward to the catalog", "Rewards", admin), s.createReward)
	huma.Register(a, op("list-available-rewards", http.MethodGet, "/v1/rewards/available", "Judge every reward for one member: can she redeem it now, and if not, why", "Rewards", read, 404), s.availableRewards)
	huma.Register(a, op("get-reward", http.MethodGet, "/v1/rewards/{id}", "Get a reward", "Rewards", read, 404), s.getReward)
	huma.Register(a, op("update-reward", http.MethodPut, "/v1/rewards/{id}", "Replace a reward's definition and stock (If-Match for optimistic concurrency)", "Rewards", admin, 404, 412), s.updateReward)
	huma.Register(a, op("archive-reward", http.MethodDelete, "/v1/rewards/{id}", "Archive a reward: no more redemptions; its coupons live on", "Rewards", admin, 404), s.archiveReward)
	huma.Register(a, op("add-reward-codes", http.MethodPost, "/v1/rewards/{id}/codes", "Upload codes to a reward's pool; each is used once", "Rewards", admin, 404, 409), s.addRewardCodes)

	huma.Register(a, op("create-redemption", http.MethodPost, "/v1/members/{id}/redemptions", "Spend a member's points on a reward and issue a coupon", "Rewards", integ, 404, 409), s.redeem)
	huma.Register(a, op("list-member-coupons", http.MethodGet, "/v1/members/{id}/coupons", "List a member's coupons, newest first", "Rewards", read, 404), s.listMemberCoupons)
	huma.Register(a, op("get-coupon", http.MethodGet, "/v1/coupons/{id}", "Get a coupon by id or code", "Rewards", read, 404), s.getCoupon)
	huma.Register(a, op("use-coupon", http.MethodPost, "/v1/coupons/{id}/use", "Report a coupon used on an order", "Rewards", integ, 404, 409), s.useCoupon)
	huma.Register(a, op("cancel-coupon", http.MethodPost, "/v1/coupons/{id}/cancel", "Cancel a coupon (unused, or its order cancelled) and give its points back", "Rewards", integ, 404, 409), s.cancelCoupon)
}

type rewardsQuery struct {
	Cursor   string `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit    int    `query:"limit" minimum:"0" maximum:"500" doc:"Page size, default 50"`
	Archived bool   `query:"archived" doc:"Include archived rewards"`
}

func (s *Server) listRewards(ctx context.Context, in *rewardsQuery) (*body[listBody[rewards.Reward]], error) {
	rs, next, err := s.svc.Rewards.List(ctx, caller(ctx).TenantID, in.Archived, in.Cursor, in.Limit)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(rs, next), nil
}

func (s *Server) createReward(ctx context.Context, in *body[rewards.RewardDefinition]) (*body[rewards.Reward], error) {
	k := caller(ctx)
	r, err := s.svc.Rewards.Create(ctx, k.TenantID, actor(k), in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

type availableQuery struct {
	Member string `query:"member" required:"true" minLength:"1" maxLength:"160" doc:"Member id or the store's customer id"`
}

func (s *Server) availableRewards(ctx context.Context, in *availableQuery) (*body[listBody[service.RewardOffer]], error) {
	os, err := s.svc.Rewards.Available(ctx, caller(ctx).TenantID, in.Member)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(os, ""), nil
}

func (s *Server) getReward(ctx context.Context, in *idPath) (*tagged[rewards.Reward], error) {
	r, err := s.svc.Rewards.Get(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return withETag(r, r.Version), nil
}

type rewardIn struct {
	ID      string `path:"id" maxLength:"160"`
	IfMatch string `header:"If-Match" doc:"The ETag of GET /v1/rewards/{id} this edit started from; when it is no longer current the answer is 412 and nothing is saved"`
	Body    rewards.RewardDefinition
}

func (s *Server) updateReward(ctx context.Context, in *rewardIn) (*tagged[rewards.Reward], error) {
	k := caller(ctx)
	base, err := ifMatch("api.updateReward", in.IfMatch, "GET /v1/rewards/{id}")
	if err != nil {
		return nil, s.problem(err)
	}
	r, err := s.svc.Rewards.UpdateIf(ctx, k.TenantID, actor(k), in.ID, base, in.Body)
	if err != nil {
		return nil, s.saveProblem(err, base)
	}
	return withETag(r, r.Version), nil
}

func (s *Server) archiveReward(ctx context.Context, in *idPath) (*body[rewards.Reward], error) {
	k := caller(ctx)
	r, err := s.svc.Rewards.Archive(ctx, k.TenantID, actor(k), in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

type codesIn struct {
	ID   string `path:"id" maxLength:"160"`
	Body struct {
		Codes []string `json:"codes" maxItems:"10000" doc:"Codes to add; each is handed out once, in this order"`
	}
}

func (s *Server) addRewardCodes(ctx context.Context, in *codesIn) (*body[rewards.Reward], error) {
	k := caller(ctx)
	r, err := s.svc.Rewards.AddCodes(ctx, k.TenantID, actor(k), in.ID, in.Body.Codes)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

type redeemIn struct {
	ID             string `path:"id" maxLength:"160" doc:"Member id or the store's customer id"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"128" doc:"Retrying with the same key returns the first coupon and changes nothing"`
	Body           service.RedeemRequest
}

func (s *Server) redeem(ctx context.Context, in *redeemIn) (*body[rewards.Coupon], error) {
	k := caller(ctx)
	metrics.Lap(ctx, metrics.StageDecode)
	c, err := s.svc.Rewards.Redeem(ctx, k.TenantID, actor(k), in.ID, in.IdempotencyKey, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(c), nil
}

type couponsQuery struct {
	ID     string `path:"id" maxLength:"160" doc:"Member id or the store's customer id"`
	Cursor string `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"0" maximum:"500" doc:"Page size, default 50"`
	State  string `query:"state" enum:"issued,used,expired,cancelled" doc:"Only coupons in this state"`
}

func (s *Server) listMemberCoupons(ctx context.Context, in *couponsQuery) (*body[listBody[rewards.Coupon]], error) {
	cs, next, err := s.svc.Rewards.MemberCoupons(ctx, caller(ctx).TenantID, in.ID, in.State, in.Cursor, in.Limit)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(cs, next), nil
}

type couponPath struct {
	ID string `path:"id" maxLength:"160" doc:"Coupon id or its code"`
}

func (s *Server) getCoupon(ctx context.Context, in *couponPath) (*body[rewards.Coupon], error) {
	c, err := s.svc.Rewards.Coupon(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(c), nil
}

type useIn struct {
	ID   string `path:"id" maxLength:"160" doc:"Coupon id or its code"`
	Body service.CouponUse
}

func (s *Server) useCoupon(ctx context.Context, in *useIn) (*body[rewards.Coupon], error) {
	k := caller(ctx)
	c, err := s.svc.Rewards.UseCoupon(ctx, k.TenantID, actor(k), in.ID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(c), nil
}

type cancelIn struct {
	ID   string `path:"id" maxLength:"160" doc:"Coupon id or its code"`
	Body service.CouponCancel
}

func (s *Server) cancelCoupon(ctx context.Context, in *cancelIn) (*body[rewards.Coupon], error) {
	k := caller(ctx)
	c, err := s.svc.Rewards.CancelCoupon(ctx, k.TenantID, actor(k), in.ID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(c), nil
}
