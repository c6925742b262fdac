package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Stages of a request on the hot path, in the order they happen. A stage's time is
// measured from the end of the stage before it (a lap), so the stages of one request add
// up to its time in Tenure:
//
//   - auth: checking the API key
//   - decode: reading and validating the body
//   - queue: waiting for the write transaction (a group commit to start)
//   - load: reading what the request touches (members, books, orders, seen event ids)
//   - evaluate: the rules and the ledger deciding, per event
//   - write: writing what was decided (within the shared transaction)
//   - commit: waiting for the rest of the group and the shared commit
const (
	StageAuth     = "auth"
	StageDecode   = "decode"
	StageQueue    = "queue"
	StageLoad     = "load"
	StageEvaluate = "evaluate"
	StageWrite    = "write"
	StageCommit   = "commit"
)

// Laps times the stages of one request.
type Laps struct {
	m         *Metrics
	operation string
	last      time.Time
}

type lapsKey struct{}

// StartLaps begins timing a request's stages; the first lap starts now.
func (m *Metrics) StartLaps(operation string) *Laps {
	return &Laps{m: m, operation: operation, last: time.Now()}
}

// WithLaps returns ctx carrying l.
func WithLaps(ctx context.Context, l *Laps) context.Context {
	return context.WithValue(ctx, lapsKey{}, l)
}

// Lap records the time since the previous lap of the request in ctx as stage. Without
// laps in ctx it does nothing. A request's laps are taken one after another, never at
// once (a grouped write hands its request from goroutine to goroutine over channels).
func Lap(ctx context.Context, stage string) {
	l, _ := ctx.Value(lapsKey{}).(*Laps)
	if l == nil {
		return
	}
	now := time.Now()
	l.m.stages.WithLabelValues(l.operation, stage).Observe(now.Sub(l.last).Seconds())
	l.last = now
}

// ObserveGroup records one group commit: how many writes it held and how long the commit
// took.
func (m *Metrics) ObserveGroup(writes int, commit time.Duration) {
	m.groupSize.Observe(float64(writes))
	m.groupCommit.Observe(commit.Seconds())
}

func newStageCollectors() (stages *prometheus.HistogramVec, size, commit prometheus.Histogram) {
	stages = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tenure_request_stage_duration_seconds",
		Help:    "Time API requests spend in each stage (auth, decode, queue, load, evaluate, write, commit), by operation.",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}},
		[]string{"operation", "stage"})
	size = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tenure_write_group_size",
		Help: "Writes coalesced into one committed transaction.", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}})
	commit = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tenure_write_group_commit_seconds",
		Help: "Time the commit of a group of writes took.", Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1}})
	return stages, size, commit
}
