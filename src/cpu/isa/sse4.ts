/**
 * SSE3, SSSE3 and SSE4.1 (plus pcmpgtq from SSE4.2). Same conventions as
 * sse-core.ts: the source operand is read into a scratch, results are built
 * in a second scratch and then written to the destination register. The
 * SSSE3 operations also have MMX forms (no 66 prefix, MM registers, 8-byte
 * operands): their handlers take the operand width from the instruction.
 */
import { K_MEM, K_MMX, K_XMM, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, SIGSEGV, SI_KERNEL } from "../exceptions.js";
import { getFlags, setFlags } from "../flags.js";
import { ea, getReg, setReg } from "../ops.js";
import { register } from "../registry.js";
import { mmxWrite, result32, result64 } from "./sse-core.js";
import { ADD, arith, FP, fpBegin, fpEnd, IE, isSNaN32, isSNaN64, LANE32, LANE64, MUL, roundLane, SUB } from "./sse-fp.js";
import { D32, DF32, DF64, DI16, DI8, DU16, DU8, R32, RF32, RF64, RI16, RI8, RU16, RU8, S32, SF32, SF64, SI16, SI8, SU16, SU8 } from "./sse-scratch.js";

/** Operand width in bytes: 8 for an MMX form, 16 for an XMM form. */
function width(i: Insn): 8 | 16 {
  return i.k0 === K_MMX ? 8 : 16;
}

/**
 * Load the source operand into S32: an xmm or mmx register, or `bytes` of
 * memory (16-byte memory operands must be aligned unless `unaligned`; 8-byte
 * MMX operands never are checked). Lanes past the operand read as 0.
 */
export function src(c: CPU, i: Insn, bytes = 16, unaligned = false): void {
  if (i.k1 === K_XMM) {
    for (let j = 0; j < 4; j++) S32[j] = c.xmm[i.r1 * 4 + j];
    return;
  }
  if (i.k1 === K_MMX) {
    const f = c.fprView;
    S32[0] = f.getInt32(i.r1 * 16, true);
    S32[1] = f.getInt32(i.r1 * 16 + 4, true);
    S32[2] = 0;
    S32[3] = 0;
    return;
  }
  const a = ea(c, i);
  if (bytes === 16 && !unaligned && a % 16 !== 0) throw new CpuException(SIGSEGV, SI_KERNEL, 0, "general protection (misaligned 16-byte SSE access)");
  const m = c.mem;
  S32.fill(0);
  if (bytes >= 4) for (let j = 0; j < bytes / 4; j++) S32[j] = m.read32(a + 4 * j);
  else if (bytes === 2) S32[0] = m.read16(a);
  else S32[0] = m.read8(a);
}

/** Copy the destination register (xmm, or mmx with zero upper lanes) into D32. */
export function dst(c: CPU, i: Insn): void {
  if (i.k0 === K_MMX) {
    const f = c.fprView;
    D32[0] = f.getInt32(i.r0 * 16, true);
    D32[1] = f.getInt32(i.r0 * 16 + 4, true);
    D32[2] = 0;
    D32[3] = 0;
    return;
  }
  for (let j = 0; j < 4; j++) D32[j] = c.xmm[i.r0 * 4 + j];
}

/** Write R32 to the destination register (an mmx write also sets TOP = 0 and all tags valid). */
function commit(c: CPU, i: Insn): void {
  if (i.k0 === K_MMX) mmxWrite(c, i.r0, R32[0], R32[1]);
  else for (let j = 0; j < 4; j++) c.xmm[i.r0 * 4 + j] = R32[j];
}

/** Load source (MMX or XMM width) and destination. */
function operands(c: CPU, i: Insn): number {
  const n = width(i);
  src(c, i, n);
  dst(c, i);
  return n;
}

