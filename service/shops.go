package service

import (
	"context"
	"crypto/subtle"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// Shops connects tenants to their Shopify stores and WooCommerce sites: it keeps the
// connections (credentials sealed at rest), applies what the shops' webhooks report as
// Tenure events, keeps a log of every delivery, and queues the coupon codes that must be
// created in or disabled at the shop. The platform adapters (packages shopify and
// woocommerce) verify, map and call the shops' APIs; they reach the database only here.
type Shops struct{ *core }

// ShopSettings create or change a tenant's connection to one platform. Credentials left
// empty on a change keep their stored values.
type ShopSettings struct {
	Domain        string `json:"domain" minLength:"1" maxLength:"253" doc:"example.myshopify.com, or the WooCommerce site's host"`
	APIURL        string `json:"api_url,omitempty" maxLength:"2048" doc:"Base URL of the shop's API; default https://<domain>"`
	WebhookSecret string `json:"webhook_secret,omitempty" maxLength:"512" doc:"Shopify: the app's client secret; WooCommerce: the webhooks' secret. Write-only"`
	APIKey        string `json:"api_key,omitempty" maxLength:"512" doc:"Shopify: the Admin API access token; WooCommerce: the REST API consumer key. Write-only"`
	APISecret     string `json:"api_secret,omitempty" maxLength:"512" doc:"WooCommerce: the REST API consumer secret. Write-only"`
	SyncCodes     *bool  `json:"sync_codes,omitempty" doc:"Create redeemed coupons' codes in the shop; default true when an API key is given"`
}

// Connect creates the tenant's connection to platform, or changes it.
func (h *Shops) Connect(ctx context.Context, tenantID, actor string, platform tenure.Platform, in ShopSettings) (c tenure.ShopConnection, err error) {
	err = h.db.Write(ctx, func(tx *storage.Tx) error {
		rows, err := tx.Shops(ctx, tenantID)
		if err != nil {
			return err
		}
		isNew := true
		c = tenure.ShopConnection{ID: tx.NewID(tenure.PrefixShop), Platform: platform, Status: "active", CreatedAt: tx.Now}
		for _, r := range rows {
			if r.Platform == platform {
				c, isNew = r.ShopConnection, false
			}
		}
		c.Domain, c.APIURL, c.UpdatedAt = in.Domain, in.APIURL, tx.Now
		if in.WebhookSecret != "" {
			c.WebhookSecret = in.WebhookSecret
		}
		if in.APIKey != "" {
			c.APIKey = in.APIKey
		}
		if in.APISecret != "" {
			c.APISecret = in.APISecret
		}
		c.SyncCode = c.APIKey != ""
		if in.SyncCodes != nil {
			c.SyncCode = *in.SyncCodes
		}
		if c.Status == "uninstalled" && in.APIKey != "" {
			c.Status = "active"
		}
		c.WebhookPath = tenure.ShopWebhookPath(c.Platform, c.ID)
		if err := tenure.ValidateShop(&c); err != nil {
			return err
		}
		if err := tx.SaveShop(ctx, tenantID, c, isNew); err != nil {
			return err
		}
		action := "shop.updated"
		if isNew {
			action = "shop.connected"
		}
		return tx.Audit(ctx, tenantID, actor, action, "shop", c.ID, map[string]any{"platform": c.Platform, "domain": c.Domain, "sync_codes": c.SyncCode})
	})
	return c, err
}

// Connections lists a tenant's shop connections.
func (h *Shops) Connections(ctx context.Context, tenantID string) (out []tenure.ShopConnection, err error) {
	err = h.db.Read(ctx, func(tx *storage.Tx) error {
		rows, err := tx.Shops(ctx, tenantID)
		out = make([]tenure.ShopConnection, len(rows))
		for i, r := range rows {
			out[i] = r.ShopConnection
		}
		return err
	})
	return out, err
}

// Connection loads one of a tenant's connections.
func (h *Shops) Connection(ctx context.Context, tenantID, id string) (c tenure.ShopConnection, err error) {
	err = h.db.Read(ctx, func(tx *storage.Tx) error {
		r, err := tx.Shop(ctx, id)
		if err == nil && r.TenantID != tenantID {
			err = tenure.NotFound("service.Connection", "shop connection", id)
		}
		c = r.ShopConnection
		return err
	})
	return c, err
}

// Of loads a tenant's connection to platform.
func (h *Shops) Of(ctx context.Context, tenantID string, platform tenure.Platform) (c tenure.ShopConnection, err error) {
	cs, err := h.Connections(ctx, tenantID)
	for _, x := range cs {
		if x.Platform == platform {
			return x, err
		}
	}
	if err == nil {
		err = tenure.NotFound("service.Shops", "shop connection", string(platform))
	}
	return c, err
}

// Disconnect removes a connection with its delivery log and code mirror; codes already
// created in the shop stay there.
func (h *Shops) Disconnect(ctx context.Context, tenantID, actor, id string) error {
	return h.db.Write(ctx, func(tx *storage.Tx) error {
		if err := tx.DeleteShop(ctx, tenantID, id); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "shop.disconnected", "shop", id, nil)
	})
}

