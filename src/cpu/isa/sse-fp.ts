/**
 * SSE floating-point semantics shared by the SSE families: MXCSR rounding
 * control (RC), flush-to-zero (FTZ), denormals-are-zero (DAZ), the six sticky
 * exception flags, and unmasked exceptions (#XM, which Linux delivers as
 * SIGFPE with rip at the faulting instruction and the destination unchanged).
 *
 * Usage per instruction: fpBegin(c); compute every lane with the lane
 * functions below into a scratch (they accumulate flags in FP); fpEnd(c, i)
 * (raises #XM for unmasked exceptions, else merges the flags into MXCSR);
 * then write the results.
 *
 * Lane functions take and return JS numbers (float32 lanes as their exact
 * double values). A NaN result means "NaN": the caller applies the x86 NaN
 * propagation rules on the operand bits (nan64/nan32 in sse-core.ts) and
 * raises IE for signalling NaN operands; invalid operations (inf-inf, 0*inf,
 * 0/0, sqrt(-x)) already raised IE here.
 *
 * Fast path: all exceptions masked, operands normal or zero, results well
 * inside the normal range. The exact error of the double result (TwoSum,
 * Dekker's TwoProduct for the remainder of mul/div/sqrt) gives the inexact
 * flag and, for the directed rounding modes, the one-ulp correction; float32
 * results come from the double result (correctly rounded for + - * / sqrt).
 * Everything else (denormals, DAZ/FTZ effects, overflow, underflow, NaN and
 * infinity operands, unmasked exceptions) takes an exact BigInt path.
 */
import type { Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, SIGFPE } from "../exceptions.js";
import * as F from "../f80.js";

// MXCSR's exception flags sit at the same bits as the x87 status word's
import { IE, DE, ZE, OE, UE, PE } from "../f80.js";
export { IE, DE, ZE, OE, UE, PE };
const DAZ = 0x40;
const FTZ = 0x8000;
const OM = 0x400;
const UM = 0x800;
const ALL_MASKED = 0x1f80;

export const ADD = 0;
export const SUB = 1;
export const MUL = 2;
export const DIV = 3;
export const SQRT = 4;

/** Flags raised by the current instruction: pre-computation (IE DE ZE) and post-computation (OE UE PE), and its MXCSR. */
export const FP = { pre: 0, post: 0, mx: ALL_MASKED };

export function fpBegin(c: CPU): void {
  FP.pre = 0;
  FP.post = 0;
  FP.mx = c.mxcsr;
}

/**
 * End of the computation, before any result is written: an unmasked
 * pre-computation exception reports the pre-computation flags of all lanes;
 * else an unmasked post-computation exception reports all flags; both raise
 * #XM. Otherwise the flags are merged into MXCSR (sticky).
 */
export function fpEnd(c: CPU, i: Insn): void {
  const pre = FP.pre;
  const post = FP.post;
  if ((pre | post) === 0) return;
  const unmasked = ~(FP.mx >> 7) & 0x3f;
  if (pre & unmasked) raiseXM(c, i, pre);
  if (post & unmasked) raiseXM(c, i, pre | post);
  c.mxcsr |= pre | post;
}

/** #XM: Linux reports the first unmasked pending flag of MXCSR as the si_code. */
function raiseXM(c: CPU, i: Insn, flags: number): never {
  c.mxcsr |= flags;
  const err = c.mxcsr & ~(c.mxcsr >> 7) & 0x3f;
  const code = err & IE ? 7 : err & ZE ? 3 : err & OE ? 4 : err & (DE | UE) ? 5 : 6; // FPE_FLTINV FLTDIV FLTOVF FLTUND FLTRES
  throw new CpuException(SIGFPE, code, i.addr, "SIMD floating-point exception");
}

// ---- bit helpers -----------------------------------------------------------------------------

const B64 = new Float64Array(1);
const B64I = new Int32Array(B64.buffer);
const B32 = new Float32Array(1);
const B32I = new Int32Array(B32.buffer);

