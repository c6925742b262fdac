package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tenure-loyalty/tenure/clv"
)

// The CLV part of `tenure bench analytics`: our BG/NBD, Pareto/NBD and Gamma-Gamma fits
// timed against the Python library lifetimes on the same summary file in the same run,
// on CDNOW and optionally on a large summary simulated from the CDNOW fits. See
// docs/benchmarks-analytics.md and bench/lifetimes/README.md.

// lifetimesCompare holds the flags of the comparison.
type lifetimesCompare struct {
	pythonPath, python, script, csv string
	models                          string
	runs, largeRuns, largeCustomers int
	largePyRuns                     int
	largeSeed                       uint64
	largeCSV                        string
}

func registerLifetimesFlags(fs *flag.FlagSet) *lifetimesCompare {
	c := &lifetimesCompare{}
	fs.StringVar(&c.pythonPath, "compare-lifetimes", "", "PYTHONPATH holding lifetimes and autograd: also time their CLV fits against ours on -cdnow (and -lifetimes-customers)")
	fs.StringVar(&c.python, "python", "python3", "Python interpreter with numpy, scipy and pandas")
	fs.StringVar(&c.script, "lifetimes-script", "bench/lifetimes/run_lifetimes.py", "the lifetimes driver script")
	fs.StringVar(&c.csv, "cdnow", "testdata/cdnow/cdnow_customers_summary_with_transactions.csv", "summary to fit with -compare-lifetimes (ID,x,t_x,T,zbar; CDNOW by default; empty: skip)")
	fs.StringVar(&c.models, "lifetimes-models", "bgnbd,paretonbd,gammagamma", "models to compare: bgnbd, paretonbd, gammagamma")
	fs.IntVar(&c.runs, "fit-runs", 5, "runs of each -compare-lifetimes fit on -cdnow; the median is reported")
	fs.IntVar(&c.largeCustomers, "lifetimes-customers", 0, "also compare on a summary of this many customers simulated from the CDNOW fits (written to a temporary file)")
	fs.Uint64Var(&c.largeSeed, "lifetimes-seed", 1, "seed of the simulated summary")
	fs.IntVar(&c.largeRuns, "large-fit-runs", 3, "runs of each fit on the simulated summary")
	fs.IntVar(&c.largePyRuns, "large-lifetimes-runs", 0, "runs of each lifetimes fit on the simulated summary (0: -large-fit-runs)")
	fs.StringVar(&c.largeCSV, "lifetimes-summary", "", "write the simulated summary to this file and keep it (default: a temporary file, removed)")
	return c
}

