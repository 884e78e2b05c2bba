package tensorpb

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

func encode(t *testing.T, tt *ops.Tensor) []byte {
	t.Helper()
	b, err := graph.EncodeTensor("x", tt)
	require.NoError(t, err)
	return b
}

func TestRead(t *testing.T) {
	u8 := &ops.Tensor{DType: ops.Uint8, Shape: []int{2, 1, 1, 2}, Data: []uint8{0, 51, 255, 102}}
	i64 := &ops.Tensor{DType: ops.Int64, Shape: []int{3}, Data: []int64{-2, 0, 7}}
	for _, c := range []struct {
		name  string
		t     *ops.Tensor
		limit int
		n, d  int
		shape []int
		want  []float32
		units data.Units
	}{
		{"float64 rows", ops.FromFloat64([]int{2, 3}, []float64{1, 2, 3, 4, 5, 6}), 0, 2, 3, nil, []float32{1, 2, 3, 4, 5, 6}, data.AsStored},
		{"float32 images", ops.FromFloat32([]int{2, 2, 1}, []float32{1, 2, 3, 4}), 1, 1, 2, []int{1, 2, 1}, []float32{1, 2}, data.AsStored},
		{"uint8 NCHW", u8, 0, 2, 2, []int{1, 1, 2}, []float32{0, 0.2, 1, 0.4}, data.BytesOver255},
		{"int64 column", i64, 0, 3, 1, nil, []float32{-2, 0, 7}, data.AsStored},
	} {
		d, err := Read(bytes.NewReader(encode(t, c.t)), c.name, c.limit)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.n, d.N, c.name)
		assert.Equal(t, c.d, d.D, c.name)
		assert.Equal(t, c.shape, d.Shape, c.name)
		assert.InDeltaSlice(t, c.want, d.X, 1e-7, c.name)
		assert.Equal(t, c.units, d.Units, c.name)
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		want string
	}{
		{encode(t, &ops.Tensor{DType: ops.Bool, Shape: []int{1, 2}, Data: []bool{true, false}}), "x.pb: element type bool is not numeric"},
		{encode(t, ops.FromFloat32([]int{}, []float32{1})), "x.pb: tensor is a scalar"},
		{encode(t, ops.FromFloat32([]int{0, 3}, nil)), "x.pb: tensor of shape [0 3] holds no samples"},
		{[]byte("\xff\xff\xff"), "x.pb: decode TensorProto"},
	} {
		_, err := Read(bytes.NewReader(c.b), "x.pb", 0)
		assert.ErrorContains(t, err, c.want)
	}
	nan := encode(t, ops.FromFloat32([]int{1, 2}, []float32{1, float32(math.NaN())}))
	_, err := Read(bytes.NewReader(nan), "x.pb", 0)
	assert.ErrorContains(t, err, "x.pb: sample 1 value 2 is NaN")
}

// Linking this package makes data.Read understand .pb files.
func TestRegistered(t *testing.T) {
	assert.Equal(t, data.TensorPB, data.FormatOf("input_0.pb"))
	d, err := data.Read(bytes.NewReader(encode(t, ops.FromFloat64([]int{1, 2}, []float64{3, 4}))), "input_0.pb", data.Options{})
	require.NoError(t, err)
	assert.Equal(t, []float32{3, 4}, d.X)
	assert.True(t, strings.Contains(data.FormatNames(), "pb"))
}
