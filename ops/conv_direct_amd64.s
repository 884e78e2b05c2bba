//go:build amd64 && !noasm

#include "textflag.h"

// Tap accumulation of the direct convolution (conv_direct.go):
//
//	dst[i] = Σ_t w[t]·src[offs[t]+i]   for i < n
//
// n is a multiple of the vector width (16 floats on AVX-512, 8 on AVX2)
// and taps ≥ 1; the caller pads src so every read is in bounds. Outputs go
// in blocks of 8, 4 and 1 vectors, each block's accumulators held in
// registers across all taps, every tap one broadcast weight and one load +
// FMA per vector. Each lane sums its taps in tap order, as the Go twin does.

// func convTapsAVX512(dst, src *float32, n int, offs *int, w *float32, taps int)
TEXT ·convTapsAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ offs+24(FP), R8
	MOVQ w+32(FP), R9
	MOVQ taps+40(FP), R10

z8block:
	CMPQ   CX, $128
	JLT    z4block
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	XORQ   BX, BX

z8tap:
	MOVQ         (R8)(BX*8), AX
	LEAQ         (SI)(AX*4), DX
	VBROADCASTSS (R9)(BX*4), Z8
	VFMADD231PS  (DX), Z8, Z0
	VFMADD231PS  64(DX), Z8, Z1
	VFMADD231PS  128(DX), Z8, Z2
	VFMADD231PS  192(DX), Z8, Z3
	VFMADD231PS  256(DX), Z8, Z4
	VFMADD231PS  320(DX), Z8, Z5
	VFMADD231PS  384(DX), Z8, Z6
	VFMADD231PS  448(DX), Z8, Z7
	INCQ         BX
	CMPQ         BX, R10
	JLT          z8tap
	VMOVUPS      Z0, (DI)
	VMOVUPS      Z1, 64(DI)
	VMOVUPS      Z2, 128(DI)
	VMOVUPS      Z3, 192(DI)
	VMOVUPS      Z4, 256(DI)
	VMOVUPS      Z5, 320(DI)
	VMOVUPS      Z6, 384(DI)
	VMOVUPS      Z7, 448(DI)
	ADDQ         $512, DI
	ADDQ         $512, SI
	SUBQ         $128, CX
	JMP          z8block

z4block:
	CMPQ   CX, $64
	JLT    z1block
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	XORQ   BX, BX

z4tap:
	MOVQ         (R8)(BX*8), AX
	LEAQ         (SI)(AX*4), DX
	VBROADCASTSS (R9)(BX*4), Z8
	VFMADD231PS  (DX), Z8, Z0
	VFMADD231PS  64(DX), Z8, Z1
	VFMADD231PS  128(DX), Z8, Z2
	VFMADD231PS  192(DX), Z8, Z3
	INCQ         BX
	CMPQ         BX, R10
	JLT          z4tap
	VMOVUPS      Z0, (DI)
	VMOVUPS      Z1, 64(DI)
	VMOVUPS      Z2, 128(DI)
	VMOVUPS      Z3, 192(DI)
	ADDQ         $256, DI
	ADDQ         $256, SI
	SUBQ         $64, CX
	JMP          z4block

z1block:
	TESTQ  CX, CX
	JLE    zdone
	VXORPS Z0, Z0, Z0
	XORQ   BX, BX

z1tap:
	MOVQ         (R8)(BX*8), AX
	VBROADCASTSS (R9)(BX*4), Z8
	VFMADD231PS  (SI)(AX*4), Z8, Z0
	INCQ         BX
	CMPQ         BX, R10
	JLT          z1tap
	VMOVUPS      Z0, (DI)
	ADDQ         $64, DI
	ADDQ         $64, SI
	SUBQ         $16, CX
	JMP          z1block

zdone:
	VZEROUPPER
	RET

// func convTapsAVX2(dst, src *float32, n int, offs *int, w *float32, taps int)
TEXT ·convTapsAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ offs+24(FP), R8
	MOVQ w+32(FP), R9
	MOVQ taps+40(FP), R10

y8block:
	CMPQ   CX, $64
	JLT    y4block
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ   BX, BX

