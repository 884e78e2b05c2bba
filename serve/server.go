// Package serve owns latent's inference server: the Open Inference
// Protocol v2 (the KServe / Triton "v2" protocol) over REST and gRPC, a
// model repository with load, unload and hot reload, per-model statistics
// in Triton's shape, a score endpoint that returns per-sample anomaly
// scores and flags for latent autoencoders, Prometheus metrics, bounded
// concurrency, optional dynamic batching, request-size limits and graceful
// shutdown.
//
// REST endpoints:
//
//	GET  /v2                                  server metadata
//	GET  /v2/health/live, /v2/health/ready    liveness, readiness
//	GET  /v2/models/{name}[/versions/{v}]       model metadata
//	GET  /v2/models/{name}[/versions/{v}]/ready model readiness
//	POST /v2/models/{name}[/versions/{v}]/infer inference
//	POST /v2/models/{name}[/versions/{v}]/score anomaly scores and flags
//	GET  /v2/models[/{name}[/versions/{v}]]/stats statistics
//	POST /v2/repository/index                 models of the repository
//	POST /v2/repository/models/{name}/load    load or reload a model
//	POST /v2/repository/models/{name}/unload  unload a model
//	GET  /metrics                             Prometheus metrics
//
// The gRPC service (Serve a listener with ServeGRPC) is
// inference.GRPCInferenceService of package inferencepb: the same calls
// plus ModelStreamInfer.
//
// A latent model whose metadata records the scale of its training data
// (latent.input_units, latent.input_range; see package data) takes UINT8
// inputs as pixel bytes, divided by 255 as every latent command reads
// them, and answers inputs plainly on another scale (raw 0–255 pixels for
// a model trained on [0, 1]) with a "scale_warning" response parameter,
// counted in latent_input_scale_warnings_total; the model metadata
// endpoint reports input_units and input_range.
//
// REST tensors travel as JSON ("data" flat or nested, in row-major order)
// or with the binary tensor data extension (Inference-Header-Content-Length)
// that tritonclient uses by default; gRPC tensors as typed contents or raw
// little-endian bytes. Both protocols share the limits (request size, runs
// in flight, queue time), the batching, the statistics and the metrics. A
// failure has one status that each protocol spells its own way: 400 /
// InvalidArgument (bad request), 404 / NotFound (unknown model or path),
// 413 / ResourceExhausted (request too large), 500 / Internal (the model
// failed), 503 / Unavailable (shutting down, or no capacity before the
// request's deadline); a request whose client left is Canceled or
// DeadlineExceeded in gRPC.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	stdruntime "runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latent-ml/latent/internal/promtext"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
)

// ModelSpec names a model file to serve.
type ModelSpec struct {
	Name string
	Path string
}

// Config configures a Server. Zero values pick the defaults noted.
type Config struct {
	// Models are served from fixed paths, as version "1".
	Models []ModelSpec
	// Repository is a model repository folder: one subfolder per model,
	// DIR/NAME/model.onnx or Triton's versioned DIR/NAME/<n>/model.onnx
	// (the highest n is served). A folder holding one model file directly
	// (DIR/model.onnx, as KServe mounts a single model at /mnt/models) is
	// served as ModelName. Every model in it is loaded at start; the
	// repository API loads, reloads and unloads them afterwards.
	Repository string
	// ModelName names the model of a single-model Repository (default
	// "model").
	ModelName string
	// PollInterval > 0 rescans Repository that often: new model folders
	// are loaded, models whose file changed are reloaded (requests in
	// flight finish on the old one) and models whose folder is gone are
	// unloaded.
	PollInterval time.Duration
	// Backend is the runtime backend name (default "native").
	Backend string
	// Threads bounds the goroutines (native) or threads (ORT) one model
	// run may use (default: the backend's, GOMAXPROCS for native).
	Threads int
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
	// MaxRequestBytes limits request bodies and gRPC messages (default
	// 32 MiB; 413 / ResourceExhausted beyond).
	MaxRequestBytes int64
	// HTTP timeouts (defaults 30s, 60s, 120s; ReadTimeout also bounds a
	// gRPC connection's handshake and IdleTimeout its idle time) and the
	// time Serve and ServeGRPC give requests in flight to finish on
	// shutdown (default 30s).
	ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration
	// Logger receives request errors and lifecycle events (default: discard).
	Logger *slog.Logger
}

// Server serves the models of its Config. Create it with New, mount
// Handler or call Serve (REST) and ServeGRPC (gRPC), and Close it when
// done.
type Server struct {
	cfg Config
	sem chan struct{}
	// ready is false once shutdown begins (health reports it; requests
	// already accepted still run) and closed once Close ran (runs get 503).
	ready   atomic.Bool
	closed  atomic.Bool
	log     *slog.Logger
	reg     *promtext.Registry
	handler http.Handler
	repo    repository
	metrics metrics

	stopPoll chan struct{}
	pollDone sync.WaitGroup
	closeMu  sync.Mutex
}

