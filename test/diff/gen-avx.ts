/**
 * Random differential cases for the VEX families (AVX, AVX2, FMA3, F16C).
 * Each case loads ymm1 = m[0..32), ymm2 = m[32..64), ymm0 = m[64..96),
 * ymm3 = m[96..128) and MXCSR from m+120 (random rounding, FTZ, DAZ; all
 * exceptions masked), runs one instruction (register or unaligned memory
 * operand m+32.., ymm or xmm form), then stores ymm0, ymm1, ymm2 to m[0..96),
 * xmm3 to m[96..112) and MXCSR to m+124: upper-half zeroing, merging and
 * every flag are compared with the host CPU.
 */
import type { Case, RegName } from "../isa-native.js";
import { Picker as G, prng } from "../helpers/prng.js";

const F64 = [0x0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x7ff4000000000001n, 0x1n, 0x000fffffffffffffn, 0x7fefffffffffffffn, 0x3fe0000000000000n, 0x3fd5555555555555n, 0x4340000000000001n, 0xc1e0000000000000n, 0x0010000000000000n, 0x3ff0000000000001n, 0x3fefffffffffffffn, 0x3fb999999999999an, 0x7fe0000000000000n, 0x1ff0000000000000n, 0x5ff0000000000000n];
const F32 = [0x0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00001, 0x1, 0x7fffff, 0x7f7fffff, 0x3f000000, 0x4f000000, 0xcf000000, 0x3eaaaaab, 0x00800000, 0x3f800001, 0x3f7fffff, 0x3dcccccd, 0x7f000000, 0x1f800000, 0x5f800000, 0x477fe000, 0x477ff000, 0x38800000, 0x33800000];

/** A random float of moderate exponent (so that products and sums of several stay normal and inexact). */
function f64(g: G): bigint {
  const e = 1023 + g.int(80) - 40;
  return (BigInt(g.int(2)) << 63n) | (BigInt(e) << 52n) | (g.u64() & 0xfffffffffffffn);
}
function f32(g: G): number {
  const e = 127 + g.int(40) - 20;
  return ((g.int(2) << 31) | (e << 23) | (g.r() & 0x7fffff)) >>> 0;
}

function qword(g: G, fp: "s" | "d" | "i"): bigint {
  const k = g.int(8);
  if (fp === "d") return k === 0 ? g.pick(F64) : k < 6 ? f64(g) : g.u64();
  if (fp === "s") {
    const one = () => (k === 0 ? g.pick(F32) : k < 6 ? f32(g) : g.r() >>> 0);
    return (BigInt(one()) << 32n) | BigInt(g.int(3) ? one() : g.pick(F32));
  }
  if (k === 0) return g.pick([0n, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn, 0x8080808080808080n, 0x7f7f7f7f7f7f7f7fn, 0x8000800080008000n, 0x0001000200030004n]);
  if (k === 1) return BigInt(g.int(64)) | (BigInt(g.int(40)) << 32n); // small shift counts and indices
  return g.u64();
}

function mxcsr(g: G): number {
  if (g.int(3) === 0) return 0x1f80;
  return 0x1f80 | (g.int(4) << 13) | (g.int(2) ? 0x8000 : 0) | (g.int(2) ? 0x40 : 0) | (g.int(4) === 0 ? g.int(64) : 0);
}

