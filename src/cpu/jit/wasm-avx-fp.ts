/**
 * VEX floating point in WebAssembly SIMD: vadd/vsub/vmul/vdiv/vsqrt/vmin/vmax
 * ps/pd/ss/sd, vcmp ps/pd/ss/sd, vcvtdq2ps, vcvtdq2pd, vcvtps2pd, vcvtpd2ps,
 * vcvttps2dq, vcvttpd2dq and the FMA3 forms vf[n]madd/vf[n]msub
 * 132/213/231 ps/pd/ss/sd.
 *
 * WebAssembly's float operations round to nearest and keep denormals, as
 * x86 does with MXCSR's default, but they set no flags, return NaNs of
 * unspecified bits, and min/max differ. So every form computes its result
 * lanes together with a check, and writes them only when the check shows
 * that the x86 result and flags are exactly these; otherwise it calls the
 * interpreter's handler, which does everything (NaN propagation, DAZ/FTZ,
 * other rounding, unmasked exceptions, the exact flags).
 *
 * The check: operands are zero or normal (no NaN, no denormal: so no IE, no
 * DE, DAZ changes nothing), results are zero or above the smallest normal
 * and finite (no OE, no UE: tininess is detected after rounding, so a result
 * rounded to the smallest normal itself is refused; FTZ changes nothing),
 * a zero result is exact (x - x, 0 * y, sqrt(0); not an underflow). What
 * remains is PE (inexact), raised by nearly every operation: rather than
 * computing it, the rounding forms require MXCSR to have PE already set
 * (sticky: nothing to update), PM masked and RC nearest. Forms that never
 * round (min, max, compares, vcvtps2pd, vcvtdq2pd) need no MXCSR condition;
 * truncations compute their inexactness (trunc(x) != x) and need PE set only
 * when inexact; vcvtdq2ps is exact below 2^24.
 *
 * FMA (single precision): products of floats are exact in double, so
 * s = a*b + c rounded once to double, then to float, is the fused result
 * unless s is exactly a float midpoint while the double sum was inexact
 * (TwoSum gives its error); those lanes call the handler. Double FMA: see
 * emitFma64 (Dekker's exact product error, then a proof that one rounding
 * of the exact sum gives the computed result).
 *
 * MXCSR lives in the JIT slot (S_MXCSR) while a region runs.
 */
import { K_IMM, K_MEM, K_XMM, type Insn } from "../../decoder/insn.js";
import { HI } from "../isa/avx-common.js";
import { OP, SIMD } from "./wasm-enc.js";
import { L_VA, L_VB, L_VC, L_VD, L_VE, L_VF, L_VG, L_VM, L_X, L_Y, S_MXCSR } from "./wasm-abi.js";
import type { Gen } from "./wasm-gen.js";

export interface AvxOps {
  srcSlot(g: Gen, i: Insn, kind: number, reg: number, size: number): number;
  result(g: Gen, d: number, wide: boolean, lane: (h: number) => void): void;
  zeroUpper(g: Gen, d: number): void;
}

/** Float opcodes: [f32x4, f64x2] (0xfd-prefixed). */
const F = {
  abs: [0xe0, 0xec],
  neg: [0xe1, 0xed],
  sqrt: [0xe3, 0xef],
  add: [0xe4, 0xf0],
  sub: [0xe5, 0xf1],
  mul: [0xe6, 0xf2],
  div: [0xe7, 0xf3],
  eq: [0x41, 0x47],
  ne: [0x42, 0x48],
  lt: [0x43, 0x49],
  gt: [0x44, 0x4a],
  le: [0x45, 0x4b],
  ge: [0x46, 0x4c],
  trunc: [0x69, 0x7a],
  splat: [0x13, 0x14],
} as const;
const I32X4_SPLAT = 0x11,
  I64X2_SPLAT = 0x12,
  V128_NOT = 0x4d,
  BITSELECT = 0x52,
  ALL_TRUE = 0xa3,
  I32X4_ABS = 0xa0,
  I32X4_LE_S = 0x3d,
  I64X2_EQ = 0xd6,
  DEMOTE = 0x5e,
  PROMOTE = 0x5f,
  TRUNC_SAT_F32 = 0xf8,
  CONVERT_I32 = 0xfa,
  TRUNC_SAT_F64_ZERO = 0xfc,
  CONVERT_LOW_I32 = 0xfe;