// Inbound is a verified connection a webhook arrived for.
type Inbound struct {
	tenure.ShopConnection
	TenantID string
}

// Verify loads connection id and checks a webhook's signature with check, which gets the
// connection's webhook secret. Unknown connections and bad signatures are the same
// KindUnauthorized, so that the answer does not tell which ids exist.
func (h *Shops) Verify(ctx context.Context, id string, platform tenure.Platform, check func(secret string) bool) (in Inbound, err error) {
	var r storage.ShopRow
	err = h.db.Read(ctx, func(tx *storage.Tx) error { r, err = tx.Shop(ctx, id); return err })
	bad := &tenure.Error{Kind: tenure.KindUnauthorized, Op: "service.Verify", Message: "the webhook signature does not match"}
	if tenure.KindOf(err) == tenure.KindNotFound {
		check(id) // the same work as a known connection
		return in, bad
	}
	if err != nil {
		return in, err
	}
	if subtle.ConstantTimeCompare([]byte(r.Platform), []byte(platform)) != 1 || !check(r.WebhookSecret) {
		return in, bad
	}
	return Inbound{ShopConnection: r.ShopConnection, TenantID: r.TenantID}, nil
}

// Mapped is what an adapter made of one webhook: the Tenure events it means, the
// coupon codes an order used, and the connection- or member-level actions it asks for.
type Mapped struct {
	Delivery tenure.ShopDelivery // ID, Topic and ResourceID set by the adapter
	Events   []tenure.Event
	// CodesUsed are discount codes an order applied, matched back to Tenure's coupons.
	CodesUsed []CodeUse
	// Skip, when set, says why the webhook means nothing to Tenure; it is logged as skipped.
	Skip string
	// Uninstalled marks the connection uninstalled (app/uninstalled).
	Uninstalled bool
	// Redact erases a customer's profile (customers/redact); ForgetShop drops the
	// connection's credentials (shop/redact).
	Redact     string
	ForgetShop bool
}

// CodeUse is one discount code an order applied.
type CodeUse struct {
	Code    string
	OrderID string
	Total   *int64
}

// Seen reports whether a connection has processed a delivery already.
func (h *Shops) Seen(ctx context.Context, in Inbound, deliveryID string) (seen bool, err error) {
	err = h.db.Read(ctx, func(tx *storage.Tx) error { seen, err = tx.ShopDeliverySeen(ctx, in.ID, deliveryID); return err })
	return seen, err
}

