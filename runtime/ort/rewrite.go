package ort

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// onnxruntime_go converts ONNX Runtime's outputs into Go tensors itself, and
// that conversion cannot represent rank-0 tensors and truncates float16 and
// bfloat16 data (and overruns packed 4- and 2-bit data). So the backend never
// fetches a model's outputs directly: wrapOutputs adds, for every graph
// output y, two extra outputs that it can represent,
//
//	Shape(y)                           -> int64 [rank]
//	Reshape(y or Cast(y, T), [-1])     -> 1-D data (T: float32 for float16,
//	                                      bfloat16 and float4 y; int8/uint8
//	                                      for the 4- and 2-bit integers)
//
// and the backend rebuilds y from the pair. Shape and Reshape are views in
// ONNX Runtime, so the cost is a few tiny nodes.

// ONNX protobuf field numbers and enum values used by the rewrite.
const (
	modelGraph       = 7
	modelOpsetImport = 8
	opsetDomain      = 1
	opsetVersion     = 2

	graphNode   = 1
	graphInput  = 11
	graphOutput = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attrName = 1
	attrI    = 3
	attrT    = 5
	attrType = 20

	attrTypeInt    = 2
	attrTypeTensor = 4

	tensorDims     = 1
	tensorDataType = 2
	tensorInt64    = 7

	valueInfoName = 1
	valueInfoType = 2
	typeTensor    = 1
	tensorElem    = 1

	elemFloat   = 1
	elemUint8   = 2
	elemInt8    = 3
	elemInt64   = 7
	elemFloat16 = 10
	elemBF16    = 16
	elemUint4   = 21
	elemInt4    = 22
	elemFloat4  = 23
	elemUint2   = 25
	elemInt2    = 26
)

// fetchAs is the element type an output of type elem is fetched as:
// onnxruntime_go copies outputs of types it has no Go type for one byte per
// element, which truncates 16-bit and overruns packed 4- and 2-bit data, so
// those are cast (exactly) to a type it copies whole and turned back in Go.
func fetchAs(elem int32) int32 {
	switch elem {
	case elemFloat16, elemBF16, elemFloat4:
		return elemFloat
	case elemInt4, elemInt2:
		return elemInt8
	case elemUint4, elemUint2:
		return elemUint8
	}
	return elem
}

// wrapped describes the rewritten model's extra outputs.
type wrapped struct {
	model []byte
	// flat and shape name, per original output, the extra outputs; both are
	// "" for outputs that are not tensors (sequences, maps, optionals),
	// which are fetched as they are.
	flat, shape []string
	// elem is each original output's declared ONNX element type (0 unknown).
	elem []int32
	// dummy names the extra float input [1] added to a model without
	// inputs (onnxruntime_go cannot run with zero inputs); "" if none.
	dummy string
}

// errNoRewrite means the model cannot be wrapped (too old an opset); the
// caller then fetches outputs directly.
var errNoRewrite = errors.New("model not rewritable")

