//go:build amd64 && !noasm

#include "textflag.h"

// The constants of sigmoidAVX2's e^x (vec_act.go: expHi … expP5), one
// float each, for siluAVX512 to broadcast.
DATA silc<>+0(SB)/4, $0x42b0c0a5 // hi
DATA silc<>+4(SB)/4, $0xc2aeac50 // lo
DATA silc<>+8(SB)/4, $0x3fb8aa3b // log2e
DATA silc<>+12(SB)/4, $0x3f318000 // c1
DATA silc<>+16(SB)/4, $0xb95e8083 // c2
DATA silc<>+20(SB)/4, $0x39506967 // p0
DATA silc<>+24(SB)/4, $0x3ab743ce // p1
DATA silc<>+28(SB)/4, $0x3c088908 // p2
DATA silc<>+32(SB)/4, $0x3d2aa9c1 // p3
DATA silc<>+36(SB)/4, $0x3e2aaaaa // p4
DATA silc<>+40(SB)/4, $0x3f000000 // p5
DATA silc<>+44(SB)/4, $0x3f800000 // one
DATA silc<>+48(SB)/4, $0x0000007f // i127
DATA silc<>+52(SB)/4, $0x80000000 // sign
GLOBL silc<>(SB), RODATA|NOPTR, $56

// Piecewise-linear activations and the SiLU product (vec_hard.go), 16
// (AVX-512) or 8 (AVX2) lanes at a time; n is a multiple of the width.
// Every lane does exactly the float32 operations of the Go twins, in the
// same order and without FMA, so the results are bit for bit the same.

// func clampAffineAVX512(dst, src *float32, n int, a, b, lo, hi float32, mulx bool)
// t = a·x; t = t + b; t = lo > t ? lo : t; t = hi < t ? hi : t; if mulx { t = t·x }
TEXT ·clampAffineAVX512(SB), NOSPLIT, $0-41
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Z4
	VBROADCASTSS b+28(FP), Z5
	VBROADCASTSS lo+32(FP), Z6
	VBROADCASTSS hi+36(FP), Z7
	MOVBLZX      mulx+40(FP), AX
	TESTQ        AX, AX
	JNZ          zmulloop

zloop:
	TESTQ   CX, CX
	JLE     zdone
	VMOVUPS (SI), Z0
	VMULPS  Z4, Z0, Z1
	VADDPS  Z5, Z1, Z1
	VMAXPS  Z1, Z6, Z1
	VMINPS  Z1, Z7, Z1
	VMOVUPS Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     zloop

zmulloop:
	TESTQ   CX, CX
	JLE     zdone
	VMOVUPS (SI), Z0
	VMULPS  Z4, Z0, Z1
	VADDPS  Z5, Z1, Z1
	VMAXPS  Z1, Z6, Z1
	VMINPS  Z1, Z7, Z1
	VMULPS  Z0, Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     zmulloop

zdone:
	VZEROUPPER
	RET

// func clampAffineAVX2(dst, src *float32, n int, a, b, lo, hi float32, mulx bool)
TEXT ·clampAffineAVX2(SB), NOSPLIT, $0-41
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Y4
	VBROADCASTSS b+28(FP), Y5
	VBROADCASTSS lo+32(FP), Y6
	VBROADCASTSS hi+36(FP), Y7
	MOVBLZX      mulx+40(FP), AX
	TESTQ        AX, AX
	JNZ          ymulloop

yloop:
	TESTQ   CX, CX
	JLE     ydone
	VMOVUPS (SI), Y0
	VMULPS  Y4, Y0, Y1
	VADDPS  Y5, Y1, Y1
	VMAXPS  Y1, Y6, Y1
	VMINPS  Y1, Y7, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     yloop

ymulloop:
	TESTQ   CX, CX
	JLE     ydone
	VMOVUPS (SI), Y0
	VMULPS  Y4, Y0, Y1
	VADDPS  Y5, Y1, Y1
	VMAXPS  Y1, Y6, Y1
	VMINPS  Y1, Y7, Y1
	VMULPS  Y0, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     ymulloop

ydone:
	VZEROUPPER
	RET

