// Package operators owns the operator registry and the typed stage. For
// each (domain, op type, since-version) there is one registration, an Op,
// carrying both the operator's output type/shape rule and its native
// kernel builder; runtime/native/kernels registers them from init
// functions. InferShapes runs the rules over a model (the typed IR every
// session gets, whatever its backend); the planner, the optimiser passes
// and `latent inspect` look kernels up here. The package also defines the
// contract kernels are written against (Kernel, Builder, Env) and the
// dimension arithmetic rules use.
package operators

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
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

// ValueKernel runs one compiled node whose inputs or outputs may be
// sequences, optionals or maps (the sequence and optional operators;
// Identity on such values). in holds the node's inputs in order (a tensor
// input arrives as a TensorValue; nil for an omitted optional input) and
// is valid only during the call; the kernel returns one value per output.
//
// Values are immutable: a kernel never modifies an input value, its
// elements or their tensors, but may return them or share them in its
// outputs (SequenceInsert's output holds the input sequence's tensors).
// Tensors it creates come from env.New like any kernel's.
type ValueKernel func(env *Env, in []*graph.Value) ([]*graph.Value, error)

// ValueBuilder compiles a node into a ValueKernel once, at plan time.
type ValueBuilder func(n *graph.Node, opset int64) (ValueKernel, error)

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

// Op is the registration of one operator: its shape/type rule and its
// native kernel, owned together so that what the typed stage promises and
// what the kernel computes come from one place (conv and pool windows, for
// instance, are resolved by one function both use).
type Op struct {
	// Domain is the operator domain: "" (or "ai.onnx") for the default
	// ONNX domain, FusedDomain for the optimiser's nodes.
	Domain string
	// Type is the operator's name in its domain ("Conv").
	Type string
	// Inputs constrains each input's element type as the operator's
	// specification does at this version: Inputs[i] for input i, the last
	// entry for any further (variadic) inputs, nil for any type. The typed
	// stage checks it when the input's type is known, so a model feeding
	// an int64 tensor to Conv fails when it is opened.
	Inputs []TypeSet
	// Infer computes the element types and (symbolic) shapes of the
	// outputs from the inputs'; see Rule. Nil leaves the outputs unknown.
	Infer Rule
	// Build compiles a node into a native kernel over tensors. Nil: the
	// native backend cannot run the operator on tensors (the typed stage
	// still uses Infer).
	Build Builder
	// BuildValues compiles a node into a kernel over any values:
	// sequences, optionals, maps and tensors. The executor runs it when an
	// input is not a tensor, or when Build is nil (SequenceConstruct,
	// Optional, …). Identity has both.
	BuildValues ValueBuilder
	// Subgraphs marks the operators that run graph attributes (If, Loop,
	// Scan, SequenceMap). Their kernels are the native planner's own: it
	// compiles the bodies once, at plan time, and runs them with the
	// enclosing graph's values in scope and buffers shared with the run
	// (runtime/native registers them, with their rules). Build and
	// BuildValues are nil for them.
	Subgraphs bool
}

// Native reports whether the native backend can run the operator.
func (o *Op) Native() bool { return o.Build != nil || o.BuildValues != nil || o.Subgraphs }

// TypeSet is the element types an operator input admits.
type TypeSet []ops.DType

// FloatTypes are the floating-point types latent computes with.
var FloatTypes = TypeSet{ops.Float32, ops.Float64, ops.Float16}

// Has reports whether dt is in the set.
func (s TypeSet) Has(dt ops.DType) bool {
	for _, t := range s {
		if t == dt {
			return true
		}
	}
	return false
}

func (s TypeSet) String() string {
	names := make([]string, len(s))
	for i, t := range s {
		names[i] = t.String()
	}
	return strings.Join(names, ", ")
}

type regKey struct{ domain, op string }

type regEntry struct {
	since int64
	op    *Op
}

var (
	regMu    sync.RWMutex
	registry = map[regKey][]regEntry{}
)

// Register adds op at each of the given since-versions: the registration
// for a (domain, type, since) holds from that opset version until the next
// registered one. It is meant to be called from init functions; a
// duplicate (domain, type, since) or an Op with neither Infer nor Build
// panics.
func Register(op Op, since ...int64) {
	if op.Domain == "ai.onnx" {
		op.Domain = ""
	}
	if op.Type == "" || len(since) == 0 || (op.Infer == nil && !op.Native()) {
		panic(fmt.Sprintf("operators: bad registration of %s/%s at %v", DomainName(op.Domain), op.Type, since))
	}
	regMu.Lock()
	defer regMu.Unlock()
	k := regKey{op.Domain, op.Type}
	for _, v := range since {
		for _, e := range registry[k] {
			if e.since == v {
				panic(fmt.Sprintf("operators: %s/%s since %d registered twice", DomainName(op.Domain), op.Type, v))
			}
		}
		o := op
		registry[k] = append(registry[k], regEntry{v, &o})
	}
	es := registry[k]
	sort.Slice(es, func(i, j int) bool { return es[i].since < es[j].since })
}

// Lookup finds the registration of op in domain in effect at the given
// opset version of that domain.
func Lookup(domain, op string, opset int64) (*Op, error) {
	if domain == "ai.onnx" {
		domain = ""
	}
	regMu.RLock()
	defer regMu.RUnlock()
	es := registry[regKey{domain, op}]
	if len(es) == 0 {
		return nil, fmt.Errorf("unsupported operator %s in domain %q", op, DomainName(domain))
	}
	var found *Op
	for _, e := range es {
		if e.since <= opset {
			found = e.op
		}
	}
	if found == nil {
		return nil, fmt.Errorf("operator %s (domain %q) is not defined at opset %d (earliest supported: %d)", op, DomainName(domain), opset, es[0].since)
	}
	return found, nil
}

// KernelBuilder finds the native kernel builder of op in domain at the
// given opset version.
func KernelBuilder(domain, op string, opset int64) (Builder, error) {
	o, err := Lookup(domain, op, opset)
	if err != nil {
		return nil, err
	}
	if o.Build == nil {
		return nil, fmt.Errorf("unsupported operator %s in domain %q: no native kernel", op, DomainName(domain))
	}
	return o.Build, nil
}

// NativeOp finds the registration of op in domain at the given opset
// version, failing when the native backend cannot run it (no Build,
// BuildValues or Subgraphs).
func NativeOp(domain, op string, opset int64) (*Op, error) {
	o, err := Lookup(domain, op, opset)
	if err != nil {
		return nil, err
	}
	if !o.Native() {
		return nil, fmt.Errorf("unsupported operator %s in domain %q: no native kernel", op, DomainName(domain))
	}
	return o, nil
}

// Supported reports whether op in domain has a native kernel at some
// version.
func Supported(domain, op string) bool {
	if domain == "ai.onnx" {
		domain = ""
	}
	regMu.RLock()
	defer regMu.RUnlock()
	for _, e := range registry[regKey{domain, op}] {
		if e.op.Native() {
			return true
		}
	}
	return false
}

// Operators lists the (domain, op) pairs with a native kernel, sorted.
func Operators() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []string
	for k, es := range registry {
		for _, e := range es {
			if e.op.Native() {
				out = append(out, DomainName(k.domain)+"/"+k.op)
				break
			}
		}
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
