package kernels

// ReverseSequence: reverses the first sequence_lens[b] time steps of each
// batch entry.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "ReverseSequence", Infer: inferSame, Build: buildReverseSequence}, 10)
}

func buildReverseSequence(n *graph.Node, opset int64) (operators.Kernel, error) {
	batchAxis, err := n.Int("batch_axis", 1)
	if err != nil {
		return nil, err
	}
	timeAxis, err := n.Int("time_axis", 0)
	if err != nil {
		return nil, err
	}
	if !((batchAxis == 0 && timeAxis == 1) || (batchAxis == 1 && timeAxis == 0)) {
		return nil, fmt.Errorf("node %s: batch_axis %d and time_axis %d must be 0 and 1 in some order", n.Label(), batchAxis, timeAxis)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "input", "sequence_lens")
		if err != nil {
			return nil, err
		}
		x, lt := ins[0], ins[1]
		if len(x.Shape) < 2 {
			return nil, fmt.Errorf("node %s: input must have rank ≥ 2, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		T, B := x.Shape[timeAxis], x.Shape[batchAxis]
		if lt.DType != ops.Int64 || len(lt.Shape) != 1 || lt.Len() != B {
			return nil, fmt.Errorf("node %s: sequence_lens must be int64 of shape [%d], got %v", n.Label(), B, lt)
		}
		// Row r of the output is row src[r] of the input, a row being the
		// contiguous block after the first two axes.
		blk := ops.NumElements(x.Shape[2:])
		src := make([]int, T*B)
		for b, l := range lt.I64() {
			if l < 0 || l > int64(T) {
				return nil, fmt.Errorf("node %s: sequence length %d for batch %d outside [0, %d]", n.Label(), l, b, T)
			}
			for t := 0; t < T; t++ {
				st := t
				if int64(t) < l {
					st = int(l) - 1 - t
				}
				if timeAxis == 0 {
					src[t*B+b] = (st*B + b) * blk
				} else {
					src[b*T+t] = (b*T + st) * blk
				}
			}
		}
		out := env.New(x.DType, x.Shape...)
		switch s := ops.Words(x.Data).(type) {
		case []uint8:
			ops.GatherBlocks(ops.Words(out.Data).([]uint8), s, src, blk)
		case []uint16:
			ops.GatherBlocks(ops.Words(out.Data).([]uint16), s, src, blk)
		case []uint32:
			ops.GatherBlocks(ops.Words(out.Data).([]uint32), s, src, blk)
		case []uint64:
			ops.GatherBlocks(ops.Words(out.Data).([]uint64), s, src, blk)
		case []string:
			ops.GatherBlocks(ops.Words(out.Data).([]string), s, src, blk)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}