// run compares on -cdnow and, with -lifetimes-customers, on the simulated summary.
func (c *lifetimesCompare) run(ctx context.Context, stdout, progress io.Writer) ([]*clvFitBench, error) {
	models := strings.Split(c.models, ",")
	for _, m := range models {
		if _, ok := clvModels[m]; !ok {
			return nil, fmt.Errorf("bench analytics: -lifetimes-models: unknown model %q (want bgnbd, paretonbd, gammagamma)", m)
		}
	}
	var out []*clvFitBench
	if c.csv != "" {
		b, err := c.compare(ctx, c.csv, "", c.runs, c.runs, models, progress)
		if b != nil {
			out = append(out, b)
			b.print(stdout)
		}
		if err != nil {
			return out, err
		}
	}
	if c.largeCustomers > 0 {
		path := c.largeCSV
		if path == "" {
			dir, err := os.MkdirTemp("", "tenure-clv-bench")
			if err != nil {
				return out, err
			}
			defer os.RemoveAll(dir)
			path = filepath.Join(dir, "summary.csv")
		}
		t := time.Now()
		cs := simulateCDNOWLike(c.largeCustomers, c.largeSeed)
		if err := writeSummaryCSV(path, cs); err != nil {
			return out, err
		}
		fmt.Fprintf(progress, "simulated %d customers (seed %d) into %s in %.1f s\n", len(cs), c.largeSeed, path, time.Since(t).Seconds())
		desc := fmt.Sprintf("%d customers simulated from the CDNOW BG/NBD and Gamma-Gamma fits, seed %d", len(cs), c.largeSeed)
		pyRuns := c.largePyRuns
		if pyRuns <= 0 {
			pyRuns = c.largeRuns
		}
		b, err := c.compare(ctx, path, desc, c.largeRuns, pyRuns, models, progress)
		if b != nil {
			out = append(out, b)
			b.print(stdout)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// clvFitBench is one input's comparison: every fit timed on both sides in the same run,
// standard errors included where the library computes them (ours always; lifetimes'
// BG/NBD and Gamma-Gamma from autograd's Hessian, its Pareto/NBD none).
type clvFitBench struct {
	Input       string               `json:"input"`
	Description string               `json:"description,omitempty"`
	Customers   int                  `json:"customers"`
	Repeaters   int                  `json:"repeaters"`
	Rows        map[string]int       `json:"distinct_rows"` // (x, t_x, T) and (x, zbar) groups
	Runs        int                  `json:"runs"`
	PyRuns      int                  `json:"lifetimes_runs"`
	Tenure      map[string]fitTiming `json:"tenure"`
	Lifetimes   map[string]fitTiming `json:"lifetimes,omitempty"`
	Versions    map[string]string    `json:"python_versions,omitempty"`
	Error       string               `json:"lifetimes_error,omitempty"`
}

type fitTiming struct {
	Median        float64            `json:"median_seconds"`
	Seconds       []float64          `json:"seconds"`
	CPUSeconds    []float64          `json:"cpu_seconds,omitempty"` // process CPU time (user+system, all threads) of each run
	Params        map[string]float64 `json:"params"`
	LogLikelihood float64            `json:"log_likelihood"`
	Evaluations   int                `json:"evaluations,omitempty"`
	OK            bool               `json:"ok,omitempty"`
}

var clvModels = map[string]struct {
	name string
	fit  func(all, repeaters []clv.Customer) (clv.Fit, error)
}{
	"bgnbd":      {"BG/NBD", func(cs, _ []clv.Customer) (clv.Fit, error) { _, f, err := clv.FitBGNBD(cs, nil); return f, err }},
	"paretonbd":  {"Pareto/NBD", func(cs, _ []clv.Customer) (clv.Fit, error) { _, f, err := clv.FitParetoNBD(cs, nil); return f, err }},
	"gammagamma": {"Gamma-Gamma", func(_, rep []clv.Customer) (clv.Fit, error) { _, f, err := clv.FitGammaGamma(rep, nil); return f, err }},
}

func (c *lifetimesCompare) compare(ctx context.Context, path, desc string, runs, pyRuns int, models []string, progress io.Writer) (*clvFitBench, error) {
	cs, err := readCDNOWSummary(path)
	if err != nil {
		return nil, err
	}
	var rep []clv.Customer
	type rfm struct {
		x     int
		tx, t float64
	}
	type xz struct {
		x int
		z float64
	}
	rows, spend := map[rfm]bool{}, map[xz]bool{}
	for _, c := range cs {
		rows[rfm{c.X, c.Tx, c.T}] = true
		if c.X > 0 {
			rep = append(rep, c)
			spend[xz{c.X, c.Monetary}] = true
		}
	}
	b := &clvFitBench{Input: path, Description: desc, Customers: len(cs), Repeaters: len(rep), Runs: max(runs, 1), PyRuns: max(pyRuns, 1),
		Rows: map[string]int{"x,t_x,T": len(rows), "x,zbar": len(spend)}, Tenure: map[string]fitTiming{}}
	fmt.Fprintf(progress, "fits on %s: %d of each model in Go...\n", path, b.Runs)
	for _, key := range models {
		m := clvModels[key]
		var ft fitTiming
		for range b.Runs {
			t, cpu := time.Now(), procCPUSeconds()
			f, err := m.fit(cs, rep)
			ft.Seconds = append(ft.Seconds, time.Since(t).Seconds())
			ft.CPUSeconds = append(ft.CPUSeconds, procCPUSeconds()-cpu)
			if err != nil {
				return nil, fmt.Errorf("bench analytics: %s on %s: %w", m.name, path, err)
			}
			ft.Params, ft.LogLikelihood, ft.Evaluations, ft.OK = map[string]float64{}, f.LogLikelihood, f.Evaluations, f.OK()
			for i, n := range f.Names {
				ft.Params[n] = f.Params[i]
			}
		}
		ft.Median = medianOf(ft.Seconds)
		b.Tenure[key] = ft
	}
	fmt.Fprintf(progress, "fits on %s: %d of each model with lifetimes (%s %s, PYTHONPATH=%s)...\n", path, b.PyRuns, c.python, c.script, c.pythonPath)
	cmd := exec.CommandContext(ctx, c.python, c.script, "--csv", path, "--runs", strconv.Itoa(b.PyRuns), "--models", strings.Join(models, ","))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+c.pythonPath)
	cmd.Stderr = progress
	out, err := cmd.Output()
	var py map[string]json.RawMessage
	if err == nil {
		err = json.Unmarshal(out, &py)
	}
	if err == nil {
		b.Lifetimes = map[string]fitTiming{}
		for k, v := range py {
			if k == "versions" {
				err = json.Unmarshal(v, &b.Versions)
			} else {
				var ft fitTiming
				err = json.Unmarshal(v, &ft)
				b.Lifetimes[k] = ft
			}
			if err != nil {
				break
			}
		}
	}
	if err != nil {
		b.Error = err.Error()
		return b, fmt.Errorf("bench analytics: lifetimes driver: %w", err)
	}
	return b, nil
}

func (b *clvFitBench) print(w io.Writer) {
	in := b.Input
	if b.Description != "" {
		in += " (" + b.Description + ")"
	}
	fmt.Fprintf(w, "CLV fits on %s: %d customers (%d distinct x,t_x,T), %d repeaters (%d distinct x,zbar); median of %d run(s) of each fit (lifetimes: %d)\n",
		in, b.Customers, b.Rows["x,t_x,T"], b.Repeaters, b.Rows["x,zbar"], b.Runs, b.PyRuns)
	if b.Versions != nil {
		fmt.Fprintf(w, "lifetimes side: %v\n", b.Versions)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nmodel\timplementation\tmedian s\truns s\tmedian CPU s\tlog-likelihood\tparameters")
	for _, key := range []string{"bgnbd", "paretonbd", "gammagamma"} {
		name := clvModels[key].name
		for _, side := range []struct {
			name string
			fits map[string]fitTiming
		}{{"tenure (Go)", b.Tenure}, {"lifetimes (Python)", b.Lifetimes}} {
			f, ok := side.fits[key]
			if !ok {
				continue
			}
			names := slices.Sorted(maps.Keys(f.Params))
			ps := make([]string, len(names))
			for i, n := range names {
				ps[i] = fmt.Sprintf("%s=%.5g", n, f.Params[n])
			}
			runs := make([]string, len(f.Seconds))
			for i, s := range f.Seconds {
				runs[i] = fmt.Sprintf("%.3f", s)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.4f\t%s\t%.4f\t%.4f\t%s\n", name, side.name, f.Median, strings.Join(runs, " "), medianOf(f.CPUSeconds), f.LogLikelihood, strings.Join(ps, " "))
		}
		t, okT := b.Tenure[key]
		if l, ok := b.Lifetimes[key]; ok && okT {
			rel := (t.LogLikelihood - l.LogLikelihood) / math.Abs(l.LogLikelihood)
			fmt.Fprintf(tw, "%s\tlifetimes / tenure\t%.1fx\t\t%.1fx\tLL difference %+.2g relative\t\n", name, l.Median/t.Median, medianOf(l.CPUSeconds)/medianOf(t.CPUSeconds), rel)
		}
	}
	_ = tw.Flush()
	if b.Error != "" {
		fmt.Fprintf(w, "lifetimes could not run: %s\n", b.Error)
	}
	fmt.Fprintln(w)
}

// CDNOW's published fits (weekly time, dollars): the generating parameters of the
// simulated summary.
var (
	cdnowBGNBD      = clv.BGNBD{R: 0.2426, Alpha: 4.4135, A: 0.7929, B: 2.4258}
	cdnowGammaGamma = clv.GammaGamma{P: 6.2488, Q: 3.7446, Gamma: 15.4477}
)

// simulateCDNOWLike draws n customers from the BG/NBD and Gamma-Gamma models with the
// CDNOW parameters, with CDNOW's calendar: first purchases spread over the 12 weeks of the
// acquisition quarter, so ages T from 27 to 39 weeks, and times on a daily grid (t_x is
// the day of the last purchase, in weeks; x counts purchases on distinct days, as the
// CDNOW summary does). Spend per repeat purchase is rounded to cents. The same n and seed
// give the same customers.
func simulateCDNOWLike(n int, seed uint64) []clv.Customer {
	rng := rand.New(rand.NewPCG(seed, 0x636c76))
	m, g := cdnowBGNBD, cdnowGammaGamma
	cs := make([]clv.Customer, n)
	for i := range cs {
		T := float64(189+rng.IntN(85)) / 7
		lambda := clv.GammaRand(rng, m.R) / m.Alpha
		ga, gb := clv.GammaRand(rng, m.A), clv.GammaRand(rng, m.B)
		p := ga / (ga + gb)
		x, lastDay := 0, 0
		for t := rng.ExpFloat64() / lambda; t <= T; t += rng.ExpFloat64() / lambda {
			day := int(math.Ceil(t * 7))
			if float64(day) > T*7 {
				break
			}
			if day != lastDay {
				x++
				lastDay = day
			}
			if rng.Float64() < p {
				break
			}
		}
		c := clv.Customer{ID: strconv.Itoa(i + 1), X: x, T: T}
		if x > 0 {
			c.Tx = float64(lastDay) / 7
			nu := clv.GammaRand(rng, g.Q) / g.Gamma
			sum := 0.0
			for range x {
				sum += clv.GammaRand(rng, g.P) / nu
			}
			c.Monetary = math.Max(0.01, math.Round(100*sum/float64(x))/100)
		}
		cs[i] = c
	}
	return cs
}
