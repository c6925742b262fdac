package widget

import "strings"

// Polish words for the history's lines (?lang=pl). Titles are built in English by
// describe; the fixed ones are looked up and the ones that carry an order, a reward or
// a code are rebuilt. Rule names in details are the store's own and stay as they are.
var polishTitles = map[string]string{
	"Welcome to the program": "Witamy w programie", "Thanks for your review": "Dziękujemy za opinię",
	"Thanks for your feedback": "Dziękujemy za ankietę", "Referral bonus": "Bonus za polecenie",
	"Newsletter sign-up": "Zapis do newslettera", "Thanks for sharing": "Dziękujemy za udostępnienie",
	"Bonus points": "Punkty bonusowe", "Points earned": "Zdobyte punkty", "Store credit added": "Środki na koncie sklepu",
	"Points used": "Wykorzystane punkty", "Points returned": "Zwrócone punkty", "Points reversed": "Cofnięte punkty",
	"Points expired": "Wygasłe punkty", "Adjusted by the store": "Korekta sklepu", "Points received": "Otrzymane punkty",
	"Points sent": "Wysłane punkty", "Points": "Punkty", "Points for the returned goods": "Punkty za zwrócone towary",
}

// inPolish rewrites one history line's title and detail in Polish.
func inPolish(h HistoryItem) HistoryItem {
	switch t := h.Title; {
	case polishTitles[t] != "":
		h.Title = polishTitles[t]
	case strings.HasPrefix(t, "Order ") && strings.HasSuffix(t, " refunded"):
		h.Title = "Zwrot z zamówienia " + strings.TrimSuffix(strings.TrimPrefix(t, "Order "), " refunded")
	case strings.HasPrefix(t, "Order ") && strings.HasSuffix(t, " cancelled"):
		h.Title = "Zamówienie " + strings.TrimSuffix(strings.TrimPrefix(t, "Order "), " cancelled") + " anulowane"
	case strings.HasPrefix(t, "Order "):
		h.Title = "Zamówienie " + strings.TrimPrefix(t, "Order ")
	case strings.HasPrefix(t, "Redeemed "):
		h.Title = "Wymiana na: " + strings.TrimPrefix(t, "Redeemed ")
	}
	switch d := h.Detail; {
	case polishTitles[d] != "":
		h.Detail = polishTitles[d]
	case strings.HasPrefix(d, "Code "):
		h.Detail = "Kod " + strings.TrimPrefix(d, "Code ")
	case strings.HasPrefix(d, "Coupon ") && strings.HasSuffix(d, " expired unused"):
		h.Detail = "Kupon " + strings.TrimSuffix(strings.TrimPrefix(d, "Coupon "), " expired unused") + " wygasł niewykorzystany"
	case strings.HasPrefix(d, "Coupon ") && strings.HasSuffix(d, " cancelled"):
		h.Detail = "Kupon " + strings.TrimSuffix(strings.TrimPrefix(d, "Coupon "), " cancelled") + " anulowany"
	}
	return h
}
