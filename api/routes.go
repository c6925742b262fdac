package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/metrics"
	"github.com/tenure-loyalty/tenure/service"
)

// routes lists every operation of /v1, top to bottom.
func (s *Server) routes() {
	const (
		admin = tenure.ScopeAdmin
		integ = tenure.ScopeIntegration
		read  = tenure.ScopeReadOnly
	)
	a := s.api

	huma.Register(a, op("get-program", http.MethodGet, "/v1/program", "Get the program settings", "Program", read), s.getProgram)
	huma.Register(a, op("put-program", http.MethodPut, "/v1/program", "Replace the program settings (If-Match for optimistic concurrency)", "Program", admin, 412), s.putProgram)

	huma.Register(a, op("list-keys", http.MethodGet, "/v1/keys", "List API keys", "Keys", admin), s.listKeys)
	huma.Register(a, op("create-key", http.MethodPost, "/v1/keys", "Create an API key (the secret is shown once)", "Keys", admin), s.createKey)
	huma.Register(a, op("revoke-key", http.MethodDelete, "/v1/keys/{id}", "Revoke an API key", "Keys", admin, 404), s.revokeKey)

	huma.Register(a, op("create-member", http.MethodPost, "/v1/members", "Enrol a member", "Members", integ, 409), s.createMember)
	huma.Register(a, op("list-members", http.MethodGet, "/v1/members", "List and search members", "Members", read), s.listMembers)
	huma.Register(a, op("get-member", http.MethodGet, "/v1/members/{id}", "Get a member", "Members", read, 404), s.getMember)
	huma.Register(a, op("update-member", http.MethodPatch, "/v1/members/{id}", "Update a member", "Members", integ, 404), s.updateMember)
	huma.Register(a, op("get-balance", http.MethodGet, "/v1/members/{id}/balance", "Get a member's points and credit balances", "Ledger", read, 404), s.getBalance)
	huma.Register(a, op("get-ledger", http.MethodGet, "/v1/members/{id}/ledger", "List a member's ledger entries with their causes", "Ledger", read, 404), s.getLedger)
	huma.Register(a, op("list-member-events", http.MethodGet, "/v1/members/{id}/events", "List a member's events", "Events", read, 404), s.listMemberEvents)
	huma.Register(a, op("create-adjustment", http.MethodPost, "/v1/members/{id}/adjustments", "Adjust a balance manually, with a reason", "Ledger", integ, 404, 409), s.adjust)
	huma.Register(a, op("create-spend", http.MethodPost, "/v1/members/{id}/spends", "Spend points or credit", "Ledger", integ, 404, 409), s.spend)
	huma.Register(a, op("create-transfer", http.MethodPost, "/v1/transfers", "Move points or credit between members", "Ledger", integ, 409), s.transfer)

	ingest := op("ingest-event", http.MethodPost, "/v1/events", "Send one event", "Events", integ, 409, 413)
	huma.Register(a, ingest, s.ingest)
	batch := op("ingest-batch", http.MethodPost, "/v1/events/batch", "Send up to 1000 events atomically", "Events", integ, 409, 413)
	batch.MaxBodyBytes = 16 << 20
	huma.Register(a, batch, s.ingestBatch)
	huma.Register(a, op("get-event", http.MethodGet, "/v1/events/{id}", "Get an event and what it did", "Events", read, 404), s.getEvent)
	huma.Register(a, op("get-order", http.MethodGet, "/v1/orders/{id}", "Get an order with its lines and points", "Orders", read, 404), s.getOrder)

	huma.Register(a, op("list-webhooks", http.MethodGet, "/v1/webhooks", "List webhook endpoints", "Webhooks", admin), s.listWebhooks)
	huma.Register(a, op("create-webhook", http.MethodPost, "/v1/webhooks", "Register a webhook endpoint", "Webhooks", admin), s.createWebhook)
	huma.Register(a, op("get-webhook", http.MethodGet, "/v1/webhooks/{id}", "Get a webhook endpoint", "Webhooks", admin, 404), s.getWebhook)
	huma.Register(a, op("update-webhook", http.MethodPut, "/v1/webhooks/{id}", "Replace a webhook endpoint", "Webhooks", admin, 404), s.updateWebhook)
	huma.Register(a, op("delete-webhook", http.MethodDelete, "/v1/webhooks/{id}", "Delete a webhook endpoint", "Webhooks", admin, 404), s.deleteWebhook)
	huma.Register(a, op("list-deliveries", http.MethodGet, "/v1/webhooks/{id}/deliveries", "List an endpoint's deliveries", "Webhooks", admin, 404), s.listDeliveries)
	huma.Register(a, op("get-delivery", http.MethodGet, "/v1/deliveries/{id}", "Get a delivery and its attempt log", "Webhooks", admin, 404), s.getDelivery)
	huma.Register(a, op("replay-delivery", http.MethodPost, "/v1/deliveries/{id}/replay", "Send a message again (same message id)", "Webhooks", admin, 404), s.replayDelivery)
	huma.Register(a, op("get-message", http.MethodGet, "/v1/messages/{id}", "Get an outbox message", "Webhooks", read, 404), s.getMessage)

	huma.Register(a, op("list-audit", http.MethodGet, "/v1/audit-log", "List the audit log, newest first", "Audit", admin), s.listAudit)

	s.ruleRoutes()
	s.rewardRoutes()
	s.analyticsRoutes()
	s.importRoutes()
	s.segmentRoutes()
	s.tierRoutes()
	s.widgetRoutes()
	s.shopRoutes()
	s.flowRoutes()
	s.subscriptionRoutes()
}