const PD = ["add", "sub", "mul", "div", "min", "max"];
const FP_BIN = [...PD.flatMap((o) => [`v${o}ps`, `v${o}pd`]), "vandps", "vandpd", "vandnps", "vandnpd", "vorps", "vorpd", "vxorps", "vxorpd", "vunpcklps", "vunpckhps", "vunpcklpd", "vunpckhpd", "vaddsubps", "vaddsubpd", "vhaddps", "vhaddpd", "vhsubps", "vhsubpd", "vpermilps", "vpermilpd"];
const INT_BIN = [
  ...["b", "w", "d", "q"].flatMap((s) => [`vpadd${s}`, `vpsub${s}`, `vpcmpeq${s}`, `vpcmpgt${s}`]),
  ...["sb", "sw", "usb", "usw"].flatMap((s) => [`vpadd${s}`, `vpsub${s}`]),
  "vpmullw", "vpmulhw", "vpmulhuw", "vpmuludq", "vpmuldq", "vpmulld", "vpmaddwd", "vpmaddubsw", "vpsadbw", "vpavgb", "vpavgw", "vpmulhrsw",
  ...["ub", "sb", "uw", "sw", "ud", "sd"].flatMap((s) => [`vpmin${s}`, `vpmax${s}`]),
  "vpand", "vpandn", "vpor", "vpxor", "vpunpcklbw", "vpunpcklwd", "vpunpckldq", "vpunpcklqdq", "vpunpckhbw", "vpunpckhwd", "vpunpckhdq", "vpunpckhqdq",
  "vpacksswb", "vpackssdw", "vpackuswb", "vpackusdw", "vpshufb", "vphaddw", "vphaddd", "vphaddsw", "vphsubw", "vphsubd", "vphsubsw", "vpsignb", "vpsignw", "vpsignd",
  "vpsllvd", "vpsllvq", "vpsrlvd", "vpsrlvq", "vpsravd",
];
const UNARY = ["vsqrtps", "vsqrtpd", "vcvtdq2ps", "vcvtps2dq", "vcvttps2dq", "vpabsb", "vpabsw", "vpabsd", "vmovshdup", "vmovsldup", "vmovddup", "vmovaps", "vmovups", "vmovdqu", "vmovapd"];
const WIDEN = ["vcvtps2pd", "vcvtdq2pd", ...["bw", "bd", "bq", "wd", "wq", "dq"].flatMap((t) => [`vpmovsx${t}`, `vpmovzx${t}`]), "vcvtph2ps"];
/** Bytes of a VEX.128 widening source (VEX.256: twice as many). */
const WIDEN_BYTES: Record<string, number> = { bw: 8, bd: 4, bq: 2, wd: 8, wq: 4, dq: 8 };
const NARROW = ["vcvtpd2ps", "vcvtpd2dq", "vcvttpd2dq"];
const IMM3 = ["vshufps", "vshufpd", "vblendps", "vblendpd", "vpblendw", "vpblendd", "vpalignr", "vmpsadbw", "vdpps", "vcmpps", "vcmppd"];
const IMM2 = ["vpshufd", "vpshufhw", "vpshuflw", "vroundps", "vroundpd", "vpermilps", "vpermilpd"];
const SCALAR = [...PD.flatMap((o) => [`v${o}ss`, `v${o}sd`]), "vsqrtss", "vsqrtsd", "vcvtss2sd", "vcvtsd2ss"];
const FMA = ["madd", "msub", "nmadd", "nmsub", "maddsub", "msubadd"].flatMap((o) => ["132", "213", "231"].flatMap((f) => ["ps", "pd", ...(o.length <= 5 ? ["ss", "sd"] : [])].map((t) => `vf${o}${f}${t}`)));
const SHIFT = ["vpsllw", "vpslld", "vpsllq", "vpsrlw", "vpsrld", "vpsrlq", "vpsraw", "vpsrad"];
const LEGACY = ["addps xmm0, xmm2", "mulpd xmm0, xmm1", "pxor xmm0, xmm0", "movaps xmm0, xmm2", "pshufd xmm0, xmm1, 0x1b", "cvtsi2sd xmm0, rax", "movd xmm0, eax", "sqrtss xmm0, xmm1"];

/** The vector type of an instruction's data (for the edge values). */
function kindOf(op: string): "s" | "d" | "i" {
  if (/^vp|^vmovdq/.test(op)) return "i";
  if (/(pd|sd)$/.test(op) || op === "vmovddup" || op === "vcvtpd2ps") return "d";
  return "s";
}

