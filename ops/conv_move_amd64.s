//go:build amd64 && !noasm

#include "textflag.h"

// AVX-512 row movers of the phase-split convolutions; see conv_move.go for
// what each computes and the Go twins they are tested against. Every row
// is one or two 16-lane masked loads and stores: masked-off load lanes
// read nothing and come back zero, masked-off store lanes write nothing.

// Permutation indices over the lane pair (table A = lanes 0-15, B = 16-31).
DATA mvEven<>+0(SB)/4, $0
DATA mvEven<>+4(SB)/4, $2
DATA mvEven<>+8(SB)/4, $4
DATA mvEven<>+12(SB)/4, $6
DATA mvEven<>+16(SB)/4, $8
DATA mvEven<>+20(SB)/4, $10
DATA mvEven<>+24(SB)/4, $12
DATA mvEven<>+28(SB)/4, $14
DATA mvEven<>+32(SB)/4, $16
DATA mvEven<>+36(SB)/4, $18
DATA mvEven<>+40(SB)/4, $20
DATA mvEven<>+44(SB)/4, $22
DATA mvEven<>+48(SB)/4, $24
DATA mvEven<>+52(SB)/4, $26
DATA mvEven<>+56(SB)/4, $28
DATA mvEven<>+60(SB)/4, $30
GLOBL mvEven<>(SB), RODATA|NOPTR, $64
DATA mvOdd<>+0(SB)/4, $1
DATA mvOdd<>+4(SB)/4, $3
DATA mvOdd<>+8(SB)/4, $5
DATA mvOdd<>+12(SB)/4, $7
DATA mvOdd<>+16(SB)/4, $9
DATA mvOdd<>+20(SB)/4, $11
DATA mvOdd<>+24(SB)/4, $13
DATA mvOdd<>+28(SB)/4, $15
DATA mvOdd<>+32(SB)/4, $17
DATA mvOdd<>+36(SB)/4, $19
DATA mvOdd<>+40(SB)/4, $21
DATA mvOdd<>+44(SB)/4, $23
DATA mvOdd<>+48(SB)/4, $25
DATA mvOdd<>+52(SB)/4, $27
DATA mvOdd<>+56(SB)/4, $29
DATA mvOdd<>+60(SB)/4, $31
GLOBL mvOdd<>(SB), RODATA|NOPTR, $64
DATA mvZipLo<>+0(SB)/4, $0
DATA mvZipLo<>+4(SB)/4, $16
DATA mvZipLo<>+8(SB)/4, $1
DATA mvZipLo<>+12(SB)/4, $17
DATA mvZipLo<>+16(SB)/4, $2
DATA mvZipLo<>+20(SB)/4, $18
DATA mvZipLo<>+24(SB)/4, $3
DATA mvZipLo<>+28(SB)/4, $19
DATA mvZipLo<>+32(SB)/4, $4
DATA mvZipLo<>+36(SB)/4, $20
DATA mvZipLo<>+40(SB)/4, $5
DATA mvZipLo<>+44(SB)/4, $21
DATA mvZipLo<>+48(SB)/4, $6
DATA mvZipLo<>+52(SB)/4, $22
DATA mvZipLo<>+56(SB)/4, $7
DATA mvZipLo<>+60(SB)/4, $23
GLOBL mvZipLo<>(SB), RODATA|NOPTR, $64
DATA mvZipHi<>+0(SB)/4, $8
DATA mvZipHi<>+4(SB)/4, $24
DATA mvZipHi<>+8(SB)/4, $9
DATA mvZipHi<>+12(SB)/4, $25
DATA mvZipHi<>+16(SB)/4, $10
DATA mvZipHi<>+20(SB)/4, $26
DATA mvZipHi<>+24(SB)/4, $11
DATA mvZipHi<>+28(SB)/4, $27
DATA mvZipHi<>+32(SB)/4, $12
DATA mvZipHi<>+36(SB)/4, $28
DATA mvZipHi<>+40(SB)/4, $13
DATA mvZipHi<>+44(SB)/4, $29
DATA mvZipHi<>+48(SB)/4, $14
DATA mvZipHi<>+52(SB)/4, $30
DATA mvZipHi<>+56(SB)/4, $15
DATA mvZipHi<>+60(SB)/4, $31
GLOBL mvZipHi<>(SB), RODATA|NOPTR, $64