/** MXCSR conditions: [mask, value]. Rounding forms: RC nearest, PM masked, PE set. Truncations: PM masked, PE set. */
const MX_ROUND: [number, number] = [0x7020, 0x1020];
const MX_PE: [number, number] = [0x1020, 0x1020];

const MIN = [2 ** -126, 2 ** -1022];
const TWO31 = 2 ** 31;

type Arith = "add" | "sub" | "mul" | "div" | "sqrt" | "min" | "max";
const ARITH = new Map<string, [Arith, number, boolean]>(); // key -> [op, d (0 float, 1 double), scalar]
for (const op of ["add", "sub", "mul", "div", "sqrt", "min", "max"] as Arith[])
  for (const [sfx, d, scalar] of [
    ["ps", 0, false],
    ["pd", 1, false],
    ["ss", 0, true],
    ["sd", 1, true],
  ] as const)
    ARITH.set(`v${op}${sfx}`, [op, d, scalar]);
const CMP: Record<string, [number, boolean]> = { vcmpps: [0, false], vcmppd: [1, false], vcmpss: [0, true], vcmpsd: [1, true] };
/** Compare predicates without NaN operands (imm & 7; bit 3 and the signalling bit 4 then change nothing). */
const PRED: (keyof typeof F | "false" | "true")[] = ["eq", "lt", "le", "false", "ne", "ge", "gt", "true"];
const CVT = ["vcvtdq2ps", "vcvtdq2pd", "vcvtps2pd", "vcvtpd2ps", "vcvttps2dq", "vcvttpd2dq"];

export const AVX_FP_KEYS = new Set<string>([...ARITH.keys(), ...Object.keys(CMP), ...CVT, "vfma"]);

// ---- emit helpers ---------------------------------------------------------------------

const F32 = new Float32Array(1);
const F32I = new Int32Array(F32.buffer);

/** Push v in every lane of width d. */
function splat(g: Gen, d: number, v: number): void {
  const c = g.c;
  if (d) {
    c.f64c(v);
    c.simd(F.splat[1]);
  } else {
    F32[0] = v;
    c.i32(F32I[0]);
    c.simd(I32X4_SPLAT);
  }
}

function splatI64(g: Gen, lo: number): void {
  g.c.i64(lo, 0);
  g.c.simd(I64X2_SPLAT);
}

/**
 * Push the mask of lanes (width d) of the value `push` pushes that are
 * ±0 (when `zero`) or of magnitude above MIN (at or above when `!strict`)
 * and finite (when `finite`; NaN never passes).
 */
function range(g: Gen, d: number, push: () => void, lo: number, strict: boolean, finite: boolean, zero: boolean): void {
  const c = g.c;
  push();
  c.simd(F.abs[d]);
  splat(g, d, lo);
  c.simd(strict ? F.gt[d] : F.ge[d]);
  if (finite) {
    push();
    c.simd(F.abs[d]);
    splat(g, d, Infinity);
    c.simd(F.lt[d]);
    c.simd(SIMD.v128_and);
  }
  if (zero) {
    isZero(g, d, push);
    c.simd(SIMD.v128_or);
  }
}

function isZero(g: Gen, d: number, push: () => void): void {
  push();
  splat(g, d, 0);
  g.c.simd(F.eq[d]);
}

/** Operands of a rounding operation: zero or normal, finite. */
function operandOk(g: Gen, d: number, push: () => void): void {
  range(g, d, push, MIN[d], false, true, true);
}
/** Operands of an exact operation: no NaN, no denormal (infinities pass). */
function notNanDenormal(g: Gen, d: number, push: () => void): void {
  range(g, d, push, MIN[d], false, false, true);
}

/** Collects masks (AND) into L_VM. */
class Acc {
  n = 0;
  constructor(readonly g: Gen) {}
  add(): void {
    const c = this.g.c;
    if (this.n++) {
      c.get(L_VM);
      c.simd(SIMD.v128_and);
    }
    c.set(L_VM);
  }
  /** Push i32: all lanes passed (packed) or lane 0 (scalar). */
  ok(scalar: boolean): void {
    const c = this.g.c;
    if (scalar) {
      c.get(L_VM);
      c.simd(SIMD.i32x4_extract_lane);
      c.byte(0);
    } else {
      c.get(L_VM);
      c.simd(ALL_TRUE);
    }
  }
}

