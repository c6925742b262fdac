package api

import (
	"context"
	"html"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/flows"
)

// flowRoutes lists the operations on engagement flows, members' messages and consent,
// and the unsubscribe link that works without a key.
func (s *Server) flowRoutes() {
	const admin, read, integ = tenure.ScopeAdmin, tenure.ScopeReadOnly, tenure.ScopeIntegration
	a := s.api
	// A duration is written "4h" or "30m" in JSON.
	a.OpenAPI().Components.Schemas.RegisterTypeAlias(reflect.TypeFor[flows.Duration](), reflect.TypeFor[durationText]())
	huma.Register(a, op("list-flows", http.MethodGet, "/v1/flows", "List the flows, each at its current version", "Flows", read), s.listFlows)
	huma.Register(a, op("get-flow", http.MethodGet, "/v1/flows/{key}", "Get a flow at its current version, or at ?version=", "Flows", read, 404), s.getFlow)
	huma.Register(a, op("put-flow", http.MethodPut, "/v1/flows/{key}", "Save a flow as its next version; a bad step, condition, wait or jump is a 422 naming its field, and nothing is saved", "Flows", admin), s.putFlow)
	huma.Register(a, op("list-flow-versions", http.MethodGet, "/v1/flows/{key}/versions", "List every version of a flow, newest first", "Flows", read, 404), s.flowVersions)
	huma.Register(a, op("enable-flow-preset", http.MethodPost, "/v1/flow-presets/{key}", "Enable a built-in flow (welcome, post-purchase, win-back, points-expiring) in one call", "Flows", admin), s.enablePreset)
	huma.Register(a, op("list-member-messages", http.MethodGet, "/v1/members/{id}/messages", "A member's message log: queued, deferred (why, until when), sent, failed, dropped, skipped, unsubscribed", "Flows", read, 404), s.memberMessages)
	huma.Register(a, op("list-member-flow-runs", http.MethodGet, "/v1/members/{id}/flow-runs", "A member's runs of flows", "Flows", read, 404), s.memberRuns)
	huma.Register(a, op("get-member-consents", http.MethodGet, "/v1/members/{id}/consents", "A member's consent per channel and purpose, defaults included", "Flows", read, 404), s.memberConsents)
	huma.Register(a, op("put-member-consent", http.MethodPut, "/v1/members/{id}/consents", "Record a member's consent (given or withdrawn) for a channel and purpose; audited", "Flows", integ, 404), s.putConsent)
	unsub := op("unsubscribe", http.MethodPost, "/v1/unsubscribe/{token}", "One-click unsubscribe (RFC 8058): withdraws the marketing consent to the message's channel; no key needed, the token is the proof", "Flows", scopePublic, 404)
	unsub.Security = []map[string][]string{{}}
	unsub.MaxBodyBytes = 1024
	huma.Register(a, unsub, s.unsubscribe)
	page := op("unsubscribe-page", http.MethodGet, "/v1/unsubscribe/{token}", "The unsubscribe page the link in a message opens: a button that confirms (a GET changes nothing, so that link scanners cannot unsubscribe anyone)", "Flows", scopePublic)
	page.Security = []map[string][]string{{}}
	huma.Register(a, page, s.unsubscribePage)
}

// scopePublic marks an operation that needs no API key.
const scopePublic tenure.Scope = "public"

type flowKeyPath struct {
	Key string `path:"key" maxLength:"40" doc:"The flow's key"`
}

type flowGet struct {
	Key     string `path:"key" maxLength:"40"`
	Version int    `query:"version" minimum:"0" doc:"A version; 0 or absent for the current one"`
}

// flowIn is a flow as a client writes it; the key comes from the path, the version is
// given by the server.
type flowIn struct {
	Name     string         `json:"name" maxLength:"200"`
	Enabled  bool           `json:"enabled,omitempty"`
	Trigger  flows.Trigger  `json:"trigger"`
	Steps    []flows.Step   `json:"steps" maxItems:"100"`
	Holdout  int            `json:"holdout_percent,omitempty" doc:"Share of entrants held out as a control group, 0 to 50"`
	Reentry  string         `json:"reentry,omitempty" doc:"never (default), after_exit or after_delay"`
	Delay    flows.Duration `json:"reentry_delay,omitempty"`
	ExitWhen string         `json:"exit_when,omitempty" doc:"A condition over member and event; a run whose member meets it ends, e.g. event.type == \"order.paid\""`
	Priority int            `json:"priority,omitempty" doc:"Higher goes first when the contact budget defers messages"`
}

type flowPut struct {
	Key  string `path:"key" maxLength:"40"`
	Body flowIn
}

