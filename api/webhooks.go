package api

import (
	"context"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

func (s *Server) listWebhooks(ctx context.Context, _ *struct{}) (*body[listBody[tenure.Webhook]], error) {
	ws, err := s.svc.Webhooks.List(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(ws, ""), nil
}

func (s *Server) createWebhook(ctx context.Context, in *body[service.WebhookInput]) (*body[service.CreatedWebhook], error) {
	k := caller(ctx)
	w, err := s.svc.Webhooks.Create(ctx, k.TenantID, actor(k), in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(w), nil
}

func (s *Server) getWebhook(ctx context.Context, in *idPath) (*body[tenure.Webhook], error) {
	w, err := s.svc.Webhooks.Get(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(w), nil
}

type webhookPut struct {
	ID   string `path:"id" maxLength:"160" doc:"Tenure id, or for members, events and orders also the store's id"`
	Body service.WebhookInput
}

func (s *Server) updateWebhook(ctx context.Context, in *webhookPut) (*body[tenure.Webhook], error) {
	k := caller(ctx)
	w, err := s.svc.Webhooks.Update(ctx, k.TenantID, actor(k), in.ID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(w), nil
}

type deleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

func (s *Server) deleteWebhook(ctx context.Context, in *idPath) (*body[deleted], error) {
	k := caller(ctx)
	if err := s.svc.Webhooks.Delete(ctx, k.TenantID, actor(k), in.ID); err != nil {
		return nil, s.problem(err)
	}
	return ok(deleted{ID: in.ID, Deleted: true}), nil
}

type deliveriesQuery struct {
	ID     string `path:"id" maxLength:"160" doc:"Tenure id, or for members, events and orders also the store's id"`
	Cursor string `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"0" maximum:"500" doc:"Page size, default 50"`
	State  string `query:"state" enum:"pending,running,succeeded,dead,"`
}

func (s *Server) listDeliveries(ctx context.Context, in *deliveriesQuery) (*body[listBody[tenure.Delivery]], error) {
	ds, next, err := s.svc.Webhooks.Deliveries(ctx, caller(ctx).TenantID, in.ID, in.State, in.Cursor, in.Limit)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(ds, next), nil
}

func (s *Server) getDelivery(ctx context.Context, in *idPath) (*body[tenure.Delivery], error) {
	d, err := s.svc.Webhooks.Delivery(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(d), nil
}

func (s *Server) replayDelivery(ctx context.Context, in *idPath) (*body[tenure.Delivery], error) {
	k := caller(ctx)
	d, err := s.svc.Webhooks.ReplayDelivery(ctx, k.TenantID, actor(k), in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(d), nil
}

func (s *Server) getMessage(ctx context.Context, in *idPath) (*body[tenure.Message], error) {
	m, err := s.svc.Webhooks.Message(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(m), nil
}

type auditQuery struct {
	Cursor string `query:"cursor" maxLength:"64" doc:"The next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"0" maximum:"500" doc:"Page size, default 50"`
}

func (s *Server) listAudit(ctx context.Context, in *auditQuery) (*body[listBody[tenure.AuditEntry]], error) {
	limit := in.Limit
	if limit <= 0 {
		limit = 50
	}
	es, err := s.svc.Tenants.AuditLog(ctx, caller(ctx).TenantID, in.Cursor, limit+1)
	if err != nil {
		return nil, s.problem(err)
	}
	next := ""
	if len(es) > limit {
		es = es[:limit]
		next = es[limit-1].ID
	}
	return list(es, next), nil
}
