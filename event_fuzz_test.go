package tenure_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/rules"
)

// FuzzEvent feeds arbitrary bytes to the event decoder and validator and, for events that
// validate, to the order merge, the earning rules and the points target. Nothing may panic, and whatever
// validates must respect the documented bounds. The raw-JSON text check and the
// validator must agree with the input contract: a document CheckJSON accepts decodes to
// strings that are valid UTF-8 without NUL, and an event that validates holds no NUL.
//
//	go test -fuzz FuzzEvent -fuzztime 60s .
func FuzzEvent(f *testing.F) {
	for _, s := range []string{
		`{"id":"e1","type":"order.paid","customer_id":"c1","order":{"id":"o1","lines":[{"quantity":2,"unit_price":4900,"discount":100}],"shipping":1500}}`,
		`{"id":"e2","type":"order.refunded","customer_id":"c1","refund":{"order_id":"o1","lines":[{"line_id":"1","quantity":1}]}}`,
		`{"id":"e3","type":"customer.created","customer_id":"c1","customer":{"email":"a@b.pl","birthday":"--02-29","consents":[{"channel":"email","purpose":"marketing","granted":true}]}}`,
		`{"id":"e4","type":"custom","action":"quiz","customer_id":"c1","properties":{"score":3}}`,
		`{"id":"","type":"order.paid","customer_id":"c1","order":{"id":"o","lines":[{"quantity":9223372036854775807,"unit_price":9223372036854775807}]}}`,
		`{"id":"e5","type":"order.paid","customer_id":"c1","order":{"id":"o","discount":999999,"lines":[{"quantity":1,"unit_price":1}]}}`,
		`{"id":"e6","type":"custom","action":"x","customer_id":"a\u0000b","properties":{"k\u0000":"\ud800"}}`,
		"{\"id\":\"e7\",\"type\":\"custom\",\"action\":\"x\",\"customer_id\":\"shop\xffuser\"}",
		`{"id":"e8","type":"custom","action":"x","customer_id":"\ud83d\ude00 \ufffd"}`,
	} {
		f.Add([]byte(s))
	}
	p := tenure.DefaultProgram()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	flat, err := rules.Compile(rules.SetFromProgram(p))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e tenure.Event
		if json.Unmarshal(data, &e) != nil {
			return
		}
		rawOK := tenure.CheckJSON(data) == nil
		if rawOK {
			if fe := tenure.CheckStrings("", &e); fe != nil {
				t.Fatalf("CheckJSON accepted %q but the decoded event breaks the contract at %s: %s", data, fe.Field, fe.Message)
			}
		}
		if len(e.Validate("")) > 0 {
			return
		}
		if fe := tenure.CheckStrings("", &e); fe != nil {
			t.Fatalf("a validated event breaks the input contract at %s", fe.Field)
		}
		var o tenure.Order
		if e.Type.IsOrderEvent() && e.Order != nil {
			o.Merge(e.Type, e.Order, now)
			if sub := o.Subtotal(); sub < 0 || sub > tenure.MaxMoney {
				t.Fatalf("validated order has subtotal %d", sub)
			}
		}
		if e.Refund != nil {
			o.AddRefund(e.Refund, e.ID, now)
		}
		o.Merge(tenure.OrderPaid, nil, now)
		base := rules.Evaluate(flat, rules.Input{At: now, Event: tenure.Event{Type: tenure.OrderPaid, OccurredAt: now}, Order: &o}).Points
		pts := ledger.Target(p, &o, base)
		if pts < 0 {
			t.Fatalf("negative target %d", pts)
		}
	})
}