export const MIN64 = 2 ** -1022;
export const MIN32 = 2 ** -126;
const MAX64 = Number.MAX_VALUE;
const MAX32 = 3.4028234663852886e38;
/** Range where Dekker's TwoProduct is exact (no overflow in the split, no underflow in the error). */
const SAFE_LO = 2 ** -960;
const SAFE_HI = 2 ** 995;
/** Largest product Dekker's split halves may form without overflowing. */
const SAFE_P = 2 ** 1020;

export function isSNaN64(hi: number, lo: number): boolean {
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x7ffff) | lo) !== 0;
}
export function isSNaN32(bits: number): boolean {
  return (bits & 0x7fc00000) === 0x7f800000 && (bits & 0x3fffff) !== 0;
}

/** One ulp further from (away) or closer to zero; v finite and non-zero. */
export function step64(v: number, away: boolean): number {
  B64[0] = v;
  if (away) {
    B64I[0] = (B64I[0] + 1) | 0;
    if (B64I[0] === 0) B64I[1]++;
  } else {
    if (B64I[0] === 0) B64I[1]--;
    B64I[0] = (B64I[0] - 1) | 0;
  }
  return B64[0];
}
export function step32(v: number, away: boolean): number {
  B32[0] = v;
  B32I[0] += away ? 1 : -1;
  return B32[0];
}

const SPLIT = 134217729; // 2^27 + 1
/** a*b - p exactly (p = fl(a*b)), Dekker; operands in the safe range. */
function prodErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Sign of (exact - r), set by near(). */
let ES = 0;

/**
 * Round-to-nearest double result of a op b and the sign of its error (ES),
 * for finite operands that are normal or zero; NaN when the fast path does
 * not apply (possible overflow, underflow, division by zero, sqrt(-x)).
 */
function near(k: number, a: number, b: number, w32: boolean, rc: number): number {
  let r: number;
  let e: number;
  switch (k) {
    case ADD:
    case SUB: {
      const y = k === SUB ? -b : b;
      r = a + y;
      if (!(Math.abs(r) <= MAX64)) return NaN;
      const bb = r - a;
      e = a - (r - bb) + (y - bb);
      break;
    }
    case MUL:
      r = a * b;
      if (w32 || a === 0 || b === 0) {
        e = 0; // float32 products are exact in double
        break;
      }
      if (!(Math.abs(r) >= SAFE_LO && Math.abs(r) <= SAFE_P) || Math.abs(a) > SAFE_HI || Math.abs(b) > SAFE_HI) return NaN;
      e = prodErr(a, b, r);
      break;
    case DIV: {
      if (b === 0) return NaN;
      r = a / b;
      if (a === 0) {
        e = 0;
        break;
      }
      const ar = Math.abs(r);
      if (!(ar >= SAFE_LO && ar <= SAFE_HI) || Math.abs(b) > SAFE_HI || !(Math.abs(a) >= SAFE_LO && Math.abs(a) <= SAFE_P)) return NaN;
      // float32 nearest: exactness shows in fround (see arith); skip the remainder
      if (w32 && rc === 0) {
        e = 0;
        break;
      }
      const p = r * b;
      const rem = a - p - prodErr(r, b, p); // a - r*b: its sign and b's give the side of the exact quotient
      e = b > 0 ? rem : -rem;
      break;
    }
    default: {
      if (b < 0) return NaN;
      r = Math.sqrt(b);
      if (b === 0 || (w32 && rc === 0)) {
        e = 0;
        break;
      }
      if (!(b >= SAFE_LO && b <= SAFE_P)) return NaN;
      const p = r * r;
      e = b - p - prodErr(r, r, p);
    }
  }
  ES = e > 0 ? 1 : e < 0 ? -1 : 0;
  return r;
}

/**
 * a op b (op: ADD SUB MUL DIV SQRT; SQRT takes its operand in b) rounded to
 * double (w32 false) or float32 (w32 true) per MXCSR, flags into FP.
 */
