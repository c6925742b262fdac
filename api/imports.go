package api

import (
	"bytes"
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/service"
)

func (s *Server) importRoutes() {
	o := op("import-orders", http.MethodPost, "/v1/imports/orders", "Import a history of orders from an order-line CSV (gzip accepted)", "Imports", tenure.ScopeAdmin, 413)
	o.MaxBodyBytes = 512 << 20
	o.BodyReadTimeout = -1
	huma.Register(s.api, o, s.importOrders)
}

type importIn struct {
	GrantPoints bool   `query:"grant_points" doc:"Award points for imported orders through the current earning rules"`
	Currency    string `query:"currency" maxLength:"3" doc:"Currency of the prices (default GBP, the Online Retail file's)"`
	RawBody     []byte `contentType:"text/csv"`
}

type importOut struct {
	Summary *importer.Summary `json:"summary"`
	// Rejects holds the first rejected rows as CSV (line, reason, detail, fields).
	Rejects string `json:"rejects,omitempty"`
}

// limitedBuffer keeps the first max bytes written to it and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (s *Server) importOrders(ctx context.Context, in *importIn) (*body[importOut], error) {
	cfg := importer.DefaultConfig()
	if in.Currency != "" {
		cfg.Mapping.Currency = in.Currency
	}
	rejects := &limitedBuffer{max: 64 << 10}
	cfg.Rejects = rejects
	cfg.TotalBytes = int64(len(in.RawBody))
	sum, err := s.svc.Intake.ImportOrders(ctx, caller(ctx).TenantID, bytes.NewReader(in.RawBody), cfg, service.ImportOptions{GrantPoints: in.GrantPoints})
	if err != nil {
		if tenure.KindOf(err) == tenure.KindInternal && sum != nil {
			return nil, huma.Error422UnprocessableEntity(err.Error())
		}
		return nil, s.problem(err)
	}
	return ok(importOut{Summary: sum, Rejects: rejects.String()}), nil
}
