package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
)

// dot64 is the inner product of a and b in float64.
func dot64(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// checkLinearGrad verifies a gradient g of the scalar L(v) = <f(v), dy>
// for f linear in v: L(v+u) - L(v) must equal <g, u> for a random u
// (exact for linear maps, up to rounding).
func checkLinearGrad(t *testing.T, what string, r *rand.Rand, v, g []float32, L func([]float32) float64) {
	t.Helper()
	u := normal(r, len(v))
	vu := make([]float32, len(v))
	for i := range v {
		vu[i] = v[i] + u[i]
	}
	want := L(vu) - L(v)
	assert.InDeltaf(t, want, dot64(g, u), 1e-3*(1+math.Abs(want)), "%s: <grad,u> against L(v+u)-L(v)", what)
}

func TestConvBackwardLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name                 string
		inC, outC, group     int
		h, w, k, s, pad, dil int
	}{
		{"3x3 s1 p1", 2, 3, 1, 6, 5, 3, 1, 1, 1},
		{"3x3 s2 p1", 1, 4, 1, 7, 7, 3, 2, 1, 1},
		{"dilated", 2, 2, 1, 8, 8, 3, 1, 2, 2},
		{"grouped", 4, 6, 2, 5, 5, 2, 2, 0, 1},
		{"pointwise", 3, 2, 1, 4, 4, 1, 1, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			N := 2
			oh := ops.ConvOutSize(tc.h, tc.k, tc.s, tc.dil, tc.pad, tc.pad)
			ow := ops.ConvOutSize(tc.w, tc.k, tc.s, tc.dil, tc.pad, tc.pad)
			p := &ops.ConvParams{Batch: N, InC: tc.inC, OutC: tc.outC, Group: tc.group, In: []int{tc.h, tc.w},
				Kernel: []int{tc.k, tc.k}, Out: []int{oh, ow}, Strides: []int{tc.s, tc.s},
				Dilations: []int{tc.dil, tc.dil}, PadBegin: []int{tc.pad, tc.pad}}
			require.NoError(t, p.Check())
			x := normal(r, N*tc.inC*tc.h*tc.w)
			w := normal(r, tc.outC*tc.inC/tc.group*tc.k*tc.k)
			b := normal(r, tc.outC)
			dy := normal(r, N*tc.outC*oh*ow)
			y := make([]float32, len(dy))
			dx := make([]float32, len(x))
			dw := make([]float32, len(w))
			db := make([]float32, len(b))
			ConvBackward(p, x, w, dy, dx, dw, db, nil)
			lossX := func(v []float32) float64 { ops.Conv(p, v, w, nil, y, nil); return dot64(y, dy) }
			lossW := func(v []float32) float64 { ops.Conv(p, x, v, nil, y, nil); return dot64(y, dy) }
			lossB := func(v []float32) float64 { ops.Conv(p, x, w, v, y, nil); return dot64(y, dy) }
			checkLinearGrad(t, "dx", r, x, dx, lossX)
			checkLinearGrad(t, "dw", r, w, dw, lossW)
			checkLinearGrad(t, "db", r, b, db, lossB)

			// Transposed convolution with the same geometry read backwards.
			pt := *p
			pt.InC, pt.OutC = tc.outC, tc.inC
			pt.In, pt.Out = p.Out, p.In
			wt := normal(r, tc.outC*tc.inC/tc.group*tc.k*tc.k)
			xt := normal(r, N*tc.outC*oh*ow)
			dyt := normal(r, N*tc.inC*tc.h*tc.w)
			yt := make([]float32, len(dyt))
			dxt := make([]float32, len(xt))
			dwt := make([]float32, len(wt))
			dbt := make([]float32, tc.inC)
			ConvTransposeBackward(&pt, xt, wt, dyt, dxt, dwt, dbt, nil)
			tX := func(v []float32) float64 { ops.ConvTranspose(&pt, v, wt, nil, yt, nil); return dot64(yt, dyt) }
			tW := func(v []float32) float64 { ops.ConvTranspose(&pt, xt, v, nil, yt, nil); return dot64(yt, dyt) }
			tB := func(v []float32) float64 { ops.ConvTranspose(&pt, xt, wt, v, yt, nil); return dot64(yt, dyt) }
			checkLinearGrad(t, "transpose dx", r, xt, dxt, tX)
			checkLinearGrad(t, "transpose dw", r, wt, dwt, tW)
			checkLinearGrad(t, "transpose db", r, normal(r, tc.inC), dbt, tB)
		})
	}
}

func TestPoolAndUpsampleBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const planes, H, W = 3, 7, 6
	x := normal(r, planes*H*W)
	for _, pad := range []int{0, 1} {
		p := &ops.PoolParams{Planes: planes, In: []int{H, W}, Kernel: []int{3, 3}, Strides: []int{2, 2},
			Dilations: []int{1, 1}, PadBegin: []int{pad, pad}, PadEnd: []int{pad, pad}}
		p.Out = []int{ops.PoolOutSize(H, 3, 2, 1, pad, pad, false), ops.PoolOutSize(W, 3, 2, 1, pad, pad, false)}
		n := planes * p.Out[0] * p.Out[1]
		dy := normal(r, n)
		y := make([]float32, n)
		dx := make([]float32, len(x))
		AvgPool2DBackward(p, dy, dx)
		checkLinearGrad(t, "avgpool dx", r, x, dx, func(v []float32) float64 { ops.AvgPool2D(p, v, y, false); return dot64(y, dy) })

		// Max pooling is piecewise linear: a small step keeps the winners.
		idx := make([]int64, n)
		ops.MaxPool(p, x, y, idx, false)
		MaxPoolBackward(dy, idx, dx)
		u := normal(r, len(x))
		const h = 1e-3
		xp := make([]float32, len(x))
		for i := range x {
			xp[i] = x[i] + h*u[i]
		}
		base := dot64(y, dy)
		ops.MaxPool2D(p, xp, y)
		want := (dot64(y, dy) - base) / h
		assert.InDeltaf(t, want, dot64(dx, u), 1e-2*(1+math.Abs(want)), "maxpool pad %d: directional derivative against the finite difference", pad)
	}
	for _, s := range []int{2, 3} {
		for _, bil := range []bool{false, true} {
			dy := normal(r, planes*H*W*s*s)
			y := make([]float32, len(dy))
			dx := make([]float32, len(x))
			Upsample2DBackward(planes, H, W, s, bil, dy, dx)
			checkLinearGrad(t, "upsample dx", r, x, dx, func(v []float32) float64 { Upsample2D(planes, H, W, s, bil, v, y); return dot64(y, dy) })
		}
	}
}

// The upsampling forward agrees with the general Resize kernel in the ONNX
// modes the exporter writes.
func TestUpsampleMatchesResize(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const planes, H, W, s = 2, 5, 4, 2
	x := normal(r, planes*H*W)
	for _, bil := range []bool{false, true} {
		got := make([]float32, planes*H*W*s*s)
		Upsample2D(planes, H, W, s, bil, x, got)
		p := &ops.ResizeParams{In: []int{planes, H, W}, Out: []int{planes, H * s, W * s}, Scales: []float64{1, s, s},
			Mode: ops.ResizeNearest, Nearest: ops.NearestFloor, Coord: ops.CoordAsymmetric}
		if bil {
			p.Mode, p.Coord = ops.ResizeLinear, ops.CoordHalfPixel
		}
		want := make([]float32, len(got))
		ops.Resize(p, x, want)
		assert.InDeltaSlicef(t, want, got, 1e-6, "bilinear=%v: Upsample2D against Resize", bil)
	}
}

func TestBatchNormTrainingBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n, c, sp = 3, 2, 5
	const eps = 1e-5
	x := normal(r, n*c*sp)
	scale, bias := normal(r, c), normal(r, c)
	dy := normal(r, n*c*sp)
	// L = Σ dy·y computed in float64 from scratch (independent of the kernel).
	L := func(x, scale, bias []float64) float64 {
		var tot float64
		for ch := 0; ch < c; ch++ {
			var mu, v float64
			for i := 0; i < n; i++ {
				for j := 0; j < sp; j++ {
					mu += x[(i*c+ch)*sp+j]
				}
			}
			mu /= n * sp
			for i := 0; i < n; i++ {
				for j := 0; j < sp; j++ {
					d := x[(i*c+ch)*sp+j] - mu
					v += d * d
				}
			}
			v /= n * sp
			for i := 0; i < n; i++ {
				for j := 0; j < sp; j++ {
					k := (i*c+ch)*sp + j
					tot += float64(dy[k]) * (scale[ch]*(x[k]-mu)/math.Sqrt(v+eps) + bias[ch])
				}
			}
		}
		return tot
	}
	f64 := func(v []float32) []float64 {
		o := make([]float64, len(v))
		for i, e := range v {
			o[i] = float64(e)
		}
		return o
	}
	y := make([]float32, len(x))
	mean, vr := make([]float32, c), make([]float32, c)
	ops.BatchNormTraining(n, c, sp, x, scale, bias, eps, y, mean, vr)
	dx := make([]float32, len(x))
	ds, db := make([]float32, c), make([]float32, c)
	BatchNormTrainingBackward(n, c, sp, x, scale, mean, vr, eps, dy, dx, ds, db)
	const h = 1e-5
	fd := func(vals []float64, i int, eval func([]float64) float64) float64 {
		old := vals[i]
		vals[i] = old + h
		a := eval(vals)
		vals[i] = old - h
		b := eval(vals)
		vals[i] = old
		return (a - b) / (2 * h)
	}
	X, S, B := f64(x), f64(scale), f64(bias)
	for i := range x {
		want := fd(X, i, func(v []float64) float64 { return L(v, S, B) })
		assert.InDeltaf(t, want, float64(dx[i]), 1e-3*(1+math.Abs(want)), "dx[%d] against the finite difference", i)
	}
	for ch := 0; ch < c; ch++ {
		want := fd(S, ch, func(v []float64) float64 { return L(X, v, B) })
		assert.InDeltaf(t, want, float64(ds[ch]), 1e-3*(1+math.Abs(want)), "dscale[%d] against the finite difference", ch)
		want = fd(B, ch, func(v []float64) float64 { return L(X, S, v) })
		assert.InDeltaf(t, want, float64(db[ch]), 1e-3*(1+math.Abs(want)), "dbias[%d] against the finite difference", ch)
	}
}
