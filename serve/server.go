// Package serve owns latent's inference server: the Open Inference
// Protocol v2 REST API (the KServe / Triton "v2" protocol) over models
// loaded once at start from the paths given, plus a score convenience
// endpoint that returns per-sample anomaly scores and flags for latent
// autoencoders, Prometheus metrics, bounded concurrency, optional dynamic
// batching, request-size limits and graceful shutdown.
//
// Endpoints:
//
//	GET  /v2                                  server metadata
//	GET  /v2/health/live, /v2/health/ready    liveness, readiness
//	GET  /v2/models/{name}[/versions/1]       model metadata
//	GET  /v2/models/{name}[/versions/1]/ready model readiness
//	POST /v2/models/{name}[/versions/1]/infer inference
//	POST /v2/models/{name}/score              anomaly scores and flags
//	GET  /metrics                             Prometheus metrics
//
// A latent model whose metadata records the scale of its training data
// (latent.input_units, latent.input_range; see package data) takes UINT8
// inputs as pixel bytes, divided by 255 as every latent command reads
// them, and answers inputs plainly on another scale (raw 0–255 pixels for
// a model trained on [0, 1]) with a "scale_warning" response parameter,
// counted in latent_input_scale_warnings_total; the model metadata
// endpoint reports input_units and input_range.
//
// Tensors travel as JSON ("data" flat or nested, in row-major order) or
// with the binary tensor data extension (Inference-Header-Content-Length)
// that tritonclient uses by default. Errors are {"error": "..."} with
// status 400 (bad request), 404 (unknown model or path), 413 (request too
// large), 500 (the model failed) or 503 (shutting down, or no capacity
// before the request's deadline).
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	stdruntime "runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

// ModelSpec names a model file to serve.
type ModelSpec struct {
	Name string
	Path string
}

// Config configures a Server. Zero values pick the defaults noted.
type Config struct {
	Models []ModelSpec
	// Backend is the runtime backend name (default "native").
	Backend string
	// MaxConcurrent bounds model runs in flight across all models
	// (default 2×GOMAXPROCS). Requests wait for a slot at most QueueTimeout
	// (default 10s) or until the client leaves, then get 503.
	MaxConcurrent int
	QueueTimeout  time.Duration
	// MaxBatch > 1 turns on dynamic batching: concurrent infer requests to
	// a model with one batch-major input are concatenated along axis 0 up
	// to MaxBatch rows, waiting at most MaxDelay for company.
	MaxBatch int
	MaxDelay time.Duration
	// MaxRequestBytes limits request bodies (default 32 MiB; 413 beyond).
	MaxRequestBytes int64
	// HTTP timeouts (defaults 30s, 60s, 120s) and the time Serve gives
	// in-flight requests to finish on shutdown (default 30s).
	ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration
	// Logger receives request errors and lifecycle events (default: discard).
	Logger *slog.Logger
}

// Server serves a fixed set of models. Create it with New, mount Handler
// or call Serve, and Close it when done.
type Server struct {
	cfg    Config
	models map[string]*model
	order  []string
	sem    chan struct{}
	// ready is false once shutdown begins (health reports it; requests
	// already accepted still run) and closed once Close ran (runs get 503).
	ready   atomic.Bool
	closed  atomic.Bool
	log     *slog.Logger
	reg     *prometheus.Registry
	handler http.Handler

	requests *prometheus.CounterVec
	errs     *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	batches  *prometheus.HistogramVec
	inflight prometheus.Gauge

	scaleWarnings *prometheus.CounterVec
}

type model struct {
	name      string
	path      string
	sess      *runtime.Session
	inputs    []graph.ValueInfo
	outputs   []graph.ValueInfo
	threshold *float64
	latent    bool // carries latent metadata
	// scaler is the recorded training data of a latent model whose input
	// is data (model and encoder parts; nil otherwise): UINT8 inputs are
	// mapped to [0,1] by the data package's rule, and inputs plainly on
	// another scale draw a warning.
	scaler       *data.Scaler
	lastScaleLog atomic.Int64 // unix nanoseconds of the last scale warning logged
	batcher      *batcher
}

