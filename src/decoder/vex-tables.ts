/**
 * The VEX-encoded SIMD instructions (AVX, AVX2, FMA3, F16C, VAES,
 * VPCLMULQDQ, GFNI and the VEX forms of SSE..SSE4.2), installed into the
 * VEX maps of tables.ts next to the BMI entries. Notation as in tables.ts, plus:
 *   H      the VEX.vvvv xmm/ymm register (a source, or the destination of
 *          the shift-by-immediate groups)
 *   L      a register in imm8[7:4] (/is4)
 *   sizes  x: 16 or 32 bytes by VEX.L; hx/qx/ox: half, quarter, eighth of
 *          that (widening sources); dd: 8 or 32 (vmovddup); dq: always 16
 *   attrs  vl0 / vl1: VEX.L must be 0 / 1 (else #UD); vw0: VEX.W must be 0; lig: L ignored
 *          (scalar); nw: the first operand is not written; srclo: the
 *          source is a 128-bit count used by both lanes; i1sN: the upper
 *          lane uses imm8 >> N; widen / narrow: the vector length of the
 *          destination is twice / half the source's.
 * A VEX mnemonic `vX` without its own `@key` runs the legacy SSE handler
 * `X` once per 128-bit lane (src/cpu/isa/avx-sse.ts).
 */
import type { Spec } from "./tables.js";

/** Executor attributes (OpDef.attrs bits above the decoder's own). */
export const ATTR_LIG = 1 << 12;
export const ATTR_NW = 1 << 13;
export const ATTR_SRCLO = 1 << 14;
export const ATTR_WIDEN = 1 << 15;
export const ATTR_NARROW = 1 << 16;
/** A gather's VSIB memory operand: the index is a vector register (ymm with VEX.256, or always xmm: VSIBX). */
export const ATTR_VSIB = 1 << 21;
export const ATTR_VSIBX = 1 << 22;
/** VEX.W must be 0 (decoder). */
export const ATTR_VW0 = 1 << 20;
/** imm8 shift for the upper lane, 3 bits from here. */
export const ATTR_I1S_SHIFT = 17;

export const VEX_ATTRS: Record<string, number> = {
  lig: ATTR_LIG,
  nw: ATTR_NW,
  srclo: ATTR_SRCLO,
  widen: ATTR_WIDEN,
  narrow: ATTR_NARROW,
  vw0: ATTR_VW0,
  vsib: ATTR_VSIB,
  vsibx: ATTR_VSIB | ATTR_VSIBX,
  i1s2: 2 << ATTR_I1S_SHIFT,
  i1s3: 3 << ATTR_I1S_SHIFT,
  i1s4: 4 << ATTR_I1S_SHIFT,
};

/** Operand size in bytes of a VEX size code, or 0 when the code is not VEX-specific. */
export function vexSize(code: string, vexL: number): number {
  switch (code) {
    case "x":
      return vexL ? 32 : 16;
    case "hx":
      return vexL ? 16 : 8;
    case "qx":
      return vexL ? 8 : 4;
    case "ox":
      return vexL ? 4 : 2;
    case "dd":
      return vexL ? 32 : 8;
    case "dq":
      return 16;
    default:
      return 0;
  }
}

type Row = [number, Spec];

/** 66-prefixed binary op `vNAME Vx,Hx,Wx`. */
const b66 = (n: string): Spec => ({ p66: `v${n} Vx,Hx,Wx` });
/** Shift by a 128-bit count (both lanes of a ymm shift by the same count). */
const shift = (n: string): Spec => ({ p66: `v${n} Vx,Hx,Wdq srclo` });
/** ps/pd/ss/sd arithmetic. */
function fp4(n: string): Spec {
  return { n: `v${n}ps Vx,Hx,Wx`, p66: `v${n}pd Vx,Hx,Wx`, f3: `v${n}ss Vx,Hx,Wss lig`, f2: `v${n}sd Vx,Hx,Wsd lig` };
}
/** Shift-by-immediate group (VEX.vvvv is the destination). */
function grpShift(names: string[], regs: number[]): Spec {
  const g: Spec[] = new Array(8).fill("!");
  names.forEach((n, k) => (g[regs[k]] = { p66: `v${n} Hx,Ux,Ib` }));
  return { mem: "!", reg: g };
}