/** dst = f(dst, src) lane-wise on 8/16/32-bit signed or unsigned lanes (MMX or XMM width). */
function lanes(width: 8 | 16 | 32, signed: boolean, fn: (a: number, b: number) => number) {
  return (c: CPU, i: Insn) => {
    const n = (operands(c, i) * 8) / width;
    if (width === 8) for (let j = 0; j < n; j++) (signed ? RI8 : RU8)[j] = fn(signed ? DI8[j] : DU8[j], signed ? SI8[j] : SU8[j]);
    else if (width === 16) for (let j = 0; j < n; j++) (signed ? RI16 : RU16)[j] = fn(signed ? DI16[j] : DU16[j], signed ? SI16[j] : SU16[j]);
    else for (let j = 0; j < n; j++) R32[j] = fn(signed ? D32[j] : D32[j] >>> 0, signed ? S32[j] : S32[j] >>> 0);
    commit(c, i);
  };
}
const min = (a: number, b: number) => (a < b ? a : b);
const max = (a: number, b: number) => (a > b ? a : b);
register("pminsb", lanes(8, true, min));
register("pmaxsb", lanes(8, true, max));
register("pminuw", lanes(16, false, min));
register("pmaxuw", lanes(16, false, max));
register("pminsd", lanes(32, true, min));
register("pmaxsd", lanes(32, true, max));
register("pminud", lanes(32, false, min));
register("pmaxud", lanes(32, false, max));
register("pmulld", lanes(32, true, (a, b) => Math.imul(a, b)));
register("pabsb", lanes(8, true, (_a, b) => Math.abs(b)));
register("pabsw", lanes(16, true, (_a, b) => Math.abs(b)));
register("pabsd", lanes(32, true, (_a, b) => Math.abs(b) | 0));
register("psignb", lanes(8, true, (a, b) => (b < 0 ? -a : b === 0 ? 0 : a)));
register("psignw", lanes(16, true, (a, b) => (b < 0 ? -a : b === 0 ? 0 : a)));
register("psignd", lanes(32, true, (a, b) => (b < 0 ? -a | 0 : b === 0 ? 0 : a)));
register("pmulhrsw", lanes(16, true, (a, b) => (((a * b) >> 14) + 1) >> 1));

/** 64-bit lane compares (pcmpeqq, pcmpgtq). */
function cmp64(gt: boolean) {
  return (c: CPU, i: Insn) => {
    src(c, i);
    dst(c, i);
    for (let j = 0; j < 4; j += 2) {
      const eq = D32[j] === S32[j] && D32[j + 1] === S32[j + 1];
      const greater = D32[j + 1] > S32[j + 1] || (D32[j + 1] === S32[j + 1] && D32[j] >>> 0 > S32[j] >>> 0);
      const v = (gt ? greater : eq) ? -1 : 0;
      R32[j] = v;
      R32[j + 1] = v;
    }
    commit(c, i);
  };
}
register("pcmpeqq", cmp64(false));
register("pcmpgtq", cmp64(true));

register("pmuldq", (c, i) => {
  src(c, i);
  dst(c, i);
  for (let j = 0; j < 2; j++) {
    const p = BigInt.asUintN(64, BigInt(D32[2 * j]) * BigInt(S32[2 * j]));
    R32[2 * j] = Number(p & 0xffffffffn) | 0;
    R32[2 * j + 1] = Number(p >> 32n) | 0;
  }
  commit(c, i);
});

register("pshufb", (c, i) => {
  const n = operands(c, i);
  for (let j = 0; j < n; j++) RU8[j] = SU8[j] & 0x80 ? 0 : DU8[SU8[j] & (n - 1)];
  commit(c, i);
});

register("palignr", (c, i) => {
  const n = operands(c, i);
  const shift = i.imm & 0xff;
  for (let j = 0; j < n; j++) {
    const k = j + shift; // index into the 2n-byte concatenation dst:src
    RU8[j] = k < n ? SU8[k] : k < 2 * n ? DU8[k - n] : 0;
  }
  commit(c, i);
});

const sat16 = (v: number) => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);

