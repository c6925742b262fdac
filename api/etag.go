package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// Configuration staff edit (rules, tiers, program settings, rewards, segments) is read with
// its version as an entity tag and saved with If-Match: a save over a version that is no
// longer current is 412 Precondition Failed and writes nothing. Without If-Match a save
// replaces whatever is there.

// tagged is a response body with its version as an entity tag.
type tagged[T any] struct {
	ETag string `header:"ETag" doc:"The version, quoted; send it as If-Match to save only over this version"`
	Body T
}

func withETag[T any](v T, version int64) *tagged[T] {
	return &tagged[T]{ETag: `"` + strconv.FormatInt(version, 10) + `"`, Body: v}
}

// ifMatch reads an If-Match header: service.AnyVersion when there is none. A malformed
// one is invalid, naming the header.
func ifMatch(op, h, source string) (int64, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return service.AnyVersion, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v < 0 {
		return 0, tenure.Invalid(op, "header.If-Match", "must be the ETag of %s, e.g. \"12\"", source)
	}
	return v, nil
}

// saveProblem turns the error of a save into the answer: 412 when a conditional save
// found a newer version, else the error's problem.
func (s *Server) saveProblem(err error, base int64) error {
	var e *tenure.Error
	if base != service.AnyVersion && errors.As(err, &e) && e.Kind == tenure.KindConflict {
		return huma.NewError(http.StatusPreconditionFailed, e.Message)
	}
	return s.problem(err)
}