const VEX0F: Row[] = [
  [0x10, { n: "vmovups Vx,Wx @vmovu", p66: "vmovupd Vx,Wx @vmovu", f3: { mem: "vmovss Vx,Mss lig", reg: "vmovss Vx,Hx,Uss lig" }, f2: { mem: "vmovsd Vx,Msd lig", reg: "vmovsd Vx,Hx,Usd lig" } }],
  [0x11, { n: "vmovups Wx,Vx @vmovu", p66: "vmovupd Wx,Vx @vmovu", f3: { mem: "vmovss Mss,Vx lig", reg: "vmovss Ux,Hx,Vx lig" }, f2: { mem: "vmovsd Msd,Vx lig", reg: "vmovsd Ux,Hx,Vx lig" } }],
  [0x12, { n: { mem: "vmovlps Vx,Hx,Mq vl0", reg: "vmovhlps Vx,Hx,Ux vl0" }, p66: "vmovlpd Vx,Hx,Mq vl0", f3: "vmovsldup Vx,Wx", f2: "vmovddup Vx,Wdd" }],
  [0x13, { n: "vmovlps Mq,Vx vl0", p66: "vmovlpd Mq,Vx vl0" }],
  [0x14, { n: "vunpcklps Vx,Hx,Wx", p66: "vunpcklpd Vx,Hx,Wx" }],
  [0x15, { n: "vunpckhps Vx,Hx,Wx", p66: "vunpckhpd Vx,Hx,Wx" }],
  [0x16, { n: { mem: "vmovhps Vx,Hx,Mq vl0", reg: "vmovlhps Vx,Hx,Ux vl0" }, p66: "vmovhpd Vx,Hx,Mq vl0", f3: "vmovshdup Vx,Wx" }],
  [0x17, { n: "vmovhps Mq,Vx vl0", p66: "vmovhpd Mq,Vx vl0" }],
  [0x28, { n: "vmovaps Vx,Wx @vmova", p66: "vmovapd Vx,Wx @vmova" }],
  [0x29, { n: "vmovaps Wx,Vx @vmova", p66: "vmovapd Wx,Vx @vmova" }],
  [0x2a, { f3: "vcvtsi2ss Vx,Hx,Ey lig", f2: "vcvtsi2sd Vx,Hx,Ey lig" }],
  [0x2b, { n: "vmovntps Mx,Vx @vmova", p66: "vmovntpd Mx,Vx @vmova" }],
  [0x2c, { f3: "vcvttss2si Gy,Wss lig", f2: "vcvttsd2si Gy,Wsd lig" }],
  [0x2d, { f3: "vcvtss2si Gy,Wss lig", f2: "vcvtsd2si Gy,Wsd lig" }],
  [0x2e, { n: "vucomiss Vx,Wss lig nw", p66: "vucomisd Vx,Wsd lig nw" }],
  [0x2f, { n: "vcomiss Vx,Wss lig nw", p66: "vcomisd Vx,Wsd lig nw" }],
  [0x50, { n: "vmovmskps Gd,Ux", p66: "vmovmskpd Gd,Ux" }],
  [0x51, { n: "vsqrtps Vx,Wx", p66: "vsqrtpd Vx,Wx", f3: "vsqrtss Vx,Hx,Wss lig", f2: "vsqrtsd Vx,Hx,Wsd lig" }],
  [0x52, { n: "vrsqrtps Vx,Wx", f3: "vrsqrtss Vx,Hx,Wss lig" }],
  [0x53, { n: "vrcpps Vx,Wx", f3: "vrcpss Vx,Hx,Wss lig" }],
  [0x54, { n: "vandps Vx,Hx,Wx", p66: "vandpd Vx,Hx,Wx" }],
  [0x55, { n: "vandnps Vx,Hx,Wx", p66: "vandnpd Vx,Hx,Wx" }],
  [0x56, { n: "vorps Vx,Hx,Wx", p66: "vorpd Vx,Hx,Wx" }],
  [0x57, { n: "vxorps Vx,Hx,Wx", p66: "vxorpd Vx,Hx,Wx" }],
  [0x58, fp4("add")],
  [0x59, fp4("mul")],
  [0x5a, { n: "vcvtps2pd Vx,Whx widen", p66: "vcvtpd2ps Vdq,Wx narrow", f3: "vcvtss2sd Vx,Hx,Wss lig", f2: "vcvtsd2ss Vx,Hx,Wsd lig" }],
  [0x5b, { n: "vcvtdq2ps Vx,Wx", p66: "vcvtps2dq Vx,Wx", f3: "vcvttps2dq Vx,Wx" }],
  [0x5c, fp4("sub")],
  [0x5d, fp4("min")],
  [0x5e, fp4("div")],
  [0x5f, fp4("max")],
  ...(["punpcklbw", "punpcklwd", "punpckldq", "packsswb", "pcmpgtb", "pcmpgtw", "pcmpgtd", "packuswb", "punpckhbw", "punpckhwd", "punpckhdq", "packssdw", "punpcklqdq", "punpckhqdq"].map(
    (n, k): Row => [0x60 + k, b66(n)],
  )),
  [0x6e, { p66: { w0: "vmovd Vx,Ey vl0", w1: "vmovq Vx,Ey vl0 @vmovd" } }],
  [0x6f, { p66: "vmovdqa Vx,Wx @vmova", f3: "vmovdqu Vx,Wx @vmovu" }],
  [0x70, { p66: "vpshufd Vx,Wx,Ib", f3: "vpshufhw Vx,Wx,Ib", f2: "vpshuflw Vx,Wx,Ib" }],
  [0x71, grpShift(["psrlw", "psraw", "psllw"], [2, 4, 6])],
  [0x72, grpShift(["psrld", "psrad", "pslld"], [2, 4, 6])],
  [0x73, grpShift(["psrlq", "psrldq", "psllq", "pslldq"], [2, 3, 6, 7])],
  [0x74, b66("pcmpeqb")],
  [0x75, b66("pcmpeqw")],
  [0x76, b66("pcmpeqd")],
  [0x77, { n: { l0: "vzeroupper", l1: "vzeroall" } }],
  [0x7c, { p66: "vhaddpd Vx,Hx,Wx", f2: "vhaddps Vx,Hx,Wx" }],
  [0x7d, { p66: "vhsubpd Vx,Hx,Wx", f2: "vhsubps Vx,Hx,Wx" }],
  [0x7e, { p66: { w0: "vmovd Ey,Vx vl0", w1: "vmovq Ey,Vx vl0 @vmovd" }, f3: "vmovq Vx,Wsd vl0" }],
  [0x7f, { p66: "vmovdqa Wx,Vx @vmova", f3: "vmovdqu Wx,Vx @vmovu" }],
  [0xae, { n: { mem: ["!", "!", "vldmxcsr Md vl0", "vstmxcsr Md vl0", "!", "!", "!", "!"], reg: "!" } }],
  [0xc2, { n: "vcmpps Vx,Hx,Wx,Ib @vcmp", p66: "vcmppd Vx,Hx,Wx,Ib @vcmp", f3: "vcmpss Vx,Hx,Wss,Ib lig @vcmp", f2: "vcmpsd Vx,Hx,Wsd,Ib lig @vcmp" }],
  [0xc4, { p66: "vpinsrw Vx,Hx,Ed,Ib vl0" }],
  [0xc5, { p66: "vpextrw Gd,Ux,Ib vl0" }],
  [0xc6, { n: "vshufps Vx,Hx,Wx,Ib", p66: "vshufpd Vx,Hx,Wx,Ib i1s2" }],
  [0xd0, { p66: "vaddsubpd Vx,Hx,Wx", f2: "vaddsubps Vx,Hx,Wx" }],
  [0xd1, shift("psrlw")],
  [0xd2, shift("psrld")],
  [0xd3, shift("psrlq")],
  [0xd4, b66("paddq")],
  [0xd5, b66("pmullw")],
  [0xd6, { p66: "vmovq Wsd,Vx vl0" }],
  [0xd7, { p66: "vpmovmskb Gd,Ux" }],
  ...(["psubusb", "psubusw", "pminub", "pand", "paddusb", "paddusw", "pmaxub", "pandn", "pavgb"].map((n, k): Row => [0xd8 + k, b66(n)])),
  [0xe1, shift("psraw")],
  [0xe2, shift("psrad")],
  [0xe3, b66("pavgw")],
  [0xe4, b66("pmulhuw")],
  [0xe5, b66("pmulhw")],
  [0xe6, { p66: "vcvttpd2dq Vdq,Wx narrow", f3: "vcvtdq2pd Vx,Whx widen", f2: "vcvtpd2dq Vdq,Wx narrow" }],
  [0xe7, { p66: "vmovntdq Mx,Vx @vmova" }],
  ...(["psubsb", "psubsw", "pminsw", "por", "paddsb", "paddsw", "pmaxsw", "pxor"].map((n, k): Row => [0xe8 + k, b66(n)])),
  [0xf0, { f2: "vlddqu Vx,Mx @vmovu" }],
  [0xf7, { p66: "vmaskmovdqu Vx,Ux vl0 nw @maskmov" }],
  [0xf1, shift("psllw")],
  [0xf2, shift("pslld")],
  [0xf3, shift("psllq")],
  ...(["pmuludq", "pmaddwd", "psadbw"].map((n, k): Row => [0xf4 + k, b66(n)])),
  ...(["psubb", "psubw", "psubd", "psubq", "paddb", "paddw", "paddd"].map((n, k): Row => [0xf8 + k, b66(n)])),
];