/** Horizontal add/sub on adjacent pairs: low half of the result from dst, high half from src. */
function horizontal(width: 16 | 32, op: (a: number, b: number) => number, sat: boolean) {
  return (c: CPU, i: Insn) => {
    const half = (operands(c, i) * 4) / width; // result lanes per source
    for (let j = 0; j < half; j++) {
      if (width === 16) {
        const a = op(DI16[2 * j], DI16[2 * j + 1]);
        const b = op(SI16[2 * j], SI16[2 * j + 1]);
        RI16[j] = sat ? sat16(a) : a;
        RI16[half + j] = sat ? sat16(b) : b;
      } else {
        R32[j] = op(D32[2 * j], D32[2 * j + 1]) | 0;
        R32[half + j] = op(S32[2 * j], S32[2 * j + 1]) | 0;
      }
    }
    commit(c, i);
  };
}
register("phaddw", horizontal(16, (a, b) => a + b, false));
register("phaddd", horizontal(32, (a, b) => a + b, false));
register("phaddsw", horizontal(16, (a, b) => a + b, true));
register("phsubw", horizontal(16, (a, b) => a - b, false));
register("phsubd", horizontal(32, (a, b) => a - b, false));
register("phsubsw", horizontal(16, (a, b) => a - b, true));

register("pmaddubsw", (c, i) => {
  const n = operands(c, i) / 2;
  for (let j = 0; j < n; j++) RI16[j] = sat16(DU8[2 * j] * SI8[2 * j] + DU8[2 * j + 1] * SI8[2 * j + 1]);
  commit(c, i);
});

// ---- SSE4.1 blends, inserts, extracts, rounding, tests ----------------------------------

function blend(width: 8 | 16 | 32 | 64, variable: boolean) {
  return (c: CPU, i: Insn) => {
    src(c, i);
    dst(c, i);
    const n = 16 / (width / 8);
    const x0 = c.xmm; // xmm0 holds the variable mask
    for (let j = 0; j < n; j++) {
      let take: boolean;
      if (variable) {
        const topByte = (j + 1) * (width / 8) - 1;
        take = (c.xmmU8[topByte] & 0x80) !== 0;
      } else take = ((i.imm >> (width === 16 ? j : j)) & 1) !== 0;
      for (let b = 0; b < width / 8; b++) RU8[j * (width / 8) + b] = take ? SU8[j * (width / 8) + b] : DU8[j * (width / 8) + b];
    }
    void x0;
    commit(c, i);
  };
}
register("pblendvb", blend(8, true));
register("blendvps", blend(32, true));
register("blendvpd", blend(64, true));
register("blendps", blend(32, false));
register("blendpd", blend(64, false));
register("pblendw", blend(16, false));

register("ptest", (c, i) => {
  src(c, i);
  dst(c, i);
  let and = 0;
  let andn = 0;
  for (let j = 0; j < 4; j++) {
    and |= D32[j] & S32[j];
    andn |= ~D32[j] & S32[j];
  }
  setFlags(c, (getFlags(c) & ~0x8d5) | (and === 0 ? 0x40 : 0) | (andn === 0 ? 1 : 0));
});

function pinsr(bytes: 1 | 4 | 8) {
  return (c: CPU, i: Insn) => {
    const size = bytes === 4 && i.rexW ? 8 : bytes;
    let lo: number;
    let hi = 0;
    if (i.k1 === K_MEM) {
      const a = ea(c, i);
      lo = size === 1 ? c.mem.read8(a) : c.mem.read32(a);
      if (size === 8) hi = c.mem.read32(a + 4);
    } else {
      lo = getReg(c, i.r1, size === 8 ? 8 : 4);
      hi = c.hi;
    }
    if (size === 1) c.xmmU8[i.r0 * 16 + (i.imm & 15)] = lo;
    else if (size === 4) c.xmm[i.r0 * 4 + (i.imm & 3)] = lo;
    else {
      const k = (i.imm & 1) * 2;
      c.xmm[i.r0 * 4 + k] = lo;
      c.xmm[i.r0 * 4 + k + 1] = hi;
    }
  };
}
register("pinsrb", pinsr(1));
register("pinsrd", pinsr(4));

