package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// Session is an opened model ready to run. Its methods are safe for
// concurrent use; Run calls share one compiled, immutable executable.
type Session struct {
	model   *graph.Model
	backend Backend
	exe     Executable
	cfg     Config
	// mu is held for reading by every Run and for writing by Close, so
	// Close waits for runs in flight before releasing the backend.
	mu     sync.RWMutex
	closed bool
	// index maps every name Run accepts to its position in RunOrdered's
	// slice: graph inputs, then overridable initializers.
	index map[string]int
}

// Option configures Open.
type Option func(*options)

type options struct {
	backendName string
	backend     Backend
	cfg         Config
	limits      graph.Limits
}

// WithBackend selects a registered backend by name ("native", "ort").
// The default is "native".
func WithBackend(name string) Option {
	return func(o *options) { o.backendName, o.backend = name, nil }
}

// WithBackendImpl runs the session on b instead of a registered backend.
func WithBackendImpl(b Backend) Option {
	return func(o *options) { o.backend, o.backendName = b, "" }
}

// WithThreads bounds the threads one Run uses (0: backend default). ONNX
// Runtime applies it per session; the native backend's kernels share the
// process-wide pool of package ops (ops.SetThreads) and ignore it.
func WithThreads(n int) Option {
	return func(o *options) { o.cfg.IntraOpThreads = n }
}

// WithSeed seeds random operators that have no seed attribute.
func WithSeed(seed uint64) Option {
	return func(o *options) { o.cfg.Seed = seed }
}

// WithOptimize turns the graph optimisation passes on (the default) or off.
func WithOptimize(on bool) Option {
	return func(o *options) { o.cfg.Optimize = on }
}

// WithoutPasses switches the named passes of the native optimiser off
// (names as `latent inspect --passes` lists them, e.g. "fuse-layers"): for
// narrowing a wrong result or a slowdown down to one rewrite. Open fails on
// an unknown name. The ONNX Runtime backend ignores it.
func WithoutPasses(names ...string) Option {
	return func(o *options) { o.cfg.DisabledPasses = append(o.cfg.DisabledPasses, names...) }
}