// func split2RowsAVX512(dst0, dst1, src *float32, rows, srcStride, dstStride, lead int, m uint64)
TEXT ·split2RowsAVX512(SB), NOSPLIT, $0-64
	MOVQ dst0+0(FP), DI
	MOVQ dst1+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ rows+24(FP), CX
	MOVQ srcStride+32(FP), R9
	MOVQ dstStride+40(FP), R10
	MOVQ lead+48(FP), AX
	MOVQ m+56(FP), BX
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, AX
	SUBQ AX, SI // lane j of the padded row reads SI + 4j
	KMOVW BX, K1
	SHRQ $16, BX
	KMOVW BX, K2
	SHRQ $16, BX
	KMOVW BX, K3
	VMOVUPS mvEven<>(SB), Z6
	VMOVUPS mvOdd<>(SB), Z7

split2loop:
	TESTQ CX, CX
	JZ    split2done
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVAPS   Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z7, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS   Z2, K3, (DI)
	VMOVUPS   Z3, K3, (R8)
	ADDQ      R9, SI
	ADDQ      R10, DI
	ADDQ      R10, R8
	DECQ      CX
	JMP       split2loop

split2done:
	VZEROUPPER
	RET

// func padRowsAVX512(dst, src *float32, rows, srcStride, dstStride, lead int, m uint64)
TEXT ·padRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ srcStride+24(FP), R9
	MOVQ dstStride+32(FP), R10
	MOVQ lead+40(FP), AX
	MOVQ m+48(FP), BX
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, AX
	SUBQ AX, SI
	KMOVW BX, K1
	SHRQ $16, BX
	KMOVW BX, K2
	SHRQ $16, BX
	KMOVW BX, K3
	SHRQ $16, BX
	KMOVW BX, K4

padloop:
	TESTQ CX, CX
	JZ    paddone
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVUPS   Z0, K3, (DI)
	VMOVUPS   Z1, K4, 64(DI)
	ADDQ      R9, SI
	ADDQ      R10, DI
	DECQ      CX
	JMP       padloop

paddone:
	VZEROUPPER
	RET

// func biasRowsAVX512(dst, src *float32, rows, srcStride, dstStride int, m uint64, b float32, relu bool)
// Relu is max(0, x) with x as the second source, so NaN passes and -0
// stays -0, like the Go loop.
TEXT ·biasRowsAVX512(SB), NOSPLIT, $0-53
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ srcStride+24(FP), R9
	MOVQ dstStride+32(FP), R10
	MOVQ m+40(FP), BX
	VBROADCASTSS b+48(FP), Z4
	MOVBLZX relu+52(FP), R11
	SHLQ $2, R9
	SHLQ $2, R10
	KMOVW BX, K1
	SHRQ $16, BX
	KMOVW BX, K2
	VXORPS Z5, Z5, Z5

biasloop:
	TESTQ CX, CX
	JZ    biasdone
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VADDPS    Z4, Z0, Z0
	VADDPS    Z4, Z1, Z1
	TESTQ     R11, R11
	JZ        biasstore
	VMAXPS    Z0, Z5, Z0
	VMAXPS    Z1, Z5, Z1

biasstore:
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K2, 64(DI)
	ADDQ    R9, SI
	ADDQ    R10, DI
	DECQ    CX
	JMP     biasloop

biasdone:
	VZEROUPPER
	RET

// func interleave2RowsAVX512(dst, a, c *float32, rows, srcStride, dstStride int, m uint64, b float32, relu bool)
TEXT ·interleave2RowsAVX512(SB), NOSPLIT, $0-61
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ c+16(FP), R8
	MOVQ rows+24(FP), CX
	MOVQ srcStride+32(FP), R9
	MOVQ dstStride+40(FP), R10
	MOVQ m+48(FP), BX
	VBROADCASTSS b+56(FP), Z4
	MOVBLZX relu+60(FP), R11
	SHLQ $2, R9
	SHLQ $2, R10
	KMOVW BX, K1
	SHRQ $16, BX
	KMOVW BX, K2
	SHRQ $16, BX
	KMOVW BX, K3
	SHRQ $16, BX
	KMOVW BX, K4
	VXORPS Z5, Z5, Z5
	VMOVUPS mvZipLo<>(SB), Z6
	VMOVUPS mvZipHi<>(SB), Z7

