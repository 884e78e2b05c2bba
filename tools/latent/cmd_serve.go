package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/serve"
)

const serveUsage = `usage: latent serve (--model [NAME=]PATH … | --model-repository DIR) [--addr 127.0.0.1:8000] [--grpc-addr ADDR] [flags]

Serves ONNX models over the Open Inference Protocol v2 (KServe / Triton
"v2"): REST on --addr and, with --grpc-addr, gRPC
(inference.GRPCInferenceService) on its own address.

REST: GET /v2, /v2/health/live, /v2/health/ready, /v2/models/NAME,
/v2/models/NAME/ready, POST /v2/models/NAME/infer (JSON tensors, flat or
nested "data", or the binary tensor extension), GET /v2/models/NAME/stats
and /v2/models/stats (Triton's statistics), POST /v2/repository/index,
/v2/repository/models/NAME/load and …/unload, POST /v2/models/NAME/score
(per-sample anomaly scores and flags; threshold from latent.threshold or
?threshold=) and Prometheus metrics at /metrics. gRPC has the same calls
(ModelInfer with typed or raw contents, ModelStreamInfer,
ModelStatistics, Repository*) under the same limits, batching and metrics.

Models come from --model NAME=PATH (fixed files) and from a model
repository: one folder per model, DIR/NAME/model.onnx or Triton's
DIR/NAME/<version>/model.onnx (the highest version is served), or a folder
holding one model file (DIR/model.onnx, as KServe mounts /mnt/models),
served as --model-name. Every model loads at start; the repository API
loads, reloads (requests in flight finish on the old version) and unloads
them, and --repository-poll rescans the folder for new, changed and
removed models. SIGINT/SIGTERM stop accepting connections, report not
ready and drain requests in flight.

examples:
  latent serve --model ae=runs/deep/model.onnx
  latent serve --model-repository /srv/models --addr 0.0.0.0:8080 --grpc-addr 0.0.0.0:8081
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

// Set takes NAME=PATH or PATH alone (named after its folder, or the file
// without .onnx); PATH is a .onnx file or a run folder (its model.onnx).
func (m *modelFlags) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok {
		name, path = "", v
	}
	if path == "" || ok && name == "" {
		return fmt.Errorf("%q is not NAME=PATH or PATH", v)
	}
	p := path
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		p = filepath.Join(path, "model.onnx") // a run folder
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(p), ".onnx")
		if name == "model" {
			name = filepath.Base(filepath.Dir(p))
		}
	}
	*m = append(*m, serve.ModelSpec{Name: name, Path: p})
	return nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveUsage, stderr)
	var models modelFlags
	fs.Var(&models, "model", "NAME=PATH or PATH of a model to serve: a .onnx file or a run folder, named after the folder when NAME is left out (repeatable)")
	repo := fs.String("model-repository", "", "model repository folder (DIR/NAME/model.onnx, DIR/NAME/<version>/model.onnx, or DIR/model.onnx)")
	modelName := fs.String("model-name", "", "name of the model of a single-model repository folder (DIR/model.onnx; default \"model\")")
	poll := fs.Duration("repository-poll", 0, "rescan the model repository this often for new, changed and removed models (0: never)")
	addr := fs.String("addr", "127.0.0.1:8000", "REST listen address")
	grpcAddr := fs.String("grpc-addr", "", "gRPC listen address (empty: no gRPC; KServe's convention is port 8081)")
	backend := fs.String("backend", runtime.NativeBackendName, "backend: "+strings.Join(runtime.BackendNames(), ", "))
	maxConc := fs.Int("max-concurrent", 0, "model runs in flight at once (0: 2×GOMAXPROCS)")
	threads := fs.Int("threads", 0, "goroutines (native) or threads (ort) one model run may use (0: GOMAXPROCS)")
	queueTO := fs.Duration("queue-timeout", 10*time.Second, "longest wait for a free run slot (503 after)")
	maxBatch := fs.Int("max-batch", 0, "dynamic batching: rows merged into one run (0 or 1: off)")
	maxDelay := fs.Duration("max-delay", 2*time.Millisecond, "dynamic batching: longest wait for more requests")
	maxBytes := fs.Int64("max-request-bytes", 32<<20, "largest request body or gRPC message accepted (413 / ResourceExhausted beyond)")
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
	if len(models) == 0 && *repo == "" {
		return usagef("give a model: --model [NAME=]PATH (a .onnx file or a run folder) or --model-repository DIR")
	}
	if *maxBatch < 0 || *maxConc < 0 || *threads < 0 || *maxBytes <= 0 || *queueTO < 0 || *poll < 0 {
		return usagef("--max-batch, --max-concurrent, --threads, --queue-timeout and --repository-poll must be ≥ 0 and --max-request-bytes > 0")
	}
	if *repo == "" && (*modelName != "" || *poll > 0) {
		return usagef("--model-name and --repository-poll need --model-repository")
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logJSON {
		h = slog.NewJSONHandler(stderr, nil)
	}
	logger := slog.New(h)
	srv, err := serve.New(ctx, serve.Config{
		Models: models, Repository: *repo, ModelName: *modelName, PollInterval: *poll, Backend: *backend, Threads: *threads, MaxConcurrent: *maxConc, QueueTimeout: *queueTO, MaxBatch: *maxBatch, MaxDelay: *maxDelay,
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
	var gln net.Listener
	if *grpcAddr != "" {
		if gln, err = net.Listen("tcp", *grpcAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s (gRPC): %w", *grpcAddr, err)
		}
	}
	fmt.Fprintf(stdout, "latent serve: listening on http://%s\n", ln.Addr())
	if gln == nil {
		return srv.Serve(ctx, ln)
	}
	fmt.Fprintf(stdout, "latent serve: gRPC listening on %s\n", gln.Addr())
	// Either server failing stops the other; both drain on shutdown.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ctx, ln) }()
	go func() { errc <- srv.ServeGRPC(ctx, gln) }()
	first := <-errc
	stop()
	if second := <-errc; first == nil {
		first = second
	}
	return first
}
