// Package demo makes a believable store: a catalogue, customers who arrive over months and
// buy with their own rhythm until they drift away, seasonality, refunds, cancellations and
// reviews. Generate is deterministic for a seed; Run feeds the history through the real
// intake, rules and jobs with a simulated clock.
package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/clv"
)

// Options shape the generated store.
type Options struct {
	Customers int
	Months    int
	Seed      uint64
	End       time.Time // the history ends here ("now")
	// Subscribers is how many customers subscribe to a coffee box (Plans); 0: none. The
	// store without them is the same store.
	Subscribers int
}

// Product is one catalogue item.
type Product struct {
	ID, SKU, Name, Category, Brand string
	Price                          int64
}

// History is a generated store: its catalogue and every event, oldest first.
type History struct {
	Catalog []Product
	Events  []tenure.Event
	Start   time.Time
	Orders  int
	// Subs is the box subscribers' script, oldest first (see subscribers).
	Subs []SubAction
}

var categories = []struct {
	name  string
	items []string
	low   int64
	high  int64
}{
	{"coffee", []string{"Espresso beans", "Filter coffee", "Decaf blend", "Single origin Ethiopia", "Cold brew pack"}, 2900, 8900},
	{"tea", []string{"Sencha", "Earl Grey", "Rooibos", "Matcha", "Chai mix"}, 1900, 6900},
	{"kitchen", []string{"Pour-over kettle", "Ceramic mug", "Hand grinder", "French press", "Milk frother"}, 3900, 34900},
	{"books", []string{"Barista handbook", "Tea atlas", "Home baking", "Slow mornings"}, 3400, 8900},
	{"cosmetics", []string{"Coffee scrub", "Green tea mask", "Hand cream", "Lip balm"}, 1900, 7900},
	{"gifts", []string{"Gift box", "Tasting set", "Advent calendar", "Gift card holder"}, 4900, 19900},
}

var brands = []string{"Brew&Co", "Kawiarnia", "Leaf Lab", "Nordic Cup", "Zielona", "Ritual", "Moka", "Porcelana"}

var firstNames = []string{"Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Zofia", "Julia", "Maja",
	"Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Jan", "Jakub", "Kacper", "Antoni", "Ola", "Marta", "Adam", "Igor"}
var lastNames = []string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
	"Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Kwiatkowski", "Krawczyk"}
var cities = []string{"Warszawa", "Kraków", "Wrocław", "Poznań", "Gdańsk", "Łódź", "Lublin", "Katowice", "Szczecin", "Toruń"}

// seasonality multiplies the purchase rate by month (November and December peak).
var seasonality = [13]float64{0, 0.85, 0.8, 0.95, 1, 1, 0.95, 0.9, 0.9, 1, 1.05, 1.45, 1.8}

// Generate builds a store history. The same options always give the same history.
func Generate(opt Options) History {
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x7465_6e75_7265))
	// The history ends at midnight UTC of the end day, and spans whole 30-day months, so a
	// seed gives the same store all day long.
	end := opt.End.UTC().Truncate(24 * time.Hour)
	start := end.AddDate(0, 0, -30*opt.Months)
	h := History{Start: start}
	for ci, c := range categories {
		for ii, item := range c.items {
			for variant := 0; variant < 2; variant++ {
				brand := brands[(ci*3+ii+variant)%len(brands)]
				price := c.low + rng.Int64N(c.high-c.low)
				price = price/100*100 - 1 // psychological pricing: 49,99
				h.Catalog = append(h.Catalog, Product{
					ID: fmt.Sprintf("p-%s-%d-%d", c.name, ii, variant), SKU: fmt.Sprintf("%s-%02d%d", strings.ToUpper(c.name[:3]), ii, variant),
					Name: item + []string{"", " (large)"}[variant], Category: c.name, Brand: brand, Price: price,
				})
			}
		}
	}
	span := end.Sub(start)
	for i := 0; i < opt.Customers; i++ {
		h.customer(rng, i, start, end, span)
	}
	slices.SortStableFunc(h.Events, func(a, b tenure.Event) int { return a.OccurredAt.Compare(b.OccurredAt) })
	h.subscribers(opt.Seed, opt.Subscribers, end)
	return h
}

