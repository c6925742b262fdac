package widget

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/input"
	"github.com/tenure-loyalty/tenure/problem"
	"github.com/tenure-loyalty/tenure/service"
)

// Handler serves the widget's script and stylesheet under /widget/ and the browser's CORS
// preflight of the member API. The member API's operations are served by package api,
// described in its OpenAPI document, through MemberAPI.
type Handler struct {
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the widget handler.
func New(log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /widget/{file}", h.asset)
	h.mux.HandleFunc("OPTIONS /v1/member/", h.preflight)
	h.mux.HandleFunc("OPTIONS /v1/member", h.preflight)
	h.mux.HandleFunc("/v1/member/", h.unknown)
	return h
}

// Register mounts the handler's paths on mux: /widget/, the preflight of /v1/member and a
// problem for member API paths that name no operation.
func (h *Handler) Register(mux interface{ Handle(string, http.Handler) }) {
	mux.Handle("/widget/", h)
	mux.Handle("OPTIONS /v1/member", h)
	mux.Handle("OPTIONS /v1/member/", h)
	mux.Handle("/v1/member/", h)
}

// ServeHTTP routes a request to an asset, the preflight or the unknown-operation problem.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// unknown answers a member API path that names no operation.
func (h *Handler) unknown(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Origin")
	if r.Header.Get("Origin") != "" {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
	problem.Write(w, nil, "widget", tenure.Errorf(tenure.KindNotFound, "widget", "no such member API operation"))
}

// preflight answers a browser's CORS preflight. It cannot know the tenant yet (a preflight
// carries no token), so it lets any origin send the real request, which is then checked
// against the tenant's allowed origins before anything is read or changed.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "" {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
	w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.Header().Add("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
}

// MemberAPI is the shopper's API under /v1/member: every operation reads the member from
// a member token only; no path, query or body can name another member.
type MemberAPI struct {
	svc services
}

// NewMemberAPI returns the member API over svc.
func NewMemberAPI(svc *service.Service) *MemberAPI { return &MemberAPI{svc: servicesOf(svc)} }

// Caller is who calls a member API operation: the verified claims of the token and the
// member they name, resolved by the store's customer id.
type Caller struct {
	Claims Claims
	Member tenure.Member
}

// Authenticate checks a member token (the request's Authorization header) and the
// browser's Origin, and finds the member. allow is the Access-Control-Allow-Origin the
// answer carries, also when it is a problem ("" for none): the member API never uses
// cookies or other ambient credentials (the token is sent explicitly), so "*" exposes
// nothing a page could not already get with the token it holds. KindUnauthorized for a
// missing, malformed, forged or expired token, KindForbidden for an origin the store does
// not allow, KindNotFound when the token's customer is not a member.
func (a *MemberAPI) Authenticate(ctx context.Context, authorization, origin string) (c Caller, allow string, err error) {
	if origin != "" {
		allow = "*"
	}
	token, ok := input.BearerToken(authorization)
	if !ok {
		return c, allow, tenure.Errorf(tenure.KindUnauthorized, "widget", "missing member token: send Authorization: Bearer <token>")
	}
	tenantID, err := TenantOf(token)
	if err != nil {
		return c, allow, tenure.Errorf(tenure.KindUnauthorized, "widget", "%v", err)
	}
	// Cached by the service, which drops a tenant's entry on every node when it changes.
	secret, origins, err := a.svc.keys.Key(ctx, tenantID)
	if err != nil {
		return c, allow, err
	}
	if c.Claims, err = VerifyToken(token, tenantID, secret, a.svc.clock.Now()); err != nil {
		return c, allow, tenure.Errorf(tenure.KindUnauthorized, "widget", "%v", err)
	}
	if allow, ok = allowOrigin(origin, origins); !ok {
		return c, "", tenure.Errorf(tenure.KindForbidden, "widget", "this store does not allow the member API from origin %s", origin)
	}
	c.Member, err = a.svc.keys.Member(ctx, tenantID, c.Claims.Member)
	return c, allow, err
}

// allowOrigin applies a tenant's allowed origins to a request: a request from a browser
// page (with an Origin) must come from one of them, when any are set. Calls without an
// Origin (a store's server, curl) are not browser calls and pass.
func allowOrigin(origin string, allowed []string) (allow string, ok bool) {
	switch {
	case origin == "":
		return "", true
	case len(allowed) == 0:
		return "*", true
	case slices.Contains(allowed, strings.ToLower(origin)):
		return origin, true
	}
	return "", false
}
