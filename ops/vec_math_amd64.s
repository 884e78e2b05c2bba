//go:build amd64 && !noasm

#include "textflag.h"

DATA vmc<>+0(SB)/4, $0x42b0c0a5 // hi
DATA vmc<>+4(SB)/4, $0xc2aeac50 // lo
DATA vmc<>+8(SB)/4, $0x3fb8aa3b // log2e
DATA vmc<>+12(SB)/4, $0x3f318000 // c1
DATA vmc<>+16(SB)/4, $0xb95e8083 // c2
DATA vmc<>+20(SB)/4, $0x39506967 // p0
DATA vmc<>+24(SB)/4, $0x3ab743ce // p1
DATA vmc<>+28(SB)/4, $0x3c088908 // p2
DATA vmc<>+32(SB)/4, $0x3d2aa9c1 // p3
DATA vmc<>+36(SB)/4, $0x3e2aaaaa // p4
DATA vmc<>+40(SB)/4, $0x3f000000 // p5
DATA vmc<>+44(SB)/4, $0x3f800000 // one
DATA vmc<>+48(SB)/4, $0x0000007f // i127
DATA vmc<>+52(SB)/4, $0x7fffffff // absmask
DATA vmc<>+56(SB)/4, $0x3f6c0000 // small
DATA vmc<>+60(SB)/4, $0x40800000 // erfhi
DATA vmc<>+64(SB)/4, $0x401d8000 // erfmid
DATA vmc<>+68(SB)/4, $0x3f906eba // s0
DATA vmc<>+72(SB)/4, $0xbec09373 // s1
DATA vmc<>+76(SB)/4, $0x3de70d35 // s2
DATA vmc<>+80(SB)/4, $0xbcdb45a9 // s3
DATA vmc<>+84(SB)/4, $0x3ba39dd3 // s4
DATA vmc<>+88(SB)/4, $0xba1d0beb // s5
DATA vmc<>+92(SB)/4, $0xbfc57f77 // l0
DATA vmc<>+96(SB)/4, $0xbeb6d7ae // l1
DATA vmc<>+100(SB)/4, $0x3d6b1b20 // l2
DATA vmc<>+104(SB)/4, $0xbc378d70 // l3
DATA vmc<>+108(SB)/4, $0x3b13644d // l4
DATA vmc<>+112(SB)/4, $0xb9e62674 // l5
DATA vmc<>+116(SB)/4, $0x38aa1571 // l6
DATA vmc<>+120(SB)/4, $0xb7654de8 // l7
DATA vmc<>+124(SB)/4, $0x35d8a3df // l8
DATA vmc<>+128(SB)/4, $0xb2eab7b9 // l9
DATA vmc<>+132(SB)/4, $0x3f000000 // half
DATA vmc<>+136(SB)/4, $0x3f3504f3 // rsqrt2
DATA vmc<>+140(SB)/4, $0x40000000 // two
DATA vmc<>+144(SB)/4, $0x3fcc422a // tanhk
DATA vmc<>+148(SB)/4, $0x3d372713 // tanhc
DATA vmc<>+152(SB)/4, $0x80000000 // sign
DATA vmc<>+156(SB)/4, $0x41200000 // erfzero (10)
GLOBL vmc<>(SB), RODATA|NOPTR, $160
#define C_HI vmc<>+0(SB)
#define C_LO vmc<>+4(SB)
#define C_LOG2E vmc<>+8(SB)
#define C_C1 vmc<>+12(SB)
#define C_C2 vmc<>+16(SB)
#define C_P0 vmc<>+20(SB)
#define C_P1 vmc<>+24(SB)
#define C_P2 vmc<>+28(SB)
#define C_P3 vmc<>+32(SB)
#define C_P4 vmc<>+36(SB)
#define C_P5 vmc<>+40(SB)
#define C_ONE vmc<>+44(SB)
#define C_I127 vmc<>+48(SB)
#define C_ABSMASK vmc<>+52(SB)
#define C_SMALL vmc<>+56(SB)
#define C_ERFHI vmc<>+60(SB)
#define C_ERFMID vmc<>+64(SB)
#define C_S0 vmc<>+68(SB)
#define C_S1 vmc<>+72(SB)
#define C_S2 vmc<>+76(SB)
#define C_S3 vmc<>+80(SB)
#define C_S4 vmc<>+84(SB)
#define C_S5 vmc<>+88(SB)
#define C_L0 vmc<>+92(SB)
#define C_L1 vmc<>+96(SB)
#define C_L2 vmc<>+100(SB)
#define C_L3 vmc<>+104(SB)
#define C_L4 vmc<>+108(SB)
#define C_L5 vmc<>+112(SB)
#define C_L6 vmc<>+116(SB)
#define C_L7 vmc<>+120(SB)
#define C_L8 vmc<>+124(SB)
#define C_L9 vmc<>+128(SB)
#define C_HALF vmc<>+132(SB)
#define C_RSQRT2 vmc<>+136(SB)
#define C_TWO vmc<>+140(SB)
#define C_TANHK vmc<>+144(SB)
#define C_TANHC vmc<>+148(SB)
#define C_SIGN vmc<>+152(SB)
#define C_ERFZERO vmc<>+156(SB)

