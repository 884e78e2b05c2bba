package ops

import (
	"math/rand/v2"
	"testing"
)

// FuzzGemm compares every available kernel (with and without its unpacked
// paths) with gemmRef on fuzzed sizes, transposes, strides and scalars.
// Sizes are kept small so each input runs in well under a millisecond:
//
//	go test ./ops -run '^$' -fuzz FuzzGemm -fuzztime 60s
func FuzzGemm(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint8(1), uint8(0), uint64(1), float32(1), float32(0))
	f.Add(uint8(13), uint8(33), uint8(17), uint8(3), uint64(2), float32(-0.5), float32(1))
	f.Add(uint8(12), uint8(32), uint8(64), uint8(1), uint64(3), float32(2), float32(0.5))
	f.Add(uint8(97), uint8(10), uint8(200), uint8(2), uint64(4), float32(1), float32(0))
	f.Add(uint8(1), uint8(0), uint8(0), uint8(1), uint64(141), float32(1), float32(0))
	f.Fuzz(func(t *testing.T, m, n, k, flags uint8, seed uint64, alpha, beta float32) {
		if alpha != alpha || beta != beta || alpha > 1e3 || alpha < -1e3 || beta > 1e3 || beta < -1e3 {
			t.Skip("alpha and beta must be finite and moderate for a relative tolerance")
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		base := newGemmCase(rng, flags&1 != 0, flags&2 != 0, int(m), int(n), int(k), alpha, beta)
		for _, path := range allPaths() {
			if !gemmAvailable(path.impl) {
				continue
			}
			g := *base
			g.c = append([]float32(nil), base.c...)
			want := g.want()
			withPath(t, path, func(t *testing.T) {
				Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
				g.check(t, g.c, want)
			})
		}
	})
}
