package buffers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
)

// TestFreeListReuse checks the pool's free lists on both sides of
// freeScanMax: a recycled buffer comes back for the same dtype and length
// (and only for those), whether the lists are scanned or indexed.
func TestFreeListReuse(t *testing.T) {
	s := &Pool{MaxBytes: 1 << 30}
	const sizes = 3 * freeScanMax
	got := make([]*Buffer, 0, 2*sizes)
	for i := 1; i <= sizes; i++ {
		for _, dt := range []ops.DType{ops.Float32, ops.Int64} {
			x := s.Alloc(dt, []int{i, 2})
			require.Equal(t, dt, x.DType)
			require.Equal(t, []int{i, 2}, x.Shape)
			require.Equal(t, 2*i, ops.SliceLen(x.Data))
			got = append(got, s.step[len(s.step)-1])
		}
	}
	require.NotNil(t, s.freeIdx, "%d sizes: want the index map past %d", len(s.free), freeScanMax)
	for _, b := range got {
		s.Recycle(b)
	}
	s.step = s.step[:0]
	for i := sizes; i >= 1; i-- {
		for j, dt := range []ops.DType{ops.Float32, ops.Int64} {
			x := s.Alloc(dt, []int{2 * i})
			want := got[2*(i-1)+j]
			lo, _ := DataRange(x.Data)
			assert.Equal(t, want.lo, lo, "alloc(%v, [%d]) reuses the recycled buffer of that size", dt, 2*i)
			assert.Equal(t, []int{2 * i}, x.Shape)
			assert.Equal(t, 2*i, ops.SliceLen(x.Data))
		}
	}
	// Every list is empty now: a new request gets a fresh buffer.
	x := s.Alloc(ops.Float32, []int{4})
	for _, b := range got {
		lo, _ := DataRange(x.Data)
		require.NotEqual(t, b.lo, lo, "alloc handed out a buffer that is still in use")
	}
}

// DataRange knows every element storage, so views of any type are tracked.
func TestDataRangeEveryType(t *testing.T) {
	for _, dt := range ops.DTypes() {
		x := ops.New(dt, 3)
		lo, hi := DataRange(x.Data)
		require.NotZero(t, lo, "%v", dt)
		assert.Equal(t, uintptr(3*dt.Size()), hi-lo, "%v", dt)
	}
}
