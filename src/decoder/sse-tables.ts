/**
 * SSE/MMX parts of the 0F, 0F38 and 0F3A maps (prefix-split entries), merged
 * into the integer maps of tables.ts. Notation: see tables.ts.
 */
import type { Spec } from "./tables.js";

type Row = [number, Spec];

/** MMX form (no prefix) and SSE2 form (66) of the same packed-integer op. */
function mx(name: string, extra = ""): Spec {
  return { n: `${name} Pq,Qq${extra}`, p66: `${name} Vx,Wx${extra}` };
}
/** ps / pd / ss / sd arithmetic row. */
function fp4(name: string): Spec {
  return { n: `${name}ps Vx,Wx`, p66: `${name}pd Vx,Wx`, f3: `${name}ss Vx,Wss`, f2: `${name}sd Vx,Wsd` };
}
/** SSE2-only (66) op. */
function p66(s: Spec): Spec {
  return { p66: s };
}

export const SSE_0F: Row[] = [
  [0x10, { n: "movups Vx,Wx", p66: "movupd Vx,Wx", f3: "movss Vx,Wss", f2: "movsd Vx,Wsd" }],
  [0x11, { n: "movups Wx,Vx", p66: "movupd Wx,Vx", f3: "movss Wss,Vx", f2: "movsd Wsd,Vx" }],
  [0x12, { n: { mem: "movlps Vx,Mq", reg: "movhlps Vx,Ux" }, p66: "movlpd Vx,Mq memonly", f3: "movsldup Vx,Wx", f2: "movddup Vx,Wsd" }],
  [0x13, { n: "movlps Mq,Vx memonly", p66: "movlpd Mq,Vx memonly" }],
  [0x14, { n: "unpcklps Vx,Wx", p66: "unpcklpd Vx,Wx" }],
  [0x15, { n: "unpckhps Vx,Wx", p66: "unpckhpd Vx,Wx" }],
  [0x16, { n: { mem: "movhps Vx,Mq", reg: "movlhps Vx,Ux" }, p66: "movhpd Vx,Mq memonly", f3: "movshdup Vx,Wx" }],
  [0x17, { n: "movhps Mq,Vx memonly", p66: "movhpd Mq,Vx memonly" }],
  [0x28, { n: "movaps Vx,Wx", p66: "movapd Vx,Wx" }],
  [0x29, { n: "movaps Wx,Vx", p66: "movapd Wx,Vx" }],
  [0x2a, { n: "cvtpi2ps Vx,Qq", p66: "cvtpi2pd Vx,Qq", f3: "cvtsi2ss Vx,Ey", f2: "cvtsi2sd Vx,Ey" }],
  [0x2b, { n: "movntps Mx,Vx memonly", p66: "movntpd Mx,Vx memonly" }],
  [0x2c, { n: "cvttps2pi Pq,Wsd", p66: "cvttpd2pi Pq,Wx", f3: "cvttss2si Gy,Wss", f2: "cvttsd2si Gy,Wsd" }],
  [0x2d, { n: "cvtps2pi Pq,Wsd", p66: "cvtpd2pi Pq,Wx", f3: "cvtss2si Gy,Wss", f2: "cvtsd2si Gy,Wsd" }],
  [0x2e, { n: "ucomiss Vx,Wss", p66: "ucomisd Vx,Wsd" }],
  [0x2f, { n: "comiss Vx,Wss", p66: "comisd Vx,Wsd" }],
  [0x50, { n: "movmskps Gd,Ux", p66: "movmskpd Gd,Ux" }],
  [0x51, fp4("sqrt")],
  [0x52, { n: "rsqrtps Vx,Wx", f3: "rsqrtss Vx,Wss" }],
  [0x53, { n: "rcpps Vx,Wx", f3: "rcpss Vx,Wss" }],
  [0x54, { n: "andps Vx,Wx", p66: "andpd Vx,Wx" }],
  [0x55, { n: "andnps Vx,Wx", p66: "andnpd Vx,Wx" }],
  [0x56, { n: "orps Vx,Wx", p66: "orpd Vx,Wx" }],
  [0x57, { n: "xorps Vx,Wx", p66: "xorpd Vx,Wx" }],
  [0x58, fp4("add")],
  [0x59, fp4("mul")],
  [0x5a, { n: "cvtps2pd Vx,Wsd", p66: "cvtpd2ps Vx,Wx", f3: "cvtss2sd Vx,Wss", f2: "cvtsd2ss Vx,Wsd" }],
  [0x5b, { n: "cvtdq2ps Vx,Wx", p66: "cvtps2dq Vx,Wx", f3: "cvttps2dq Vx,Wx" }],
  [0x5c, fp4("sub")],
  [0x5d, fp4("min")],
  [0x5e, fp4("div")],
  [0x5f, fp4("max")],
  [0x60, mx("punpcklbw")],
  [0x61, mx("punpcklwd")],
  [0x62, mx("punpckldq")],
  [0x63, mx("packsswb")],
  [0x64, mx("pcmpgtb")],
  [0x65, mx("pcmpgtw")],
  [0x66, mx("pcmpgtd")],
  [0x67, mx("packuswb")],
  [0x68, mx("punpckhbw")],
  [0x69, mx("punpckhwd")],
  [0x6a, mx("punpckhdq")],
  [0x6b, mx("packssdw")],
  [0x6c, p66("punpcklqdq Vx,Wx")],
  [0x6d, p66("punpckhqdq Vx,Wx")],
  [0x6e, { n: "movd Pq,Ey", p66: "movd Vx,Ey" }],
  [0x6f, { n: "movq Pq,Qq", p66: "movdqa Vx,Wx", f3: "movdqu Vx,Wx" }],
  [0x70, { n: "pshufw Pq,Qq,Ib", p66: "pshufd Vx,Wx,Ib", f3: "pshufhw Vx,Wx,Ib", f2: "pshuflw Vx,Wx,Ib" }],
  [0x71, { mem: "!", reg: grpShift(["psrlw", "psraw", "psllw"], [2, 4, 6]) }],
  [0x72, { mem: "!", reg: grpShift(["psrld", "psrad", "pslld"], [2, 4, 6]) }],
  [0x73, { mem: "!", reg: grpShift(["psrlq", "psrldq", "psllq", "pslldq"], [2, 3, 6, 7]) }],
  [0x74, mx("pcmpeqb")],
  [0x75, mx("pcmpeqw")],
  [0x76, mx("pcmpeqd")],
  [0x77, { n: "emms" }],
  [0x78, { n: "vmread Ey,Gy priv" }],
  [0x79, { n: "vmwrite Gy,Ey priv" }],
  [0x7c, { p66: "haddpd Vx,Wx", f2: "haddps Vx,Wx" }],
  [0x7d, { p66: "hsubpd Vx,Wx", f2: "hsubps Vx,Wx" }],
  [0x7e, { n: "movd Ey,Pq", p66: "movd Ey,Vx", f3: "movq Vx,Wsd" }],
  [0x7f, { n: "movq Qq,Pq", p66: "movdqa Wx,Vx", f3: "movdqu Wx,Vx" }],
  [0xc2, { n: "cmpps Vx,Wx,Ib", p66: "cmppd Vx,Wx,Ib", f3: "cmpss Vx,Wss,Ib", f2: "cmpsd Vx,Wsd,Ib" }],
  [0xc4, { n: "pinsrw Pq,Ed,Ib", p66: "pinsrw Vx,Ed,Ib" }],
  [0xc5, { n: "pextrw Gd,Nq,Ib", p66: "pextrw Gd,Ux,Ib" }],
  [0xc6, { n: "shufps Vx,Wx,Ib", p66: "shufpd Vx,Wx,Ib" }],
  [0xd0, { p66: "addsubpd Vx,Wx", f2: "addsubps Vx,Wx" }],
  [0xd1, mx("psrlw")],
  [0xd2, mx("psrld")],
  [0xd3, mx("psrlq")],
  [0xd4, mx("paddq")],
  [0xd5, mx("pmullw")],
  [0xd6, { p66: "movq Wsd,Vx", f3: "movq2dq Vx,Nq", f2: "movdq2q Pq,Ux" }],
  [0xd7, { n: "pmovmskb Gd,Nq", p66: "pmovmskb Gd,Ux" }],
  [0xd8, mx("psubusb")],
  [0xd9, mx("psubusw")],
  [0xda, mx("pminub")],
  [0xdb, mx("pand")],
  [0xdc, mx("paddusb")],
  [0xdd, mx("paddusw")],
  [0xde, mx("pmaxub")],
  [0xdf, mx("pandn")],
  [0xe0, mx("pavgb")],
  [0xe1, mx("psraw")],
  [0xe2, mx("psrad")],
  [0xe3, mx("pavgw")],
  [0xe4, mx("pmulhuw")],
  [0xe5, mx("pmulhw")],
  [0xe6, { p66: "cvttpd2dq Vx,Wx", f3: "cvtdq2pd Vx,Wsd", f2: "cvtpd2dq Vx,Wx" }],
  [0xe7, { n: "movntq Mq,Pq memonly", p66: "movntdq Mx,Vx memonly" }],
  [0xe8, mx("psubsb")],
  [0xe9, mx("psubsw")],
  [0xea, mx("pminsw")],
  [0xeb, mx("por")],
  [0xec, mx("paddsb")],
  [0xed, mx("paddsw")],
  [0xee, mx("pmaxsw")],
  [0xef, mx("pxor")],
  [0xf0, { f2: "lddqu Vx,Mx memonly" }],
  [0xf1, mx("psllw")],
  [0xf2, mx("pslld")],
  [0xf3, mx("psllq")],
  [0xf4, mx("pmuludq")],
  [0xf5, mx("pmaddwd")],
  [0xf6, mx("psadbw")],
  [0xf7, { n: "maskmovq Pq,Nq @maskmov", p66: "maskmovdqu Vx,Ux @maskmov" }],
  [0xf8, mx("psubb")],
  [0xf9, mx("psubw")],
  [0xfa, mx("psubd")],
  [0xfb, mx("psubq")],
  [0xfc, mx("paddb")],
  [0xfd, mx("paddw")],
  [0xfe, mx("paddd")],
];

