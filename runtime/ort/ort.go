//go:build cgo

package ort

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	onnxruntime "github.com/yalue/onnxruntime_go"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

func init() {
	runtime.RegisterBackend("ort", func() runtime.Backend { return backend{} })
}

var (
	envOnce sync.Once
	envErr  error
	envPath string
)

// initEnv loads the library and creates the ONNX Runtime environment, once
// per process.
func initEnv() error {
	envOnce.Do(func() {
		path, err := findLibrary(CandidatePaths())
		if err != nil {
			envErr = err
			return
		}
		onnxruntime.SetSharedLibraryPath(path)
		if err := onnxruntime.InitializeEnvironment(onnxruntime.WithLogLevelError()); err != nil {
			envErr = fmt.Errorf("load ONNX Runtime library %s: %w (expected ONNX Runtime %s or a newer release with the same C API; install it with: %s)", path, err, ORTVersion, InstallCommand)
			return
		}
		envPath = path
	})
	return envErr
}

// Available loads the ONNX Runtime library if needed and reports whether
// the backend can run models. The error names the paths tried and how to
// install the library.
func Available() error { return initEnv() }

// Version returns the loaded ONNX Runtime version, or "" when the library
// is not loaded.
func Version() string {
	if initEnv() != nil {
		return ""
	}
	return onnxruntime.GetVersion()
}

// LibraryPath returns the path of the loaded library ("" if none).
func LibraryPath() string {
	if initEnv() != nil {
		return ""
	}
	return envPath
}

type backend struct{}

func (backend) Name() string { return "ort" }

// Compile creates an ONNX Runtime session from the model's original bytes.
func (backend) Compile(ctx context.Context, m *graph.Model, cfg runtime.Config) (runtime.Executable, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("ort: nil model")
	}
	if len(m.Raw) == 0 {
		return nil, errors.New("ort: the model has no serialised ONNX bytes (Model.Raw is empty); the ort backend runs models opened from a file or bytes")
	}
	if err := initEnv(); err != nil {
		return nil, fmt.Errorf("ort: %w", err)
	}

	opts, err := onnxruntime.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("ort: session options: %w", err)
	}
	defer opts.Destroy()
	if cfg.IntraOpThreads > 0 {
		if err := opts.SetIntraOpNumThreads(cfg.IntraOpThreads); err != nil {
			return nil, fmt.Errorf("ort: set intra-op threads %d: %w", cfg.IntraOpThreads, err)
		}
	}
	if cfg.InterOpThreads > 0 {
		if err := opts.SetInterOpNumThreads(cfg.InterOpThreads); err != nil {
			return nil, fmt.Errorf("ort: set inter-op threads %d: %w", cfg.InterOpThreads, err)
		}
	}
	if !cfg.Optimize {
		if err := opts.SetGraphOptimizationLevel(onnxruntime.GraphOptimizationLevelDisableAll); err != nil {
			return nil, fmt.Errorf("ort: disable graph optimisation: %w", err)
		}
	}
	if m.Dir != "" {
		// External data is resolved relative to the model's folder.
		if err := opts.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", m.Dir); err != nil {
			return nil, fmt.Errorf("ort: set external data folder %s: %w", m.Dir, err)
		}
	}

	inNames, outNames, err := ioNames(m)
	if err != nil {
		return nil, err
	}
	if len(outNames) == 0 {
		return nil, errors.New("ort: the model declares no outputs")
	}
	x := &executable{inNames: inNames, outNames: outNames}
	if m.Graph != nil {
		// ONNX Runtime hands a present optional output over as its
		// contents: RunValues wraps those again.
		x.outOptional = make([]bool, len(m.Graph.Outputs))
		for i, vi := range m.Graph.Outputs {
			kind, err := graph.DeclaredKind(vi)
			x.outOptional[i] = err == nil && kind == graph.OptionalValue
		}
	}
	if m.Graph != nil && len(m.Graph.OverridableInits) > 0 {
		// Initializers also declared as inputs may be fed; the session
		// always feeds them, defaulting to the initializer. ONNX Runtime
		// accepts that from IR version 4 on only; for older models a
		// non-nil override is refused in Run.
		x.irBefore4 = m.IRVersion < 4
		for _, vi := range m.Graph.OverridableInits {
			t := m.Graph.Initializers[vi.Name]
			if t == nil {
				return nil, fmt.Errorf("ort: overridable initializer %q has no value", vi.Name)
			}
			x.overNames = append(x.overNames, vi.Name)
			x.overDefaults = append(x.overDefaults, t)
		}
		if !x.irBefore4 {
			inNames = append(append([]string(nil), inNames...), x.overNames...)
		}
	}
	data := m.Raw
	feed := inNames
	fetch := outNames
	w, err := wrapOutputs(m.Raw, len(inNames) == 0)
	switch {
	case err == nil:
		if len(w.flat) != len(outNames) {
			return nil, fmt.Errorf("ort: model bytes declare %d outputs but the graph has %d", len(w.flat), len(outNames))
		}
		x.wrap = w
		data = w.model
		fetch = nil
		for i, name := range outNames {
			if w.flat[i] == "" {
				x.fetchAt = append(x.fetchAt, [2]int{len(fetch), -1})
				fetch = append(fetch, name)
				continue
			}
			x.fetchAt = append(x.fetchAt, [2]int{len(fetch), len(fetch) + 1})
			fetch = append(fetch, w.flat[i], w.shape[i])
		}
		if w.dummy != "" {
			feed = []string{w.dummy}
		}
	case errors.Is(err, errNoRewrite):
		if len(inNames) == 0 {
			return nil, fmt.Errorf("ort: models without inputs need opset >= 6 on the ort backend (this one imports %d)", m.Opset())
		}
		for i := range outNames {
			x.fetchAt = append(x.fetchAt, [2]int{i, -1})
		}
	default:
		return nil, fmt.Errorf("ort: %w", err)
	}
	s, err := onnxruntime.NewDynamicAdvancedSessionWithONNXData(data, feed, fetch, opts)
	if err != nil {
		return nil, fmt.Errorf("ort: create session: %w", err)
	}
	x.sess = s
	x.nFetch = len(fetch)
	return x, nil
}

