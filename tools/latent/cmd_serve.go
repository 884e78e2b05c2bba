package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/serve"
)

const serveUsage = `usage: latent serve --model NAME=PATH [--model NAME=PATH …] [--addr 127.0.0.1:8000] [flags]

Serves ONNX models over the Open Inference Protocol v2 REST API (KServe /
Triton "v2"): GET /v2, /v2/health/live, /v2/health/ready,
/v2/models/NAME, /v2/models/NAME/ready and POST /v2/models/NAME/infer
with JSON tensors (flat or nested "data") or the binary tensor extension,
plus POST /v2/models/NAME/score for per-sample anomaly scores and flags
(threshold from latent.threshold or ?threshold=) and Prometheus metrics at
/metrics. Models load only from the paths given here, once, at start.
SIGINT/SIGTERM stop accepting connections and drain requests in flight.

examples:
  latent serve --model ae=runs/deep/model.onnx
  latent serve --model ae=model.onnx --model enc=encoder.onnx --addr 127.0.0.1:9000 \
      --max-batch 64 --max-delay 2ms --max-concurrent 4
  curl -s 127.0.0.1:8000/v2/models/ae/infer -d \
      '{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[[0.1,0.2,0.3,0.4]]}]}'`

func init() {
	register(&command{
		name:    "serve",
		summary: "serve models over the Open Inference Protocol v2 (KServe/Triton) with /metrics",
		run:     cmdServe,
	})
}

// modelFlags collects repeated --model NAME=PATH flags.
type modelFlags []serve.ModelSpec

func (m *modelFlags) String() string {
	var s []string
	for _, x := range *m {
		s = append(s, x.Name+"="+x.Path)
	}
	return strings.Join(s, ",")
}

func (m *modelFlags) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("%q is not NAME=PATH", v)
	}
	*m = append(*m, serve.ModelSpec{Name: name, Path: path})
	return nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveUsage, stderr)
	var models modelFlags
	fs.Var(&models, "model", "NAME=PATH of a model to serve (repeatable, at least one)")
	addr := fs.String("addr", "127.0.0.1:8000", "listen address")
	backend := fs.String("backend", runtime.NativeBackendName, "backend: "+strings.Join(runtime.BackendNames(), ", "))
	maxConc := fs.Int("max-concurrent", 0, "model runs in flight at once (0: 2×GOMAXPROCS)")
	queueTO := fs.Duration("queue-timeout", 10*time.Second, "longest wait for a free run slot (503 after)")
	maxBatch := fs.Int("max-batch", 0, "dynamic batching: rows merged into one run (0 or 1: off)")
	maxDelay := fs.Duration("max-delay", 2*time.Millisecond, "dynamic batching: longest wait for more requests")
	maxBytes := fs.Int64("max-request-bytes", 32<<20, "largest request body accepted (413 beyond)")
	readTO := fs.Duration("read-timeout", 30*time.Second, "HTTP read timeout")
	writeTO := fs.Duration("write-timeout", 60*time.Second, "HTTP write timeout")
	idleTO := fs.Duration("idle-timeout", 120*time.Second, "HTTP keep-alive idle timeout")
	drain := fs.Duration("shutdown-timeout", 30*time.Second, "time given to requests in flight on shutdown")
	logJSON := fs.Bool("log-json", false, "log as JSON lines instead of text")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q (models are given with --model NAME=PATH)", pos)
	}
	if len(models) == 0 {
		return usagef("at least one --model NAME=PATH is required (see latent serve --help)")
	}
	if *maxBatch < 0 || *maxConc < 0 || *maxBytes <= 0 || *queueTO < 0 {
		return usagef("--max-batch, --max-concurrent and --queue-timeout must be ≥ 0 and --max-request-bytes > 0")
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logJSON {
		h = slog.NewJSONHandler(stderr, nil)
	}
	logger := slog.New(h)
	srv, err := serve.New(ctx, serve.Config{
		Models: models, Backend: *backend, MaxConcurrent: *maxConc, QueueTimeout: *queueTO, MaxBatch: *maxBatch, MaxDelay: *maxDelay,
		MaxRequestBytes: *maxBytes, ReadTimeout: *readTO, WriteTimeout: *writeTO, IdleTimeout: *idleTO,
		ShutdownTimeout: *drain, Logger: logger,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	fmt.Fprintf(stdout, "latent serve: listening on http://%s\n", ln.Addr())
	return srv.Serve(ctx, ln)
}
