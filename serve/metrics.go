package serve

import (
	"time"

	"github.com/latent-ml/latent/internal/promtext"
)

// metrics are the server's Prometheus metrics, shared by both protocols:
// protocol is "http" or "grpc", and code is the HTTP status or the gRPC
// code name ("OK", "InvalidArgument" …) the request was answered with.
type metrics struct {
	requests      *promtext.CounterVec
	errs          *promtext.CounterVec
	latency       *promtext.HistogramVec
	batches       *promtext.HistogramVec
	inflight      *promtext.Gauge
	pending       *promtext.Gauge
	loads         *promtext.CounterVec
	loaded        *promtext.Gauge
	scaleWarnings *promtext.CounterVec
}

func (s *Server) initMetrics() {
	r := promtext.NewRegistry()
	s.reg = r
	s.metrics = metrics{
		requests: r.Counter("latent_requests_total", "Requests by model, endpoint, protocol and status (HTTP status or gRPC code).",
			"model", "endpoint", "protocol", "code"),
		errs: r.Counter("latent_request_errors_total", "Requests answered with an error, by model, endpoint and protocol.",
			"model", "endpoint", "protocol"),
		latency: r.Histogram("latent_request_duration_seconds", "Request latency by model, endpoint and protocol.",
			promtext.ExponentialBuckets(0.0001, 2.5, 14), "model", "endpoint", "protocol"),
		batches: r.Histogram("latent_batch_requests", "Requests merged into one model run by dynamic batching.",
			promtext.LinearBuckets(1, 1, 16), "model"),
		inflight: r.Gauge("latent_runs_in_flight", "Model runs executing now."),
		pending: r.Gauge("latent_requests_pending",
			"Decoded inference requests waiting for a run slot or for their batch to run."),
		loads:  r.Counter("latent_model_loads_total", "Model loads and reloads by model and result (ok, error).", "model", "result"),
		loaded: r.Gauge("latent_models_loaded", "Models loaded and serving."),
		scaleWarnings: r.Counter("latent_input_scale_warnings_total",
			"Requests whose input was plainly on another scale than the model's training data.", "model"),
	}
}

// observe counts one answered request.
func (m *metrics) observe(model, endpoint, protocol, code string, failed bool, took time.Duration) {
	m.requests.WithLabelValues(model, endpoint, protocol, code).Inc()
	if failed {
		m.errs.WithLabelValues(model, endpoint, protocol).Inc()
	}
	m.latency.WithLabelValues(model, endpoint, protocol).Observe(took.Seconds())
}
