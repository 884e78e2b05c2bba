package graph

import (
	"errors"
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/runtime/onnxpb"
)

// Encode serialises m as an ONNX model file.
func Encode(m *Model) ([]byte, error) {
	p, err := ToProto(m)
	if err != nil {
		return nil, err
	}
	b, err := marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode ModelProto: %w", err)
	}
	return b, nil
}

// ToProto converts the IR back to a ModelProto. Opset imports are written
// sorted by domain, value_info sorted by name; everything else keeps the IR's
// order. Initializers are written with raw_data.
func ToProto(m *Model) (*onnxpb.ModelProto, error) {
	if m == nil {
		return nil, errors.New("nil model")
	}
	if m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	p := &onnxpb.ModelProto{
		IrVersion:    proto.Int64(m.IRVersion),
		ModelVersion: optInt(m.ModelVersion),
	}
	p.ProducerName = optStr(m.ProducerName)
	p.ProducerVersion = optStr(m.ProducerVersion)
	p.Domain = optStr(m.Domain)
	p.DocString = optStr(m.DocString)
	domains := make([]string, 0, len(m.Opsets))
	for d := range m.Opsets {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	for _, d := range domains {
		p.OpsetImport = append(p.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String(d), Version: proto.Int64(m.Opsets[d])})
	}
	for _, e := range m.Metadata {
		p.MetadataProps = append(p.MetadataProps, &onnxpb.StringStringEntryProto{Key: proto.String(e.Key), Value: proto.String(e.Value)})
	}
	for i, b := range m.Functions {
		f := &onnxpb.FunctionProto{}
		if err := proto.Unmarshal(b, f); err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		p.Functions = append(p.Functions, f)
	}
	g, err := graphToProto(m.Graph)
	if err != nil {
		return nil, err
	}
	p.Graph = g
	return p, nil
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return proto.String(s)
}

func optInt(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return proto.Int64(v)
}

func graphToProto(g *Graph) (*onnxpb.GraphProto, error) {
	if g == nil {
		return nil, errors.New("nil graph")
	}
	gp := &onnxpb.GraphProto{Name: optStr(g.Name), DocString: optStr(g.DocString)}
	where := "graph"
	if g.Name != "" {
		where = "graph " + g.Name
	}
	// Initializers in InitOrder first, then any added without an order entry.
	done := map[string]bool{}
	var names []string
	for _, name := range g.InitOrder {
		if _, ok := g.Initializers[name]; ok && !done[name] {
			names = append(names, name)
			done[name] = true
		}
	}
	var extra []string
	for name := range g.Initializers {
		if !done[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range append(names, extra...) {
		tp, err := TensorToProto(name, g.Initializers[name])
		if err != nil {
			return nil, fmt.Errorf("%s: initializer %s: %w", where, name, err)
		}
		gp.Initializer = append(gp.Initializer, tp)
	}
	for _, list := range [][]ValueInfo{g.Inputs, g.OverridableInits} {
		for _, vi := range list {
			vp, err := valueInfoToProto(vi)
			if err != nil {
				return nil, fmt.Errorf("%s: input: %w", where, err)
			}
			gp.Input = append(gp.Input, vp)
		}
	}
	for _, vi := range g.Outputs {
		vp, err := valueInfoToProto(vi)
		if err != nil {
			return nil, fmt.Errorf("%s: output: %w", where, err)
		}
		gp.Output = append(gp.Output, vp)
	}
	vnames := make([]string, 0, len(g.ValueInfo))
	for name := range g.ValueInfo {
		vnames = append(vnames, name)
	}
	sort.Strings(vnames)
	for _, name := range vnames {
		vi := g.ValueInfo[name]
		vi.Name = name
		vp, err := valueInfoToProto(vi)
		if err != nil {
			return nil, fmt.Errorf("%s: value_info: %w", where, err)
		}
		gp.ValueInfo = append(gp.ValueInfo, vp)
	}
	for i, n := range g.Nodes {
		if n == nil {
			return nil, fmt.Errorf("%s: node %d is nil", where, i)
		}
		np, err := nodeToProto(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		gp.Node = append(gp.Node, np)
	}
	return gp, nil
}

func valueInfoToProto(vi ValueInfo) (*onnxpb.ValueInfoProto, error) {
	vp := &onnxpb.ValueInfoProto{Name: proto.String(vi.Name), DocString: optStr(vi.DocString)}
	if vi.TypeRaw != nil && vi.DType == 0 && vi.ElemTypeCode == 0 && !vi.HasShape {
		tp := &onnxpb.TypeProto{}
		if err := proto.Unmarshal(vi.TypeRaw, tp); err != nil {
			return nil, fmt.Errorf("value %s: raw type: %w", vi.Name, err)
		}
		vp.Type = tp
		return vp, nil
	}
	code := ElemTypeOf(vi.DType)
	if code == 0 {
		code = vi.ElemTypeCode
	}
	if code == 0 && !vi.HasShape {
		return vp, nil
	}
	tt := &onnxpb.TypeProto_Tensor{}
	if code != 0 {
		tt.ElemType = proto.Int32(code)
	}
	if vi.HasShape || vi.Shape != nil {
		sp := &onnxpb.TensorShapeProto{Dim: make([]*onnxpb.TensorShapeProto_Dimension, len(vi.Shape))}
		for i, d := range vi.Shape {
			dp := &onnxpb.TensorShapeProto_Dimension{}
			switch {
			case d.Param != "":
				dp.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d.Param}
			case d.Value >= 0:
				dp.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d.Value}
			}
			sp.Dim[i] = dp
		}
		tt.Shape = sp
	}
	vp.Type = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}
	return vp, nil
}

