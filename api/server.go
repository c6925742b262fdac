// Package api is Tenure's HTTP JSON API under /v1, described by an OpenAPI 3.1 document
// generated from the handlers' types (huma) and served at /openapi.json. Errors are RFC 9457
// problem details naming the offending field.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/input"
	"github.com/tenure-loyalty/tenure/metrics"
	"github.com/tenure-loyalty/tenure/problem"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/widget"
)

// Version is the API's version in the OpenAPI document.
const Version = "1.0.0"

// Metrics receives request observations; nil disables them.
type Metrics interface {
	ObserveRequest(operation string, status int, d time.Duration)
	StartLaps(operation string) *metrics.Laps
}

// Server is the HTTP API.
type Server struct {
	svc     *service.Service
	member  *widget.MemberAPI
	subs    *service.Subscriptions
	api     huma.API
	log     *slog.Logger
	metrics Metrics
}

// New builds the API on mux. ready reports whether the node can serve (for /readyz).
func New(svc *service.Service, mux humago.Mux, log *slog.Logger, m Metrics) *Server {
	cfg := huma.Config{
		OpenAPI: &huma.OpenAPI{
			OpenAPI: "3.1.0",
			Info: &huma.Info{Title: "Tenure API", Version: Version,
				Description: "Loyalty, points ledger and webhooks for online stores. Authenticate with `Authorization: Bearer <API key>`."},
			Components: &huma.Components{
				Schemas: huma.NewMapRegistry("#/components/schemas/", huma.DefaultSchemaNamer),
				SecuritySchemes: map[string]*huma.SecurityScheme{
					"apiKey": {Type: "http", Scheme: "bearer", Description: "An API key created by `tenure keys create` or POST /v1/keys"},
					"memberToken": {Type: "http", Scheme: "bearer", BearerFormat: "member token",
						Description: "For the member API (/v1/member...) only: a token naming one customer, signed by the store with its widget secret (or by POST /v1/widget/tokens)"},
				},
			},
			Security: []map[string][]string{{"apiKey": {}}},
		},
		OpenAPIPath:   "/openapi",
		Formats:       huma.DefaultFormats,
		DefaultFormat: "application/json",
	}
	s := &Server{svc: svc, subs: svc.Subscriptions, member: widget.NewMemberAPI(svc), log: log, metrics: m}
	s.api = humago.New(mux, cfg)
	s.api.UseMiddleware(s.observe, s.authenticate, s.checkInput)

	s.routes()
	s.memberRoutes()
	return s
}

// OpenAPI returns the generated document.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

type ctxKey int

const keyCtx ctxKey = 1

// scope of an operation is kept in its metadata; "public" needs no key.
func scopeOf(op *huma.Operation) tenure.Scope {
	if v, ok := op.Metadata["scope"].(tenure.Scope); ok {
		return v
	}
	return tenure.ScopeAdmin
}

func (s *Server) authenticate(ctx huma.Context, next func(huma.Context)) {
	if isMemberOp(ctx.Operation()) {
		s.authenticateMember(ctx, next)
		return
	}
	need := scopeOf(ctx.Operation())
	if need == scopePublic {
		next(ctx)
		return
	}
	secret, ok := input.BearerToken(ctx.Header("Authorization"))
	if !ok {
		_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "missing API key: send Authorization: Bearer <key>")
		return
	}
	key, err := s.svc.Access.Authenticate(ctx.Context(), secret)
	if err != nil {
		if tenure.KindOf(err) == tenure.KindUnauthorized {
			_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "unknown or revoked API key")
		} else {
			s.log.Error("authenticate", "err", err)
			_ = huma.WriteErr(s.api, ctx, http.StatusServiceUnavailable, "cannot check the API key right now")
		}
		return
	}
	if !key.Scope.Allows(need) {
		_ = huma.WriteErr(s.api, ctx, http.StatusForbidden, "this key's scope ("+string(key.Scope)+") does not allow this operation; it needs "+string(need))
		return
	}
	metrics.Lap(ctx.Context(), metrics.StageAuth)
	if s.svc.Limiter != nil {
		if ok, wait := s.svc.Limiter.Allow(ctx.Context(), key); !ok {
			// Whole seconds, rounded up: a client waiting that long finds a token.
			ctx.SetHeader("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))))
			_ = huma.WriteErr(s.api, ctx, http.StatusTooManyRequests, "this API key is over its rate limit; retry after the number of seconds in Retry-After")
			return
		}
	}
	next(huma.WithValue(ctx, keyCtx, key))
}

// checkInput refuses, before any decoding, a request whose path, query, stored headers or
// JSON body break the input contract (valid UTF-8, no NUL), with a 422 naming the field.
func (s *Server) checkInput(ctx huma.Context, next func(huma.Context)) {
	o := ctx.Operation()
	var paths []string
	for _, p := range o.Parameters {
		if p.In == "path" {
			paths = append(paths, p.Name)
		}
	}
	r, _ := humago.Unwrap(ctx)
	if err := input.Check(r, paths, o.MaxBodyBytes); err != nil {
		s.writeProblem(ctx, err)
		return
	}
	next(ctx)
}

func (s *Server) observe(ctx huma.Context, next func(huma.Context)) {
	start := time.Now()
	if s.metrics == nil {
		next(ctx)
		return
	}
	next(huma.WithContext(ctx, metrics.WithLaps(ctx.Context(), s.metrics.StartLaps(ctx.Operation().OperationID))))
	if s.metrics != nil {
		s.metrics.ObserveRequest(ctx.Operation().OperationID, ctx.Status(), time.Since(start))
	}
}

// caller returns the authenticated key of the request.
func caller(ctx context.Context) tenure.APIKey {
	k, _ := ctx.Value(keyCtx).(tenure.APIKey)
	return k
}

func actor(k tenure.APIKey) string { return "key:" + k.ID }

// problem turns a service error into a huma error through the one error model (package
// problem). Internal errors are logged and answered without detail.
func (s *Server) problem(err error) error {
	status, detail, details := s.problemOf(err)
	return huma.NewError(status, detail, details...)
}

// writeProblem answers err as a problem from a middleware, before any handler.
func (s *Server) writeProblem(ctx huma.Context, err error) {
	status, detail, details := s.problemOf(err)
	_ = huma.WriteErr(s.api, ctx, status, detail, details...)
}

func (s *Server) problemOf(err error) (status int, detail string, details []error) {
	p, internal := problem.From(err)
	if internal {
		s.log.Error("internal error", "err", err)
	}
	details = make([]error, 0, len(p.Errors))
	for _, d := range p.Errors {
		details = append(details, &huma.ErrorDetail{Message: d.Message, Location: d.Location})
	}
	return p.Status, p.Detail, details
}

// op describes an operation: id, method, path, summary, tag and needed scope.
func op(id, method, path, summary, tag string, scope tenure.Scope, errs ...int) huma.Operation {
	return huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: []string{tag},
		Metadata: map[string]any{"scope": scope}, Errors: append([]int{400, 401, 403, 422, 429}, errs...)}
}

// DefaultJSON reads a request body sent without a Content-Type as JSON, so that a quick
// `curl -d '{...}'` works; form-encoded bodies are still refused with 415.
func DefaultJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") == "" && r.ContentLength != 0 {
			r.Header.Set("Content-Type", "application/json")
		}
		next.ServeHTTP(w, r)
	})
}