// Apply applies a mapped webhook and logs the delivery. A delivery seen before changes
// nothing and returns its first record with duplicate set. Events are applied one by one
// through the intake (their ids derive from the shop's ids, so a webhook sent twice under
// two delivery ids is applied once); an event the intake refuses is logged as a mapping
// failure and not retried, since sending it again would not change it. Only an outage
// returns an error, so that the shop sends the webhook again.
func (h *Shops) Apply(ctx context.Context, in Inbound, m Mapped) (d tenure.ShopDelivery, duplicate bool, err error) {
	d = m.Delivery
	d.ReceivedAt = h.Clock.Now().UTC()
	if seen, err := h.Seen(ctx, in, d.ID); err != nil || seen {
		return d, seen, err
	}
	d.Outcome = tenure.ShopApplied
	var notes []string
	switch {
	case m.Skip != "":
		d.Outcome, d.Detail = tenure.ShopSkipped, m.Skip
		if m.Delivery.Outcome == tenure.ShopFailed {
			d.Outcome = tenure.ShopFailed
		}
		m.Events, m.CodesUsed = nil, nil
	case m.Uninstalled:
		err = h.setStatus(ctx, in, "uninstalled", false)
		notes = append(notes, "connection marked uninstalled")
	case m.ForgetShop:
		err = h.setStatus(ctx, in, "uninstalled", true)
		notes = append(notes, "shop credentials erased")
	case m.Redact != "":
		var note string
		note, err = h.redact(ctx, in, m.Redact)
		notes = append(notes, note)
	}
	if err != nil {
		return d, false, err
	}
	for _, e := range m.Events {
		if e.CustomerID == "" && e.Refund != nil {
			// A refund that names no customer belongs to its order's member.
			if e.CustomerID, err = h.orderCustomer(ctx, in.TenantID, e.Refund.OrderID); err != nil {
				return d, false, err
			}
			if e.CustomerID == "" {
				// Shops do not keep their webhooks in order: the order's own webhook may
				// still be on its way. Refuse without writing, so that the shop sends the
				// refund again later.
				return d, false, &tenure.Error{Kind: tenure.KindConflict, Op: "service.Shops.Apply",
					Message: "refund of order " + e.Refund.OrderID + ", which has not arrived yet; send it again later"}
			}
		}
		_, ierr := h.svc.Intake.Ingest(ctx, in.TenantID, []tenure.Event{e}, IngestOptions{})
		switch {
		case ierr == nil:
			d.Events++
		case tenure.KindOf(ierr) == tenure.KindConflict:
			notes = append(notes, "event "+e.ID+" was received before")
		case clientKind(ierr):
			d.Outcome = tenure.ShopFailed
			notes = append(notes, "event "+e.ID+": "+problemText(ierr))
		default:
			return d, false, ierr
		}
	}
	for _, u := range m.CodesUsed {
		c, cerr := h.svc.Rewards.Coupon(ctx, in.TenantID, u.Code)
		if tenure.KindOf(cerr) == tenure.KindNotFound {
			continue // the shop's own code, not one of Tenure's
		}
		if cerr == nil {
			_, cerr = h.svc.Rewards.UseCoupon(ctx, in.TenantID, "shop:"+string(in.Platform), c.ID, CouponUse{OrderID: u.OrderID, OrderTotal: u.Total})
		}
		switch {
		case cerr == nil:
			notes = append(notes, "coupon "+u.Code+" used")
		case clientKind(cerr):
			notes = append(notes, "coupon "+u.Code+": "+problemText(cerr))
		default:
			return d, false, cerr
		}
	}
	if d.Detail == "" {
		d.Detail = joinNotes(notes)
	}
	err = h.db.Write(ctx, func(tx *storage.Tx) error {
		recorded, err := tx.RecordShopDelivery(ctx, in.ID, in.TenantID, d)
		duplicate = !recorded
		return err
	})
	return d, duplicate, err
}

// orderCustomer returns the store's id of the member who placed an order ("" when the
// order is unknown).
func (h *Shops) orderCustomer(ctx context.Context, tenantID, orderID string) (customerID string, err error) {
	err = h.db.Read(ctx, func(tx *storage.Tx) error {
		o, found, err := tx.Order(ctx, tenantID, orderID)
		if err != nil || !found {
			return err
		}
		m, err := tx.Member(ctx, tenantID, o.MemberID, false)
		customerID = m.ExternalID
		return err
	})
	return customerID, err
}