// Open decodes the ONNX model at path and compiles it on the selected
// backend. External tensor data is resolved relative to the model's folder.
func Open(path string, opts ...Option) (*Session, error) {
	m, err := graph.DecodeFileLimited(path, limitsOf(opts))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s, err := OpenModel(m, opts...)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// OpenBytes decodes a serialised ONNX model and compiles it. The model must
// not use external data files.
func OpenBytes(data []byte, opts ...Option) (*Session, error) {
	m, err := graph.DecodeLimited(data, "", limitsOf(opts))
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	return OpenModel(m, opts...)
}

// OpenReader reads a serialised ONNX model from r and compiles it.
func OpenReader(r io.Reader, opts ...Option) (*Session, error) {
	data, err := readModel(r, limitsOf(opts))
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	return OpenBytes(data, opts...)
}

// OpenModel compiles an already decoded (or built in memory) model. The
// session keeps m, which must not be modified afterwards.
func OpenModel(m *graph.Model, opts ...Option) (*Session, error) {
	return OpenModelContext(context.Background(), m, opts...)
}

// OpenModelContext is OpenModel with a context for the compilation.
func OpenModelContext(ctx context.Context, m *graph.Model, opts ...Option) (*Session, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	o := options{backendName: NativeBackendName, cfg: Config{Optimize: true}}
	for _, opt := range opts {
		opt(&o)
	}
	b := o.backend
	if b == nil {
		var err error
		if b, err = LookupBackend(o.backendName); err != nil {
			return nil, err
		}
	}
	for _, vi := range m.Graph.Inputs {
		if vi.DType == ops.Invalid && vi.ElemTypeCode != 0 {
			return nil, fmt.Errorf("input %q has element type %s, which latent does not support", vi.Name, graph.ElemTypeName(vi.ElemTypeCode))
		}
	}
	if err := o.limits.CheckModel(m); err != nil {
		return nil, err
	}
	o.cfg.MaxTensorBytes = o.limits.MaxTensorBytes
	o.cfg.MaxLoopIterations = o.limits.MaxLoopIterations
	o.cfg.MaxSequenceLength = o.limits.MaxSequenceLength
	if err := typeCheck(m); err != nil {
		return nil, err
	}
	exe, err := b.Compile(ctx, m, o.cfg)
	if err != nil {
		return nil, fmt.Errorf("%s backend: %w", b.Name(), err)
	}
	index := make(map[string]int, len(m.Graph.Inputs)+len(m.Graph.OverridableInits))
	for i, vi := range m.Graph.Inputs {
		index[vi.Name] = i
	}
	for i, vi := range m.Graph.OverridableInits {
		index[vi.Name] = len(m.Graph.Inputs) + i
	}
	return &Session{model: m, backend: b, exe: exe, cfg: o.cfg, index: index}, nil
}

// Model returns the decoded model. It must not be modified.
func (s *Session) Model() *graph.Model { return s.model }

// Backend returns the name of the backend the session runs on.
func (s *Session) Backend() string { return s.backend.Name() }

// Inputs describes the values Run needs, in graph order: names, element
// types and (possibly symbolic) shapes.
func (s *Session) Inputs() []graph.ValueInfo {
	return append([]graph.ValueInfo(nil), s.model.Graph.Inputs...)
}

// Outputs describes the values Run returns, in order.
func (s *Session) Outputs() []graph.ValueInfo {
	return append([]graph.ValueInfo(nil), s.model.Graph.Outputs...)
}

// Metadata returns a copy of the model's metadata_props.
func (s *Session) Metadata() map[string]string {
	out := make(map[string]string, len(s.model.Metadata))
	for _, e := range s.model.Metadata {
		out[e.Key] = e.Value
	}
	return out
}

// Run feeds the named inputs and returns the graph outputs in order. A
// model whose graph inputs or outputs are sequences, optionals or maps
// runs with RunValues.
// Initializers the model also lists as inputs (older exporters) may be fed
// too; otherwise every name must be a graph input and every graph input
// must be present. Inputs are checked against the declared element types
// and shapes (symbolic dimensions must agree across inputs) before the
// backend runs.
func (s *Session) Run(ctx context.Context, inputs map[string]*ops.Tensor) ([]*ops.Tensor, error) {
	ordered, err := inGraphOrder(s.model.Graph, s.index, inputs)
	if err != nil {
		return nil, err
	}
	return s.RunOrdered(ctx, ordered)
}

// inGraphOrder puts named inputs (tensors or values) in graph order: the
// graph inputs, then the overridable initializers when any is fed. A name
// that is neither is an error listing the model's inputs.
func inGraphOrder[T any](g *graph.Graph, index map[string]int, inputs map[string]T) ([]T, error) {
	ordered := make([]T, len(g.Inputs), len(g.Inputs)+len(g.OverridableInits))
	var unknown []string
	overrides := false
	for name, v := range inputs {
		i, ok := index[name]
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		if i >= len(g.Inputs) {
			overrides = true
			ordered = ordered[:len(g.Inputs)+len(g.OverridableInits)]
		}
		ordered[i] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown input %s (the model's inputs are %s)", quoteList(unknown), quoteList(inputNames(g)))
	}
	if !overrides {
		ordered = ordered[:len(g.Inputs)]
	}
	return ordered, nil
}

// RunValues is Run for models whose inputs or outputs may be sequences,
// optionals or maps as well as tensors: it takes and returns graph.Values
// (graph.TensorOf, graph.TensorSequence, graph.OptionalOf …), checked
// against the declared types. It runs tensor-only models too.
func (s *Session) RunValues(ctx context.Context, inputs map[string]*graph.Value) ([]*graph.Value, error) {
	ordered, err := inGraphOrder(s.model.Graph, s.index, inputs)
	if err != nil {
		return nil, err
	}
	return s.RunValuesOrdered(ctx, ordered)
}

// RunValuesOrdered is RunValues with inputs in graph order (Inputs()),
// optionally followed by values for the overridable initializers.
func (s *Session) RunValuesOrdered(ctx context.Context, inputs []*graph.Value) ([]*graph.Value, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errors.New("session is closed")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := s.CheckValues(inputs); err != nil {
		return nil, err
	}
	var out []*graph.Value
	if ve, ok := s.exe.(ValueExecutable); ok {
		var err error
		if out, err = ve.RunValues(ctx, inputs); err != nil {
			return nil, err
		}
	} else {
		// A backend of tensors only.
		ts := make([]*ops.Tensor, len(inputs))
		for i, v := range inputs {
			if v == nil {
				continue
			}
			if v.Kind != graph.TensorValue {
				return nil, fmt.Errorf("input %q is a %s; the %s backend takes tensors only", s.inputInfo(i).Name, v.Kind, s.backend.Name())
			}
			ts[i] = v.Tensor
		}
		res, err := s.exe.Run(ctx, ts)
		if err != nil {
			return nil, err
		}
		out = make([]*graph.Value, len(res))
		for i, t := range res {
			out[i] = graph.TensorOf(t)
		}
	}
	if len(out) != len(s.model.Graph.Outputs) {
		return nil, fmt.Errorf("%s backend returned %d outputs, the model has %d", s.backend.Name(), len(out), len(s.model.Graph.Outputs))
	}
	return out, nil
}

// inputInfo describes input i of RunOrdered's slice: a graph input or an
// overridable initializer.
func (s *Session) inputInfo(i int) graph.ValueInfo {
	g := s.model.Graph
	if i < len(g.Inputs) {
		return g.Inputs[i]
	}
	return g.OverridableInits[i-len(g.Inputs)]
}

// CheckValues verifies inputs (in graph order) against the declared types
// and shapes without running the model: a value of the declared kind
// (tensor, sequence, optional, map), element types as declared, tensors'
// shapes as CheckInputs checks them.
func (s *Session) CheckValues(inputs []*graph.Value) error {
	g := s.model.Graph
	nReq, nAll := len(g.Inputs), len(g.Inputs)+len(g.OverridableInits)
	if len(inputs) != nReq && len(inputs) != nAll {
		if nAll != nReq {
			return fmt.Errorf("got %d inputs, the model takes %d (or %d with overridable initializers)", len(inputs), nReq, nAll)
		}
		return fmt.Errorf("got %d inputs, the model takes %d (%s)", len(inputs), nReq, quoteList(inputNames(g)))
	}
	var bound symBindings
	for i, v := range inputs {
		vi := s.inputInfo(i)
		if v == nil {
			if i < nReq {
				return fmt.Errorf("missing input %q", vi.Name)
			}
			continue
		}
		if err := v.Check(); err != nil {
			return fmt.Errorf("input %q: %w", vi.Name, err)
		}
		if v.Kind == graph.TensorValue {
			if kind, err := graph.DeclaredKind(vi); err == nil && kind != graph.TensorValue {
				return fmt.Errorf("input %q: expected %s, got a tensor", vi.Name, graph.TypeString(vi))
			}
			if err := checkInput(vi, v.Tensor, &bound); err != nil {
				return err
			}
			continue
		}
		if err := checkValueType(vi, v, 0); err != nil {
			return fmt.Errorf("input %q: %w", vi.Name, err)
		}
	}
	return nil
}

// checkValueType checks v (any kind) against the type vi declares, down to
// element types; shapes inside sequences and optionals are not checked.
func checkValueType(vi graph.ValueInfo, v *graph.Value, depth int) error {
	kind, err := graph.DeclaredKind(vi)
	if err != nil {
		return err
	}
	if vi.TypeRaw == nil && vi.DType == ops.Invalid && vi.ElemTypeCode == 0 {
		return nil // nothing declared
	}
	if v.Kind != kind {
		return fmt.Errorf("expected %s, got a %s", graph.TypeString(vi), v.Kind)
	}
	switch v.Kind {
	case graph.TensorValue:
		if vi.DType != ops.Invalid && v.Tensor.DType != vi.DType {
			return fmt.Errorf("expected %s, got %v", graph.TypeString(vi), v.Tensor.DType)
		}
	case graph.SequenceValue:
		e, ok := graph.ElementInfo(vi)
		if !ok {
			return nil
		}
		if len(v.Elems) == 0 && v.DType != ops.Invalid && e.DType != ops.Invalid && e.TypeRaw == nil && v.DType != e.DType {
			return fmt.Errorf("expected %s, got an empty sequence of %v", graph.TypeString(vi), v.DType)
		}
		for i, el := range v.Elems {
			if err := checkValueType(e, el, depth+1); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	case graph.OptionalValue:
		if v.Elem == nil {
			return nil
		}
		e, ok := graph.ElementInfo(vi)
		if !ok {
			return nil
		}
		if err := checkValueType(e, v.Elem, depth+1); err != nil {
			return fmt.Errorf("optional: %w", err)
		}
	}
	return nil
}

// RunOrdered runs the model with inputs in graph order (Inputs()),
// optionally followed by values for the overridable initializers (nil
// entries keep the initializer).
func (s *Session) RunOrdered(ctx context.Context, inputs []*ops.Tensor) ([]*ops.Tensor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errors.New("session is closed")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := s.CheckInputs(inputs); err != nil {
		return nil, err
	}
	out, err := s.exe.Run(ctx, inputs)
	if err != nil {
		return nil, err
	}
	if len(out) != len(s.model.Graph.Outputs) {
		return nil, fmt.Errorf("%s backend returned %d outputs, the model has %d", s.backend.Name(), len(out), len(s.model.Graph.Outputs))
	}
	return out, nil
}

// CheckInputs verifies inputs (in graph order) against the declared element
// types and shapes without running the model.
func (s *Session) CheckInputs(inputs []*ops.Tensor) error {
	g := s.model.Graph
	nReq, nAll := len(g.Inputs), len(g.Inputs)+len(g.OverridableInits)
	if len(inputs) != nReq && len(inputs) != nAll {
		if nAll != nReq {
			return fmt.Errorf("got %d inputs, the model takes %d (or %d with overridable initializers)", len(inputs), nReq, nAll)
		}
		return fmt.Errorf("got %d inputs, the model takes %d (%s)", len(inputs), nReq, quoteList(inputNames(g)))
	}
	var bound symBindings
	for i, t := range inputs {
		vi := s.inputInfo(i)
		if t == nil {
			if i < nReq {
				return fmt.Errorf("missing input %q", vi.Name)
			}
			continue
		}
		if vi.TypeRaw != nil {
			if kind, err := graph.DeclaredKind(vi); err == nil && kind != graph.TensorValue {
				return fmt.Errorf("input %q is %s: run the model with RunValues", vi.Name, graph.TypeString(vi))
			}
		}
		if err := checkInput(vi, t, &bound); err != nil {
			return err
		}
	}
	return nil
}

// symBinding records which input first fixed a symbolic dimension.
type symBinding struct {
	param string
	value int
	input string
}

// symBindings is a small list (models have few symbolic dimensions), so
// checking inputs allocates nothing in the common case.
type symBindings []symBinding

func (b *symBindings) lookup(param string) (symBinding, bool) {
	for _, e := range *b {
		if e.param == param {
			return e, true
		}
	}
	return symBinding{}, false
}

func checkInput(vi graph.ValueInfo, t *ops.Tensor, bound *symBindings) error {
	if vi.DType != ops.Invalid && t.DType != vi.DType {
		return fmt.Errorf("input %q: expected %v, got %v", vi.Name, vi.DType, t.DType)
	}
	if err := t.Validate(); err != nil {
		return fmt.Errorf("input %q: %w", vi.Name, err)
	}
	if !vi.HasShape {
		return nil
	}
	if len(vi.Shape) != len(t.Shape) {
		return fmt.Errorf("input %q: expected shape %v, got %v", vi.Name, vi.Shape, ops.ShapeString(t.Shape))
	}
	for i, d := range vi.Shape {
		got := t.Shape[i]
		switch {
		case d.Param != "":
			b, ok := bound.lookup(d.Param)
			if ok && b.value != got {
				if b.input == vi.Name {
					return fmt.Errorf("input %q: expected shape %v, got %v (dimension %q is %d at one axis and %d at another)", vi.Name, vi.Shape, ops.ShapeString(t.Shape), d.Param, b.value, got)
				}
				return fmt.Errorf("input %q: expected shape %v, got %v (dimension %q is %d in input %q)", vi.Name, vi.Shape, ops.ShapeString(t.Shape), d.Param, b.value, b.input)
			}
			if !ok {
				*bound = append(*bound, symBinding{d.Param, got, vi.Name})
			}
		case d.Value >= 0:
			if int64(got) != d.Value {
				return fmt.Errorf("input %q: expected shape %v, got %v", vi.Name, vi.Shape, ops.ShapeString(t.Shape))
			}
		}
	}
	return nil
}

// Close waits for runs in flight, then releases the backend's resources.
// Run fails after Close; closing twice is harmless.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.exe.Close()
}

func inputNames(g *graph.Graph) []string {
	out := make([]string, len(g.Inputs))
	for i, vi := range g.Inputs {
		out[i] = vi.Name
	}
	return out
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 0 {
		return "none"
	}
	return strings.Join(q, ", ")
}

// typeCheck runs the typed stage (operators.InferShapes) on a copy of m,
// whatever the backend: an input type an operator does not admit, or
// shapes that contradict each other, fail Open with an error naming the
// node, instead of a kernel error at the first Run (or an ONNX Runtime
// message about its own graph). What the rules cannot tell stays unknown
// and is not an error. m is not modified.
func typeCheck(m *graph.Model) error {
	g := *m.Graph
	g.ValueInfo = make(map[string]graph.ValueInfo, len(m.Graph.ValueInfo))
	for k, v := range m.Graph.ValueInfo {
		g.ValueInfo[k] = v
	}
	typed := *m
	typed.Graph = &g
	return operators.InferShapes(&typed)
}
