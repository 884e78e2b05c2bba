package ops

// goKernel is the portable micro-kernel: a 4×4 tile of scalar accumulators,
// used on every architecture without assembly and with the noasm tag.
var goKernel = gemmKernel{mr: 4, nr: 4, mc: 128, kc: 256, nc: 2048, tile: goTile}

func goTile(kc int, ap, bp, c []float32, ldc int, alpha, beta float32,
	rows, cols int, bias []float32, act Act, leak float32) {
	ap, bp = ap[:4*kc], bp[:4*kc]
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < len(ap); p += 4 {
		a := ap[p : p+4 : p+4]
		b := bp[p : p+4 : p+4]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [16]float32{
		c00, c01, c02, c03, c10, c11, c12, c13,
		c20, c21, c22, c23, c30, c31, c32, c33,
	}
	for i := range acc {
		acc[i] *= alpha
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
