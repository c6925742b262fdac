package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/analytics/synth"
	"github.com/tenure-loyalty/tenure/clv"
)

// Targets of `tenure bench analytics` (DESIGN.md: analytics over millions of orders in
// seconds with bounded memory), for 1M customers and 10M orders on a 2-core machine.
const (
	analyticsTargetSeconds = 60
	analyticsTargetBytes   = 4e9 // peak resident memory of the process
)

// benchAnalytics runs `tenure bench analytics`: it streams a synthetic store (package
// analytics/synth) into analytics.CollectHistory and times a full analytics refresh, stage
// by stage, against the cost of merely generating and summing the same orders; with
// -compare-lifetimes it also times the CLV fits against the Python library lifetimes
// (bench_clv.go). See docs/benchmarks-analytics.md.
func benchAnalytics(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tenure bench analytics", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg                    synth.Config
		rounds                 int
		asJSON                 bool
		cpuprofile, memprofile string
		summaryCSV             string
	)
	fs.IntVar(&cfg.Customers, "customers", 1_000_000, "customers of the synthetic store (0: skip it)")
	fs.IntVar(&cfg.Orders, "orders", 10_000_000, "orders of the synthetic store")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic store")
	fs.BoolVar(&cfg.ShuffleIDs, "shuffle-ids", false, "emit customers in pseudo-random id order instead of the service's ORDER BY member_id")
	fs.IntVar(&rounds, "rounds", 1, "refreshes to time; the median of each stage is reported")
	fs.BoolVar(&asJSON, "json", false, "also print the results as JSON")
	fs.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the synthetic-store rounds to this file")
	fs.StringVar(&memprofile, "memprofile", "", "write an allocation profile (alloc_space) of the run to this file")
	fs.StringVar(&summaryCSV, "summary-csv", "", "write the synthetic store's clv summary (ID,x,t_x,T,zbar, weeks) to this file, for -cdnow")
	lifetimes := registerLifetimesFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench analytics: unexpected arguments %q", fs.Args())
	}
	rep := analyticsReport{Machine: thisMachine()}
	fmt.Fprintf(stdout, "tenure bench analytics\nmachine: GOMAXPROCS=%d, %d CPUs (%s), %s, load average at start %s, GOGC=%q GOMEMLIMIT=%q\n\n",
		rep.Machine.GOMAXPROCS, rep.Machine.NumCPU, rep.Machine.CPU, rep.Machine.GoVersion, rep.Machine.LoadAvg, os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"))
	if cfg.Customers > 0 {
		if cpuprofile != "" {
			f, err := os.Create(cpuprofile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
		}
		st, err := runStoreBench(ctx, cfg, max(rounds, 1), summaryCSV, stderr)
		if cpuprofile != "" {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return err
		}
		rep.Store = st
		st.print(stdout)
	}
	var cmpErr error
	if lifetimes.pythonPath != "" {
		rep.CLVFits, cmpErr = lifetimes.run(ctx, stdout, stderr)
	}
	if memprofile != "" {
		f, err := os.Create(memprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	return cmpErr
}

type analyticsReport struct {
	Machine analyticsMachine `json:"machine"`
	Store   *storeBench      `json:"synthetic_store,omitempty"`
	CLVFits []*clvFitBench   `json:"clv_fits,omitempty"`
}

// storeBench is the synthetic-store measurement: medians over the rounds, peaks over the run.
type storeBench struct {
	Customers  int     `json:"customers"`
	Orders     int     `json:"orders"`
	Seed       uint64  `json:"seed"`
	ShuffleIDs bool    `json:"shuffle_ids"`
	Rounds     int     `json:"rounds"`
	SetupSec   float64 `json:"setup_seconds"` // synth.New: calibration, not part of any timing

	BaselineSec float64      `json:"baseline_seconds"` // generate and sum the orders: the cost of reading them
	Stages      []stageTime  `json:"stages"`
	TotalSec    float64      `json:"total_seconds"`     // sum of the stages, load included
	AnalyticSec float64      `json:"analytics_seconds"` // the stages after load
	Ratio       float64      `json:"total_over_baseline"`
	Memory      memoryPeaks  `json:"memory"`
	Results     storeResults `json:"results"`
	PassTime    bool         `json:"pass_time"`
	PassMemory  bool         `json:"pass_memory"`
}

type stageTime struct {
	Name        string  `json:"name"`
	Seconds     float64 `json:"seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`           // process user+system time: all threads, GC included
	PeakHeap    uint64  `json:"peak_heap_inuse_bytes"` // max HeapInuse sampled during the stage
	AllocBytes  uint64  `json:"alloc_bytes"`           // bytes allocated by the stage (TotalAlloc delta)
	roundValues []float64
	roundCPU    []float64
}

type memoryPeaks struct {
	HeapInuse uint64 `json:"peak_heap_inuse_bytes"` // max runtime.MemStats.HeapInuse sampled every 20 ms
	Sys       uint64 `json:"peak_sys_bytes"`        // max runtime.MemStats.Sys
	RSS       uint64 `json:"peak_rss_bytes"`        // VmHWM from /proc/self/status
	NumGC     uint32 `json:"num_gc"`
}

// storeResults are what the refresh computed, to check that the work was done.
type storeResults struct {
	Months          int                       `json:"months"`
	Quarters        int                       `json:"quarters"`
	Cohorts         int                       `json:"cohorts"`
	Scored          int                       `json:"rfm_customers"`
	Segments        map[analytics.Segment]int `json:"segments"`
	Summarized      int                       `json:"clv_customers"`
	Repeaters       int                       `json:"clv_repeaters"`
	BGNBD           clv.BGNBD                 `json:"bgnbd"`
	BGNBDOK         bool                      `json:"bgnbd_ok"`
	BGNBDEvals      int                       `json:"bgnbd_evaluations"`
	Generated       clv.BGNBD                 `json:"bgnbd_generated"`
	GammaGamma      clv.GammaGamma            `json:"gamma_gamma"`
	GammaGammaOK    bool                      `json:"gamma_gamma_ok"`
	GammaGammaEvals int                       `json:"gamma_gamma_evaluations"`
	GeneratedSpend  clv.GammaGamma            `json:"gamma_gamma_generated"`
	TotalCLV        float64                   `json:"total_clv_minor"`
}

func runStoreBench(ctx context.Context, cfg synth.Config, rounds int, summaryCSV string, progress io.Writer) (*storeBench, error) {
	t0 := time.Now()
	store, err := synth.New(cfg)
	if err != nil {
		return nil, err
	}
	res := &storeBench{Customers: cfg.Customers, Orders: cfg.Orders, Seed: cfg.Seed, ShuffleIDs: cfg.ShuffleIDs,
		Rounds: rounds, SetupSec: time.Since(t0).Seconds()}
	mw := startMemWatch(20 * time.Millisecond)
	defer mw.stop()
	var base []float64
	for r := range rounds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		runtime.GC()
		fmt.Fprintf(progress, "round %d/%d: baseline (generate and sum %d orders)...\n", r+1, rounds, cfg.Orders)
		t := time.Now()
		var n, sum, items int64
		for o := range store.Orders() {
			n++
			sum += o.Amount
			items += o.Items
		}
		base = append(base, time.Since(t).Seconds())
		if n != int64(cfg.Orders) || sum <= 0 || items < n {
			return nil, fmt.Errorf("bench analytics: the generator gave %d orders", n)
		}
		runtime.GC()
		cs, err := refresh(store, res, mw, progress)
		if err != nil {
			return nil, err
		}
		if summaryCSV != "" && r == 0 {
			if err := writeSummaryCSV(summaryCSV, cs); err != nil {
				return nil, err
			}
		}
	}
	res.BaselineSec = medianOf(base)
	for i := range res.Stages {
		s := &res.Stages[i]
		s.Seconds, s.CPUSeconds = medianOf(s.roundValues), medianOf(s.roundCPU)
		res.TotalSec += s.Seconds
		if i > 0 {
			res.AnalyticSec += s.Seconds
		}
	}
	res.Ratio = res.TotalSec / res.BaselineSec
	res.Memory = mw.peaks()
	res.PassTime = res.TotalSec <= analyticsTargetSeconds
	res.PassMemory = res.Memory.RSS > 0 && res.Memory.RSS <= analyticsTargetBytes
	return res, nil
}

// refresh runs one full analytics refresh as the service assembles it (service/analytics.go),
// timing each stage; the orders stream straight into CollectHistory while the clv
// transactions the service also builds from the same read are collected beside them.
func refresh(store *synth.Store, res *storeBench, mw *memWatch, progress io.Writer) ([]clv.Customer, error) {
	var (
		h       *analytics.History
		txns    []clv.Transaction
		from    time.Time
		to      time.Time
		rfm     []analytics.CustomerRFM
		cs      []clv.Customer
		rep     []clv.Customer
		model   clv.BGNBD
		spend   clv.GammaGamma
		values  []float64
		out     = &res.Results
		asOf    = store.End()
		horizon = 12
	)
	k := 0
	stage := func(name string, f func() error) error {
		fmt.Fprintf(progress, "  %-52s", name)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		alloc := ms.TotalAlloc
		mw.startStage()
		cpu := procCPUSeconds()
		t := time.Now()
		err := f()
		d := time.Since(t).Seconds()
		cpu = procCPUSeconds() - cpu
		peak := mw.endStage()
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(progress, "%8.2fs  cpu %6.2fs  heap peak %6.0f MiB\n", d, cpu, mib(peak))
		if k == len(res.Stages) {
			res.Stages = append(res.Stages, stageTime{Name: name})
		}
		s := &res.Stages[k]
		s.roundValues, s.roundCPU = append(s.roundValues, d), append(s.roundCPU, cpu)
		s.PeakHeap, s.AllocBytes = max(s.PeakHeap, peak), max(s.AllocBytes, ms.TotalAlloc-alloc)
		k++
		return err
	}
	steps := []struct {
		name string
		f    func() error
	}{
		{"load: generate -> CollectHistory (+ clv txns)", func() (err error) {
			txns = make([]clv.Transaction, 0, store.Config().Orders)
			h, err = analytics.CollectHistory(func(yield func(analytics.Order) bool) {
				for o := range store.Orders() {
					txns = append(txns, clv.Transaction{CustomerID: o.Customer, Time: o.At, Amount: float64(o.Amount)})
					if !yield(o) {
						return
					}
				}
			})
			if err != nil {
				return err
			}
			first, last := h.Span()
			from, to = first, last.Add(time.Second)
			return nil
		}},
		{"series: monthly", func() error { out.Months = len(h.Series(analytics.Month, from, to, analytics.Options{})); return nil }},
		{"series: quarterly", func() error {
			out.Quarters = len(h.Series(analytics.Quarter, from, to, analytics.Options{}))
			return nil
		}},
		{"cohorts (monthly retention table)", func() error { out.Cohorts = len(h.Cohorts(from, to)); return nil }},
		{"RFM + lifecycle segments", func() error {
			rfm = h.RFM(asOf, analytics.DefaultSegmentConfig())
			out.Scored = len(rfm)
			return nil
		}},
		{"segment counts", func() error { out.Segments = analytics.SegmentCounts(rfm); return nil }},
		{"clv.Summarize (weeks)", func() (err error) {
			cs, err = clv.Summarize(txns, asOf, 7*24*time.Hour)
			out.Summarized = len(cs)
			return err
		}},
		{"clv.FitBGNBD", func() error {
			m, fit, err := clv.FitBGNBD(cs, nil)
			model, out.BGNBD, out.BGNBDOK, out.Generated, out.BGNBDEvals = m, m, fit.OK(), store.Model(), fit.Evaluations
			return err
		}},
		{"clv.FitGammaGamma (repeaters)", func() error {
			rep = slices.DeleteFunc(slices.Clone(cs), func(c clv.Customer) bool { return !(c.X > 0 && c.Monetary > 0) })
			g, fit, err := clv.FitGammaGamma(rep, nil)
			spend, out.GammaGamma, out.GammaGammaOK, out.GeneratedSpend, out.Repeaters, out.GammaGammaEvals = g, g, fit.OK(), store.Spend(), len(rep), fit.Evaluations
			return err
		}},
		{"clv.CLV (12 months, every customer)", func() (err error) {
			values, err = clv.CLV(model, spend, cs, clv.CLVOptions{Periods: horizon, PeriodLength: 52.0 / 12, DiscountRate: 0.01})
			out.TotalCLV = 0
			for _, v := range values {
				out.TotalCLV += v
			}
			return err
		}},
		{"P(alive) + E[purchases] + top 100 (service report)", func() error {
			type member struct{ pAlive, purchases, value float64 }
			ms := make([]member, len(cs))
			for i, c := range cs {
				ms[i] = member{model.PAlive(c.X, c.Tx, c.T), model.ConditionalExpectedPurchases(float64(horizon)*52/12, c.X, c.Tx, c.T), values[i]}
			}
			slices.SortFunc(ms, func(a, b member) int {
				if a.value > b.value {
					return -1
				} else if a.value < b.value {
					return 1
				}
				return 0
			})
			return nil
		}},
	}
	for _, s := range steps {
		if err := stage(s.name, s.f); err != nil {
			return nil, fmt.Errorf("bench analytics: %s: %w", s.name, err)
		}
	}
	return cs, nil
}

func (s *storeBench) print(w io.Writer) {
	fmt.Fprintf(w, "synthetic store: %d customers, %d orders, seed %d, shuffled ids %v; %d round(s), medians; setup (calibration) %.2fs, not timed\n\n",
		s.Customers, s.Orders, s.Seed, s.ShuffleIDs, s.Rounds, s.SetupSec)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\tseconds\tof total\tcpu seconds\theap peak MiB\tallocated MiB")
	fmt.Fprintf(tw, "baseline: generate + sum the orders\t%7.2f\t\t\t\t\n", s.BaselineSec)
	var cpu float64
	for _, st := range s.Stages {
		cpu += st.CPUSeconds
		fmt.Fprintf(tw, "%s\t%7.2f\t%7.1f%%\t%7.2f\t%7.0f\t%7.0f\n", st.Name, st.Seconds, 100*st.Seconds/s.TotalSec, st.CPUSeconds, mib(st.PeakHeap), mib(st.AllocBytes))
	}
	fmt.Fprintf(tw, "total (load included)\t%7.2f\t%7.1f%%\t%7.2f\t\t\n", s.TotalSec, 100.0, cpu)
	fmt.Fprintf(tw, "analytics after load\t%7.2f\t\t\t\t\n", s.AnalyticSec)
	_ = tw.Flush()
	m := s.Memory
	fmt.Fprintf(w, "\ntotal / baseline: %.1fx\npeak memory: HeapInuse %.0f MiB, Sys %.0f MiB, RSS (VmHWM) %.0f MiB; %d GCs\n",
		s.Ratio, mib(m.HeapInuse), mib(m.Sys), mib(m.RSS), m.NumGC)
	fmt.Fprintf(w, "target: total <= %d s: %s; peak RSS <= %.0f GB: %s\n\n", analyticsTargetSeconds, passMiss(s.PassTime),
		analyticsTargetBytes/1e9, passMiss(s.PassMemory))
	r := s.Results
	fmt.Fprintf(w, "computed: %d months, %d quarters, %d cohorts, %d customers scored, segments %v\n", r.Months, r.Quarters, r.Cohorts, r.Scored, r.Segments)
	fmt.Fprintf(w, "BG/NBD (weeks, calendar days):  r=%.4g alpha=%.4g a=%.4g b=%.4g ok=%v, %d likelihood evaluations; generated with r=%.4g alpha=%.4g a=%.4g b=%.4g (exact times)\n",
		r.BGNBD.R, r.BGNBD.Alpha, r.BGNBD.A, r.BGNBD.B, r.BGNBDOK, r.BGNBDEvals, r.Generated.R, r.Generated.Alpha, r.Generated.A, r.Generated.B)
	fmt.Fprintf(w, "Gamma-Gamma (%d repeaters): p=%.4g q=%.4g gamma=%.4g ok=%v, %d likelihood evaluations; generated with p=%.4g q=%.4g gamma=%.4g (per order, not per day)\n",
		r.Repeaters, r.GammaGamma.P, r.GammaGamma.Q, r.GammaGamma.Gamma, r.GammaGammaOK, r.GammaGammaEvals, r.GeneratedSpend.P, r.GeneratedSpend.Q, r.GeneratedSpend.Gamma)
	fmt.Fprintf(w, "12-month CLV of %d customers: %.4g minor units in total\n\n", r.Summarized, r.TotalCLV)
}

func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// memWatch samples runtime.MemStats in the background and keeps the peaks of the run and
// of the current stage.
type memWatch struct {
	mu                 sync.Mutex
	inuse, sys, stageM uint64
	numGC              uint32
	quit, done         chan struct{}
}

func startMemWatch(every time.Duration) *memWatch {
	w := &memWatch{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-w.quit:
				return
			case <-t.C:
				w.sample()
			}
		}
	}()
	return w
}

