/**
 * The x87 FPU with exact 80-bit extended precision (src/cpu/f80.ts).
 * One handler (key "x87") dispatches on the mnemonic; the register stack is
 * cpu.fpr (8 physical registers in the 80-bit format), ST(i) = R[(top+i)&7].
 * Transcendentals (fsin fcos fsincos fptan fpatan f2xm1 fyl2x fyl2xp1): the
 * value from src/cpu/x87-trans.ts (200 bits), rounded once to 64 bits
 * whatever the precision control; special operands, C1/C2 and the flags here.
 */
import { K_MEM, K_ST, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, SIGFPE, SIGILL, ILL_ILLOPN } from "../exceptions.js";
import * as F from "../f80.js";
import * as T from "../x87-trans.js";
import { ea, setReg } from "../ops.js";
import { register } from "../registry.js";
import { getFlags, setFlags } from "../flags.js";
import { fpuStatusWord, fpuTagWord, fxrstorImage, fxsaveImage } from "../fxsave.js";

const SF = 0x40; // stack fault
const ES = 0x80;
const C0 = 0x100;
const C1 = 0x200;
const C2 = 0x400;
const C3 = 0x4000;

// ---- register stack -------------------------------------------------------------------

function phys(c: CPU, st: number): number {
  return (c.fpuTop + st) & 7;
}
function tag(c: CPU, p: number): number {
  return (c.fpuTag >> (2 * p)) & 3;
}
function setTag(c: CPU, p: number, t: number): void {
  c.fpuTag = (c.fpuTag & ~(3 << (2 * p))) | (t << (2 * p));
}

function rawOf(c: CPU, p: number): [bigint, number] {
  const v = c.fprView;
  const lo = BigInt(v.getUint32(p * 16, true));
  const hi = BigInt(v.getUint32(p * 16 + 4, true));
  return [(hi << 32n) | lo, v.getUint16(p * 16 + 8, true)];
}

function writeRaw(c: CPU, p: number, mant: bigint, se: number): void {
  const v = c.fprView;
  v.setUint32(p * 16, Number(mant & 0xffffffffn), true);
  v.setUint32(p * 16 + 4, Number((mant >> 32n) & 0xffffffffn), true);
  v.setUint16(p * 16 + 8, se, true);
  const exp = se & 0x7fff;
  setTag(c, p, exp === 0x7fff ? 2 : exp === 0 ? (mant === 0n ? 1 : 2) : mant >> 63n ? 0 : 2);
}

/** Raise exception flags; an unmasked one sets ES (reported at the next x87 instruction). */
function raiseFlags(c: CPU, flags: number): void {
  if (!flags) return;
  c.fpuStatus |= flags;
  if (flags & ~c.fpuControl & 0x3f) c.fpuStatus |= ES | 0x8000;
}

function underflowStack(c: CPU): F.F {
  raiseFlags(c, F.IE | SF);
  c.fpuStatus &= ~C1;
  return { ...F.INDEFINITE };
}

/**
 * Denormal-operand bookkeeping for the current instruction: st() and
 * loadMem() note a denormal operand (a register with exponent 0, including
 * pseudo-denormals, or a float/double memory denormal) and a NaN operand.
 * Only arithmetic reports DE (operandDE), and not when a NaN operand, an
 * invalid operation or a division by zero takes precedence (the SDM's
 * exception priority); moves, stores, fist, fchs/fabs do not report it.
 */
let denormalSeen = false;
let nanSeen = false;

function operandDE(flags: number): number {
  return denormalSeen && !nanSeen && !(flags & (F.IE | F.ZE)) ? F.DE : 0;
}

function noteOperand(x: F.F, denormal: boolean): void {
  if (x.cls === F.CLS_NAN) nanSeen = true;
  else if (denormal) denormalSeen = true;
}

/** Read ST(i) (stack underflow if empty: the masked response is the indefinite QNaN). */
function st(c: CPU, i: number): F.F {
  const p = phys(c, i);
  if (tag(c, p) === 3) {
    nanSeen = true;
    return underflowStack(c);
  }
  const [m, se] = rawOf(c, p);
  const v = F.unpack80(m, se);
  noteOperand(v, (se & 0x7fff) === 0 && m !== 0n);
  return v;
}

/** Store an arithmetic result into ST(i) and report a denormal operand (see operandDE). */
function storeArith(c: CPU, i: number, r: F.Result): void {
  storeST(c, i, r);
  raiseFlags(c, operandDE(r.flags));
}

function pc(c: CPU): number {
  const p = (c.fpuControl >> 8) & 3;
  return p === 0 ? 24 : p === 2 ? 53 : 64;
}
function rc(c: CPU): number {
  return (c.fpuControl >> 10) & 3;
}

/** Round and store into ST(i). */
function storeST(c: CPU, i: number, r: F.Result | F.F, precise = true): void {
  const res = "v" in r ? r : { v: r, flags: 0, sticky: false };
  const packed = F.pack80(res.v, precise ? pc(c) : 64, rc(c), res.sticky);
  raiseFlags(c, res.flags | packed.flags);
  if (packed.c1) c.fpuStatus |= C1;
  else c.fpuStatus &= ~C1;
  writeRaw(c, phys(c, i), packed.mant, packed.se);
}

