package api

import (
	"bytes"
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/segments"
)

func (s *Server) segmentRoutes() {
	a := s.api
	huma.Register(a, op("list-segments", http.MethodGet, "/v1/segments", "List segments with their member counts", "Segments", tenure.ScopeReadOnly), s.listSegments)
	huma.Register(a, op("put-segment", http.MethodPut, "/v1/segments/{id}", "Create or replace a segment (an expression over member metrics; If-Match for optimistic concurrency)", "Segments", tenure.ScopeAdmin, 412), s.putSegment)
	huma.Register(a, op("delete-segment", http.MethodDelete, "/v1/segments/{id}", "Delete a segment", "Segments", tenure.ScopeAdmin, 404), s.deleteSegment)
	huma.Register(a, op("list-segment-members", http.MethodGet, "/v1/segments/{id}/members", "List a segment's members", "Segments", tenure.ScopeReadOnly, 404), s.segmentMembers)
	huma.Register(a, op("export-segment-members", http.MethodGet, "/v1/segments/{id}/members.csv", "Export a segment's members as CSV", "Segments", tenure.ScopeReadOnly, 404), s.segmentMembersCSV)
	huma.Register(a, op("refresh-segments", http.MethodPost, "/v1/segments/refresh", "Recompute every segment's members now", "Segments", tenure.ScopeAdmin), s.refreshSegments)
}

func (s *Server) listSegments(ctx context.Context, _ *struct{}) (*body[listBody[segments.Segment]], error) {
	out, err := s.svc.Segments.List(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(out, ""), nil
}

type segmentIn struct {
	ID      string `path:"id" maxLength:"64" doc:"The segment key"`
	IfMatch string `header:"If-Match" doc:"The version of the segment (from GET /v1/segments, quoted) this edit started from, \"0\" for a segment that must not exist yet; when it is no longer current the answer is 412 and nothing is saved"`
	Body    struct {
		Name        string `json:"name" maxLength:"128"`
		Description string `json:"description,omitempty" maxLength:"1000"`
		Condition   string `json:"condition" maxLength:"1000" doc:"e.g. member.recency_days > 90 && member.m >= 4"`
	}
}

func (s *Server) putSegment(ctx context.Context, in *segmentIn) (*tagged[segments.Segment], error) {
	k := caller(ctx)
	base, err := ifMatch("api.putSegment", in.IfMatch, "the segment's version")
	if err != nil {
		return nil, s.problem(err)
	}
	r, err := s.svc.Segments.SaveIf(ctx, k.TenantID, actor(k), base, segments.Definition{Key: in.ID, Name: in.Body.Name, Description: in.Body.Description, Condition: in.Body.Condition})
	if err != nil {
		return nil, s.saveProblem(err, base)
	}
	return withETag(r, r.Version), nil
}

func (s *Server) deleteSegment(ctx context.Context, in *idPath) (*body[deleted], error) {
	k := caller(ctx)
	if err := s.svc.Segments.Delete(ctx, k.TenantID, actor(k), in.ID); err != nil {
		return nil, s.problem(err)
	}
	return ok(deleted{ID: in.ID, Deleted: true}), nil
}

type segmentMembersIn struct {
	ID     string `path:"id" maxLength:"64"`
	Cursor string `query:"cursor" maxLength:"64"`
	Limit  int    `query:"limit" minimum:"0" maximum:"500"`
}

func (s *Server) segmentMembers(ctx context.Context, in *segmentMembersIn) (*body[listBody[tenure.Member]], error) {
	ms, next, err := s.svc.Segments.Members(ctx, caller(ctx).TenantID, in.ID, in.Cursor, in.Limit)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(ms, next), nil
}

func (s *Server) segmentMembersCSV(ctx context.Context, in *segmentMembersIn) (*csvOut, error) {
	var buf bytes.Buffer
	if err := s.svc.Segments.WriteMembersCSV(ctx, caller(ctx).TenantID, in.ID, &buf); err != nil {
		return nil, s.problem(err)
	}
	return csvFile(in.ID+".csv", func(b *bytes.Buffer) error {
		_, err := buf.WriteTo(b)
		return err
	})
}

func (s *Server) refreshSegments(ctx context.Context, _ *struct{}) (*body[map[string]int], error) {
	counts, err := s.svc.Segments.Refresh(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(counts), nil
}
