package flows

import "time"

// Content is a message's text in one locale: the subject, the plain text and the HTML
// body, each a Go template over Data.
type Content struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// Data is what a message template sees.
type Data struct {
	Name           string
	Points         int64
	Tier           string
	ExpiringPoints int64
	ExpiringOn     string // the date the points expire, in the member's zone (YYYY-MM-DD)
	Store          string
	UnsubscribeURL string
}

// Fields are the names a template may use, for validation.
var Fields = []string{"Name", "Points", "Tier", "ExpiringPoints", "ExpiringOn", "Store", "UnsubscribeURL"}

// Templates are the built-in messages by key and locale (en and pl).
var Templates = map[string]map[string]Content{
	"welcome": {
		"en": {Subject: "Welcome to {{.Store}}",
			Text: "Hello {{.Name}},\n\nwelcome to our loyalty programme. You have {{.Points}} points.\n\nUnsubscribe: {{.UnsubscribeURL}}\n",
			HTML: "<p>Hello {{.Name}},</p><p>welcome to our loyalty programme. You have <b>{{.Points}}</b> points.</p><p><a href=\"{{.UnsubscribeURL}}\">Unsubscribe</a></p>"},
		"pl": {Subject: "Witamy w {{.Store}}",
			Text: "Dzień dobry {{.Name}},\n\nwitamy w programie lojalnościowym. Masz {{.Points}} pkt.\n\nWypisz się: {{.UnsubscribeURL}}\n",
			HTML: "<p>Dzień dobry {{.Name}},</p><p>witamy w programie lojalnościowym. Masz <b>{{.Points}}</b> pkt.</p><p><a href=\"{{.UnsubscribeURL}}\">Wypisz się</a></p>"},
	},
	"thanks": {
		"en": {Subject: "Thank you for your order",
			Text: "Hello {{.Name}},\n\nthank you for your order. Your balance is {{.Points}} points.\n\nUnsubscribe: {{.UnsubscribeURL}}\n",
			HTML: "<p>Hello {{.Name}},</p><p>thank you for your order. Your balance is <b>{{.Points}}</b> points.</p><p><a href=\"{{.UnsubscribeURL}}\">Unsubscribe</a></p>"},
		"pl": {Subject: "Dziękujemy za zamówienie",
			Text: "Dzień dobry {{.Name}},\n\ndziękujemy za zamówienie. Masz teraz {{.Points}} pkt.\n\nWypisz się: {{.UnsubscribeURL}}\n",
			HTML: "<p>Dzień dobry {{.Name}},</p><p>dziękujemy za zamówienie. Masz teraz <b>{{.Points}}</b> pkt.</p><p><a href=\"{{.UnsubscribeURL}}\">Wypisz się</a></p>"},
	},
	"review": {
		"en": {Subject: "How do you like it?",
			Text: "Hello {{.Name}},\n\nhow do you like your purchase? A short review helps other customers.\n\nUnsubscribe: {{.UnsubscribeURL}}\n",
			HTML: "<p>Hello {{.Name}},</p><p>how do you like your purchase? A short review helps other customers.</p><p><a href=\"{{.UnsubscribeURL}}\">Unsubscribe</a></p>"},
		"pl": {Subject: "Jak się sprawdza?",
			Text: "Dzień dobry {{.Name}},\n\njak sprawdza się zakup? Krótka opinia pomoże innym klientom.\n\nWypisz się: {{.UnsubscribeURL}}\n",
			HTML: "<p>Dzień dobry {{.Name}},</p><p>jak sprawdza się zakup? Krótka opinia pomoże innym klientom.</p><p><a href=\"{{.UnsubscribeURL}}\">Wypisz się</a></p>"},
	},
	"winback": {
		"en": {Subject: "We miss you, {{.Name}}",
			Text: "Hello {{.Name}},\n\nwe have not seen you for a while. Tell us why, just reply to this message, and your {{.Points}} points are still waiting.\n\nUnsubscribe: {{.UnsubscribeURL}}\n",
			HTML: "<p>Hello {{.Name}},</p><p>we have not seen you for a while. Tell us why, just reply to this message, and your <b>{{.Points}}</b> points are still waiting.</p><p><a href=\"{{.UnsubscribeURL}}\">Unsubscribe</a></p>"},
		"pl": {Subject: "Tęsknimy, {{.Name}}",
			Text: "Dzień dobry {{.Name}},\n\ndawno Cię nie było. Napisz nam dlaczego, wystarczy odpowiedzieć na tę wiadomość, a Twoje {{.Points}} pkt nadal czeka.\n\nWypisz się: {{.UnsubscribeURL}}\n",
			HTML: "<p>Dzień dobry {{.Name}},</p><p>dawno Cię nie było. Napisz nam dlaczego, wystarczy odpowiedzieć na tę wiadomość, a Twoje <b>{{.Points}}</b> pkt nadal czeka.</p><p><a href=\"{{.UnsubscribeURL}}\">Wypisz się</a></p>"},
	},
	"expiring": {
		"en": {Subject: "{{.ExpiringPoints}} points expire on {{.ExpiringOn}}",
			Text: "Hello {{.Name}},\n\n{{.ExpiringPoints}} of your points expire on {{.ExpiringOn}}. Use them before then.\n\nUnsubscribe: {{.UnsubscribeURL}}\n",
			HTML: "<p>Hello {{.Name}},</p><p><b>{{.ExpiringPoints}}</b> of your points expire on {{.ExpiringOn}}. Use them before then.</p><p><a href=\"{{.UnsubscribeURL}}\">Unsubscribe</a></p>"},
		"pl": {Subject: "{{.ExpiringPoints}} pkt wygasa {{.ExpiringOn}}",
			Text: "Dzień dobry {{.Name}},\n\n{{.ExpiringPoints}} Twoich punktów wygasa {{.ExpiringOn}}. Wykorzystaj je wcześniej.\n\nWypisz się: {{.UnsubscribeURL}}\n",
			HTML: "<p>Dzień dobry {{.Name}},</p><p><b>{{.ExpiringPoints}}</b> Twoich punktów wygasa {{.ExpiringOn}}. Wykorzystaj je wcześniej.</p><p><a href=\"{{.UnsubscribeURL}}\">Wypisz się</a></p>"},
	},
}