/** Make room on the stack; false (with the masked stack-overflow response: IE, SF, C1, indefinite in ST(0)) when ST(7) is in use. */
function pushSlot(c: CPU): boolean {
  c.fpuTop = (c.fpuTop - 1) & 7;
  c.fpuStatus &= ~C1;
  if (tag(c, c.fpuTop) === 3) return true;
  raiseFlags(c, F.IE | SF);
  c.fpuStatus |= C1;
  writeRaw(c, c.fpuTop, F.INDEFINITE.m, 0xffff);
  return false;
}

function push(c: CPU, v: F.F, exact = false): void {
  if (!pushSlot(c)) return;
  // loads are exact (no precision control)
  const packed = F.pack80(v, 64, rc(c));
  if (!exact) raiseFlags(c, packed.flags);
  writeRaw(c, c.fpuTop, packed.mant, packed.se);
}

function pop(c: CPU): void {
  setTag(c, c.fpuTop, 3);
  c.fpuTop = (c.fpuTop + 1) & 7;
}

// ---- memory operands ------------------------------------------------------------------

function loadMem(c: CPU, i: Insn, integer: boolean): F.F {
  const a = ea(c, i);
  const m = c.mem;
  const size = i.s0;
  if (integer) {
    let v: bigint;
    if (size === 2) v = BigInt((m.read16(a) << 16) >> 16);
    else if (size === 4) v = BigInt(m.read32(a));
    else v = (BigInt(m.read32(a + 4)) << 32n) | BigInt(m.read32(a) >>> 0);
    return F.fin(v < 0n ? 1 : 0, v < 0n ? -v : v, 0);
  }
  if (size === 4) {
    const bits = m.read32(a);
    const x = F.fromF32(bits);
    noteOperand(x, (bits & 0x7f800000) === 0 && (bits & 0x7fffff) !== 0);
    return x;
  }
  if (size === 8) {
    const lo = m.read32(a);
    const hi = m.read32(a + 4);
    const x = F.fromF64(lo, hi);
    noteOperand(x, (hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0);
    return x;
  }
  const lo = BigInt(m.read32(a) >>> 0);
  const hi = BigInt(m.read32(a + 4) >>> 0);
  return F.unpack80((hi << 32n) | lo, m.read16(a + 8));
}

function storeMem(c: CPU, i: Insn, v: F.F): void {
  const a = ea(c, i);
  const m = c.mem;
  const size = i.s0;
  if (size === 10) {
    // a bit copy of ST(0) (pseudo-denormals and unnormals as they are); the indefinite when empty
    const p = phys(c, 0);
    const [mant, se] = tag(c, p) === 3 ? [F.INDEFINITE.m, 0xffff] : rawOf(c, p);
    c.fpuStatus &= ~C1;
    m.checkWritable(a, 10);
    m.write32(a, Number(mant & 0xffffffffn) | 0);
    m.write32(a + 4, Number(mant >> 32n) | 0);
    m.write16(a + 8, se);
    return;
  }
  const r = size === 4 ? F.toIEEE(v, 8, 23, rc(c)) : F.toIEEE(v, 11, 52, rc(c));
  if (size === 4) m.write32(a, Number(r.bits) | 0);
  else m.write64(a, Number(r.bits & 0xffffffffn) | 0, Number(r.bits >> 32n) | 0);
  raiseFlags(c, r.flags);
  if (r.c1) c.fpuStatus |= C1;
  else c.fpuStatus &= ~C1;
}

/** Store as an integer (fist/fistp/fisttp): integer indefinite on overflow or NaN. */
function storeInt(c: CPU, i: Insn, v: F.F, truncate: boolean): void {
  const size = i.s0;
  const bits = BigInt(size * 8);
  const min = -(1n << (bits - 1n));
  let out: bigint;
  if (v.cls !== F.CLS_FINITE) {
    raiseFlags(c, F.IE);
    out = min;
  } else {
    const [n, inexact] = F.toInteger(v, truncate ? F.RC_ZERO : rc(c));
    if (n < min || n > -min - 1n) {
      raiseFlags(c, F.IE);
      out = min;
    } else {
      out = n;
      if (inexact) raiseFlags(c, F.PE);
    }
  }
  c.fpuStatus &= ~C1;
  const a = ea(c, i);
  const u = BigInt.asUintN(size * 8, out);
  if (size === 2) c.mem.write16(a, Number(u));
  else if (size === 4) c.mem.write32(a, Number(u) | 0);
  else c.mem.write64(a, Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0);
}

/** Largest packed-BCD magnitude (18 digits). */
const BCD_MAX = 999999999999999999n;

/** fbld: 18 packed BCD digits (two per byte, low digit in the low nibble) and the sign in bit 7 of byte 9. */
function loadBCD(c: CPU, i: Insn): F.F {
  const a = ea(c, i);
  let v = 0n;
  for (let k = 8; k >= 0; k--) {
    const b = c.mem.read8(a + k);
    v = v * 100n + BigInt((b >> 4) * 10 + (b & 15));
  }
  return F.fin(c.mem.read8(a + 9) >> 7, v, 0);
}

/**
 * fbstp: ST(0) rounded to an integer per RC, stored as packed BCD; NaN,
 * infinity or more than 18 digits store the BCD indefinite with IE. PE when
 * rounded, C1 when rounded up in magnitude.
 */
function storeBCD(c: CPU, i: Insn, v: F.F): void {
  const a = ea(c, i);
  const m = c.mem;
  m.checkWritable(a, 10);
  c.fpuStatus &= ~C1;
  let n = -1n;
  if (v.cls === F.CLS_FINITE) {
    const [r, inexact] = F.toInteger(v, rc(c));
    n = r < 0n ? -r : r;
    if (n > BCD_MAX) n = -1n;
    else if (inexact) {
      raiseFlags(c, F.PE);
      if (v.e < 0 && n > v.m >> BigInt(-v.e)) c.fpuStatus |= C1;
    }
  }
  if (n < 0n) {
    raiseFlags(c, F.IE);
    for (let k = 0; k < 7; k++) m.write8(a + k, 0);
    m.write8(a + 7, 0xc0);
    m.write16(a + 8, 0xffff);
    return;
  }
  for (let k = 0; k < 9; k++) {
    const lo = Number(n % 10n);
    n /= 10n;
    const hi = Number(n % 10n);
    n /= 10n;
    m.write8(a + k, lo | (hi << 4));
  }
  m.write8(a + 9, v.s << 7);
}

// ---- arithmetic ------------------------------------------------------------------------

type Binary = (a: F.F, b: F.F, rcv: number) => F.Result;
/** Negate a number for subtraction; a NaN keeps its sign (it propagates unchanged). */
const negNum = (x: F.F): F.F => (x.cls === F.CLS_NAN ? x : F.neg(x));
const ARITH: Record<string, Binary> = {
  add: (a, b, r) => F.add(a, b, r),
  sub: (a, b, r) => F.add(a, negNum(b), r),
  subr: (a, b, r) => F.add(b, negNum(a), r),
  mul: (a, b) => F.mul(a, b),
  div: (a, b) => F.div(a, b),
  divr: (a, b) => F.div(b, a),
};

/** fadd/fsub/... in all forms: memory (float or integer), ST,STi, STi,ST and the popping forms. */
function arith(c: CPU, i: Insn, op: Binary, integer: boolean, popAfter: boolean): void {
  if (i.k0 === K_MEM) {
    const b = loadMem(c, i, integer);
    storeArith(c, 0, op(st(c, 0), b, rc(c)));
    return;
  }
  const d = i.r0;
  const s = i.nops > 1 ? i.r1 : 0;
  storeArith(c, d, op(st(c, d), st(c, s), rc(c)));
  if (popAfter) pop(c);
}

// ---- compares ----------------------------------------------------------------------------

function setCC(c: CPU, r: number): void {
  c.fpuStatus &= ~(C0 | C2 | C3);
  if (r === 2) c.fpuStatus |= C0 | C2 | C3;
  else if (r === -1) c.fpuStatus |= C0;
  else if (r === 0) c.fpuStatus |= C3;
  c.fpuStatus &= ~C1;
}

function compareFlags(c: CPU, a: F.F, b: F.F, unordered: boolean): number {
  const r = F.compare(a, b);
  const flags = r === 2 && (!unordered || F.isSNaN(a) || F.isSNaN(b)) ? F.IE : 0;
  raiseFlags(c, flags | operandDE(flags));
  return r;
}

function fcomi(c: CPU, i: Insn, unordered: boolean, popAfter: boolean): void {
  const r = compareFlags(c, st(c, 0), st(c, i.nops > 1 ? i.r1 : 1), unordered);
  const f = r === 2 ? 0x45 : r === -1 ? 1 : r === 0 ? 0x40 : 0;
  setFlags(c, (getFlags(c) & ~0x8d5) | f);
  c.fpuStatus &= ~C1;
  if (popAfter) pop(c);
}

function fcom(c: CPU, i: Insn, unordered: boolean, pops: number): void {
  let b: F.F;
  if (i.k0 === K_MEM) b = loadMem(c, i, i.mnem.startsWith("fi"));
  else if (i.nops > 0 && i.k0 === K_ST) b = st(c, i.nops > 1 ? i.r1 : i.r0);
  else b = st(c, 1);
  setCC(c, compareFlags(c, st(c, 0), b, unordered));
  for (let k = 0; k < pops; k++) pop(c);
}

// ---- constants -------------------------------------------------------------------------

/** 66-bit approximations, rounded per RC like the hardware's internal constants. */
const CONSTS: Record<string, [bigint, number]> = {
  fldpi: [0xc90fdaa22168c234c4c6628b80dc1cd1n, -126],
  fldl2e: [0xb8aa3b295c17f0bbbe87fed0691d3e89n, -127],
  fldl2t: [0xd49a784bcd1b8afe492bf6ff4dafdb4dn, -126],
  fldlg2: [0x9a209a84fbcff7988f8959ac0b7c9178n, -129],
  fldln2: [0xb17217f7d1cf79abc9e3b39803f2f6afn, -128],
};

// ---- environment ----------------------------------------------------------------------

function storeEnv(c: CPU, a: number): void {
  const m = c.mem;
  m.checkWritable(a, 28);
  m.write32(a, c.fpuControl | 0xffff0000);
  m.write32(a + 4, fpuStatusWord(c) | 0xffff0000);
  m.write32(a + 8, fpuTagWord(c) | 0xffff0000);
  m.write32(a + 12, c.fpuLastIp % 4294967296 | 0);
  m.write32(a + 16, c.fpuLastOpcode & 0x7ff);
  m.write32(a + 20, c.fpuLastDp % 4294967296 | 0);
  m.write32(a + 24, 0xffff0000 | 0);
}

function loadEnv(c: CPU, a: number): void {
  const m = c.mem;
  const cw = m.read16(a);
  const sw = m.read16(a + 4);
  const tw = m.read16(a + 8);
  c.fpuControl = cw;
  c.fpuTop = (sw >> 11) & 7;
  c.fpuStatus = sw & ~0x3800;
  c.fpuTag = tw;
}

// ---- dispatch -----------------------------------------------------------------------------

type Op = (c: CPU, i: Insn) => void;

function fcmov(cond: (f: number) => boolean): Op {
  return (c, i) => {
    if (cond(getFlags(c))) {
      const v = st(c, i.r1);
      const [m, se] = rawOf(c, phys(c, i.r1));
      if (v.cls === F.CLS_NAN && tag(c, phys(c, i.r1)) === 3) storeST(c, 0, v, false);
      else writeRaw(c, phys(c, 0), m, se);
    }
  };
}

// ---- transcendentals (the arithmetic: src/cpu/x87-trans.ts) --------------------------

const TRIG_SIN = 0,
  TRIG_COS = 1,
  TRIG_SINCOS = 2,
  TRIG_TAN = 3;

/**
 * An inexact result, rounded once to 64 bits whatever the precision control
 * (which governs only the basic arithmetic): C1, PE, UE as it rounds.
 */
const inexact = (v: F.F): F.Result => ({ v, flags: 0, sticky: true });
const exact = (v: F.F, flags = 0): F.Result => ({ v, flags, sticky: false });
const ONE: F.F = F.fin(0, 1n, 0);

/**
 * fsin fcos fsincos fptan: operands of magnitude 2^63 or more set C2 and are
 * left alone; otherwise C2 = 0, ST(0) gets sin/cos/tan (fsincos: sin, then cos
 * pushed; fptan: tan, then 1.0 pushed). Infinities are invalid (the indefinite).
 */
function trig(c: CPU, kind: number): void {
  const x = st(c, 0);
  c.fpuStatus &= ~C2;
  const two = kind === TRIG_SINCOS || kind === TRIG_TAN;
  if (x.cls === F.CLS_NAN || x.cls === F.CLS_INF) {
    const r = x.cls === F.CLS_NAN ? F.nan1(x) : exact({ ...F.INDEFINITE }, F.IE);
    storeTrans(c, 0, r);
    if (two) push(c, r.v, true);
    return;
  }
  if (!T.inTrigRange(x)) {
    c.fpuStatus |= C2;
    return;
  }
  if (two && tag(c, phys(c, 7)) !== 3) {
    // no room for the second result: stack overflow, the indefinite in both
    raiseFlags(c, F.IE | SF);
    c.fpuStatus |= C1;
    storeST(c, 0, { ...F.INDEFINITE }, false);
    c.fpuStatus |= C1;
    return push(c, { ...F.INDEFINITE }, true);
  }
  let first: F.Result;
  let second: F.Result | null = null;
  if (x.m === 0n) {
    // sin(±0) = ±0, tan(±0) = ±0, cos(±0) = 1: exact
    first = exact(kind === TRIG_COS ? ONE : x);
    if (kind === TRIG_SINCOS) second = exact(ONE);
  } else if (kind === TRIG_TAN) {
    first = inexact(T.tanF(x));
  } else {
    const [s, co] = T.sinCosF(x);
    first = inexact(kind === TRIG_COS ? co : s);
    if (kind === TRIG_SINCOS) second = inexact(co);
  }
  storeTrans(c, 0, first);
  if (kind === TRIG_TAN) {
    const c1 = c.fpuStatus & C1; // C1 tells how tan rounded; pushing 1.0 keeps it
    push(c, ONE, true);
    c.fpuStatus |= c1;
  } else if (second) {
    const c1 = c.fpuStatus & C1; // C1 tells how sin rounded
    pushSlot(c);
    storeTrans(c, 0, second);
    c.fpuStatus = (c.fpuStatus & ~C1) | c1;
  }
}

/** Store a transcendental's result into ST(i): rounded to 64 bits, whatever the precision control. */
function storeTrans(c: CPU, i: number, r: F.Result): void {
  const packed = F.pack80(r.v, 64, rc(c), r.sticky);
  // tininess after rounding: a result delivered as a normal number does not underflow (as the host reports)
  const flags = r.flags | (packed.se & 0x7fff ? packed.flags & ~F.UE : packed.flags);
  raiseFlags(c, flags);
  if (packed.c1) c.fpuStatus |= C1;
  else c.fpuStatus &= ~C1;
  writeRaw(c, phys(c, i), packed.mant, packed.se);
  raiseFlags(c, operandDE(r.flags));
}

/** fpatan fyl2x fyl2xp1: ST(1) = f(ST(1), ST(0)), then pop; NaN operands propagate as in arithmetic. */
function twoOperand(c: CPU, f: (y: F.F, x: F.F) => F.Result): void {
  const x = st(c, 0);
  const y = st(c, 1);
  const r = x.cls === F.CLS_NAN || y.cls === F.CLS_NAN ? F.add(y, x, rc(c)) : f(y, x);
  storeTrans(c, 1, r);
  pop(c);
}

const zero = (s: number): F.F => F.fin(s, 0n, 0);
const inf = (s: number): F.F => ({ s, m: 0n, e: 0, cls: F.CLS_INF });
const invalid = (): F.Result => exact({ ...F.INDEFINITE }, F.IE);

/** atan2(y, x) with the SDM's table for zeros and infinities. */
function fpatan(y: F.F, x: F.F): F.Result {
  const yInf = y.cls === F.CLS_INF;
  const xInf = x.cls === F.CLS_INF;
  if (yInf || xInf) {
    if (yInf && xInf) return inexact(T.piQuarters(x.s ? 3 : 1, y.s));
    if (yInf) return inexact(T.piQuarters(2, y.s));
    return x.s ? inexact(T.piQuarters(4, y.s)) : exact(zero(y.s));
  }
  if (y.m === 0n) return x.s ? inexact(T.piQuarters(4, y.s)) : exact(zero(y.s));
  return inexact(T.atan2F(y, x));
}

/** The exponent k when x is exactly 2^k (log2 exact), else null. */
function powerOfTwo(x: F.F): number | null {
  if (x.cls !== F.CLS_FINITE || x.m === 0n || x.s) return null;
  let m = x.m;
  let e = x.e;
  while ((m & 1n) === 0n) {
    m >>= 1n;
    e++;
  }
  return m === 1n ? e : null;
}

/** y * log2(x). */
function fyl2x(y: F.F, x: F.F): F.Result {
  const xZero = x.cls === F.CLS_FINITE && x.m === 0n;
  const yZero = y.cls === F.CLS_FINITE && y.m === 0n;
  if (x.s && !xZero) return invalid(); // log of a negative number
  if (xZero) return yZero ? invalid() : y.cls === F.CLS_INF ? exact(inf(y.s ^ 1)) : exact(inf(y.s ^ 1), F.ZE);
  if (x.cls === F.CLS_INF) return yZero ? invalid() : exact(inf(y.s));
  const k = powerOfTwo(x);
  if (y.cls === F.CLS_INF) {
    if (k === 0) return invalid(); // inf * log2(1) = inf * 0
    const below1 = k !== null ? k < 0 : F.compare(x, ONE) < 0;
    return exact(inf(y.s ^ (below1 ? 1 : 0)));
  }
  // x = 2^k: one rounding of y * k; the host reports PE even when that is exact (not for x = 1 or y = 0)
  if (k !== null) return { ...F.mul(y, F.fin(k < 0 ? 1 : 0, BigInt(Math.abs(k)), 0)), flags: k && y.m !== 0n ? F.PE : 0 };
  if (yZero) return exact(zero(y.s ^ (F.compare(x, ONE) < 0 ? 1 : 0)));
  return inexact(T.yl2xF(y, x));
}

/** y * log2(1 + x) (the SDM defines it for |x| < 1 - sqrt(2)/2). */
function fyl2xp1(y: F.F, x: F.F): F.Result {
  const xZero = x.cls === F.CLS_FINITE && x.m === 0n;
  const yZero = y.cls === F.CLS_FINITE && y.m === 0n;
  if (x.cls === F.CLS_INF || (x.s && F.compare(x, F.fin(1, 1n, 0)) <= 0)) {
    if (x.cls === F.CLS_INF && !x.s) return yZero ? invalid() : exact(inf(y.s));
    return invalid();
  }
  if (xZero) return y.cls === F.CLS_INF ? invalid() : exact(zero(y.s ^ x.s));
  if (y.cls === F.CLS_INF) return exact(inf(y.s ^ x.s));
  if (yZero) return exact(zero(y.s ^ x.s));
  return inexact(T.yl2xp1F(y, x));
}

const OPS: Record<string, Op> = {
  fld: (c, i) => {
    if (i.k0 === K_MEM && i.s0 === 10) {
      // an 80-bit load is a bit copy: no IE for SNaN, no DE, unnormals kept as they are
      const a = ea(c, i);
      const mant = (BigInt(c.mem.read32(a + 4) >>> 0) << 32n) | BigInt(c.mem.read32(a) >>> 0);
      const se = c.mem.read16(a + 8);
      if (pushSlot(c)) writeRaw(c, c.fpuTop, mant, se);
      return;
    }
    if (i.k0 === K_MEM) {
      // a float/double SNaN is loaded as a QNaN with IE; a denormal one reports DE
      const v = F.nan1(loadMem(c, i, false));
      raiseFlags(c, v.flags | operandDE(0));
      return push(c, v.v);
    }
    // a bit copy of ST(i) (the indefinite with IE when empty)
    const p = phys(c, i.nops > 1 ? i.r1 : i.r0);
    if (tag(c, p) === 3) return push(c, underflowStack(c), true);
    const [m, se] = rawOf(c, p);
    if (pushSlot(c)) writeRaw(c, c.fpuTop, m, se);
  },
  fild: (c, i) => push(c, loadMem(c, i, true)),
  fbld: (c, i) => push(c, loadBCD(c, i)),
  fbstp: (c, i) => {
    storeBCD(c, i, st(c, 0));
    pop(c);
  },
  fst: (c, i) => (i.k0 === K_MEM ? storeMem(c, i, st(c, 0)) : copyST(c, i.r0)),
  fstp: (c, i) => {
    if (i.k0 === K_MEM) storeMem(c, i, st(c, 0));
    else copyST(c, i.r0);
    pop(c);
  },
  fstp1: (c, i) => {
    copyST(c, i.r0);
    pop(c);
  },
  fist: (c, i) => storeInt(c, i, st(c, 0), false),
  fistp: (c, i) => {
    storeInt(c, i, st(c, 0), false);
    pop(c);
  },
  fisttp: (c, i) => {
    storeInt(c, i, st(c, 0), true);
    pop(c);
  },
  fxch: (c, i) => {
    const r = i.nops > 1 ? i.r1 : i.nops === 1 ? i.r0 : 1;
    const a = phys(c, 0);
    const b = phys(c, r);
    if (tag(c, a) === 3 || tag(c, b) === 3) {
      raiseFlags(c, F.IE | SF);
    }
    const [ma, sa] = rawOf(c, a);
    const [mb, sb] = rawOf(c, b);
    const ta = tag(c, a);
    const tb = tag(c, b);
    writeRaw(c, a, mb, sb);
    writeRaw(c, b, ma, sa);
    setTag(c, a, tb === 3 ? 3 : tag(c, a));
    setTag(c, b, ta === 3 ? 3 : tag(c, b));
    c.fpuStatus &= ~C1;
  },
  fchs: (c) => signOp(c, 0xffff, 0x8000),
  fabs: (c) => signOp(c, 0x7fff, 0),
  fldz: (c) => push(c, F.fin(0, 0n, 0)),
  fld1: (c) => push(c, F.fin(0, 1n, 0)),
  ftst: (c) => setCC(c, compareFlags(c, st(c, 0), F.fin(0, 0n, 0), false)),
  fxam: (c) => {
    const p = phys(c, 0);
    const [m, se] = rawOf(c, p);
    const s = se >> 15;
    c.fpuStatus &= ~(C0 | C1 | C2 | C3);
    if (s) c.fpuStatus |= C1;
    const exp = se & 0x7fff;
    if (tag(c, p) === 3) c.fpuStatus |= C3 | C0;
    else if (exp === 0x7fff) c.fpuStatus |= (m & 0x7fffffffffffffffn) === 0n ? C2 | C0 : C0;
    else if (exp === 0) c.fpuStatus |= m === 0n ? C3 : C3 | C2;
    else if (m >> 63n) c.fpuStatus |= C2;
    // unnormal: all clear
  },
  fsqrt: (c) => storeArith(c, 0, F.sqrt(st(c, 0))),
  frndint: (c) => {
    const x = st(c, 0);
    if (x.cls !== F.CLS_FINITE) return storeST(c, 0, F.nan1(x), false);
    const [n, inexact] = F.toInteger(x, rc(c));
    raiseFlags(c, (inexact ? F.PE : 0) | operandDE(0));
    const mag = n < 0n ? -n : n;
    storeST(c, 0, F.fin(x.s, mag, 0), false);
    // C1: the magnitude was rounded up
    if (inexact && x.e < 0 && mag > x.m >> BigInt(-x.e)) c.fpuStatus |= C1;
  },
  fscale: (c) => {
    const x = st(c, 0);
    const y = st(c, 1);
    if (x.cls !== F.CLS_FINITE || y.cls !== F.CLS_FINITE) {
      if (x.cls === F.CLS_NAN || y.cls === F.CLS_NAN) return storeST(c, 0, F.add(x, y, rc(c)), false);
      const flags = operandDE(0);
      if (y.cls === F.CLS_INF) {
        // 0 * 2^+inf and inf * 2^-inf are invalid
        if (x.cls === F.CLS_INF ? y.s === 1 : x.m === 0n && y.s === 0) {
          raiseFlags(c, F.IE);
          return storeST(c, 0, { ...F.INDEFINITE }, false);
        }
        raiseFlags(c, flags);
        return storeST(c, 0, y.s ? F.fin(x.s, 0n, 0) : { s: x.s, m: 0n, e: 0, cls: F.CLS_INF }, false);
      }
      raiseFlags(c, flags);
      return storeST(c, 0, x, false);
    }
    const [n] = F.toInteger(y, F.RC_ZERO);
    const k = Number(n > 100000n ? 100000n : n < -100000n ? -100000n : n);
    storeArith(c, 0, { v: F.fin(x.s, x.m, x.e + k), flags: 0, sticky: false });
  },
  fxtract: (c) => {
    const x = st(c, 0);
    if (x.cls === F.CLS_NAN) {
      const q = F.nan1(x);
      storeST(c, 0, q, false);
      return push(c, q.v);
    }
    if (x.cls === F.CLS_INF) {
      storeST(c, 0, { s: 0, m: 0n, e: 0, cls: F.CLS_INF }, false);
      return push(c, x);
    }
    if (x.m === 0n) {
      raiseFlags(c, F.ZE);
      storeST(c, 0, { s: 1, m: 0n, e: 0, cls: F.CLS_INF }, false);
      return push(c, x);
    }
    const L = x.m.toString(2).length;
    const exp = x.e + L - 1;
    raiseFlags(c, operandDE(0));
    storeST(c, 0, F.fin(exp < 0 ? 1 : 0, BigInt(Math.abs(exp)), 0), false);
    push(c, F.fin(x.s, x.m, -(L - 1)));
  },
  fprem: (c) => prem(c, false),
  fprem1: (c) => prem(c, true),
  fnstcw: (c, i) => c.mem.write16(ea(c, i), c.fpuControl),
  fldcw: (c, i) => {
    c.fpuControl = c.mem.read16(ea(c, i)) | 0x40;
    if (c.fpuStatus & ~c.fpuControl & 0x3f) c.fpuStatus |= ES | 0x8000;
    else c.fpuStatus &= ~(ES | 0x8000);
  },
  fnstsw: (c, i) => {
    if (i.k0 === K_MEM) c.mem.write16(ea(c, i), fpuStatusWord(c));
    else setReg(c, 0, 2, fpuStatusWord(c), 0);
  },
  fnclex: (c) => {
    c.fpuStatus &= ~0x80ff;
  },
  fninit: (c) => {
    c.fpuControl = 0x37f;
    c.fpuStatus = 0;
    c.fpuTop = 0;
    c.fpuTag = 0xffff;
  },
  fnstenv: (c, i) => {
    storeEnv(c, ea(c, i));
    c.fpuControl |= 0x3f; // fnstenv masks all exceptions
  },
  fldenv: (c, i) => loadEnv(c, ea(c, i)),
  fnsave: (c, i) => {
    const a = ea(c, i);
    storeEnv(c, a);
    for (let k = 0; k < 8; k++) {
      const [m, se] = rawOf(c, phys(c, k));
      c.mem.write32(a + 28 + 10 * k, Number(m & 0xffffffffn) | 0);
      c.mem.write32(a + 32 + 10 * k, Number(m >> 32n) | 0);
      c.mem.write16(a + 36 + 10 * k, se);
    }
    OPS.fninit(c, i);
  },
  frstor: (c, i) => {
    const a = ea(c, i);
    loadEnv(c, a);
    const tagSave = c.fpuTag;
    for (let k = 0; k < 8; k++) {
      const lo = BigInt(c.mem.read32(a + 28 + 10 * k) >>> 0);
      const hi = BigInt(c.mem.read32(a + 32 + 10 * k) >>> 0);
      writeRaw(c, phys(c, k), (hi << 32n) | lo, c.mem.read16(a + 36 + 10 * k));
    }
    // keep empty tags from the image
    for (let p = 0; p < 8; p++) if (((tagSave >> (2 * p)) & 3) === 3) setTag(c, p, 3);
  },
  ffree: (c, i) => setTag(c, phys(c, i.r0), 3),
  ffreep: (c, i) => {
    setTag(c, phys(c, i.r0), 3);
    pop(c);
  },
  fincstp: (c) => {
    c.fpuTop = (c.fpuTop + 1) & 7;
    c.fpuStatus &= ~C1;
  },
  fdecstp: (c) => {
    c.fpuTop = (c.fpuTop - 1) & 7;
    c.fpuStatus &= ~C1;
  },
  fnop: () => {},
  fcom: (c, i) => fcom(c, i, false, 0),
  fcomp: (c, i) => fcom(c, i, false, 1),
  fcom2: (c, i) => fcom(c, i, false, 0),
  fcomp3: (c, i) => fcom(c, i, false, 1),
  fcomp5: (c, i) => fcom(c, i, false, 1),
  fcompp: (c, i) => fcom(c, i, false, 2),
  fucom: (c, i) => fcom(c, i, true, 0),
  fucomp: (c, i) => fcom(c, i, true, 1),
  fucompp: (c, i) => fcom(c, i, true, 2),
  ficom: (c, i) => fcom(c, i, false, 0),
  ficomp: (c, i) => fcom(c, i, false, 1),
  fcomi: (c, i) => fcomi(c, i, false, false),
  fcomip: (c, i) => fcomi(c, i, false, true),
  fucomi: (c, i) => fcomi(c, i, true, false),
  fucomip: (c, i) => fcomi(c, i, true, true),
  fcmovb: fcmov((f) => (f & 1) !== 0),
  fcmove: fcmov((f) => (f & 0x40) !== 0),
  fcmovbe: fcmov((f) => (f & 0x41) !== 0),
  fcmovu: fcmov((f) => (f & 4) !== 0),
  fcmovnb: fcmov((f) => (f & 1) === 0),
  fcmovne: fcmov((f) => (f & 0x40) === 0),
  fcmovnbe: fcmov((f) => (f & 0x41) === 0),
  fcmovnu: fcmov((f) => (f & 4) === 0),
  fsin: (c) => trig(c, TRIG_SIN),
  fcos: (c) => trig(c, TRIG_COS),
  fsincos: (c) => trig(c, TRIG_SINCOS),
  fptan: (c) => trig(c, TRIG_TAN),
  f2xm1: (c) => {
    const x = st(c, 0);
    if (x.cls === F.CLS_NAN) return storeTrans(c, 0, F.nan1(x));
    if (x.cls === F.CLS_INF) return storeTrans(c, 0, exact(x.s ? F.fin(1, 1n, 0) : x)); // 2^-inf - 1 = -1
    if (x.m === 0n) return storeTrans(c, 0, exact(x));
    storeTrans(c, 0, inexact(T.f2xm1F(x)));
  },
  fpatan: (c) => twoOperand(c, fpatan),
  fyl2x: (c) => twoOperand(c, fyl2x),
  fyl2xp1: (c) => twoOperand(c, fyl2xp1),
};

OPS.fxch4 = OPS.fxch;
OPS.fxch7 = OPS.fxch;
OPS.fstp8 = OPS.fstp1;
OPS.fstp9 = OPS.fstp1;

/** fchs/fabs: the sign bit of ST(0) changed in place (se & and ^ xor), whatever the encoding. */
function signOp(c: CPU, and: number, xor: number): void {
  const p = phys(c, 0);
  if (tag(c, p) === 3) return storeST(c, 0, underflowStack(c), false);
  const [m, se] = rawOf(c, p);
  c.fpuStatus &= ~C1;
  writeRaw(c, p, m, (se & and) ^ xor);
}

function copyST(c: CPU, to: number): void {
  const p = phys(c, 0);
  c.fpuStatus &= ~C1;
  if (tag(c, p) === 3) return storeST(c, to, underflowStack(c), false);
  const [m, se] = rawOf(c, p);
  writeRaw(c, phys(c, to), m, se);
}

function prem(c: CPU, ieee: boolean): void {
  const x = st(c, 0);
  const y = st(c, 1);
  if (x.cls !== F.CLS_FINITE || y.cls !== F.CLS_FINITE || y.m === 0n) {
    // a NaN or invalid result (inf % y, x % 0) clears C1 and C2 but leaves C0 and C3 alone
    c.fpuStatus &= ~C2;
    if (x.cls === F.CLS_NAN || y.cls === F.CLS_NAN) return storeST(c, 0, F.add(x, y, rc(c)), false); // NaN propagation rules
    if (x.cls === F.CLS_INF || y.cls === F.CLS_FINITE) {
      raiseFlags(c, F.IE);
      return storeST(c, 0, { ...F.INDEFINITE }, false);
    }
    // finite % inf = x (rewritten in canonical form), a complete remainder with quotient 0
    c.fpuStatus &= ~(C0 | C1 | C3);
    raiseFlags(c, operandDE(0));
    return storeST(c, 0, x, false);
  }
  raiseFlags(c, operandDE(0));
  const lx = x.m.toString(2).length + x.e;
  const ly = y.m.toString(2).length + y.e;
  c.fpuStatus &= ~(C0 | C1 | C2 | C3);
  if (lx - ly >= 64) {
    // partial remainder: reduce by y * 2^(d - 32..63), C2 = 1
    const shift = lx - ly - 32 - ((lx - ly) % 32);
    const e = Math.min(x.e, y.e + shift);
    const a = x.m << BigInt(x.e - e);
    const b = y.m << BigInt(y.e + shift - e);
    const r = a % b;
    storeST(c, 0, F.fin(x.s, r, e), false);
    c.fpuStatus |= C2;
    return;
  }
  const e = Math.min(x.e, y.e);
  const a = x.m << BigInt(x.e - e);
  const b = y.m << BigInt(y.e - e);
  let q = a / b;
  let r = a - q * b;
  let s = x.s;
  if (ieee && r !== 0n) {
    const twice = 2n * r;
    if (twice > b || (twice === b && (q & 1n) === 1n)) {
      q += 1n;
      r = b - r;
      s ^= 1;
    }
  }
  storeST(c, 0, F.fin(r === 0n ? x.s : s, r, e), false);
  if (q & 1n) c.fpuStatus |= C1;
  if (q & 2n) c.fpuStatus |= C3;
  if (q & 4n) c.fpuStatus |= C0;
}

for (const [name, op] of Object.entries(ARITH)) {
  OPS[`f${name}`] = (c, i) => arith(c, i, op, false, false);
  OPS[`f${name}p`] = (c, i) => arith(c, i, op, false, true);
  OPS[`fi${name}`] = (c, i) => arith(c, i, op, true, false);
}
for (const [name, [m, e]] of Object.entries(CONSTS)) {
  OPS[name] = (c) => {
    const packed = F.pack80(F.fin(0, m, e), 64, rc(c));
    push(c, F.unpack80(packed.mant, packed.se), true);
  };
}

/** Control instructions that do not check for pending unmasked exceptions. */
const NO_WAIT = new Set(["fnstcw", "fldcw", "fnstsw", "fnclex", "fninit", "fnstenv", "fldenv", "fnsave", "frstor", "fxsave", "fxrstor"]);

register("x87", (c, i) => {
  const op = OPS[i.mnem];
  if (!op) throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, `unsupported instruction '${i.mnem}'`);
  if (c.fpuStatus & ES && !NO_WAIT.has(i.mnem)) throw new CpuException(SIGFPE, fpeCode(c), i.addr, "floating-point exception (x87)");
  denormalSeen = nanSeen = false;
  op(c, i);
  if (i.mnem !== "fnstenv" && i.mnem !== "fldenv" && !NO_WAIT.has(i.mnem)) {
    c.fpuLastIp = i.addr;
    c.fpuLastOpcode = ((i.opcode & 7) << 8) | (i.modrm & 0xff);
  }
  void K_ST;
});