ziploop:
	TESTQ CX, CX
	JZ    zipdone
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (R8), K2, Z1
	VMOVAPS   Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z7, Z3
	VPERMI2PS Z1, Z0, Z3
	VADDPS    Z4, Z2, Z2
	VADDPS    Z4, Z3, Z3
	TESTQ     R11, R11
	JZ        zipstore
	VMAXPS    Z2, Z5, Z2
	VMAXPS    Z3, Z5, Z3

zipstore:
	VMOVUPS Z2, K3, (DI)
	VMOVUPS Z3, K4, 64(DI)
	ADDQ    R9, SI
	ADDQ    R9, R8
	ADDQ    R10, DI
	DECQ    CX
	JMP     ziploop

zipdone:
	VZEROUPPER
	RET

// AVX2 twins: the same rows in 8-lane chunks, masked by int32 lanes (-1 =
// on) that the Go wrappers lay out in m; VMASKMOVPS loads zero the lanes
// that are off and never touch their memory.

// func split2RowsAVX2(dst0, dst1, src *float32, rows, srcStride, dstStride, lead int, m *int32)
// m: lanes 0-31 load, 32-47 store.
TEXT ·split2RowsAVX2(SB), NOSPLIT, $0-64
	MOVQ dst0+0(FP), DI
	MOVQ dst1+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ rows+24(FP), CX
	MOVQ srcStride+32(FP), R9
	MOVQ dstStride+40(FP), R10
	MOVQ lead+48(FP), AX
	MOVQ m+56(FP), BX
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, AX
	SUBQ AX, SI
	VMOVDQU (BX), Y8
	VMOVDQU 32(BX), Y9
	VMOVDQU 64(BX), Y10
	VMOVDQU 96(BX), Y11
	VMOVDQU 128(BX), Y12
	VMOVDQU 160(BX), Y13

s2loop:
	TESTQ CX, CX
	JZ    s2done
	VMASKMOVPS (SI), Y8, Y0
	VMASKMOVPS 32(SI), Y9, Y1
	VMASKMOVPS 64(SI), Y10, Y2
	VMASKMOVPS 96(SI), Y11, Y3
	VSHUFPS    $0x88, Y1, Y0, Y4 // even lanes of P[0:16], qwords out of order
	VSHUFPS    $0xDD, Y1, Y0, Y5 // odd lanes
	VSHUFPS    $0x88, Y3, Y2, Y6
	VSHUFPS    $0xDD, Y3, Y2, Y7
	VPERMPD    $0xD8, Y4, Y4
	VPERMPD    $0xD8, Y5, Y5
	VPERMPD    $0xD8, Y6, Y6
	VPERMPD    $0xD8, Y7, Y7
	VMASKMOVPS Y4, Y12, (DI)
	VMASKMOVPS Y6, Y13, 32(DI)
	VMASKMOVPS Y5, Y12, (R8)
	VMASKMOVPS Y7, Y13, 32(R8)
	ADDQ       R9, SI
	ADDQ       R10, DI
	ADDQ       R10, R8
	DECQ       CX
	JMP        s2loop

s2done:
	VZEROUPPER
	RET

// func padRowsAVX2(dst, src *float32, rows, srcStride, dstStride, lead int, m *int32)
// m: lanes 0-31 load, 32-63 store.
TEXT ·padRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ srcStride+24(FP), R9
	MOVQ dstStride+32(FP), R10
	MOVQ lead+40(FP), AX
	MOVQ m+48(FP), BX
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, AX
	SUBQ AX, SI
	VMOVDQU (BX), Y8
	VMOVDQU 32(BX), Y9
	VMOVDQU 64(BX), Y10
	VMOVDQU 96(BX), Y11
	VMOVDQU 128(BX), Y12
	VMOVDQU 160(BX), Y13
	VMOVDQU 192(BX), Y14
	VMOVDQU 224(BX), Y15

p2loop:
	TESTQ CX, CX
	JZ    p2done
	VMASKMOVPS (SI), Y8, Y0
	VMASKMOVPS 32(SI), Y9, Y1
	VMASKMOVPS 64(SI), Y10, Y2
	VMASKMOVPS 96(SI), Y11, Y3
	VMASKMOVPS Y0, Y12, (DI)
	VMASKMOVPS Y1, Y13, 32(DI)
	VMASKMOVPS Y2, Y14, 64(DI)
	VMASKMOVPS Y3, Y15, 96(DI)
	ADDQ       R9, SI
	ADDQ       R10, DI
	DECQ       CX
	JMP        p2loop