y8tap:
	MOVQ         (R8)(BX*8), AX
	LEAQ         (SI)(AX*4), DX
	VBROADCASTSS (R9)(BX*4), Y8
	VFMADD231PS  (DX), Y8, Y0
	VFMADD231PS  32(DX), Y8, Y1
	VFMADD231PS  64(DX), Y8, Y2
	VFMADD231PS  96(DX), Y8, Y3
	VFMADD231PS  128(DX), Y8, Y4
	VFMADD231PS  160(DX), Y8, Y5
	VFMADD231PS  192(DX), Y8, Y6
	VFMADD231PS  224(DX), Y8, Y7
	INCQ         BX
	CMPQ         BX, R10
	JLT          y8tap
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	VMOVUPS      Y4, 128(DI)
	VMOVUPS      Y5, 160(DI)
	VMOVUPS      Y6, 192(DI)
	VMOVUPS      Y7, 224(DI)
	ADDQ         $256, DI
	ADDQ         $256, SI
	SUBQ         $64, CX
	JMP          y8block

y4block:
	CMPQ   CX, $32
	JLT    y1block
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   BX, BX

y4tap:
	MOVQ         (R8)(BX*8), AX
	LEAQ         (SI)(AX*4), DX
	VBROADCASTSS (R9)(BX*4), Y8
	VFMADD231PS  (DX), Y8, Y0
	VFMADD231PS  32(DX), Y8, Y1
	VFMADD231PS  64(DX), Y8, Y2
	VFMADD231PS  96(DX), Y8, Y3
	INCQ         BX
	CMPQ         BX, R10
	JLT          y4tap
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	ADDQ         $128, DI
	ADDQ         $128, SI
	SUBQ         $32, CX
	JMP          y4block

y1block:
	TESTQ  CX, CX
	JLE    ydone
	VXORPS Y0, Y0, Y0
	XORQ   BX, BX

y1tap:
	MOVQ         (R8)(BX*8), AX
	VBROADCASTSS (R9)(BX*4), Y8
	VFMADD231PS  (SI)(AX*4), Y8, Y0
	INCQ         BX
	CMPQ         BX, R10
	JLT          y1tap
	VMOVUPS      Y0, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	SUBQ         $8, CX
	JMP          y1block

ydone:
	VZEROUPPER
	RET

// Max over taps for the max pooling fast path (pool_taps.go):
//
//	dst[i] = max(-Inf, src[offs[0]+i], …, src[offs[taps-1]+i])   for i < n
//
// each max taken as acc = v > acc ? v : acc (VMAXPS with the loaded value
// first), so NaN inputs are skipped, as maxPool2D skips them. n is a
// multiple of the vector width; blocks of 8, 4 and 1 vectors as for
// convTaps.

// func maxTapsAVX512(dst, src *float32, n int, offs *int, taps int)
TEXT ·maxTapsAVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ offs+24(FP), R8
	MOVQ taps+32(FP), R10
	MOVL $0xff800000, AX // -Inf
	MOVQ AX, X9
	VBROADCASTSS X9, Z9

m8block:
	CMPQ CX, $128
	JLT  m4block
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z2
	VMOVAPS Z9, Z3
	VMOVAPS Z9, Z4
	VMOVAPS Z9, Z5
	VMOVAPS Z9, Z6
	VMOVAPS Z9, Z7
	XORQ BX, BX

m8tap:
	MOVQ (R8)(BX*8), AX
	LEAQ (SI)(AX*4), DX
	VMOVUPS (DX), Z10
	VMAXPS  Z0, Z10, Z0
	VMOVUPS 64(DX), Z11
	VMAXPS  Z1, Z11, Z1
	VMOVUPS 128(DX), Z12
	VMAXPS  Z2, Z12, Z2
	VMOVUPS 192(DX), Z13
	VMAXPS  Z3, Z13, Z3
	VMOVUPS 256(DX), Z10
	VMAXPS  Z4, Z10, Z4
	VMOVUPS 320(DX), Z11
	VMAXPS  Z5, Z11, Z5
	VMOVUPS 384(DX), Z12
	VMAXPS  Z6, Z12, Z6
	VMOVUPS 448(DX), Z13
	VMAXPS  Z7, Z13, Z7
	INCQ BX
	CMPQ BX, R10
	JLT  m8tap
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	VMOVUPS Z6, 384(DI)
	VMOVUPS Z7, 448(DI)
	ADDQ $512, DI
	ADDQ $512, SI
	SUBQ $128, CX
	JMP  m8block

