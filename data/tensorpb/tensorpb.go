// Package tensorpb reads data samples from a serialised ONNX TensorProto
// (the .pb files of the ONNX backend-test layout, and what `latent run`
// writes), decoded by runtime/graph's TensorProto codec. It registers
// format data.TensorPB (extension .pb) with package data when linked in;
// it lives apart so that package data, and the trainer above it, need
// nothing of protobuf.
package tensorpb

import (
	"fmt"
	"io"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

func init() {
	data.RegisterFormat(data.TensorPB, func(r io.Reader, name string, opt data.Options) (*data.Dataset, error) {
		return Read(r, name, opt.Limit)
	}, ".pb")
}

// maxBytes bounds what Read takes from its reader (a TensorProto of
// data.MaxElements float32 values).
const maxBytes = 4 * data.MaxElements

// Read decodes one TensorProto whose first dimension is the sample axis
// (see data.ReadNPY for how trailing dimensions become Dataset.Shape). Any
// numeric element type is accepted: uint8 is divided by 255 (the scaling
// rule of package data), the others are converted to float32 as stored
// (ONNX Cast semantics). External data is refused. It keeps the first
// limit samples (0: all); name labels errors.
func Read(r io.Reader, name string, limit int) (*data.Dataset, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > maxBytes {
		return nil, fmt.Errorf("%s: TensorProto larger than %d bytes", name, maxBytes)
	}
	_, t, err := graph.DecodeTensor(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(t.Shape) == 0 {
		return nil, fmt.Errorf("%s: tensor is a scalar, want samples along the first dimension", name)
	}
	n := t.Shape[0]
	if n == 0 {
		return nil, fmt.Errorf("%s: tensor of shape %s holds no samples", name, ops.ShapeString(t.Shape))
	}
	per := t.Len() / n
	units := data.AsStored
	var x []float32
	switch t.DType {
	case ops.Uint8:
		x = make([]float32, t.Len())
		data.BytesToUnit(x, t.U8())
		units = data.BytesOver255
	case ops.Bool, ops.Invalid:
		return nil, fmt.Errorf("%s: element type %v is not numeric", name, t.DType)
	default:
		dst := ops.New(ops.Float32, t.Shape...)
		if err := ops.Cast(dst, t); err != nil {
			return nil, fmt.Errorf("%s: element type %v is not numeric: %w", name, t.DType, err)
		}
		x = dst.F32()
	}
	if limit > 0 && limit < n {
		n, x = limit, x[:limit*per]
	}
	for i, v := range x {
		if v-v != 0 {
			return nil, fmt.Errorf("%s: sample %d value %d is %v", name, i/max(per, 1)+1, i%max(per, 1)+1, v)
		}
	}
	return &data.Dataset{N: n, D: per, X: x, Shape: data.SampleShape(t.Shape), Units: units, Source: name}, nil
}
