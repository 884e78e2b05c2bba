package serve

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus metrics, shared by both protocols:
// protocol is "http" or "grpc", and code is the HTTP status or the gRPC
// code name ("OK", "InvalidArgument" …) the request was answered with.
type metrics struct {
	requests *prometheus.CounterVec
	errs     *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	batches  *prometheus.HistogramVec
	inflight prometheus.Gauge
	loads    *prometheus.CounterVec
	loaded   prometheus.Gauge

	scaleWarnings *prometheus.CounterVec
}

func (s *Server) initMetrics() {
	s.reg = prometheus.NewRegistry()
	m := &s.metrics
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latent_requests_total", Help: "Requests by model, endpoint, protocol and status (HTTP status or gRPC code).",
	}, []string{"model", "endpoint", "protocol", "code"})
	m.errs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latent_request_errors_total", Help: "Requests answered with an error, by model, endpoint and protocol.",
	}, []string{"model", "endpoint", "protocol"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "latent_request_duration_seconds", Help: "Request latency by model, endpoint and protocol.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
	}, []string{"model", "endpoint", "protocol"})
	m.batches = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "latent_batch_requests", Help: "Requests merged into one model run by dynamic batching.",
		Buckets: prometheus.LinearBuckets(1, 1, 16),
	}, []string{"model"})
	m.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "latent_runs_in_flight", Help: "Model runs executing now.",
	})
	m.loads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latent_model_loads_total", Help: "Model loads and reloads by model and result (ok, error).",
	}, []string{"model", "result"})
	m.loaded = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "latent_models_loaded", Help: "Models loaded and serving.",
	})
	m.scaleWarnings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latent_input_scale_warnings_total", Help: "Requests whose input was plainly on another scale than the model's training data.",
	}, []string{"model"})
	s.reg.MustRegister(m.requests, m.errs, m.latency, m.batches, m.inflight, m.loads, m.loaded, m.scaleWarnings)
}

// observe counts one answered request.
func (m *metrics) observe(model, endpoint, protocol, code string, failed bool, took time.Duration) {
	m.requests.WithLabelValues(model, endpoint, protocol, code).Inc()
	if failed {
		m.errs.WithLabelValues(model, endpoint, protocol).Inc()
	}
	m.latency.WithLabelValues(model, endpoint, protocol).Observe(took.Seconds())
}
