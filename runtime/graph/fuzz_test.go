package graph

import (
	"bytes"
	"testing"

	"github.com/latent-ml/latent/ops"
)

// FuzzDecode feeds arbitrary bytes to Decode. Decoding must never panic;
// whatever decodes must survive shape inference, encoding and decoding
// again to the same IR.
func FuzzDecode(f *testing.F) {
	f.Add(mustMarshal(f, richModel()))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, "")
		if err != nil {
			return
		}
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded model does not encode: %v", err)
		}
		m2, err := Decode(b, "")
		if err != nil {
			t.Fatalf("re-encoded model does not decode: %v", err)
		}
		if err := sameModel(m, m2); err != nil {
			t.Fatalf("round trip changed the IR: %v", err)
		}
		_ = InferShapes(m) // errors are fine, panics are not
		_, _ = FoldConstants(m.Graph, func(n *Node, in []*ops.Tensor) ([]*ops.Tensor, error) {
			return nil, nil
		})
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
		if err := tt.Validate(); err != nil {
			t.Fatalf("decoded tensor is inconsistent: %v", err)
		}
		b, err := EncodeTensor(name, tt)
		if err != nil {
			t.Fatalf("decoded tensor does not encode: %v", err)
		}
		name2, t2, err := DecodeTensor(b)
		if err != nil || name2 != name {
			t.Fatalf("re-decode: %q %v", name2, err)
		}
		if err := tensorsEqual(tt, t2); err != nil {
			t.Fatal(err)
		}
		b2, _ := EncodeTensor(name2, t2)
		if !bytes.Equal(b, b2) {
			t.Fatal("encoding is not stable")
		}
	})
}
