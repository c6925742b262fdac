package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"text/tabwriter"
	"time"

	"github.com/tenure-loyalty/tenure/analytics/synth"
	benchmarks "github.com/tenure-loyalty/tenure/bench"
	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/service"
)

// snapshotBench is the synthetic store measured on the real path: its orders written as an
// order-line file (three lines an order) and imported into a fresh database by the import
// the CLI uses, then the analytics snapshot the service, the dashboard and `tenure
// analytics` compute, against the baseline of merely streaming the same order rows.
type snapshotBench struct {
	Engine    string  `json:"engine"`
	Customers int     `json:"customers"`
	Orders    int     `json:"orders"`
	Seed      uint64  `json:"seed"`
	SetupSec  float64 `json:"setup_seconds"` // synth.New: calibration, not timed

	ImportSec      float64 `json:"import_seconds"`
	ImportCPU      float64 `json:"import_cpu_seconds"` // process user+system time: the machine is shared
	ImportPerSec   float64 `json:"import_orders_per_second"`
	ImportedOrders int     `json:"imported_orders"`
	StoreBytes     int64   `json:"store_bytes"` // database size after the import
	BytesPerOrder  float64 `json:"bytes_per_order"`

	BaselineSec float64 `json:"baseline_seconds"` // stream the order rows and sum them
	SnapshotSec float64 `json:"snapshot_seconds"`
	SnapshotCPU float64 `json:"snapshot_cpu_seconds"`
	Ratio       float64 `json:"snapshot_over_baseline"`
	// Peaks during the snapshot alone: HeapInuse sampled every 20 ms; RSS is VmHWM after
	// resetting it (clear_refs) once the import's memory was returned to the system.
	Rounds     int    `json:"rounds"` // snapshots timed; the median is reported
	PeakHeap   uint64 `json:"snapshot_peak_heap_inuse_bytes"`
	PeakRSS    uint64 `json:"snapshot_peak_rss_bytes"`
	ProcessRSS uint64 `json:"process_peak_rss_bytes"` // the whole run, import included

	Customers2 int     `json:"snapshot_customers"`
	Orders2    int     `json:"snapshot_orders"`
	CLVUsable  bool    `json:"clv_usable"`
	TotalCLV   float64 `json:"total_clv_minor"`
	PassTime   bool    `json:"pass_time"`
	PassMemory bool    `json:"pass_memory"`
}

