package clv

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The CDNOW files are in the repository's testdata folder (see ../testdata/README.md).
// Missing data is a test failure, not a skip.
var cdnowDir = filepath.Join("..", "testdata", "cdnow")

func openCDNOW(tb testing.TB, name string) *os.File {
	tb.Helper()
	f, err := os.Open(filepath.Join(cdnowDir, name))
	if err != nil {
		tb.Fatalf("CDNOW data missing (expected at %s, see testdata/README.md): %v", cdnowDir, err)
	}
	return f
}

// loadSummaryCSV reads cdnow_customers_summary.csv (ID,frequency,recency,T) or
// cdnow_customers_summary_with_transactions.csv (ID,x,t_x,T,zbar); CRLF tolerated.
func loadSummaryCSV(tb testing.TB, name string) []Customer {
	tb.Helper()
	f := openCDNOW(tb, name)
	defer f.Close()
	var cs []Customer
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 || text == "" {
			continue
		}
		fs := strings.Split(text, ",")
		if len(fs) < 4 {
			tb.Fatalf("%s:%d: %d fields", name, line, len(fs))
		}
		num := func(s string) float64 {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				tb.Fatalf("%s:%d: %v", name, line, err)
			}
			return v
		}
		c := Customer{ID: fs[0], X: int(num(fs[1])), Tx: num(fs[2]), T: num(fs[3])}
		if len(fs) >= 5 {
			c.Monetary = num(fs[4])
		}
		cs = append(cs, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(cs) != 2357 {
		tb.Fatalf("%s: %d customers, want 2357", name, len(cs))
	}
	return cs
}

// loadRawLog reads CDNOW_sample.txt: master_id, sample_id, YYYYMMDD, number_of_cds,
// dollar_value, whitespace separated. Customers are identified by master_id.
func loadRawLog(tb testing.TB) []Transaction {
	tb.Helper()
	f := openCDNOW(tb, "CDNOW_sample.txt")
	defer f.Close()
	var txns []Transaction
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if len(fs) != 5 {
			tb.Fatalf("CDNOW_sample.txt:%d: %d fields", line, len(fs))
		}
		d, err := time.Parse("20060102", fs[2])
		if err != nil {
			tb.Fatalf("CDNOW_sample.txt:%d: %v", line, err)
		}
		amt, err := strconv.ParseFloat(fs[4], 64)
		if err != nil {
			tb.Fatalf("CDNOW_sample.txt:%d: %v", line, err)
		}
		txns = append(txns, Transaction{CustomerID: fs[0], Time: d, Amount: amt})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(txns) != 6919 {
		tb.Fatalf("CDNOW_sample.txt: %d rows, want 6919", len(txns))
	}
	return txns
}