type memberList struct {
	ID    string `path:"id" maxLength:"160" doc:"Member id or the store's customer id"`
	Limit int    `query:"limit" minimum:"0" maximum:"500" doc:"At most this many, default 50"`
}

type consentPut struct {
	ID   string `path:"id" maxLength:"160" doc:"Member id or the store's customer id"`
	Body tenure.Consent
}

type tokenPath struct {
	Token string `path:"token" maxLength:"64"`
}

// oneClick is the RFC 8058 request: the token in the path and the form body
// List-Unsubscribe=One-Click, which is read as it comes.
type oneClick struct {
	Token   string `path:"token" maxLength:"64"`
	RawBody []byte `contentType:"application/x-www-form-urlencoded"`
}

// durationText is how a flows.Duration is written: "4h", "90m", "1h30m" (Go's syntax).
type durationText string

// Schema describes the text, so that a bad duration is a 422 at its own field.
func (durationText) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeString, Pattern: `^-?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
		PatternDescription: "a duration such as 4h, 30m or 1h30m", Examples: []any{"4h"}}
}

type htmlPage struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

func (s *Server) listFlows(ctx context.Context, _ *struct{}) (*body[listBody[flows.Flow]], error) {
	fs, err := s.svc.Flows.List(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(fs, ""), nil
}

func (s *Server) getFlow(ctx context.Context, in *flowGet) (*body[flows.Flow], error) {
	f, err := s.svc.Flows.Get(ctx, caller(ctx).TenantID, in.Key, in.Version)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(f), nil
}

func (s *Server) putFlow(ctx context.Context, in *flowPut) (*body[flows.Flow], error) {
	k := caller(ctx)
	b := in.Body
	f, err := s.svc.Flows.Save(ctx, k.TenantID, actor(k), flows.Flow{Key: in.Key, Name: b.Name, Enabled: b.Enabled, Trigger: b.Trigger, Steps: b.Steps,
		Holdout: b.Holdout, Reentry: b.Reentry, Delay: b.Delay, ExitWhen: b.ExitWhen, Priority: b.Priority})
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(f), nil
}

func (s *Server) flowVersions(ctx context.Context, in *flowKeyPath) (*body[listBody[flows.Flow]], error) {
	fs, err := s.svc.Flows.Versions(ctx, caller(ctx).TenantID, in.Key)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(fs, ""), nil
}

func (s *Server) enablePreset(ctx context.Context, in *flowKeyPath) (*body[flows.Flow], error) {
	k := caller(ctx)
	f, err := s.svc.Flows.EnablePreset(ctx, k.TenantID, actor(k), in.Key)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(f), nil
}

func (s *Server) memberMessages(ctx context.Context, in *memberList) (*body[listBody[flows.FlowMessage]], error) {
	ds, err := s.svc.Flows.Messages(ctx, caller(ctx).TenantID, in.ID, in.Limit)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(ds, ""), nil
}

func (s *Server) memberRuns(ctx context.Context, in *memberList) (*body[listBody[flows.Run]], error) {
	rs, err := s.svc.Flows.Runs(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(rs, ""), nil
}

func (s *Server) memberConsents(ctx context.Context, in *idPath) (*body[listBody[tenure.Consent]], error) {
	cs, err := s.svc.Flows.Consents(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(cs, ""), nil
}

func (s *Server) putConsent(ctx context.Context, in *consentPut) (*body[listBody[tenure.Consent]], error) {
	k := caller(ctx)
	cs, err := s.svc.Flows.SetConsent(ctx, k.TenantID, actor(k), in.ID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(cs, ""), nil
}

type unsubscribed struct {
	Unsubscribed bool `json:"unsubscribed"`
}

func (s *Server) unsubscribe(ctx context.Context, in *oneClick) (*body[unsubscribed], error) {
	if err := s.svc.Flows.Unsubscribe(ctx, in.Token); err != nil {
		return nil, s.problem(err)
	}
	return ok(unsubscribed{Unsubscribed: true}), nil
}

func (s *Server) unsubscribePage(ctx context.Context, in *tokenPath) (*htmlPage, error) {
	page := `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
		`<title>Unsubscribe</title><body style="font-family:sans-serif;max-width:30em;margin:3em auto">` +
		`<h1>Unsubscribe / Wypisz się</h1><p>Stop marketing email from this store? / Zrezygnować z wiadomości marketingowych?</p>` +
		`<form method="post" action="/v1/unsubscribe/` + html.EscapeString(in.Token) + `">` +
		`<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe / Wypisz mnie</button></form></body></html>`
	return &htmlPage{ContentType: "text/html; charset=utf-8", Body: []byte(page)}, nil
}