export function arith(k: number, a: number, b: number, w32: boolean): number {
  const mx = FP.mx;
  if ((mx & ALL_MASKED) === ALL_MASKED) {
    const min = w32 ? MIN32 : MIN64;
    const aa = Math.abs(a);
    const ab = Math.abs(b);
    if ((aa >= min || a === 0) && aa <= MAX64 && (ab >= min || b === 0) && ab <= MAX64) {
      const rc = (mx >> 13) & 3;
      let r = near(k, a, b, w32, rc);
      if (r === r) {
        let es = ES;
        if (w32) {
          const f = Math.fround(r);
          if (f !== r) es = r > f ? 1 : -1; // r is not a float: the exact value lies on r's side of f
          r = f;
        }
        if (es !== 0) {
          if (r === 0 || r === Infinity || r === -Infinity) return slowArith(k, a, b, w32);
          if (rc !== 0) {
            // directed rounding: r is the nearest, step one ulp when it lies on the wrong side
            const pos = r > 0;
            if (rc === 3 ? (pos ? es < 0 : es > 0) : rc === 1 ? es < 0 : es > 0) {
              const away = rc === 3 ? false : rc === 1 ? !pos : pos;
              r = w32 ? step32(r, away) : step64(r, away);
            }
          }
          // an inexact result equal to the smallest normal may be tiny (below it when rounded with unbounded exponent): exact path
          const ar = Math.abs(r);
          if (ar > min && ar <= (w32 ? MAX32 : MAX64)) {
            FP.post |= PE;
            return r;
          }
        } else if (r === 0) {
          if (rc === 1 && k <= SUB) r = -(-a + (k === SUB ? b : -b)); // exact zero sum rounding down: -0
          return r;
        } else {
          const ar = Math.abs(r);
          if ((ar >= min || !(mx & FTZ)) && ar <= (w32 ? MAX32 : MAX64)) return r;
        }
      }
    }
  }
  return slowArith(k, a, b, w32);
}

// ---- exact path ---------------------------------------------------------------------------

/** DAZ: a denormal operand reads as zero; otherwise it raises DE (recorded in PEND_DE). */
let PEND_DE = false;
function operand(v: number, min: number, mx: number): number {
  if (v !== 0 && Math.abs(v) < min) {
    if (mx & DAZ) return v < 0 ? -0 : 0;
    PEND_DE = true;
  }
  return v;
}

function slowArith(k: number, a: number, b: number, w32: boolean): number {
  if (a !== a || b !== b) return NaN; // propagated by the caller (no DE with a NaN operand)
  const mx = FP.mx;
  const rc = (mx >> 13) & 3;
  const min = w32 ? MIN32 : MIN64;
  PEND_DE = false;
  a = operand(a, min, mx);
  b = operand(b, min, mx);
  const infA = a === Infinity || a === -Infinity;
  const infB = b === Infinity || b === -Infinity;
  switch (k) {
    case ADD:
    case SUB: {
      const y = k === SUB ? -b : b;
      if (infA && infB && a !== y) return invalid();
      if (infA || infB) return special(a + y);
      break;
    }
    case MUL:
      if ((infA && b === 0) || (infB && a === 0)) return invalid();
      if (infA || infB) return special(a * b);
      break;
    case DIV:
      if ((a === 0 && b === 0) || (infA && infB)) return invalid();
      if (b === 0 && !infA) {
        FP.pre |= ZE; // no DE with a zero divisor
        return a / b;
      }
      if (infA || infB) return special(a / b);
      break;
    default:
      if (b < 0) return invalid();
      if (infB) return special(b);
  }
  if (PEND_DE) FP.pre |= DE;
  const A = F.fromNumber(a);
  const B = F.fromNumber(b);
  const res = k === ADD ? F.add(A, B, rc) : k === SUB ? F.add(A, F.neg(B), rc) : k === MUL ? F.mul(A, B) : k === DIV ? F.div(A, B) : F.sqrt(B);
  return roundExact(res.v, res.sticky, w32);
}

function invalid(): number {
  FP.pre |= IE;
  return NaN;
}
function special(r: number): number {
  if (PEND_DE) FP.pre |= DE;
  return r;
}

