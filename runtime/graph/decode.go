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

// Decode parses a serialised ONNX model, converts it to the IR, validates it
// and sorts its nodes topologically. dir is the folder external tensor data
// is resolved against ("" when there is none). The returned model keeps data
// in Raw and dir in Dir.
func Decode(data []byte, dir string) (*Model, error) {
	var p onnxpb.ModelProto
	if err := proto.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("decode ModelProto: %w", err)
	}
	m, err := FromProto(&p, dir)
	if err != nil {
		return nil, err
	}
	m.Raw = data
	return m, nil
}

// DecodeFile reads and decodes the ONNX model at path; external data is
// resolved relative to the model's folder.
func DecodeFile(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	m, err := Decode(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return m, nil
}

// FromProto converts a ModelProto to the IR, then validates the graph and
// sorts its nodes topologically. dir is the folder external data is
// relative to.
func FromProto(p *onnxpb.ModelProto, dir string) (*Model, error) {
	if p == nil {
		return nil, errors.New("nil ModelProto")
	}
	m := &Model{
		IRVersion:       p.GetIrVersion(),
		ProducerName:    p.GetProducerName(),
		ProducerVersion: p.GetProducerVersion(),
		Domain:          p.GetDomain(),
		ModelVersion:    p.GetModelVersion(),
		DocString:       p.GetDocString(),
		Opsets:          map[string]int64{},
		Dir:             dir,
	}
	for _, o := range p.OpsetImport {
		if o.GetVersion() < 1 {
			return nil, fmt.Errorf("opset import for domain %q has version %d", o.GetDomain(), o.GetVersion())
		}
		m.Opsets[o.GetDomain()] = o.GetVersion()
	}
	for _, e := range p.MetadataProps {
		m.Metadata = append(m.Metadata, MetadataEntry{Key: e.GetKey(), Value: e.GetValue()})
	}
	for i, f := range p.Functions {
		b, err := marshal(f)
		if err != nil {
			return nil, fmt.Errorf("function %d (%s): %w", i, f.GetName(), err)
		}
		m.Functions = append(m.Functions, b)
	}
	if p.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	d := decoder{dir: dir}
	g, err := d.graph(p.Graph, "main graph")
	if err != nil {
		return nil, err
	}
	m.Graph = g
	if err := m.checkDomains(g); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := g.Sort(); err != nil {
		return nil, err
	}
	return m, nil
}

// marshal serialises a message deterministically so round trips compare.
func marshal(msg proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(msg)
}

type decoder struct {
	dir string
}

func (d *decoder) graph(gp *onnxpb.GraphProto, where string) (*Graph, error) {
	if gp.GetName() != "" {
		where = "graph " + gp.GetName()
	}
	g := &Graph{
		Name:         gp.GetName(),
		DocString:    gp.GetDocString(),
		Initializers: map[string]*ops.Tensor{},
		ValueInfo:    map[string]ValueInfo{},
	}
	for i, tp := range gp.Initializer {
		name := tp.GetName()
		if name == "" {
			return nil, fmt.Errorf("%s: initializer %d has no name", where, i)
		}
		if _, dup := g.Initializers[name]; dup {
			return nil, fmt.Errorf("%s: initializer %s is defined twice", where, name)
		}
		t, err := tensorFromProto(tp, d.dir, "initializer "+name)
		if err != nil {
			return nil, err
		}
		g.Initializers[name] = t
		g.InitOrder = append(g.InitOrder, name)
	}
	// Sparse initializers become dense ones (re-encoded dense).
	for i, sp := range gp.SparseInitializer {
		name, t, err := sparseToDense(sp, d.dir)
		if err != nil {
			return nil, fmt.Errorf("%s: sparse initializer %d: %w", where, i, err)
		}
		if name == "" {
			return nil, fmt.Errorf("%s: sparse initializer %d has no name", where, i)
		}
		if _, dup := g.Initializers[name]; dup {
			return nil, fmt.Errorf("%s: initializer %s is defined twice", where, name)
		}
		g.Initializers[name] = t
		g.InitOrder = append(g.InitOrder, name)
	}
	seen := map[string]bool{}
	for i, vp := range gp.Input {
		vi, err := valueInfoFromProto(vp)
		if err != nil {
			return nil, fmt.Errorf("%s: input %d: %w", where, i, err)
		}
		if seen[vi.Name] {
			return nil, fmt.Errorf("%s: input %s is declared twice", where, vi.Name)
		}
		seen[vi.Name] = true
		if _, ok := g.Initializers[vi.Name]; ok {
			g.OverridableInits = append(g.OverridableInits, vi)
		} else {
			g.Inputs = append(g.Inputs, vi)
		}
	}
	for i, vp := range gp.Output {
		vi, err := valueInfoFromProto(vp)
		if err != nil {
			return nil, fmt.Errorf("%s: output %d: %w", where, i, err)
		}
		g.Outputs = append(g.Outputs, vi)
	}
	for i, vp := range gp.ValueInfo {
		vi, err := valueInfoFromProto(vp)
		if err != nil {
			return nil, fmt.Errorf("%s: value_info %d: %w", where, i, err)
		}
		g.ValueInfo[vi.Name] = vi
	}
	for i, np := range gp.Node {
		n, err := d.node(np)
		if err != nil {
			return nil, fmt.Errorf("%s: node %d: %w", where, i, err)
		}
		g.Nodes = append(g.Nodes, n)
	}
	return g, nil
}

func valueInfoFromProto(vp *onnxpb.ValueInfoProto) (ValueInfo, error) {
	vi := ValueInfo{Name: vp.GetName(), DocString: vp.GetDocString()}
	if vi.Name == "" {
		return vi, errors.New("value has no name")
	}
	tt := vp.GetType().GetTensorType()
	if tt == nil {
		// No type, or a sequence/map/optional/sparse type: not a dense
		// tensor latent can feed. Keep the type for re-encoding.
		if vp.Type != nil {
			b, err := marshal(vp.Type)
			if err != nil {
				return vi, fmt.Errorf("value %s: type: %w", vi.Name, err)
			}
			vi.TypeRaw = b
		}
		return vi, nil
	}
	vi.ElemTypeCode = tt.GetElemType()
	vi.DType = DTypeFromElemType(vi.ElemTypeCode)
	if tt.Shape != nil {
		vi.HasShape = true
		vi.Shape = make(Shape, len(tt.Shape.Dim))
		for i, dp := range tt.Shape.Dim {
			switch v := dp.Value.(type) {
			case *onnxpb.TensorShapeProto_Dimension_DimValue:
				if v.DimValue < 0 {
					return vi, fmt.Errorf("value %s: negative dimension %d at axis %d", vi.Name, v.DimValue, i)
				}
				vi.Shape[i] = Dim{Value: v.DimValue}
			case *onnxpb.TensorShapeProto_Dimension_DimParam:
				vi.Shape[i] = Dim{Value: -1, Param: v.DimParam}
			default:
				vi.Shape[i] = Dim{Value: -1}
			}
		}
	}
	return vi, nil
}

func (d *decoder) node(np *onnxpb.NodeProto) (*Node, error) {
	n := &Node{
		Name:      np.GetName(),
		OpType:    np.GetOpType(),
		Domain:    np.GetDomain(),
		Inputs:    append([]string(nil), np.Input...),
		Outputs:   append([]string(nil), np.Output...),
		Attrs:     map[string]*Attr{},
		DocString: np.GetDocString(),
	}
	if n.Domain == "ai.onnx" {
		n.Domain = DefaultDomain
	}
	for _, ap := range np.Attribute {
		a, err := d.attr(ap)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Label(), err)
		}
		if _, dup := n.Attrs[a.Name]; dup {
			return nil, fmt.Errorf("%s: attribute %q is given twice", n.Label(), a.Name)
		}
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	return n, nil
}

