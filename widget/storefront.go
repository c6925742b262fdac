package widget

import (
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/tenure-loyalty/tenure"
)

//go:embed static/storefront.html
var storefrontHTML string

var storefrontPage = template.Must(template.New("storefront").Parse(storefrontHTML))

// StorefrontTTL is how long the demo storefront's member tokens live.
const StorefrontTTL = time.Hour

// Storefront is a small fake shop for `tenure demo` and the browser tests. Its "server
// side" does what a real store's backend does: it signs a member token for the shopper
// (here chosen by ?member=, default the first of Members) and embeds the widget with one
// script tag. ?lang=pl shows the page, and so the widget, in Polish. It signs for anyone who asks, so it must only ever serve a demo tenant.
type Storefront struct {
	Shop     string       // the shop's name in the page
	TenantID string       // the demo tenant
	Secret   string       // its widget secret
	Clock    tenure.Clock // tokens are issued at Clock.Now()
	API      string       // Tenure's base URL as browsers reach it; empty for the page's own origin
	Members  []string     // customer ids offered in the page's switcher
}

type product struct{ Name, Price string }

var products = []product{{"Espresso beans 1 kg", "89,00 zł"}, {"Sencha green tea", "34,00 zł"}, {"Pour-over kettle", "249,00 zł"},
	{"Ceramic mug", "49,00 zł"}, {"Hand grinder", "199,00 zł"}, {"Tasting set", "119,00 zł"}}

// ServeHTTP renders the shop page for the chosen member.
func (s *Storefront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	member := r.URL.Query().Get("member")
	if member == "" && len(s.Members) > 0 {
		member = s.Members[0]
	}
	if fe := tenure.ValidateExternalID("member", member); fe != nil {
		http.Error(w, "member "+fe.Message, http.StatusBadRequest)
		return
	}
	token, err := SignToken(s.Secret, s.TenantID, member, StorefrontTTL, s.Clock.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	api := s.API
	if api == "" {
		api = scheme + "://" + r.Host
	}
	// The page's language: English unless ?lang=pl asks for the Polish shop.
	lang := "en"
	if r.URL.Query().Get("lang") == "pl" {
		lang = "pl"
	}
	referral := (&url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: url.Values{"ref": {member}}.Encode()}).String()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_ = storefrontPage.Execute(w, map[string]any{"Shop": s.Shop, "Member": member, "Members": s.Members, "Token": token,
		"API": api, "Referral": referral, "Products": products, "Lang": lang})
}