// wrapOutputs returns model with the extra outputs described above. With
// addDummy it also declares an unused input, for models without inputs.
func wrapOutputs(model []byte, addDummy bool) (*wrapped, error) {
	var graphBytes []byte
	graphCount := 0
	opset := int64(-1)
	if err := eachField(model, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == modelGraph && typ == protowire.BytesType:
			graphBytes = v
			graphCount++
		case num == modelOpsetImport && typ == protowire.BytesType:
			domain, version := "", int64(1)
			err := eachField(v, func(n protowire.Number, t protowire.Type, b []byte, x uint64) error {
				switch {
				case n == opsetDomain && t == protowire.BytesType:
					domain = string(b)
				case n == opsetVersion && t == protowire.VarintType:
					version = int64(x)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("opset_import: %w", err)
			}
			if domain == "" || domain == "ai.onnx" {
				opset = version
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("parse ModelProto: %w", err)
	}
	if graphCount != 1 {
		return nil, fmt.Errorf("parse ModelProto: %d graph fields, want 1", graphCount)
	}
	// Cast with an integer "to" needs opset 6 and Reshape's shape input 5.
	if opset < 6 {
		return nil, errNoRewrite
	}

	type output struct {
		name   string
		elem   int32
		tensor bool
	}
	var outs []output
	if err := eachField(graphBytes, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != graphOutput || typ != protowire.BytesType {
			return nil
		}
		o, err := parseValueInfo(v)
		if err != nil {
			return fmt.Errorf("graph output %d: %w", len(outs), err)
		}
		outs = append(outs, output{o.name, o.elem, o.tensor})
		return nil
	}); err != nil {
		return nil, fmt.Errorf("parse GraphProto: %w", err)
	}

	w := &wrapped{}
	extra := graphBytes[:len(graphBytes):len(graphBytes)]
	const prefix = "__latent_ort_"
	flatShape := prefix + "minus_one"
	extra = appendBytesField(extra, graphNode, constantInt64Node(flatShape))
	if addDummy {
		w.dummy = prefix + "dummy"
		extra = appendBytesField(extra, graphInput, valueInfo(w.dummy, elemFloat, 1))
	}
	for i, o := range outs {
		if !o.tensor {
			w.flat = append(w.flat, "")
			w.shape = append(w.shape, "")
			w.elem = append(w.elem, o.elem)
			continue
		}
		flat := fmt.Sprintf("%sflat_%d", prefix, i)
		shape := fmt.Sprintf("%sshape_%d", prefix, i)
		src := o.name
		elem := o.elem
		if to := fetchAs(elem); to != elem {
			cast := fmt.Sprintf("%scast_%d", prefix, i)
			extra = appendBytesField(extra, graphNode, node("Cast", []string{src}, cast, attrInt("to", int64(to))))
			src, elem = cast, to
		}
		extra = appendBytesField(extra, graphNode, node("Shape", []string{o.name}, shape, nil))
		extra = appendBytesField(extra, graphNode, node("Reshape", []string{src, flatShape}, flat, nil))
		extra = appendBytesField(extra, graphOutput, valueInfo(shape, elemInt64, -1))
		extra = appendBytesField(extra, graphOutput, valueInfo(flat, elem, -1))
		w.flat = append(w.flat, flat)
		w.shape = append(w.shape, shape)
		w.elem = append(w.elem, o.elem)
	}

	// Re-emit the model with the graph field replaced, other fields as is.
	out := make([]byte, 0, len(model)+len(extra)-len(graphBytes)+16)
	rest := model
	for len(rest) > 0 {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		if num == modelGraph && typ == protowire.BytesType {
			out = appendBytesField(out, modelGraph, extra)
		} else {
			out = append(out, rest[:n+m]...)
		}
		rest = rest[n+m:]
	}
	w.model = out
	return w, nil
}

type valueInfoFields struct {
	name string
	elem int32
	// tensor is false when the type is declared and is not a tensor.
	tensor bool
}

func parseValueInfo(b []byte) (valueInfoFields, error) {
	vi := valueInfoFields{tensor: true}
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == valueInfoName && typ == protowire.BytesType:
			vi.name = string(v)
		case num == valueInfoType && typ == protowire.BytesType:
			vi.tensor = false
			return eachField(v, func(n protowire.Number, t protowire.Type, tv []byte, _ uint64) error {
				if n != typeTensor || t != protowire.BytesType {
					return nil
				}
				vi.tensor = true
				return eachField(tv, func(n protowire.Number, t protowire.Type, _ []byte, x uint64) error {
					if n == tensorElem && t == protowire.VarintType {
						vi.elem = int32(x)
					}
					return nil
				})
			})
		}
		return nil
	})
	return vi, err
}

// eachField calls f for every field of the serialised message b; v is the
// payload of length-delimited fields and x the value of varint fields.
func eachField(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarintField(b []byte, num protowire.Number, x uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, x)
}

func node(op string, inputs []string, output string, attr []byte) []byte {
	var b []byte
	for _, in := range inputs {
		b = appendStringField(b, nodeInput, in)
	}
	b = appendStringField(b, nodeOutput, output)
	b = appendStringField(b, nodeName, output)
	b = appendStringField(b, nodeOpType, op)
	if attr != nil {
		b = appendBytesField(b, nodeAttribute, attr)
	}
	return b
}

func attrInt(name string, v int64) []byte {
	b := appendStringField(nil, attrName, name)
	b = appendVarintField(b, attrI, uint64(v))
	return appendVarintField(b, attrType, attrTypeInt)
}

// constantInt64Node is Constant(value=int64[1]{-1}) -> output.
func constantInt64Node(output string) []byte {
	t := appendVarintField(nil, tensorDims, 1)
	t = appendVarintField(t, tensorDataType, elemInt64)
	t = appendVarintField(t, tensorInt64, uint64(0xFFFFFFFFFFFFFFFF)) // -1
	a := appendStringField(nil, attrName, "value")
	a = appendBytesField(a, attrT, t)
	a = appendVarintField(a, attrType, attrTypeTensor)
	return node("Constant", nil, output, a)
}

// valueInfo encodes a tensor ValueInfoProto; dim >= 0 declares shape [dim].
func valueInfo(name string, elem int32, dim int64) []byte {
	b := appendStringField(nil, valueInfoName, name)
	if elem == 0 {
		return b
	}
	tt := appendVarintField(nil, tensorElem, uint64(elem))
	if dim >= 0 {
		d := appendVarintField(nil, 1, uint64(dim)) // Dimension.dim_value
		tt = appendBytesField(tt, 2, appendBytesField(nil, 1, d))
	}
	tp := appendBytesField(nil, typeTensor, tt)
	return appendBytesField(b, valueInfoType, tp)
}