func (w *memWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inuse, w.sys, w.stageM, w.numGC = max(w.inuse, ms.HeapInuse), max(w.sys, ms.Sys), max(w.stageM, ms.HeapInuse), ms.NumGC
}

func (w *memWatch) startStage() {
	w.mu.Lock()
	w.stageM = 0
	w.mu.Unlock()
	w.sample()
}

// endStage returns the stage's peak HeapInuse.
func (w *memWatch) endStage() uint64 {
	w.sample()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stageM
}

func (w *memWatch) stop() {
	select {
	case <-w.quit:
	default:
		close(w.quit)
		<-w.done
	}
}

func (w *memWatch) peaks() memoryPeaks {
	w.sample()
	w.mu.Lock()
	defer w.mu.Unlock()
	return memoryPeaks{HeapInuse: w.inuse, Sys: w.sys, RSS: procStatusBytes("VmHWM"), NumGC: w.numGC}
}

// procStatusBytes reads a "kB" field of /proc/self/status (0 where there is none).
func procStatusBytes(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// procCPUSeconds returns the process's user+system CPU time from /proc/self/stat (Linux,
// 100 ticks a second; 0 elsewhere).
func procCPUSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	_, rest, _ := strings.Cut(string(b), ") ") // the command name may hold spaces
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

// analyticsMachine describes where the benchmark ran.
type analyticsMachine struct {
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	CPU        string `json:"cpu"`
	GoVersion  string `json:"go_version"`
	LoadAvg    string `json:"load_avg"` // at the start: other work shares the cores
}

func thisMachine() analyticsMachine {
	m := analyticsMachine{GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), CPU: "unknown", GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// writeSummaryCSV writes customers as readCDNOWSummary reads them.
func writeSummaryCSV(path string, cs []clv.Customer) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	_ = w.Write([]string{"ID", "x", "t_x", "T", "zbar"})
	for _, c := range cs {
		_ = w.Write([]string{c.ID, strconv.Itoa(c.X), g(c.Tx), g(c.T), g(c.Monetary)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readCDNOWSummary reads ID,x,t_x,T,zbar (header line first).
func readCDNOWSummary(path string) ([]clv.Customer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	var cs []clv.Customer
	for i, r := range rows[min(1, len(rows)):] {
		if len(r) < 5 {
			return nil, fmt.Errorf("%s: row %d has %d fields, want ID,x,t_x,T,zbar", path, i+2, len(r))
		}
		var v [4]float64
		for j := range v {
			if v[j], err = strconv.ParseFloat(strings.TrimSpace(r[j+1]), 64); err != nil {
				return nil, fmt.Errorf("%s: row %d: %w", path, i+2, err)
			}
		}
		cs = append(cs, clv.Customer{ID: r[0], X: int(v[0]), Tx: v[1], T: v[2], Monetary: v[3]})
	}
	return cs, nil
}