m4block:
	CMPQ CX, $64
	JLT  m1block
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z2
	VMOVAPS Z9, Z3
	XORQ BX, BX

m4tap:
	MOVQ (R8)(BX*8), AX
	LEAQ (SI)(AX*4), DX
	VMOVUPS (DX), Z10
	VMAXPS  Z0, Z10, Z0
	VMOVUPS 64(DX), Z11
	VMAXPS  Z1, Z11, Z1
	VMOVUPS 128(DX), Z12
	VMAXPS  Z2, Z12, Z2
	VMOVUPS 192(DX), Z13
	VMAXPS  Z3, Z13, Z3
	INCQ BX
	CMPQ BX, R10
	JLT  m4tap
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $64, CX
	JMP  m4block

m1block:
	TESTQ CX, CX
	JLE   mdone
	VMOVAPS Z9, Z0
	XORQ BX, BX

m1tap:
	MOVQ (R8)(BX*8), AX
	LEAQ (SI)(AX*4), DX
	VMOVUPS (DX), Z10
	VMAXPS  Z0, Z10, Z0
	INCQ BX
	CMPQ BX, R10
	JLT  m1tap
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  m1block

mdone:
	VZEROUPPER
	RET

// func maxTapsAVX2(dst, src *float32, n int, offs *int, taps int)
TEXT ·maxTapsAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ offs+24(FP), R8
	MOVQ taps+32(FP), R10
	MOVL $0xff800000, AX // -Inf
	MOVQ AX, X9
	VBROADCASTSS X9, Y9

n8block:
	CMPQ CX, $64
	JLT  n4block
	VMOVAPS Y9, Y0
	VMOVAPS Y9, Y1
	VMOVAPS Y9, Y2
	VMOVAPS Y9, Y3
	VMOVAPS Y9, Y4
	VMOVAPS Y9, Y5
	VMOVAPS Y9, Y6
	VMOVAPS Y9, Y7
	XORQ BX, BX

n8tap:
	MOVQ (R8)(BX*8), AX
	LEAQ (SI)(AX*4), DX
	VMOVUPS (DX), Y10
	VMAXPS  Y0, Y10, Y0
	VMOVUPS 32(DX), Y11
	VMAXPS  Y1, Y11, Y1
	VMOVUPS 64(DX), Y12
	VMAXPS  Y2, Y12, Y2
	VMOVUPS 96(DX), Y13
	VMAXPS  Y3, Y13, Y3
	VMOVUPS 128(DX), Y10
	VMAXPS  Y4, Y10, Y4
	VMOVUPS 160(DX), Y11
	VMAXPS  Y5, Y11, Y5
	VMOVUPS 192(DX), Y12
	VMAXPS  Y6, Y12, Y6
	VMOVUPS 224(DX), Y13
	VMAXPS  Y7, Y13, Y7
	INCQ BX
	CMPQ BX, R10
	JLT  n8tap
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $64, CX
	JMP  n8block

n4block:
	CMPQ CX, $32
	JLT  n1block
	VMOVAPS Y9, Y0
	VMOVAPS Y9, Y1
	VMOVAPS Y9, Y2
	VMOVAPS Y9, Y3
	XORQ BX, BX

n4tap:
	MOVQ (R8)(BX*8), AX
	LEAQ (SI)(AX*4), DX
	VMOVUPS (DX), Y10
	VMAXPS  Y0, Y10, Y0
	VMOVUPS 32(DX), Y11
	VMAXPS  Y1, Y11, Y1
	VMOVUPS 64(DX), Y12
	VMAXPS  Y2, Y12, Y2
	VMOVUPS 96(DX), Y13
	VMAXPS  Y3, Y13, Y3
	INCQ BX
	CMPQ BX, R10
	JLT  n4tap
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  n4block

n1block:
	TESTQ CX, CX
	JLE   ndone
	VMOVAPS Y9, Y0
	XORQ BX, BX

n1tap:
	MOVQ (R8)(BX*8), AX
	LEAQ (SI)(AX*4), DX
	VMOVUPS (DX), Y10
	VMAXPS  Y0, Y10, Y0
	INCQ BX
	CMPQ BX, R10
	JLT  n1tap
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  n1block

ndone:
	VZEROUPPER
	RET
