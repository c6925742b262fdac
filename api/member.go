package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/widget"
)

// The member API (/v1/member...) is the shopper's: the storefront widget calls it from the
// browser with a member token the store signed, never an API key. Its operations are
// described here with the rest, under the memberToken security scheme; package widget does
// the work.

const memberTag = "Member API"

// memberOp describes a member API operation.
func memberOp(id, method, path, summary string, errs ...int) huma.Operation {
	return huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: []string{memberTag},
		Metadata: map[string]any{"member": true}, MaxBodyBytes: widget.MaxBody,
		Security: []map[string][]string{{"memberToken": {}}},
		Errors:   append([]int{400, 401, 403, 404, 422}, errs...)}
}

func isMemberOp(op *huma.Operation) bool { m, _ := op.Metadata["member"].(bool); return m }

func (s *Server) memberRoutes() {
	a := s.api
	huma.Register(a, memberOp("get-member-summary", http.MethodGet, "/v1/member", "The member's points, store credit and tier"), s.memberSummary)
	huma.Register(a, memberOp("list-member-rewards", http.MethodGet, "/v1/member/rewards", "The rewards the member may see, with whether she can redeem each now"), s.memberRewards)
	red := memberOp("create-member-redemption", http.MethodPost, "/v1/member/redemptions", "Spend the member's points on a reward and issue a coupon", 409)
	red.DefaultStatus = http.StatusCreated
	huma.Register(a, red, s.memberRedeem)
	huma.Register(a, memberOp("list-member-own-coupons", http.MethodGet, "/v1/member/coupons", "The member's coupons, newest first"), s.memberCoupons)
	huma.Register(a, memberOp("get-member-own-coupon", http.MethodGet, "/v1/member/coupons/{ref}", "One of the member's coupons, by id or code"), s.memberCoupon)
	huma.Register(a, memberOp("list-member-history", http.MethodGet, "/v1/member/history", "The member's points history in words, newest first, one line per order or redemption"), s.memberHistory)
	huma.Register(a, memberOp("get-member-earning", http.MethodGet, "/v1/member/earning", "The program's ways to earn and the campaigns running now"), s.memberEarning)
	s.memberSubscriptionRoutes()
}

type memberCtxKey struct{}

// authenticateMember checks the member token and the browser's origin of a member API
// operation and puts the caller in the context. Every answer, a problem included, says
// which origin may read it and is never cached.
func (s *Server) authenticateMember(ctx huma.Context, next func(huma.Context)) {
	ctx.SetHeader("Cache-Control", "no-store")
	ctx.AppendHeader("Vary", "Origin")
	c, allow, err := s.member.Authenticate(ctx.Context(), ctx.Header("Authorization"), ctx.Header("Origin"))
	if allow != "" {
		ctx.SetHeader("Access-Control-Allow-Origin", allow)
	}
	if err != nil {
		if tenure.KindOf(err) == tenure.KindUnauthorized {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="tenure-member"`)
		}
		s.writeProblem(ctx, err)
		return
	}
	next(huma.WithValue(ctx, memberCtxKey{}, c))
}

func memberOf(ctx context.Context) widget.Caller {
	c, _ := ctx.Value(memberCtxKey{}).(widget.Caller)
	return c
}

func (s *Server) memberSummary(ctx context.Context, _ *struct{}) (*body[widget.MemberSummary], error) {
	v, err := s.member.Summary(ctx, memberOf(ctx))
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

func (s *Server) memberRewards(ctx context.Context, _ *struct{}) (*body[widget.List[widget.RewardView]], error) {
	v, err := s.member.Rewards(ctx, memberOf(ctx))
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

type memberRedeemIn struct {
	IdempotencyKey string `header:"Idempotency-Key" required:"true" minLength:"1" maxLength:"128" doc:"A new random value per redemption, the same on a retry: a retry returns the first coupon"`
	Body           service.RedeemRequest
}

func (s *Server) memberRedeem(ctx context.Context, in *memberRedeemIn) (*body[widget.Redemption], error) {
	v, err := s.member.Redeem(ctx, memberOf(ctx), in.IdempotencyKey, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

type memberPage struct {
	Cursor string `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"0" maximum:"100" doc:"Page size; 0 or absent for the default"`
}

// memberCouponsIn names the page fields again rather than embedding memberPage: huma
// passes over an embedded field of an unexported type, so the cursor and limit were
// neither documented, read nor checked.
type memberCouponsIn struct {
	Cursor string `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"0" maximum:"100" doc:"Page size; 0 or absent for the default"`
	State  string `query:"state" enum:"issued,used,expired,cancelled" doc:"Only coupons in this state"`
}

func (s *Server) memberCoupons(ctx context.Context, in *memberCouponsIn) (*body[widget.List[widget.CouponView]], error) {
	v, err := s.member.Coupons(ctx, memberOf(ctx), in.State, in.Cursor, in.Limit)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

type memberCouponIn struct {
	Ref string `path:"ref" maxLength:"160" doc:"The coupon's id or code"`
}

func (s *Server) memberCoupon(ctx context.Context, in *memberCouponIn) (*body[widget.CouponView], error) {
	v, err := s.member.Coupon(ctx, memberOf(ctx), in.Ref)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

type memberHistoryIn struct {
	Cursor string `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"0" maximum:"100" doc:"Page size; 0 or absent for the default"`
	Lang   string `query:"lang" enum:"en,pl" doc:"The language of the lines; default en"`
}

func (s *Server) memberHistory(ctx context.Context, in *memberHistoryIn) (*body[widget.List[widget.HistoryItem]], error) {
	v, err := s.member.History(ctx, memberOf(ctx), in.Cursor, in.Limit, in.Lang)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

func (s *Server) memberEarning(ctx context.Context, _ *struct{}) (*body[widget.Earning], error) {
	v, err := s.member.Earning(ctx, memberOf(ctx))
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}
