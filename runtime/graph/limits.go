package graph

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/onnxpb"
)

// Limits caps what an untrusted model may make the decoder allocate. Every
// size is checked against the claims in the file before anything of that
// size is allocated. A zero field takes its DefaultLimits value; a
// negative field means no limit.
type Limits struct {
	// MaxModelBytes bounds the serialised model (the .onnx file; external
	// data files are bounded per tensor by MaxTensorBytes).
	// Default 2 GiB, the most a protobuf message can hold.
	MaxModelBytes int64
	// MaxTensorBytes bounds one tensor: an initializer (inline, external or
	// the dense form of a sparse one) or a tensor attribute. Default 4 GiB.
	MaxTensorBytes int64
	// MaxNodes bounds the nodes of the main graph and all subgraphs
	// together. Default 1,000,000.
	MaxNodes int
	// MaxGraphDepth bounds the nesting of subgraphs (If/Loop/Scan bodies).
	// Default 64.
	MaxGraphDepth int
	// MaxLoopIterations bounds the iterations of one Loop (and the steps
	// of one Scan) while a model runs, so a loop whose trip count and
	// condition never stop it fails instead of running forever. Default
	// 10,000,000. Scan outputs stacked over the iterations are bounded by
	// MaxTensorBytes like any tensor.
	MaxLoopIterations int64
	// MaxSequenceLength bounds the elements of one sequence value while a
	// model runs (SequenceInsert in a loop, SplitToSequence). Default
	// 1,000,000.
	MaxSequenceLength int64
}

// Defaults of Limits; see the field docs.
const (
	DefaultMaxModelBytes  = 2 << 30
	DefaultMaxTensorBytes = 4 << 30
	DefaultMaxNodes       = 1_000_000
	DefaultMaxGraphDepth  = 64

	DefaultMaxLoopIterations = 10_000_000
	DefaultMaxSequenceLength = 1_000_000
)

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{MaxModelBytes: DefaultMaxModelBytes, MaxTensorBytes: DefaultMaxTensorBytes,
		MaxNodes: DefaultMaxNodes, MaxGraphDepth: DefaultMaxGraphDepth,
		MaxLoopIterations: DefaultMaxLoopIterations, MaxSequenceLength: DefaultMaxSequenceLength}
}

// withDefaults fills zero fields from DefaultLimits and turns negative
// ones into "unlimited" (the largest value of the type).
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	fix64 := func(v, def int64) int64 {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 1<<63 - 1
		}
		return v
	}
	fix := func(v, def int) int {
		switch {
		case v == 0:
			return def
		case v < 0:
			return int(^uint(0) >> 1)
		}
		return v
	}
	return Limits{MaxModelBytes: fix64(l.MaxModelBytes, d.MaxModelBytes),
		MaxTensorBytes: fix64(l.MaxTensorBytes, d.MaxTensorBytes),
		MaxNodes:       fix(l.MaxNodes, d.MaxNodes), MaxGraphDepth: fix(l.MaxGraphDepth, d.MaxGraphDepth),
		MaxLoopIterations: fix64(l.MaxLoopIterations, d.MaxLoopIterations),
		MaxSequenceLength: fix64(l.MaxSequenceLength, d.MaxSequenceLength)}
}

// ErrLimit is wrapped by every error that reports a Limits cap exceeded.
var ErrLimit = errors.New("limit exceeded")

// DecodeLimited is Decode with caps on model size, tensor sizes, node
// count and subgraph depth, checked on the parsed protobuf before any
// tensor is converted.
func DecodeLimited(data []byte, dir string, lim Limits) (*Model, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxModelBytes {
		return nil, fmt.Errorf("model of %d bytes exceeds the %d-byte model limit: %w", len(data), lim.MaxModelBytes, ErrLimit)
	}
	var p onnxpb.ModelProto
	if err := proto.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("decode ModelProto: %w", err)
	}
	if err := lim.checkProto(&p); err != nil {
		return nil, err
	}
	m, err := FromProto(&p, dir)
	if err != nil {
		return nil, err
	}
	m.Raw = data
	return m, nil
}

// DecodeFileLimited is DecodeFile with Limits; the file's size is checked
// before it is read.
func DecodeFileLimited(path string, lim Limits) (*Model, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	if st.Size() > lim.MaxModelBytes {
		return nil, fmt.Errorf("decode %s: file of %d bytes exceeds the %d-byte model limit: %w", path, st.Size(), lim.MaxModelBytes, ErrLimit)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("read model: %w", err)
	}
	m, err := DecodeLimited(data, filepath.Dir(path), lim)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return m, nil
}

// limitWalk carries the running node count of one check.
type limitWalk struct {
	lim   Limits
	nodes int
}

func (l Limits) checkProto(p *onnxpb.ModelProto) error {
	w := &limitWalk{lim: l}
	if p.Graph == nil {
		return nil // FromProto reports it
	}
	return w.graphProto(p.Graph, "main graph", 0)
}

