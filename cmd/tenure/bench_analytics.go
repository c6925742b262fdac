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
	"time"

	"github.com/tenure-loyalty/tenure/analytics/synth"
	"github.com/tenure-loyalty/tenure/clv"
)

// Targets of `tenure bench analytics` (DESIGN.md: analytics over millions of orders in
// seconds with bounded memory), for the snapshot of 1M customers and 10M orders on a
// 2-core machine.
const (
	analyticsTargetSeconds = 60
	analyticsTargetBytes   = 2e9 // peak resident memory of the process during the snapshot
)

// benchAnalytics runs `tenure bench analytics`: it imports a synthetic store (package
// analytics/synth) into a real database through the order import, then times the analytics
// snapshot the service computes (service.SnapshotAt) against the cost of merely streaming
// the same order rows, with the snapshot's peak heap and resident memory; with
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
		summaryCSV, dsn        string
	)
	fs.IntVar(&cfg.Customers, "customers", 1_000_000, "customers of the synthetic store (0: skip it)")
	fs.IntVar(&cfg.Orders, "orders", 10_000_000, "orders of the synthetic store")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic store")
	fs.BoolVar(&cfg.ShuffleIDs, "shuffle-ids", false, "emit customers in pseudo-random id order instead of the service's ORDER BY member_id")
	fs.IntVar(&rounds, "rounds", 1, "snapshots to time after the import; the median is reported")
	fs.StringVar(&dsn, "database-url", "", "an empty database to import into: a SQLite file path or a postgres:// URL (default: a SQLite file in a temporary directory, removed after)")
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
		st, err := runSnapshotBench(ctx, cfg, dsn, rounds, stderr)
		if cpuprofile != "" {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return err
		}
		if summaryCSV != "" {
			if err := writeStoreSummary(ctx, cfg, summaryCSV); err != nil {
				return err
			}
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
	Store   *snapshotBench   `json:"synthetic_store,omitempty"`
	CLVFits []*clvFitBench   `json:"clv_fits,omitempty"`
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

// writeStoreSummary writes the synthetic store's clv summary (weeks, as of its end), for
// -cdnow. It holds every order's transaction: use it on stores that fit in memory.
func writeStoreSummary(ctx context.Context, cfg synth.Config, path string) error {
	store, err := synth.New(cfg)
	if err != nil {
		return err
	}
	var txns []clv.Transaction
	for o := range store.Orders() {
		txns = append(txns, clv.Transaction{CustomerID: o.Customer, Time: o.At, Amount: float64(o.Amount)})
	}
	cs, err := clv.Summarize(txns, store.End(), 7*24*time.Hour)
	if err != nil {
		return err
	}
	return writeSummaryCSV(path, cs)
}
