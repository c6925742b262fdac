package dashboard

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/service"
)

// lifecycleStages are the stages the member list filters by, in the analytics page's order.
var lifecycleStages = func() []string {
	out := make([]string, len(analytics.Segments))
	for i, s := range analytics.Segments {
		out[i] = string(s)
	}
	return out
}()

// memberRows is one page of the members a lifecycle filter (with the tier, segment and
// search) selects, with how many it selects in all.
func (d *Dashboard) memberRows(ctx context.Context, q *req, data membersData, f tenure.MemberFilter) ([]tenure.Member, string, int, error) {
	rows, err := d.svc.Members.Rows(ctx, q.tenant.ID, service.RowFilter{Lifecycle: data.Lifecycle, Tier: data.Tier, Segment: data.Segment, Query: data.Query})
	if err != nil {
		return nil, "", 0, err
	}
	var page []tenure.Member
	next := ""
	for _, r := range rows {
		if r.ID <= f.After {
			continue
		}
		if len(page) == f.Limit {
			next = page[len(page)-1].ID
			break
		}
		page = append(page, r.Member)
	}
	return page, next, len(rows), nil
}

// membersCSV downloads the whole list the member page shows (its search and filters) for
// a spreadsheet or a mailing tool: email, customer id, consent, points, tier, last order,
// orders, spend and lifecycle, UTF-8 with a byte order mark.
func (d *Dashboard) membersCSV(q *req) error {
	ctx := q.r.Context()
	v := q.r.URL.Query()
	f := service.RowFilter{Lifecycle: v.Get("lifecycle"), Tier: v.Get("tier"), Segment: v.Get("segment"), Query: strings.TrimSpace(v.Get("q"))}
	rows, err := d.svc.Members.Rows(ctx, q.tenant.ID, f)
	if err != nil {
		return err
	}
	cfg, err := d.svc.Tiers.Config(ctx, q.tenant.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, t := range cfg.Tiers {
		names[t.Key] = t.Name
	}
	var buf bytes.Buffer
	if err := service.WriteRowsCSV(&buf, rows, names); err != nil {
		return err
	}
	name := "members"
	for _, part := range []string{f.Lifecycle, f.Tier, f.Segment} {
		if part != "" && tenure.ValidateExternalID("", part) == nil {
			name += "-" + strings.NewReplacer(`"`, "", `\`, "", "/", "").Replace(part)
		}
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	h.Set("Cache-Control", "no-store")
	q.w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(q.w)
	return nil
}