// ---- AVX-512 (16 lanes). Constants broadcast from the scalar table; the
// exponential's clamp bounds live in Z30 (hi) and Z31 (lo), with the
// operand order that lets NaN through (vminps returns its second source
// when either is NaN).

#define EXPINIT16 \
	VBROADCASTSS C_HI, Z30 \
	VBROADCASTSS C_LO, Z31

// EXP16: Z0 = e^Z0 (clobbers Z1-Z4).
#define EXP16 \
	VMINPS Z0, Z30, Z0 \
	VMAXPS Z0, Z31, Z0 \
	VMULPS.BCST C_LOG2E, Z0, Z1 \
	VRNDSCALEPS $0, Z1, Z1 \
	VFNMADD231PS.BCST C_C1, Z1, Z0 \
	VFNMADD231PS.BCST C_C2, Z1, Z0 \
	VBROADCASTSS C_P0, Z2 \
	VFMADD213PS.BCST C_P1, Z0, Z2 \
	VFMADD213PS.BCST C_P2, Z0, Z2 \
	VFMADD213PS.BCST C_P3, Z0, Z2 \
	VFMADD213PS.BCST C_P4, Z0, Z2 \
	VFMADD213PS.BCST C_P5, Z0, Z2 \
	VMULPS Z0, Z0, Z3 \
	VADDPS.BCST C_ONE, Z0, Z4 \
	VFMADD231PS Z3, Z2, Z4 \
	VCVTPS2DQ Z1, Z1 \
	VPADDD.BCST C_I127, Z1, Z1 \
	VPSLLD $23, Z1, Z1 \
	VMULPS Z1, Z4, Z0

// ERFSMALL16: Z9 = P(Z8) (the small-|x| polynomial).
#define ERFSMALL16 \
	VBROADCASTSS C_S5, Z9 \
	VFMADD213PS.BCST C_S4, Z8, Z9 \
	VFMADD213PS.BCST C_S3, Z8, Z9 \
	VFMADD213PS.BCST C_S2, Z8, Z9 \
	VFMADD213PS.BCST C_S1, Z8, Z9 \
	VFMADD213PS.BCST C_S0, Z8, Z9