// New opens every model (failing on the first that does not load) and
// builds the server.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if len(cfg.Models) == 0 {
		return nil, errors.New("serve: no models given")
	}
	if cfg.Backend == "" {
		cfg.Backend = runtime.NativeBackendName
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 2 * maxProcs()
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 32 << 20
	}
	if cfg.MaxBatch > 1 && cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 2 * time.Millisecond
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.ReadTimeout, 30*time.Second)
	def(&cfg.WriteTimeout, 60*time.Second)
	def(&cfg.IdleTimeout, 120*time.Second)
	def(&cfg.ShutdownTimeout, 30*time.Second)
	def(&cfg.QueueTimeout, 10*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, models: map[string]*model{}, sem: make(chan struct{}, cfg.MaxConcurrent), log: cfg.Logger}
	for _, ms := range cfg.Models {
		if err := validName(ms.Name); err != nil {
			s.Close()
			return nil, fmt.Errorf("serve: model %q: %w", ms.Name, err)
		}
		if _, dup := s.models[ms.Name]; dup {
			s.Close()
			return nil, fmt.Errorf("serve: model name %q given twice", ms.Name)
		}
		if err := ctx.Err(); err != nil {
			s.Close()
			return nil, fmt.Errorf("serve: %w", err)
		}
		sess, err := runtime.Open(ms.Path, runtime.WithBackend(cfg.Backend))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("serve: model %q: %w", ms.Name, err)
		}
		m := &model{name: ms.Name, path: ms.Path, sess: sess, inputs: sess.Inputs(), outputs: sess.Outputs()}
		if md, err := metadata.Read(sess.Model()); err == nil {
			m.latent, m.threshold = true, md.Threshold
			if (md.Part == metadata.PartModel || md.Part == metadata.PartEncoder) && len(m.inputs) == 1 {
				m.scaler = &md.Scaler
			}
		}
		for _, vi := range append(append([]graph.ValueInfo(nil), m.inputs...), m.outputs...) {
			if vi.DType != ops.Invalid && DatatypeName(vi.DType) == "" {
				sess.Close()
				s.Close()
				return nil, fmt.Errorf("serve: model %q: value %q has element type %v, which the protocol cannot carry", ms.Name, vi.Name, vi.DType)
			}
		}
		s.models[ms.Name] = m
		s.order = append(s.order, ms.Name)
		s.log.Info("model loaded", "model", ms.Name, "path", ms.Path, "backend", sess.Backend())
	}
	s.initMetrics()
	for _, m := range s.models {
		if cfg.MaxBatch > 1 && batchable(m) {
			m.batcher = newBatcher(s, m)
		}
	}
	s.handler = s.routes()
	s.ready.Store(true)
	return s, nil
}

func validName(n string) error {
	if n == "" {
		return errors.New("empty name")
	}
	for _, r := range n {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("name may only hold letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

func (s *Server) initMetrics() {
	s.reg = prometheus.NewRegistry()
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latent_requests_total", Help: "Requests by model, endpoint and HTTP status code.",
	}, []string{"model", "endpoint", "code"})
	s.errs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latent_request_errors_total", Help: "Requests answered with an error status, by model and endpoint.",
	}, []string{"model", "endpoint"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "latent_request_duration_seconds", Help: "Request latency by model and endpoint.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
	}, []string{"model", "endpoint"})
	s.batches = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "latent_batch_requests", Help: "Requests merged into one model run by dynamic batching.",
		Buckets: prometheus.LinearBuckets(1, 1, 16),
	}, []string{"model"})
	s.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "latent_runs_in_flight", Help: "Model runs executing now.",
	})
	s.scaleWarnings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latent_input_scale_warnings_total", Help: "Requests whose input was plainly on another scale than the model's training data.",
	}, []string{"model"})
	s.reg.MustRegister(s.requests, s.errs, s.latency, s.batches, s.inflight, s.scaleWarnings)
}

