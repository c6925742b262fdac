package tenure

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The input contract, the same on every storage engine: every string Tenure stores or
// searches by is valid UTF-8 without NUL characters. PostgreSQL refuses NUL in text and
// invalid UTF-8 outright, SQLite would store both, and Go's JSON decoder silently turns
// invalid bytes into U+FFFD (so two different ids could become one). Input that breaks the
// contract is refused with a problem naming the field; it is never repaired or stored.

// TextProblem says why s breaks the input contract, or "" if it does not.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "must not contain NUL characters"
	}
	return ""
}

// CheckText returns a problem naming field when s breaks the input contract.
func CheckText(field, s string) *FieldError {
	if msg := TextProblem(s); msg != "" {
		return &FieldError{Field: field, Message: msg}
	}
	return nil
}

// CheckValues checks every key and value of query or form values; the problem's field is
// prefix followed by the parameter's name (e.g. "query.email"). Names are checked in
// sorted order so the answer does not depend on map order.
func CheckValues(prefix string, v url.Values) *FieldError {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if msg := TextProblem(k); msg != "" {
			return &FieldError{Field: prefix, Message: "parameter names " + msg}
		}
		for _, s := range v[k] {
			if fe := CheckText(prefix+"."+k, s); fe != nil {
				return fe
			}
		}
	}
	return nil
}

// CheckJSON checks every string (values and object keys) of a raw JSON document before
// it is decoded, and returns a problem naming the first offending field by its path
// ("events[2].customer_id"; "" for the document itself). Malformed JSON passes: the
// decoder that follows reports it. A document with no invalid byte and no escape that can
// decode to NUL or to a lone surrogate is accepted without being parsed.
func CheckJSON(body []byte) *FieldError {
	if utf8.Valid(body) && !suspectEscape(body) {
		return nil
	}
	return walkJSON(body)
}

// suspectEscape reports whether body holds \u0000 or a \uD800-\uDFFF escape: the only
// escapes that decode to NUL or, unpaired, to a silent U+FFFD. Paired surrogates are
// legitimate; walkJSON tells them apart.
func suspectEscape(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`\u`))
		if j < 0 {
			return false
		}
		i += j + 2
		if i+4 > len(body) {
			return false
		}
		h := body[i : i+4]
		if string(h) == "0000" || ((h[0] == 'd' || h[0] == 'D') && strings.IndexByte("89abcdefABCDEF", h[1]) >= 0) {
			return true
		}
	}
}

type jsonFrame struct {
	object  bool
	key     string
	index   int
	wantKey bool
}

func walkJSON(body []byte) *FieldError {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var stack []jsonFrame
	path := func(extra string) string {
		var b strings.Builder
		for _, f := range stack {
			if f.object && f.wantKey {
				continue // between members: no current key
			}
			if f.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		if extra != "" {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(extra)
		}
		return b.String()
	}
	// done advances the parent once a value is complete.
	done := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	prev := d.InputOffset()
	for {
		tok, err := d.Token()
		if err != nil {
			return nil
		}
		end := d.InputOffset()
		raw := body[prev:end]
		prev = end
		isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				stack = append(stack, jsonFrame{object: v == '{', wantKey: v == '{'})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
		case string:
			msg := ""
			if !utf8.Valid(raw) {
				msg = "must be valid UTF-8"
			} else if strings.IndexByte(v, 0) >= 0 {
				msg = "must not contain NUL characters"
			} else if replaced(v, raw) {
				msg = "must be valid UTF-8 (an unpaired surrogate escape)"
			}
			if isKey {
				if msg != "" {
					return &FieldError{Field: path(""), Message: "property names " + msg}
				}
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = v, false
				continue
			}
			if msg != "" {
				return &FieldError{Field: path(""), Message: msg}
			}
			done()
		default:
			done()
		}
	}
}

// replaced reports whether the decoder put a U+FFFD into s that the raw token did not
// spell, literally or as \ufffd: an unpaired surrogate escape it replaced.
func replaced(s string, raw []byte) bool {
	n := strings.Count(s, "\uFFFD")
	if n == 0 {
		return false
	}
	spelt := bytes.Count(raw, []byte("\uFFFD")) + bytes.Count(bytes.ToLower(raw), []byte(`\ufffd`))
	return n > spelt
}

// CheckStrings walks v (structs, pointers, slices, maps and interfaces) and returns a
// problem naming the first string that breaks the input contract, by its JSON path under
// prefix. It guards input that did not come through an HTTP body (CSV imports, the CLI).
func CheckStrings(prefix string, v any) *FieldError {
	rv := reflect.ValueOf(v)
	if !hasBadString(rv) {
		return nil // the common case, without building a path for every field
	}
	return walkStrings(strings.TrimSuffix(prefix, "."), rv)
}

// hasBadString reports whether walkStrings would find a problem in v.
func hasBadString(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return TextProblem(v.String()) != ""
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasBadString(v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return false
		}
		for i := 0; i < v.Len(); i++ {
			if hasBadString(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if (it.Key().Kind() == reflect.String && TextProblem(it.Key().String()) != "") || hasBadString(it.Value()) {
				return true
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || !hasBadString(v.Field(i)) {
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "-" {
				return true
			}
		}
	}
	return false
}

func walkStrings(path string, v reflect.Value) *FieldError {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.String:
		return CheckText(path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return walkStrings(path, v.Elem())
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw bytes, not text
		}
		for i := 0; i < v.Len(); i++ {
			if fe := walkStrings(path+"["+strconv.Itoa(i)+"]", v.Index(i)); fe != nil {
				return fe
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			if k.Kind() == reflect.String {
				if msg := TextProblem(k.String()); msg != "" {
					return &FieldError{Field: path, Message: "property names " + msg}
				}
			}
			if fe := walkStrings(join(k.String()), v.MapIndex(k)); fe != nil {
				return fe
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			p := join(name)
			if f.Anonymous {
				p = path
			}
			if fe := walkStrings(p, v.Field(i)); fe != nil {
				return fe
			}
		}
	}
	return nil
}
