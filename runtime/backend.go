// Package runtime owns model sessions: opening an ONNX model from a path,
// bytes or a reader, checking inputs against the graph's declared types and
// shapes, and running it on a pluggable backend. The native backend
// (package runtime/native, pure Go) is always available; the ONNX Runtime
// backend (package runtime/ort, cgo) registers itself when imported.
package runtime

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// Backend turns a decoded model into something that runs.
type Backend interface {
	// Name is the backend's registry name ("native", "ort").
	Name() string
	// Compile prepares m for execution. The returned Executable must be safe
	// for concurrent Run calls.
	Compile(ctx context.Context, m *graph.Model, cfg Config) (Executable, error)
}

// Executable is a compiled model.
type Executable interface {
	// Run executes the model. inputs follow m.Graph.Inputs order and have
	// already been checked against the declared types and shapes; outputs
	// follow m.Graph.Outputs order.
	Run(ctx context.Context, inputs []*ops.Tensor) ([]*ops.Tensor, error)
	// Close releases backend resources.
	Close() error
}

// ValueExecutable is an Executable that also runs models whose inputs or
// outputs are sequences, optionals or maps (Session.RunValues). inputs
// follow m.Graph.Inputs order, checked against the declared types.
type ValueExecutable interface {
	RunValues(ctx context.Context, inputs []*graph.Value) ([]*graph.Value, error)
}

// Config carries backend-independent settings.
type Config struct {
	// IntraOpThreads bounds the threads one Run uses (0: backend default).
	IntraOpThreads int
	// InterOpThreads bounds parallelism across nodes (0: backend default).
	InterOpThreads int
	// Seed seeds random operators that have no seed attribute.
	Seed uint64
	// Optimize enables graph optimisation passes (default true via Open).
	Optimize bool
	// DisabledPasses names native optimiser passes to skip (see
	// WithoutPasses); the ONNX Runtime backend has its own optimiser and
	// ignores it.
	DisabledPasses []string
	// MaxTensorBytes bounds one tensor a run allocates (0: the
	// graph.DefaultMaxTensorBytes default, negative: no bound); set from
	// WithLimits. The native backend enforces it.
	MaxTensorBytes int64
	// MaxLoopIterations and MaxSequenceLength bound one Loop's iterations
	// and one sequence's elements while a model runs (graph.Limits; 0:
	// the defaults, negative: no bound). The native backend enforces them.
	MaxLoopIterations int64
	MaxSequenceLength int64
}

var (
	backendsMu sync.RWMutex
	backends   = map[string]func() Backend{}
)

// RegisterBackend makes a backend available by name. It is called from the
// init function of the package that implements the backend.
func RegisterBackend(name string, factory func() Backend) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if _, dup := backends[name]; dup {
		panic("runtime: backend " + name + " registered twice")
	}
	backends[name] = factory
}

// LookupBackend returns the backend registered under name.
func LookupBackend(name string) (Backend, error) {
	backendsMu.RLock()
	f, ok := backends[name]
	backendsMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown backend %q (available: %v)", name, BackendNames())
	}
	return f(), nil
}

// BackendNames lists the registered backends, sorted.
func BackendNames() []string {
	backendsMu.RLock()
	defer backendsMu.RUnlock()
	var out []string
	for n := range backends {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