// Handler returns the HTTP handler of the API and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// Ready reports whether the server accepts inference requests.
func (s *Server) Ready() bool { return s.ready.Load() }

// Serve answers requests on ln until ctx ends, then stops accepting
// connections, reports not ready, waits up to ShutdownTimeout for requests
// in flight to finish and returns. It does not close the models (Close).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadTimeout:       s.cfg.ReadTimeout,
		ReadHeaderTimeout: s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "models", strings.Join(s.order, ","))
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.ready.Store(false)
	s.log.Info("shutting down: draining requests in flight", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// Close stops the batchers and closes every model session (after the runs
// in flight).
func (s *Server) Close() error {
	s.ready.Store(false)
	s.closed.Store(true)
	var first error
	for _, m := range s.models {
		if m.batcher != nil {
			m.batcher.stop()
		}
		if err := m.sess.Close(); err != nil && first == nil {
			first = fmt.Errorf("close model %q: %w", m.name, err)
		}
	}
	return first
}

// httpError is an error with its HTTP status.
type httpError struct {
	code int
	err  error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func errorf(code int, format string, a ...any) error {
	return &httpError{code, fmt.Errorf(format, a...)}
}

func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.code
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// statusRecorder captures the status code for metrics.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(c int) {
	if r.code == 0 {
		r.code = c
	}
	r.ResponseWriter.WriteHeader(c)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// handle wraps an endpoint: metrics, panics turned into 500s, JSON errors.
func (s *Server) handle(endpoint string, h func(w http.ResponseWriter, r *http.Request, m *model) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		label := ""
		var m *model
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("panic in handler", "endpoint", endpoint, "panic", p, "stack", string(debug.Stack()))
					err = errorf(http.StatusInternalServerError, "internal error: %v", p)
				}
			}()
			if name := r.PathValue("name"); name != "" {
				var ok bool
				if m, ok = s.models[name]; !ok {
					return errorf(http.StatusNotFound, "unknown model %q (serving %s)", name, strings.Join(s.order, ", "))
				}
				label = name
				if v := r.PathValue("version"); v != "" && v != "1" {
					return errorf(http.StatusNotFound, "model %q has no version %q (only \"1\")", name, v)
				}
			}
			return h(rec, r, m)
		}()
		if err != nil {
			code := statusOf(err)
			if code >= 500 {
				s.log.Error("request failed", "endpoint", endpoint, "model", label, "status", code, "err", err)
			}
			writeJSON(rec, code, map[string]string{"error": err.Error()})
		}
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		s.requests.WithLabelValues(label, endpoint, strconv.Itoa(code)).Inc()
		if code >= 400 {
			s.errs.WithLabelValues(label, endpoint).Inc()
		}
		s.latency.WithLabelValues(label, endpoint).Observe(time.Since(start).Seconds())
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /v2", s.handle("server_metadata", s.serverMetadata))
	mux.HandleFunc("GET /v2/{$}", s.handle("server_metadata", s.serverMetadata))
	mux.HandleFunc("GET /v2/health/live", s.handle("live", func(w http.ResponseWriter, r *http.Request, _ *model) error {
		writeJSON(w, http.StatusOK, map[string]bool{"live": true})
		return nil
	}))
	mux.HandleFunc("GET /v2/health/ready", s.handle("ready", func(w http.ResponseWriter, r *http.Request, _ *model) error {
		if !s.ready.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]bool{"ready": false})
			return nil
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
		return nil
	}))
	for _, prefix := range []string{"/v2/models/{name}", "/v2/models/{name}/versions/{version}"} {
		mux.HandleFunc("GET "+prefix, s.handle("model_metadata", s.modelMetadata))
		mux.HandleFunc("GET "+prefix+"/ready", s.handle("model_ready", s.modelReady))
		mux.HandleFunc("POST "+prefix+"/infer", s.handle("infer", s.infer))
		mux.HandleFunc("POST "+prefix+"/score", s.handle("score", s.score))
	}
	mux.HandleFunc("/", s.handle("unknown", func(w http.ResponseWriter, r *http.Request, _ *model) error {
		return errorf(http.StatusNotFound, "no endpoint %s %s", r.Method, r.URL.Path)
	}))
	return mux
}