// ERFC16: Z0 = erfc(Z7) for Z7 ≥ 0.921875: e^(Q(min(a, 4) − c) − a²)
// and 0 from a = 10 on, below float32's range (clobbers Z1-Z4, Z10,
// Z11, K2; Z29 holds the clamp 4).
#define ERFC16 \
	VMINPS Z7, Z29, Z10 \
	VSUBPS.BCST C_ERFMID, Z10, Z11 \
	VBROADCASTSS C_L9, Z0 \
	VFMADD213PS.BCST C_L8, Z11, Z0 \
	VFMADD213PS.BCST C_L7, Z11, Z0 \
	VFMADD213PS.BCST C_L6, Z11, Z0 \
	VFMADD213PS.BCST C_L5, Z11, Z0 \
	VFMADD213PS.BCST C_L4, Z11, Z0 \
	VFMADD213PS.BCST C_L3, Z11, Z0 \
	VFMADD213PS.BCST C_L2, Z11, Z0 \
	VFMADD213PS.BCST C_L1, Z11, Z0 \
	VFMADD213PS.BCST C_L0, Z11, Z0 \
	VFNMADD231PS Z7, Z7, Z0 \
	EXP16 \
	VCMPPS.BCST $1, C_ERFZERO, Z7, K2 \
	VMOVAPS.Z Z0, K2, Z0

// ERF16: Z0 = erf(Z6).
#define ERF16 \
	VPANDD.BCST C_ABSMASK, Z6, Z7 \
	VMULPS Z6, Z6, Z8 \
	ERFSMALL16 \
	VMULPS Z6, Z9, Z9 \
	ERFC16 \
	VBROADCASTSS C_ONE, Z1 \
	VSUBPS Z0, Z1, Z0 \
	VPANDD.BCST C_SIGN, Z6, Z1 \
	VPORD Z1, Z0, Z0 \
	VCMPPS.BCST $1, C_SMALL, Z7, K2 \
	VMOVAPS Z9, K2, Z0 \
	VCMPPS $3, Z6, Z6, K3 \
	VMOVAPS Z6, K3, Z0

// GELU16: Z0 = x/2·(1 + erf(x/√2)), x = Z6.
#define GELU16 \
	VMULPS.BCST C_RSQRT2, Z6, Z5 \
	VPANDD.BCST C_ABSMASK, Z5, Z7 \
	VMULPS Z5, Z5, Z8 \
	ERFSMALL16 \
	VFMADD213PS.BCST C_ONE, Z5, Z9 \
	ERFC16 \
	VBROADCASTSS C_TWO, Z1 \
	VSUBPS Z0, Z1, Z1 \
	VPXORD Z12, Z12, Z12 \
	VCMPPS $14, Z12, Z5, K2 \
	VMOVAPS Z1, K2, Z0 \
	VCMPPS.BCST $1, C_SMALL, Z7, K2 \
	VMOVAPS Z9, K2, Z0 \
	VMULPS.BCST C_HALF, Z6, Z1 \
	VMULPS Z1, Z0, Z0 \
	VCMPPS $3, Z6, Z6, K3 \
	VMOVAPS Z6, K3, Z0

// GELUTANH16: Z0 = x·σ(2·√(2/π)·(x + 0.044715x³)), x = Z6; σ is 0 where
// e^−2u would pass the exponential's clamp.
#define GELUTANH16 \
	VMULPS Z6, Z6, Z0 \
	VBROADCASTSS C_TANHC, Z1 \
	VFMADD213PS.BCST C_ONE, Z0, Z1 \
	VMULPS.BCST C_TANHK, Z6, Z0 \
	VMULPS Z1, Z0, Z0 \
	VPXORD.BCST C_SIGN, Z0, Z0 \
	VCMPPS $1, Z30, Z0, K2 \
	EXP16 \
	VADDPS.BCST C_ONE, Z0, Z0 \
	VBROADCASTSS C_ONE, Z1 \
	VDIVPS Z0, Z1, Z0 \
	VMOVAPS.Z Z0, K2, Z0 \
	VMULPS Z6, Z0, Z0

#define EXPONLY16 \
	VMOVAPS Z6, Z0 \
	EXP16

// TAILMASK16 sets K1 to the low CX lanes (0 < CX < 16; clobbers BX).
#define TAILMASK16 \
	MOVQ $1, BX \
	SHLQ CX, BX \
	DECQ BX \
	KMOVW BX, K1

