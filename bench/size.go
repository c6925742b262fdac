package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// printSizes writes what the database grew by per event and per ledger entry, for each
// path (median over rounds), and the in-process path's tables that took the most.
func (r *IngestReport) printSizes(w io.Writer) {
	perEvent := map[string][]float64{}
	perEntry := map[string][]float64{}
	tables := map[string][]float64{}
	for _, m := range r.Measurements {
		if len(m.Bytes) == 0 {
			continue
		}
		var total int64
		for _, n := range m.Bytes {
			total += n
		}
		perEvent[m.Path] = append(perEvent[m.Path], float64(total)/float64(m.Events))
		if e := m.Rows["ledger_entries"]; e > 0 {
			perEntry[m.Path] = append(perEntry[m.Path], float64(total)/float64(e))
		}
		if m.Path == PathService {
			for t, n := range m.Bytes {
				tables[t] = append(tables[t], float64(n)/float64(m.Events))
			}
		}
	}
	if len(perEvent) == 0 {
		return
	}
	fmt.Fprint(w, "database growth (tables with their indexes), median of the rounds:")
	for _, p := range []string{PathService, PathRaw, PathHTTP} {
		if v := perEvent[p]; len(v) > 0 {
			fmt.Fprintf(w, " %s %.0f bytes per event, %.0f per ledger entry;", p, median(v), median(perEntry[p]))
		}
	}
	fmt.Fprintln(w)
	var parts []string
	for _, t := range slices.SortedFunc(maps.Keys(tables), func(a, b string) int { return int(median(tables[b]) - median(tables[a])) }) {
		if v := median(tables[t]); v >= 1 {
			parts = append(parts, fmt.Sprintf("%s %.0f", t, v))
		}
	}
	fmt.Fprintf(w, "in-process, bytes per event by table: %s\n", strings.Join(parts, ", "))
}
