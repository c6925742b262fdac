package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
)

// programData is the program page: one form holding the rule set being edited, a sample
// event and a date range, whose buttons save the rules, dry-run the sample event on them,
// or backtest them over the range. Each action keeps everything typed so far.
type programData struct {
	Current  service.RuleSetView
	Program  tenure.Program
	Rules    string
	Event    string
	From, To string
	Errors   []ruleError
	Saved    bool
	DryRun   *rules.Result
	Backtest *service.BacktestReport
	Versions []service.RuleSetView
	// Base is the rules version the editor's text started from: saving requires it still
	// to be the current one.
	Base string
}

// ruleError is a validation problem with where it is in the text: the line (1-based) and
// byte offset of the field it names, when it could be found.
type ruleError struct {
	Area     string // "rules", "event" or "range"
	Location string
	Message  string
	Line     int
	Offset   int
}

const sampleEvent = `{
  "id": "dry-run-1",
  "type": "order.paid",
  "customer_id": "sample-customer",
  "occurred_at": "%s",
  "order": {
    "id": "sample-order",
    "lines": [
      {"product_id": "espresso-beans", "category": "coffee", "quantity": 2, "unit_price": 5900}
    ],
    "shipping": 1500
  }
}`

func (d *Dashboard) program(q *req) error {
	data, err := d.programData(q)
	if err != nil {
		return err
	}
	cur, _ := json.MarshalIndent(data.Current.Set, "", "  ")
	data.Rules = string(cur)
	now := d.svc.Clock.Now().UTC()
	data.Event = fmt.Sprintf(sampleEvent, now.Format(time.RFC3339))
	data.From, data.To = now.AddDate(0, 0, -90).Format(time.DateOnly), now.Format(time.DateOnly)
	d.render(q, http.StatusOK, "program", "Program", data)
	return nil
}

// programData loads the current rule set and the posted form, if any.
func (d *Dashboard) programData(q *req) (data programData, err error) {
	ctx := q.r.Context()
	if data.Current, err = d.svc.Rules.Current(ctx, q.tenant.ID); err != nil {
		return data, err
	}
	if data.Versions, err = d.svc.Rules.Versions(ctx, q.tenant.ID); err != nil {
		return data, err
	}
	if len(data.Versions) > 10 {
		data.Versions = data.Versions[:10]
	}
	data.Program = q.tenant.Program
	data.Base = strconv.FormatInt(data.Current.Version, 10)
	if q.r.Method == http.MethodPost {
		data.Base = q.r.PostFormValue("version")
		data.Rules, data.Event = q.r.PostFormValue("rules"), q.r.PostFormValue("event")
		data.From, data.To = q.r.PostFormValue("from"), q.r.PostFormValue("to")
	}
	return data, nil
}

// parseRules decodes the editor's text strictly (an unknown field is an error, not
// silently dropped) and compiles it, returning every problem with its line.
func parseRules(text string) (rules.Set, []ruleError) {
	var set rules.Set
	if errs := decodeStrict("rules", text, &set); errs != nil {
		return set, errs
	}
	if _, err := rules.Compile(set); err != nil {
		return set, locate("rules", text, err)
	}
	return set, nil
}

// decodeStrict decodes one JSON value, naming the line of a syntax or type error.
func decodeStrict(area, text string, into any) []ruleError {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	err := dec.Decode(into)
	if err == nil && dec.More() {
		err = errors.New("unexpected text after the JSON value")
	}
	if err == nil {
		return nil
	}
	re := ruleError{Area: area, Message: plainJSONError(err)}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		re.Offset = int(syn.Offset)
	case errors.As(err, &typ):
		re.Offset, re.Location = int(typ.Offset), typ.Field
	default:
		re.Offset = int(dec.InputOffset())
	}
	re.Line = lineAt(text, re.Offset)
	return []ruleError{re}
}

// locate maps a validation error's fields to lines of text.
func locate(area, text string, err error) []ruleError {
	var e *tenure.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return []ruleError{{Area: area, Message: err.Error()}}
	}
	at := jsonPaths(text)
	var out []ruleError
	for _, f := range e.Fields {
		re := ruleError{Area: area, Location: f.Field, Message: f.Message}
		loc := strings.TrimPrefix(f.Field, area+".")
		for loc != "" {
			if off, ok := at[loc]; ok {
				re.Offset, re.Line = off, lineAt(text, off)
				break
			}
			loc = parentPath(loc)
		}
		out = append(out, re)
	}
	return out
}

func (d *Dashboard) saveRules(q *req) error {
	data, err := d.programData(q)
	if err != nil {
		return err
	}
	set, errs := parseRules(data.Rules)
	if errs == nil {
		// The editor started from the version in the form: saving over a newer one would lose
		// someone else's change, so that is a conflict to reload. (A post without a version,
		// from a script, saves unconditionally.)
		base := service.AnyVersion
		if data.Base != "" {
			var perr error
			if base, perr = strconv.ParseInt(data.Base, 10, 64); perr != nil || base < 0 {
				return tenure.Invalid("dashboard.saveRules", "version", "must be the rules version the editor was opened at")
			}
		}
		if _, err := d.svc.Rules.SaveIf(q.r.Context(), q.tenant.ID, q.actor(), base, set); err != nil {
			if tenure.KindOf(err) != tenure.KindInvalid {
				return err
			}
			errs = locate("rules", data.Rules, err)
		}
	}
	if errs != nil {
		data.Errors = errs
		d.render(q, http.StatusUnprocessableEntity, "program", "Program", data)
		return nil
	}
	redirect(q, "/admin/program", "rules-saved")
	return nil
}