p2done:
	VZEROUPPER
	RET

// func biasRowsAVX2(dst, src *float32, rows, srcStride, dstStride int, m *int32, b float32, relu bool)
// m: lanes 0-31, for the loads and the stores.
TEXT ·biasRowsAVX2(SB), NOSPLIT, $0-53
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ srcStride+24(FP), R9
	MOVQ dstStride+32(FP), R10
	MOVQ m+40(FP), BX
	VBROADCASTSS b+48(FP), Y4
	MOVBLZX relu+52(FP), R11
	SHLQ $2, R9
	SHLQ $2, R10
	VMOVDQU (BX), Y8
	VMOVDQU 32(BX), Y9
	VMOVDQU 64(BX), Y10
	VMOVDQU 96(BX), Y11
	VXORPS Y5, Y5, Y5

b2loop:
	TESTQ CX, CX
	JZ    b2done
	VMASKMOVPS (SI), Y8, Y0
	VMASKMOVPS 32(SI), Y9, Y1
	VMASKMOVPS 64(SI), Y10, Y2
	VMASKMOVPS 96(SI), Y11, Y3
	VADDPS     Y4, Y0, Y0
	VADDPS     Y4, Y1, Y1
	VADDPS     Y4, Y2, Y2
	VADDPS     Y4, Y3, Y3
	TESTQ      R11, R11
	JZ         b2store
	VMAXPS     Y0, Y5, Y0
	VMAXPS     Y1, Y5, Y1
	VMAXPS     Y2, Y5, Y2
	VMAXPS     Y3, Y5, Y3

b2store:
	VMASKMOVPS Y0, Y8, (DI)
	VMASKMOVPS Y1, Y9, 32(DI)
	VMASKMOVPS Y2, Y10, 64(DI)
	VMASKMOVPS Y3, Y11, 96(DI)
	ADDQ       R9, SI
	ADDQ       R10, DI
	DECQ       CX
	JMP        b2loop

b2done:
	VZEROUPPER
	RET

// func interleave2RowsAVX2(dst, a, c *float32, rows, srcStride, dstStride int, m *int32, b float32, relu bool)
// m: lanes 0-15 a, 16-31 c, 32-63 the outputs.
TEXT ·interleave2RowsAVX2(SB), NOSPLIT, $0-61
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ c+16(FP), R8
	MOVQ rows+24(FP), CX
	MOVQ srcStride+32(FP), R9
	MOVQ dstStride+40(FP), R10
	MOVQ m+48(FP), BX
	VBROADCASTSS b+56(FP), Y4
	MOVBLZX relu+60(FP), R11
	SHLQ $2, R9
	SHLQ $2, R10
	VMOVDQU (BX), Y8
	VMOVDQU 32(BX), Y9
	VMOVDQU 64(BX), Y10
	VMOVDQU 96(BX), Y11
	VMOVDQU 128(BX), Y12
	VMOVDQU 160(BX), Y13
	VMOVDQU 192(BX), Y14
	VMOVDQU 224(BX), Y15
	VXORPS Y5, Y5, Y5

z2loop:
	TESTQ CX, CX
	JZ    z2done
	VMASKMOVPS (SI), Y8, Y0
	VMASKMOVPS 32(SI), Y9, Y1
	VMASKMOVPS (R8), Y10, Y2
	VMASKMOVPS 32(R8), Y11, Y3
	VUNPCKLPS  Y2, Y0, Y6 // a0 c0 a1 c1 | a4 c4 a5 c5
	VUNPCKHPS  Y2, Y0, Y7 // a2 c2 a3 c3 | a6 c6 a7 c7
	VPERM2F128 $0x20, Y7, Y6, Y0
	VPERM2F128 $0x31, Y7, Y6, Y2
	VUNPCKLPS  Y3, Y1, Y6
	VUNPCKHPS  Y3, Y1, Y7
	VPERM2F128 $0x20, Y7, Y6, Y1
	VPERM2F128 $0x31, Y7, Y6, Y3
	VADDPS     Y4, Y0, Y0
	VADDPS     Y4, Y2, Y2
	VADDPS     Y4, Y1, Y1
	VADDPS     Y4, Y3, Y3
	TESTQ      R11, R11
	JZ         z2store
	VMAXPS     Y0, Y5, Y0
	VMAXPS     Y2, Y5, Y2
	VMAXPS     Y1, Y5, Y1
	VMAXPS     Y3, Y5, Y3

