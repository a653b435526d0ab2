/** Multiply and divide: mul imul (1, 2, 3 operands) div idiv, all sizes incl. 128/64. */
import type { Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, FPE_INTDIV, SIGFPE } from "../exceptions.js";
import { CF, OF, setResultFlags } from "../flags.js";
import { rd0, rd1, rd2, setReg, sext, wr0, zext } from "../ops.js";
import { register } from "../registry.js";
import { sub64 } from "./alu.js";
import Long from "long";

/** 128-bit product words, low to high (int32). */
export const PROD = new Int32Array(4);
const LA = new Float64Array(4);
const LB = new Float64Array(4);

/** Unsigned 64x64 -> 128 multiply into PROD (16-bit limbs, exact in doubles). */
export function mulu64(alo: number, ahi: number, blo: number, bhi: number): void {
  LA[0] = alo & 0xffff;
  LA[1] = alo >>> 16;
  LA[2] = ahi & 0xffff;
  LA[3] = ahi >>> 16;
  LB[0] = blo & 0xffff;
  LB[1] = blo >>> 16;
  LB[2] = bhi & 0xffff;
  LB[3] = bhi >>> 16;
  let carry = 0;
  let prev = 0;
  for (let k = 0; k < 8; k++) {
    let sum = carry;
    const lo = k > 3 ? k - 3 : 0;
    const hi = k < 3 ? k : 3;
    for (let x = lo; x <= hi; x++) sum += LA[x] * LB[k - x];
    const limb = sum % 65536;
    carry = (sum - limb) / 65536;
    if (k & 1) PROD[k >> 1] = prev | (limb << 16);
    else prev = limb;
  }
}

/** Signed 64x64 -> 128 multiply into PROD. */
export function muls64(c: CPU, alo: number, ahi: number, blo: number, bhi: number): void {
  mulu64(alo, ahi, blo, bhi);
  let h0 = PROD[2];
  let h1 = PROD[3];
  if (ahi < 0) {
    h0 = sub64(c, h0, h1, blo, bhi, 0);
    h1 = c.hi;
  }
  if (bhi < 0) {
    h0 = sub64(c, h0, h1, alo, ahi, 0);
    h1 = c.hi;
  }
  PROD[2] = h0;
  PROD[3] = h1;
}

/** Signed product of two int32 values as lo (return) and hi (c.hi), exact. */
function mul32s(c: CPU, a: number, b: number): number {
  muls64(c, a, a >> 31, b, b >> 31);
  c.hi = PROD[1];
  return PROD[0];
}

function mul32u(c: CPU, a: number, b: number): number {
  mulu64(a, 0, b, 0);
  c.hi = PROD[1];
  return PROD[0];
}

function mulFlags(c: CPU, size: number, lo: number, overflow: boolean): void {
  setResultFlags(c, size, lo, 0, overflow ? CF | OF : 0);
}

/** One-operand mul/imul: rDX:rAX = rAX * src. */
function mul1(c: CPU, i: Insn, signed: boolean): void {
  const size = i.s0;
  const b = rd0(c, i);
  const bhi = c.hi;
  const r = c.r;
  if (size === 1) {
    const p = signed ? sext(r[0], 1) * sext(b, 1) : (r[0] & 0xff) * (b & 0xff);
    setReg(c, 0, 2, p, 0);
    mulFlags(c, 1, p, signed ? p !== sext(p, 1) : (p & 0xff00) !== 0);
  } else if (size === 2) {
    const p = signed ? sext(r[0], 2) * sext(b, 2) : (r[0] & 0xffff) * (b & 0xffff);
    setReg(c, 0, 2, p, 0);
    setReg(c, 2, 2, p >> 16, 0);
    mulFlags(c, 2, p, signed ? p !== sext(p, 2) : (p & 0xffff0000) !== 0);
  } else if (size === 4) {
    const lo = signed ? mul32s(c, r[0], b) : mul32u(c, r[0], b);
    const hi = c.hi;
    setReg(c, 0, 4, lo, 0);
    setReg(c, 2, 4, hi, 0);
    mulFlags(c, 4, lo, signed ? hi !== lo >> 31 : hi !== 0);
  } else {
    if (signed) muls64(c, r[0], r[1], b, bhi);
    else mulu64(r[0], r[1], b, bhi);
    const p0 = PROD[0];
    const p1 = PROD[1];
    const p2 = PROD[2];
    const p3 = PROD[3];
    setReg(c, 0, 8, p0, p1);
    setReg(c, 2, 8, p2, p3);
    const over = signed ? p2 !== p1 >> 31 || p3 !== p1 >> 31 : (p2 | p3) !== 0;
    setResultFlags(c, 8, p0, p1, over ? CF | OF : 0);
  }
}
register("mul", (c, i) => mul1(c, i, false));
register("imul1", (c, i) => mul1(c, i, true));

/** Truncating signed multiply dst = a * b, with CF=OF on signed overflow. */
function imulTrunc(c: CPU, i: Insn, a: number, ahi: number, b: number, bhi: number): void {
  const size = i.s0;
  if (size === 8) {
    muls64(c, a, ahi, b, bhi);
    const p0 = PROD[0];
    const p1 = PROD[1];
    const over = PROD[2] !== p1 >> 31 || PROD[3] !== p1 >> 31;
    wr0(c, i, p0, p1);
    setResultFlags(c, 8, p0, p1, over ? CF | OF : 0);
  } else if (size === 4) {
    const lo = mul32s(c, a, b);
    const over = c.hi !== lo >> 31;
    wr0(c, i, lo, 0);
    mulFlags(c, 4, lo, over);
  } else {
    const p = sext(a, 2) * sext(b, 2);
    wr0(c, i, p, 0);
    mulFlags(c, 2, p, p !== sext(p, 2));
  }
}

