package clv

import (
	"runtime"
	"sync"
)

// chunkLen is the number of groups summed by one task. Chunks are fixed by the data, not
// by the number of processors, and their partial sums are added in chunk order, so a
// likelihood is the same to the last bit on every machine.
const chunkLen = 16384

// sumChunks splits [0, n) into chunks of chunkLen, calls f(lo, hi, acc) for each with a
// zeroed accumulator of width m, and stores the sum of the accumulators, in chunk order,
// in out (length m). Chunks run concurrently on up to GOMAXPROCS goroutines.
func sumChunks(n, m int, out []float64, f func(lo, hi int, acc []float64)) {
	for i := range out[:m] {
		out[i] = 0
	}
	nc := (n + chunkLen - 1) / chunkLen
	if nc <= 1 {
		f(0, n, out[:m])
		return
	}
	parts := make([]float64, nc*m)
	forChunks(nc, func(c int) {
		lo := c * chunkLen
		f(lo, min(n, lo+chunkLen), parts[c*m:(c+1)*m])
	})
	for c := 0; c < nc; c++ {
		for j := 0; j < m; j++ {
			out[j] += parts[c*m+j]
		}
	}
}

// forChunks calls f(0), …, f(nc−1), concurrently on up to GOMAXPROCS goroutines.
func forChunks(nc int, f func(c int)) {
	workers := min(runtime.GOMAXPROCS(0), nc)
	if workers <= 1 {
		for c := 0; c < nc; c++ {
			f(c)
		}
		return
	}
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				c := next
				next++
				mu.Unlock()
				if c >= nc {
					return
				}
				f(c)
			}
		}()
	}
	wg.Wait()
}