// customer generates one customer's life: arrival, purchases at a personal rate with a
// chance to drift away after each (the pattern BG/NBD models), and what follows orders.
func (h *History) customer(rng *rand.Rand, i int, start, end time.Time, span time.Duration) {
	// Arrivals grow over time: the square root of a uniform skews them later.
	arrive := start.Add(time.Duration(math.Sqrt(rng.Float64()) * float64(span)))
	id := fmt.Sprintf("cust-%05d", i+1)
	first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
	email := strings.ToLower(ascii(first)+"."+ascii(last)) + fmt.Sprintf("%d@example.com", i+1)
	birthday := fmt.Sprintf("%d-%02d-%02d", 1960+rng.IntN(45), 1+rng.IntN(12), 1+rng.IntN(28))
	h.Events = append(h.Events, tenure.Event{ID: id + "-signup", Type: tenure.CustomerCreated, CustomerID: id, OccurredAt: arrive,
		Customer: &tenure.MemberPatch{Email: &email, FirstName: &first, LastName: &last, Birthday: &birthday,
			City: ptr(cities[rng.IntN(len(cities))]), Country: ptr("PL"), Locale: ptr("pl-PL"), TimeZone: ptr("Europe/Warsaw"),
			Consents: []tenure.Consent{{Channel: "email", Purpose: "marketing", Granted: rng.IntN(10) < 7, At: arrive, Source: "checkout"}}}})
	// Purchase rate per 30 days ~ Gamma(0.9, 0.7); dropout after a purchase ~ Beta(1, 2.5).
	rate := clv.GammaRand(rng, 0.9) * 0.7
	drop := beta(rng, 1, 2.5)
	fav := rng.IntN(len(categories))
	t := arrive
	for n := 0; ; n++ {
		if n > 0 {
			if rng.Float64() < drop {
				return
			}
			m := seasonality[t.Month()]
			wait := rng.ExpFloat64() / max(rate*m, 0.02) * 30 * 24
			t = t.Add(time.Duration(wait * float64(time.Hour)))
		}
		if !t.Before(end) {
			return
		}
		h.order(rng, id, n, t, fav, end)
	}
}

func (h *History) order(rng *rand.Rand, cust string, n int, at time.Time, fav int, end time.Time) {
	h.Orders++
	oid := fmt.Sprintf("%s-o%03d", cust, n+1)
	lines := 1 + rng.IntN(3)
	if rng.IntN(6) == 0 {
		lines++
	}
	od := &tenure.OrderData{ID: oid, Currency: "PLN"}
	var subtotal int64
	for l := 0; l < lines; l++ {
		cat := fav
		if rng.IntN(10) >= 6 {
			cat = rng.IntN(len(categories))
		}
		var pool []Product
		for _, p := range h.Catalog {
			if p.Category == categories[cat].name {
				pool = append(pool, p)
			}
		}
		p := pool[rng.IntN(len(pool))]
		q := int64(1 + rng.IntN(2))
		od.Lines = append(od.Lines, tenure.LineData{ID: fmt.Sprint(l + 1), ProductID: p.ID, SKU: p.SKU, Name: p.Name,
			Category: p.Category, Brand: p.Brand, Quantity: q, UnitPrice: p.Price})
		subtotal += q * p.Price
	}
	if subtotal < 20000 {
		od.Shipping = 1299
	}
	h.Events = append(h.Events, tenure.Event{ID: oid + "-paid", Type: tenure.OrderPaid, CustomerID: cust, OccurredAt: at, Order: od})
	next := func(minH, maxH int) time.Time {
		return at.Add(time.Duration(minH+rng.IntN(maxH-minH+1)) * time.Hour)
	}
	emit := func(e tenure.Event) {
		if e.OccurredAt.Before(end) {
			h.Events = append(h.Events, e)
		}
	}
	ref := &tenure.OrderData{ID: oid}
	if rng.IntN(50) == 0 { // cancelled before shipping
		emit(tenure.Event{ID: oid + "-cancel", Type: tenure.OrderCancelled, CustomerID: cust, OccurredAt: next(1, 20), Order: ref})
		return
	}
	emit(tenure.Event{ID: oid + "-fulfilled", Type: tenure.OrderFulfilled, CustomerID: cust, OccurredAt: next(20, 72), Order: ref})
	if rng.IntN(20) == 0 { // one line returned
		l := od.Lines[rng.IntN(len(od.Lines))]
		emit(tenure.Event{ID: oid + "-refund", Type: tenure.OrderRefunded, CustomerID: cust, OccurredAt: next(120, 320),
			Refund: &tenure.RefundData{ID: oid + "-r1", OrderID: oid, Lines: []tenure.RefundLineData{{LineID: l.ID, Quantity: 1}}}})
	}
	if rng.IntN(8) == 0 {
		rating := 3 + rng.IntN(3)
		emit(tenure.Event{ID: oid + "-review", Type: tenure.ReviewPosted, CustomerID: cust, OccurredAt: next(100, 400),
			Properties: map[string]any{"rating": rating, "photo": rng.IntN(3) == 0, "product_id": od.Lines[0].ProductID}})
	}
}

func ptr[T any](v T) *T { return &v }

// ascii folds Polish letters for email addresses.
func ascii(s string) string {
	r := strings.NewReplacer("ą", "a", "ć", "c", "ę", "e", "ł", "l", "ń", "n", "ó", "o", "ś", "s", "ź", "z", "ż", "z",
		"Ą", "A", "Ć", "C", "Ę", "E", "Ł", "L", "Ń", "N", "Ó", "O", "Ś", "S", "Ź", "Z", "Ż", "Z")
	return r.Replace(s)
}

// beta draws from Beta(a, b) as a ratio of gammas.
func beta(rng *rand.Rand, a, b float64) float64 {
	x := clv.GammaRand(rng, a)
	return x / (x + clv.GammaRand(rng, b))
}