register("imul2", (c, i) => {
  const a = rd0(c, i);
  const ahi = c.hi;
  const b = rd1(c, i);
  imulTrunc(c, i, a, ahi, b, c.hi);
});

register("imul3", (c, i) => {
  const a = rd1(c, i);
  const ahi = c.hi;
  const b = rd2(c, i); // immediate, sign-extended
  imulTrunc(c, i, a, ahi, b, i.immHi);
});

function divError(i: Insn): never {
  throw new CpuException(SIGFPE, FPE_INTDIV, i.addr, "integer divide error");
}

function big(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * Dividend and divisor for long.js (which divides through WebAssembly's i64
 * div/rem): preallocated and refilled, so a divide allocates only its results.
 */
const N = [Long.fromBits(0, 0, false), Long.fromBits(0, 0, true)];
const D = [Long.fromBits(0, 0, false), Long.fromBits(0, 0, true)];

/**
 * Divide a 64-bit dividend (nlo, nhi) by (dlo, dhi) as long.js Longs: the
 * common case of `div`/`idiv` (rdx:rax whose rdx only extends rax, and every
 * 32-bit divide). Writes quotient and remainder of `size` bytes, or raises #DE
 * when the quotient does not fit.
 */
function divLong(c: CPU, i: Insn, signed: boolean, size: number, nlo: number, nhi: number, dlo: number, dhi: number): void {
  const u = signed ? 0 : 1;
  const n = N[u];
  const d = D[u];
  n.low = nlo | 0;
  n.high = nhi | 0;
  d.low = dlo | 0;
  d.high = dhi | 0;
  // INT64_MIN / -1 overflows (long.js would give INT64_MIN back)
  if (signed && size === 8 && nlo === 0 && nhi === -0x80000000 && (dlo & dhi) === -1) divError(i);
  const q = n.div(d);
  const r = n.mod(d);
  if (size === 4 && q.high !== (signed ? q.low >> 31 : 0)) divError(i);
  setReg(c, 0, size, q.low, q.high);
  setReg(c, 2, size, r.low, r.high);
}

function div(c: CPU, i: Insn, signed: boolean): void {
  const size = i.s0;
  const d = rd0(c, i);
  const dhi = c.hi;
  const r = c.r;
  if (size === 8 ? (d | dhi) === 0 : zext(d, size) === 0) divError(i);
  if (size <= 2) {
    const bits = size * 8;
    const dividend = size === 1 ? (signed ? sext(r[0], 2) : r[0] & 0xffff) : signed ? ((r[4] & 0xffff) << 16) | (r[0] & 0xffff) : (r[4] & 0xffff) * 65536 + (r[0] & 0xffff);
    const divisor = signed ? sext(d, size) : zext(d, size);
    const q = Math.trunc(dividend / divisor);
    const rem = dividend - q * divisor;
    if (signed ? q !== sext(q, size) : q >= 2 ** bits) divError(i);
    if (size === 1) setReg(c, 0, 2, (q & 0xff) | ((rem & 0xff) << 8), 0);
    else {
      setReg(c, 0, 2, q, 0);
      setReg(c, 2, 2, rem, 0);
    }
    return;
  }
  if (size === 4) {
    const eax = r[0];
    const edx = r[4];
    if (!signed && edx === 0) {
      const a = eax >>> 0;
      const b = d >>> 0;
      const q = Math.floor(a / b);
      setReg(c, 0, 4, q, 0);
      setReg(c, 2, 4, a - q * b, 0);
      return;
    }
    divLong(c, i, signed, 4, eax, edx, d, signed ? d >> 31 : 0);
    return;
  }
  // rdx only extends rax: a 64-bit dividend
  if (signed ? r[4] === r[1] >> 31 && r[5] === r[1] >> 31 : (r[4] | r[5]) === 0) {
    divLong(c, i, signed, 8, r[0], r[1], d, dhi);
    return;
  }
  // 128 / 64
  const lo = big(r[0], r[1]);
  const hi = big(r[4], r[5]);
  let dividend = (hi << 64n) | lo;
  let divisor = big(d, dhi);
  if (signed) {
    dividend = BigInt.asIntN(128, dividend);
    divisor = BigInt.asIntN(64, divisor);
  }
  const q = dividend / divisor;
  const rem = dividend % divisor;
  if (signed ? q !== BigInt.asIntN(64, q) : q > 0xffffffffffffffffn) divError(i);
  const qu = BigInt.asUintN(64, q);
  const ru = BigInt.asUintN(64, rem);
  setReg(c, 0, 8, Number(qu & 0xffffffffn) | 0, Number(qu >> 32n) | 0);
  setReg(c, 2, 8, Number(ru & 0xffffffffn) | 0, Number(ru >> 32n) | 0);
}
register("div", (c, i) => div(c, i, false));
register("idiv", (c, i) => div(c, i, true));