type idPath struct {
	ID string `path:"id" maxLength:"160" doc:"Tenure id, or for members, events and orders also the store's id"`
}

type body[T any] struct {
	Body T
}

type listBody[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

func list[T any](items []T, next string) *body[listBody[T]] {
	if items == nil {
		items = []T{}
	}
	return &body[listBody[T]]{Body: listBody[T]{Data: items, NextCursor: next}}
}

func ok[T any](v T) *body[T] { return &body[T]{Body: v} }

func (s *Server) getProgram(ctx context.Context, _ *struct{}) (*tagged[tenure.Program], error) {
	p, err := s.svc.Tenants.Program(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return withETag(p.Program, p.Version), nil
}

type programIn struct {
	IfMatch string `header:"If-Match" doc:"The ETag of GET /v1/program this edit started from; when it is no longer current the answer is 412 and nothing is saved"`
	Body    tenure.Program
}

func (s *Server) putProgram(ctx context.Context, in *programIn) (*tagged[tenure.Program], error) {
	k := caller(ctx)
	base, err := ifMatch("api.putProgram", in.IfMatch, "GET /v1/program")
	if err != nil {
		return nil, s.problem(err)
	}
	p, err := s.svc.Tenants.UpdateProgramIf(ctx, k.TenantID, actor(k), base, in.Body)
	if err != nil {
		return nil, s.saveProblem(err, base)
	}
	return withETag(p.Program, p.Version), nil
}

func (s *Server) listKeys(ctx context.Context, _ *struct{}) (*body[listBody[tenure.APIKey]], error) {
	ks, err := s.svc.Access.Keys(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(ks, ""), nil
}

type newKey struct {
	Name  string       `json:"name" minLength:"1" maxLength:"128"`
	Scope tenure.Scope `json:"scope" enum:"admin,integration,read_only"`
}

type createdKey struct {
	tenure.APIKey
	Secret string `json:"secret" doc:"The key itself; store it now, it is never shown again"`
}

func (s *Server) createKey(ctx context.Context, in *body[newKey]) (*body[createdKey], error) {
	k := caller(ctx)
	key, secret, err := s.svc.Access.CreateKey(ctx, k.TenantID, actor(k), in.Body.Name, in.Body.Scope)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(createdKey{APIKey: key, Secret: secret}), nil
}

func (s *Server) revokeKey(ctx context.Context, in *idPath) (*body[tenure.APIKey], error) {
	k := caller(ctx)
	key, err := s.svc.Access.RevokeKey(ctx, k.TenantID, actor(k), in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(key), nil
}

func (s *Server) createMember(ctx context.Context, in *body[service.NewMember]) (*body[tenure.Member], error) {
	k := caller(ctx)
	m, err := s.svc.Members.Create(ctx, k.TenantID, actor(k), in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(m), nil
}

type memberQuery struct {
	Cursor     string `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit      int    `query:"limit" minimum:"0" maximum:"500" doc:"Page size, default 50"`
	Email      string `query:"email" maxLength:"256"`
	ExternalID string `query:"external_id" maxLength:"128" doc:"The store's customer id"`
	Tag        string `query:"tag" maxLength:"64"`
	Tier       string `query:"tier" maxLength:"64" doc:"Members holding this tier (its key) now"`
	Segment    string `query:"segment" maxLength:"64" doc:"Members of this segment (its key), as last counted"`
}

func (s *Server) listMembers(ctx context.Context, in *memberQuery) (*body[listBody[tenure.Member]], error) {
	ms, next, err := s.svc.Members.List(ctx, caller(ctx).TenantID, tenure.MemberFilter{Email: in.Email, ExternalID: in.ExternalID, Tag: in.Tag,
		Tier: in.Tier, Segment: in.Segment, After: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.problem(err)
	}
	return list(ms, next), nil
}

func (s *Server) getMember(ctx context.Context, in *idPath) (*body[tenure.Member], error) {
	m, err := s.svc.Members.Get(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(m), nil
}

type memberPatch struct {
	ID   string `path:"id" maxLength:"160" doc:"Tenure id, or for members, events and orders also the store's id"`
	Body tenure.MemberPatch
}

func (s *Server) updateMember(ctx context.Context, in *memberPatch) (*body[tenure.Member], error) {
	k := caller(ctx)
	m, err := s.svc.Members.Update(ctx, k.TenantID, actor(k), in.ID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(m), nil
}

func (s *Server) getBalance(ctx context.Context, in *idPath) (*body[service.Balances], error) {
	metrics.Lap(ctx, metrics.StageDecode)
	b, err := s.svc.Members.Balance(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(b), nil
}

type ledgerQuery struct {
	ID     string        `path:"id" maxLength:"160" doc:"Tenure id, or for members, events and orders also the store's id"`
	Cursor string        `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit  int           `query:"limit" minimum:"0" maximum:"500" doc:"Page size, default 50"`
	Wallet tenure.Wallet `query:"wallet" enum:"points,credit" default:"points"`
}

func (s *Server) getLedger(ctx context.Context, in *ledgerQuery) (*body[listBody[tenure.Entry]], error) {
	es, next, err := s.svc.Members.History(ctx, caller(ctx).TenantID, in.ID, in.Wallet, in.Cursor, in.Limit)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(es, next), nil
}

type memberEventsQuery struct {
	ID     string `path:"id" maxLength:"160" doc:"Tenure id, or for members, events and orders also the store's id"`
	Cursor string `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"0" maximum:"500" doc:"Page size, default 50"`
}

func (s *Server) listMemberEvents(ctx context.Context, in *memberEventsQuery) (*body[listBody[tenure.EventResult]], error) {
	rs, next, err := s.svc.Members.Events(ctx, caller(ctx).TenantID, in.ID, in.Cursor, in.Limit)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(rs, next), nil
}

type ledgerOpIn struct {
	ID             string `path:"id" maxLength:"160" doc:"Tenure id, or for members, events and orders also the store's id"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"128" doc:"Retrying with the same key returns the first result and changes nothing"`
	Body           service.LedgerOp
}

func (s *Server) adjust(ctx context.Context, in *ledgerOpIn) (*body[service.OpResult], error) {
	k := caller(ctx)
	metrics.Lap(ctx, metrics.StageDecode)
	r, err := s.svc.Intake.Adjust(ctx, k.TenantID, actor(k), in.ID, in.IdempotencyKey, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

func (s *Server) spend(ctx context.Context, in *ledgerOpIn) (*body[service.OpResult], error) {
	k := caller(ctx)
	metrics.Lap(ctx, metrics.StageDecode)
	r, err := s.svc.Intake.Spend(ctx, k.TenantID, actor(k), in.ID, in.IdempotencyKey, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

type transferIn struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"128" doc:"Retrying with the same key returns the first result and changes nothing"`
	Body           service.TransferRequest
}

func (s *Server) transfer(ctx context.Context, in *transferIn) (*body[service.TransferResult], error) {
	k := caller(ctx)
	r, err := s.svc.Intake.Transfer(ctx, k.TenantID, actor(k), in.IdempotencyKey, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

type eventIn struct {
	DryRun bool `query:"dry_run" doc:"Compute and return the effects without writing anything"`
	Body   tenure.Event
}

type batchIn struct {
	DryRun bool `query:"dry_run" doc:"Compute and return the effects without writing anything"`
	Body   struct {
		Events []tenure.Event `json:"events" minItems:"1" maxItems:"1000"`
	}
}

type batchOut struct {
	Results []tenure.EventResult `json:"results"`
	DryRun  bool                 `json:"dry_run,omitempty"`
}

type eventOut struct {
	Status int `status:"200"`
	Body   struct {
		tenure.EventResult
		DryRun bool `json:"dry_run,omitempty"`
	}
}

func (s *Server) ingest(ctx context.Context, in *eventIn) (*eventOut, error) {
	metrics.Lap(ctx, metrics.StageDecode)
	rs, err := s.svc.Intake.Ingest(ctx, caller(ctx).TenantID, []tenure.Event{in.Body}, service.IngestOptions{DryRun: in.DryRun})
	if err != nil {
		return nil, s.problem(err)
	}
	out := &eventOut{Status: http.StatusCreated}
	if rs[0].Replay {
		out.Status = http.StatusOK
	}
	out.Body.EventResult, out.Body.DryRun = rs[0], in.DryRun
	return out, nil
}

func (s *Server) ingestBatch(ctx context.Context, in *batchIn) (*body[batchOut], error) {
	metrics.Lap(ctx, metrics.StageDecode)
	rs, err := s.svc.Intake.Ingest(ctx, caller(ctx).TenantID, in.Body.Events, service.IngestOptions{Batch: true, DryRun: in.DryRun})
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(batchOut{Results: rs, DryRun: in.DryRun}), nil
}

type eventDetail struct {
	Result tenure.EventResult `json:"result"`
	Event  tenure.Event       `json:"event"`
}

func (s *Server) getEvent(ctx context.Context, in *idPath) (*body[eventDetail], error) {
	r, e, err := s.svc.Members.Event(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(eventDetail{Result: r, Event: e}), nil
}

func (s *Server) getOrder(ctx context.Context, in *idPath) (*body[tenure.Order], error) {
	o, err := s.svc.Members.Order(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(*o), nil
}
