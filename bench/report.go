package bench

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
)

// Machine describes where a benchmark ran, so that numbers are never quoted without it.
type Machine struct {
	Engine     string `json:"engine"`
	Database   string `json:"database"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	CPU        string `json:"cpu"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	// LoadAvg is /proc/loadavg when the run started: on a shared machine, other work
	// competes for the same cores.
	LoadAvg string `json:"load_avg,omitempty"`
}

func describe(s *scratch) Machine {
	return Machine{Engine: s.engine, Database: s.where, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
		CPU: cpuModel(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, LoadAvg: loadAvg()}
}

// loadAvg returns the 1, 5 and 15 minute load averages, where Linux reports them.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

// cpuModel reads the processor's name from /proc/cpuinfo where there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func (m Machine) header(w io.Writer, what string) {
	fmt.Fprintf(w, "%s on %s (%s)\n", what, m.Engine, m.Database)
	fmt.Fprintf(w, "machine: GOMAXPROCS=%d, %d CPUs (%s), %s, %s, load average at start %s\n\n",
		m.GOMAXPROCS, m.NumCPU, m.CPU, m.GoVersion, m.OS, m.LoadAvg)
}

// median returns the middle value (the mean of the two middle values for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "MISS"
}

// Print writes the report for people: per-round numbers, medians, ratios and verdicts.
func (r *IngestReport) Print(w io.Writer) {
	o := r.Options
	r.header(w, "tenure bench ingest, program "+o.Program)
	fmt.Fprintf(w, "program %s; %d order.paid events per measurement, batches of %d, %d members, %d lines per order, %d HTTP clients, %d rounds\n\n",
		o.Program, o.Events, o.Batch, o.Members, o.Lines, o.Clients, o.Rounds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\traw events/s\tin-process events/s\tHTTP batch events/s\tin-process/raw\tHTTP/raw\t")
	for round := 1; round <= o.Rounds; round++ {
		rate := map[string]float64{}
		for _, m := range r.Measurements {
			if m.Round == round {
				rate[m.Path] = m.EventsPerSec
			}
		}
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.0f\t%.1f%%\t%.1f%%\t\n", round, rate[PathRaw], rate[PathService], rate[PathHTTP],
			100*rate[PathService]/rate[PathRaw], 100*rate[PathHTTP]/rate[PathRaw])
	}
	fmt.Fprintf(tw, "median\t%.0f\t%.0f\t%.0f\t%.1f%%\t%.1f%%\t\n", r.Median[PathRaw], r.Median[PathService], r.Median[PathHTTP],
		100*r.InProcess.Value, 100*r.HTTP.Value)
	_ = tw.Flush()
	fmt.Fprintln(w, "(the ratios are the median of the per-round ratios: a round's paths run back to back)")
	fmt.Fprintf(w, "\nin-process / raw  %5.1f%%   target >= %.0f%%   %s\n", 100*r.InProcess.Value, 100*r.InProcess.Target, verdict(r.InProcess.Pass))
	fmt.Fprintf(w, "HTTP batch / raw  %5.1f%%   target >= %.0f%%   %s\n\n", 100*r.HTTP.Value, 100*r.HTTP.Target, verdict(r.HTTP.Pass))
	if len(r.Measurements) > 0 {
		m := r.Measurements[0]
		var parts []string
		for _, t := range slices.Sorted(maps.Keys(m.Rows)) {
			if n := m.Rows[t]; n != 0 && !strings.Contains(t, ".") { // sums, not rows
				parts = append(parts, fmt.Sprintf("%s %.4g", t, float64(n)/float64(m.Events)))
			}
		}
		fmt.Fprintf(w, "rows written per event: %s; and one balances row updated per member and batch\n", strings.Join(parts, ", "))
	}
	r.printSizes(w)
	if r.SameRows {
		fmt.Fprintln(w, "in every round, raw, in-process and HTTP wrote the same rows and the same balance totals")
	} else {
		fmt.Fprintln(w, "WARNING: within a round the paths wrote different rows; see -json for the census of each")
	}
}

// Print writes the report for people.
func (r *ReadsReport) Print(w io.Writer) {
	o := r.Options
	r.header(w, "tenure bench reads")
	fmt.Fprintf(w, "GET /v1/members/{id}/balance of %d random members vs a bare net/http handler answering the same %d bytes;\n",
		o.Members, r.Median[TargetBalance].BodyBytes)
	fmt.Fprintf(w, "%d keep-alive clients, %s per measurement, %d rounds\n\n", o.Conns, o.Duration, o.Rounds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\ttarget\trequests/s\tp50 ms\tp90 ms\tp99 ms\tbalance/bare\t")
	rows := append(slices.Clone(r.Loads), r.Median[TargetBare], r.Median[TargetBalance])
	for i, l := range rows {
		round, frac := fmt.Sprint(l.Round), ""
		if i >= len(r.Loads) {
			round = "median"
		}
		switch {
		case i < len(r.Loads) && l.Target == TargetBalance && i > 0:
			frac = fmt.Sprintf("%.1f%%", 100*l.PerSec/r.Loads[i-1].PerSec)
		case i == len(rows)-1:
			frac = fmt.Sprintf("%.1f%%", 100*r.Throughput.Value)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t%s\t\n", round, l.Target, l.PerSec, l.P50ms, l.P90ms, l.P99ms, frac)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "(balance/bare is the median of the per-round fractions: a round's targets run back to back)")
	fmt.Fprintf(w, "\nbalance / bare throughput  %5.1f%%   target >= %.0f%%    %s\n", 100*r.Throughput.Value, 100*r.Throughput.Target, verdict(r.Throughput.Pass))
	fmt.Fprintf(w, "balance p99               %6.2f ms  target <= %.0f ms   %s\n", r.P99.Ms, r.P99.TargetMs, verdict(r.P99.Pass))
	if len(r.Open) > 0 {
		fmt.Fprintf(w, "\nopen loop at %.0f requests/s for %s (latency from each request's scheduled time), medians over rounds:\n", o.Rate, o.Duration)
		for _, target := range []string{TargetBare, TargetBalance} {
			ol := r.Open[target]
			fmt.Fprintf(w, "  %-7s  %6.0f/s done  p50 %6.2f ms  p99 %6.2f ms\n", target, ol.Achieved, ol.P50ms, ol.P99ms)
		}
		ol := r.Open[TargetBalance]
		fmt.Fprintf(w, "balance open-loop p99     %6.2f ms  target <= %.0f ms   %s\n", ol.P99ms, r.P99.TargetMs, verdict(ol.P99ms <= r.P99.TargetMs && ol.Achieved >= 0.95*ol.Rate))
	}
}