register("fwait", (c, i) => {
  if (c.fpuStatus & ES) throw new CpuException(SIGFPE, fpeCode(c), i.addr, "floating-point exception (x87)");
});

function fpeCode(c: CPU): number {
  const pending = c.fpuStatus & ~c.fpuControl & 0x3f;
  if (pending & F.IE) return 7; // FPE_FLTINV
  if (pending & F.ZE) return 3; // FPE_FLTDIV
  if (pending & F.OE) return 4; // FPE_FLTOVF
  if (pending & (F.UE | F.DE)) return 5; // FPE_FLTUND (Linux reports a denormal operand so too)
  if (pending & F.PE) return 6; // FPE_FLTRES
  return 7;
}

// fxsave/fxrstor (and the xsave family for x87+SSE state only)
register("fxsave", (c, i) => {
  const a = ea(c, i);
  if (a % 16) throw new CpuException(11, 0x80, 0, "general protection (misaligned fxsave)");
  const img = new Uint8Array(512);
  const old = c.mem.readBytes(a, 512);
  fxsaveImage(c, img);
  img.set(old.subarray(464, 512), 464); // bytes 464-511 are left alone
  c.mem.writeBytes(a, img);
});
register("fxrstor", (c, i) => {
  const a = ea(c, i);
  if (a % 16) throw new CpuException(11, 0x80, 0, "general protection (misaligned fxrstor)");
  if (!fxrstorImage(c, c.mem.readBytes(a, 512))) throw new CpuException(11, 0x80, 0, "general protection (reserved MXCSR bits)");
});
