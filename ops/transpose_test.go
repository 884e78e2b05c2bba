package ops

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allDTypes lists every element type a Tensor holds.
var allDTypes = []DType{Float32, Float64, Float16, Int64, Int32, Int8, Uint8, Bool}

// seqTensor returns a tensor of type dt whose element i is derived from i, so
// that (for small tensors) elements are distinguishable.
func seqTensor(dt DType, shape ...int) *Tensor {
	t := New(dt, shape...)
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(i) + 0.5
		}
	case []float64:
		for i := range d {
			d[i] = float64(i) - 0.25
		}
	case []uint16:
		for i := range d {
			d[i] = uint16(i*7 + 1)
		}
	case []int64:
		for i := range d {
			d[i] = int64(i)*1000003 - 5
		}
	case []int32:
		for i := range d {
			d[i] = int32(i) - 3
		}
	case []int8:
		for i := range d {
			d[i] = int8(i%251 - 125)
		}
	case []uint8:
		for i := range d {
			d[i] = uint8(i % 253)
		}
	case []bool:
		for i := range d {
			d[i] = i%3 == 1
		}
	}
	return t
}

// pickElements builds the expected tensor out[i] = src[idx[i]] element by element
// through reflection: deliberately nothing like the kernels under test.
func pickElements(src *Tensor, shape []int, idx []int) *Tensor {
	out := New(src.DType, shape...)
	sv, ov := reflect.ValueOf(src.Data), reflect.ValueOf(out.Data)
	for i, k := range idx {
		ov.Index(i).Set(sv.Index(k))
	}
	return out
}

// ravel is the inverse of unravel.
func ravel(m, shape []int) int {
	i := 0
	for a := range shape {
		i = i*shape[a] + m[a]
	}
	return i
}

// requireTensorEqual stops the test unless got has want's type, shape and
// elements.
func requireTensorEqual(t *testing.T, what string, got, want *Tensor) {
	t.Helper()
	require.Equal(t, want.DType, got.DType, what)
	require.Truef(t, SameShape(got.Shape, want.Shape), "%s: shape %v, want %v", what, got.Shape, want.Shape)
	require.Equal(t, want.Data, got.Data, what)
}

// naiveTransposeIdx maps each output element to its input element.
func naiveTransposeIdx(shape, perm []int) ([]int, []int) {
	os := make([]int, len(shape))
	for i, p := range perm {
		os[i] = shape[p]
	}
	n := NumElements(shape)
	idx := make([]int, n)
	for o := 0; o < n; o++ {
		om := unravel(o, os)
		im := make([]int, len(shape))
		for i, p := range perm {
			im[p] = om[i]
		}
		idx[o] = ravel(im, shape)
	}
	return os, idx
}

func TestTransposeHandWorked(t *testing.T) {
	// [[1 2 3] [4 5 6]] transposed is [[1 4] [2 5] [3 6]].
	src := FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	dst := New(Float32, 3, 2)
	require.NoError(t, TransposeInto(dst, src, nil))
	requireTensorEqual(t, "2x3", dst, FromFloat32([]int{3, 2}, []float32{1, 4, 2, 5, 3, 6}))

	// shape [2,1,2] perm [2,0,1]: out[k][i][j] = in[i][j][k].
	src = FromInt64([]int{2, 1, 2}, []int64{10, 11, 20, 21})
	dst = New(Int64, 2, 2, 1)
	require.NoError(t, TransposeInto(dst, src, []int{2, 0, 1}))
	requireTensorEqual(t, "2x1x2", dst, FromInt64([]int{2, 2, 1}, []int64{10, 20, 11, 21}))
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for pos := 0; pos <= len(p); pos++ {
			q := append(append(append([]int{}, p[:pos]...), n-1), p[pos:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestTransposeAllPermsAllDTypes(t *testing.T) {
	shapes := [][]int{{}, {5}, {3, 4}, {37, 45}, {2, 3, 4}, {2, 1, 3, 4}, {3, 2, 1, 5, 2}, {2, 0, 3}, {1, 1}, {33, 1, 65}}
	for _, dt := range allDTypes {
		for _, shape := range shapes {
			for _, perm := range permutations(len(shape)) {
				src := seqTensor(dt, shape...)
				os, idx := naiveTransposeIdx(shape, perm)
				want := pickElements(src, os, idx)
				got := New(dt, os...)
				require.NoError(t, TransposeInto(got, src, perm))
				requireTensorEqual(t, fmt.Sprintf("%v %v perm %v", dt, shape, perm), got, want)
			}
		}
	}
}

func TestTransposeRandomShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 200; it++ {
		n := 1 + r.IntN(5)
		shape := make([]int, n)
		for i := range shape {
			shape[i] = 1 + r.IntN(6)
		}
		perm := r.Perm(n)
		src := seqTensor(Float32, shape...)
		os, idx := naiveTransposeIdx(shape, perm)
		got := New(Float32, os...)
		require.NoError(t, TransposeInto(got, src, perm))
		requireTensorEqual(t, fmt.Sprintf("%v perm %v", shape, perm), got, pickElements(src, os, idx))
	}
}

func TestTransposeErrors(t *testing.T) {
	src := seqTensor(Float32, 2, 3)
	for _, c := range []struct {
		perm []int
		dst  *Tensor
	}{
		{[]int{0}, New(Float32, 2, 3)},
		{[]int{0, 0}, New(Float32, 2, 3)},
		{[]int{0, 2}, New(Float32, 2, 3)},
		{[]int{1, 0}, New(Float32, 2, 3)}, // wrong output shape
		{[]int{1, 0}, New(Int32, 3, 2)},   // wrong output type
	} {
		assert.Errorf(t, TransposeInto(c.dst, src, c.perm), "perm %v into %v: no error", c.perm, c.dst)
	}
}

func BenchmarkTranspose2D(b *testing.B) {
	src := make([]float32, 512*768)
	dst := make([]float32, len(src))
	b.SetBytes(int64(4 * len(src)))
	for b.Loop() {
		Transpose(dst, src, []int{512, 768}, []int{1, 0})
	}
}

func BenchmarkTransposeNCHWtoNHWC(b *testing.B) {
	shape := []int{8, 32, 28, 28}
	src := make([]float32, NumElements(shape))
	dst := make([]float32, len(src))
	b.SetBytes(int64(4 * len(src)))
	for b.Loop() {
		Transpose(dst, src, shape, []int{0, 2, 3, 1})
	}
}

func TestMoveValidAgreesWithValidate(t *testing.T) {
	cases := []*Tensor{
		nil,
		New(Float32, 2, 3),
		{DType: Float32, Shape: []int{2, 3}, Data: make([]float32, 5)},
		{DType: Int32, Shape: []int{2}, Data: make([]float32, 2)},
		{DType: Float16, Shape: []int{2}, Data: make([]uint16, 2)},
		{DType: Bool, Shape: []int{-1}, Data: []bool{}},
		{DType: Invalid, Shape: []int{}, Data: []int64{1}},
		{DType: Uint8, Shape: []int{}, Data: []uint8{1}},
	}
	for i, c := range cases {
		got, want := moveValid(c), c.Validate() == nil
		assert.Equalf(t, want, got, "case %d (%v): moveValid %v, Validate ok %v", i, c, got, want)
	}
}
