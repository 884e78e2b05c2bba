package serve

import (
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReconstructionErrorByHand(t *testing.T) {
	in := ops.FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4})
	rec := ops.FromFloat32([]int{2, 2}, []float32{1, 0, 0, 8})
	got, err := ReconstructionError(in, rec)
	require.NoError(t, err)
	// Row 0: (0² + 2²)/2 = 2; row 1: (3² + 4²)/2 = 12.5.
	require.Len(t, got, 2, "got %v, want [2 12.5]", got)
	require.EqualValues(t, 2, got[0], "got %v, want [2 12.5]", got)
	assert.EqualValues(t, 12.5, got[1], "got %v, want [2 12.5]", got)
	_, err = ReconstructionError(in, ops.FromFloat32([]int{1, 4}, make([]float32, 4)))
	assert.ErrorContains(t, err, "differ", "shape mismatch")
	_, err = ReconstructionError(ops.FromInt64([]int{1}, []int64{1}), ops.FromInt64([]int{1}, []int64{1}))
	assert.ErrorContains(t, err, "not floating point", "int tensors")
}

func TestNegativeELBOByHand(t *testing.T) {
	in := ops.FromFloat32([]int{1, 2}, []float32{1, 2})
	rec := ops.FromFloat32([]int{1, 2}, []float32{0, 2})
	mu := ops.FromFloat32([]int{1, 1}, []float32{1})
	lv := ops.FromFloat32([]int{1, 1}, []float32{0})
	got, err := NegativeELBO(in, rec, mu, lv)
	require.NoError(t, err)
	// ½·Σ(x−x̂)² = ½·1 = 0.5; KL = −½(1 + 0 − 1 − e⁰) = 0.5.
	require.Len(t, got, 1, "got %v, want [1]", got)
	assert.InDelta(t, 1, got[0], 1e-12, "got %v, want [1]", got)
	_, err = NegativeELBO(in, rec, mu, ops.FromFloat32([]int{2}, []float32{0, 0}))
	assert.Error(t, err, "mismatched mu/logvar accepted")
}

func TestParseDataNestingAndErrors(t *testing.T) {
	got, err := parseData("x", []byte(` [ [1, 2.5e0] ,[ -3,4 ] ] `), ops.Float32, 4)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2.5, -3, 4}, got)
	for _, c := range []struct{ in, want string }{
		{`[1,2`, "ends inside an array"},
		{`[1,2] x`, "after data"},
		{`[1;2]`, "not a number"},
		{strings.Repeat("[", 40) + "1" + strings.Repeat("]", 40), "deeper than 32"},
	} {
		_, err := parseData("x", []byte(c.in), ops.Float32, 2)
		assert.ErrorContains(t, err, c.want, "%s", c.in)
	}
}

// FuzzParseData feeds arbitrary bytes to the JSON and binary decoders of
// every datatype: they may refuse, never panic.
func FuzzParseData(f *testing.F) {
	f.Add([]byte(`[[1,2],[3,4]]`), 4)
	f.Add([]byte(`[true,false]`), 2)
	f.Add([]byte(`["a\"b", "\u00e9", ""]`), 3)
	f.Add([]byte("\x01\x00\x00\x00a\x00\x00\x00\x00"), 2)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n < 0 || n > 64 {
			return
		}
		for _, d := range datatypes {
			parseData("fuzz", b, d.dt, n)  // must not panic
			fromBinary("fuzz", b, d.dt, n) // nor the binary form
		}
	})
}
