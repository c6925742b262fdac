package dashboard

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/segments"
)

// segmentsData is the segments page: every segment with its member count, and a form to
// add or replace one.
type segmentsData struct {
	Segments []segments.Segment
	Form     segmentForm
	Fields   []string // what conditions can read, for the hint
}

// segmentForm is the segment form, kept on a validation error.
type segmentForm struct {
	Key, Name, Description, Condition string
	Version                           string // of the segment being edited; "0" for a new one
	Errors                            map[string]string
}

// segmentFields are the member fields a condition reads (segments.Profile), as the hint
// lists them.
var segmentFields = []string{"recency_days", "frequency", "monetary", "aov", "order_count", "first_order_days",
	"r", "f", "m", "lifecycle", "clv", "p_alive", "points", "tier", "tags", "categories", "country", "city",
	"enrolled_days", "attributes"}

func (d *Dashboard) segments(q *req) error {
	return d.showSegments(q, http.StatusOK, segmentForm{Version: "0"})
}

// showSegments renders the list and the form; ?edit=key fills the form with that segment
// and its version.
func (d *Dashboard) showSegments(q *req, status int, form segmentForm) error {
	list, err := d.svc.Segments.List(q.r.Context(), q.tenant.ID)
	if err != nil {
		return err
	}
	if key := q.r.URL.Query().Get("edit"); key != "" && q.r.Method == http.MethodGet {
		for _, s := range list {
			if s.Key == key {
				form = segmentForm{Key: s.Key, Name: s.Name, Description: s.Description, Condition: s.Condition, Version: strconv.FormatInt(s.Version, 10)}
			}
		}
	}
	d.render(q, status, "segments", "Segments", segmentsData{Segments: list, Form: form, Fields: segmentFields})
	return nil
}

// saveSegment adds or replaces a segment. Its members are counted by a background job
// (at once when workers run); "Recount now" does it in the request. The form's version is
// the one the segment had when the form was opened ("0": a new segment), so a segment
// saved by someone else meanwhile is a conflict (409), not overwritten.
func (d *Dashboard) saveSegment(q *req) error {
	r := q.r
	f := segmentForm{Key: strings.TrimSpace(r.PostFormValue("key")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Description: strings.TrimSpace(r.PostFormValue("description")), Condition: strings.TrimSpace(r.PostFormValue("condition")),
		Version: r.PostFormValue("version")}
	base, err := formVersion("dashboard.saveSegment", f.Version)
	if err != nil {
		return err
	}
	_, err = d.svc.Segments.SaveIf(r.Context(), q.tenant.ID, q.actor(), base, segments.Definition{Key: f.Key, Name: f.Name, Description: f.Description, Condition: f.Condition})
	if err == nil {
		redirect(q, "/admin/segments", "segment-saved")
		return nil
	}
	status := http.StatusUnprocessableEntity
	if tenure.KindOf(err) == tenure.KindConflict {
		status = http.StatusConflict // kept in the form, to be applied again after a reload
	}
	if f.Errors, err = fieldErrors(err); err != nil {
		return err
	}
	return d.showSegments(q, status, f)
}

// refreshSegments recounts every segment's members now.
func (d *Dashboard) refreshSegments(q *req) error {
	if _, err := d.svc.Segments.Refresh(q.r.Context(), q.tenant.ID); err != nil {
		return err
	}
	redirect(q, "/admin/segments", "segments-refreshed")
	return nil
}

func (d *Dashboard) deleteSegment(q *req) error {
	if err := d.svc.Segments.Delete(q.r.Context(), q.tenant.ID, q.actor(), q.r.PathValue("key")); err != nil {
		return err
	}
	redirect(q, "/admin/segments", "segment-deleted")
	return nil
}

// segmentData is one segment's page: its definition and a page of its members.
type segmentData struct {
	Segment segments.Segment
	Members []tenure.Member
	NextURL string
}

func (d *Dashboard) segment(q *req) error {
	key := q.r.PathValue("key")
	list, err := d.svc.Segments.List(q.r.Context(), q.tenant.ID)
	if err != nil {
		return err
	}
	var data segmentData
	found := false
	for _, s := range list {
		if s.Key == key {
			data.Segment, found = s, true
		}
	}
	if !found {
		return tenure.NotFound("dashboard.segment", "segment", key)
	}
	ms, next, err := d.svc.Segments.Members(q.r.Context(), q.tenant.ID, key, q.r.URL.Query().Get("after"), 50)
	if err != nil {
		return err
	}
	data.Members = ms
	if next != "" {
		data.NextURL = "/admin/segments/" + url.PathEscape(key) + "?after=" + url.QueryEscape(next)
	}
	d.render(q, http.StatusOK, "segment", data.Segment.Name, data)
	return nil
}

// segmentCSV downloads every member of a segment.
func (d *Dashboard) segmentCSV(q *req) error {
	key := q.r.PathValue("key")
	var buf bytes.Buffer
	if err := d.svc.Segments.WriteMembersCSV(q.r.Context(), q.tenant.ID, key, &buf); err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="segment-`+key+`.csv"`)
	h.Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(q.w)
	return nil
}