let INEXACT = false;
/** m (with a sticky bit) shifted right by sh bits, rounded per rc for sign s; sets INEXACT. */
function rshift(m: bigint, sh: number, sticky: boolean, s: number, rc: number): bigint {
  if (sh <= 0) {
    INEXACT = sticky;
    return m << BigInt(-sh);
  }
  const n = BigInt(sh);
  let q = m >> n;
  const r = m & ((1n << n) - 1n);
  const half = 1n << (n - 1n);
  INEXACT = r !== 0n || sticky;
  if (INEXACT) {
    const up = rc === 0 ? r > half || (r === half && (sticky || (q & 1n) === 1n)) : rc === 1 ? s === 1 : rc === 2 ? s === 0 : false;
    if (up) q += 1n;
  }
  return q;
}

function bitlen(m: bigint): number {
  return m === 0n ? 0 : m.toString(2).length;
}

/**
 * Round an exact value (plus sticky bits below it) to double or float32 per
 * MXCSR: overflow (OE, and PE when OE is masked), tininess after rounding
 * (UE with PE when inexact; FTZ flushes when UE is masked), inexact (PE).
 */
export function roundExact(v: F.F, sticky: boolean, w32: boolean): number {
  const mx = FP.mx;
  const rc = (mx >> 13) & 3;
  const sign = v.s ? -1 : 1;
  if (v.m === 0n) return v.s ? -0 : 0;
  const p = w32 ? 24 : 53;
  const emin = w32 ? -126 : -1022;
  const emax = w32 ? 127 : 1023;
  const L = bitlen(v.m);
  let q = rshift(v.m, L - p, sticky, v.s, rc);
  const inexact = INEXACT;
  let E = v.e + L - p;
  if (bitlen(q) > p) {
    q >>= 1n;
    E++;
  }
  const top = E + p - 1;
  if (top > emax) {
    if (!(mx & OM)) {
      // unmasked: no result is delivered; PE reports whether the exponent-adjusted result was inexact
      FP.post |= OE | (inexact ? PE : 0);
      return sign * Infinity;
    }
    FP.post |= OE | PE;
    const toInf = rc === 0 || (rc === 2 && !v.s) || (rc === 1 && v.s === 1);
    return sign * (toInf ? Infinity : w32 ? MAX32 : MAX64);
  }
  if (top < emin) {
    if (!(mx & UM)) {
      FP.post |= UE | (inexact ? PE : 0); // as for overflow: PE from the exponent-adjusted result
      return 0;
    }
    const qd = rshift(v.m, emin - p + 1 - v.e, sticky, v.s, rc);
    if (mx & FTZ) {
      FP.post |= UE | PE;
      return sign * 0;
    }
    if (INEXACT) FP.post |= UE | PE;
    return sign * Number(qd) * 2 ** (emin - p + 1);
  }
  if (inexact) FP.post |= PE;
  return sign * Number(q) * 2 ** E;
}

// ---- other lane operations ------------------------------------------------------------------

/**
 * A compare or min/max operand that is not NaN: denormals read as zero with
 * DAZ, else raise DE.
 */
export function cmpOperand(v: number, w32: boolean): number {
  if (v !== 0 && Math.abs(v) < (w32 ? MIN32 : MIN64)) {
    if (FP.mx & DAZ) return v < 0 ? -0 : 0;
    FP.pre |= DE;
  }
  return v;
}

/** cvtsd2ss/cvtpd2ps lane: a non-NaN double rounded to float32 per MXCSR. */
export function narrow(d: number): number {
  const mx = FP.mx;
  if ((mx & ALL_MASKED) === ALL_MASKED && (Math.abs(d) >= MIN64 || d === 0) && (mx & 0x6000) === 0) {
    const f = Math.fround(d);
    const af = Math.abs(f);
    if ((af >= MIN32 || d === 0) && af <= MAX32) {
      if (f === d) return f;
      if (af !== MIN32) {
        FP.post |= PE;
        return f;
      }
      // inexact and rounded up to the smallest normal: possibly tiny (UE), see arith
    }
  }
  if (d === Infinity || d === -Infinity) return d;
  PEND_DE = false;
  d = operand(d, MIN64, mx);
  if (PEND_DE) FP.pre |= DE;
  return roundExact(F.fromNumber(d), false, true);
}