function pextr(bytes: 1 | 2 | 4) {
  return (c: CPU, i: Insn) => {
    const size = bytes === 4 && i.rexW ? 8 : bytes;
    const x = i.r1;
    let lo: number;
    let hi = 0;
    if (size === 1) lo = c.xmmU8[x * 16 + (i.imm & 15)];
    else if (size === 2) lo = c.xmmU16[x * 8 + (i.imm & 7)];
    else if (size === 4) lo = c.xmm[x * 4 + (i.imm & 3)];
    else {
      const k = (i.imm & 1) * 2;
      lo = c.xmm[x * 4 + k];
      hi = c.xmm[x * 4 + k + 1];
    }
    if (i.k0 === K_MEM) {
      const a = ea(c, i);
      if (size === 1) c.mem.write8(a, lo);
      else if (size === 2) c.mem.write16(a, lo);
      else if (size === 4) c.mem.write32(a, lo);
      else c.mem.write64(a, lo, hi);
    } else setReg(c, i.r0, size === 8 ? 8 : 4, lo, hi);
  };
}
register("pextrb", pextr(1));
register("pextrd", pextr(4));
register("extractps", pextr(4));
/** pextrw: 0F C5 (register destination, xmm or mmx source) and 66 0F 3A 15 (register or memory destination). */
const pextrw16 = pextr(2);
register("pextrw", (c, i) => {
  if (i.map === 3) return pextrw16(c, i);
  const v = i.k1 === K_MMX ? c.fprView.getUint16(i.r1 * 16 + 2 * (i.imm & 3), true) : c.xmmU16[i.r1 * 8 + (i.imm & 7)];
  setReg(c, i.r0, 4, v, 0);
});

register("insertps", (c, i) => {
  const imm = i.imm & 0xff;
  let v: number;
  if (i.k1 === K_XMM) v = c.xmm[i.r1 * 4 + ((imm >> 6) & 3)];
  else v = c.mem.read32(ea(c, i));
  const d = i.r0 * 4;
  c.xmm[d + ((imm >> 4) & 3)] = v;
  for (let j = 0; j < 4; j++) if (imm & (1 << j)) c.xmm[d + j] = 0;
});

function pmovx(from: 1 | 2 | 4, to: 2 | 4 | 8, signed: boolean) {
  return (c: CPU, i: Insn) => {
    const n = 16 / to;
    src(c, i, n * from, true);
    for (let j = 0; j < n; j++) {
      let v = from === 1 ? (signed ? SI8[j] : SU8[j]) : from === 2 ? (signed ? SI16[j] : SU16[j]) : signed ? S32[j] : S32[j] >>> 0;
      if (to === 2) RI16[j] = v;
      else if (to === 4) R32[j] = v;
      else {
        R32[2 * j] = v | 0;
        R32[2 * j + 1] = signed ? (v < 0 ? -1 : 0) : 0;
      }
      v = 0;
    }
    commit(c, i);
  };
}
for (const [name, from, to] of [
  ["bw", 1, 2],
  ["bd", 1, 4],
  ["bq", 1, 8],
  ["wd", 2, 4],
  ["wq", 2, 8],
  ["dq", 4, 8],
] as const) {
  register(`pmovsx${name}`, pmovx(from, to, true));
  register(`pmovzx${name}`, pmovx(from, to, false));
}