func (d *Dashboard) dryRun(q *req) error {
	data, err := d.programData(q)
	if err != nil {
		return err
	}
	set, errs := parseRules(data.Rules)
	var req service.EvaluateRequest
	if errs == nil {
		req.Rules = &set
		errs = decodeStrict("event", data.Event, &req.Event)
	}
	if errs == nil {
		res, err := d.svc.Rules.Evaluate(q.r.Context(), q.tenant.ID, req)
		if err != nil {
			if tenure.KindOf(err) != tenure.KindInvalid {
				return err
			}
			errs = locate("event", data.Event, err)
		} else {
			data.DryRun = &res
		}
	}
	status := http.StatusOK
	if errs != nil {
		data.Errors, status = errs, http.StatusUnprocessableEntity
	}
	d.render(q, status, "program", "Program", data)
	return nil
}

func (d *Dashboard) backtest(q *req) error {
	data, err := d.programData(q)
	if err != nil {
		return err
	}
	set, errs := parseRules(data.Rules)
	from, ferr := time.Parse(time.DateOnly, data.From)
	to, terr := time.Parse(time.DateOnly, data.To)
	switch {
	case ferr != nil || terr != nil:
		errs = append(errs, ruleError{Area: "range", Location: "from", Message: "pick a start and an end date"})
	case to.Before(from):
		errs = append(errs, ruleError{Area: "range", Location: "to", Message: "must not be before the start"})
	case to.Sub(from) > 3*366*24*time.Hour:
		errs = append(errs, ruleError{Area: "range", Location: "to", Message: "a backtest covers at most three years"})
	}
	if errs == nil {
		rep, err := d.svc.Rules.Backtest(q.r.Context(), q.tenant.ID, service.BacktestRequest{Rules: set, From: from, To: to.AddDate(0, 0, 1), Top: 10})
		if err != nil {
			if tenure.KindOf(err) != tenure.KindInvalid {
				return err
			}
			errs = locate("rules", data.Rules, err)
		} else {
			data.Backtest = &rep
		}
	}
	status := http.StatusOK
	if errs != nil {
		data.Errors, status = errs, http.StatusUnprocessableEntity
	}
	d.render(q, status, "program", "Program", data)
	return nil
}

// lineAt returns the 1-based line of a byte offset.
func lineAt(text string, off int) int {
	off = max(0, min(off, len(text)))
	return bytes.Count([]byte(text[:off]), []byte{'\n'}) + 1
}

// parentPath drops the last element of a path: "rules[2].condition" -> "rules[2]" ->
// "rules" -> "".
func parentPath(p string) string {
	if i := strings.LastIndexAny(p, ".["); i > 0 {
		return p[:i]
	}
	return ""
}

// jsonPaths maps the path of every object member and array element of a JSON text, in
// the form validation errors use ("rules[2].bonuses[0].condition"), to the byte offset
// where it starts. Invalid text gives what was read before the error.
func jsonPaths(text string) map[string]int {
	type frame struct {
		array     bool
		index     int
		path, key string
		wantKey   bool
	}
	out := map[string]int{}
	dec := json.NewDecoder(strings.NewReader(text))
	var stack []*frame
	for {
		start := skipSeparators(text, int(dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		delim, isDelim := tok.(json.Delim)
		path := ""
		if n := len(stack); n > 0 {
			top := stack[n-1]
			if isDelim && (delim == '}' || delim == ']') {
				stack = stack[:n-1]
				continue
			}
			switch {
			case top.array:
				path = fmt.Sprintf("%s[%d]", top.path, top.index)
				top.index++
				out[path] = start
			case top.wantKey:
				top.key, top.wantKey = fmt.Sprint(tok), false
				out[joinPath(top.path, top.key)] = start
				continue
			default:
				path = joinPath(top.path, top.key)
				top.wantKey = true
			}
		}
		if isDelim {
			stack = append(stack, &frame{array: delim == '[', path: path, wantKey: delim == '{'})
		}
	}
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func skipSeparators(text string, i int) int {
	for i < len(text) && strings.IndexByte(" \t\r\n,:", text[i]) >= 0 {
		i++
	}
	return i
}

// restoreRules saves an earlier version of the rule set again, as a new version: a
// rollback that keeps the history (and the audit log) whole.
func (d *Dashboard) restoreRules(q *req) error {
	v, err := strconv.ParseInt(q.r.PathValue("version"), 10, 64)
	if err != nil {
		return tenure.NotFound("dashboard.restoreRules", "rule set version", q.r.PathValue("version"))
	}
	versions, err := d.svc.Rules.Versions(q.r.Context(), q.tenant.ID)
	if err != nil {
		return err
	}
	for _, old := range versions {
		if old.Version == v {
			if _, err := d.svc.Rules.Save(q.r.Context(), q.tenant.ID, q.actor(), old.Set); err != nil {
				return err
			}
			redirect(q, "/admin/program", "rules-restored")
			return nil
		}
	}
	return tenure.NotFound("dashboard.restoreRules", "rule set version", q.r.PathValue("version"))
}