func send(id, template string, purpose string) Step {
	return Step{ID: id, Type: StepSend, Send: &SendSpec{Channel: "email", Purpose: purpose, Template: template}}
}

// Presets are the built-in flows a store enables in one call, by key.
var Presets = map[string]Flow{
	"welcome": {Key: "welcome", Name: "Welcome", Priority: 5, Trigger: Trigger{Event: "member.created"},
		Steps: []Step{send("welcome", "welcome", Marketing)}},
	"post-purchase": {Key: "post-purchase", Name: "Thanks and review request", Priority: 3, Reentry: ReentryAfter,
		Trigger: Trigger{Event: "order.paid"},
		Steps: []Step{send("thanks", "thanks", Transactional), {ID: "wait", Type: StepWait, Wait: Duration(7 * 24 * time.Hour), Until: "10:00"},
			send("review", "review", Marketing)}},
	"win-back": {Key: "win-back", Name: "We miss you", Priority: 2, Reentry: ReentryDelay, Delay: Duration(90 * 24 * time.Hour),
		Trigger: Trigger{Event: TriggerSinceOrder, Days: 60}, ExitWhen: `event.type == "order.paid"`,
		Steps: []Step{{ID: "morning", Type: StepWait, Until: "10:00"}, send("ask", "winback", Marketing)}},
	"points-expiring": {Key: "points-expiring", Name: "Points expiring", Priority: 8, Reentry: ReentryDelay, Delay: Duration(14 * 24 * time.Hour),
		Trigger: Trigger{Event: TriggerPointsExpiring, Days: 14},
		Steps:   []Step{{ID: "morning", Type: StepWait, Until: "10:00"}, send("remind", "expiring", Marketing)}},
}
