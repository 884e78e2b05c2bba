package ops

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// halfValue decodes half bits by the IEEE 754 definition, independently of
// Float16ToFloat32: (-1)^s · 2^(e-15) · (1 + m/1024), or 2^-14 · m/1024 for
// subnormals.
func halfValue(h uint16) float64 {
	s := 1.0
	if h&0x8000 != 0 {
		s = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0x1f:
		if m != 0 {
			return math.NaN()
		}
		return s * math.Inf(1)
	case 0:
		return s * math.Ldexp(m/1024, -14)
	}
	return s * math.Ldexp(1+m/1024, e-15)
}

func TestFloat16ToFloat32AllPatterns(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got := Float16ToFloat32(h)
		want := halfValue(h)
		if math.IsNaN(want) {
			if !(math.IsNaN(float64(got))) {
				require.Failf(t, "!(math.IsNaN(float64(got)))", "%#04x: got %v, want NaN", h, got)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			require.Failf(t, "float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want)", "%#04x: got %v, want %v", h, got, want)
		}
	}
}

func TestFloat16RoundTripAllPatterns(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		back := Float32ToFloat16(Float16ToFloat32(h))
		if h != back {
			require.Equalf(t, h, back, "%#04x -> %v -> %#04x", h, Float16ToFloat32(h), back)
		}
		back = Float64ToFloat16(float64(Float16ToFloat32(h)))
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			// Widening a signalling NaN to float64 quiets it in hardware;
			// only NaN-ness and the sign are kept.
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 || back&0x8000 != h&0x8000 {
				require.Failf(t, "back&0x7c00 != 0x7c00 || back&0x3ff == 0 || back&0x8000 != h&0x8000", "float64 path: NaN %#04x -> %#04x", h, back)
			}
			continue
		}
		if h != back {
			require.Equalf(t, h, back, "float64 path: %#04x -> %#04x", h, back)
		}
	}
}

// refToHalf rounds x to the nearest half by searching the sorted list of all
// finite non-negative halves, ties to the even bit pattern.
type halfTable struct {
	vals []float64
	bits []uint16
}

func newHalfTable() *halfTable {
	ht := &halfTable{}
	for h := uint16(0); h < 0x7c00; h++ {
		ht.vals = append(ht.vals, halfValue(h))
		ht.bits = append(ht.bits, h)
	}
	return ht
}

func (ht *halfTable) round(x float64) uint16 {
	if math.IsNaN(x) {
		return 0x7e00
	}
	var sign uint16
	if math.Signbit(x) {
		sign = 0x8000
		x = -x
	}
	maxv := ht.vals[len(ht.vals)-1]
	// Beyond max + half an ulp (65520) the result is Inf.
	if x >= maxv+16 {
		return sign | 0x7c00
	}
	i := sort.SearchFloat64s(ht.vals, x) // first vals[i] >= x
	if i < len(ht.vals) && ht.vals[i] == x {
		return sign | ht.bits[i]
	}
	if i == len(ht.vals) {
		return sign | ht.bits[i-1]
	}
	lo, hi := ht.vals[i-1], ht.vals[i]
	switch dl, dh := x-lo, hi-x; {
	case dl < dh:
		return sign | ht.bits[i-1]
	case dh < dl:
		return sign | ht.bits[i]
	case ht.bits[i-1]&1 == 0:
		return sign | ht.bits[i-1]
	}
	return sign | ht.bits[i]
}

func TestFloat32ToFloat16Rounding(t *testing.T) {
	ht := newHalfTable()
	check := func(f float32) {
		t.Helper()
		got := Float32ToFloat16(f)
		want := ht.round(float64(f))
		if math.IsNaN(float64(f)) {
			require.Falsef(t, got&0x7c00 != 0x7c00 || got&0x3ff == 0, "%v: got %#04x, want a NaN", f, got)
			return
		}
		if got != want { // checked first: this runs for every half and ~400k floats
			require.Equalf(t, want, got, "%v (%#08x): got %#04x, want %#04x", f, math.Float32bits(f), got, want)
		}
	}
	// Every half, and the midpoints and near-midpoints between neighbours.
	for h := uint16(0); h < 0x7c00; h++ {
		v := halfValue(h)
		next := halfValue(h + 1)
		if h+1 == 0x7c00 {
			next = 65536
		}
		mid := float32((v + next) / 2)
		for _, f := range []float32{float32(v), mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, 1e9)} {
			check(f)
			check(-f)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		check(math.Float32frombits(rng.Uint32()))
	}
	for _, f := range []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		65504, 65519.99, 65520, 1e-8, 2.9802322e-08, 2.9802326e-08, 5.9604645e-08, 1e-45} {
		check(f)
	}
	// NaN payloads survive narrowing.
	got := Float32ToFloat16(math.Float32frombits(0x7f800001))
	require.Falsef(t, got&0x3ff == 0 || got&0x7c00 != 0x7c00, "NaN with low payload became %#04x", got)
}

func TestFloat64ToFloat16Rounding(t *testing.T) {
	ht := newHalfTable()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		// Values near half midpoints, where double rounding via float32 bites.
		h := uint16(rng.IntN(0x7bff))
		mid := (halfValue(h) + halfValue(h+1)) / 2
		x := mid + (rng.Float64()-0.5)*math.Abs(mid)*1e-9
		if rng.IntN(2) == 0 {
			x = -x
		}
		got, want := Float64ToFloat16(x), ht.round(x)
		if want != got {
			require.Equalf(t, want, got, "%v: got %#04x, want %#04x", x, got, want)
		}
	}
}

func TestFloat16Slices(t *testing.T) {
	src := []float32{1, -2.5, 65504, 1e6}
	h := make([]uint16, len(src))
	Float32sToFloat16s(h, src)
	back := make([]float32, len(h))
	Float16sToFloat32s(back, h)
	want := []float32{1, -2.5, 65504, float32(math.Inf(1))}
	for i := range want {
		if want[i] != back[i] {
			require.Equalf(t, want[i], back[i], "element %d: got %v, want %v", i, back[i], want[i])
		}
	}
}
