// Package operators owns the operator registry: for each (domain, op type,
// since-version) one registration carrying the operator's native kernel
// builder, and the contract kernels are written against (Kernel, Builder,
// Env). Kernels (runtime/native/kernels) register themselves from init
// functions; the planner, the optimiser passes and `latent inspect` look
// operators up here.
package operators

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/internal/buffers"
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
	// Buffers, when set by the executor, supplies recycled buffers. A
	// concrete pointer rather than an interface or func value, so New's
	// variadic shape does not escape (no heap allocation per call).
	Buffers *buffers.Pool
	// Alloc, when set and Buffers is nil, supplies buffers (tests inject
	// allocators handing out junk to prove kernels overwrite every element).
	Alloc func(dt ops.DType, shape []int) *ops.Tensor
}

// New returns a zeroed-or-recycled tensor of the given type and shape.
// Kernels must overwrite every element: recycled buffers are not cleared.
func (e *Env) New(dt ops.DType, shape ...int) *ops.Tensor {
	if e != nil && e.Buffers != nil {
		return e.Buffers.Alloc(dt, shape)
	}
	if e != nil && e.Alloc != nil {
		// A copy, so that shape itself never escapes on the executor's path.
		return e.Alloc(dt, append([]int(nil), shape...))
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
			panic(fmt.Sprintf("operators: %s/%s since %d registered twice", domain, op, since))
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
		return nil, fmt.Errorf("unsupported operator %s in domain %q", op, DomainName(domain))
	}
	var found Builder
	for _, e := range es {
		if e.since <= opset {
			found = e.build
		}
	}
	if found == nil {
		return nil, fmt.Errorf("operator %s (domain %q) is not defined at opset %d (earliest supported: %d)", op, DomainName(domain), opset, es[0].since)
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
		out = append(out, DomainName(k.domain)+"/"+k.op)
	}
	sort.Strings(out)
	return out
}

// DomainName spells a domain for messages: "ai.onnx" for the default "".
func DomainName(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}

// FusedDomain is the private operator domain of nodes the optimiser
// (runtime/native/passes) creates and runtime/native/kernels implements.
// Models never import it; the planner runs its nodes at version 1.
const FusedDomain = "latent.native"

// ImportedVersion returns the model's imported version of domain ("" and
// "ai.onnx" both name the default domain).
func ImportedVersion(m *graph.Model, domain string) (int64, bool) {
	if domain == "" || domain == "ai.onnx" {
		if v, ok := m.Opsets[""]; ok {
			return v, true
		}
		v, ok := m.Opsets["ai.onnx"]
		return v, ok
	}
	v, ok := m.Opsets[domain]
	return v, ok
}
