package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar with rate and ETA, at most ten times a second.
type progress struct {
	w     io.Writer
	what  string
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, what string) *progress {
	return &progress{w: w, what: what, start: time.Now()}
}

func (p *progress) update(done, total int) {
	now := time.Now()
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	frac := 0.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	const width = 30
	filled := int(frac * width)
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(done) / max(elapsed, 1e-9)
	eta := "--"
	if rate > 0 && done < total {
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d/%d %s  %.0f/s  ETA %s   ",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), frac*100, done, total, p.what, rate, eta)
	if done >= total {
		fmt.Fprintf(p.w, "\r[%s] 100%%  %d %s in %.1fs (%.0f/s)%s\n", strings.Repeat("=", width), total, p.what, elapsed, rate, strings.Repeat(" ", 12))
	}
}
