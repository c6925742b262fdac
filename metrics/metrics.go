// Package metrics exposes Tenure's Prometheus metrics: events ingested by type and outcome,
// request latency, ledger entries written, webhook deliveries and job lag.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tenure-loyalty/tenure"
)

// Metrics holds the collectors in their own registry (no global state).
type Metrics struct {
	Registry   *prometheus.Registry
	events     *prometheus.CounterVec
	requests   *prometheus.HistogramVec
	entries    prometheus.Counter
	deliveries *prometheus.CounterVec
	jobs       *prometheus.CounterVec
	JobLag     prometheus.Gauge

	stages      *prometheus.HistogramVec
	groupSize   prometheus.Histogram
	groupCommit prometheus.Histogram
}

// New registers Tenure's collectors and the Go runtime's.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tenure_events_ingested_total",
			Help: "Events received, by type and outcome (processed, replay, rejected)."}, []string{"type", "outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tenure_http_request_duration_seconds",
			Help: "API request latency by operation and status.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}},
			[]string{"operation", "status"}),
		entries: prometheus.NewCounter(prometheus.CounterOpts{Name: "tenure_ledger_entries_total", Help: "Ledger entries written by this process."}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tenure_webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome (succeeded, failed, dead)."}, []string{"outcome"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tenure_jobs_total", Help: "Scheduled jobs run, by outcome."}, []string{"outcome"}),
		JobLag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tenure_job_lag_seconds",
			Help: "How late the oldest due job is, sampled by the worker."}),
	}
	m.stages, m.groupSize, m.groupCommit = newStageCollectors()
	m.Registry.MustRegister(m.events, m.requests, m.entries, m.deliveries, m.jobs, m.JobLag, m.stages, m.groupSize, m.groupCommit,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{"succeeded", "failed", "dead"} {
		m.deliveries.WithLabelValues(o) // export zeros so alerts can be written before the first delivery
	}
	m.jobs.WithLabelValues("done")
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// EventIngested counts one event.
func (m *Metrics) EventIngested(t tenure.EventType, outcome string) {
	m.events.WithLabelValues(string(t), outcome).Inc()
}

// LedgerEntries counts entries written.
func (m *Metrics) LedgerEntries(n int) { m.entries.Add(float64(n)) }

// ObserveRequest records one API request.
func (m *Metrics) ObserveRequest(operation string, status int, d time.Duration) {
	m.requests.WithLabelValues(operation, strconv.Itoa(status)).Observe(d.Seconds())
}

// Delivery counts one webhook attempt.
func (m *Metrics) Delivery(outcome string) { m.deliveries.WithLabelValues(outcome).Inc() }

// Jobs counts completed jobs.
func (m *Metrics) Jobs(outcome string, n int) { m.jobs.WithLabelValues(outcome).Add(float64(n)) }
