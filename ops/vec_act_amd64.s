//go:build amd64 && !noasm

#include "textflag.h"

// Constant table (8 lanes each): hi, lo, log2e, c1, c2, p0..p5, one, the
// int32 127, the sign bit, then for tanh: the abs mask, 2, 0.625, tp0..tp4. See vec_act.go for the formula.
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
DATA expc<>+448(SB)/4, $0x7fffffff // absmask
DATA expc<>+452(SB)/4, $0x7fffffff // absmask
DATA expc<>+456(SB)/4, $0x7fffffff // absmask
DATA expc<>+460(SB)/4, $0x7fffffff // absmask
DATA expc<>+464(SB)/4, $0x7fffffff // absmask
DATA expc<>+468(SB)/4, $0x7fffffff // absmask
DATA expc<>+472(SB)/4, $0x7fffffff // absmask
DATA expc<>+476(SB)/4, $0x7fffffff // absmask
DATA expc<>+480(SB)/4, $0x40000000 // two
DATA expc<>+484(SB)/4, $0x40000000 // two
DATA expc<>+488(SB)/4, $0x40000000 // two
DATA expc<>+492(SB)/4, $0x40000000 // two
DATA expc<>+496(SB)/4, $0x40000000 // two
DATA expc<>+500(SB)/4, $0x40000000 // two
DATA expc<>+504(SB)/4, $0x40000000 // two
DATA expc<>+508(SB)/4, $0x40000000 // two
DATA expc<>+512(SB)/4, $0x3f200000 // c0625
DATA expc<>+516(SB)/4, $0x3f200000 // c0625
DATA expc<>+520(SB)/4, $0x3f200000 // c0625
DATA expc<>+524(SB)/4, $0x3f200000 // c0625
DATA expc<>+528(SB)/4, $0x3f200000 // c0625
DATA expc<>+532(SB)/4, $0x3f200000 // c0625
DATA expc<>+536(SB)/4, $0x3f200000 // c0625
DATA expc<>+540(SB)/4, $0x3f200000 // c0625
DATA expc<>+544(SB)/4, $0xbbbaf0ea // tp0
DATA expc<>+548(SB)/4, $0xbbbaf0ea // tp0
DATA expc<>+552(SB)/4, $0xbbbaf0ea // tp0
DATA expc<>+556(SB)/4, $0xbbbaf0ea // tp0
DATA expc<>+560(SB)/4, $0xbbbaf0ea // tp0
DATA expc<>+564(SB)/4, $0xbbbaf0ea // tp0
DATA expc<>+568(SB)/4, $0xbbbaf0ea // tp0
DATA expc<>+572(SB)/4, $0xbbbaf0ea // tp0
DATA expc<>+576(SB)/4, $0x3ca9134e // tp1
DATA expc<>+580(SB)/4, $0x3ca9134e // tp1
DATA expc<>+584(SB)/4, $0x3ca9134e // tp1
DATA expc<>+588(SB)/4, $0x3ca9134e // tp1
DATA expc<>+592(SB)/4, $0x3ca9134e // tp1
DATA expc<>+596(SB)/4, $0x3ca9134e // tp1
DATA expc<>+600(SB)/4, $0x3ca9134e // tp1
DATA expc<>+604(SB)/4, $0x3ca9134e // tp1
DATA expc<>+608(SB)/4, $0xbd5c1e2d // tp2
DATA expc<>+612(SB)/4, $0xbd5c1e2d // tp2
DATA expc<>+616(SB)/4, $0xbd5c1e2d // tp2
DATA expc<>+620(SB)/4, $0xbd5c1e2d // tp2
DATA expc<>+624(SB)/4, $0xbd5c1e2d // tp2
DATA expc<>+628(SB)/4, $0xbd5c1e2d // tp2
DATA expc<>+632(SB)/4, $0xbd5c1e2d // tp2
DATA expc<>+636(SB)/4, $0xbd5c1e2d // tp2
DATA expc<>+640(SB)/4, $0x3e088393 // tp3
DATA expc<>+644(SB)/4, $0x3e088393 // tp3
DATA expc<>+648(SB)/4, $0x3e088393 // tp3
DATA expc<>+652(SB)/4, $0x3e088393 // tp3
DATA expc<>+656(SB)/4, $0x3e088393 // tp3
DATA expc<>+660(SB)/4, $0x3e088393 // tp3
DATA expc<>+664(SB)/4, $0x3e088393 // tp3
DATA expc<>+668(SB)/4, $0x3e088393 // tp3
DATA expc<>+672(SB)/4, $0xbeaaaa99 // tp4
DATA expc<>+676(SB)/4, $0xbeaaaa99 // tp4
DATA expc<>+680(SB)/4, $0xbeaaaa99 // tp4
DATA expc<>+684(SB)/4, $0xbeaaaa99 // tp4
DATA expc<>+688(SB)/4, $0xbeaaaa99 // tp4
DATA expc<>+692(SB)/4, $0xbeaaaa99 // tp4
DATA expc<>+696(SB)/4, $0xbeaaaa99 // tp4
DATA expc<>+700(SB)/4, $0xbeaaaa99 // tp4
GLOBL expc<>(SB), RODATA|NOPTR, $704

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

// func tanhAVX2(dst, src *float32, n int)
// |x| < 0.625: x + x·z·P(z), z = x²; otherwise sign(x)·(1 − 2/(e^{2|x|}+1)).
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

tanhloop:
	CMPQ AX, CX
	JAE  tanhdone
	VMOVUPS (SI)(AX*4), Y6
	VANDPS expc<>+448(SB), Y6, Y8 // |x|
	VADDPS Y8, Y8, Y0
	EXP8
	VADDPS expc<>+352(SB), Y0, Y0
	VMOVUPS expc<>+480(SB), Y7
	VDIVPS Y0, Y7, Y0             // 2/(e+1)
	VMOVUPS expc<>+352(SB), Y7
	VSUBPS Y0, Y7, Y0             // 1 - 2/(e+1)
	VANDPS expc<>+416(SB), Y6, Y9 // sign of x
	VORPS Y9, Y0, Y0
	VMULPS Y6, Y6, Y1             // z
	VMOVUPS expc<>+544(SB), Y2
	VFMADD213PS expc<>+576(SB), Y1, Y2
	VFMADD213PS expc<>+608(SB), Y1, Y2
	VFMADD213PS expc<>+640(SB), Y1, Y2
	VFMADD213PS expc<>+672(SB), Y1, Y2
	VMULPS Y6, Y1, Y1             // x·z
	VFMADD213PS Y6, Y1, Y2        // x·z·P + x
	VCMPPS $1, expc<>+512(SB), Y8, Y3 // |x| < 0.625
	VBLENDVPS Y3, Y2, Y0, Y0
	VCMPPS $3, Y6, Y6, Y5         // NaN lanes
	VBLENDVPS Y5, Y6, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  tanhloop

tanhdone:
	VZEROUPPER
	RET

// func addAVX2(dst, src *float32, n int)
// dst += src, n a multiple of 8.
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

addloop:
	CMPQ AX, CX
	JAE  adddone
	VMOVUPS (DI)(AX*4), Y0
	VADDPS  (SI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     addloop

adddone:
	VZEROUPPER
	RET
