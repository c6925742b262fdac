package tenure_test

import (
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
