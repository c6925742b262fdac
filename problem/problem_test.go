package problem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestWriteAnswersAProblemAndLogsOnlyInternals(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))

	rec := httptest.NewRecorder()
	Write(rec, log, "shop webhook", tenure.Invalid("shop.receive", "header.X-Topic", "is required"))
	if rec.Code != 422 || rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(rec.Body.String(), "header.X-Topic") {
		t.Errorf("invalid: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if logged.Len() != 0 {
		t.Errorf("a caller's mistake was logged: %s", logged.String())
	}

	rec = httptest.NewRecorder()
	Write(rec, log, "shop webhook", errors.New("disk on fire at /var/lib/secret"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "disk on fire") {
		t.Errorf("internal: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logged.String(), "shop webhook: internal error") || !strings.Contains(logged.String(), "disk on fire") {
		t.Errorf("the internal error was not logged with its place: %s", logged.String())
	}

	rec = httptest.NewRecorder()
	Write(rec, log, "shop webhook", context.Canceled)
	if rec.Body.Len() != 0 {
		t.Errorf("a caller that went away got an answer: %s", rec.Body)
	}
}