// UNARY16 defines name(dst, src *float32, n int), any n, applying the
// macro body (Z6 → Z0) to every element; the last n%16 go through the
// same body under a lane mask.
#define UNARY16(name, body) \
TEXT name(SB), NOSPLIT, $0-24 \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ n+16(FP), CX \
	EXPINIT16 \
	VBROADCASTSS C_ERFHI, Z29 \
	XORQ AX, AX \
	MOVQ CX, DX \
	ANDQ $-16, DX \
loop: \
	CMPQ AX, DX \
	JAE  tail \
	VMOVUPS (SI)(AX*4), Z6 \
	body \
	VMOVUPS Z0, (DI)(AX*4) \
	ADDQ $16, AX \
	JMP  loop \
tail: \
	SUBQ AX, CX \
	JZ   done \
	TAILMASK16 \
	VMOVUPS.Z (SI)(AX*4), K1, Z6 \
	body \
	VMOVUPS Z0, K1, (DI)(AX*4) \
done: \
	VZEROUPPER \
	RET

UNARY16(·erfAVX512, ERF16)
UNARY16(·geluAVX512, GELU16)
UNARY16(·geluTanhAVX512, GELUTANH16)
UNARY16(·expAVX512, EXPONLY16)

// HSUM16 adds the 16 lanes of Z0 into X0 (clobbers Z1).
#define HSUM16 \
	VEXTRACTF64X4 $1, Z0, Y1 \
	VADDPS Y1, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS X1, X0, X0 \
	VPERMILPS $0x4e, X0, X1 \
	VADDPS X1, X0, X0 \
	VPERMILPS $0xb1, X0, X1 \
	VADDPS X1, X0, X0

// func maxAVX512(x *float32, n int) float32 (n ≥ 1)
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS (SI), Z0
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX

maxloop:
	CMPQ AX, DX
	JAE  maxtail
	VMAXPS (SI)(AX*4), Z0, Z0
	ADDQ $16, AX
	JMP  maxloop

maxtail:
	SUBQ AX, CX
	JZ   maxreduce
	TAILMASK16
	VMAXPS (SI)(AX*4), Z0, K1, Z0

maxreduce:
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	MOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func expSubSumAVX512(dst, src *float32, n int, m float32) float32
// dst = e^(src − m), 0 where src − m is below the exponential's range (NaN
// stays NaN); returns Σdst.
TEXT ·expSubSumAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS m+24(FP), Z15
	EXPINIT16
	VPXORD Z14, Z14, Z14
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX

esloop:
	CMPQ AX, DX
	JAE  estail
	VMOVUPS (SI)(AX*4), Z0
	VSUBPS Z15, Z0, Z0
	VCMPPS $5, Z31, Z0, K2
	EXP16
	VMOVAPS.Z Z0, K2, Z0
	VADDPS Z0, Z14, Z14
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  esloop

estail:
	SUBQ AX, CX
	JZ   esreduce
	TAILMASK16
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VSUBPS Z15, Z0, Z0
	VCMPPS $5, Z31, Z0, K2
	EXP16
	VMOVAPS.Z Z0, K2, Z0
	VADDPS Z0, Z14, K1, Z14
	VMOVUPS Z0, K1, (DI)(AX*4)

esreduce:
	VMOVAPS Z14, Z0
	HSUM16
	MOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func mulScalarAVX512(dst *float32, n int, s float32, nanToZero bool)
// dst *= s; with nanToZero, NaN products become 0.
TEXT ·mulScalarAVX512(SB), NOSPLIT, $0-21
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Z15
	MOVBQZX nanToZero+20(FP), R8
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX

mulloop:
	CMPQ AX, DX
	JAE  multail
	VMULPS (DI)(AX*4), Z15, Z0
	TESTQ R8, R8
	JZ   mulstore
	VCMPPS $7, Z0, Z0, K2
	VMOVAPS.Z Z0, K2, Z0

