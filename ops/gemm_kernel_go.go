package ops

// goKernel is the portable micro-kernel, used on every architecture without
// assembly and with the noasm tag: a 2×4 tile of scalar accumulators. With
// 8 accumulators and 6 operands it stays within the 15 float registers the
// Go compiler allocates on amd64; a 4×4 tile spilled and ran at half speed.
var goKernel = gemmKernel{mr: 2, nr: 4, mc: 128, kc: 256, nc: 2048, tile: goTile, small: goSmall}

// goSmall computes calls with at most four rows without packing: row
// updates (axpy) for an untransposed B, dot products for a transposed one.
func goSmall(g gemmCall) bool {
	if g.m > 4 || (g.transB && g.transA) {
		return false
	}
	if !g.transB {
		for i := 0; i < g.m; i++ {
			crow := g.c[i*g.ldc : i*g.ldc+g.n]
			scaleRow(crow, g.beta)
			for p := 0; p < g.k; p++ {
				var av float32
				if g.transA {
					av = g.a[p*g.lda+i]
				} else {
					av = g.a[i*g.lda+p]
				}
				axpyGo(g.alpha*av, g.b[p*g.ldb:p*g.ldb+g.n], crow)
			}
		}
	} else {
		for i := 0; i < g.m; i++ {
			arow := g.a[i*g.lda : i*g.lda+g.k]
			crow := g.c[i*g.ldc : i*g.ldc+g.n]
			for j := range crow {
				v := g.alpha * dotGo(arow, g.b[j*g.ldb:j*g.ldb+g.k])
				if g.beta != 0 {
					v += g.beta * crow[j]
				}
				crow[j] = v
			}
		}
	}
	ApplyEpilogueRows(g.c, g.m, g.n, g.ldc, Epilogue{Bias: g.bias, Act: g.act, Alpha: g.leak, Beta: g.actBeta})
	return true
}

// axpyGo adds alpha·x to y (len(y) >= len(x)).
func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs, ys := x[i:i+4:i+4], y[i:i+4:i+4]
		ys[0] += alpha * xs[0]
		ys[1] += alpha * xs[1]
		ys[2] += alpha * xs[2]
		ys[3] += alpha * xs[3]
	}
	for ; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}

// dotGo is Σ x[i]·y[i] with four partial sums (len(y) >= len(x)).
func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs, ys := x[i:i+4:i+4], y[i:i+4:i+4]
		s0 += xs[0] * ys[0]
		s1 += xs[1] * ys[1]
		s2 += xs[2] * ys[2]
		s3 += xs[3] * ys[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func goTile(kc int, ap, bp, c []float32, ldc int, alpha, beta float32,
	rows, cols int, bias []float32, act Act, leak float32) {
	ap, bp = ap[:2*kc], bp[:4*kc]
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	for p := 0; p < kc; p++ {
		a := ap[2*p : 2*p+2 : 2*p+2]
		b := bp[4*p : 4*p+4 : 4*p+4]
		a0, a1 := a[0], a[1]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	acc := [8]float32{
		c00 * alpha, c01 * alpha, c02 * alpha, c03 * alpha,
		c10 * alpha, c11 * alpha, c12 * alpha, c13 * alpha,
	}
	mergeTile(acc[:], 4, c, ldc, beta, rows, cols, bias, act, leak)
}

// mergeTile writes the rows×cols corner of a finished tile acc (row stride
// lda, alpha already applied) into C: C = act(acc + beta·C + bias), not
// reading C when beta is 0. act is ActNone, ActRelu or ActLeakyRelu.
func mergeTile(acc []float32, lda int, c []float32, ldc int, beta float32,
	rows, cols int, bias []float32, act Act, leak float32) {
	if bias != nil {
		bias = bias[:cols]
	}
	for i := 0; i < rows; i++ {
		row := c[i*ldc : i*ldc+cols]
		src := acc[i*lda : i*lda+cols]
		if beta != 0 {
			for j, v := range src {
				row[j] = v + beta*row[j]
			}
		} else {
			copy(row, src)
		}
		if bias != nil {
			for j, v := range bias {
				row[j] += v
			}
		}
		switch act {
		case ActRelu:
			for j, v := range row {
				if v < 0 {
					row[j] = 0
				}
			}
		case ActLeakyRelu:
			for j, v := range row {
				if v < 0 {
					row[j] = v * leak
				}
			}
		}
	}
}