// runSnapshotBench imports the synthetic store into the database at dsn (a new SQLite
// file in a temporary directory when empty; for PostgreSQL an empty database or schema,
// see benchmarks.OpenAnalyticsStore) and times the snapshot.
func runSnapshotBench(ctx context.Context, cfg synth.Config, dsn string, rounds int, progress io.Writer) (*snapshotBench, error) {
	t0 := time.Now()
	store, err := synth.New(cfg)
	if err != nil {
		return nil, err
	}
	res := &snapshotBench{Rounds: max(rounds, 1), Customers: cfg.Customers, Orders: cfg.Orders, Seed: cfg.Seed, SetupSec: time.Since(t0).Seconds()}
	st, err := benchmarks.OpenAnalyticsStore(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	svc, tn := st.Service, st.Tenant
	res.Engine = st.Engine

	fmt.Fprintf(progress, "import: %d orders of %d customers, three lines an order, into %s...\n", cfg.Orders, cfg.Customers, st.Engine)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(benchmarks.WriteOrderLines(pw, store)) }()
	t, cpu := time.Now(), procCPUSeconds()
	sum, err := svc.Intake.ImportOrders(ctx, tn, pr, importer.Config{}, service.ImportOptions{})
	pr.Close()
	if err != nil {
		return nil, err
	}
	res.ImportSec, res.ImportCPU = time.Since(t).Seconds(), procCPUSeconds()-cpu
	res.ImportedOrders = int(sum.Orders)
	res.ImportPerSec = float64(sum.Orders) / res.ImportSec
	if res.StoreBytes, err = st.Size(ctx); err != nil {
		return nil, err
	}
	res.BytesPerOrder = float64(res.StoreBytes) / float64(max(sum.Orders, 1))
	fmt.Fprintf(progress, "  %.1fs, %.0f orders/s, %.0f bytes an order\n", res.ImportSec, res.ImportPerSec, res.BytesPerOrder)

	runtime.GC()
	debug.FreeOSMemory()
	fmt.Fprintf(progress, "baseline: stream the order rows...\n")
	t = time.Now()
	rows, total, err := st.StreamOrders(ctx)
	if err != nil {
		return nil, err
	}
	res.BaselineSec = time.Since(t).Seconds()
	if rows != int64(sum.Orders) || total <= 0 {
		return nil, fmt.Errorf("bench analytics: streamed %d rows of %d orders", rows, sum.Orders)
	}

	var sn *service.Snapshot
	var times, cpus []float64
	for r := range max(rounds, 1) {
		runtime.GC()
		debug.FreeOSMemory()
		res.ProcessRSS = max(res.ProcessRSS, procStatusBytes("VmHWM"))
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM (Linux)
		fmt.Fprintf(progress, "snapshot %d/%d as of %s...\n", r+1, max(rounds, 1), store.End().Format(time.DateOnly))
		mw := startMemWatch(20 * time.Millisecond)
		mw.startStage()
		t, cpu = time.Now(), procCPUSeconds()
		sn, err = svc.Reports.SnapshotAt(ctx, tn, service.SnapshotOptions{AsOf: store.End()})
		times, cpus = append(times, time.Since(t).Seconds()), append(cpus, procCPUSeconds()-cpu)
		res.PeakHeap = max(res.PeakHeap, mw.endStage())
		mw.stop()
		res.PeakRSS = max(res.PeakRSS, procStatusBytes("VmHWM"))
		res.ProcessRSS = max(res.ProcessRSS, res.PeakRSS)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "  %.1fs\n", times[len(times)-1])
	}
	res.SnapshotSec, res.SnapshotCPU = medianOf(times), medianOf(cpus)
	res.Ratio = res.SnapshotSec / res.BaselineSec
	res.Customers2, res.Orders2 = sn.Customers, sn.Orders
	if sn.CLV != nil {
		res.CLVUsable, res.TotalCLV = sn.CLV.Usable, sn.CLV.TotalCLVMinor
	}
	res.PassTime = res.SnapshotSec <= analyticsTargetSeconds
	res.PassMemory = res.PeakRSS > 0 && res.PeakRSS <= analyticsTargetBytes
	return res, nil
}

func (s *snapshotBench) print(w io.Writer) {
	fmt.Fprintf(w, "synthetic store: %d customers, %d orders, seed %d, on %s; setup (calibration) %.2fs, not timed\n\n",
		s.Customers, s.Orders, s.Seed, s.Engine, s.SetupSec)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "step\tseconds\tthroughput\tcpu seconds\tpeak heap MiB\tpeak RSS MiB")
	fmt.Fprintf(tw, "import (order-line file -> database)\t%7.2f\t%8.0f orders/s\t%7.2f\t\t\n", s.ImportSec, s.ImportPerSec, s.ImportCPU)
	fmt.Fprintf(tw, "baseline: stream the order rows\t%7.2f\t%8.0f rows/s\t\t\t\n", s.BaselineSec, float64(s.ImportedOrders)/s.BaselineSec)
	fmt.Fprintf(tw, "snapshot (service.SnapshotAt)\t%7.2f\t%8.0f orders/s\t%7.2f\t%7.0f\t%7.0f\n", s.SnapshotSec, float64(s.ImportedOrders)/s.SnapshotSec, s.SnapshotCPU, mib(s.PeakHeap), mib(s.PeakRSS))
	_ = tw.Flush()
	fmt.Fprintf(w, "\nstore: %.1f MiB, %.0f bytes an order; snapshot / baseline: %.1fx; process peak RSS %.0f MiB\n",
		float64(s.StoreBytes)/(1<<20), s.BytesPerOrder, s.Ratio, mib(s.ProcessRSS))
	fmt.Fprintf(w, "snapshot: %d customers, %d orders; CLV usable %v, %.4g minor units over 12 months\n",
		s.Customers2, s.Orders2, s.CLVUsable, s.TotalCLV)
	fmt.Fprintf(w, "target for the snapshot: <= %d s: %s; peak RSS <= %.0f GB: %s\n\n", analyticsTargetSeconds, passMiss(s.PassTime),
		analyticsTargetBytes/1e9, passMiss(s.PassMemory))
}
