package dashboard

import (
	"strconv"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// Forms that edit versioned configuration (rules, tiers, segments) carry the version the
// page showed in a hidden "version" field. Saving over a newer version would lose someone
// else's change, so the service refuses it and the page answers 409 with what to do. A
// post without the field (a script) saves unconditionally.

// formVersion reads the hidden version field of a form.
func formVersion(op, v string) (int64, error) {
	if v == "" {
		return service.AnyVersion, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, tenure.Invalid(op, "version", "must be the version the page was opened at")
	}
	return n, nil
}