z2store:
	VMASKMOVPS Y0, Y12, (DI)
	VMASKMOVPS Y2, Y13, 32(DI)
	VMASKMOVPS Y1, Y14, 64(DI)
	VMASKMOVPS Y3, Y15, 96(DI)
	ADDQ       R9, SI
	ADDQ       R9, R8
	ADDQ       R10, DI
	DECQ       CX
	JMP        z2loop

z2done:
	VZEROUPPER
	RET

// POOL2X2 pools the rows Z0:Z1 (top) and Z2:Z3 (bottom) into Z4 (16
// outputs): average when R13 != 0, else max. Max starts from -Inf with the
// window value as the first source, so NaN inputs are skipped (a window of
// NaNs gives -Inf) as MaxPool does, and on ties the earlier element in
// row-major order is kept; average adds the rows, then the columns, and
// scales by 1/4. Clobbers Z0-Z5.
#define POOL2X2(label, done) \
	TESTQ     R13, R13      \
	JNZ       label         \
	VMAXPS    Z8, Z0, Z0    \
	VMAXPS    Z8, Z1, Z1    \
	VMAXPS    Z0, Z2, Z0    \
	VMAXPS    Z1, Z3, Z1    \
	VMOVAPS   Z6, Z4        \
	VPERMI2PS Z1, Z0, Z4    \
	VMOVAPS   Z7, Z5        \
	VPERMI2PS Z1, Z0, Z5    \
	VMAXPS    Z4, Z5, Z4    \
	JMP       done          \
label:                      \
	VADDPS    Z2, Z0, Z0    \
	VADDPS    Z3, Z1, Z1    \
	VMOVAPS   Z6, Z4        \
	VPERMI2PS Z1, Z0, Z4    \
	VMOVAPS   Z7, Z5        \
	VPERMI2PS Z1, Z0, Z5    \
	VADDPS    Z5, Z4, Z4    \
	VMULPS    Z9, Z4, Z4    \
done:

// func pool2x2RowsAVX512(dst, src *float32, rows, srcStride, dstStride, below, full int, m uint64, avg bool)
// Output row r pools src rows r·srcStride and r·srcStride+below over 2×2
// windows at stride 2: full chunks of 16 outputs, then one tail chunk with
// load lanes m bits 0-31 and store lanes bits 32-47 (skipped when empty).
TEXT ·pool2x2RowsAVX512(SB), NOSPLIT, $0-65
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ srcStride+24(FP), R9
	MOVQ dstStride+32(FP), R10
	MOVQ below+40(FP), R11
	MOVQ full+48(FP), R12
	MOVQ m+56(FP), BX
	MOVBLZX avg+64(FP), R13
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, R11
	KMOVW BX, K1
	SHRQ $16, BX
	KMOVW BX, K2
	SHRQ $16, BX
	KMOVW BX, K3
	KXNORW K4, K4, K4 // all 16 lanes, for the full chunks
	VMOVUPS mvEven<>(SB), Z6
	VMOVUPS mvOdd<>(SB), Z7
	MOVL $0xff800000, AX // -Inf
	VPBROADCASTD AX, Z8
	MOVL $0x3e800000, AX // 0.25
	VPBROADCASTD AX, Z9

prow:
	TESTQ CX, CX
	JZ    pdone
	MOVQ  SI, AX // this row's input
	MOVQ  DI, DX // this row's output
	MOVQ  R12, R14

pchunk:
	TESTQ   R14, R14
	JZ      ptail
	VMOVUPS (AX), Z0
	VMOVUPS 64(AX), Z1
	VMOVUPS (AX)(R11*1), Z2
	VMOVUPS 64(AX)(R11*1), Z3
	POOL2X2(pfullavg, pfulldone)
	VMOVUPS Z4, K4, (DX)
	ADDQ    $128, AX
	ADDQ    $64, DX
	DECQ    R14
	JMP     pchunk

ptail:
	KORTESTW  K3, K3
	JZ        pnext
	VMOVUPS.Z (AX), K1, Z0
	VMOVUPS.Z 64(AX), K2, Z1
	VMOVUPS.Z (AX)(R11*1), K1, Z2
	VMOVUPS.Z 64(AX)(R11*1), K2, Z3
	POOL2X2(ptailavg, ptaildone)
	VMOVUPS   Z4, K3, (DX)

