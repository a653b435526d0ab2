/**
 * Random differential-test generator: for each instruction family, many
 * random cases (edge-biased register values, random initial flags and
 * memory, all operand sizes and register/memory/immediate forms) with the
 * flags the Intel SDM leaves undefined masked per case. A seed makes a run
 * reproducible (X64EMU_DIFF_SEED overrides the default).
 */
import type { Case, RegName } from "../isa-native.js";
import { Picker, prng } from "../helpers/prng.js";

export { prng };

const CF = 0x1,
  PF = 0x4,
  AF = 0x10,
  ZF = 0x40,
  SF = 0x80,
  OF = 0x800;
const ALL = CF | PF | AF | ZF | SF | OF;

const EDGE = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x100000000n, 63n, 64n, 31n, 32n];

class Gen extends Picker {
  override u64(): bigint {
    if (this.int(3) === 0) return this.pick(EDGE);
    if (this.int(4) === 0) return BigInt(this.int(256));
    return super.u64();
  }
  flags(): number {
    return this.r() & ALL;
  }
}

/** General registers usable in cases (not rsp; rbx stays a plain data register here). */
const R64: RegName[] = ["rax", "rcx", "rdx", "rbx", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
const NAMES: Record<number, Record<string, string>> = { 8: {}, 4: {}, 2: {}, 1: {} };
const LEGACY: Record<string, [string, string, string]> = {
  rax: ["eax", "ax", "al"],
  rcx: ["ecx", "cx", "cl"],
  rdx: ["edx", "dx", "dl"],
  rbx: ["ebx", "bx", "bl"],
  rbp: ["ebp", "bp", "bpl"],
  rsi: ["esi", "si", "sil"],
  rdi: ["edi", "di", "dil"],
};
for (const r of R64) {
  NAMES[8][r] = r;
  if (LEGACY[r]) [NAMES[4][r], NAMES[2][r], NAMES[1][r]] = LEGACY[r];
  else [NAMES[4][r], NAMES[2][r], NAMES[1][r]] = [`${r}d`, `${r}w`, `${r}b`];
}
const HIGH8 = ["ah", "ch", "dh", "bh"];
const PTR: Record<number, string> = { 1: "byte", 2: "word", 4: "dword", 8: "qword" };
const SIZES = [1, 2, 4, 8];

function regs(g: Gen): Partial<Record<RegName, bigint>> {
  const out: Partial<Record<RegName, bigint>> = {};
  for (const r of R64) out[r] = g.u64();
  return out;
}

function mem(g: Gen): bigint[] {
  return Array.from({ length: 16 }, () => g.u64());
}

/** A register operand of `size` (8-bit: sometimes AH..BH, never mixed with REX-only registers). */
function reg(g: Gen, size: number, allowHigh: boolean): string {
  if (size === 1 && allowHigh && g.int(4) === 0) return g.pick(HIGH8);
  return NAMES[size][g.pick(R64)];
}

function memOp(g: Gen, size: number): string {
  return `${PTR[size]} ptr [rip+m+${g.int(8) * 8 + (g.int(4) === 0 ? g.int(8) : 0)}]`;
}

function imm(g: Gen, size: number): string {
  const v = g.int(3) === 0 ? g.pick([0, 1, -1, 0x7f, -0x80, 0x7fffffff, -0x80000000]) : (g.r() | 0) >> (g.int(4) * 8);
  const lim = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  if (size === 1 || size === 2) return String(v & lim);
  return String(v | 0);
}

const REX_ONLY = /^(sil|dil|bpl|spl|r\d+b)$/;
function conflict(a: string, b: string): boolean {
  return (HIGH8.includes(a) && REX_ONLY.test(b)) || (HIGH8.includes(b) && REX_ONLY.test(a));
}

/** Two operands dst, src of `size` (reg/mem dst; reg/mem/imm src; never mem,mem). */
function binary(g: Gen, size: number, immOk = true): [string, string] {
  for (;;) {
    const form = g.int(immOk ? 5 : 3);
    const d = form === 1 ? memOp(g, size) : reg(g, size, true);
    const s = form === 2 ? memOp(g, size) : form >= 3 ? imm(g, size) : reg(g, size, true);
    if (form === 2 && d.includes("ptr")) continue;
    if (!conflict(d, s)) return [d, s];
  }
}

type Family = (g: Gen) => Case;

const FAMILIES: Record<string, Family> = {
  alu: (g) => {
    const op = g.pick(["add", "adc", "sub", "sbb", "and", "or", "xor", "cmp", "test"]);
    const size = g.pick(SIZES);
    let [d, s] = binary(g, size, true);
    if (op === "test" && s.includes("ptr")) [d, s] = [s, d];
    const undef = ["and", "or", "xor", "test"].includes(op) ? AF : 0;
    return { name: `${op} ${d}, ${s}`, code: `${op} ${d}, ${s}`, regs: regs(g), flags: g.flags(), mem: mem(g), undef };
  },
  unary: (g) => {
    const op = g.pick(["inc", "dec", "neg", "not"]);
    const size = g.pick(SIZES);
    const d = g.int(3) === 0 ? memOp(g, size) : reg(g, size, true);
    return { name: `${op} ${d}`, code: `${op} ${d}`, regs: regs(g), flags: g.flags(), mem: mem(g) };
  },
  shift: (g) => {
    const op = g.pick(["shl", "shr", "sar", "rol", "ror", "rcl", "rcr"]);
    const size = g.pick(SIZES);
    const d = g.int(3) === 0 ? memOp(g, size) : reg(g, size, false);
    const kind = g.int(3);
    const cnt = kind === 0 ? 1 : g.int(4) === 0 ? g.pick([0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255]) : g.int(70);
    const masked = cnt & (size === 8 ? 63 : 31);
    const rs = regs(g);
    let code: string;
    if (kind === 2 && !/^c[lh]$|^(rcx|ecx|cx)$/.test(d)) {
      rs.rcx = BigInt(cnt);
      code = `${op} ${d}, cl`;
    } else code = kind === 0 ? `${op} ${d}, 1` : `${op} ${d}, ${cnt & 0xff}`;
    const rotate = op.startsWith("r");
    let undef = masked === 0 ? 0 : masked === 1 ? (rotate ? 0 : AF) : rotate ? OF : AF | OF;
    if (!rotate && masked >= size * 8) undef |= CF; // count >= width: CF undefined (8/16-bit)
    return { name: code, code, regs: rs, flags: g.flags(), mem: mem(g), undef };
  },
  muldiv: (g) => {
    const size = g.pick(SIZES);
    const rs = regs(g);
    const src = g.int(3) === 0 ? memOp(g, size) : NAMES[size][g.pick(["rbx", "rcx", "rsi", "rdi", "r8", "r9", "r12", "r15"] as RegName[])];
    const kind = g.int(6);
    let code: string;
    let undef = SF | ZF | AF | PF;
    if (kind === 0) code = `mul ${src}`;
    else if (kind === 1) code = `imul ${src}`;
    else if (kind === 2 && size > 1) code = `imul ${NAMES[size].rax}, ${src}`;
    else if (kind === 3 && size > 1) code = `imul ${NAMES[size].rdx}, ${src}, ${imm(g, size === 2 ? 2 : 4)}`;
    else {
      // division without #DE: a non-zero divisor and a dividend that fits
      undef = ALL;
      const signed = kind === 5;
      const setup = src.includes("ptr") ? `or ${src}, 1` : `or ${src}, 1`;
      if (size === 1) code = signed ? `${setup}\nshr al, 1\ncbw\nidiv ${src}` : `${setup}\nmovzx eax, al\ndiv ${src}`;
      else {
        const ext = size === 2 ? "cwd" : size === 4 ? "cdq" : "cqo";
        code = signed ? `${setup}\nshr ${NAMES[size].rax}, 1\n${ext}\nidiv ${src}` : `${setup}\nxor edx, edx\ndiv ${src}`;
      }
    }
    return { name: code.replace(/\n/g, "; "), code, regs: rs, flags: g.flags(), mem: mem(g), undef };
  },
  bits: (g) => {
    const size = g.pick([2, 4, 8]);
    const op = g.pick(["bt", "bts", "btr", "btc", "bsf", "bsr", "popcnt", "lzcnt", "tzcnt", "bswap"]);
    const rs = regs(g);
    const d = NAMES[size][g.pick(R64)];
    if (op === "bswap") {
      const r = NAMES[g.pick([4, 8])][g.pick(R64)];
      return { name: `bswap ${r}`, code: `bswap ${r}`, regs: rs, flags: g.flags(), mem: mem(g) };
    }
    if (op.startsWith("bt")) {
      const dst = g.int(2) ? memOp(g, size) : d;
      const immForm = g.int(2) === 0;
      const src = immForm ? String(g.int(256)) : NAMES[size][g.pick(["rcx", "rdx", "rsi"] as RegName[])];
      if (!immForm && dst.includes("ptr")) rs[src === NAMES[size].rcx ? "rcx" : src === NAMES[size].rdx ? "rdx" : "rsi"] = BigInt(g.int(128)); // stay inside m
      const code = `${op} ${dst}, ${src}`;
      return { name: code, code, regs: rs, flags: g.flags(), mem: mem(g), undef: OF | SF | AF | PF };
    }
    const src = g.int(3) === 0 ? memOp(g, size) : NAMES[size][g.pick(R64)];
    const code = `${op} ${d}, ${src}`;
    const undef = op === "popcnt" ? 0 : op === "bsf" || op === "bsr" ? CF | OF | SF | AF | PF : OF | SF | AF | PF;
    // bsf/bsr with a zero source leave the destination undefined on some CPUs: make the source non-zero
    if ((op === "bsf" || op === "bsr") && !src.includes("ptr")) {
      const name = Object.entries(NAMES[size]).find(([, v]) => v === src)![0] as RegName;
      if (rs[name] === 0n) rs[name] = 1n << BigInt(g.int(size * 8));
    }
    return { name: code, code, regs: rs, flags: g.flags(), mem: mem(g), undef };
  },
  shd: (g) => {
    const op = g.pick(["shld", "shrd"]);
    const size = g.pick([2, 4, 8]);
    const d = g.int(3) === 0 ? memOp(g, size) : NAMES[size][g.pick(R64)];
    const s = NAMES[size][g.pick(["rbx", "rsi", "rdi", "r9", "r13"] as RegName[])];
    const rs = regs(g);
    let cnt = g.int(70);
    if (size === 2 && (cnt & 31) > 16) cnt = g.int(17); // 16-bit counts above 16 give undefined results
    const viaCl = g.int(2) === 0 && !d.startsWith("c") && !d.startsWith("ec") && !d.startsWith("rc");
    if (viaCl) rs.rcx = BigInt(cnt);
    const masked = cnt & (size === 8 ? 63 : 31);
    const code = `${op} ${d}, ${s}, ${viaCl ? "cl" : cnt & 0xff}`;
    const undef = masked === 0 ? 0 : masked === 1 ? AF : AF | OF;
    return { name: code, code, regs: rs, flags: g.flags(), mem: mem(g), undef };
  },
  move: (g) => {
    const size = g.pick([2, 4, 8]);
    const rs = regs(g);
    const kind = g.int(7);
    const d = NAMES[size][g.pick(R64)];
    let code: string;
    let undef = 0;
    if (kind === 0) code = `movzx ${d}, ${g.int(2) ? memOp(g, 1) : reg(g, 1, size !== 8 && !/^r\d/.test(d))}`;
    else if (kind === 1) code = `movsx ${NAMES[g.pick([4, 8])][g.pick(R64)]}, ${g.int(2) ? memOp(g, 2) : reg(g, 2, false)}`;
    else if (kind === 2) code = `movsxd ${NAMES[8][g.pick(R64)]}, ${g.int(2) ? memOp(g, 4) : reg(g, 4, false)}`;
    else if (kind === 3) code = `cmov${g.pick(["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"])} ${d}, ${g.int(2) ? memOp(g, size) : reg(g, size, false)}`;
    else if (kind === 4) code = `set${g.pick(["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"])} ${g.int(2) ? memOp(g, 1) : reg(g, 1, true)}`;
    else if (kind === 5) {
      const [a, b] = binary(g, size, false);
      code = `${g.pick(["xchg", "xadd"])} ${a.includes("ptr") ? a : b.includes("ptr") ? b : a}, ${a.includes("ptr") ? b : b.includes("ptr") ? a : b}`;
    } else {
      const dst = g.int(2) ? memOp(g, size) : d;
      code = `cmpxchg ${dst}, ${NAMES[size][g.pick(["rbx", "rsi", "r10"] as RegName[])]}`;
      if (g.int(2)) rs.rax = dst.includes("ptr") ? 0n : rs[Object.entries(NAMES[size]).find(([, v]) => v === d)![0] as RegName];
    }
    if (/^xchg .*ptr.*, .*ptr/.test(code)) code = `xchg ${d}, ${memOp(g, size)}`;
    return { name: code, code, regs: rs, flags: g.flags(), mem: mem(g), undef };
  },
  lea: (g) => {
    const size = g.pick([2, 4, 8]);
    const base = g.pick(R64);
    const index = g.pick(R64.filter((r) => r !== "rbp"));
    const scale = g.pick([1, 2, 4, 8]);
    const disp = g.int(2) ? (g.r() | 0) >> g.int(25) : 0;
    const addr = g.int(4) === 0 ? `[${base}${disp < 0 ? "-" : "+"}${Math.abs(disp)}]` : `[${base}+${index}*${scale}${disp < 0 ? "-" : "+"}${Math.abs(disp)}]`;
    const code = `lea ${NAMES[size][g.pick(R64)]}, ${addr}`;
    return { name: code, code, regs: regs(g), flags: g.flags(), mem: mem(g) };
  },
};


/** `count` random cases of a family. */
export function generate(family: string, seed: number, count: number): Case[] {
  const g = new Gen(prng(seed ^ (family.length * 0x45d9f3b) ^ family.charCodeAt(0) * 0x27d4eb2d));
  const f = FAMILIES[family];
  return Array.from({ length: count }, () => f(g));
}

// ---- SSE and x87 families: operands from memory `m`, results stored back to `m` ---------------

const F64_EDGE = [0x0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x7ff4000000000001n, 0x0000000000000001n, 0x000fffffffffffffn, 0x7fefffffffffffffn, 0x3fe0000000000000n, 0x3fd5555555555555n, 0x4340000000000001n, 0xc1e0000000000000n, 0x41dfffffffc00000n, 0x43e0000000000000n];
const F32_EDGE = [0x0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00001, 0x1, 0x7fffff, 0x7f7fffff, 0x3f000000, 0x4f000000, 0xcf000000, 0x3eaaaaab];

function fpMem(g: Gen): bigint[] {
  return Array.from({ length: 16 }, () => {
    const k = g.int(4);
    if (k === 0) return g.pick(F64_EDGE);
    if (k === 1) return (BigInt(g.pick(F32_EDGE)) << 32n) | BigInt(g.pick(F32_EDGE));
    if (k === 2) return BigInt(Math.round((g.r() / 4294967296 - 0.5) * 2 ** (g.int(60) - 20))) & 0xffffffffffffffffn;
    return g.u64();
  });
}

const SSE_PACKED = [
  "addps", "addpd", "subps", "subpd", "mulps", "mulpd", "divps", "divpd", "minps", "minpd", "maxps", "maxpd", "sqrtps", "sqrtpd",
  "andps", "andnps", "orps", "xorps", "andpd", "xorpd",
  "paddb", "paddw", "paddd", "paddq", "psubb", "psubw", "psubd", "psubq", "paddusb", "paddusw", "psubusb", "psubusw", "paddsb", "paddsw", "psubsb", "psubsw",
  "pcmpeqb", "pcmpeqw", "pcmpeqd", "pcmpgtb", "pcmpgtw", "pcmpgtd", "pminub", "pmaxub", "pminsw", "pmaxsw", "pavgb", "pavgw",
  "pmullw", "pmulhw", "pmulhuw", "pmuludq", "pmaddwd", "psadbw", "pand", "pandn", "por", "pxor",
  "punpcklbw", "punpcklwd", "punpckldq", "punpcklqdq", "punpckhbw", "punpckhwd", "punpckhdq", "punpckhqdq", "unpcklps", "unpckhps", "unpcklpd", "unpckhpd",
  "packuswb", "packsswb", "packssdw", "psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq", "psraw", "psrad",
  "cvtdq2ps", "cvtps2dq", "cvttps2dq", "cvtpd2dq", "cvttpd2dq", "cvtpd2ps",
  // SSE3, SSSE3, SSE4.1, SSE4.2
  "addsubps", "addsubpd", "haddps", "haddpd", "hsubps", "hsubpd", "movsldup", "movshdup",
  "pshufb", "pabsb", "pabsw", "pabsd", "psignb", "psignw", "psignd", "pmulhrsw", "phaddw", "phaddd", "phaddsw", "phsubw", "phsubd", "phsubsw", "pmaddubsw",
  "pminsb", "pmaxsb", "pminuw", "pmaxuw", "pminsd", "pmaxsd", "pminud", "pmaxud", "pmulld", "pmuldq", "pcmpeqq", "pcmpgtq", "packusdw", "phminposuw", "ptest",
  "pmovsxbw", "pmovzxbw", "pmovsxbd", "pmovzxbd", "pmovsxbq", "pmovzxbq", "pmovsxwd", "pmovzxwd", "pmovsxwq", "pmovzxwq", "pmovsxdq", "pmovzxdq",
];
/** Extra SSE operands: near overflow and underflow, exact and inexact results. */
const F64_SSE = [0x0010000000000000n, 0x0010000000000001n, 0x800fffffffffffffn, 0x3ff8000000000000n, 0x4008000000000000n, 0xc010000000000000n, 0x3fb999999999999an, 0x7fe0000000000000n, 0xffdfffffffffffffn, 0x1ff0000000000000n, 0x5ff0000000000000n, 0x2000000000000001n, 0x3ff0000000000001n, 0x3fefffffffffffffn, 0x7ff0000000000001n, 0xfff8000000000001n];
const F32_SSE = [0x00800000, 0x00800001, 0x807fffff, 0x3fc00000, 0x40400000, 0xc0800000, 0x3dcccccd, 0x7f000000, 0xff7fffff, 0x1f800000, 0x5f800000, 0x20000001, 0x3f800001, 0x3f7fffff, 0x7f800001, 0xffc00001];

function sseMem(g: Gen): bigint[] {
  return fpMem(g).map((v) => {
    const k = g.int(4);
    if (k === 0) return g.pick(F64_SSE);
    if (k === 1) return (BigInt(g.pick(F32_SSE)) << 32n) | BigInt(g.pick([...F32_SSE, ...F32_EDGE]));
    return v;
  });
}

/** Random MXCSR: rounding control, FTZ, DAZ, sometimes pre-set flags; exceptions masked. */
function mxcsr(g: Gen): number {
  if (g.int(3) === 0) return 0x1f80;
  return 0x1f80 | (g.int(4) << 13) | (g.int(2) ? 0x8000 : 0) | (g.int(2) ? 0x40 : 0) | (g.int(4) === 0 ? g.int(64) : 0);
}

const SSE_SCALAR = ["addss", "addsd", "subss", "subsd", "mulss", "mulsd", "divss", "divsd", "minss", "minsd", "maxss", "maxsd", "sqrtss", "sqrtsd", "cvtss2sd", "cvtsd2ss", "cvtps2pd", "cvtdq2pd"];
const SSE_IMM = ["pshufd", "pshuflw", "pshufhw", "shufps", "shufpd", "cmpps", "cmppd", "cmpss", "cmpsd", "palignr", "blendps", "blendpd", "pblendw", "roundps", "roundpd", "roundss", "roundsd", "mpsadbw", "insertps"];

FAMILIES.sse = (g) => {
  const kind = g.int(7);
  const src = g.int(2) ? "xmm1" : "xmmword ptr [rip+m+16]";
  let op: string;
  if (kind <= 2) {
    const name = g.pick(SSE_PACKED);
    const memSrc = /^pmov[sz]x/.test(name) ? "xmm1" : /^(psll|psrl|psra)[wdq]$/.test(name) ? (g.int(2) ? "xmm1" : "xmmword ptr [rip+m+16]") : src;
    op = `${name} xmm0, ${memSrc}`;
    if (/^(psll|psrl|psra)[wdq]$/.test(name) && g.int(2)) op = `${name} xmm0, ${g.int(70)}`;
  } else if (kind === 3) {
    const name = g.pick(SSE_SCALAR);
    const sz = name === "cvtsd2ss" ? "qword" : name.endsWith("ss") || name === "cvtss2sd" ? "dword" : "qword";
    op = `${name} xmm0, ${g.int(2) ? "xmm1" : `${sz} ptr [rip+m+16]`}`;
  } else if (kind === 4) {
    const name = g.pick(SSE_IMM);
    const s2 = src === "xmm1" ? src : name === "cmpss" || name === "roundss" || name === "insertps" ? "dword ptr [rip+m+16]" : name === "cmpsd" || name === "roundsd" ? "qword ptr [rip+m+16]" : src;
    op = `${name} xmm0, ${s2}, ${name.startsWith("cmp") ? g.int(8) : name.startsWith("round") ? g.int(16) : g.int(256)}`;
  }
  else {
    const c = g.int(5);
    if (c === 0) op = `cvtsi2sd xmm0, ${g.pick(["rbx", "ebx", "qword ptr [rip+m+16]"])}`;
    else if (c === 1) op = `cvtsi2ss xmm0, ${g.pick(["rbx", "ebx", "dword ptr [rip+m+16]"])}`;
    else if (c === 2) op = `${g.pick(["cvttsd2si", "cvtsd2si"])} ${g.pick(["rax", "eax"])}, ${g.int(2) ? "xmm1" : "qword ptr [rip+m+16]"}`;
    else if (c === 3) op = `${g.pick(["cvttss2si", "cvtss2si"])} ${g.pick(["rax", "eax"])}, ${g.int(2) ? "xmm1" : "dword ptr [rip+m+16]"}`;
    else if (g.int(2)) op = `${g.pick(["ucomisd", "comisd"])} xmm0, xmm1\nsetc al\nsetz ah\nsetp bl\n${g.pick(["ucomiss", "comiss"])} xmm1, xmm0\nseta bh`;
    else {
      const k = g.int(6);
      const v = g.int(16);
      op = [
        `pinsrb xmm0, ${g.pick(["ebx", "byte ptr [rip+m+16]"])}, ${v}`,
        `pinsrd xmm0, ${g.pick(["ebx", "dword ptr [rip+m+16]"])}, ${v & 3}`,
        `pinsrq xmm0, ${g.pick(["rbx", "qword ptr [rip+m+16]"])}, ${v & 1}`,
        `pextrb ${g.pick(["eax", "byte ptr [rip+m+16]"])}, xmm0, ${v}`,
        `pextrd ${g.pick(["eax", "dword ptr [rip+m+16]"])}, xmm0, ${v & 3}\npextrq rcx, xmm1, ${v & 1}`,
        `pextrw ${g.pick(["eax", "word ptr [rip+m+16]"])}, xmm0, ${v & 7}\nextractps edx, xmm1, ${v & 3}`,
      ][k];
    }
  }
  // MXCSR: loaded from m+120 before the operation, stored (with the flags raised) to m+124
  const mem = sseMem(g);
  const mx = mxcsr(g);
  mem[15] = BigInt(mx);
  const code = `movdqu xmm0, xmmword ptr [rip+m]\nmovdqu xmm1, xmmword ptr [rip+m+16]\nldmxcsr dword ptr [rip+m+120]\n${op}\nstmxcsr dword ptr [rip+m+124]\nmovdqu xmmword ptr [rip+m+32], xmm0\nmovdqu xmmword ptr [rip+m+48], xmm1\npmovmskb ecx, xmm0\nmovmskps edx, xmm0\nmovmskpd esi, xmm1\nmovq rdi, xmm0`;
  return { name: `${op.split("\n")[0]} (mxcsr 0x${mx.toString(16)})`, code, regs: regs(g), flags: g.flags(), mem, undef: 0 };
};

FAMILIES.x87 = (g) => {
  const ops = [
    "fadd st, st(1)", "fsub st, st(1)", "fsubr st, st(1)", "fmul st, st(1)", "fdiv st, st(1)", "fdivr st, st(1)",
    "faddp st(1), st", "fsubp st(1), st", "fmulp st(1), st", "fdivp st(1), st",
    "fadd qword ptr [rip+m+16]", "fmul dword ptr [rip+m+24]", "fdiv qword ptr [rip+m+16]", "fisub dword ptr [rip+m+16]", "fiadd word ptr [rip+m+18]",
    "fsqrt", "fabs", "fchs", "frndint", "fscale", "fxtract", "fprem", "fprem1", "fxch st(1)", "fld1", "fldz", "fldpi", "fldl2e", "fldln2",
    "fcomi st, st(1)", "fucomip st, st(1)", "fcom st(1)", "ftst", "fxam",
  ];
  const op = g.pick(ops);
  const load = g.int(3) === 0 ? "fild qword ptr [rip+m+8]\nfild dword ptr [rip+m]" : g.int(2) ? "fld qword ptr [rip+m+8]\nfld qword ptr [rip+m]" : "fld dword ptr [rip+m+12]\nfld dword ptr [rip+m+4]";
  const rc = g.int(4) === 0 ? `mov word ptr [rip+m+120], ${0x37f | (g.int(4) << 10) | (g.pick([0, 2, 3]) << 8)}\nfldcw word ptr [rip+m+120]\n` : "";
  const code = `fninit\n${rc}${load}\n${op}\nfnstsw ax\nfstp tbyte ptr [rip+m+32]\nfstp tbyte ptr [rip+m+48]\nmov rbx, rax\nfnstsw ax\nfild qword ptr [rip+m+8]\nfistp dword ptr [rip+m+64]\nfld qword ptr [rip+m]\nfstp dword ptr [rip+m+68]\nfninit`;
  // the status word's C1 after stack faults and rounding is compared through ax/bx; TOP bits too
  return { name: op, code, regs: regs(g), flags: g.flags(), mem: fpMem(g), undef: op.startsWith("fcom") || op.startsWith("fucom") ? 0 : 0 };
};

// ---- SSSE3 MMX forms, SSE4.1/4.2 instructions the sse family leaves out, SSE4.2 string instructions ----

const SSSE3 = ["pshufb", "phaddw", "phaddd", "phaddsw", "phsubw", "phsubd", "phsubsw", "pmaddubsw", "pmulhrsw", "psignb", "psignw", "psignd", "pabsb", "pabsw", "pabsd", "palignr"];

/**
 * SSSE3 on MM registers: two MMX registers loaded and the tags emptied, an
 * x87 value sometimes pushed (TOP != 0), then the operation (register or
 * unaligned memory source); the result, both registers and the x87 control,
 * status (TOP) and tag words (fnstenv; the instruction pointers are cleared)
 * are compared.
 */
FAMILIES.ssse3mmx = (g) => {
  const name = g.pick(SSSE3);
  const d = g.int(8);
  const s = g.int(8);
  const srcOp = g.int(3) === 0 ? `qword ptr [rip+m+${16 + g.int(16)}]` : `mm${s}`;
  const imm = name === "palignr" ? `, ${g.int(4) === 0 ? g.pick([0, 8, 15, 16, 17, 255]) : g.int(20)}` : "";
  const op = `${name} mm${d}, ${srcOp}${imm}`;
  const push = g.pick(["", "fld1\n", "fld qword ptr [rip+m+24]\nfld1\n"]);
  const code = `fninit\nmovq mm${s}, qword ptr [rip+m+8]\nmovq mm${d}, qword ptr [rip+m]\nemms\n${push}${op}\nfnstenv [rip+m+96]\nmovq qword ptr [rip+m+32], mm${d}\nmovq qword ptr [rip+m+40], mm${s}\nmov qword ptr [rip+m+108], 0\nmov qword ptr [rip+m+116], 0\nfninit`;
  return { name: op, code, regs: regs(g), flags: g.flags(), mem: mem(g), undef: 0 };
};

const PMOVX = ["bw", "bd", "bq", "wd", "wq", "dq"];
const PMOVX_BYTES: Record<string, string> = { bw: "qword", bd: "dword", bq: "word", wd: "qword", wq: "dword", dq: "qword" };

/**
 * SSE4.1/4.2 forms not in the sse family: dpps/dppd (float edge data, random
 * MXCSR as in the sse family, the resulting MXCSR compared), variable blends
 * (xmm0 mask), movntdqa, pmovsx/zx from memory, crc32, popcnt.
 */
FAMILIES.sse4x = (g) => {
  const k = g.int(8);
  const mSrc = g.int(2) ? "xmm1" : "xmmword ptr [rip+m+16]";
  let op: string;
  let data = fpMem(g);
  let name = "";
  if (k <= 3) {
    const dp = g.pick(["dpps", "dppd"]);
    op = `${dp} xmm2, ${mSrc}, ${g.int(4) === 0 ? g.pick([0xff, 0xf1, 0x31, 0x33, 0x0f, 0xf0]) : g.int(256)}`;
    // dense float edge values (NaNs with payloads, infinities, zeros, denormals) and values near overflow and underflow in every lane
    const f32 = () => (g.int(2) ? g.pick(F32_EDGE) ^ (g.int(2) ? 0 : g.int(4)) : g.pick(F32_SSE));
    data = data.map((v) => (g.int(3) === 0 ? v : dp === "dppd" ? (g.int(2) ? g.pick(F64_EDGE) ^ BigInt(g.int(2) ? 0 : g.int(8)) : g.pick(F64_SSE)) : (BigInt(f32()) << 32n) | BigInt(f32())));
    // MXCSR: loaded from m+120 before the operation, stored (with the flags raised) to m+124
    const mx = mxcsr(g);
    data[15] = BigInt(mx);
    name = `${op} (mxcsr 0x${mx.toString(16)})`;
    op = `ldmxcsr dword ptr [rip+m+120]\n${op}\nstmxcsr dword ptr [rip+m+124]`;
  }
  else if (k === 4) op = `${g.pick(["pblendvb", "blendvps", "blendvpd"])} xmm2, ${mSrc}`;
  else if (k === 5) {
    const t = g.pick(PMOVX);
    const at = `[rip+m+${16 + g.int(16)}]`;
    const v = g.int(16);
    op = [
      "movntdqa xmm2, xmmword ptr [rip+m+16]",
      `pmov${g.pick(["s", "z"])}x${t} xmm2, ${PMOVX_BYTES[t]} ptr ${at}`,
      `pmov${g.pick(["s", "z"])}x${t} xmm2, ${PMOVX_BYTES[t]} ptr ${at}`,
      `extractps dword ptr ${at}, xmm1, ${v & 3}`,
      `pextrq qword ptr ${at}, xmm1, ${v & 1}`,
      `pextrd r9d, xmm1, ${v & 3}\npextrb r10, xmm1, ${v}\npinsrb xmm2, r11d, ${v}`,
    ][g.int(6)];
  } else if (k === 6) {
    const size = g.pick([1, 2, 4, 8]);
    const dst = size === 8 ? g.pick(["rax", "r9"]) : g.pick(["eax", "r9d"]);
    op = `crc32 ${dst}, ${g.int(2) ? memOp(g, size) : NAMES[size][g.pick(["rbx", "rsi", "r12"] as RegName[])]}`;
  } else {
    const size = g.pick([2, 4, 8]);
    op = `popcnt ${NAMES[size].rax}, ${g.int(2) ? memOp(g, size) : NAMES[size][g.pick(["rbx", "rsi", "r12"] as RegName[])]}`;
  }
  const code = `movdqu xmm0, xmmword ptr [rip+m+48]\nmovdqu xmm1, xmmword ptr [rip+m+16]\nmovdqu xmm2, xmmword ptr [rip+m]\n${op}\nmovdqu xmmword ptr [rip+m+32], xmm2\nmovdqu xmmword ptr [rip+m+64], xmm0`;
  // the MXCSR flags of dpps/dppd differ between Intel and AMD (we follow AMD)
  return { name: name || op, code, regs: regs(g), flags: g.flags(), mem: data, undef: 0, vendor: k <= 3 };
};

/** AES-NI, PCLMULQDQ, SHA-NI and GFNI (xmm2 op= xmm1 or m128, xmm0 the implicit sha256rnds2 operand); one to three in a row. */
const CRYPTO_OPS = ["aesenc", "aesenclast", "aesdec", "aesdeclast", "aesimc", "aeskeygenassist #", "pclmulqdq #", "sha1rnds4 #", "sha1nexte", "sha1msg1", "sha1msg2", "sha256rnds2", "sha256msg1", "sha256msg2", "gf2p8mulb", "gf2p8affineqb #", "gf2p8affineinvqb #"];
FAMILIES.crypto = (g) => {
  const ops: string[] = [];
  for (let n = g.int(3) + 1; n > 0; n--) {
    const [mn, imm] = g.pick(CRYPTO_OPS).split(" ");
    const s = g.int(2) ? "xmm1" : "xmmword ptr [rip+m+16]";
    const i = !imm ? "" : mn === "sha1rnds4" ? `, ${g.int(4)}` : mn === "pclmulqdq" && g.int(2) ? `, ${g.pick([0, 1, 0x10, 0x11])}` : `, ${g.int(256)}`;
    ops.push(`${mn} xmm2, ${s}${i}`);
  }
  const data = Array.from({ length: 16 }, () => (g.int(4) === 0 ? g.u64() : (BigInt(g.r()) << 32n) | BigInt(g.r())));
  const code = `movdqu xmm0, xmmword ptr [rip+m+48]\nmovdqu xmm1, xmmword ptr [rip+m+16]\nmovdqu xmm2, xmmword ptr [rip+m]\n${ops.join("\n")}\nmovdqu xmmword ptr [rip+m+32], xmm2`;
  return { name: ops.join("; "), code, regs: regs(g), flags: g.flags(), mem: data };
};

/** String data with repeats, zeros and sign-bit bytes: a small alphabet most of the time. */
function strMem(g: Gen): bigint[] {
  const alpha = g.pick([[0x61, 0x62, 0x63, 0], [0x61, 0x62, 0x41, 0x7a, 0x30, 0x80, 0xff, 0x7f], [0x61, 0x62, 0x61, 0x62, 0x63], [0, 1, 0xff, 0x80]]);
  const zeros = g.int(3) === 0 ? 0 : g.int(40) + 1;
  const bytes = Array.from({ length: 128 }, () => (g.int(zeros || 1000) === 0 ? 0 : g.int(4) === 0 ? g.int(256) : g.pick(alpha)));
  if (g.int(4) === 0) for (let j = 0; j < 16; j++) bytes[16 + j] = bytes[g.int(16)]; // second source made of the first's elements
  if (g.int(4) === 0) for (let j = 0; j < 8; j++) bytes[16 + g.int(8) + j] = bytes[j]; // first source occurs in the second
  const out: bigint[] = [];
  for (let q = 0; q < 16; q++) {
    let v = 0n;
    for (let b = 7; b >= 0; b--) v = (v << 8n) | BigInt(bytes[q * 8 + b]);
    out.push(v);
  }
  return out;
}

const LEN_EDGE = [0n, 1n, 7n, 8n, 9n, 15n, 16n, 17n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xfffffff0n, 0x100000000n, 0x100000003n, 0xfffffffffffffff8n, 0xfffffffffffffff0n, 0xffffffff00000000n, 0x8000000000000000n, 0xffffffff00000004n];

/**
 * pcmpestri/pcmpestrm/pcmpistri/pcmpistrm: every imm8 (format, aggregation,
 * polarity, output selection), register or unaligned memory second source,
 * explicit lengths in eax/edx or rax/rdx (REX.W) from small, negative, large
 * and saturating values; rcx, the flags and xmm0 are compared.
 */
FAMILIES.sse42str = (g) => {
  const name = g.pick(["pcmpestri", "pcmpestrm", "pcmpistri", "pcmpistrm"]);
  const a = g.pick([1, 3, 4]);
  const srcOp = g.int(3) === 0 ? `xmmword ptr [rip+m+${16 + g.int(16)}]` : "xmm2";
  const imm = g.int(256);
  const rexW = name.startsWith("pcmpe") && g.int(3) === 0 ? "rex.w " : "";
  const op = `${rexW}${name} xmm${a}, ${srcOp}, ${imm}`;
  const rs = regs(g);
  const len = () => (g.int(3) === 0 ? g.pick(LEN_EDGE) : BigInt.asUintN(64, BigInt(g.int(40) - 20)));
  rs.rax = len();
  rs.rdx = len();
  const code = `movdqu xmm${a}, xmmword ptr [rip+m]\nmovdqu xmm2, xmmword ptr [rip+m+16]\nmovdqu xmm0, xmmword ptr [rip+m+48]\n${op}\nmovdqu xmmword ptr [rip+m+64], xmm0\nmovdqu xmmword ptr [rip+m+80], xmm${a}`;
  return { name: op, code, regs: rs, flags: g.flags(), mem: strMem(g), undef: 0 };
};

export const FAMILY_NAMES = Object.keys(FAMILIES);