const PMOVX: [number, string, string][] = [
  [0, "bw", "hx"],
  [1, "bd", "qx"],
  [2, "bq", "ox"],
  [3, "wd", "hx"],
  [4, "wq", "qx"],
  [5, "dq", "hx"],
];

const VEX38: Row[] = [
  ...(["pshufb", "phaddw", "phaddd", "phaddsw", "pmaddubsw", "phsubw", "phsubd", "phsubsw", "psignb", "psignw", "psignd", "pmulhrsw"].map((n, k): Row => [k, b66(n)])),
  [0x0c, { p66: "vpermilps Vx,Hx,Wx vw0" }],
  [0x0d, { p66: "vpermilpd Vx,Hx,Wx vw0" }],
  [0x0e, { p66: "vtestps Vx,Wx vw0" }],
  [0x0f, { p66: "vtestpd Vx,Wx vw0" }],
  [0x13, { p66: "vcvtph2ps Vx,Whx vw0" }],
  [0x16, { p66: "vpermps Vx,Hx,Wx vl1 vw0 @vpermd" }],
  [0x17, { p66: "vptest Vx,Wx" }],
  [0x18, { p66: "vbroadcastss Vx,Wss vw0 @vbroadcast" }],
  [0x19, { p66: "vbroadcastsd Vx,Wsd vl1 vw0 @vbroadcast" }],
  [0x1a, { p66: "vbroadcastf128 Vx,Mdq vl1 vw0 @vbroadcast" }],
  [0x1c, { p66: "vpabsb Vx,Wx" }],
  [0x1d, { p66: "vpabsw Vx,Wx" }],
  [0x1e, { p66: "vpabsd Vx,Wx" }],
  ...PMOVX.map(([k, t, sz]): Row => [0x20 + k, { p66: `vpmovsx${t} Vx,W${sz} widen` }]),
  ...PMOVX.map(([k, t, sz]): Row => [0x30 + k, { p66: `vpmovzx${t} Vx,W${sz} widen` }]),
  [0x28, b66("pmuldq")],
  [0x29, b66("pcmpeqq")],
  [0x2a, { p66: "vmovntdqa Vx,Mx @vmova" }],
  [0x2b, b66("packusdw")],
  [0x2c, { p66: "vmaskmovps Vx,Hx,Mx vw0" }],
  [0x2d, { p66: "vmaskmovpd Vx,Hx,Mx vw0" }],
  [0x2e, { p66: "vmaskmovps Mx,Hx,Vx vw0" }],
  [0x2f, { p66: "vmaskmovpd Mx,Hx,Vx vw0" }],
  [0x36, { p66: "vpermd Vx,Hx,Wx vl1 vw0" }],
  [0x37, b66("pcmpgtq")],
  ...(["pminsb", "pminsd", "pminuw", "pminud", "pmaxsb", "pmaxsd", "pmaxuw", "pmaxud", "pmulld"].map((n, k): Row => [0x38 + k, b66(n)])),
  [0x41, { p66: "vphminposuw Vx,Wx vl0" }],
  [0x45, { p66: { w0: "vpsrlvd Vx,Hx,Wx @vshiftv", w1: "vpsrlvq Vx,Hx,Wx @vshiftv" } }],
  [0x46, { p66: { w0: "vpsravd Vx,Hx,Wx @vshiftv", w1: "!" } }],
  [0x47, { p66: { w0: "vpsllvd Vx,Hx,Wx @vshiftv", w1: "vpsllvq Vx,Hx,Wx @vshiftv" } }],
  [0x58, { p66: "vpbroadcastd Vx,Wss vw0 @vbroadcast" }],
  [0x59, { p66: "vpbroadcastq Vx,Wsd vw0 @vbroadcast" }],
  [0x5a, { p66: "vbroadcasti128 Vx,Mdq vl1 vw0 @vbroadcast" }],
  [0x78, { p66: "vpbroadcastb Vx,Wb vw0 @vbroadcast" }],
  [0x79, { p66: "vpbroadcastw Vx,Ww vw0 @vbroadcast" }],
  [0x8c, { p66: { w0: "vpmaskmovd Vx,Hx,Mx", w1: "vpmaskmovq Vx,Hx,Mx" } }],
  [0x8e, { p66: { w0: "vpmaskmovd Mx,Hx,Vx", w1: "vpmaskmovq Mx,Hx,Vx" } }],
  // gathers: destination, VSIB memory (the element size), mask
  [0x90, { p66: { w0: "vpgatherdd Vx,Md,Hx memonly vsib @vgather", w1: "vpgatherdq Vx,Mq,Hx memonly vsibx @vgather" } }],
  [0x91, { p66: { w0: "vpgatherqd Vdq,Md,Hdq memonly vsib @vgather", w1: "vpgatherqq Vx,Mq,Hx memonly vsib @vgather" } }],
  [0x92, { p66: { w0: "vgatherdps Vx,Md,Hx memonly vsib @vgather", w1: "vgatherdpd Vx,Mq,Hx memonly vsibx @vgather" } }],
  [0x93, { p66: { w0: "vgatherqps Vdq,Md,Hdq memonly vsib @vgather", w1: "vgatherqpd Vx,Mq,Hx memonly vsib @vgather" } }],
  [0xcf, { p66: { w0: "vgf2p8mulb Vx,Hx,Wx", w1: "!" } }],
  [0xdb, { p66: "vaesimc Vx,Wx vl0" }],
  [0xdc, { p66: "vaesenc Vx,Hx,Wx" }],
  [0xdd, { p66: "vaesenclast Vx,Hx,Wx" }],
  [0xde, { p66: "vaesdec Vx,Hx,Wx" }],
  [0xdf, { p66: "vaesdeclast Vx,Hx,Wx" }],
];

