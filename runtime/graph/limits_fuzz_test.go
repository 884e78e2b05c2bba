package graph

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeLimited: DecodeLimited never panics; what it accepts, Decode
// accepts too and CheckModel passes under the same limits; what it refuses
// for a limit, it refuses with ErrLimit, and only if Decode also refuses
// or the model really exceeds the limit.
func FuzzDecodeLimited(f *testing.F) {
	f.Add(mustMarshal(f, limitsModel(0)), int64(4096), int64(64), uint8(4), uint8(2))
	f.Add(mustMarshal(f, limitsModel(2)), int64(4096), int64(64), uint8(5), uint8(1))
	f.Add(mustMarshal(f, richModel()), int64(100), int64(8), uint8(1), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, modelBytes, tensorBytes int64, nodes, depth uint8) {
		lim := Limits{MaxModelBytes: modelBytes, MaxTensorBytes: tensorBytes, MaxNodes: int(nodes), MaxGraphDepth: int(depth)}
		m, err := DecodeLimited(data, "", lim)
		if err != nil {
			if errors.Is(err, ErrLimit) {
				if m2, err2 := Decode(data, ""); err2 == nil {
					if lim.CheckModel(m2) == nil && int64(len(data)) <= lim.withDefaults().MaxModelBytes {
						t.Fatalf("DecodeLimited refused (%v) a model within the limits", err)
					}
				}
			}
			return
		}
		_, err = Decode(data, "")
		require.NoError(t, err, "DecodeLimited accepted what Decode refuses")
		require.NoError(t, lim.CheckModel(m), "accepted model fails CheckModel with the same limits")
	})
}
