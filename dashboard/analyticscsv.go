package dashboard

import (
	"bytes"

	"github.com/tenure-loyalty/tenure/service"
)

// analyticsCSV serves one of the snapshot's CSV reports (service.SnapshotFiles) as an
// attachment named after the snapshot's date, from the same snapshot the page shows.
func (d *Dashboard) analyticsCSV(q *req) error {
	name := q.r.PathValue("file")
	f, ok := service.SnapshotFileNamed(name)
	if !ok {
		return d.notFound(q)
	}
	if f.PerMember && !q.staff.Role.Can(service.PermViewMembers) {
		return forbidden("this file lists customers one by one; your role cannot see members")
	}
	sn, err := d.svc.Reports.LatestSnapshot(q.r.Context(), q.tenant.ID, analyticsMaxAge)
	if err != nil {
		return err
	}
	var buf bytes.Buffer // written whole first, so that an error is a clean error page
	if err := f.WriteCSV(&buf, sn); err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="tenure-`+sn.ComputedAt.Format("2006-01-02")+"-"+name+`"`)
	h.Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(q.w)
	return nil
}