function grpShift(names: string[], regs: number[]): Spec[] {
  const g: Spec[] = new Array(8).fill("!");
  names.forEach((n, k) => {
    const dq = n.endsWith("dq");
    g[regs[k]] = dq ? { p66: `${n} Ux,Ib` } : { n: `${n} Nq,Ib`, p66: `${n} Ux,Ib` };
  });
  return g;
}

const SSSE3_38: [number, string][] = [
  [0x00, "pshufb"],
  [0x01, "phaddw"],
  [0x02, "phaddd"],
  [0x03, "phaddsw"],
  [0x04, "pmaddubsw"],
  [0x05, "phsubw"],
  [0x06, "phsubd"],
  [0x07, "phsubsw"],
  [0x08, "psignb"],
  [0x09, "psignw"],
  [0x0a, "psignd"],
  [0x0b, "pmulhrsw"],
  [0x1c, "pabsb"],
  [0x1d, "pabsw"],
  [0x1e, "pabsd"],
];

const SSE41_38: [number, string][] = [
  [0x10, "pblendvb Vx,Wx,XMM0"],
  [0x14, "blendvps Vx,Wx,XMM0"],
  [0x15, "blendvpd Vx,Wx,XMM0"],
  [0x17, "ptest Vx,Wx"],
  [0x20, "pmovsxbw Vx,Wsd"],
  [0x21, "pmovsxbd Vx,Wss"],
  [0x22, "pmovsxbq Vx,Ww"],
  [0x23, "pmovsxwd Vx,Wsd"],
  [0x24, "pmovsxwq Vx,Wss"],
  [0x25, "pmovsxdq Vx,Wsd"],
  [0x28, "pmuldq Vx,Wx"],
  [0x29, "pcmpeqq Vx,Wx"],
  [0x2a, "movntdqa Vx,Mx memonly"],
  [0x2b, "packusdw Vx,Wx"],
  [0x30, "pmovzxbw Vx,Wsd"],
  [0x31, "pmovzxbd Vx,Wss"],
  [0x32, "pmovzxbq Vx,Ww"],
  [0x33, "pmovzxwd Vx,Wsd"],
  [0x34, "pmovzxwq Vx,Wss"],
  [0x35, "pmovzxdq Vx,Wsd"],
  [0x37, "pcmpgtq Vx,Wx"],
  [0x38, "pminsb Vx,Wx"],
  [0x39, "pminsd Vx,Wx"],
  [0x3a, "pminuw Vx,Wx"],
  [0x3b, "pminud Vx,Wx"],
  [0x3c, "pmaxsb Vx,Wx"],
  [0x3d, "pmaxsd Vx,Wx"],
  [0x3e, "pmaxuw Vx,Wx"],
  [0x3f, "pmaxud Vx,Wx"],
  [0x40, "pmulld Vx,Wx"],
  [0x41, "phminposuw Vx,Wx"],
  [0xdb, "aesimc Vx,Wx"],
  [0xdc, "aesenc Vx,Wx"],
  [0xdd, "aesenclast Vx,Wx"],
  [0xde, "aesdec Vx,Wx"],
  [0xdf, "aesdeclast Vx,Wx"],
];