// Version is the server version reported by GET /v2.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func (s *Server) serverMetadata(w http.ResponseWriter, r *http.Request, _ *model) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"name":       "latent",
		"version":    Version(),
		"extensions": []string{"binary_tensor_data", "score"},
	})
	return nil
}

type tensorMeta struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

func metaOf(vi graph.ValueInfo) tensorMeta {
	tm := tensorMeta{Name: vi.Name, Datatype: DatatypeName(vi.DType), Shape: []int64{}}
	if tm.Datatype == "" {
		tm.Datatype = "FP32"
	}
	for _, d := range vi.Shape {
		if d.Known() {
			tm.Shape = append(tm.Shape, d.Value)
		} else {
			tm.Shape = append(tm.Shape, -1)
		}
	}
	return tm
}

func (s *Server) modelMetadata(w http.ResponseWriter, r *http.Request, m *model) error {
	md := map[string]any{
		"name":     m.name,
		"versions": []string{"1"},
		"platform": "onnx_onnxv1",
	}
	var ins, outs []tensorMeta
	for _, vi := range m.inputs {
		ins = append(ins, metaOf(vi))
	}
	for _, vi := range m.outputs {
		outs = append(outs, metaOf(vi))
	}
	md["inputs"], md["outputs"] = ins, outs
	params := map[string]any{"backend": m.sess.Backend()}
	if m.threshold != nil {
		params["threshold"] = *m.threshold
	}
	if m.latent {
		params["kind"], _ = m.sess.Model().MetadataValue(metadata.KeyKind)
	}
	if m.scaler != nil && m.scaler.Range != nil {
		// What a client must send: values on the training data's scale.
		params["input_units"] = string(m.scaler.Units)
		params["input_range"] = m.scaler.Range
	}
	md["parameters"] = params
	writeJSON(w, http.StatusOK, md)
	return nil
}

func (s *Server) modelReady(w http.ResponseWriter, r *http.Request, m *model) error {
	code := http.StatusOK
	if !s.ready.Load() {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"name": m.name, "ready": code == http.StatusOK})
	return nil
}

// acquire takes a run slot, waiting until ctx ends. Requests accepted
// before shutdown began still get one, so shutdown drains them.
func (s *Server) acquire(ctx context.Context) error {
	if s.closed.Load() {
		return errorf(http.StatusServiceUnavailable, "server is shut down")
	}
	select {
	case s.sem <- struct{}{}:
		s.inflight.Inc()
		return nil
	default:
	}
	timer := time.NewTimer(s.cfg.QueueTimeout)
	defer timer.Stop()
	select {
	case s.sem <- struct{}{}:
		s.inflight.Inc()
		return nil
	case <-timer.C:
		return errorf(http.StatusServiceUnavailable, "no capacity: %d runs in flight for %v", cap(s.sem), s.cfg.QueueTimeout)
	case <-ctx.Done():
		return errorf(http.StatusServiceUnavailable, "no capacity before the request ended: %v", ctx.Err())
	}
}

func (s *Server) release() {
	s.inflight.Dec()
	<-s.sem
}

// run executes m on inputs in graph order, through the batcher when there
// is one.
func (s *Server) run(ctx context.Context, m *model, ins []*ops.Tensor) ([]*ops.Tensor, error) {
	if err := m.sess.CheckInputs(ins); err != nil {
		return nil, errorf(http.StatusBadRequest, "model %q: %v", m.name, err)
	}
	if m.batcher != nil {
		return m.batcher.submit(ctx, ins[0])
	}
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	s.batches.WithLabelValues(m.name).Observe(1)
	outs, err := m.sess.RunOrdered(ctx, ins)
	if err != nil {
		return nil, errorf(http.StatusInternalServerError, "model %q: run: %v", m.name, err)
	}
	return outs, nil
}

func maxProcs() int { return max(stdruntime.GOMAXPROCS(0), 1) }
