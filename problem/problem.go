// Package problem is Tenure's one HTTP error model: how an error kind becomes a status code
// and an RFC 9457 problem document. The API, the widget API and the dashboard all answer
// through it, so the same mistake gets the same status whichever door it came in by.
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tenure-loyalty/tenure"
)

// statuses maps each error kind a caller can cause to its HTTP status. KindInternal and
// unknown kinds are 500.
var statuses = map[tenure.Kind]int{
	tenure.KindInvalid:      http.StatusUnprocessableEntity,
	tenure.KindNotFound:     http.StatusNotFound,
	tenure.KindConflict:     http.StatusConflict,
	tenure.KindUnauthorized: http.StatusUnauthorized,
	tenure.KindForbidden:    http.StatusForbidden,
	tenure.KindTooLarge:     http.StatusRequestEntityTooLarge,
}

// StatusClientClosed is answered (and logged nowhere) when the caller went away first.
const StatusClientClosed = 499

// Status is the HTTP status for err: the kind's status for a *tenure.Error a caller caused,
// 499 for a cancelled request, 500 otherwise.
func Status(err error) int {
	var e *tenure.Error
	if errors.As(err, &e) {
		if s, ok := statuses[e.Kind]; ok {
			return s
		}
	}
	if errors.Is(err, context.Canceled) {
		return StatusClientClosed
	}
	return http.StatusInternalServerError
}

// Detail locates one offending input, e.g. {"body.order.lines[0].quantity", "must be > 0"}.
type Detail struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// Problem is the RFC 9457 document Tenure answers errors with.
type Problem struct {
	Title  string   `json:"title"`
	Status int      `json:"status"`
	Detail string   `json:"detail,omitempty"`
	Errors []Detail `json:"errors,omitempty"`
}

// InternalDetail is all a caller learns of an internal error; the error itself is logged.
const InternalDetail = "internal error; it has been logged"

// From builds the problem for err. Internal reports whether err is Tenure's fault (a 500 the
// caller should log); a cancelled request is neither the caller's fault nor worth logging.
func From(err error) (p Problem, internal bool) {
	p.Status = Status(err)
	p.Title = http.StatusText(p.Status)
	switch p.Status {
	case http.StatusInternalServerError:
		p.Detail = InternalDetail
		return p, true
	case StatusClientClosed:
		p.Title, p.Detail = "Client Closed Request", "request cancelled"
		return p, false
	}
	var e *tenure.Error
	errors.As(err, &e)
	p.Detail = e.Message
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, Detail{Location: Location(f.Field), Message: f.Message})
	}
	return p, false
}

// Location prefixes a field path with where it was found: a path that does not already name
// the path, query, header or body is in the body.
func Location(field string) string {
	if field == "body" {
		return field
	}
	for _, in := range []string{"path.", "query.", "header.", "body."} {
		if strings.HasPrefix(field, in) {
			return field
		}
	}
	return "body." + field
}

// Write answers err as an RFC 9457 problem document, for handlers outside huma. A caller
// that went away gets nothing; an internal error is logged with where it happened (and
// shown only as "internal error").
func Write(w http.ResponseWriter, log *slog.Logger, where string, err error) {
	p, internal := From(err)
	if p.Status == StatusClientClosed {
		return
	}
	if internal && log != nil {
		log.Error(where+": internal error", "err", err)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
