package problem

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/tenure-loyalty/tenure"
)

func TestStatusOfEveryKind(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{tenure.Invalid("op", "order.id", "required"), 422},
		{tenure.NotFound("op", "member", "x"), 404},
		{tenure.Errorf(tenure.KindConflict, "op", "dup"), 409},
		{tenure.Errorf(tenure.KindUnauthorized, "op", "no key"), 401},
		{tenure.Errorf(tenure.KindForbidden, "op", "scope"), 403},
		{tenure.Errorf(tenure.KindTooLarge, "op", "big"), 413},
		{tenure.Errorf(tenure.KindInternal, "op", "bug"), 500},
		{errors.New("plain"), 500},
		{fmt.Errorf("wrapped: %w", tenure.Invalid("op", "limit", "1..100")), 422},
		{context.Canceled, StatusClientClosed},
	}
	for _, c := range cases {
		if got := Status(c.err); got != c.want {
			t.Errorf("Status(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestFromNamesFieldsAndHidesInternals(t *testing.T) {
	p, internal := From(tenure.Invalid("members.List", "query.limit", "must be 1..1000"))
	if internal || p.Status != 422 || p.Title != http.StatusText(422) || len(p.Errors) != 1 ||
		p.Errors[0].Location != "query.limit" || p.Errors[0].Message != "must be 1..1000" {
		t.Fatalf("invalid: %+v internal=%v", p, internal)
	}
	p, _ = From(tenure.Invalid("events.Ingest", "order.lines[0].quantity", "must be > 0"))
	if p.Errors[0].Location != "body.order.lines[0].quantity" {
		t.Fatalf("body location: %q", p.Errors[0].Location)
	}
	p, internal = From(fmt.Errorf("db: %w", errors.New("password=hunter2 connection refused")))
	if !internal || p.Status != 500 || p.Detail != InternalDetail || len(p.Errors) != 0 {
		t.Fatalf("internal leaked or misclassified: %+v", p)
	}
}