func (w *limitWalk) tensorBytes(label string, code int32, dims []int64) error {
	size := int64(DTypeFromElemType(code).Size())
	if size <= 0 {
		size = 1
	}
	max := w.lim.MaxTensorBytes
	n := size
	for i, d := range dims {
		if d < 0 {
			return fmt.Errorf("%s: negative dimension %d at axis %d of %v", label, d, i, dims)
		}
		if d != 0 && n > max/d {
			return fmt.Errorf("%s: dims %v need more than the %d-byte tensor limit: %w", label, dims, max, ErrLimit)
		}
		n *= d
	}
	if n > max {
		return fmt.Errorf("%s: dims %v need %d bytes, more than the %d-byte tensor limit: %w", label, dims, n, max, ErrLimit)
	}
	return nil
}

func (w *limitWalk) graphProto(g *onnxpb.GraphProto, where string, depth int) error {
	if depth > w.lim.MaxGraphDepth {
		return fmt.Errorf("%s: subgraphs nested %d deep, more than the limit %d: %w", where, depth, w.lim.MaxGraphDepth, ErrLimit)
	}
	if g.GetName() != "" {
		where = "graph " + g.GetName()
	}
	for _, tp := range g.Initializer {
		if err := w.tensorBytes(where+": initializer "+tp.GetName(), tp.GetDataType(), tp.Dims); err != nil {
			return err
		}
	}
	for _, sp := range g.SparseInitializer {
		code := int32(0)
		if sp.Values != nil {
			code = sp.Values.GetDataType()
		}
		if err := w.tensorBytes(where+": sparse initializer "+sp.GetValues().GetName(), code, sp.Dims); err != nil {
			return err
		}
	}
	w.nodes += len(g.Node)
	if w.nodes > w.lim.MaxNodes {
		return fmt.Errorf("%s: more than %d nodes: %w", where, w.lim.MaxNodes, ErrLimit)
	}
	for i, np := range g.Node {
		label := fmt.Sprintf("%s: node %d (%s)", where, i, np.GetOpType())
		if np.GetName() != "" {
			label = fmt.Sprintf("%s: node %s (%s)", where, np.GetName(), np.GetOpType())
		}
		for _, ap := range np.Attribute {
			al := label + ": attribute " + ap.GetName()
			// Only the field the attribute's kind selects is decoded
			// (sparse tensor attributes are kept as bytes, not expanded).
			switch attrKind(ap) {
			case onnxpb.AttributeProto_TENSOR:
				if ap.T != nil {
					if err := w.tensorBytes(al, ap.T.GetDataType(), ap.T.Dims); err != nil {
						return err
					}
				}
			case onnxpb.AttributeProto_TENSORS:
				for _, tp := range ap.Tensors {
					if err := w.tensorBytes(al, tp.GetDataType(), tp.Dims); err != nil {
						return err
					}
				}
			case onnxpb.AttributeProto_GRAPH:
				if ap.G != nil {
					if err := w.graphProto(ap.G, al, depth+1); err != nil {
						return err
					}
				}
			case onnxpb.AttributeProto_GRAPHS:
				for _, sg := range ap.Graphs {
					if err := w.graphProto(sg, al, depth+1); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// CheckModel applies l to a model already in memory (decoded without
// limits or built by code): node count, subgraph depth and the size of
// every initializer and tensor attribute.
func (l Limits) CheckModel(m *Model) error {
	if m == nil || m.Graph == nil {
		return errors.New("model has no graph")
	}
	w := &limitWalk{lim: l.withDefaults()}
	return w.graph(m.Graph, "main graph", 0)
}

func (w *limitWalk) tensor(label string, t *ops.Tensor) error {
	if t == nil {
		return nil
	}
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = int64(d)
	}
	return w.tensorBytes(label, ElemTypeOf(t.DType), dims)
}

func (w *limitWalk) graph(g *Graph, where string, depth int) error {
	if g == nil {
		return nil
	}
	if depth > w.lim.MaxGraphDepth {
		return fmt.Errorf("%s: subgraphs nested %d deep, more than the limit %d: %w", where, depth, w.lim.MaxGraphDepth, ErrLimit)
	}
	if g.Name != "" {
		where = "graph " + g.Name
	}
	for _, name := range g.InitOrder {
		if err := w.tensor(where+": initializer "+name, g.Initializers[name]); err != nil {
			return err
		}
	}
	w.nodes += len(g.Nodes)
	if w.nodes > w.lim.MaxNodes {
		return fmt.Errorf("%s: more than %d nodes: %w", where, w.lim.MaxNodes, ErrLimit)
	}
	for _, n := range g.Nodes {
		if n == nil {
			continue
		}
		for _, name := range n.AttrOrderOrSorted() {
			a := n.Attrs[name]
			if a == nil {
				continue
			}
			al := where + ": node " + n.Label() + ": attribute " + name
			if err := w.tensor(al, a.T); err != nil {
				return err
			}
			for _, t := range a.Tensors {
				if err := w.tensor(al, t); err != nil {
					return err
				}
			}
			if err := w.graph(a.G, al, depth+1); err != nil {
				return err
			}
			for _, sg := range a.Graphs {
				if err := w.graph(sg, al, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
