package dashboard

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
)

// plainJSONError says what is wrong with a JSON text in the words of the person who
// typed it: the field and what kind of value it takes, never the decoder's own terms
// (Go types, "unmarshal", struct names).
func plainJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		field := typ.Field
		if i := strings.LastIndex(field, "."); i >= 0 {
			field = field[i+1:]
		}
		what := "this value"
		if field != "" {
			what = "“" + field + "”"
		}
		return what + " " + kindWords(typ.Type) + ", not " + jsonKindWords(typ.Value)
	case errors.As(err, &syn):
		return "this is not valid JSON here: look for a missing comma, quote, colon or bracket just before this point"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the text ends too early: a closing bracket, brace or quote is missing"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return "unknown field " + strings.ReplaceAll(name, `"`, "") + ": check its spelling (field names are lower case, words joined by _)"
	}
	if strings.HasPrefix(msg, "parsing time") {
		return "a date and time must look like 2027-05-23T10:00:00Z (or with an offset, +02:00, instead of Z)"
	}
	if strings.Contains(msg, "after the JSON value") || strings.Contains(msg, "after top-level value") {
		return "there is more text after the end of the JSON: remove it, or put it inside the brackets"
	}
	return "this is not valid JSON here"
}

// kindWords says what a field of Go type t takes.
func kindWords(t reflect.Type) string {
	if t == nil {
		return "has the wrong kind of value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be a whole number (such as 10)"
	case reflect.Float32, reflect.Float64:
		return "must be a number (such as 1.5)"
	case reflect.String:
		if t.PkgPath() == "time" {
			return "must be a date and time in quotes (such as 2027-05-23T10:00:00Z)"
		}
		return "must be text in quotes"
	case reflect.Bool:
		return "must be true or false"
	case reflect.Slice, reflect.Array:
		return "must be a list in [ ]"
	case reflect.Struct:
		if t.PkgPath() == "time" && t.Name() == "Time" {
			return "must be a date and time in quotes (such as 2027-05-23T10:00:00Z)"
		}
		return "must be a group of fields in { }"
	case reflect.Map:
		return "must be a group of fields in { }"
	}
	return "has the wrong kind of value"
}

// jsonKindWords names what was typed, from the decoder's description of a JSON value.
func jsonKindWords(v string) string {
	switch {
	case v == "string":
		return "text"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "a list"
	case v == "object":
		return "a group of fields"
	case strings.HasPrefix(v, "number"):
		if n := strings.TrimSpace(strings.TrimPrefix(v, "number")); n != "" {
			return n
		}
		return "that number"
	}
	return v
}