// func leakyReluAVX512(dst, src *float32, n int, alpha float32)
// x < 0 ? x·alpha : x
TEXT ·leakyReluAVX512(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Z4
	VXORPS       Z5, Z5, Z5

lzloop:
	TESTQ   CX, CX
	JLE     lzdone
	VMOVUPS (SI), Z0
	VCMPPS  $1, Z5, Z0, K1
	VMULPS  Z4, Z0, K1, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     lzloop

lzdone:
	VZEROUPPER
	RET

// func leakyReluAVX2(dst, src *float32, n int, alpha float32)
TEXT ·leakyReluAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Y4
	VXORPS       Y5, Y5, Y5

lyloop:
	TESTQ     CX, CX
	JLE       lydone
	VMOVUPS   (SI), Y0
	VCMPPS    $1, Y5, Y0, Y2
	VMULPS    Y4, Y0, Y1
	VBLENDVPS Y2, Y1, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       lyloop

lydone:
	VZEROUPPER
	RET

// func mulAVX512(dst, a, b *float32, n int)
// dst[i] = a[i]·b[i]
TEXT ·mulAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX

mzloop:
	TESTQ   CX, CX
	JLE     mzdone
	VMOVUPS (SI), Z0
	VMULPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     mzloop

mzdone:
	VZEROUPPER
	RET

// func mulAVX2(dst, a, b *float32, n int)
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX

myloop:
	TESTQ   CX, CX
	JLE     mydone
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     myloop

mydone:
	VZEROUPPER
	RET

// func siluAVX512(dst, src *float32, n int)
// dst = x·sigmoid(x), the sigmoid computed by sigmoidAVX2's instructions
// (vec_act_amd64.s) in 16 lanes: the same IEEE operations on each lane, so
// the same bits as SigmoidSlice followed by a multiply. The constants
// (silc) are broadcast once into Z16-Z29.
TEXT ·siluAVX512(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS silc<>+0(SB), Z16   // hi
	VBROADCASTSS silc<>+4(SB), Z17  // lo
	VBROADCASTSS silc<>+8(SB), Z18  // log2e
	VBROADCASTSS silc<>+12(SB), Z19  // c1
	VBROADCASTSS silc<>+16(SB), Z20 // c2
	VBROADCASTSS silc<>+20(SB), Z21 // p0
	VBROADCASTSS silc<>+24(SB), Z22 // p1
	VBROADCASTSS silc<>+28(SB), Z23 // p2
	VBROADCASTSS silc<>+32(SB), Z24 // p3
	VBROADCASTSS silc<>+36(SB), Z25 // p4
	VBROADCASTSS silc<>+40(SB), Z26 // p5
	VBROADCASTSS silc<>+44(SB), Z27 // one
	VPBROADCASTD silc<>+48(SB), Z28 // int32 127
	VPBROADCASTD silc<>+52(SB), Z29 // sign bit

siluloop:
	TESTQ        CX, CX
	JLE          siludone
	VMOVUPS      (SI), Z6
	VCMPPS       $3, Z6, Z6, K1      // unordered: NaN lanes
	VPXORD       Z29, Z6, Z0         // -x
	VMINPS       Z16, Z0, Z0
	VMAXPS       Z17, Z0, Z0
	VMULPS       Z18, Z0, Z1
	VRNDSCALEPS  $0, Z1, Z1
	VFNMADD231PS Z19, Z1, Z0
	VFNMADD231PS Z20, Z1, Z0
	VMOVAPS      Z21, Z2
	VFMADD213PS  Z22, Z0, Z2
	VFMADD213PS  Z23, Z0, Z2
	VFMADD213PS  Z24, Z0, Z2
	VFMADD213PS  Z25, Z0, Z2
	VFMADD213PS  Z26, Z0, Z2
	VMULPS       Z0, Z0, Z3
	VADDPS       Z27, Z0, Z4
	VFMADD231PS  Z3, Z2, Z4
	VCVTPS2DQ    Z1, Z1
	VPADDD       Z28, Z1, Z1
	VPSLLD       $23, Z1, Z1
	VMULPS       Z1, Z4, Z0          // e^-x
	VADDPS       Z27, Z0, Z0
	VDIVPS       Z0, Z27, Z0         // 1/(1+e^-x)
	VBLENDMPS    Z6, Z0, K1, Z0      // NaN stays NaN
	VMULPS       Z6, Z0, Z0          // x·sigmoid(x)
	VMOVUPS      Z0, (DI)
	ADDQ         $64, SI
	ADDQ         $64, DI
	SUBQ         $16, CX
	JMP          siluloop

siludone:
	VZEROUPPER
	RET
