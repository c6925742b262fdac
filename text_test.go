package tenure_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/tenure-loyalty/tenure"
)

func TestCheckJSON(t *testing.T) {
	cases := []struct {
		name, body, field string // field "-" means accepted
	}{
		{"plain", `{"id":"a","n":1,"l":[{"x":"y"}]}`, "-"},
		{"NUL escape", `{"external_id":"a\u0000b"}`, "external_id"},
		{"escaped backslash is text", `{"external_id":"a\\u0000b"}`, "-"},
		{"invalid byte", "{\"external_id\":\"shop\xffuser\"}", "external_id"},
		{"nested", `{"events":[{"id":"ok"},{"id":"x","order":{"lines":[{"name":"\u0000"}]}}]}`, "events[1].order.lines[0].name"},
		{"lone surrogate", `{"a":{"b":"\ud800"}}`, "a.b"},
		{"paired surrogate", `{"a":"\ud83d\ude00"}`, "-"},
		{"literal replacement character", `{"a":"\ufffd �"}`, "-"},
		{"bad key", `{"properties":{"k\u0000":1}}`, "properties"},
		{"after a complete member", `{"a":"x","b":"\u0000"}`, "b"},
		{"top-level string", `"\u0000"`, ""},
		{"malformed passes to the decoder", `{"a":"\u0000`, "-"},
	}
	for _, c := range cases {
		fe := tenure.CheckJSON([]byte(c.body))
		switch {
		case c.field == "-" && fe != nil:
			t.Errorf("%s: refused %+v", c.name, fe)
		case c.field != "-" && fe == nil:
			t.Errorf("%s: accepted", c.name)
		case c.field != "-" && fe.Field != c.field:
			t.Errorf("%s: field %q, want %q", c.name, fe.Field, c.field)
		}
	}
}

func TestCheckValues(t *testing.T) {
	v, _ := url.ParseQuery("b=ok&email=%00&a=%FF")
	if fe := tenure.CheckValues("query", v); fe == nil || fe.Field != "query.a" {
		t.Fatalf("got %+v, want query.a", fe)
	}
	v, _ = url.ParseQuery("q=zo%C3%AB")
	if fe := tenure.CheckValues("query", v); fe != nil {
		t.Fatalf("refused valid text: %+v", fe)
	}
}

// BenchmarkCheckJSON measures the raw-body text check of a typical order event against
// decoding the same body into a tenure.Event (the work it precedes on every request).
//
//	go test -run XXX -bench CheckJSON -count 5 .
func BenchmarkCheckJSON(b *testing.B) {
	body := []byte(`{"id":"shop-evt-1001","type":"order.paid","customer_id":"cust-42","order":{"id":"ORD-7","currency":"PLN",` +
		`"lines":[{"id":"1","sku":"MUG-1","name":"Kubek Żółty","quantity":2,"unit_price":4900},{"id":"2","sku":"TEA-9","name":"Herbata","quantity":1,"unit_price":2900}],"shipping":1500}}`)
	b.Run("check", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if tenure.CheckJSON(body) != nil {
				b.Fatal("refused")
			}
		}
	})
	b.Run("decode-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var e tenure.Event
			if err := json.Unmarshal(body, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