/** cvtss2sd/cvtps2pd lane: a non-NaN float32 value widened (exact); DAZ/DE. */
export function widen(f: number): number {
  return cmpOperand(f, true);
}

/** An integer (int64 value as hi:lo halves) converted to double or float32 per MXCSR.RC (PE when inexact). */
export function fromInt(hi: number, lo: number, w32: boolean): number {
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * 4294967296 + (lo >>> 0); // exact
    if (!w32) return v;
    const f = Math.fround(v);
    if (f === v) return f;
  }
  const big = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  const neg = big < 0n;
  return roundExact(F.fin(neg ? 1 : 0, neg ? -big : big, 0), false, w32);
}

/** Round to an integral value per mode (0 nearest-even, 1 down, 2 up, 3 toward zero); v finite. */
export function roundInt(v: number, mode: number): number {
  let r: number;
  switch (mode) {
    case 0:
      r = Math.round(v);
      if (r - v === 0.5 && r % 2 !== 0) r -= 1; // ties to even
      break;
    case 1:
      r = Math.floor(v);
      break;
    case 2:
      r = Math.ceil(v);
      break;
    default:
      r = Math.trunc(v);
  }
  return r === 0 && (v < 0 || Object.is(v, -0)) ? -0 : r;
}

/**
 * cvt(t)ss2si, cvt(t)sd2si, cvt(t)ps2dq, cvt(t)pd2dq lane: v rounded per
 * MXCSR.RC (or truncated) to an integer in [-2^(bits-1), 2^(bits-1)); NaN
 * when invalid (the caller writes the integer indefinite; IE raised here).
 */
export function toInt(v: number, bits: 32 | 64, truncate: boolean, w32: boolean): number {
  if (v !== v) return invalid();
  if (v !== 0 && Math.abs(v) < (w32 ? MIN32 : MIN64) && FP.mx & DAZ) v = 0;
  const r = roundInt(v, truncate ? 3 : (FP.mx >> 13) & 3);
  const lim = bits === 64 ? 9223372036854775808 : 2147483648;
  if (!(r >= -lim && r < lim)) return invalid();
  if (r !== v) FP.post |= PE;
  return r;
}

/** roundps/pd/ss/sd lane: a non-NaN value (DAZ applies) rounded to an integral value; PE unless suppressed. */
export function roundLane(v: number, mode: number, w32: boolean, suppressPE: boolean): number {
  if (v === Infinity || v === -Infinity) return v;
  if (v !== 0 && Math.abs(v) < (w32 ? MIN32 : MIN64) && FP.mx & DAZ) return v < 0 ? -0 : 0;
  const r = roundInt(v, mode);
  if (r !== v && !suppressPE) FP.post |= PE;
  return r;
}

// ---- fast lane functions for the default MXCSR ----------------------------------------------
// Round to nearest, all exceptions masked, no FTZ/DAZ: operands normal (or, for
// add/sub, zero) and results well inside the normal range need only the
// inexact test; everything else goes to arith().

const DEFAULT = 0x1f80;
const DEFAULT_MASK = 0xffc0;

