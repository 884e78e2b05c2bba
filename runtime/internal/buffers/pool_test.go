package buffers

import (
	"testing"

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
			if x.DType != dt || len(x.Shape) != 2 || x.Shape[0] != i || x.Shape[1] != 2 || ops.SliceLen(x.Data) != 2*i {
				t.Fatalf("alloc(%v, [%d 2]) = %v with %d elements", dt, i, x, ops.SliceLen(x.Data))
			}
			got = append(got, s.step[len(s.step)-1])
		}
	}
	if s.freeIdx == nil {
		t.Fatalf("%d sizes: want the index map past %d", len(s.free), freeScanMax)
	}
	for _, b := range got {
		s.Recycle(b)
	}
	s.step = s.step[:0]
	for i := sizes; i >= 1; i-- {
		for j, dt := range []ops.DType{ops.Float32, ops.Int64} {
			x := s.Alloc(dt, []int{2 * i})
			want := got[2*(i-1)+j]
			if lo, _ := DataRange(x.Data); lo != want.lo {
				t.Errorf("alloc(%v, [%d]) did not reuse the recycled buffer of that size", dt, 2*i)
			}
			if x.Shape[0] != 2*i || ops.SliceLen(x.Data) != 2*i {
				t.Errorf("alloc(%v, [%d]) = %v", dt, 2*i, x)
			}
		}
	}
	// Every list is empty now: a new request gets a fresh buffer.
	x := s.Alloc(ops.Float32, []int{4})
	for _, b := range got {
		if lo, _ := DataRange(x.Data); lo == b.lo {
			t.Fatal("alloc handed out a buffer that is still in use")
		}
	}
}