pnext:
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JMP  prow

pdone:
	VZEROUPPER
	RET

// TAPCHUNK accumulates the R13 taps of one 16-lane chunk at element offset
// AX of a row: Z0 = Σk w[k]·src[offs[k]+AX] over the lanes in mask K,
// product then sum in tap order (as the Go loop rounds), then stores Z0.
#define TAPCHUNK(K, tap, store) \
	VXORPS       Z0, Z0, Z0           \
	XORQ         DX, DX               \
tap:                                  \
	CMPQ         DX, R13              \
	JAE          store                \
	MOVQ         (R11)(DX*8), BX      \
	LEAQ         (SI)(BX*4), BX       \
	VBROADCASTSS (R12)(DX*4), Z1      \
	VMOVUPS.Z    (BX)(AX*4), K, Z2    \
	VMULPS       Z1, Z2, Z2           \
	VADDPS       Z2, Z0, Z0           \
	INCQ         DX                   \
	JMP          tap                  \
store:                                \
	VMOVUPS      Z0, K, (DI)(AX*4)

// func tapRowsAVX512(dst, src *float32, blocks, blockIn, blockOut, full int, tail uint64, offs *int, w *float32, n int)
// One output row per block: dst[b·blockOut+j] = Σk w[k]·src[b·blockIn+offs[k]+j]
// for j over full 16-lane chunks and a tail chunk (lanes of tail).
TEXT ·tapRowsAVX512(SB), NOSPLIT, $0-80
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	MOVQ blockIn+24(FP), R8
	MOVQ blockOut+32(FP), R9
	MOVQ full+40(FP), R10
	MOVQ tail+48(FP), BX
	MOVQ offs+56(FP), R11
	MOVQ w+64(FP), R12
	MOVQ n+72(FP), R13
	SHLQ $2, R8
	SHLQ $2, R9
	KMOVW BX, K2
	KXNORW K1, K1, K1

trblock:
	TESTQ CX, CX
	JZ    trdone
	XORQ  AX, AX
	MOVQ  R10, R14

trfull:
	TESTQ R14, R14
	JZ    trtail
	TAPCHUNK(K1, trftap, trfstore)
	ADDQ  $16, AX
	DECQ  R14
	JMP   trfull

trtail:
	KORTESTW K2, K2
	JZ       trnext
	TAPCHUNK(K2, trttap, trtstore)

trnext:
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JMP  trblock

trdone:
	VZEROUPPER
	RET

// func gatherTapsAVX512(dst, src *float32, rows, in, out, stride, chunks int, tail uint64, idx *int32, w *float32, n int)
// Along a contiguous axis: dst[r·out+o] = Σk w[k·stride+o]·src[r·in+idx[k·stride+o]]
// for o in 16-lane chunks (the last one stored with the lanes of tail);
// lanes whose weight is zero neither load nor add, as the Go loop skips
// them.
TEXT ·gatherTapsAVX512(SB), NOSPLIT, $0-88
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ in+24(FP), R8
	MOVQ out+32(FP), R9
	MOVQ stride+40(FP), R10
	MOVQ chunks+48(FP), R14
	MOVQ tail+56(FP), BX
	MOVQ idx+64(FP), R11
	MOVQ w+72(FP), R12
	MOVQ n+80(FP), R13
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	KMOVW BX, K2
	KXNORW K1, K1, K1
	VXORPS Z7, Z7, Z7

grow:
	TESTQ CX, CX
	JZ    gdone
	XORQ  AX, AX // chunk offset in elements

gchunk:
	MOVQ  R14, DX
	SHLQ  $4, DX
	CMPQ  AX, DX
	JAE   gnext
	VXORPS Z0, Z0, Z0
	LEAQ  (R11)(AX*4), R15 // idx of tap 0 at this chunk
	LEAQ  (R12)(AX*4), BX  // w of tap 0
	MOVQ  R13, DX

gtap:
	TESTQ DX, DX
	JZ    gstore
	VMOVUPS (R15), Z5
	VMOVUPS (BX), Z1
	VCMPPS  $4, Z7, Z1, K3 // w != 0
	KMOVW   K3, K4
	VGATHERDPS (SI)(Z5*4), K3, Z2
	VMULPS  Z1, Z2, Z2
	VADDPS  Z2, Z0, K4, Z0
	ADDQ    R10, R15
	ADDQ    R10, BX
	DECQ    DX
	JMP     gtap