/** roundps/pd/ss/sd: imm bit 2 selects MXCSR.RC, else imm bits 0-1. */
function roundMode(c: CPU, imm: number): number {
  return imm & 4 ? (c.mxcsr >> 13) & 3 : imm & 3;
}
function roundOp(width: 32 | 64, scalar: boolean) {
  return (c: CPU, i: Insn) => {
    src(c, i, scalar ? width / 8 : 16);
    dst(c, i);
    const mode = roundMode(c, i.imm);
    const noPE = (i.imm & 8) !== 0; // imm bit 3 suppresses the precision exception
    for (let j = 0; j < 4; j++) R32[j] = D32[j];
    const n = scalar ? 1 : 128 / width;
    fpBegin(c);
    for (let j = 0; j < n; j++) {
      if (width === 64) {
        const v = SF64[j];
        if (v !== v) {
          if (isSNaN64(S32[2 * j + 1], S32[2 * j])) FP.pre |= IE;
          R32[2 * j] = S32[2 * j];
          R32[2 * j + 1] = S32[2 * j + 1] | 0x80000;
        } else RF64[j] = roundLane(v, mode, false, noPE);
      } else {
        const v = SF32[j];
        if (v !== v) {
          if (isSNaN32(S32[j])) FP.pre |= IE;
          R32[j] = S32[j] | 0x400000;
        } else RF32[j] = roundLane(v, mode, true, noPE);
      }
    }
    fpEnd(c, i);
    commit(c, i);
  };
}
register("roundps", roundOp(32, false));
register("roundpd", roundOp(64, false));
register("roundss", roundOp(32, true));
register("roundsd", roundOp(64, true));

register("phminposuw", (c, i) => {
  src(c, i);
  let best = 0;
  for (let j = 1; j < 8; j++) if (SU16[j] < SU16[best]) best = j;
  R32.fill(0);
  RU16[0] = SU16[best];
  RU16[1] = best;
  commit(c, i);
});

register("mpsadbw", (c, i) => {
  src(c, i);
  dst(c, i);
  const so = (i.imm & 3) * 4;
  const dOff = ((i.imm >> 2) & 1) * 4;
  for (let j = 0; j < 8; j++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += Math.abs(DU8[dOff + j + k] - SU8[so + k]);
    RU16[j] = s;
  }
  commit(c, i);
});

/** Partial results of dpps/dppd, as raw lanes with float views. */
const DP = new Int32Array(4);
const DPF32 = new Float32Array(DP.buffer);
const DPF64 = new Float64Array(DP.buffer);
const MUL32 = LANE32[MUL];
const ADD32 = LANE32[ADD];
const MUL64 = LANE64[MUL];
const ADD64 = LANE64[ADD];

/** Sum of the float32 partial results DP[x] + DP[y] per MXCSR with the NaN rules of addps; returns its bits. */
function sum32(x: number, y: number): number {
  const a = DPF32[x];
  const b = DPF32[y];
  return result32(a, b, DP[x], DP[y], ADD32(a, b));
}

/**
 * dpps/dppd: the products selected by imm[7:4] (others +0.0, raising
 * nothing), summed pairwise (dpps: (p0 + p1) + (p2 + p3)); each operation
 * rounds per MXCSR with the NaN rules and flags of mulps/addps. The steps
 * (multiplies, first adds, last add) run in order, each ending like one
 * packed instruction: an unmasked exception raises #XM with the flags of the
 * steps before it, else its flags become sticky in MXCSR. The sum goes to the
 * lanes selected by imm[3:0] (others +0.0).
 */
