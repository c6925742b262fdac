package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
)

func (s *Server) ruleRoutes() {
	a := s.api
	huma.Register(a, op("get-rules", http.MethodGet, "/v1/rules", "Get the current earning rules", "Rules", tenure.ScopeReadOnly), s.getRules)
	huma.Register(a, op("put-rules", http.MethodPut, "/v1/rules", "Replace the earning rules (validated, stored as a new version; If-Match for optimistic concurrency)", "Rules", tenure.ScopeAdmin, 412), s.putRules)
	huma.Register(a, op("list-rule-versions", http.MethodGet, "/v1/rules/versions", "List saved rule set versions", "Rules", tenure.ScopeAdmin), s.listRuleVersions)
	huma.Register(a, op("evaluate-rules", http.MethodPost, "/v1/rules/evaluate", "Judge a sample event with the current or a candidate rule set, writing nothing", "Rules", tenure.ScopeReadOnly), s.evaluateRules)
	huma.Register(a, op("backtest-rules", http.MethodPost, "/v1/rules/backtest", "Replay a candidate rule set over stored orders", "Rules", tenure.ScopeAdmin), s.backtestRules)
}

func (s *Server) getRules(ctx context.Context, _ *struct{}) (*tagged[service.RuleSetView], error) {
	v, err := s.svc.Rules.Current(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return withETag(v, v.Version), nil
}

type rulesIn struct {
	IfMatch string `header:"If-Match" doc:"The ETag of GET /v1/rules this edit started from; when it is no longer current the answer is 412 and nothing is saved"`
	Body    rules.Set
}

func (s *Server) putRules(ctx context.Context, in *rulesIn) (*tagged[service.RuleSetView], error) {
	k := caller(ctx)
	base, err := ifMatch("api.putRules", in.IfMatch, "GET /v1/rules")
	if err != nil {
		return nil, s.problem(err)
	}
	v, err := s.svc.Rules.SaveIf(ctx, k.TenantID, actor(k), base, in.Body)
	if err != nil {
		return nil, s.saveProblem(err, base)
	}
	return withETag(v, v.Version), nil
}

func (s *Server) listRuleVersions(ctx context.Context, _ *struct{}) (*body[listBody[service.RuleSetView]], error) {
	vs, err := s.svc.Rules.Versions(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(vs, ""), nil
}

func (s *Server) evaluateRules(ctx context.Context, in *body[service.EvaluateRequest]) (*body[rules.Result], error) {
	r, err := s.svc.Rules.Evaluate(ctx, caller(ctx).TenantID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

func (s *Server) backtestRules(ctx context.Context, in *body[service.BacktestRequest]) (*body[service.BacktestReport], error) {
	r, err := s.svc.Rules.Backtest(ctx, caller(ctx).TenantID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}
