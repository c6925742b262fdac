// Package input enforces Tenure's input contract at the HTTP edge, once for every surface
// (the API, the member API and the dashboard): every path parameter, query parameter,
// stored header and body string must be valid UTF-8 without NUL characters (see
// tenure.TextProblem). It looks at the raw bytes before any decoder can repair them.
package input

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/tenure-loyalty/tenure"
)

// StoredHeaders are the request headers whose values Tenure stores.
var StoredHeaders = []string{"Idempotency-Key"}

// Check returns a KindInvalid error naming the first field of r that breaks the input
// contract, or nil. pathParams names the route's path parameters (checked with
// r.PathValue). A JSON or form body is read, checked and put back for the handler; one of
// maxBody bytes or more is refused with KindTooLarge (the handler must not run then).
func Check(r *http.Request, pathParams []string, maxBody int64) error {
	if fe, err := check(r, pathParams, maxBody); err != nil {
		return err
	} else if fe != nil {
		return tenure.Invalid("input", fe.Field, "%s", fe.Message)
	}
	return nil
}

func check(r *http.Request, pathParams []string, maxBody int64) (*tenure.FieldError, error) {
	for _, p := range pathParams {
		if fe := tenure.CheckText("path."+p, r.PathValue(p)); fe != nil {
			return fe, nil
		}
	}
	if fe := tenure.CheckText("path", r.URL.Path); fe != nil {
		return fe, nil
	}
	// ParseQuery keeps the pairs it could decode; a malformed escape is the handler's
	// business (it sees the same parse).
	q, _ := url.ParseQuery(r.URL.RawQuery)
	if fe := tenure.CheckValues("query", q); fe != nil {
		return fe, nil
	}
	for _, h := range StoredHeaders {
		if fe := tenure.CheckText("header."+h, r.Header.Get(h)); fe != nil {
			return fe, nil
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	kind := bodyKind(r.Header.Get("Content-Type"))
	if kind == "" {
		return nil, nil
	}
	body, err := peek(r, maxBody)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "json":
		if fe := tenure.CheckJSON(body); fe != nil {
			fe.Field = strings.TrimSuffix("body."+fe.Field, ".")
			return fe, nil
		}
	case "form":
		f, _ := url.ParseQuery(string(body))
		return tenure.CheckValues("form", f), nil
	}
	return nil, nil
}

// bodyKind classifies a content type: "json", "form" or "" (not text we check here: CSV
// and other uploads are validated row by row by their importers).
func bodyKind(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	switch {
	case mt == "application/json" || (len(mt) > 5 && mt[len(mt)-5:] == "+json"):
		return "json"
	case mt == "application/x-www-form-urlencoded":
		return "form"
	}
	return ""
}

// peek reads r's whole body, when it is shorter than max bytes, and puts it back for the
// handler. A longer body (or one that cannot be read) is an error, and r.Body is left as
// the server gave it, so that the server knows to drop what was not read.
func peek(r *http.Request, max int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r.Body, max))
	if err != nil {
		return nil, tenure.Errorf(tenure.KindInvalid, "input", "cannot read the request body: %v", err)
	}
	if n >= max {
		return nil, tenure.Errorf(tenure.KindTooLarge, "input", "request body is too large (limit %d bytes)", max)
	}
	rest := r.Body
	r.Body = readCloser{bytes.NewReader(buf.Bytes()), rest}
	return buf.Bytes(), nil
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (rc readCloser) Close() error { return rc.c.Close() }

// BearerToken returns the credentials of an Authorization header using the Bearer
// scheme. The scheme name is case-insensitive (RFC 9110 §11.1); ok is false when the
// header uses another scheme or carries no token.
func BearerToken(header string) (token string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(rest)
	return token, token != ""
}