/** Push i32: (MXCSR & mask) == value. */
function mxcsrIs(g: Gen, [mask, value]: [number, number]): void {
  const c = g.c;
  c.i32(0);
  c.mem(OP.i32_load, S_MXCSR);
  c.i32(mask);
  c.op(OP.i32_and);
  c.i32(value);
  c.op(OP.i32_eq);
}

/** With the i32 condition pushed (when `checked`): write the lanes (L_Y low, L_X high when wide) to d, else call the handler. */
function commit(g: Gen, ops: AvxOps, d: number, wide: boolean, checked = true): void {
  const c = g.c;
  if (checked) c.open(OP.if);
  g.writeXmm(d, L_Y);
  if (wide) g.writeXmm(d + HI, L_X);
  else ops.zeroUpper(g, d);
  if (!checked) return;
  c.op(OP.else);
  g.fallback();
  c.close();
}

/**
 * End of an inline form: the lane checks in `acc` and, for an operation that
 * rounds, MXCSR at round-to-nearest with PE already set (so no flag changes),
 * decide between writing the result and calling the handler.
 */
function commitChecked(g: Gen, ops: AvxOps, acc: Acc, i: Insn, wide: boolean, scalar: boolean, rounds: boolean): boolean {
  acc.ok(scalar);
  if (rounds) {
    mxcsrIs(g, MX_ROUND);
    g.c.op(OP.i32_and);
  }
  commit(g, ops, i.r0, wide);
  return true;
}

/** Byte lanes: element 0 (of `bytes`) from the first operand, the rest from the second. */
function lowFrom(bytes: number): number[] {
  const l: number[] = [];
  for (let k = 0; k < 16; k++) l.push(k < bytes ? k : 16 + k);
  return l;
}
/** Byte lanes: the low 8 bytes of each operand. */
const LOWS = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
/** Byte lanes: bytes 8-15 of the first operand moved down. */
const HIGH_DOWN = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

// ---- the forms --------------------------------------------------------------------------

export function emitAvxFp(g: Gen, i: Insn, key: string, ops: AvxOps): boolean {
  if (i.k0 !== K_XMM) return false;
  const ar = ARITH.get(key);
  if (ar !== undefined) return emitArith(g, i, ar, ops);
  const cm = CMP[key];
  if (cm !== undefined) return emitCmp(g, i, cm, ops);
  if (key === "vfma") return emitFma(g, i, ops);
  return emitCvt(g, i, key, ops);
}

function emitArith(g: Gen, i: Insn, [op, d, scalar]: [Arith, number, boolean], ops: AvxOps): boolean {
  const c = g.c;
  // vsqrtps/pd dst, src; every other form dst, src1, src2
  const unary = op === "sqrt" && !scalar;
  const [kb, rb, sb] = unary ? [i.k1, i.r1, i.s1] : [i.k2, i.r2, i.s2];
  if ((kb !== K_XMM && kb !== K_MEM) || (!unary && i.k1 !== K_XMM)) return false;
  const b = ops.srcSlot(g, i, kb, rb, sb);
  const a = i.r1;
  const wide = i.vexL !== 0 && !scalar;
  const acc = new Acc(g);
  const exact = op === "min" || op === "max";
  for (const h of wide ? [1, 0] : [0]) {
    const out = h ? L_X : L_Y;
    const pa = () => g.readXmm(a + h * HI);
    const pb = () => g.readXmm(b + h * HI);
    const pr = () => c.get(out);
    if (exact) {
      // x86: the second operand unless the first is below (above) it, so also for ±0 pairs
      pa();
      pb();
      pa();
      pb();
      c.simd(op === "min" ? F.lt[d] : F.gt[d]);
      c.simd(BITSELECT);
      c.set(out);
      notNanDenormal(g, d, pa);
      acc.add();
      notNanDenormal(g, d, pb);
      acc.add();
    } else {
      if (op === "sqrt") {
        pb();
        c.simd(F.sqrt[d]);
      } else {
        pa();
        pb();
        c.simd(F[op][d]);
      }
      c.set(out);
      if (op !== "sqrt") {
        operandOk(g, d, pa);
        acc.add();
      }
      operandOk(g, d, pb);
      acc.add();
      // the result: normal and finite, or a zero that is exact
      range(g, d, pr, MIN[d], true, true, false);
      isZero(g, d, pr);
      if (op === "mul") {
        isZero(g, d, pa);
        isZero(g, d, pb);
        c.simd(SIMD.v128_or);
        c.simd(SIMD.v128_and);
      } else if (op === "div") {
        isZero(g, d, pa);
        c.simd(SIMD.v128_and);
      }
      c.simd(SIMD.v128_or);
      acc.add();
    }
    if (scalar) {
      c.get(out);
      pa();
      c.shuffle(lowFrom(d ? 8 : 4));
      c.set(out);
    }
  }
  return commitChecked(g, ops, acc, i, wide, scalar, !exact);
}

