package importer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"testing"

	"github.com/tenure-loyalty/tenure/importer"
)

// BenchmarkImportOnlineRetail measures the whole import of the Online Retail file (541,909
// rows) held in memory, gzip as shipped and decompressed, and reports rows per second.
func BenchmarkImportOnlineRetail(b *testing.B) {
	gz, err := os.ReadFile(onlineRetail)
	if err != nil {
		b.Fatalf("the Online Retail file is required for this benchmark: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		b.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	for _, in := range []struct {
		name string
		data []byte
	}{{"gzip", gz}, {"plain", plain}} {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.data)))
			var rows int64
			for b.Loop() {
				s, err := importer.Import(context.Background(), bytes.NewReader(in.data), importer.Config{}, importer.SinkFuncs{})
				if err != nil {
					b.Fatal(err)
				}
				rows += s.Rows
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
