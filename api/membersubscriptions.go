package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/subscription"
	"github.com/tenure-loyalty/tenure/widget"
)

// memberSubscriptionRoutes are the shopper's self-service on their own subscriptions.
func (s *Server) memberSubscriptionRoutes() {
	a := s.api
	huma.Register(a, memberOp("list-member-subscriptions", http.MethodGet, "/v1/member/subscriptions", "The member's subscriptions with their next delivery, and the cancel reasons"), s.memberSubscriptions)
	for _, action := range widget.MemberActions {
		path := map[string]string{service.ActChangeFrequency: "change-frequency"}[action]
		if path == "" {
			path = action
		}
		huma.Register(a, memberOp("member-"+path+"-subscription", http.MethodPost, "/v1/member/subscriptions/{ref}/"+path, "The member's "+path+" of their own subscription", 409),
			func(ctx context.Context, in *memberActionIn) (*body[service.ActionResult], error) {
				r, err := s.member.Act(ctx, memberOf(ctx), in.Ref, action, in.IdempotencyKey, in.Body)
				if err != nil {
					return nil, s.problem(err)
				}
				return ok(r), nil
			})
	}
	huma.Register(a, memberOp("member-start-cancel-flow", http.MethodPost, "/v1/member/subscriptions/{ref}/cancel-flow", "Start the cancel flow of the member's subscription: the offers that fit the reason", 409), s.memberStartCancel)
	huma.Register(a, memberOp("member-decide-cancel-flow", http.MethodPost, "/v1/member/cancel-flows/{ref}/decision", "Accept an offer of the member's cancel flow, or cancel anyway", 409), s.memberDecideCancel)
}

func (s *Server) memberSubscriptions(ctx context.Context, _ *struct{}) (*body[widget.Subscriptions], error) {
	v, err := s.member.Subscriptions(ctx, memberOf(ctx))
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

func (s *Server) memberStartCancel(ctx context.Context, in *memberCancelFlowIn) (*body[subscription.SaveRecord], error) {
	v, err := s.member.StartCancel(ctx, memberOf(ctx), in.Ref, in.Body.Reason)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

func (s *Server) memberDecideCancel(ctx context.Context, in *memberDecisionIn) (*body[subscription.SaveRecord], error) {
	v, err := s.member.DecideCancel(ctx, memberOf(ctx), in.Ref, in.IdempotencyKey, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

type memberActionIn struct {
	Ref            string `path:"ref" maxLength:"160" doc:"The member's subscription id"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"128" doc:"Required: a new random value per action, the same on a retry"`
	Body           service.ActionRequest
}

type memberCancelFlowIn struct {
	Ref  string `path:"ref" maxLength:"160" doc:"The member's subscription id"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"64" doc:"One of the cancel reasons of GET /v1/member/subscriptions"`
	}
}

type memberDecisionIn struct {
	Ref            string `path:"ref" maxLength:"160" doc:"The cancel flow id"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"128" doc:"Required: a new random value per decision, the same on a retry"`
	Body           service.CancelDecision
}