const VEX3A: Row[] = [
  [0x00, { p66: { w0: "!", w1: "vpermq Vx,Wx,Ib vl1 @vpermq" } }],
  [0x01, { p66: { w0: "!", w1: "vpermpd Vx,Wx,Ib vl1 @vpermq" } }],
  [0x02, { p66: { w0: "vpblendd Vx,Hx,Wx,Ib", w1: "!" } }],
  [0x04, { p66: "vpermilps Vx,Wx,Ib vw0 @vpermilimm" }],
  [0x05, { p66: "vpermilpd Vx,Wx,Ib vw0 @vpermilimm" }],
  [0x06, { p66: "vperm2f128 Vx,Hx,Wx,Ib vl1 vw0 @vperm2" }],
  [0x08, { p66: "vroundps Vx,Wx,Ib" }],
  [0x09, { p66: "vroundpd Vx,Wx,Ib" }],
  [0x0a, { p66: "vroundss Vx,Hx,Wss,Ib lig" }],
  [0x0b, { p66: "vroundsd Vx,Hx,Wsd,Ib lig" }],
  [0x0c, { p66: "vblendps Vx,Hx,Wx,Ib i1s4" }],
  [0x0d, { p66: "vblendpd Vx,Hx,Wx,Ib i1s2" }],
  [0x0e, { p66: "vpblendw Vx,Hx,Wx,Ib" }],
  [0x0f, { p66: "vpalignr Vx,Hx,Wx,Ib" }],
  [0x14, { p66: "vpextrb Ed,Vx,Ib vl0" }],
  [0x15, { p66: "vpextrw Ed,Vx,Ib vl0" }],
  [0x16, { p66: { w0: "vpextrd Ed,Vx,Ib vl0", w1: "vpextrq Eq,Vx,Ib vl0 @vpextrd" } }],
  [0x17, { p66: "vextractps Ed,Vx,Ib vl0" }],
  [0x18, { p66: "vinsertf128 Vx,Hx,Wdq,Ib vl1 vw0 @vinsert128" }],
  [0x19, { p66: "vextractf128 Wdq,Vx,Ib vl1 vw0 @vextract128" }],
  [0x1d, { p66: "vcvtps2ph Whx,Vx,Ib vw0" }],
  [0x20, { p66: "vpinsrb Vx,Hx,Ed,Ib vl0" }],
  [0x21, { p66: { mem: "vinsertps Vx,Hx,Mss,Ib vl0", reg: "vinsertps Vx,Hx,Ux,Ib vl0" } }],
  [0x22, { p66: { w0: "vpinsrd Vx,Hx,Ed,Ib vl0", w1: "vpinsrq Vx,Hx,Eq,Ib vl0 @vpinsrd" } }],
  [0x38, { p66: "vinserti128 Vx,Hx,Wdq,Ib vl1 vw0 @vinsert128" }],
  [0x39, { p66: "vextracti128 Wdq,Vx,Ib vl1 vw0 @vextract128" }],
  [0x40, { p66: "vdpps Vx,Hx,Wx,Ib" }],
  [0x41, { p66: "vdppd Vx,Hx,Wx,Ib vl0" }],
  [0x42, { p66: "vmpsadbw Vx,Hx,Wx,Ib i1s3" }],
  [0x44, { p66: "vpclmulqdq Vx,Hx,Wx,Ib" }],
  [0x46, { p66: "vperm2i128 Vx,Hx,Wx,Ib vl1 vw0 @vperm2" }],
  [0x4a, { p66: "vblendvps Vx,Hx,Wx,Lx vw0" }],
  [0x4b, { p66: "vblendvpd Vx,Hx,Wx,Lx vw0" }],
  [0x4c, { p66: "vpblendvb Vx,Hx,Wx,Lx vw0" }],
  [0x60, { p66: { w0: "vpcmpestrm Vx,Wx,Ib vl0 nw", w1: "vpcmpestrmq Vx,Wx,Ib vl0 nw @vpcmpestrm" } }],
  [0x61, { p66: { w0: "vpcmpestri Vx,Wx,Ib vl0 nw", w1: "vpcmpestriq Vx,Wx,Ib vl0 nw @vpcmpestri" } }],
  [0x62, { p66: "vpcmpistrm Vx,Wx,Ib vl0 nw" }],
  [0x63, { p66: "vpcmpistri Vx,Wx,Ib vl0 nw" }],
  [0xce, { p66: { w0: "!", w1: "vgf2p8affineqb Vx,Hx,Wx,Ib" } }],
  [0xcf, { p66: { w0: "!", w1: "vgf2p8affineinvqb Vx,Hx,Wx,Ib" } }],
  [0xdf, { p66: "vaeskeygenassist Vx,Wx,Ib vl0" }],
];