// clientKind reports whether err is about the input, not an outage.
func clientKind(err error) bool {
	switch tenure.KindOf(err) {
	case tenure.KindInvalid, tenure.KindNotFound, tenure.KindConflict, tenure.KindTooLarge:
		return true
	}
	return false
}

func joinNotes(notes []string) string {
	out := ""
	for _, n := range notes {
		if out != "" {
			out += "; "
		}
		out += n
	}
	if len(out) > 2000 {
		out = out[:2000]
	}
	return out
}

// problemText is an error's message with its fields, for the delivery log.
func problemText(err error) string {
	var e *tenure.Error
	if te, ok := err.(*tenure.Error); ok {
		e = te
	}
	if e == nil {
		return err.Error()
	}
	s := e.Message
	for _, f := range e.Fields {
		s += " (" + f.Field + ": " + f.Message + ")"
	}
	return s
}

func (h *Shops) setStatus(ctx context.Context, in Inbound, status string, forget bool) error {
	return h.db.Write(ctx, func(tx *storage.Tx) error {
		r, err := tx.Shop(ctx, in.ID)
		if err != nil {
			return err
		}
		r.Status, r.UpdatedAt = status, tx.Now
		if forget {
			r.APIKey, r.APISecret, r.SyncCode = "", "", false
		}
		if err := tx.SaveShop(ctx, in.TenantID, r.ShopConnection, false); err != nil {
			return err
		}
		return tx.Audit(ctx, in.TenantID, "shop:"+string(in.Platform), "shop."+status, "shop", in.ID, map[string]any{"credentials_erased": forget})
	})
}

// redact erases the profile of the member the shop knows as customerID: contact details
// and names go, the points history stays (it holds no personal data).
func (h *Shops) redact(ctx context.Context, in Inbound, customerID string) (string, error) {
	empty := ""
	patch := tenure.MemberPatch{Email: &empty, Phone: &empty, FirstName: &empty, LastName: &empty, Birthday: &empty, City: &empty}
	_, err := h.svc.Members.Update(ctx, in.TenantID, "shop:"+string(in.Platform), customerID, patch)
	if tenure.KindOf(err) == tenure.KindNotFound {
		return "no member for customer " + customerID, nil
	}
	if err != nil {
		return "", err
	}
	return "profile of customer " + customerID + " erased", nil
}

// ShopStatus is a connection with its latest deliveries, mapping failures and codes.
type ShopStatus struct {
	Connection tenure.ShopConnection `json:"connection"`
	Deliveries []tenure.ShopDelivery `json:"deliveries"`
	Failures   []tenure.ShopDelivery `json:"failures" doc:"The latest deliveries that could not be mapped"`
	Codes      []tenure.ShopCode     `json:"codes" doc:"The latest coupon codes mirrored into the shop"`
}

// Status returns a connection's latest deliveries (up to limit), failures and codes.
func (h *Shops) Status(ctx context.Context, tenantID, id string, limit int) (st ShopStatus, err error) {
	limit = clampLimit(limit)
	err = h.db.Read(ctx, func(tx *storage.Tx) error {
		r, err := tx.Shop(ctx, id)
		if err == nil && r.TenantID != tenantID {
			err = tenure.NotFound("service.ShopStatus", "shop connection", id)
		}
		if err != nil {
			return err
		}
		st.Connection = r.ShopConnection
		if st.Deliveries, err = tx.ShopDeliveries(ctx, id, "", limit); err != nil {
			return err
		}
		if st.Failures, err = tx.ShopDeliveries(ctx, id, tenure.ShopFailed, limit); err != nil {
			return err
		}
		st.Codes, err = tx.ShopCodes(ctx, id, limit)
		return err
	})
	return st, err
}