export function avxCase(g: G): Case {
  const w = g.int(3) !== 0; // ymm (else xmm)
  const R = (n: number) => (w ? `ymm${n}` : `xmm${n}`);
  const X = (n: number) => `xmm${n}`;
  const VM = () => `${w ? "ymmword" : "xmmword"} ptr [rip+m+${32 + g.int(3)}]`;
  const src = () => (g.int(3) === 0 ? VM() : R(g.int(4) === 0 ? 0 : 2));
  const kind = g.int(14);
  let op: string;
  let fp: "s" | "d" | "i";
  let undefFlags = 0;
  if (kind === 0) {
    const o = g.pick(FP_BIN);
    op = `${o} ${R(0)}, ${R(g.int(5) === 0 ? 0 : 1)}, ${src()}`;
    fp = kindOf(o);
  } else if (kind === 1) {
    const o = g.pick(INT_BIN);
    op = `${o} ${R(0)}, ${R(g.int(5) === 0 ? 0 : 1)}, ${src()}`;
    fp = "i";
  } else if (kind === 2) {
    const o = g.pick(UNARY);
    const aligned = /^vmova/.test(o);
    const s = aligned ? R(2) : src();
    op = `${o} ${R(0)}, ${o === "vmovddup" && !w ? s.replace("xmmword", "qword") : s}`;
    fp = kindOf(o);
  } else if (kind === 3) {
    const o = g.pick(WIDEN);
    const t = o.slice(-2);
    const bytes = (o.startsWith("vpmov") ? WIDEN_BYTES[t] : 8) * (w ? 2 : 1);
    const ptr = { 2: "word", 4: "dword", 8: "qword", 16: "xmmword" }[bytes] ?? "xmmword";
    op = `${o} ${R(0)}, ${g.int(3) === 0 ? `${ptr} ptr [rip+m+${32 + g.int(3)}]` : X(2)}`;
    fp = o === "vcvtph2ps" ? "i" : kindOf(o);
  } else if (kind === 4) {
    const o = g.pick(NARROW);
    op = `${o} ${X(0)}, ${g.int(3) === 0 ? VM() : R(2)}`;
    fp = "d";
  } else if (kind === 5) {
    const o = g.pick(IMM3);
    const imm = o.startsWith("vcmp") ? g.int(32) : g.int(256);
    op = `${o} ${R(0)}, ${R(g.int(5) === 0 ? 0 : 1)}, ${src()}, ${imm}`;
    fp = kindOf(o);
  } else if (kind === 6) {
    const o = g.pick(IMM2);
    op = `${o} ${R(0)}, ${src()}, ${o.startsWith("vround") ? g.int(16) : g.int(256)}`;
    fp = kindOf(o);
  } else if (kind === 7) {
    const o = g.pick(SCALAR);
    const m = o === "vcvtss2sd" || (o.endsWith("ss") && o !== "vcvtsd2ss") ? "dword" : "qword";
    op = `${o} ${X(0)}, ${X(g.int(5) === 0 ? 0 : 1)}, ${g.int(3) === 0 ? `${m} ptr [rip+m+${32 + g.int(3)}]` : X(2)}`;
    fp = kindOf(o);
  } else if (kind === 8) {
    const o = g.pick(FMA);
    const scalar = /s[sd]$/.test(o);
    const r = scalar ? X : R;
    const m = scalar ? `${o.endsWith("ss") ? "dword" : "qword"} ptr [rip+m+${32 + g.int(3)}]` : VM();
    op = `${o} ${r(0)}, ${r(1)}, ${g.int(3) === 0 ? m : r(2)}`;
    fp = kindOf(o);
  } else if (kind === 9) {
    const o = g.pick(SHIFT);
    const form = g.int(3);
    op = form === 0 ? `${o} ${R(0)}, ${R(1)}, ${g.int(3) === 0 ? g.int(256) : g.int(70)}` : `${o} ${R(0)}, ${R(1)}, ${form === 1 ? X(2) : `xmmword ptr [rip+m+${32 + g.int(3)}]`}`;
    fp = "i";
  } else if (kind === 10) {
    // 256-bit only and cross-lane instructions
    const c = g.int(12);
    const y = (n: number) => `ymm${n}`;
    const ym = () => (g.int(3) === 0 ? `ymmword ptr [rip+m+${32 + g.int(3)}]` : y(2));
    op = [
      `vperm2f128 ymm0, ymm1, ${ym()}, ${g.int(256)}`,
      `vperm2i128 ymm0, ymm1, ${ym()}, ${g.int(256)}`,
      `vpermq ymm0, ${ym()}, ${g.int(256)}`,
      `vpermpd ymm0, ${ym()}, ${g.int(256)}`,
      `vpermd ymm0, ymm1, ${ym()}`,
      `vpermps ymm0, ymm1, ${ym()}`,
      `vinsertf128 ymm0, ymm1, ${g.int(2) ? "xmm2" : "xmmword ptr [rip+m+33]"}, ${g.int(2)}`,
      `vinserti128 ymm0, ymm1, xmm2, ${g.int(2)}`,
      `vextractf128 ${g.int(2) ? "xmm0" : "xmmword ptr [rip+m+65]"}, ymm1, ${g.int(2)}`,
      `vextracti128 xmm0, ymm2, ${g.int(2)}`,
      `${g.pick(["vbroadcastss", "vpbroadcastd"])} ${R(0)}, ${g.int(2) ? "xmm2" : "dword ptr [rip+m+33]"}\n${g.pick(["vbroadcastsd ymm1", "vpbroadcastq " + R(1)])}, ${g.int(2) ? "xmm2" : "qword ptr [rip+m+40]"}`,
      `vpbroadcastb ${R(0)}, ${g.int(2) ? "xmm2" : "byte ptr [rip+m+35]"}\nvpbroadcastw ${R(1)}, ${g.int(2) ? "xmm2" : "word ptr [rip+m+37]"}\nvbroadcastf128 ymm2, xmmword ptr [rip+m+97]`,
    ][c];
    fp = c === 5 ? "s" : "i";
  } else if (kind === 11) {
    const c = g.int(9);
    op = [
      `${g.pick(["vblendvps", "vblendvpd", "vpblendvb"])} ${R(0)}, ${R(1)}, ${src()}, ${R(3)}`,
      `${g.pick(["vptest", "vtestps", "vtestpd"])} ${R(1)}, ${src()}\nsetz al\nsetc ah\nseta bl\nsetbe bh`,
      `${g.pick(["vmaskmovps", "vmaskmovpd", "vpmaskmovd", "vpmaskmovq"])} ${R(0)}, ${R(3)}, ${VM()}`,
      `${g.pick(["vmaskmovps", "vmaskmovpd", "vpmaskmovd", "vpmaskmovq"])} ${VM()}, ${R(3)}, ${R(1)}`,
      g.pick(["vzeroupper", "vzeroall"]),
      `vcvtps2ph ${g.int(2) ? "xmm0" : `${w ? "xmmword" : "qword"} ptr [rip+m+${32 + g.int(3)}]`}, ${R(1)}, ${g.int(8)}`,
      g.pick(LEGACY),
      `${g.pick(["vcomiss", "vucomiss", "vcomisd", "vucomisd"])} xmm1, xmm2\nsetz al\nsetc ah\nsetp bl`,
      `${g.pick(["vcmpss", "vcmpsd", "vroundss", "vroundsd"])} xmm0, xmm1, xmm2, ${g.int(32) & (g.int(2) ? 15 : 31)}`,
    ][c];
    if (c === 1) undefFlags = 0;
    fp = c === 5 ? "s" : c === 7 || c === 8 ? g.pick(["s", "d"] as const) : kindOf(op.split(" ")[0]);
  } else if (kind === 13) {
    // gathers from m (rsi = m), indices made small (0-15) from ymm1's random bits, mask ymm3
    const o = g.pick(["vpgatherdd", "vpgatherdq", "vpgatherqd", "vpgatherqq", "vgatherdps", "vgatherdpd", "vgatherqps", "vgatherqpd"]);
    const qidx = o.charAt(o.length - (o.startsWith("vp") ? 2 : 3)) === "q";
    const q = o.endsWith("q") || o.endsWith("pd");
    const sc = g.pick(q ? [1, 2, 4, 8] : [1, 2, 4]);
    const dst = qidx && !q ? "xmm0" : R(0);
    const mask = qidx && !q ? "xmm3" : R(3);
    const index = !qidx && q ? "xmm1" : R(1);
    op = `lea rsi, [rip+m]\n${qidx ? "vpsrlq" : "vpsrld"} ymm1, ymm1, ${qidx ? 60 : 28}\n${o} ${dst}, ${q ? "qword" : "dword"} ptr [rsi+${index}*${sc}+${g.int(2) * 4}], ${mask}`;
    fp = "i";
  } else {
    // VEX.128 forms of SSE4 and the GPR ones
    const c = g.int(8);
    op = [
      `vpextrb eax, xmm1, ${g.int(16)}\nvpextrw ecx, xmm2, ${g.int(8)}\nvpextrd edx, xmm1, ${g.int(4)}\nvpextrq rsi, xmm2, ${g.int(2)}`,
      `vpinsrb xmm0, xmm1, eax, ${g.int(16)}`,
      `vpinsrq xmm0, xmm1, rax, ${g.int(2)}`,
      `vinsertps xmm0, xmm1, ${g.int(2) ? "xmm2" : "dword ptr [rip+m+36]"}, ${g.int(256)}`,
      `vmovd xmm0, eax\nvmovq xmm1, rcx\nvmovq rdx, xmm2`,
      `vmovmskps eax, ${R(1)}\nvmovmskpd ecx, ${R(2)}\nvpmovmskb edx, ${R(1)}`,
      `vcvtsi2sd xmm0, xmm1, ${g.pick(["rax", "eax"])}\nvcvttsd2si rcx, xmm2\nvcvtss2si edx, xmm1`,
      `vmovss xmm0, xmm1, xmm2\nvmovsd xmm1, dword ptr [rip+m+40]\nvmovlps xmm2, xmm1, qword ptr [rip+m+8]`.replace("vmovsd xmm1, dword", "vmovsd xmm1, qword"),
    ][c];
    fp = c === 6 ? "d" : "i";
  }
  const mem = Array.from({ length: 16 }, () => qword(g, fp));
  // mask register ymm3 (m+96..127): random sign bits; MXCSR at m+120
  const mx = mxcsr(g);
  mem[15] = BigInt(mx) | (BigInt(g.r() & 0x80000000) << 32n);
  const regs: Partial<Record<RegName, bigint>> = { rax: qword(g, "i"), rcx: qword(g, "i"), rdx: g.u64(), rsi: g.u64() };
  const code = [
    "vmovdqu ymm1, ymmword ptr [rip+m]",
    "vmovdqu ymm2, ymmword ptr [rip+m+32]",
    "vmovdqu ymm0, ymmword ptr [rip+m+64]",
    "vmovdqu ymm3, ymmword ptr [rip+m+96]",
    "ldmxcsr dword ptr [rip+m+120]",
    op,
    "stmxcsr dword ptr [rip+m+124]",
    "vmovdqu ymmword ptr [rip+m], ymm0",
    "vmovdqu ymmword ptr [rip+m+32], ymm1",
    "vmovdqu ymmword ptr [rip+m+64], ymm2",
    "vmovdqu xmmword ptr [rip+m+96], xmm3",
    "vzeroupper",
  ].join("\n");
  return { name: `${op.replace(/\n/g, "; ")} (mxcsr 0x${mx.toString(16)})`, code, regs, flags: g.r() & 0x8d5, mem, undef: undefFlags };
}

