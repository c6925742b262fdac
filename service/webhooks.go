package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// WebhookInput creates or changes an endpoint.
type WebhookInput struct {
	URL         string   `json:"url" minLength:"1" maxLength:"2048" doc:"Absolute http(s) URL that receives POSTs"`
	EventTypes  []string `json:"event_types,omitempty" maxItems:"50" doc:"Message types to receive: exact (points.earned), a family (points.*) or * for all; empty means all"`
	Description string   `json:"description,omitempty" maxLength:"256"`
	Active      *bool    `json:"active,omitempty" doc:"Defaults to true"`
}

// CreatedWebhook is an endpoint with its signing secret, shown only at creation.
type CreatedWebhook struct {
	tenure.Webhook
	Secret string `json:"secret" doc:"HMAC-SHA256 signing secret; shown only once"`
}

// Create registers an endpoint and returns its signing secret.
func (s *Webhooks) Create(ctx context.Context, tenantID, actor string, in WebhookInput) (out CreatedWebhook, err error) {
	if err := tenure.ValidateWebhook(in.URL, in.EventTypes); err != nil {
		return out, err
	}
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		w := tenure.Webhook{ID: tx.NewID(tenure.PrefixWebhook), URL: in.URL, Secret: "whsec_" + hex.EncodeToString(raw[:]),
			EventTypes: in.EventTypes, Description: in.Description, Active: in.Active == nil || *in.Active, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.SaveWebhook(ctx, tenantID, w, true); err != nil {
			return err
		}
		out = CreatedWebhook{Webhook: w, Secret: w.Secret}
		return tx.Audit(ctx, tenantID, actor, "webhook.created", "webhook", w.ID, map[string]any{"url": w.URL})
	})
	return out, err
}

// Update replaces an endpoint's URL, filters, description and state.
func (s *Webhooks) Update(ctx context.Context, tenantID, actor, id string, in WebhookInput) (w tenure.Webhook, err error) {
	if err := tenure.ValidateWebhook(in.URL, in.EventTypes); err != nil {
		return w, err
	}
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if w, err = tx.Webhook(ctx, tenantID, id); err != nil {
			return err
		}
		w.URL, w.EventTypes, w.Description, w.UpdatedAt = in.URL, in.EventTypes, in.Description, tx.Now
		if in.Active != nil {
			w.Active = *in.Active
		}
		if err := tx.SaveWebhook(ctx, tenantID, w, false); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "webhook.updated", "webhook", w.ID, map[string]any{"url": w.URL, "active": w.Active})
	})
	return w, err
}

// Delete removes an endpoint.
func (s *Webhooks) Delete(ctx context.Context, tenantID, actor, id string) error {
	return s.db.Write(ctx, func(tx *storage.Tx) error {
		if err := tx.DeleteWebhook(ctx, tenantID, id); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "webhook.deleted", "webhook", id, nil)
	})
}

// List lists a tenant's endpoints.
func (s *Webhooks) List(ctx context.Context, tenantID string) (ws []tenure.Webhook, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { ws, err = tx.Webhooks(ctx, tenantID); return err })
	return ws, err
}

// Get loads one endpoint.
func (s *Webhooks) Get(ctx context.Context, tenantID, id string) (w tenure.Webhook, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { w, err = tx.Webhook(ctx, tenantID, id); return err })
	return w, err
}

// Circuits returns the circuit breaker state of the tenant's endpoints that have
// failed since their last success; an endpoint missing from the map is healthy.
func (s *Webhooks) Circuits(ctx context.Context, tenantID string) (cs map[string]tenure.Circuit, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { cs, err = tx.Circuits(ctx, tenantID); return err })
	return cs, err
}

// Deliveries lists an endpoint's deliveries, newest first.
func (s *Webhooks) Deliveries(ctx context.Context, tenantID, webhookID, state, before string, limit int) (ds []tenure.Delivery, next string, err error) {
	limit = clampLimit(limit)
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		if _, err := tx.Webhook(ctx, tenantID, webhookID); err != nil {
			return err
		}
		ds, err = tx.Deliveries(ctx, tenantID, webhookID, state, before, limit+1)
		return err
	})
	if len(ds) > limit {
		ds = ds[:limit]
		next = ds[limit-1].ID
	}
	return ds, next, err
}

// Delivery loads one delivery with its attempt log.
func (s *Webhooks) Delivery(ctx context.Context, tenantID, id string) (d tenure.Delivery, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { d, err = tx.Delivery(ctx, tenantID, id); return err })
	return d, err
}

// ReplayDelivery sends a delivered (or dead) message again, with the same message id.
func (s *Webhooks) ReplayDelivery(ctx context.Context, tenantID, actor, id string) (d tenure.Delivery, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if d, err = tx.ReplayDelivery(ctx, tenantID, id); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "delivery.replayed", "delivery", id, map[string]any{"new_delivery": d.ID})
	})
	return d, err
}

// Message loads an outbox message.
func (s *Webhooks) Message(ctx context.Context, tenantID, id string) (m tenure.Message, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { m, err = tx.Message(ctx, tenantID, id); return err })
	return m, err
}