func nodeToProto(n *Node) (*onnxpb.NodeProto, error) {
	np := &onnxpb.NodeProto{
		Input:     append([]string(nil), n.Inputs...),
		Output:    append([]string(nil), n.Outputs...),
		Name:      optStr(n.Name),
		OpType:    proto.String(n.OpType),
		Domain:    optStr(n.Domain),
		DocString: optStr(n.DocString),
	}
	done := map[string]bool{}
	var names []string
	for _, name := range n.AttrOrder {
		if _, ok := n.Attrs[name]; ok && !done[name] {
			names = append(names, name)
			done[name] = true
		}
	}
	var extra []string
	for name := range n.Attrs {
		if !done[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range append(names, extra...) {
		a := n.Attrs[name]
		if a == nil {
			return nil, fmt.Errorf("node %s: attribute %q is nil", n.Label(), name)
		}
		ap, err := attrToProto(a)
		if err != nil {
			return nil, fmt.Errorf("node %s: attribute %q: %w", n.Label(), name, err)
		}
		if ap.GetName() != name {
			ap.Name = proto.String(name)
		}
		np.Attribute = append(np.Attribute, ap)
	}
	return np, nil
}

func attrToProto(a *Attr) (*onnxpb.AttributeProto, error) {
	if a.Raw != nil {
		ap := &onnxpb.AttributeProto{}
		if err := proto.Unmarshal(a.Raw, ap); err != nil {
			return nil, fmt.Errorf("raw attribute: %w", err)
		}
		return ap, nil
	}
	ap := &onnxpb.AttributeProto{
		Name:        proto.String(a.Name),
		RefAttrName: optStr(a.RefAttr),
		DocString:   optStr(a.DocString),
		Type:        onnxpb.AttributeProto_AttributeType(a.Type).Enum(),
	}
	var err error
	switch a.Type {
	case AttrFloat:
		ap.F = proto.Float32(a.F)
	case AttrInt:
		ap.I = proto.Int64(a.I)
	case AttrString:
		ap.S = append([]byte{}, a.S...)
	case AttrTensor:
		if a.T != nil {
			if ap.T, err = TensorToProto("", a.T); err != nil {
				return nil, err
			}
		}
	case AttrGraph:
		if a.G != nil {
			if ap.G, err = graphToProto(a.G); err != nil {
				return nil, err
			}
		}
	case AttrFloats:
		ap.Floats = append([]float32(nil), a.Floats...)
	case AttrInts:
		ap.Ints = append([]int64(nil), a.Ints...)
	case AttrStrings:
		for _, s := range a.Strings {
			ap.Strings = append(ap.Strings, append([]byte{}, s...))
		}
	case AttrTensors:
		for i, t := range a.Tensors {
			tp, err := TensorToProto("", t)
			if err != nil {
				return nil, fmt.Errorf("tensor %d: %w", i, err)
			}
			ap.Tensors = append(ap.Tensors, tp)
		}
	case AttrGraphs:
		for i, g := range a.Graphs {
			gp, err := graphToProto(g)
			if err != nil {
				return nil, fmt.Errorf("graph %d: %w", i, err)
			}
			ap.Graphs = append(ap.Graphs, gp)
		}
	default:
		return nil, fmt.Errorf("kind %d has no raw bytes to write", a.Type)
	}
	return ap, nil
}