// ioNames returns the names a caller feeds and fetches, in graph order.
func ioNames(m *graph.Model) (in, out []string, err error) {
	if m.Graph != nil {
		for _, v := range m.Graph.Inputs {
			in = append(in, v.Name)
		}
		for _, v := range m.Graph.Outputs {
			out = append(out, v.Name)
		}
		return in, out, nil
	}
	ins, outs, err := onnxruntime.GetInputOutputInfoWithONNXData(m.Raw)
	if err != nil {
		return nil, nil, fmt.Errorf("ort: read model inputs and outputs: %w", err)
	}
	for _, v := range ins {
		in = append(in, v.Name)
	}
	for _, v := range outs {
		out = append(out, v.Name)
	}
	return in, out, nil
}

type executable struct {
	sess              *onnxruntime.DynamicAdvancedSession
	inNames, outNames []string
	// overNames are the overridable initializers fed after inNames, with
	// their initializer values as defaults.
	overNames    []string
	overDefaults []*ops.Tensor
	irBefore4    bool // overridable initializers cannot be fed to ORT
	wrap         *wrapped
	// fetchAt gives, per output, the positions of its flattened data and
	// shape among the nFetch fetched values (shape -1: fetched as is).
	fetchAt [][2]int
	nFetch  int
	// outOptional marks the outputs declared optional.
	outOptional []bool

	mu     sync.RWMutex
	closed bool
}

// Run feeds inputs (graph input order) and returns the graph outputs.
// ONNX Runtime sessions allow concurrent Run calls; Close waits for them.
func (x *executable) Run(ctx context.Context, inputs []*ops.Tensor) ([]*ops.Tensor, error) {
	vs := make([]*graph.Value, len(inputs))
	for i, t := range inputs {
		if t != nil {
			vs[i] = graph.TensorOf(t)
		}
	}
	outs, err := x.RunValues(ctx, vs)
	if err != nil {
		return nil, err
	}
	res := make([]*ops.Tensor, len(outs))
	for i, v := range outs {
		if v.Kind != graph.TensorValue {
			return nil, fmt.Errorf("ort: output %q is a %s: run the model with RunValues", x.outNames[i], v.Kind)
		}
		res[i] = v.Tensor
	}
	return res, nil
}