function emitCmp(g: Gen, i: Insn, [d, scalar]: [number, boolean], ops: AvxOps): boolean {
  const c = g.c;
  if (i.k1 !== K_XMM || (i.k2 !== K_XMM && i.k2 !== K_MEM) || i.k3 !== K_IMM) return false;
  const b = ops.srcSlot(g, i, i.k2, i.r2, i.s2);
  const a = i.r1;
  const wide = i.vexL !== 0 && !scalar;
  const pred = PRED[i.imm & 7];
  const acc = new Acc(g);
  for (const h of wide ? [1, 0] : [0]) {
    const out = h ? L_X : L_Y;
    const pa = () => g.readXmm(a + h * HI);
    const pb = () => g.readXmm(b + h * HI);
    if (pred === "false" || pred === "true") {
      c.i32(pred === "true" ? -1 : 0);
      c.simd(I32X4_SPLAT);
    } else {
      pa();
      pb();
      c.simd(F[pred][d]);
    }
    if (scalar) {
      pa();
      c.shuffle(lowFrom(d ? 8 : 4));
    }
    c.set(out);
    notNanDenormal(g, d, pa);
    acc.add();
    notNanDenormal(g, d, pb);
    acc.add();
  }
  return commitChecked(g, ops, acc, i, wide, scalar, false);
}

function emitCvt(g: Gen, i: Insn, key: string, ops: AvxOps): boolean {
  const c = g.c;
  if (i.k1 !== K_XMM && i.k1 !== K_MEM) return false;
  const s = ops.srcSlot(g, i, i.k1, i.r1, i.s1);
  const wide = i.vexL !== 0;
  const acc = new Acc(g);
  const ps = (h: number) => () => g.readXmm(s + h * HI);
  switch (key) {
    case "vcvtdq2pd":
    case "vcvtps2pd": {
      // widening: lane h from elements 2h, 2h + 1 of the xmm source; exact
      for (const h of wide ? [1, 0] : [0]) {
        const out = h ? L_X : L_Y;
        g.readXmm(s);
        if (h) {
          g.readXmm(s);
          c.shuffle(HIGH_DOWN);
        }
        c.simd(key === "vcvtdq2pd" ? CONVERT_LOW_I32 : PROMOTE);
        c.set(out);
        // float operands checked as their (exact) doubles: no NaN, no float denormal
        if (key === "vcvtps2pd") {
          range(g, 1, () => c.get(out), MIN[0], false, false, true);
          acc.add();
        }
      }
      if (acc.n) acc.ok(false);
      commit(g, ops, i.r0, wide, acc.n !== 0); // vcvtdq2pd: always exact
      return true;
    }
    case "vcvtdq2ps":
    case "vcvttps2dq": {
      const cvt = key === "vcvtdq2ps";
      for (const h of wide ? [1, 0] : [0]) {
        const out = h ? L_X : L_Y;
        const p = ps(h);
        p();
        c.simd(cvt ? CONVERT_I32 : TRUNC_SAT_F32);
        c.set(out);
        p();
        if (cvt) {
          // exact below 2^24 in magnitude (and -2^31)
          c.simd(I32X4_ABS);
          c.i32(1 << 24);
          c.simd(I32X4_SPLAT);
          c.simd(I32X4_LE_S);
        } else {
          // -2^31 <= x < 2^31 (NaN fails); inexact where trunc(x) != x
          splat(g, 0, -TWO31);
          c.simd(F.ge[0]);
          p();
          splat(g, 0, TWO31);
          c.simd(F.lt[0]);
          c.simd(SIMD.v128_and);
          acc.add();
          p();
          c.simd(F.trunc[0]);
          p();
          c.simd(F.eq[0]);
          exactAcc(g, h === (wide ? 1 : 0));
          continue;
        }
        acc.add();
      }
      acc.ok(false);
      if (cvt) {
        mxcsrIs(g, MX_ROUND);
        c.op(OP.i32_or);
      } else inexactOk(g);
      commit(g, ops, i.r0, wide);
      return true;
    }
    case "vcvtpd2ps":
    case "vcvttpd2dq": {
      // narrowing: each source lane gives two elements of the xmm result
      const demote = key === "vcvtpd2ps";
      for (const h of wide ? [0, 1] : [0]) {
        const p = ps(h);
        p();
        c.simd(demote ? DEMOTE : TRUNC_SAT_F64_ZERO);
        if (h) {
          c.set(L_VA);
          c.get(L_Y);
          c.get(L_VA);
          c.shuffle(LOWS);
        }
        c.set(L_Y);
        if (demote) {
          operandOk(g, 1, p);
          acc.add();
          // the float result as a double: normal and finite, or zero from zero
          p();
          c.simd(DEMOTE);
          c.simd(PROMOTE);
          c.set(L_VB);
          range(g, 1, () => c.get(L_VB), MIN[0], true, true, false);
          isZero(g, 1, () => c.get(L_VB));
          isZero(g, 1, p);
          c.simd(SIMD.v128_and);
          c.simd(SIMD.v128_or);
          acc.add();
        } else {
          p();
          splat(g, 1, -TWO31 - 1);
          c.simd(F.gt[1]);
          p();
          splat(g, 1, TWO31);
          c.simd(F.lt[1]);
          c.simd(SIMD.v128_and);
          acc.add();
          p();
          c.simd(F.trunc[1]);
          p();
          c.simd(F.eq[1]);
          exactAcc(g, h === 0);
        }
      }
      acc.ok(false);
      if (demote) {
        mxcsrIs(g, MX_ROUND);
        c.op(OP.i32_and);
      } else inexactOk(g);
      commit(g, ops, i.r0, false);
      return true;
    }
  }
  return false;
}

