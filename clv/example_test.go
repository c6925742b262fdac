package clv_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure/clv"
)

// Example fits the CDNOW sample from its raw transaction log: summarise 39 weeks of
// calibration, fit BG/NBD and Gamma-Gamma, compare with the 39-week holdout and value a
// customer over 12 months at 1% a month.
func Example() {
	f, err := os.Open(filepath.Join("..", "testdata", "cdnow", "CDNOW_sample.txt"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	var txns []clv.Transaction
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text()) // master_id sample_id YYYYMMDD cds dollars
		if len(fs) != 5 {
			continue
		}
		d, _ := time.Parse("20060102", fs[2])
		amt, _ := strconv.ParseFloat(fs[4], 64)
		txns = append(txns, clv.Transaction{CustomerID: fs[0], Time: d, Amount: amt})
	}

	calEnd := time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	customers, err := clv.Summarize(txns, calEnd, week)
	if err != nil {
		fmt.Println(err)
		return
	}
	bg, fit, err := clv.FitBGNBD(customers, nil)
	if err != nil || !fit.OK() {
		fmt.Println("fit failed:", err, fit.Warnings)
		return
	}
	fmt.Printf("BG/NBD r=%.3f alpha=%.3f a=%.3f b=%.3f LL=%.2f\n", bg.R, bg.Alpha, bg.A, bg.B, fit.LogLikelihood)

	gg, gfit, err := clv.FitGammaGamma(customers, nil)
	if err != nil || !gfit.OK() {
		fmt.Println("fit failed:", err, gfit.Warnings)
		return
	}
	fmt.Printf("Gamma-Gamma p=%.2f q=%.2f gamma=%.2f\n", gg.P, gg.Q, gg.Gamma)

	holdout, _ := clv.HoldoutPurchases(txns, customers, calEnd, calEnd.AddDate(0, 0, 39*7))
	cmp, _ := clv.CompareHoldout(bg, customers, holdout, 39, 7)
	fmt.Printf("holdout: actual %.0f, predicted %.0f\n", cmp.Actual, cmp.Predicted)

	c := customers[0]
	values, _ := clv.CLV(bg, gg, customers[:1], clv.CLVOptions{Periods: 12, PeriodLength: 52.0 / 12, DiscountRate: 0.01})
	fmt.Printf("customer %s: x=%d P(alive)=%.3f 12-month CLV=$%.2f\n", c.ID, c.X, bg.PAlive(c.X, c.Tx, c.T), values[0])
	// Output:
	// BG/NBD r=0.243 alpha=4.414 a=0.793 b=2.426 LL=-9582.43
	// Gamma-Gamma p=6.25 q=3.74 gamma=15.44
	// holdout: actual 1882, predicted 1653
	// customer 00004: x=2 P(alive)=0.727 12-month CLV=$36.19
}
