package dashboard

import (
	"net/http"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// shopsData is the shops page: a form and a status view per platform.
type shopsData struct {
	Settings []navLink
	Base     string // this server's address, for the webhook URLs
	Shops    []shopPanel
}

// shopPanel is one platform's connection (if any) and what its shop last sent.
type shopPanel struct {
	Platform tenure.Platform
	Label    string
	Topics   string
	Conn     *tenure.ShopConnection
	Status   service.ShopStatus
	Form     shopForm
	Errors   map[string]string
}

type shopForm struct {
	Domain, APIURL string
	SyncCodes      bool
}

var platforms = []struct {
	p      tenure.Platform
	label  string
	topics string
}{
	{tenure.Shopify, "Shopify", "orders/create, orders/paid, orders/fulfilled, orders/cancelled, refunds/create, customers/create, customers/update, carts/update, app/uninstalled, and the privacy topics customers/data_request, customers/redact, shop/redact"},
	{tenure.WooCommerce, "WooCommerce", "Order created, Order updated, Customer created, Customer updated, Customer deleted"},
}

func (d *Dashboard) shops(q *req) error {
	return d.showShops(q, http.StatusOK, "", shopForm{}, nil)
}

func (d *Dashboard) showShops(q *req, status int, failed tenure.Platform, form shopForm, errs map[string]string) error {
	ctx := q.r.Context()
	conns, err := d.svc.Shops.Connections(ctx, q.tenant.ID)
	if err != nil {
		return err
	}
	data := shopsData{Settings: d.settingsLinks(q), Base: baseURL(q.r)}
	for _, p := range platforms {
		panel := shopPanel{Platform: p.p, Label: p.label, Topics: p.topics, Form: shopForm{SyncCodes: true}}
		for i := range conns {
			if conns[i].Platform != p.p {
				continue
			}
			c := conns[i]
			panel.Conn = &c
			panel.Form = shopForm{Domain: c.Domain, APIURL: c.APIURL, SyncCodes: c.SyncCode}
			if panel.Status, err = d.svc.Shops.Status(ctx, q.tenant.ID, c.ID, 20); err != nil {
				return err
			}
		}
		if p.p == failed {
			panel.Form, panel.Errors = form, errs
		}
		data.Shops = append(data.Shops, panel)
	}
	d.render(q, status, "shops", "Shops", data)
	return nil
}

// baseURL is the address the staff member reached Tenure at: the base of the webhook
// URLs a shop is given (behind a proxy that terminates TLS, https is assumed).
func baseURL(r *http.Request) string {
	scheme := "https"
	host := r.Host
	if r.TLS == nil && r.Header.Get("X-Forwarded-Proto") != "https" &&
		(strings.HasPrefix(host, "127.0.0.1") || strings.HasPrefix(host, "localhost") || strings.HasPrefix(host, "[::1]")) {
		scheme = "http"
	}
	return scheme + "://" + host
}

func (d *Dashboard) saveShop(q *req) error {
	r := q.r
	p := tenure.Platform(r.PathValue("platform"))
	form := shopForm{Domain: strings.TrimSpace(r.PostFormValue("domain")), APIURL: strings.TrimSpace(r.PostFormValue("api_url")),
		SyncCodes: r.PostFormValue("sync_codes") == "on"}
	sync := form.SyncCodes
	in := service.ShopSettings{Domain: form.Domain, APIURL: form.APIURL, WebhookSecret: r.PostFormValue("webhook_secret"),
		APIKey: r.PostFormValue("api_key"), APISecret: r.PostFormValue("api_secret"), SyncCodes: &sync}
	if p != tenure.Shopify && p != tenure.WooCommerce {
		return tenure.Invalid("dashboard.saveShop", "platform", "must be shopify or woocommerce")
	}
	if _, err := d.svc.Shops.Connect(r.Context(), q.tenant.ID, q.actor(), p, in); err != nil {
		errs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		return d.showShops(q, http.StatusUnprocessableEntity, p, form, errs)
	}
	redirect(q, "/admin/settings/shops", "shop-saved")
	return nil
}

func (d *Dashboard) disconnectShop(q *req) error {
	c, err := d.svc.Shops.Of(q.r.Context(), q.tenant.ID, tenure.Platform(q.r.PathValue("platform")))
	if err != nil {
		return err
	}
	if err := d.svc.Shops.Disconnect(q.r.Context(), q.tenant.ID, q.actor(), c.ID); err != nil {
		return err
	}
	redirect(q, "/admin/settings/shops", "shop-disconnected")
	return nil
}