/** Collect the exactness mask on the stack into L_VE. */
function exactAcc(g: Gen, first: boolean): void {
  const c = g.c;
  if (!first) {
    c.get(L_VE);
    c.simd(SIMD.v128_and);
  }
  c.set(L_VE);
}

/** With the range condition pushed: and (every lane exact, or PE already set with PM masked). */
function inexactOk(g: Gen): void {
  const c = g.c;
  c.get(L_VE);
  c.simd(ALL_TRUE);
  mxcsrIs(g, MX_PE);
  c.op(OP.i32_or);
  c.op(OP.i32_and);
}

// ---- FMA --------------------------------------------------------------------------------

const FMA_RE = /^vf(n?)(madd|msub)(132|213|231)(ps|ss|pd|sd)$/;

function emitFma(g: Gen, i: Insn, ops: AvxOps): boolean {
  const c = g.c;
  const m = FMA_RE.exec(i.mnem);
  if (m === null || i.k1 !== K_XMM || (i.k2 !== K_XMM && i.k2 !== K_MEM)) return false;
  const negProd = m[1] === "n";
  const sub = m[2] === "msub";
  const order = m[3];
  const scalar = m[4][0] === "s";
  if (m[4][1] === "d") return emitFma64(g, i, ops, negProd, sub, order, scalar);
  const wide = i.vexL !== 0 && !scalar;
  const s3 = ops.srcSlot(g, i, i.k2, i.r2, i.s2);
  // a*b + c from (dst, vvvv, r/m) = (1, 2, 3): 132: 1*3 + 2, 213: 2*1 + 3, 231: 2*3 + 1
  const slots = [i.r0, i.r1, s3];
  const [ka, kb, kc] = order === "132" ? [0, 2, 1] : order === "213" ? [1, 0, 2] : [1, 2, 0];
  const acc = new Acc(g);
  for (const h of wide ? [1, 0] : [0]) {
    const out = h ? L_X : L_Y;
    const src = (k: number) => () => g.readXmm(slots[k] + h * HI);
    for (const k of [ka, kb, kc]) {
      operandOk(g, 0, src(k));
      acc.add();
    }
    for (const q of scalar ? [0] : [0, 1]) {
      // the doubles of elements 2q, 2q + 1
      const wid = (k: number, neg: boolean, l: number) => {
        src(k)();
        if (q) {
          src(k)();
          c.shuffle(HIGH_DOWN);
        }
        c.simd(PROMOTE);
        if (neg) c.simd(F.neg[1]);
        c.set(l);
      };
      wid(ka, negProd, L_VA);
      wid(kb, false, L_VB);
      wid(kc, sub, L_VC);
      // p = a*b (exact), s = p + c (L_VB), bb = s - p (L_VD)
      c.get(L_VA);
      c.get(L_VB);
      c.simd(F.mul[1]);
      c.tee(L_VA);
      c.get(L_VC);
      c.simd(F.add[1]);
      c.tee(L_VB);
      c.get(L_VA);
      c.simd(F.sub[1]);
      c.set(L_VD);
      // the sum's error (p - (s - bb)) + (c - bb) is 0, or s is not a float midpoint
      c.get(L_VA);
      c.get(L_VB);
      c.get(L_VD);
      c.simd(F.sub[1]);
      c.simd(F.sub[1]);
      c.get(L_VC);
      c.get(L_VD);
      c.simd(F.sub[1]);
      c.simd(F.add[1]);
      splat(g, 1, 0);
      c.simd(F.eq[1]);
      c.get(L_VB);
      splatI64(g, 0x1fffffff);
      c.simd(SIMD.v128_and);
      splatI64(g, 0x10000000);
      c.simd(I64X2_EQ);
      c.simd(V128_NOT);
      c.simd(SIMD.v128_or);
      acc.add();
      // the float result (as a double): normal and finite, or an exact zero
      c.get(L_VB);
      c.simd(DEMOTE);
      c.tee(L_VD);
      c.simd(PROMOTE);
      c.set(L_VA);
      range(g, 1, () => c.get(L_VA), MIN[0], true, true, false);
      isZero(g, 1, () => c.get(L_VB));
      c.simd(SIMD.v128_or);
      acc.add();
      if (q === 0) {
        c.get(L_VD);
        c.set(L_VE);
      } else {
        c.get(L_VE);
        c.get(L_VD);
        c.shuffle(LOWS);
        c.set(L_VE);
      }
    }
    c.get(L_VE);
    if (scalar) {
      g.readXmm(i.r0);
      c.shuffle(lowFrom(4));
    }
    c.set(out);
  }
  return commitChecked(g, ops, acc, i, wide, scalar, true);
}