export function generateAvx(seed: number, count: number): Case[] {
  const g = new G(prng(seed ^ 0x5a5a));
  return Array.from({ length: count }, () => avxCase(g));
}

/**
 * VAES, VPCLMULQDQ and VEX-encoded GFNI (and the VEX.128 AES-NI forms): one to
 * three in a row on ymm0..2 (ymm1 = m[0..32), ymm2 = m[32..64), ymm0 = m[64..96)),
 * 256- or 128-bit, register or unaligned memory second source; ymm0..2 are stored
 * back, so VEX.128's zeroing of bits 255:128 is compared too.
 */
export function avxCryptoCase(g: G): Case {
  const ops: string[] = [];
  for (let n = g.int(3) + 1; n > 0; n--) {
    const w = g.int(3) !== 0;
    const R = (k: number) => (w ? `ymm${k}` : `xmm${k}`);
    const src = g.int(3) === 0 ? `${w ? "ymmword" : "xmmword"} ptr [rip+m+${32 + g.int(3)}]` : R(g.int(4) === 0 ? 0 : 2);
    const d = g.int(4);
    const s1 = R(g.int(5) === 0 ? 0 : 1);
    const c = g.int(12);
    if (c < 4) ops.push(`${["vaesenc", "vaesenclast", "vaesdec", "vaesdeclast"][c]} ${R(d === 3 ? 2 : 0)}, ${s1}, ${src}`);
    else if (c < 6) ops.push(`vpclmulqdq ${R(0)}, ${s1}, ${src}, ${g.int(2) ? g.pick([0, 1, 0x10, 0x11]) : g.int(256)}`);
    else if (c < 8) ops.push(`vgf2p8mulb ${R(0)}, ${s1}, ${src}`);
    else if (c < 10) ops.push(`${g.pick(["vgf2p8affineqb", "vgf2p8affineinvqb"])} ${R(0)}, ${s1}, ${src}, ${g.int(256)}`);
    else if (c === 10) ops.push(`vaesimc xmm0, ${src.replace("ymm", "xmm")}`);
    else ops.push(`vaeskeygenassist xmm0, ${src.replace("ymm", "xmm")}, ${g.int(256)}`);
  }
  const mem = Array.from({ length: 16 }, () => g.u64());
  const code = [
    "vmovdqu ymm1, ymmword ptr [rip+m]",
    "vmovdqu ymm2, ymmword ptr [rip+m+32]",
    "vmovdqu ymm0, ymmword ptr [rip+m+64]",
    ...ops,
    "vmovdqu ymmword ptr [rip+m], ymm0",
    "vmovdqu ymmword ptr [rip+m+32], ymm1",
    "vmovdqu ymmword ptr [rip+m+64], ymm2",
    "vzeroupper",
  ].join("\n");
  return { name: ops.join("; "), code, regs: {}, flags: g.r() & 0x8d5, mem, undef: 0 };
}

export function generateAvxCrypto(seed: number, count: number): Case[] {
  const g = new G(prng(seed ^ 0xae5));
  return Array.from({ length: count }, () => avxCryptoCase(g));
}
