package graph

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/require"
)

// FuzzDecode feeds arbitrary bytes to Decode. Decoding must never panic;
// whatever decodes must survive encoding and decoding again to the same
// IR. (runtime's FuzzOpenAndRun takes decoded models on through the typed
// stage and the planner.)
func FuzzDecode(f *testing.F) {
	f.Add(mustMarshal(f, richModel()))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, "")
		if err != nil {
			return
		}
		b, err := Encode(m)
		require.NoError(t, err, "decoded model does not encode")
		m2, err := Decode(b, "")
		require.NoError(t, err, "re-encoded model does not decode")
		require.NoError(t, sameModel(m, m2), "round trip changed the IR")
	})
}

// FuzzDecodeTensor feeds arbitrary bytes to DecodeTensor: no panics, and a
// decoded tensor re-encodes to bytes that decode to the same tensor.
func FuzzDecodeTensor(f *testing.F) {
	for _, c := range typedRawCases {
		f.Add(mustMarshal(f, c.typed))
	}
	f.Add([]byte{0x08, 0x02, 0x10, 0x01, 0x4a, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		name, tt, err := DecodeTensor(data)
		if err != nil {
			return
		}
		require.NoError(t, tt.Validate(), "decoded tensor is inconsistent")
		b, err := EncodeTensor(name, tt)
		require.NoError(t, err, "decoded tensor does not encode")
		name2, t2, err := DecodeTensor(b)
		require.NoError(t, err, "re-decode: %q %v", name2, err)
		require.Equal(t, name, name2, "re-decode: %q %v", name2, err)
		require.NoError(t, tensorsEqual(tt, t2))
		b2, err := EncodeTensor(name2, t2)
		require.NoError(t, err)
		require.Equal(t, b2, b, "encoding is not stable")
	})
}

// FuzzValidate wires up to 8 nodes over a small pool of value names chosen
// by the fuzzer (so cycles, undefined inputs and double producers all
// occur) and checks Validate's promise: when it accepts a graph, Sort gives
// an order where every input is defined before use and each value has one
// producer, and the graph survives encoding and decoding.
func FuzzValidate(f *testing.F) {
	f.Add([]byte{0, 1, 4, 1, 2, 5, 4, 5, 6})
	f.Add([]byte{4, 5, 6, 0, 1, 4, 1, 2, 5})
	f.Add([]byte{6, 1, 4, 4, 2, 5, 5, 2, 6})
	f.Fuzz(func(t *testing.T, wiring []byte) {
		pool := []string{"x", "c", "", "W", "a", "b", "y", "d"}
		g := &Graph{
			Inputs:       []ValueInfo{{Name: "x", DType: ops.Float32}, {Name: "c", DType: ops.Float32}},
			Outputs:      []ValueInfo{{Name: "y"}},
			Initializers: map[string]*ops.Tensor{"W": ops.FromFloat32([]int{1}, []float32{1})},
			InitOrder:    []string{"W"},
			ValueInfo:    map[string]ValueInfo{},
		}
		for i := 0; i+2 < len(wiring) && len(g.Nodes) < 8; i += 3 {
			g.Nodes = append(g.Nodes, &Node{
				Name:    "n" + itoa(int64(len(g.Nodes))),
				OpType:  "Add",
				Inputs:  []string{pool[wiring[i]%8], pool[wiring[i+1]%8]},
				Outputs: []string{pool[wiring[i+2]%8]},
				Attrs:   map[string]*Attr{},
			})
		}
		if err := g.Validate(); err != nil {
			return
		}
		require.NoError(t, g.Sort(), "Validate accepted a graph Sort rejects")
		defined := map[string]bool{"": true, "x": true, "c": true, "W": true}
		for _, n := range g.Nodes {
			for _, in := range n.Inputs {
				require.True(t, defined[in], "node %s reads %q before it is defined", n.Label(), in)
			}
			for _, o := range n.Outputs {
				if o != "" {
					require.False(t, defined[o], "value %q defined twice", o)
				}
				defined[o] = true
			}
		}
		require.True(t, defined["y"], "output y accepted without a producer")
		m := &Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
		b, err := Encode(m)
		require.NoError(t, err)
		_, err = Decode(b, "")
		require.NoError(t, err, "valid graph does not re-decode")
	})
}
