//go:build amd64 && !noasm

#include "textflag.h"

// func adamAVX2(w, grad, mom, vel *float32, n int, p *AdamParams)
// Eight weights per step with exactly the operations of adamGo, in its
// order (no FMA), so results are bit-identical. n is a multiple of 8.
// AdamParams: Scale 0, L2 4, Beta1 8, Beta2 12, BC1 16, BC2 20, LR 24,
// Eps 28, Decay 32.
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ mom+16(FP), R8
	MOVQ vel+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ p+40(FP), DX
	VBROADCASTSS 0(DX), Y8   // Scale
	VBROADCASTSS 4(DX), Y9   // L2
	VBROADCASTSS 8(DX), Y10  // Beta1
	VBROADCASTSS 12(DX), Y12 // Beta2
	VBROADCASTSS 16(DX), Y14 // BC1
	VBROADCASTSS 20(DX), Y15 // BC2
	MOVL $0x3f800000, AX     // 1.0
	MOVQ AX, X0
	VBROADCASTSS X0, Y0
	VSUBPS Y10, Y0, Y11      // 1 − Beta1
	VSUBPS Y12, Y0, Y13      // 1 − Beta2
	XORQ AX, AX

adamloop:
	CMPQ AX, CX
	JAE  adamdone
	VMOVUPS (SI)(AX*4), Y0
	VMULPS  Y8, Y0, Y0     // g·Scale
	VMOVUPS (DI)(AX*4), Y1 // w
	VMULPS  Y9, Y1, Y2     // L2·w
	VADDPS  Y2, Y0, Y0     // g'
	VMOVUPS (R8)(AX*4), Y3
	VMULPS  Y10, Y3, Y3    // β1·m
	VMULPS  Y11, Y0, Y4    // (1−β1)·g'
	VADDPS  Y4, Y3, Y3
	VMOVUPS Y3, (R8)(AX*4)
	VMOVUPS (R9)(AX*4), Y5
	VMULPS  Y12, Y5, Y5    // β2·v
	VMULPS  Y13, Y0, Y6    // (1−β2)·g'
	VMULPS  Y0, Y6, Y6     // ·g'
	VADDPS  Y6, Y5, Y5
	VMOVUPS Y5, (R9)(AX*4)
	VDIVPS  Y14, Y3, Y3    // m/BC1
	VDIVPS  Y15, Y5, Y5    // v/BC2
	VSQRTPS Y5, Y5
	VBROADCASTSS 28(DX), Y6
	VADDPS  Y6, Y5, Y5     // √ + Eps
	VDIVPS  Y5, Y3, Y3
	VBROADCASTSS 32(DX), Y6
	VMULPS  Y1, Y6, Y6     // Decay·w
	VADDPS  Y6, Y3, Y3
	VBROADCASTSS 24(DX), Y6
	VMULPS  Y6, Y3, Y3     // LR·(…)
	VSUBPS  Y3, Y1, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     adamloop

adamdone:
	VZEROUPPER
	RET