const SSE41_3A: [number, Spec][] = [
  [0x08, "roundps Vx,Wx,Ib"],
  [0x09, "roundpd Vx,Wx,Ib"],
  [0x0a, "roundss Vx,Wss,Ib"],
  [0x0b, "roundsd Vx,Wsd,Ib"],
  [0x0c, "blendps Vx,Wx,Ib"],
  [0x0d, "blendpd Vx,Wx,Ib"],
  [0x0e, "pblendw Vx,Wx,Ib"],
  [0x14, "pextrb Ed,Vx,Ib"],
  [0x15, "pextrw Ed,Vx,Ib"],
  [0x16, { w0: "pextrd Ed,Vx,Ib", w1: "pextrq Eq,Vx,Ib @pextrd" }],
  [0x17, "extractps Ed,Vx,Ib"],
  [0x20, "pinsrb Vx,Ed,Ib"],
  [0x21, "insertps Vx,Wss,Ib"],
  [0x22, { w0: "pinsrd Vx,Ed,Ib", w1: "pinsrq Vx,Eq,Ib @pinsrd" }],
  [0x40, "dpps Vx,Wx,Ib"],
  [0x41, "dppd Vx,Wx,Ib"],
  [0x42, "mpsadbw Vx,Wx,Ib"],
  [0x44, "pclmulqdq Vx,Wx,Ib"],
  // explicit lengths in eax/edx, or rax/rdx with REX.W (objdump's q suffix)
  [0x60, { w0: "pcmpestrm Vx,Wx,Ib", w1: "pcmpestrmq Vx,Wx,Ib @pcmpestrm" }],
  [0x61, { w0: "pcmpestri Vx,Wx,Ib", w1: "pcmpestriq Vx,Wx,Ib @pcmpestri" }],
  [0x62, "pcmpistrm Vx,Wx,Ib"],
  [0x63, "pcmpistri Vx,Wx,Ib"],
  [0xdf, "aeskeygenassist Vx,Wx,Ib"],
];