gstore:
	LEAQ 16(AX), DX
	MOVQ R14, BX
	SHLQ $4, BX
	CMPQ DX, BX
	JAE  glast
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  gchunk

glast:
	VMOVUPS Z0, K2, (DI)(AX*4)

gnext:
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JMP  grow

gdone:
	VZEROUPPER
	RET

// POOL2X2AVX2 pools the rows Y0:Y1 (top, 16 inputs) and Y2:Y3 (bottom)
// into Y4 (8 outputs) as POOL2X2 does with 16 lanes: R13 != 0 average,
// else max (NaN skipped, earlier element kept on ties). Y8 = -Inf,
// Y9 = 1/4. Clobbers Y0-Y5.
#define POOL2X2AVX2(label, done) \
	TESTQ   R13, R13           \
	JNZ     label              \
	VMAXPS  Y8, Y0, Y0         \
	VMAXPS  Y8, Y1, Y1         \
	VMAXPS  Y0, Y2, Y0         \
	VMAXPS  Y1, Y3, Y1         \
	VSHUFPS $0x88, Y1, Y0, Y4  \
	VSHUFPS $0xDD, Y1, Y0, Y5  \
	VPERMPD $0xD8, Y4, Y4      \
	VPERMPD $0xD8, Y5, Y5      \
	VMAXPS  Y4, Y5, Y4         \
	JMP     done               \
label:                         \
	VADDPS  Y2, Y0, Y0         \
	VADDPS  Y3, Y1, Y1         \
	VSHUFPS $0x88, Y1, Y0, Y4  \
	VSHUFPS $0xDD, Y1, Y0, Y5  \
	VPERMPD $0xD8, Y4, Y4      \
	VPERMPD $0xD8, Y5, Y5      \
	VADDPS  Y5, Y4, Y4         \
	VMULPS  Y9, Y4, Y4         \
done:

// func pool2x2RowsAVX2(dst, src *float32, rows, srcStride, dstStride, below, full int, m *int32, avg bool)
// pool2x2RowsAVX512 in 8-output chunks: full chunks, then a tail chunk
// whose lanes are m[0:16] (inputs) and m[16:24] (outputs), skipped when
// m[16] is 0.
TEXT ·pool2x2RowsAVX2(SB), NOSPLIT, $0-65
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ srcStride+24(FP), R9
	MOVQ dstStride+32(FP), R10
	MOVQ below+40(FP), R11
	MOVQ full+48(FP), R12
	MOVQ m+56(FP), BX
	MOVBLZX avg+64(FP), R13
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, R11
	VMOVDQU (BX), Y10
	VMOVDQU 32(BX), Y11
	VMOVDQU 64(BX), Y12
	MOVL 64(BX), R8 // first output lane of the tail: 0 = no tail
	MOVL $0xff800000, AX // -Inf
	MOVQ AX, X8
	VBROADCASTSS X8, Y8
	MOVL $0x3e800000, AX // 0.25
	MOVQ AX, X9
	VBROADCASTSS X9, Y9

p2row:
	TESTQ CX, CX
	JZ    p2done2
	MOVQ  SI, AX
	MOVQ  DI, DX
	MOVQ  R12, R14

p2chunk:
	TESTQ   R14, R14
	JZ      p2tail
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS (AX)(R11*1), Y2
	VMOVUPS 32(AX)(R11*1), Y3
	POOL2X2AVX2(p2favg, p2fdone)
	VMOVUPS Y4, (DX)
	ADDQ    $64, AX
	ADDQ    $32, DX
	DECQ    R14
	JMP     p2chunk

p2tail:
	TESTL      R8, R8
	JZ         p2next
	VMASKMOVPS (AX), Y10, Y0
	VMASKMOVPS 32(AX), Y11, Y1
	LEAQ       (AX)(R11*1), BX
	VMASKMOVPS (BX), Y10, Y2
	VMASKMOVPS 32(BX), Y11, Y3
	POOL2X2AVX2(p2tavg, p2tdone)
	VMASKMOVPS Y4, Y12, (DX)

p2next:
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JMP  p2row

p2done2:
	VZEROUPPER
	RET

// TAPCHUNK2 is TAPCHUNK in 8 lanes: Y0 = Σk w[k]·src[offs[k]+AX] over the
// lanes of the int32 mask in M (a ymm register), then stored under M.
#define TAPCHUNK2(M, tap, store) \
	VXORPS       Y0, Y0, Y0           \
	XORQ         DX, DX               \