// RunValues is Run for inputs and outputs that may be sequences (and maps
// with int64 keys) as well as tensors; see toOrtValue for what ONNX
// Runtime's C API, through onnxruntime_go, cannot take.
func (x *executable) RunValues(ctx context.Context, inputs []*graph.Value) ([]*graph.Value, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errors.New("ort: Run on a closed executable")
	}
	nReq := len(x.inNames)
	if len(inputs) != nReq && len(inputs) != nReq+len(x.overNames) {
		return nil, fmt.Errorf("ort: got %d inputs, the model takes %d (%s)", len(inputs), nReq, strings.Join(x.inNames, ", "))
	}
	if x.irBefore4 {
		for i, t := range inputs[nReq:] {
			if t != nil {
				return nil, fmt.Errorf("ort: initializer %q cannot be overridden on the ort backend: ONNX Runtime treats initializers of IR version < 4 models as constants", x.overNames[i])
			}
		}
		inputs = inputs[:nReq]
	} else if len(x.overNames) > 0 {
		full := make([]*graph.Value, nReq+len(x.overNames))
		copy(full, inputs)
		for i, d := range x.overDefaults {
			if full[nReq+i] == nil {
				full[nReq+i] = graph.TensorOf(d)
			}
		}
		inputs = full
	}
	vals := make([]onnxruntime.Value, len(inputs), len(inputs)+1)
	var made []onnxruntime.Value // every value created, the sequences' elements too
	defer func() {
		for _, v := range made {
			v.Destroy()
		}
	}()
	for i, in := range inputs {
		v, err := toOrtValue(in, &made)
		if err != nil {
			name := ""
			if i < nReq {
				name = x.inNames[i]
			} else {
				name = x.overNames[i-nReq]
			}
			return nil, fmt.Errorf("ort: input %q: %w", name, err)
		}
		vals[i] = v
	}
	if x.wrap != nil && x.wrap.dummy != "" {
		d, err := onnxruntime.NewTensor(onnxruntime.Shape{1}, []float32{0})
		if err != nil {
			return nil, fmt.Errorf("ort: placeholder input: %w", err)
		}
		made = append(made, d)
		vals = append(vals, d)
	}
	outs := make([]onnxruntime.Value, x.nFetch)
	defer func() {
		for _, v := range outs {
			if v != nil {
				v.Destroy()
			}
		}
	}()

	if err := x.run(ctx, vals, outs); err != nil {
		return nil, err
	}

	res := make([]*graph.Value, len(x.outNames))
	for i, name := range x.outNames {
		var v *graph.Value
		var err error
		if at := x.fetchAt[i]; at[1] >= 0 {
			var t *ops.Tensor
			if t, err = unwrap(outs[at[0]], outs[at[1]], graph.DTypeFromElemType(x.wrap.elem[i])); err == nil {
				v = graph.TensorOf(t)
			}
		} else {
			v, err = fromOrtValue(outs[at[0]], 0)
		}
		if err != nil {
			return nil, fmt.Errorf("ort: output %q: %w", name, err)
		}
		if i < len(x.outOptional) && x.outOptional[i] && v.Kind != graph.OptionalValue {
			v = graph.OptionalOf(v)
		}
		res[i] = v
	}
	return res, nil
}