register("dpps", (c, i) => {
  src(c, i);
  dst(c, i);
  const imm = i.imm & 0xff;
  fpBegin(c);
  for (let j = 0; j < 4; j++) DP[j] = imm & (16 << j) ? result32(DF32[j], SF32[j], D32[j], S32[j], MUL32(DF32[j], SF32[j])) : 0;
  fpEnd(c, i);
  fpBegin(c);
  const lo = sum32(0, 1);
  const hi = sum32(2, 3);
  fpEnd(c, i);
  DP[0] = lo;
  DP[1] = hi;
  fpBegin(c);
  const sum = sum32(0, 1);
  fpEnd(c, i);
  for (let j = 0; j < 4; j++) R32[j] = imm & (1 << j) ? sum : 0;
  commit(c, i);
});
register("dppd", (c, i) => {
  src(c, i);
  dst(c, i);
  const imm = i.imm & 0xff;
  fpBegin(c);
  for (let j = 0; j < 2; j++) {
    if (imm & (16 << j)) result64(DF64[j], SF64[j], D32[2 * j], D32[2 * j + 1], S32[2 * j], S32[2 * j + 1], MUL64(DF64[j], SF64[j]), DP, 2 * j);
    else DPF64[j] = 0;
  }
  fpEnd(c, i);
  fpBegin(c);
  const a = DPF64[0];
  const b = DPF64[1];
  result64(a, b, DP[0], DP[1], DP[2], DP[3], ADD64(a, b), DP, 0);
  fpEnd(c, i);
  for (let j = 0; j < 2; j++) {
    R32[2 * j] = imm & (1 << j) ? DP[0] : 0;
    R32[2 * j + 1] = imm & (1 << j) ? DP[1] : 0;
  }
  commit(c, i);
});

// ---- SSE3 ----------------------------------------------------------------------------

/** One float lane op k (ADD/SUB) per MXCSR with the x86 NaN rules (first NaN source propagates, invalid gives the default NaN). */
function f32op(k: number, a: number, aBits: number, b: number, bBits: number): number {
  return result32(a, b, aBits, bBits, arith(k, a, b, true));
}
function f64op(k: number, a: number, b: number, ai: number, bi: number, A: Int32Array, B: Int32Array, out: number): void {
  result64(a, b, A[2 * ai], A[2 * ai + 1], B[2 * bi], B[2 * bi + 1], arith(k, a, b, false), R32, out);
}

function addsub(width: 32 | 64) {
  return (c: CPU, i: Insn) => {
    src(c, i);
    dst(c, i);
    fpBegin(c);
    if (width === 32) for (let j = 0; j < 4; j++) R32[j] = f32op(j & 1 ? ADD : SUB, DF32[j], D32[j], SF32[j], S32[j]);
    else {
      f64op(SUB, DF64[0], SF64[0], 0, 0, D32, S32, 0);
      f64op(ADD, DF64[1], SF64[1], 1, 1, D32, S32, 2);
    }
    fpEnd(c, i);
    commit(c, i);
  };
}
register("addsubps", addsub(32));
register("addsubpd", addsub(64));
function hfp(width: 32 | 64, sub: boolean) {
  return (c: CPU, i: Insn) => {
    src(c, i);
    dst(c, i);
    const k = sub ? SUB : ADD;
    fpBegin(c);
    if (width === 32) {
      R32[0] = f32op(k, DF32[0], D32[0], DF32[1], D32[1]);
      R32[1] = f32op(k, DF32[2], D32[2], DF32[3], D32[3]);
      R32[2] = f32op(k, SF32[0], S32[0], SF32[1], S32[1]);
      R32[3] = f32op(k, SF32[2], S32[2], SF32[3], S32[3]);
    } else {
      f64op(k, DF64[0], DF64[1], 0, 1, D32, D32, 0);
      f64op(k, SF64[0], SF64[1], 0, 1, S32, S32, 2);
    }
    fpEnd(c, i);
    commit(c, i);
  };
}
register("haddps", hfp(32, false));
register("haddpd", hfp(64, false));
register("hsubps", hfp(32, true));
register("hsubpd", hfp(64, true));
register("movddup", (c, i) => {
  src(c, i, 8);
  R32[0] = S32[0];
  R32[1] = S32[1];
  R32[2] = S32[0];
  R32[3] = S32[1];
  commit(c, i);
});
register("movsldup", (c, i) => {
  src(c, i);
  R32[0] = S32[0];
  R32[1] = S32[0];
  R32[2] = S32[2];
  R32[3] = S32[2];
  commit(c, i);
});
register("movshdup", (c, i) => {
  src(c, i);
  R32[0] = S32[1];
  R32[1] = S32[1];
  R32[2] = S32[3];
  R32[3] = S32[3];
  commit(c, i);
});

