package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
)

// AnalyticsStore is an empty database with one tenant, ready for `tenure bench analytics`
// to import a store's history into and compute its snapshot from: the real storage and
// service, not a copy of their pipeline.
type AnalyticsStore struct {
	Service *service.Service
	Tenant  string
	Engine  string

	db     *storage.DB
	dsn    string
	tmpDir string
}

// OpenAnalyticsStore opens and migrates the database at dsn (a new SQLite file in a
// temporary directory when empty, removed by Close), which must hold no tenant yet, and
// creates a tenant whose program currency is the importer's default.
func OpenAnalyticsStore(ctx context.Context, dsn string) (*AnalyticsStore, error) {
	s := &AnalyticsStore{dsn: dsn}
	if dsn == "" {
		dir, err := os.MkdirTemp("", "tenure-bench-*")
		if err != nil {
			return nil, err
		}
		s.tmpDir, s.dsn = dir, filepath.Join(dir, "bench.db")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := storage.Open(ctx, s.dsn, tenure.SystemClock{}, log)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.db, s.Engine = db, db.Engine
	if err := db.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.Service = service.New(db, log)
	if ts, err := s.Service.Tenants.List(ctx); err != nil || len(ts) > 0 {
		s.Close()
		return nil, fmt.Errorf("bench analytics: the database must be empty (%d tenants, %v)", len(ts), err)
	}
	tn, _, err := s.Service.Tenants.Create(ctx, "Synthetic store")
	if err != nil {
		s.Close()
		return nil, err
	}
	p := tn.Program
	p.Currency = importer.DefaultMapping().Currency
	if _, err := s.Service.Tenants.UpdateProgram(ctx, tn.ID, "bench", p); err != nil {
		s.Close()
		return nil, err
	}
	s.Tenant = tn.ID
	return s, nil
}

// StreamOrders is the baseline of a snapshot: it streams the tenant's order rows as the
// snapshot reads them and sums them, doing nothing else.
func (s *AnalyticsStore) StreamOrders(ctx context.Context) (rows, total int64, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		return tx.EachOrderFact(ctx, s.Tenant, func(f storage.OrderFact) error {
			rows++
			total += f.Net
			return nil
		})
	})
	return rows, total, err
}

// Size is the database's size on disk: the SQLite file with its WAL, or the PostgreSQL
// schema's tables with their indexes.
func (s *AnalyticsStore) Size(ctx context.Context) (int64, error) {
	if s.Engine != "sqlite" {
		return s.db.SchemaBytes(ctx)
	}
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.dsn + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n, nil
}

// Close stops the service, closes the database and removes a temporary one.
func (s *AnalyticsStore) Close() {
	if s.Service != nil {
		s.Service.Close()
	}
	if s.db != nil {
		_ = s.db.Close()
	}
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}
