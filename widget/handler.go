package widget

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/input"
	"github.com/tenure-loyalty/tenure/problem"
	"github.com/tenure-loyalty/tenure/service"
)

// Handler serves the widget's assets under /widget/ and the member API under /v1/member.
type Handler struct {
	svc services
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the widget handler over svc.
func New(svc *service.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: servicesOf(svc), log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /widget/{file}", h.asset)
	h.mux.HandleFunc("OPTIONS /v1/member/", h.preflight)
	h.mux.HandleFunc("OPTIONS /v1/member", h.preflight)
	h.mux.Handle("GET /v1/member", h.member(h.summary))
	h.mux.Handle("GET /v1/member/rewards", h.member(h.rewards))
	h.mux.Handle("POST /v1/member/redemptions", h.member(h.redeem))
	h.mux.Handle("GET /v1/member/coupons", h.member(h.coupons))
	h.mux.Handle("GET /v1/member/coupons/{ref}", h.member(h.coupon))
	h.mux.Handle("GET /v1/member/history", h.member(h.history))
	h.mux.Handle("GET /v1/member/earning", h.member(h.earning))
	h.mux.Handle("/v1/member/", h.member(func(*request) (any, error) {
		return nil, tenure.Errorf(tenure.KindNotFound, "widget", "no such member API operation")
	}))
	return h
}

// Register mounts the handler's paths on mux: /widget/ and /v1/member.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("/widget/", h)
	mux.Handle("/v1/member", h)
	mux.Handle("/v1/member/", h)
}

// ServeHTTP routes a request to an asset or a member API operation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// request is one authenticated member API call: the verified claims and the member they
// name, resolved by the store's customer id.
type request struct {
	*http.Request
	claims Claims
	member tenure.Member
	w      http.ResponseWriter
	status int
}

// pathParams are the member API's path parameters.
var pathParams = []string{"ref"}

// member wraps an operation: it checks the token and the browser's origin, resolves the
// member, runs op and writes its result or a problem. Every operation reads the member
// from the token only; no path or query parameter can name another member.
func (h *Handler) member(op func(*request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Add("Vary", "Origin")
		if err := input.Check(r, pathParams, maxBody); err != nil {
			allowAnyOrigin(w, r)
			h.problem(w, err)
			return
		}
		req, err := h.authenticate(w, r)
		if err != nil {
			h.problem(w, err)
			return
		}
		out, err := op(req)
		if err != nil {
			h.problem(w, err)
			return
		}
		writeJSON(w, max(req.status, http.StatusOK), out)
	})
}

func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (*request, error) {
	token, ok := input.BearerToken(r.Header.Get("Authorization"))
	if !ok {
		allowAnyOrigin(w, r)
		return nil, tenure.Errorf(tenure.KindUnauthorized, "widget", "missing member token: send Authorization: Bearer <token>")
	}
	tenantID, err := TenantOf(token)
	if err != nil {
		allowAnyOrigin(w, r)
		return nil, tenure.Errorf(tenure.KindUnauthorized, "widget", "%v", err)
	}
	// Cached by the service, which drops a tenant's entry on every node when it changes.
	secret, origins, err := h.svc.keys.Key(r.Context(), tenantID)
	if err != nil {
		allowAnyOrigin(w, r)
		return nil, err
	}
	c, err := VerifyToken(token, tenantID, secret, h.svc.clock.Now())
	if err != nil {
		allowAnyOrigin(w, r)
		return nil, tenure.Errorf(tenure.KindUnauthorized, "widget", "%v", err)
	}
	if !allowOrigin(w, r, origins) {
		return nil, tenure.Errorf(tenure.KindForbidden, "widget", "this store does not allow the member API from origin %s", r.Header.Get("Origin"))
	}
	m, err := h.svc.keys.Member(r.Context(), tenantID, c.Member)
	if err != nil {
		return nil, err
	}
	return &request{Request: r, claims: c, member: m, w: w}, nil
}

// preflight answers a browser's CORS preflight. It cannot know the tenant yet (a preflight
// carries no token), so it lets any origin send the real request, which is then checked
// against the tenant's allowed origins before anything is read or changed.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	allowAnyOrigin(w, r)
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
	w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.Header().Add("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
}

// allowAnyOrigin lets any page read the response. The member API never uses cookies or
// other ambient credentials (the token is sent explicitly), so "*" exposes nothing a
// page could not already get with the token it holds.
func allowAnyOrigin(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "" {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
}

// allowOrigin applies a tenant's allowed origins to a request: a request from a browser
// page (with an Origin header) must come from one of them, when any are set. Calls
// without an Origin (a store's server, curl) are not browser calls and pass.
func allowOrigin(w http.ResponseWriter, r *http.Request, allowed []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if len(allowed) == 0 {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		return true
	}
	if slices.Contains(allowed, strings.ToLower(origin)) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		return true
	}
	return false
}

// problem writes err as an RFC 9457 problem through the one error model (package problem).
// Internal errors are logged, not shown.
func (h *Handler) problem(w http.ResponseWriter, err error) {
	p, internal := problem.From(err)
	if p.Status == problem.StatusClientClosed {
		return
	}
	if internal {
		h.log.Error("widget: internal error", "err", err)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tenure-member"`)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
