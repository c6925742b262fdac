package bench

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestImportBenchmark runs `tenure bench import` at a tiny size on each engine: the import
// and the raw path write the same rows (RunImport checks the counts of every table), the
// space is measured per table and index, and the temporary database is gone afterwards.
func TestImportBenchmark(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			dsn := e.dsn
			rep, err := RunImport(context.Background(), ImportConfig{DSN: dsn, Customers: 60, Orders: 500, Seed: 2, Rounds: 2})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Summary.Orders != 500 || rep.Rows["orders"] != 500 || rep.Rows["order_lines"] != 1500 || rep.Rows["members"] != 60 {
				t.Fatalf("imported %d orders; rows %v", rep.Summary.Orders, rep.Rows)
			}
			if len(rep.Rounds) != 2 || rep.ImportPerSec <= 0 || rep.RawPerSec <= 0 {
				t.Fatalf("rounds %+v", rep.Rounds)
			}
			if rep.Objects["orders"] <= 0 || rep.Objects["orders_member"] <= 0 || rep.StoreBytes < rep.Objects["orders"] {
				t.Fatalf("space per object %v", rep.Objects)
			}
			if e.name == "sqlite" {
				if _, err := os.Stat(dsn); !os.IsNotExist(err) {
					t.Fatalf("the benchmark left %s behind (%v)", dsn, err)
				}
			}
			// Online Retail's first rows, with their cancellations, through the same paths.
			head := filepath.Join(t.TempDir(), "head.csv")
			writeHead(t, head, 2000)
			rep, err = RunImport(context.Background(), ImportConfig{DSN: e.dsn, File: head, Rounds: 1})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Summary.Refunds == 0 || rep.Rows["orders"] != int(rep.Summary.Orders) {
				t.Fatalf("Online Retail head: %d orders, %d refunds; rows %v", rep.Summary.Orders, rep.Summary.Refunds, rep.Rows)
			}
		})
	}
}

func writeHead(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "online-retail", "online_retail_2010-12_2011-12.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sc := bufio.NewScanner(zr)
	for i := 0; i <= n && sc.Scan(); i++ {
		fmt.Fprintln(out, sc.Text())
	}
}