/** SHA-NI (no prefix) and GFNI (66) in 0F 38 and 0F 3A. */
const CRYPTO_38: Row[] = [
  [0xc8, { n: "sha1nexte Vx,Wx" }],
  [0xc9, { n: "sha1msg1 Vx,Wx" }],
  [0xca, { n: "sha1msg2 Vx,Wx" }],
  [0xcb, { n: "sha256rnds2 Vx,Wx,XMM0" }],
  [0xcc, { n: "sha256msg1 Vx,Wx" }],
  [0xcd, { n: "sha256msg2 Vx,Wx" }],
  [0xcf, p66("gf2p8mulb Vx,Wx")],
];
const CRYPTO_3A: Row[] = [
  [0xcc, { n: "sha1rnds4 Vx,Wx,Ib" }],
  [0xce, p66("gf2p8affineqb Vx,Wx,Ib")],
  [0xcf, p66("gf2p8affineinvqb Vx,Wx,Ib")],
];

export const SSE_38: Row[] = [
  ...SSSE3_38.map(([op, n]): Row => [op, mx(n)]),
  ...SSE41_38.map(([op, s]): Row => [op, p66(s)]),
  ...CRYPTO_38,
];

export const SSE_3A: Row[] = [[0x0f, mx("palignr", ",Ib")], ...SSE41_3A.map(([op, s]): Row => [op, p66(s)]), ...CRYPTO_3A];
