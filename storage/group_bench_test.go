package storage_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// BenchmarkSmallWrites compares, on each engine and with 32 concurrent writers, one
// transaction per write (Write) with group commit (WriteGrouped), and SQLite's synchronous
// FULL with NORMAL. Each write stores one row under a random key and one outbox message,
// the shape of a small request.
//
//	go test ./storage -run '^$' -bench SmallWrites -benchtime 3000x -count 3
func BenchmarkSmallWrites(b *testing.B) {
	for _, e := range storagetest.Engines(b) {
		syncs := []string{"full", "normal"}
		if e.Name == "postgres" {
			syncs = []string{""}
		}
		for _, sync := range syncs {
			for _, grouped := range []bool{false, true} {
				name := e.Name + "/" + map[bool]string{false: "one-commit-each", true: "grouped"}[grouped]
				if sync != "" {
					name += "/" + sync
				}
				b.Run(name, func(b *testing.B) {
					ctx := context.Background()
					var dsn string
					for _, fresh := range storagetest.Engines(b) {
						if fresh.Name == e.Name {
							dsn = fresh.DSN
						}
					}
					db, err := storage.OpenWith(ctx, dsn, tenure.SystemClock{}, nil, storage.Options{SQLiteSynchronous: sync})
					if err != nil {
						b.Fatal(err)
					}
					defer db.Close()
					if err := db.Migrate(ctx); err != nil {
						b.Fatal(err)
					}
					var tenant tenure.Tenant
					if err := db.Write(ctx, func(tx *storage.Tx) (err error) {
						tenant, err = tx.CreateTenant(ctx, "Bench", tenure.DefaultProgram())
						return err
					}); err != nil {
						b.Fatal(err)
					}
					write := db.Write
					if grouped {
						write = db.WriteGrouped
					}
					var n atomic.Int64
					b.SetParallelism(16) // 32 writers on 2 CPUs
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							key := fmt.Sprintf("k-%x-%d", n.Add(1)*2654435761, n.Load())
							if err := write(ctx, func(tx *storage.Tx) error {
								if err := tx.SaveIdempotency(ctx, tenant.ID, key, storage.IdempotencyRecord{Operation: "bench", Response: key}); err != nil {
									return err
								}
								_, err := tx.Emit(ctx, tenant.ID, "bench.written", "", map[string]string{"key": key})
								return err
							}); err != nil {
								b.Error(err)
								return
							}
						}
					})
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
				})
			}
		}
	}
}
