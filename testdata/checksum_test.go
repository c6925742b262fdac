// Package testdata holds the real data sets the tests read; this test checks that each file
// is the one its README describes.
package testdata

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"testing"
)

func TestChecksums(t *testing.T) {
	want := map[string]string{
		"cdnow/CDNOW_sample.txt":                              "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a",
		"cdnow/cdnow_customers_summary.csv":                   "09d92ca80daaabe8be0f997d4c539f9c9606106baa5b199081fe01cbce5fa9f6",
		"cdnow/cdnow_customers_summary_with_transactions.csv": "7ddd11b55be3227edfc1d58675154e96971b0de3ad37ddd9280d1dba154b8b2f",
		"online-retail/online_retail_2010-12_2011-12.csv.gz":  "f19ae5412aeb29686e72e0d119ad25e0f0b7c0a14863f05db1d147106b1d6e0d",
	}
	for name, sum := range want {
		f, err := os.Open(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != sum {
			t.Errorf("%s: sha256 %s, want %s (see README.md)", name, got, sum)
		}
	}
}