// attrKind returns the attribute's declared type, or for files that leave
// type unset (very old exporters) the kind implied by the field present.
func attrKind(ap *onnxpb.AttributeProto) onnxpb.AttributeProto_AttributeType {
	if ap.Type != nil {
		return ap.GetType()
	}
	switch {
	case len(ap.Floats) > 0:
		return onnxpb.AttributeProto_FLOATS
	case len(ap.Ints) > 0:
		return onnxpb.AttributeProto_INTS
	case len(ap.Strings) > 0:
		return onnxpb.AttributeProto_STRINGS
	case len(ap.Tensors) > 0:
		return onnxpb.AttributeProto_TENSORS
	case len(ap.Graphs) > 0:
		return onnxpb.AttributeProto_GRAPHS
	case ap.T != nil:
		return onnxpb.AttributeProto_TENSOR
	case ap.G != nil:
		return onnxpb.AttributeProto_GRAPH
	case ap.S != nil:
		return onnxpb.AttributeProto_STRING
	case ap.I != nil:
		return onnxpb.AttributeProto_INT
	case ap.F != nil:
		return onnxpb.AttributeProto_FLOAT
	}
	return onnxpb.AttributeProto_UNDEFINED
}

func (d *decoder) attr(ap *onnxpb.AttributeProto) (*Attr, error) {
	a := &Attr{
		Name:      ap.GetName(),
		RefAttr:   ap.GetRefAttrName(),
		DocString: ap.GetDocString(),
	}
	if a.Name == "" {
		return nil, errors.New("attribute has no name")
	}
	kind := attrKind(ap)
	a.Type = AttrType(kind)
	label := "attribute " + a.Name
	var err error
	switch kind {
	case onnxpb.AttributeProto_FLOAT:
		a.F = ap.GetF()
	case onnxpb.AttributeProto_INT:
		a.I = ap.GetI()
	case onnxpb.AttributeProto_STRING:
		a.S = append([]byte{}, ap.S...)
	case onnxpb.AttributeProto_TENSOR:
		if ap.T == nil {
			if a.RefAttr != "" {
				break
			}
			return nil, fmt.Errorf("%s: tensor attribute has no tensor", label)
		}
		if a.T, err = tensorFromProto(ap.T, d.dir, label); err != nil {
			return nil, err
		}
	case onnxpb.AttributeProto_GRAPH:
		if ap.G == nil {
			if a.RefAttr != "" {
				break
			}
			return nil, fmt.Errorf("%s: graph attribute has no graph", label)
		}
		if a.G, err = d.graph(ap.G, "subgraph "+a.Name); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
	case onnxpb.AttributeProto_FLOATS:
		a.Floats = append([]float32{}, ap.Floats...)
	case onnxpb.AttributeProto_INTS:
		a.Ints = append([]int64{}, ap.Ints...)
	case onnxpb.AttributeProto_STRINGS:
		a.Strings = make([][]byte, len(ap.Strings))
		for i, s := range ap.Strings {
			a.Strings[i] = append([]byte{}, s...)
		}
	case onnxpb.AttributeProto_TENSORS:
		a.Tensors = make([]*ops.Tensor, len(ap.Tensors))
		for i, tp := range ap.Tensors {
			if a.Tensors[i], err = tensorFromProto(tp, d.dir, fmt.Sprintf("%s[%d]", label, i)); err != nil {
				return nil, err
			}
		}
	case onnxpb.AttributeProto_GRAPHS:
		a.Graphs = make([]*Graph, len(ap.Graphs))
		for i, gp := range ap.Graphs {
			if a.Graphs[i], err = d.graph(gp, fmt.Sprintf("subgraph %s[%d]", a.Name, i)); err != nil {
				return nil, fmt.Errorf("%s: %w", label, err)
			}
		}
	default:
		// Sparse tensors, type protos and kinds from future ONNX versions
		// are kept verbatim.
		if a.Raw, err = marshal(ap); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
	}
	return a, nil
}

// checkDomains requires every node's operator domain (in subgraphs too) to
// be imported by the model. Very old files import nothing and mean opset 1
// of the default domain.
func (m *Model) checkDomains(g *Graph) error {
	for _, n := range g.Nodes {
		d := n.Domain
		_, ok := m.Opsets[d]
		if d == DefaultDomain {
			_, ok2 := m.Opsets["ai.onnx"]
			ok = ok || ok2 || len(m.Opsets) == 0
		}
		if !ok {
			return fmt.Errorf("node %s: operator domain %q is not in the model's opset imports", n.Label(), d)
		}
		for _, name := range n.AttrOrderOrSorted() {
			a := n.Attrs[name]
			if a == nil {
				continue
			}
			if a.G != nil {
				if err := m.checkDomains(a.G); err != nil {
					return fmt.Errorf("node %s: subgraph %s: %w", n.Label(), name, err)
				}
			}
			for _, sg := range a.Graphs {
				if err := m.checkDomains(sg); err != nil {
					return fmt.Errorf("node %s: subgraph %s: %w", n.Label(), name, err)
				}
			}
		}
	}
	return nil
}
