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
	huma.Register(a, op("put-rules", http.MethodPut, "/v1/rules", "Replace the earning rules (validated, stored as a new version)", "Rules", tenure.ScopeAdmin), s.putRules)
	huma.Register(a, op("list-rule-versions", http.MethodGet, "/v1/rules/versions", "List saved rule set versions", "Rules", tenure.ScopeAdmin), s.listRuleVersions)
	huma.Register(a, op("evaluate-rules", http.MethodPost, "/v1/rules/evaluate", "Judge a sample event with the current or a candidate rule set, writing nothing", "Rules", tenure.ScopeReadOnly), s.evaluateRules)
	huma.Register(a, op("backtest-rules", http.MethodPost, "/v1/rules/backtest", "Replay a candidate rule set over stored orders", "Rules", tenure.ScopeAdmin), s.backtestRules)
}

func (s *Server) getRules(ctx context.Context, _ *struct{}) (*body[service.RuleSetView], error) {
	v, err := s.svc.Rules(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

func (s *Server) putRules(ctx context.Context, in *body[rules.Set]) (*body[service.RuleSetView], error) {
	k := caller(ctx)
	v, err := s.svc.SaveRules(ctx, k.TenantID, actor(k), in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(v), nil
}

func (s *Server) listRuleVersions(ctx context.Context, _ *struct{}) (*body[listBody[service.RuleSetView]], error) {
	vs, err := s.svc.RuleVersions(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(vs, ""), nil
}

func (s *Server) evaluateRules(ctx context.Context, in *body[service.EvaluateRequest]) (*body[rules.Result], error) {
	r, err := s.svc.EvaluateRules(ctx, caller(ctx).TenantID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

func (s *Server) backtestRules(ctx context.Context, in *body[service.BacktestRequest]) (*body[service.BacktestReport], error) {
	r, err := s.svc.Backtest(ctx, caller(ctx).TenantID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}