// toOrtValue converts a value to feed: a tensor (see toValue), a sequence
// of tensors, or a map with int64 keys. An optional goes in as its
// contents, which ONNX Runtime accepts for an optional input. What
// onnxruntime_go cannot make is an error: an empty sequence (it needs at
// least one element) and an empty optional (the C API has no way to
// create one). Every value created is appended to made, for the caller to
// destroy.
func toOrtValue(v *graph.Value, made *[]onnxruntime.Value) (onnxruntime.Value, error) {
	if v == nil {
		return nil, errors.New("missing value")
	}
	switch v.Kind {
	case graph.TensorValue:
		t, err := toValue(v.Tensor)
		if err == nil {
			*made = append(*made, t)
		}
		return t, err
	case graph.OptionalValue:
		if v.Elem == nil {
			return nil, errors.New("an empty optional cannot be fed to ONNX Runtime (its C API has no way to make one); use the native backend")
		}
		return toOrtValue(v.Elem, made)
	case graph.SequenceValue:
		if len(v.Elems) == 0 {
			return nil, errors.New("an empty sequence cannot be fed to ONNX Runtime through onnxruntime_go (it needs at least one element); use the native backend")
		}
		elems := make([]onnxruntime.Value, len(v.Elems))
		for i, e := range v.Elems {
			ev, err := toOrtValue(e, made)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			elems[i] = ev
		}
		s, err := onnxruntime.NewSequence(elems)
		if err != nil {
			return nil, err
		}
		*made = append(*made, s)
		return s, nil
	case graph.MapValue:
		keys, err := toValue(v.Keys)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		*made = append(*made, keys)
		if len(v.Elems) == 0 || v.Elems[0].Kind != graph.TensorValue {
			return nil, errors.New("only maps of scalar tensor values can be fed to ONNX Runtime")
		}
		vals := make([]*ops.Tensor, len(v.Elems))
		for i, e := range v.Elems {
			if e.Kind != graph.TensorValue || e.Tensor.Len() != 1 || e.Tensor.DType != v.Elems[0].Tensor.DType {
				return nil, errors.New("only maps of scalar tensor values of one type can be fed to ONNX Runtime")
			}
			vals[i] = e.Tensor
		}
		joined := ops.New(vals[0].DType, len(vals))
		for i, t := range vals {
			if err := ops.PutIndex(joined, 0, i, t.Reshaped()); err != nil {
				return nil, err
			}
		}
		jv, err := toValue(joined)
		if err != nil {
			return nil, fmt.Errorf("values: %w", err)
		}
		*made = append(*made, jv)
		m, err := onnxruntime.NewMap(keys, jv)
		if err != nil {
			return nil, err
		}
		*made = append(*made, m)
		return m, nil
	}
	return nil, fmt.Errorf("unsupported value kind %s", v.Kind)
}

// fromOrtValue converts an output fetched as it is (not through the
// flattening rewrite): a tensor, a sequence of tensors or sequences, or a
// map. onnxruntime_go converts a sequence's tensors itself, which loses
// rank-0 shapes and the 16-bit float types (see rewrite.go).
func fromOrtValue(v onnxruntime.Value, depth int) (*graph.Value, error) {
	if depth > 16 {
		return nil, errors.New("values nested too deep")
	}
	switch tv := v.(type) {
	case *onnxruntime.Sequence:
		elems, err := tv.GetValues()
		if err != nil {
			return nil, err
		}
		out := make([]*graph.Value, len(elems))
		for i, e := range elems {
			if out[i], err = fromOrtValue(e, depth+1); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return graph.SequenceOf(ops.Invalid, out...), nil
	case *onnxruntime.Map:
		k, vs, err := tv.GetKeysAndValues()
		if err != nil {
			return nil, err
		}
		keys, err := fromValue(k)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		vals, err := fromValue(vs)
		if err != nil {
			return nil, fmt.Errorf("values: %w", err)
		}
		if keys.DType != ops.Int64 || vals.Rank() != 1 || keys.Len() != vals.Len() {
			return nil, fmt.Errorf("map of %v keys and %v values: latent holds maps with int64 keys", keys, vals)
		}
		m := &graph.Value{Kind: graph.MapValue, Keys: keys}
		for i := range vals.Len() {
			one := ops.New(vals.DType)
			if err := ops.TakeIndex(one, vals, 0, i); err != nil {
				return nil, err
			}
			m.Elems = append(m.Elems, graph.TensorOf(one))
		}
		return m, nil
	}
	t, err := fromValue(v)
	if err != nil {
		return nil, err
	}
	return graph.TensorOf(t), nil
}

// run calls ONNX Runtime; a cancellable ctx terminates the call through
// RunOptions.
func (x *executable) run(ctx context.Context, vals, outs []onnxruntime.Value) error {
	if ctx.Done() == nil {
		if err := x.sess.Run(vals, outs); err != nil {
			return fmt.Errorf("ort: run: %w", err)
		}
		return nil
	}
	ro, err := onnxruntime.NewRunOptions()
	if err != nil {
		return fmt.Errorf("ort: run options: %w", err)
	}
	defer ro.Destroy()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			ro.Terminate()
		case <-done:
		}
	}()
	err = x.sess.RunWithOptions(vals, outs, ro)
	close(done)
	wg.Wait()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("ort: run: %w", cerr)
		}
		return fmt.Errorf("ort: run: %w", err)
	}
	return nil
}