tap:                                  \
	CMPQ         DX, R13              \
	JAE          store                \
	MOVQ         (R11)(DX*8), BX      \
	LEAQ         (SI)(BX*4), BX       \
	VBROADCASTSS (R12)(DX*4), Y1      \
	VMASKMOVPS   (BX)(AX*4), M, Y2    \
	VMULPS       Y1, Y2, Y2           \
	VADDPS       Y2, Y0, Y0           \
	INCQ         DX                   \
	JMP          tap                  \
store:                                \
	LEAQ         (DI)(AX*4), BX       \
	VMASKMOVPS   Y0, M, (BX)

// func tapRowsAVX2(dst, src *float32, blocks, blockIn, blockOut, full int, tail *int32, offs *int, w *float32, n int)
// tapRowsAVX512 in 8-lane chunks; tail points at the 8 int32 lanes of the
// last chunk (all off when there is none).
TEXT ·tapRowsAVX2(SB), NOSPLIT, $0-80
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	MOVQ blockIn+24(FP), R8
	MOVQ blockOut+32(FP), R9
	MOVQ full+40(FP), R10
	MOVQ tail+48(FP), BX
	MOVQ offs+56(FP), R11
	MOVQ w+64(FP), R12
	MOVQ n+72(FP), R13
	SHLQ $2, R8
	SHLQ $2, R9
	VMOVDQU (BX), Y11
	VPCMPEQD Y10, Y10, Y10 // all lanes on

t2block:
	TESTQ CX, CX
	JZ    t2done
	XORQ  AX, AX
	MOVQ  R10, R14

t2full:
	TESTQ R14, R14
	JZ    t2tail
	TAPCHUNK2(Y10, t2ftap, t2fstore)
	ADDQ  $8, AX
	DECQ  R14
	JMP   t2full

t2tail:
	TAPCHUNK2(Y11, t2ttap, t2tstore)
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JMP  t2block

t2done:
	VZEROUPPER
	RET

// func gatherTapsAVX2(dst, src *float32, rows, in, out, stride, chunks int, tail *int32, idx *int32, w *float32, n int)
// gatherTapsAVX512 in 8-lane chunks (VGATHERDPS ymm): a lane whose weight
// is zero neither loads nor adds (the sum is blended back), and the last
// chunk is stored under the 8 int32 lanes of tail.
TEXT ·gatherTapsAVX2(SB), NOSPLIT, $0-88
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ in+24(FP), R8
	MOVQ out+32(FP), R9
	MOVQ stride+40(FP), R10
	MOVQ chunks+48(FP), R14
	MOVQ tail+56(FP), BX
	MOVQ idx+64(FP), R11
	MOVQ w+72(FP), R12
	MOVQ n+80(FP), R13
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	VMOVDQU (BX), Y11
	VXORPS  Y7, Y7, Y7

g2row:
	TESTQ CX, CX
	JZ    g2done
	XORQ  AX, AX

g2chunk:
	MOVQ  R14, DX
	SHLQ  $3, DX
	CMPQ  AX, DX
	JAE   g2next
	VXORPS Y0, Y0, Y0
	LEAQ  (R11)(AX*4), R15
	LEAQ  (R12)(AX*4), BX
	MOVQ  R13, DX

g2tap:
	TESTQ DX, DX
	JZ    g2store
	VMOVDQU (R15), Y5
	VMOVUPS (BX), Y1
	VCMPPS  $4, Y7, Y1, Y3 // w != 0
	VMOVAPS Y3, Y4
	VXORPS  Y2, Y2, Y2
	VGATHERDPS Y4, (SI)(Y5*4), Y2
	VMULPS  Y1, Y2, Y2
	VADDPS  Y2, Y0, Y2
	VBLENDVPS Y3, Y2, Y0, Y0 // take the sum where w != 0
	ADDQ    R10, R15
	ADDQ    R10, BX
	DECQ    DX
	JMP     g2tap

g2store:
	LEAQ 8(AX), DX
	MOVQ R14, BX
	SHLQ $3, BX
	CMPQ DX, BX
	JAE  g2last
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  g2chunk

g2last:
	LEAQ       (DI)(AX*4), BX
	VMASKMOVPS Y0, Y11, (BX)

g2next:
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JMP  g2row

g2done:
	VZEROUPPER
	RET
