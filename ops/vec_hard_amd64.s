//go:build amd64 && !noasm

#include "textflag.h"

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