// Close releases the session. It waits for running calls to finish.
func (x *executable) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	if err := x.sess.Destroy(); err != nil {
		return fmt.Errorf("ort: destroy session: %w", err)
	}
	return nil
}

// toValue wraps t's elements (not copied) as an ONNX Runtime value.
func toValue(t *ops.Tensor) (onnxruntime.Value, error) {
	if t == nil {
		return nil, errors.New("nil tensor")
	}
	if n := ops.NumElements(t.Shape); sliceLen(t.Data) != n {
		return nil, fmt.Errorf("%v tensor of shape %v holds %d elements, want %d", t.DType, t.Shape, sliceLen(t.Data), n)
	}
	shape := make(onnxruntime.Shape, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = int64(d)
	}
	switch t.DType {
	case ops.Float32:
		return newValue(shape, t.F32())
	case ops.Float64:
		return newValue(shape, t.F64())
	case ops.Int64:
		return newValue(shape, t.I64())
	case ops.Int32:
		return newValue(shape, t.I32())
	case ops.Int16:
		return newValue(shape, t.I16())
	case ops.Int8:
		return newValue(shape, t.I8())
	case ops.Uint64:
		return newValue(shape, t.U64())
	case ops.Uint32:
		return newValue(shape, t.U32())
	case ops.Uint16:
		return newValue(shape, t.U16())
	case ops.Uint8:
		return newValue(shape, t.U8())
	case ops.Bool:
		return newValue(shape, t.B())
	case ops.String:
		if len(shape) == 0 {
			return nil, errors.New("rank-0 string tensors are not supported by the ort backend (onnxruntime_go needs rank >= 1)")
		}
		st, err := onnxruntime.NewStringTensor(shape)
		if err != nil {
			return nil, err
		}
		if err := st.SetContents(t.Str()); err != nil {
			st.Destroy()
			return nil, err
		}
		return st, nil
	}
	code, ok := customTypes[t.DType]
	if !ok {
		return nil, fmt.Errorf("unsupported element type %v", t.DType)
	}
	if len(shape) == 0 || t.Len() == 0 {
		return nil, fmt.Errorf("%v tensors of shape %v are not supported by the ort backend (onnxruntime_go needs rank >= 1 and at least one element)", t.DType, t.Shape)
	}
	// The types onnxruntime_go has no Go type for go in as their bytes
	// (16-bit bits, 8-bit bits, packed 4- and 2-bit values).
	b, err := ops.AppendLE(nil, t)
	if err != nil {
		return nil, err
	}
	return onnxruntime.NewCustomDataTensor(shape, b, code)
}

// customTypes are the element types fed to ONNX Runtime as raw bytes.
var customTypes = map[ops.DType]onnxruntime.TensorElementDataType{
	ops.Float16:        onnxruntime.TensorElementDataTypeFloat16,
	ops.BFloat16:       onnxruntime.TensorElementDataTypeBFloat16,
	ops.Float8E4M3FN:   onnxruntime.TensorElementDataTypeFloat8E4M3FN,
	ops.Float8E4M3FNUZ: onnxruntime.TensorElementDataTypeFloat8E4M3FNUZ,
	ops.Float8E5M2:     onnxruntime.TensorElementDataTypeFloat8E5M2,
	ops.Float8E5M2FNUZ: onnxruntime.TensorElementDataTypeFloat8E5M2FNUZ,
	ops.Float8E8M0:     onnxruntime.TensorElementDataTypeFloat8E8M0,
	ops.Float4E2M1:     onnxruntime.TensorElementDataTypeFloat4E2M1,
	ops.Int4:           onnxruntime.TensorElementDataTypeInt4,
	ops.Uint4:          onnxruntime.TensorElementDataTypeUint4,
	ops.Int2:           onnxruntime.TensorElementDataTypeInt2,
	ops.Uint2:          onnxruntime.TensorElementDataTypeUint2,
}