mulstore:
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  mulloop

multail:
	SUBQ AX, CX
	JZ   muldone
	TAILMASK16
	VMOVUPS.Z (DI)(AX*4), K1, Z0
	VMULPS Z0, Z15, Z0
	TESTQ R8, R8
	JZ   mulstore2
	VCMPPS $7, Z0, Z0, K2
	VMOVAPS.Z Z0, K2, Z0

mulstore2:
	VMOVUPS Z0, K1, (DI)(AX*4)

muldone:
	VZEROUPPER
	RET

// func sumAVX512(x *float32, n int) float32
TEXT ·sumAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-32, DX

sum2loop:
	CMPQ AX, DX
	JAE  sumrest
	VADDPS (SI)(AX*4), Z0, Z0
	VADDPS 64(SI)(AX*4), Z5, Z5
	ADDQ $32, AX
	JMP  sum2loop

sumrest:
	MOVQ CX, DX
	ANDQ $-16, DX
	CMPQ AX, DX
	JAE  sumtail
	VADDPS (SI)(AX*4), Z0, Z0
	ADDQ $16, AX

sumtail:
	SUBQ AX, CX
	JZ   sumreduce
	TAILMASK16
	VADDPS (SI)(AX*4), Z5, K1, Z5

sumreduce:
	VADDPS Z5, Z0, Z0
	HSUM16
	MOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func sumSqDevAVX512(x *float32, n int, m float32) float32
