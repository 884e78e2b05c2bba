//go:build amd64 && !noasm

#include "textflag.h"

// func reluBackAVX2(dz, dy, y *float32, n int)
// dz = dy where y > 0 (ordered: NaN gives 0), else +0, as ActBackward's
// loop; n a multiple of 8.
TEXT ·reluBackAVX2(SB), NOSPLIT, $0-32
	MOVQ dz+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	XORQ AX, AX
	VXORPS Y15, Y15, Y15

rbloop:
	CMPQ AX, CX
	JAE  rbdone
	VMOVUPS (DX)(AX*4), Y0
	VCMPPS  $0x1e, Y15, Y0, Y1 // y > 0 (GT_OQ)
	VANDPS  (SI)(AX*4), Y1, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     rbloop

rbdone:
	VZEROUPPER
	RET

// func sigmoidBackAVX2(dz, dy, y *float32, n int)
// dz = (dy·y)·(1−y), multiplied in the order of ActBackward's loop; n a
// multiple of 8.
TEXT ·sigmoidBackAVX2(SB), NOSPLIT, $0-32
	MOVQ dz+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	XORQ AX, AX
	MOVL $0x3f800000, BX // 1.0
	MOVQ BX, X14
	VBROADCASTSS X14, Y14

sbloop:
	CMPQ AX, CX
	JAE  sbdone
	VMOVUPS (DX)(AX*4), Y0
	VMULPS  (SI)(AX*4), Y0, Y1 // dy·y
	VSUBPS  Y0, Y14, Y2        // 1 − y
	VMULPS  Y2, Y1, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     sbloop

sbdone:
	VZEROUPPER
	RET