func newValue[T onnxruntime.TensorData](shape onnxruntime.Shape, data []T) (onnxruntime.Value, error) {
	if len(shape) == 0 {
		return onnxruntime.NewScalar(data[0])
	}
	return onnxruntime.NewTensor(shape, data)
}

func sliceLen(d any) int { return ops.SliceLen(d) }

// unwrap rebuilds an output from its flattened data and its shape. want is
// the output's declared type (Invalid when unknown): types fetched through
// a wider one (fetchAs) are converted back, exactly.
func unwrap(flat, shape onnxruntime.Value, want ops.DType) (*ops.Tensor, error) {
	st, ok := shape.(*onnxruntime.Tensor[int64])
	if !ok {
		return nil, fmt.Errorf("shape output has unexpected Go type %T", shape)
	}
	dims := make([]int, len(st.GetData()))
	for i, d := range st.GetData() {
		dims[i] = int(d)
	}
	t, err := fromValue(flat)
	if err != nil {
		return nil, err
	}
	if t.Len() != ops.NumElements(dims) {
		return nil, fmt.Errorf("got %d elements for shape %v", t.Len(), dims)
	}
	t.Shape = dims
	switch want {
	case ops.Float16, ops.BFloat16, ops.Float4E2M1:
		src := t.F32()
		out := ops.New(want, dims...)
		switch d := out.Data.(type) {
		case []uint16:
			for i, v := range src {
				d[i] = ops.Float32ToNarrow(want, v, false)
			}
		case []uint8:
			for i, v := range src {
				d[i] = uint8(ops.Float32ToNarrow(want, v, false))
			}
		}
		t = out
	case ops.Int4, ops.Int2, ops.Uint4, ops.Uint2:
		t = &ops.Tensor{DType: want, Shape: dims, Data: t.Data}
	}
	return t, nil
}

// fromValue turns an ONNX Runtime output into an ops.Tensor. onnxruntime_go
// has already copied the data into a Go slice that the OrtValue merely
// wraps (destroying the value does not free it), so the tensor takes that
// slice without another copy.
func fromValue(v onnxruntime.Value) (*ops.Tensor, error) {
	if v == nil {
		return nil, errors.New("no value returned")
	}
	dims := make([]int, len(v.GetShape()))
	for i, d := range v.GetShape() {
		dims[i] = int(d)
	}
	switch tv := v.(type) {
	case *onnxruntime.Tensor[float32]:
		return &ops.Tensor{DType: ops.Float32, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[float64]:
		return &ops.Tensor{DType: ops.Float64, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[int64]:
		return &ops.Tensor{DType: ops.Int64, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[int32]:
		return &ops.Tensor{DType: ops.Int32, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[int8]:
		return &ops.Tensor{DType: ops.Int8, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[uint8]:
		return &ops.Tensor{DType: ops.Uint8, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[bool]:
		return &ops.Tensor{DType: ops.Bool, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[int16]:
		return &ops.Tensor{DType: ops.Int16, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[uint16]:
		return &ops.Tensor{DType: ops.Uint16, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[uint32]:
		return &ops.Tensor{DType: ops.Uint32, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.Tensor[uint64]:
		return &ops.Tensor{DType: ops.Uint64, Shape: dims, Data: tv.GetData()}, nil
	case *onnxruntime.StringTensor:
		s, err := tv.GetContents()
		if err != nil {
			return nil, err
		}
		return &ops.Tensor{DType: ops.String, Shape: dims, Data: s}, nil
	case *onnxruntime.CustomDataTensor:
		// One byte per element: the 8-bit float types (wider and packed
		// types are cast on the way out, see fetchAs).
		for dt, code := range customTypes {
			if dt.Bits() == 8 && onnxruntime.TensorElementDataType(tv.DataType()) == code {
				data, err := ops.FromLE(dt, tv.GetData(), ops.NumElements(dims))
				if err != nil {
					return nil, err
				}
				return &ops.Tensor{DType: dt, Shape: dims, Data: data}, nil
			}
		}
	}
	return nil, fmt.Errorf("element type %v is not supported by latent", onnxruntime.TensorElementDataType(v.DataType()))
}