function add64(a: number, b: number): number {
  if ((FP.mx & DEFAULT_MASK) === DEFAULT) {
    const r = a + b;
    const aa = Math.abs(a);
    const ab = Math.abs(b);
    if ((aa >= MIN64 || a === 0) && (ab >= MIN64 || b === 0) && Math.abs(r) <= MAX64) {
      const bb = r - a;
      if (a - (r - bb) + (b - bb) !== 0) FP.post |= PE;
      return r;
    }
  }
  return arith(ADD, a, b, false);
}
function sub64(a: number, b: number): number {
  return (FP.mx & DEFAULT_MASK) === DEFAULT ? add64(a, -b) : arith(SUB, a, b, false);
}
function mul64(a: number, b: number): number {
  if ((FP.mx & DEFAULT_MASK) === DEFAULT) {
    const r = a * b;
    const ar = Math.abs(r);
    const aa = Math.abs(a);
    const ab = Math.abs(b);
    if (ar >= SAFE_LO && ar <= SAFE_P && aa >= MIN64 && aa <= SAFE_HI && ab >= MIN64 && ab <= SAFE_HI) {
      if (prodErr(a, b, r) !== 0) FP.post |= PE;
      return r;
    }
  }
  return arith(MUL, a, b, false);
}
function div64(a: number, b: number): number {
  if ((FP.mx & DEFAULT_MASK) === DEFAULT) {
    const r = a / b;
    const ar = Math.abs(r);
    const aa = Math.abs(a);
    const ab = Math.abs(b);
    if (ar >= SAFE_LO && ar <= SAFE_HI && aa >= SAFE_LO && aa <= SAFE_P && ab >= MIN64 && ab <= SAFE_HI) {
      const p = r * b;
      if (p !== a || prodErr(r, b, p) !== 0) FP.post |= PE;
      return r;
    }
  }
  return arith(DIV, a, b, false);
}
function sqrt64(_a: number, b: number): number {
  if ((FP.mx & DEFAULT_MASK) === DEFAULT && b >= SAFE_LO && b <= SAFE_P) {
    const r = Math.sqrt(b);
    const p = r * r;
    if (p !== b || prodErr(r, r, p) !== 0) FP.post |= PE;
    return r;
  }
  return arith(SQRT, 0, b, false);
}
function add32(a: number, b: number): number {
  if ((FP.mx & DEFAULT_MASK) === DEFAULT) {
    const r = a + b;
    const f = Math.fround(r);
    const aa = Math.abs(a);
    const ab = Math.abs(b);
    const af = Math.abs(f);
    if ((aa >= MIN32 || a === 0) && (ab >= MIN32 || b === 0) && aa <= MAX32 && ab <= MAX32 && ((af >= MIN32 && af <= MAX32) || r === 0)) {
      const bb = r - a;
      if (f !== r || a - (r - bb) + (b - bb) !== 0) FP.post |= PE;
      return f;
    }
  }
  return arith(ADD, a, b, true);
}
function sub32(a: number, b: number): number {
  return (FP.mx & DEFAULT_MASK) === DEFAULT ? add32(a, -b) : arith(SUB, a, b, true);
}
/** mul/div/sqrt of float32 values: the double result rounded by fround is exact when equal to it. */
function fin32(k: number, a: number, b: number, r: number): number {
  if ((FP.mx & DEFAULT_MASK) === DEFAULT) {
    const f = Math.fround(r);
    const af = Math.abs(f);
    const aa = Math.abs(a);
    const ab = Math.abs(b);
    if (af >= MIN32 && af <= MAX32 && (aa >= MIN32 || k === SQRT) && aa <= MAX32 && ab >= MIN32 && ab <= MAX32) {
      if (f === r) return f;
      if (af !== MIN32) {
        FP.post |= PE;
        return f;
      }
      // inexact and rounded up to the smallest normal: possibly tiny (UE), see arith
    }
  }
  return arith(k, a, b, true);
}
function mul32(a: number, b: number): number {
  return fin32(MUL, a, b, a * b);
}
function div32(a: number, b: number): number {
  return fin32(DIV, a, b, a / b);
}
function sqrt32(_a: number, b: number): number {
  return fin32(SQRT, 0, b, Math.sqrt(b));
}

/** Lane functions by operation (ADD SUB MUL DIV SQRT; SQRT takes its operand in b). */
export const LANE64: ((a: number, b: number) => number)[] = [add64, sub64, mul64, div64, sqrt64];
export const LANE32: ((a: number, b: number) => number)[] = [add32, sub32, mul32, div32, sqrt32];