/** Dekker's split constant 2^27 + 1. */
const SPLIT = 134217729;
/** Multiplicands within 2^-450..2^450 (or zero): Dekker's product error is exact. Results at or above 2^-900: half an ulp is a normal double. */
const DEKKER_LO = 2 ** -450;
const DEKKER_HI = 2 ** 450;
const RESULT_LO = 2 ** -900;

/**
 * Double FMA: p = a*b with its exact error e (Dekker), s = p + c with its
 * exact error u (TwoSum), t = u + e with its error w, r = s + t with its
 * error d. The fused result a*b + c = r + d + w rounds to r when |d| + |w|
 * stays below half an ulp of r (a quarter below a power of two); else the
 * handler. t = 0: the sum was exact, and s keeps its zero's sign.
 */
function emitFma64(g: Gen, i: Insn, ops: AvxOps, negProd: boolean, sub: boolean, order: string, scalar: boolean): boolean {
  const c = g.c;
  const wide = i.vexL !== 0 && !scalar;
  const s3 = ops.srcSlot(g, i, i.k2, i.r2, i.s2);
  const slots = [i.r0, i.r1, s3];
  const [ka, kb, kc] = order === "132" ? [0, 2, 1] : order === "213" ? [1, 0, 2] : [1, 2, 0];
  const acc = new Acc(g);
  const mul = F.mul[1],
    add = F.add[1],
    subOp = F.sub[1];
  for (const h of wide ? [1, 0] : [0]) {
    const out = h ? L_X : L_Y;
    const src = (k: number) => () => g.readXmm(slots[k] + h * HI);
    for (const k of [ka, kb]) {
      range(g, 1, src(k), DEKKER_LO, false, true, true);
      src(k)();
      c.simd(F.abs[1]);
      splat(g, 1, DEKKER_HI);
      c.simd(F.le[1]);
      c.simd(SIMD.v128_and);
      acc.add();
    }
    operandOk(g, 1, src(kc));
    acc.add();
    const load = (k: number, neg: boolean, l: number) => {
      src(k)();
      if (neg) c.simd(F.neg[1]);
      c.set(l);
    };
    load(ka, negProd, L_VA);
    load(kb, false, L_VB);
    load(kc, sub, L_VC);
    // p (VD)
    c.get(L_VA);
    c.get(L_VB);
    c.simd(mul);
    c.set(L_VD);
    // the high halves (VE, VF) and low halves (VA, VB) of the split multiplicands
    for (const [x, hi] of [
      [L_VA, L_VE],
      [L_VB, L_VF],
    ]) {
      c.get(x);
      splat(g, 1, SPLIT);
      c.simd(mul);
      c.tee(hi);
      c.get(hi);
      c.get(x);
      c.simd(subOp);
      c.simd(subOp);
      c.set(hi);
      c.get(x);
      c.get(hi);
      c.simd(subOp);
      c.set(x);
    }
    // e = ah*bh - p + ah*bl + al*bh + al*bl (VG)
    c.get(L_VE);
    c.get(L_VF);
    c.simd(mul);
    c.get(L_VD);
    c.simd(subOp);
    c.get(L_VE);
    c.get(L_VB);
    c.simd(mul);
    c.simd(add);
    c.get(L_VA);
    c.get(L_VF);
    c.simd(mul);
    c.simd(add);
    c.get(L_VA);
    c.get(L_VB);
    c.simd(mul);
    c.simd(add);
    c.set(L_VG);
    // s = p + c (VE), bb = s - p (VF), u = (p - (s - bb)) + (c - bb); t = u + e (VG)
    c.get(L_VD);
    c.get(L_VC);
    c.simd(add);
    c.tee(L_VE);
    c.get(L_VD);
    c.simd(subOp);
    c.set(L_VF);
    twoSumErr(g, L_VD, L_VE, L_VF, L_VC);
    c.set(L_VF);
    // t = u + e (VG) and its error w (VC)
    c.get(L_VF);
    c.get(L_VG);
    c.simd(add);
    c.tee(L_VB);
    c.get(L_VF);
    c.simd(subOp);
    c.set(L_VA);
    twoSumErr(g, L_VF, L_VB, L_VA, L_VG);
    c.set(L_VC);
    c.get(L_VB);
    c.set(L_VG);
    // r = s + t (VA), bb = r - s (VB), d = (s - (r - bb)) + (t - bb) (VF)
    c.get(L_VE);
    c.get(L_VG);
    c.simd(add);
    c.tee(L_VA);
    c.get(L_VE);
    c.simd(subOp);
    c.set(L_VB);
    twoSumErr(g, L_VE, L_VA, L_VB, L_VG);
    c.set(L_VF);
    // |d| + |w| < half an ulp of r (VB: 2^(exponent of r - 53)), halved when r is a power of two
    c.get(L_VF);
    c.simd(F.abs[1]);
    c.get(L_VC);
    c.simd(F.abs[1]);
    c.simd(add);
    c.get(L_VA);
    c.i64(0, 0x7ff00000);
    c.simd(I64X2_SPLAT);
    c.simd(SIMD.v128_and);
    splat(g, 1, 2 ** -53);
    c.simd(mul);
    c.tee(L_VB);
    splat(g, 1, 0.5);
    c.simd(mul);
    c.get(L_VB);
    c.get(L_VA);
    c.i64(-1, 0x000fffff);
    c.simd(I64X2_SPLAT);
    c.simd(SIMD.v128_and);
    splatI64(g, 0);
    c.simd(I64X2_EQ);
    c.simd(BITSELECT);
    c.simd(F.lt[1]);
    acc.add();
    // the result: normal (well above the smallest) and finite, or an exact zero (s = t = 0)
    range(g, 1, () => c.get(L_VA), RESULT_LO, false, true, false);
    isZero(g, 1, () => c.get(L_VE));
    isZero(g, 1, () => c.get(L_VG));
    c.simd(SIMD.v128_and);
    c.simd(SIMD.v128_or);
    acc.add();
    c.get(L_VE);
    c.get(L_VA);
    isZero(g, 1, () => c.get(L_VG));
    c.simd(BITSELECT);
    if (scalar) {
      g.readXmm(i.r0);
      c.shuffle(lowFrom(8));
    }
    c.set(out);
  }
  return commitChecked(g, ops, acc, i, wide, scalar, true);
}

/** Push TwoSum's error (x - (s - bb)) + (y - bb) of s = x + y with bb = s - x. */
function twoSumErr(g: Gen, x: number, s: number, bb: number, y: number): void {
  const c = g.c;
  const sub = F.sub[1];
  c.get(x);
  c.get(s);
  c.get(bb);
  c.simd(sub);
  c.simd(sub);
  c.get(y);
  c.get(bb);
  c.simd(sub);
  c.simd(F.add[1]);
}