// New opens every model of cfg (failing on the first that does not load)
// and builds the server.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if len(cfg.Models) == 0 && cfg.Repository == "" {
		return nil, errors.New("serve: no models given (give a model or a model repository)")
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
	s := &Server{cfg: cfg, sem: make(chan struct{}, cfg.MaxConcurrent), log: cfg.Logger, stopPoll: make(chan struct{})}
	s.initMetrics()
	if err := s.repo.init(s); err != nil {
		s.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	if err := s.repo.loadAll(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	s.handler = s.routes()
	s.ready.Store(true)
	if cfg.Repository != "" && cfg.PollInterval > 0 {
		s.pollDone.Add(1)
		go s.repo.poll(cfg.PollInterval, s.stopPoll, &s.pollDone)
	}
	return s, nil
}

func validName(n string) error {
	if n == "" {
		return errors.New("empty name")
	}
	if n == "." || n == ".." {
		return fmt.Errorf("name %q is a path element", n)
	}
	for _, r := range n {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("name may only hold letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

// Handler returns the HTTP handler of the REST API and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// Ready reports whether the server accepts inference requests.
func (s *Server) Ready() bool { return s.ready.Load() }

// Serve answers REST requests on ln until ctx ends, then stops accepting
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
	s.log.Info("serving REST", "addr", ln.Addr().String(), "models", strings.Join(s.repo.names(), ","))
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.ready.Store(false)
	s.log.Info("shutting down REST: draining requests in flight", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("stopped", "protocol", "REST")
	return nil
}

// Close stops repository polling, then unloads every model: each closes
// once its requests in flight have finished.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	s.ready.Store(false)
	if s.closed.Swap(true) {
		return nil
	}
	close(s.stopPoll)
	s.pollDone.Wait()
	return s.repo.closeAll()
}

// apiError is an error with the HTTP status it answers with; grpcStatus
// spells the same status as a gRPC code, so both protocols report a
// failure alike.
type apiError struct {
	code int
	err  error
}

func (e *apiError) Error() string { return e.err.Error() }
func (e *apiError) Unwrap() error { return e.err }

func errorf(code int, format string, a ...any) error {
	return &apiError{code, fmt.Errorf(format, a...)}
}

func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.code
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// acquire takes a run slot, waiting until ctx ends. Requests accepted
// before shutdown began still get one, so shutdown drains them.
func (s *Server) acquire(ctx context.Context) error {
	if s.closed.Load() {
		return errorf(http.StatusServiceUnavailable, "server is shut down")
	}
	select {
	case s.sem <- struct{}{}:
		s.metrics.inflight.Inc()
		return nil
	default:
	}
	timer := time.NewTimer(s.cfg.QueueTimeout)
	defer timer.Stop()
	select {
	case s.sem <- struct{}{}:
		s.metrics.inflight.Inc()
		return nil
	case <-timer.C:
		return errorf(http.StatusServiceUnavailable, "no capacity: %d runs in flight for %v", cap(s.sem), s.cfg.QueueTimeout)
	case <-ctx.Done():
		return errorf(http.StatusServiceUnavailable, "no capacity before the request ended: %w", ctx.Err())
	}
}

func (s *Server) release() {
	s.metrics.inflight.Dec()
	<-s.sem
}

// runInfo says how a request's run went, for the statistics: how long it
// waited for a slot or a batch, and how long the model run took.
type runInfo struct {
	queue, infer time.Duration
}

// run executes m on inputs in graph order, through the batcher when there
// is one.
func (s *Server) run(ctx context.Context, m *model, ins []*ops.Tensor) ([]*ops.Tensor, runInfo, error) {
	if err := m.sess.CheckInputs(ins); err != nil {
		return nil, runInfo{}, errorf(http.StatusBadRequest, "model %q: %v", m.name, err)
	}
	if m.batcher != nil {
		return m.batcher.submit(ctx, ins[0])
	}
	queued := time.Now()
	s.metrics.pending.Inc()
	err := s.acquire(ctx)
	s.metrics.pending.Dec()
	if err != nil {
		return nil, runInfo{}, err
	}
	defer s.release()
	start := time.Now()
	s.metrics.batches.WithLabelValues(m.name).Observe(1)
	outs, err := m.sess.RunOrdered(ctx, ins)
	ri := runInfo{queue: start.Sub(queued), infer: time.Since(start)}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ri, errorf(http.StatusServiceUnavailable, "model %q: run stopped: %w", m.name, ctx.Err())
		}
		return nil, ri, errorf(http.StatusInternalServerError, "model %q: run: %v", m.name, err)
	}
	m.stats.execution(m.samples(ins), 0, ri.infer, 0)
	return outs, ri, nil
}

func maxProcs() int { return max(stdruntime.GOMAXPROCS(0), 1) }

// Version is the server version reported by server metadata.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// extensions are the protocol extensions server metadata lists.
var extensions = []string{"binary_tensor_data", "model_repository", "statistics", "score"}