/** FMA3: the 132/213/231 forms of ps/pd (packed) and ss/sd (scalar), by VEX.W. */
const FMA_OPS: [number, string, boolean][] = [
  [0x96, "fmaddsub", true],
  [0x97, "fmsubadd", true],
  [0x98, "fmadd", true],
  [0x99, "fmadd", false],
  [0x9a, "fmsub", true],
  [0x9b, "fmsub", false],
  [0x9c, "fnmadd", true],
  [0x9d, "fnmadd", false],
  [0x9e, "fnmsub", true],
  [0x9f, "fnmsub", false],
];
for (const [base, order] of [
  [0x00, "132"],
  [0x10, "213"],
  [0x20, "231"],
] as const) {
  for (const [op, name, packed] of FMA_OPS) {
    const s = packed ? { w0: `v${name}${order}ps Vx,Hx,Wx @vfma`, w1: `v${name}${order}pd Vx,Hx,Wx @vfma` } : { w0: `v${name}${order}ss Vx,Hx,Wss lig @vfma`, w1: `v${name}${order}sd Vx,Hx,Wsd lig @vfma` };
    VEX38.push([op + base, { p66: s }]);
  }
}

/** Install the rows into the VEX maps (the BMI entries already there stay). */
export function installVex(m0f: Spec[], m38: Spec[], m3a: Spec[]): void {
  for (const [rows, map] of [
    [VEX0F, m0f],
    [VEX38, m38],
    [VEX3A, m3a],
  ] as const) {
    for (const [op, s] of rows) {
      if (map[op] !== "!") throw new Error(`VEX opcode 0x${op.toString(16)} defined twice`);
      map[op] = s;
    }
  }
}

/** Every handler key the VEX rows use (`@key` or the mnemonic). */
export function vexKeys(): string[] {
  const keys = new Set<string>();
  const walk = (s: Spec): void => {
    if (s === null) return;
    if (typeof s === "string") {
      if (s === "!") return;
      const parts = s.split(/\s+/);
      const at = parts.find((p) => p.startsWith("@"));
      keys.add(at ? at.slice(1) : parts[0]);
    } else if (Array.isArray(s)) s.forEach(walk);
    else Object.values(s).forEach((v) => walk(v as Spec));
  };
  for (const rows of [VEX0F, VEX38, VEX3A]) for (const [, s] of rows) walk(s);
  return [...keys].sort();
}