// Σ(x − m)².
TEXT ·sumSqDevAVX512(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Z15
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-32, DX

sq2loop:
	CMPQ AX, DX
	JAE  sqrest
	VSUBPS (SI)(AX*4), Z15, Z1
	VSUBPS 64(SI)(AX*4), Z15, Z2
	VFMADD231PS Z1, Z1, Z0
	VFMADD231PS Z2, Z2, Z5
	ADDQ $32, AX
	JMP  sq2loop

sqrest:
	MOVQ CX, DX
	ANDQ $-16, DX
	CMPQ AX, DX
	JAE  sqtail
	VSUBPS (SI)(AX*4), Z15, Z1
	VFMADD231PS Z1, Z1, Z0
	ADDQ $16, AX

sqtail:
	SUBQ AX, CX
	JZ   sqreduce
	TAILMASK16
	VPXORD Z1, Z1, Z1
	VSUBPS (SI)(AX*4), Z15, K1, Z1
	VFMADD231PS Z1, Z1, Z5

sqreduce:
	VADDPS Z5, Z0, Z0
	HSUM16
	MOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func normAffineAVX512(dst, src, scale, shift *float32, n int, m, inv float32)
// dst = (src − m)·(inv·scale) + shift (shift may be nil).
TEXT ·normAffineAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ scale+16(FP), R8
	MOVQ shift+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS m+40(FP), Z15
	VBROADCASTSS inv+44(FP), Z14
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX

naloop:
	CMPQ AX, DX
	JAE  natail
	VMOVUPS (SI)(AX*4), Z0
	VSUBPS Z15, Z0, Z0
	VMULPS (R8)(AX*4), Z14, Z1
	TESTQ R9, R9
	JZ   nanob
	VFMADD213PS (R9)(AX*4), Z1, Z0
	JMP  nastore

nanob:
	VMULPS Z1, Z0, Z0

nastore:
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  naloop

natail:
	SUBQ AX, CX
	JZ   nadone
	TAILMASK16
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VSUBPS Z15, Z0, Z0
	VMOVUPS.Z (R8)(AX*4), K1, Z1
	VMULPS Z1, Z14, Z1
	TESTQ R9, R9
	JZ   nanob2
	VMOVUPS.Z (R9)(AX*4), K1, Z2
	VFMADD213PS Z2, Z1, Z0
	JMP  nastore2

nanob2:
	VMULPS Z1, Z0, Z0

nastore2:
	VMOVUPS Z0, K1, (DI)(AX*4)

nadone:
	VZEROUPPER
	RET

// ---- AVX2 + FMA (8 lanes, n a multiple of 8; the Go side runs the last
// n%8 elements through the same code in an 8-lane buffer). Y14 and Y15
// hold the exponential's clamp bounds, Y13 the erfc clamp 4.

#define EXPINIT8 \
	VBROADCASTSS C_HI, Y14 \
	VBROADCASTSS C_LO, Y15 \
	VBROADCASTSS C_ERFHI, Y13

// EXP8: Y0 = e^Y0 (clobbers Y1-Y4).
#define EXP8 \
	VMINPS Y0, Y14, Y0 \
	VMAXPS Y0, Y15, Y0 \
	VBROADCASTSS C_LOG2E, Y1 \
	VMULPS Y1, Y0, Y1 \
	VROUNDPS $0, Y1, Y1 \
	VBROADCASTSS C_C1, Y2 \
	VFNMADD231PS Y2, Y1, Y0 \
	VBROADCASTSS C_C2, Y2 \
	VFNMADD231PS Y2, Y1, Y0 \
	VBROADCASTSS C_P0, Y2 \
	VBROADCASTSS C_P1, Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VBROADCASTSS C_P2, Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VBROADCASTSS C_P3, Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VBROADCASTSS C_P4, Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VBROADCASTSS C_P5, Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VMULPS Y0, Y0, Y3 \
	VBROADCASTSS C_ONE, Y4 \
	VADDPS Y4, Y0, Y4 \
	VFMADD231PS Y3, Y2, Y4 \
	VCVTPS2DQ Y1, Y1 \
	VPBROADCASTD C_I127, Y2 \
	VPADDD Y2, Y1, Y1 \
	VPSLLD $23, Y1, Y1 \
	VMULPS Y1, Y4, Y0

// ERFSMALL8: Y9 = P(Y8) (clobbers Y10).
#define ERFSMALL8 \
	VBROADCASTSS C_S5, Y9 \
	VBROADCASTSS C_S4, Y10 \
	VFMADD213PS Y10, Y8, Y9 \
	VBROADCASTSS C_S3, Y10 \
	VFMADD213PS Y10, Y8, Y9 \
	VBROADCASTSS C_S2, Y10 \
	VFMADD213PS Y10, Y8, Y9 \
	VBROADCASTSS C_S1, Y10 \
	VFMADD213PS Y10, Y8, Y9 \
	VBROADCASTSS C_S0, Y10 \
	VFMADD213PS Y10, Y8, Y9

// ERFC8: Y0 = erfc(Y7) for Y7 ≥ 0.921875, as ERFC16 (clobbers Y1-Y4,
// Y10-Y12).
#define ERFC8 \
	VMINPS Y7, Y13, Y10 \
	VBROADCASTSS C_ERFMID, Y11 \
	VSUBPS Y11, Y10, Y11 \
	VBROADCASTSS C_L9, Y0 \
	VBROADCASTSS C_L8, Y12 \
	VFMADD213PS Y12, Y11, Y0 \
	VBROADCASTSS C_L7, Y12 \
	VFMADD213PS Y12, Y11, Y0 \
	VBROADCASTSS C_L6, Y12 \
	VFMADD213PS Y12, Y11, Y0 \
	VBROADCASTSS C_L5, Y12 \
	VFMADD213PS Y12, Y11, Y0 \
	VBROADCASTSS C_L4, Y12 \
	VFMADD213PS Y12, Y11, Y0 \
	VBROADCASTSS C_L3, Y12 \
	VFMADD213PS Y12, Y11, Y0 \
	VBROADCASTSS C_L2, Y12 \
	VFMADD213PS Y12, Y11, Y0 \
	VBROADCASTSS C_L1, Y12 \
	VFMADD213PS Y12, Y11, Y0 \
	VBROADCASTSS C_L0, Y12 \
	VFMADD213PS Y12, Y11, Y0 \
	VFNMADD231PS Y7, Y7, Y0 \
	EXP8 \
	VBROADCASTSS C_ERFZERO, Y1 \
	VCMPPS $1, Y1, Y7, Y1 \
	VANDPS Y1, Y0, Y0

// ERF8: Y0 = erf(Y6).
#define ERF8 \
	VBROADCASTSS C_ABSMASK, Y7 \
	VANDPS Y7, Y6, Y7 \
	VMULPS Y6, Y6, Y8 \
	ERFSMALL8 \
	VMULPS Y6, Y9, Y9 \
	ERFC8 \
	VBROADCASTSS C_ONE, Y1 \
	VSUBPS Y0, Y1, Y0 \
	VBROADCASTSS C_SIGN, Y1 \
	VANDPS Y6, Y1, Y1 \
	VORPS Y1, Y0, Y0 \
	VBROADCASTSS C_SMALL, Y1 \
	VCMPPS $1, Y1, Y7, Y1 \
	VBLENDVPS Y1, Y9, Y0, Y0 \
	VCMPPS $3, Y6, Y6, Y1 \
	VBLENDVPS Y1, Y6, Y0, Y0

// GELU8: Y0 = x/2·(1 + erf(x/√2)), x = Y6.
#define GELU8 \
	VBROADCASTSS C_RSQRT2, Y5 \
	VMULPS Y5, Y6, Y5 \
	VBROADCASTSS C_ABSMASK, Y7 \
	VANDPS Y7, Y5, Y7 \
	VMULPS Y5, Y5, Y8 \
	ERFSMALL8 \
	VBROADCASTSS C_ONE, Y10 \
	VFMADD213PS Y10, Y5, Y9 \
	ERFC8 \
	VBROADCASTSS C_TWO, Y1 \
	VSUBPS Y0, Y1, Y1 \
	VXORPS Y12, Y12, Y12 \
	VCMPPS $14, Y12, Y5, Y2 \
	VBLENDVPS Y2, Y1, Y0, Y0 \
	VBROADCASTSS C_SMALL, Y1 \
	VCMPPS $1, Y1, Y7, Y1 \
	VBLENDVPS Y1, Y9, Y0, Y0 \
	VBROADCASTSS C_HALF, Y1 \
	VMULPS Y1, Y6, Y1 \
	VMULPS Y1, Y0, Y0 \
	VCMPPS $3, Y6, Y6, Y1 \
	VBLENDVPS Y1, Y6, Y0, Y0

// GELUTANH8: Y0 = x·σ(2·√(2/π)·(x + 0.044715x³)), x = Y6.
#define GELUTANH8 \
	VMULPS Y6, Y6, Y0 \
	VBROADCASTSS C_TANHC, Y1 \
	VBROADCASTSS C_ONE, Y2 \
	VFMADD213PS Y2, Y0, Y1 \
	VBROADCASTSS C_TANHK, Y0 \
	VMULPS Y0, Y6, Y0 \
	VMULPS Y1, Y0, Y0 \
	VBROADCASTSS C_SIGN, Y1 \
	VXORPS Y1, Y0, Y0 \
	VCMPPS $1, Y14, Y0, Y5 \
	EXP8 \
	VBROADCASTSS C_ONE, Y1 \
	VADDPS Y1, Y0, Y0 \
	VDIVPS Y0, Y1, Y0 \
	VANDPS Y5, Y0, Y0 \
	VMULPS Y6, Y0, Y0

// UNARY8 defines name(dst, src *float32, n int), n a multiple of 8.
#define UNARY8(name, body) \
TEXT name(SB), NOSPLIT, $0-24 \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ n+16(FP), CX \
	EXPINIT8 \
	XORQ AX, AX \
loop: \
	CMPQ AX, CX \
	JAE  done \
	VMOVUPS (SI)(AX*4), Y6 \
	body \
	VMOVUPS Y0, (DI)(AX*4) \
	ADDQ $8, AX \
	JMP  loop \
done: \
	VZEROUPPER \
	RET

UNARY8(·erfAVX2, ERF8)
UNARY8(·geluAVX2, GELU8)
UNARY8(·geluTanhAVX2, GELUTANH8)

// HSUM8 adds the 8 lanes of Y0 into X0 (clobbers Y1).
#define HSUM8 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS X1, X0, X0 \
	VPERMILPS $0x4e, X0, X1 \
	VADDPS X1, X0, X0 \
	VPERMILPS $0xb1, X0, X1 \
	VADDPS X1, X0, X0

// func maxAVX2(x *float32, n int) float32 (n a positive multiple of 8)
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Y0
	MOVQ $8, AX

max8loop:
	CMPQ AX, CX
	JAE  max8reduce
	VMAXPS (SI)(AX*4), Y0, Y0
	ADDQ $8, AX
	JMP  max8loop

max8reduce:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	MOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func expSubSumAVX2(dst, src *float32, n int, m float32) float32
TEXT ·expSubSumAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS m+24(FP), Y12
	EXPINIT8
	VXORPS Y11, Y11, Y11
	XORQ AX, AX

es8loop:
	CMPQ AX, CX
	JAE  es8reduce
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS Y12, Y0, Y0
	VCMPPS $5, Y15, Y0, Y10
	EXP8
	VANDPS Y10, Y0, Y0
	VADDPS Y0, Y11, Y11
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  es8loop

es8reduce:
	VMOVAPS Y11, Y0
	HSUM8
	MOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func mulScalarAVX2(dst *float32, n int, s float32, nanToZero bool)
TEXT ·mulScalarAVX2(SB), NOSPLIT, $0-21
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Y15
	MOVBQZX nanToZero+20(FP), R8
	XORQ AX, AX

mul8loop:
	CMPQ AX, CX
	JAE  mul8done
	VMULPS (DI)(AX*4), Y15, Y0
	TESTQ R8, R8
	JZ   mul8store
	VCMPPS $7, Y0, Y0, Y1
	VANDPS Y1, Y0, Y0

mul8store:
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  mul8loop

mul8done:
	VZEROUPPER
	RET

// func sumAVX2(x *float32, n int) float32
TEXT ·sumAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Y0, Y0, Y0
	XORQ AX, AX

sum8loop:
	CMPQ AX, CX
	JAE  sum8reduce
	VADDPS (SI)(AX*4), Y0, Y0
	ADDQ $8, AX
	JMP  sum8loop

sum8reduce:
	HSUM8
	MOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func sumSqDevAVX2(x *float32, n int, m float32) float32
TEXT ·sumSqDevAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Y15
	VXORPS Y0, Y0, Y0
	XORQ AX, AX

sq8loop:
	CMPQ AX, CX
	JAE  sq8reduce
	VSUBPS (SI)(AX*4), Y15, Y1
	VFMADD231PS Y1, Y1, Y0
	ADDQ $8, AX
	JMP  sq8loop

sq8reduce:
	HSUM8
	MOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func normAffineAVX2(dst, src, scale, shift *float32, n int, m, inv float32)
TEXT ·normAffineAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ scale+16(FP), R8
	MOVQ shift+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS m+40(FP), Y15
	VBROADCASTSS inv+44(FP), Y14
	XORQ AX, AX

na8loop:
	CMPQ AX, CX
	JAE  na8done
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS Y15, Y0, Y0
	VMULPS (R8)(AX*4), Y14, Y1
	TESTQ R9, R9
	JZ   na8nob
	VFMADD213PS (R9)(AX*4), Y1, Y0
	JMP  na8store

na8nob:
	VMULPS Y1, Y0, Y0

na8store:
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  na8loop

na8done:
	VZEROUPPER
	RET
