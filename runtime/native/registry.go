// Package native owns the native execution backend: the kernel registry
// (operators keyed by domain, op type and since-version), the kernels that
// map ONNX operator semantics onto package ops, and the planner/executor
// that runs a graph.Graph with them. It needs no cgo.
package native

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// Kernel runs one compiled node. in holds the node's inputs in order, with
// nil for omitted optional inputs; the kernel returns one tensor per node
// output (nil for an omitted optional output).
//
// Kernels never write into their inputs. They may return an input, or a
// tensor sharing an input's Data (Identity, Reshape, Squeeze …): the
// executor tracks shared buffers. Fresh outputs come from env.New so the
// executor can recycle buffers between runs.
type Kernel func(env *Env, in []*ops.Tensor) ([]*ops.Tensor, error)

// Builder compiles a node into a Kernel once, at plan time: it parses and
// checks attributes and returns an error naming the node for bad ones.
// opset is the model's imported version of the node's domain.
type Builder func(n *graph.Node, opset int64) (Kernel, error)

// Env is what a kernel may use while it runs.
type Env struct {
	Ctx context.Context
	// Rand is the run's random source (RandomNormalLike, …); seeded from the
	// node's seed attribute when it has one, otherwise from the session.
	Rand *rand.Rand
	// run, when set by the executor, supplies recycled buffers. A concrete
	// pointer rather than a func value, so New's variadic shape does not
	// escape (one heap allocation less per kernel call).
	run *runState
	// alloc, when set (tests inject dirty allocators), supplies buffers
	// when run is nil.
	alloc func(dt ops.DType, shape []int) *ops.Tensor
}

// New returns a zeroed-or-recycled tensor of the given type and shape.
// Kernels must overwrite every element: recycled buffers are not cleared.
func (e *Env) New(dt ops.DType, shape ...int) *ops.Tensor {
	if e != nil && e.run != nil {
		return e.run.alloc(dt, shape)
	}
	if e != nil && e.alloc != nil {
		// A copy, so that shape itself never escapes on the executor's path.
		return e.alloc(dt, append([]int(nil), shape...))
	}
	return ops.New(dt, shape...)
}

type regKey struct{ domain, op string }

type regEntry struct {
	since int64
	build Builder
}

var (
	regMu    sync.RWMutex
	registry = map[regKey][]regEntry{}
)

// Register adds a builder for op in domain ("" for ai.onnx) valid from
// opset version since until the next registered version. It is meant to be
// called from init functions; a duplicate registration panics.
func Register(domain, op string, since int64, b Builder) {
	if domain == "ai.onnx" {
		domain = ""
	}
	regMu.Lock()
	defer regMu.Unlock()
	k := regKey{domain, op}
	for _, e := range registry[k] {
		if e.since == since {
			panic(fmt.Sprintf("native: %s/%s since %d registered twice", domain, op, since))
		}
	}
	es := append(registry[k], regEntry{since, b})
	sort.Slice(es, func(i, j int) bool { return es[i].since < es[j].since })
	registry[k] = es
}

// Lookup finds the builder for op in domain at the given opset version.
func Lookup(domain, op string, opset int64) (Builder, error) {
	if domain == "ai.onnx" {
		domain = ""
	}
	regMu.RLock()
	defer regMu.RUnlock()
	es := registry[regKey{domain, op}]
	if len(es) == 0 {
		return nil, fmt.Errorf("unsupported operator %s in domain %q", op, domainName(domain))
	}
	var found Builder
	for _, e := range es {
		if e.since <= opset {
			found = e.build
		}
	}
	if found == nil {
		return nil, fmt.Errorf("operator %s (domain %q) is not defined at opset %d (earliest supported: %d)", op, domainName(domain), opset, es[0].since)
	}
	return found, nil
}

// Supported reports whether op in domain has any registered kernel.
func Supported(domain, op string) bool {
	if domain == "ai.onnx" {
		domain = ""
	}
	regMu.RLock()
	defer regMu.RUnlock()
	return len(registry[regKey{domain, op}]) > 0
}

// Operators lists the registered (domain, op) pairs, sorted.
func Operators() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []string
	for k := range registry {
		out = append(out, domainName(k.domain)+"/"+k.op)
	}
	sort.Strings(out)
	return out
}

func domainName(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}
