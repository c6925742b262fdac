// Package tenure holds Tenure's domain: members, events, orders, the points ledger, program
// settings and webhooks, with their validation and the one error type every layer uses.
// It imports no database, HTTP or mail library; adapters live in their own packages.
package tenure

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error so that every adapter can react the same way (an HTTP status,
// a CLI exit code) without inspecting messages.
type Kind string

// Error kinds. Internal details are logged, never shown to a caller.
const (
	KindInvalid      Kind = "invalid"      // the input is malformed or breaks a rule; names a field
	KindNotFound     Kind = "not_found"    // the thing does not exist for this tenant
	KindConflict     Kind = "conflict"     // the request clashes with current state (duplicate, insufficient balance)
	KindUnauthorized Kind = "unauthorized" // no or bad credentials
	KindForbidden    Kind = "forbidden"    // credentials lack the scope
	KindTooLarge     Kind = "too_large"    // the body or batch is over a limit
	KindInternal     Kind = "internal"     // a bug or an outage; never the caller's fault
)

// FieldError names one offending field with a JSON-pointer-like location such as
// "events[3].order.lines[0].quantity".
type FieldError struct {
	Field   string `json:"location"`
	Message string `json:"message"`
}

// Error is the one error type of Tenure. Op names the operation ("ledger.Spend"); Fields
// lists offending input fields for KindInvalid.
type Error struct {
	Kind    Kind
	Op      string
	Message string
	Fields  []FieldError
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	if e.Err != nil {
		if e.Message != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind.
func Errorf(kind Kind, op, format string, args ...any) *Error {
	return &Error{Kind: kind, Op: op, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a KindInvalid error naming one field.
func Invalid(op, field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: KindInvalid, Op: op, Message: "invalid " + field, Fields: []FieldError{{Field: field, Message: msg}}}
}

// NotFound returns a KindNotFound error for a thing of the given kind and id.
func NotFound(op, what, id string) *Error {
	return &Error{Kind: KindNotFound, Op: op, Message: fmt.Sprintf("%s %q not found", what, id)}
}

// Internal wraps an unexpected error.
func Internal(op string, err error) *Error {
	return &Error{Kind: KindInternal, Op: op, Err: err}
}

// KindOf returns the kind of err: KindInternal for errors that are not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Problems collects field errors during validation.
type Problems []FieldError

// Add records a problem with a field.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when there are no problems, otherwise a KindInvalid error listing them.
func (p Problems) Err(op string) error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Op: op, Message: "validation failed", Fields: p}
}
