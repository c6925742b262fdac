package dashboard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// keysData is the API keys page. Secret is set only in the response that created a key:
// it is shown once and never stored.
type keysData struct {
	Settings []navLink
	Keys     []tenure.APIKey
	Created  *tenure.APIKey
	Secret   string
	Name     string
	Scope    string
	Errors   map[string]string
}

func (d *Dashboard) keys(q *req) error {
	return d.showKeys(q, http.StatusOK, keysData{Scope: string(tenure.ScopeIntegration)})
}

func (d *Dashboard) showKeys(q *req, status int, data keysData) error {
	ks, err := d.svc.Access.Keys(q.r.Context(), q.tenant.ID)
	if err != nil {
		return err
	}
	data.Keys, data.Settings = ks, d.settingsLinks(q)
	d.render(q, status, "keys", "API keys", data)
	return nil
}

func (d *Dashboard) createKey(q *req) error {
	data := keysData{Name: strings.TrimSpace(q.r.PostFormValue("name")), Scope: q.r.PostFormValue("scope")}
	k, secret, err := d.svc.Access.CreateKey(q.r.Context(), q.tenant.ID, q.actor(), data.Name, tenure.Scope(data.Scope))
	if err != nil {
		if data.Errors, err = fieldErrors(err); err != nil {
			return err
		}
		return d.showKeys(q, http.StatusUnprocessableEntity, data)
	}
	data.Created, data.Secret, data.Name = &k, secret, ""
	return d.showKeys(q, http.StatusOK, data)
}

func (d *Dashboard) revokeKey(q *req) error {
	if _, err := d.svc.Access.RevokeKey(q.r.Context(), q.tenant.ID, q.actor(), q.r.PathValue("id")); err != nil {
		return err
	}
	redirect(q, "/admin/settings/keys", "revoked")
	return nil
}

// webhooksData is the webhooks page; Secret is the new endpoint's signing secret, shown
// once.
type webhooksData struct {
	Settings    []navLink
	Webhooks    []tenure.Webhook
	Circuits    map[string]tenure.Circuit // endpoints that failed since their last success
	Breaker     tenure.BreakerPolicy
	Created     *service.CreatedWebhook
	URL         string
	Types       string
	Description string
	Errors      map[string]string
}

func (d *Dashboard) webhooks(q *req) error {
	return d.showWebhooks(q, http.StatusOK, webhooksData{Types: "points.*"})
}

func (d *Dashboard) showWebhooks(q *req, status int, data webhooksData) error {
	ws, err := d.svc.Webhooks.List(q.r.Context(), q.tenant.ID)
	if err != nil {
		return err
	}
	if data.Circuits, err = d.svc.Webhooks.Circuits(q.r.Context(), q.tenant.ID); err != nil {
		return err
	}
	data.Webhooks, data.Settings, data.Breaker = ws, d.settingsLinks(q), d.Breaker
	d.render(q, status, "webhooks", "Webhooks", data)
	return nil
}

func (d *Dashboard) createWebhook(q *req) error {
	r := q.r
	data := webhooksData{URL: strings.TrimSpace(r.PostFormValue("url")), Types: r.PostFormValue("event_types"),
		Description: strings.TrimSpace(r.PostFormValue("description"))}
	in := service.WebhookInput{URL: data.URL, Description: data.Description}
	for _, t := range strings.FieldsFunc(data.Types, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' }) {
		in.EventTypes = append(in.EventTypes, t)
	}
	created, err := d.svc.Webhooks.Create(r.Context(), q.tenant.ID, q.actor(), in)
	if err != nil {
		if data.Errors, err = fieldErrors(err); err != nil {
			return err
		}
		return d.showWebhooks(q, http.StatusUnprocessableEntity, data)
	}
	data = webhooksData{Created: &created, Types: "points.*"}
	return d.showWebhooks(q, http.StatusOK, data)
}

// webhookData is one endpoint with its delivery log.
type webhookData struct {
	Settings   []navLink
	Webhook    tenure.Webhook
	Circuit    tenure.Circuit
	Deliveries []tenure.Delivery
	State      string
	Next       string
}

func (d *Dashboard) webhook(q *req) error {
	ctx, id := q.r.Context(), q.r.PathValue("id")
	data := webhookData{State: q.r.URL.Query().Get("state"), Settings: d.settingsLinks(q)}
	var err error
	if data.Webhook, err = d.svc.Webhooks.Get(ctx, q.tenant.ID, id); err != nil {
		return err
	}
	cs, err := d.svc.Webhooks.Circuits(ctx, q.tenant.ID)
	if err != nil {
		return err
	}
	data.Circuit = cs[id]
	ds, next, err := d.svc.Webhooks.Deliveries(ctx, q.tenant.ID, id, data.State, q.r.URL.Query().Get("before"), 50)
	if err != nil {
		return err
	}
	for _, dl := range ds {
		full, err := d.svc.Webhooks.Delivery(ctx, q.tenant.ID, dl.ID)
		if err != nil {
			return err
		}
		data.Deliveries = append(data.Deliveries, full)
	}
	if next != "" {
		data.Next = "/admin/settings/webhooks/" + url.PathEscape(id) + "?" + url.Values{"before": {next}, "state": {data.State}}.Encode()
	}
	d.render(q, http.StatusOK, "webhook", "Webhook deliveries", data)
	return nil
}

func (d *Dashboard) replayDelivery(q *req) error {
	dl, err := d.svc.Webhooks.ReplayDelivery(q.r.Context(), q.tenant.ID, q.actor(), q.r.PathValue("id"))
	if err != nil {
		return err
	}
	redirect(q, "/admin/settings/webhooks/"+url.PathEscape(dl.WebhookID), "replayed")
	return nil
}

// auditData is a page of the audit log in words, with its filters.
type auditData struct {
	Settings []navLink
	Rows     []auditRow
	Filter   auditFilter
	Next     string
}

func (d *Dashboard) audit(q *req) error {
	v := q.r.URL.Query()
	f := auditFilter{Actor: strings.TrimSpace(v.Get("actor")), Action: strings.TrimSpace(v.Get("action")), From: v.Get("from"), To: v.Get("to")}
	rows, next, err := d.auditRows(q.r.Context(), q, f, v.Get("before"), 50)
	if err != nil {
		return err
	}
	data := auditData{Settings: d.settingsLinks(q), Rows: rows, Filter: f}
	if next != "" {
		page := url.Values{"before": {next}}
		for k, val := range map[string]string{"actor": f.Actor, "action": f.Action, "from": f.From, "to": f.To} {
			if val != "" {
				page.Set(k, val)
			}
		}
		data.Next = "/admin/settings/audit?" + page.Encode()
	}
	d.render(q, http.StatusOK, "audit", "Audit log", data)
	return nil
}
