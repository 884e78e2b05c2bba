//go:build amd64 && !noasm

#include "textflag.h"

// Constant table (8 lanes each): hi, lo, log2e, c1, c2, p0..p5, one, the
// int32 127, the sign bit. See vec_act.go for the formula.
DATA expc<>+0(SB)/4, $0x42b0c0a5 // hi
DATA expc<>+4(SB)/4, $0x42b0c0a5 // hi
DATA expc<>+8(SB)/4, $0x42b0c0a5 // hi
DATA expc<>+12(SB)/4, $0x42b0c0a5 // hi
DATA expc<>+16(SB)/4, $0x42b0c0a5 // hi
DATA expc<>+20(SB)/4, $0x42b0c0a5 // hi
DATA expc<>+24(SB)/4, $0x42b0c0a5 // hi
DATA expc<>+28(SB)/4, $0x42b0c0a5 // hi
DATA expc<>+32(SB)/4, $0xc2aeac50 // lo
DATA expc<>+36(SB)/4, $0xc2aeac50 // lo
DATA expc<>+40(SB)/4, $0xc2aeac50 // lo
DATA expc<>+44(SB)/4, $0xc2aeac50 // lo
DATA expc<>+48(SB)/4, $0xc2aeac50 // lo
DATA expc<>+52(SB)/4, $0xc2aeac50 // lo
DATA expc<>+56(SB)/4, $0xc2aeac50 // lo
DATA expc<>+60(SB)/4, $0xc2aeac50 // lo
DATA expc<>+64(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+68(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+72(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+76(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+80(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+84(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+88(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+92(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+96(SB)/4, $0x3f318000 // c1
DATA expc<>+100(SB)/4, $0x3f318000 // c1
DATA expc<>+104(SB)/4, $0x3f318000 // c1
DATA expc<>+108(SB)/4, $0x3f318000 // c1
DATA expc<>+112(SB)/4, $0x3f318000 // c1
DATA expc<>+116(SB)/4, $0x3f318000 // c1
DATA expc<>+120(SB)/4, $0x3f318000 // c1
DATA expc<>+124(SB)/4, $0x3f318000 // c1
DATA expc<>+128(SB)/4, $0xb95e8083 // c2
DATA expc<>+132(SB)/4, $0xb95e8083 // c2
DATA expc<>+136(SB)/4, $0xb95e8083 // c2
DATA expc<>+140(SB)/4, $0xb95e8083 // c2
DATA expc<>+144(SB)/4, $0xb95e8083 // c2
DATA expc<>+148(SB)/4, $0xb95e8083 // c2
DATA expc<>+152(SB)/4, $0xb95e8083 // c2
DATA expc<>+156(SB)/4, $0xb95e8083 // c2
DATA expc<>+160(SB)/4, $0x39506967 // p0
DATA expc<>+164(SB)/4, $0x39506967 // p0
DATA expc<>+168(SB)/4, $0x39506967 // p0
DATA expc<>+172(SB)/4, $0x39506967 // p0
DATA expc<>+176(SB)/4, $0x39506967 // p0
DATA expc<>+180(SB)/4, $0x39506967 // p0
DATA expc<>+184(SB)/4, $0x39506967 // p0
DATA expc<>+188(SB)/4, $0x39506967 // p0
DATA expc<>+192(SB)/4, $0x3ab743ce // p1
DATA expc<>+196(SB)/4, $0x3ab743ce // p1
DATA expc<>+200(SB)/4, $0x3ab743ce // p1
DATA expc<>+204(SB)/4, $0x3ab743ce // p1
DATA expc<>+208(SB)/4, $0x3ab743ce // p1
DATA expc<>+212(SB)/4, $0x3ab743ce // p1
DATA expc<>+216(SB)/4, $0x3ab743ce // p1
DATA expc<>+220(SB)/4, $0x3ab743ce // p1
DATA expc<>+224(SB)/4, $0x3c088908 // p2
DATA expc<>+228(SB)/4, $0x3c088908 // p2
DATA expc<>+232(SB)/4, $0x3c088908 // p2
DATA expc<>+236(SB)/4, $0x3c088908 // p2
DATA expc<>+240(SB)/4, $0x3c088908 // p2
DATA expc<>+244(SB)/4, $0x3c088908 // p2
DATA expc<>+248(SB)/4, $0x3c088908 // p2
DATA expc<>+252(SB)/4, $0x3c088908 // p2
DATA expc<>+256(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+260(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+264(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+268(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+272(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+276(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+280(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+284(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+288(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+292(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+296(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+300(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+304(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+308(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+312(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+316(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+320(SB)/4, $0x3f000000 // p5
DATA expc<>+324(SB)/4, $0x3f000000 // p5
DATA expc<>+328(SB)/4, $0x3f000000 // p5
DATA expc<>+332(SB)/4, $0x3f000000 // p5
DATA expc<>+336(SB)/4, $0x3f000000 // p5
DATA expc<>+340(SB)/4, $0x3f000000 // p5
DATA expc<>+344(SB)/4, $0x3f000000 // p5
DATA expc<>+348(SB)/4, $0x3f000000 // p5
DATA expc<>+352(SB)/4, $0x3f800000 // one
DATA expc<>+356(SB)/4, $0x3f800000 // one
DATA expc<>+360(SB)/4, $0x3f800000 // one
DATA expc<>+364(SB)/4, $0x3f800000 // one
DATA expc<>+368(SB)/4, $0x3f800000 // one
DATA expc<>+372(SB)/4, $0x3f800000 // one
DATA expc<>+376(SB)/4, $0x3f800000 // one
DATA expc<>+380(SB)/4, $0x3f800000 // one
DATA expc<>+384(SB)/4, $0x0000007f // i127
DATA expc<>+388(SB)/4, $0x0000007f // i127
DATA expc<>+392(SB)/4, $0x0000007f // i127
DATA expc<>+396(SB)/4, $0x0000007f // i127
DATA expc<>+400(SB)/4, $0x0000007f // i127
DATA expc<>+404(SB)/4, $0x0000007f // i127
DATA expc<>+408(SB)/4, $0x0000007f // i127
DATA expc<>+412(SB)/4, $0x0000007f // i127
DATA expc<>+416(SB)/4, $0x80000000 // sign
DATA expc<>+420(SB)/4, $0x80000000 // sign
DATA expc<>+424(SB)/4, $0x80000000 // sign
DATA expc<>+428(SB)/4, $0x80000000 // sign
DATA expc<>+432(SB)/4, $0x80000000 // sign
DATA expc<>+436(SB)/4, $0x80000000 // sign
DATA expc<>+440(SB)/4, $0x80000000 // sign
DATA expc<>+444(SB)/4, $0x80000000 // sign
GLOBL expc<>(SB), RODATA|NOPTR, $448

// EXP8 turns the 8 lanes of Y0 into e^x (clobbers Y1-Y4).
#define EXP8 \
	VMINPS expc<>+0(SB), Y0, Y0 \
	VMAXPS expc<>+32(SB), Y0, Y0 \
	VMULPS expc<>+64(SB), Y0, Y1 \
	VROUNDPS $0, Y1, Y1 \
	VFNMADD231PS expc<>+96(SB), Y1, Y0 \
	VFNMADD231PS expc<>+128(SB), Y1, Y0 \
	VMOVUPS expc<>+160(SB), Y2 \
	VFMADD213PS expc<>+192(SB), Y0, Y2 \
	VFMADD213PS expc<>+224(SB), Y0, Y2 \
	VFMADD213PS expc<>+256(SB), Y0, Y2 \
	VFMADD213PS expc<>+288(SB), Y0, Y2 \
	VFMADD213PS expc<>+320(SB), Y0, Y2 \
	VMULPS Y0, Y0, Y3 \
	VADDPS expc<>+352(SB), Y0, Y4 \
	VFMADD231PS Y3, Y2, Y4 \
	VCVTPS2DQ Y1, Y1 \
	VPADDD expc<>+384(SB), Y1, Y1 \
	VPSLLD $23, Y1, Y1 \
	VMULPS Y1, Y4, Y0

// func expAVX2(dst, src *float32, n int)
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

exploop:
	CMPQ AX, CX
	JAE  expdone
	VMOVUPS (SI)(AX*4), Y0
	VCMPPS $3, Y0, Y0, Y5 // unordered: NaN lanes
	EXP8
	VBLENDVPS Y5, (SI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  exploop

expdone:
	VZEROUPPER
	RET

// func sigmoidAVX2(dst, src *float32, n int)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

sigloop:
	CMPQ AX, CX
	JAE  sigdone
	VMOVUPS (SI)(AX*4), Y6
	VCMPPS $3, Y6, Y6, Y5 // unordered: NaN lanes
	VXORPS expc<>+416(SB), Y6, Y0
	EXP8
	VADDPS expc<>+352(SB), Y0, Y0
	VMOVUPS expc<>+352(SB), Y7
	VDIVPS Y0, Y7, Y0
	VBLENDVPS Y5, Y6, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  sigloop

sigdone:
	VZEROUPPER
	RET

// func reluAVX2(dst, src *float32, n int)
// max(x, 0) with x as the second source, so NaN lanes pass through and
// -0 stays -0, like the scalar loop.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	VXORPS Y15, Y15, Y15

reluloop:
	CMPQ AX, CX
	JAE  reludone
	VMOVUPS (SI)(AX*4), Y0
	VMAXPS Y0, Y15, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  reluloop

reludone:
	VZEROUPPER
	RET
