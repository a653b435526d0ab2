/**
 * Exact 80-bit extended-precision arithmetic for the x87 unit.
 *
 * A finite value is held exactly as sign * m * 2^e (m a BigInt); results are
 * rounded once to the precision control (24/53/64 bits) with the rounding
 * control of the FPU, including denormals, overflow and underflow. This is
 * the cold path (x87 code is rare and short), so BigInt is fine here.
 */

export const CLS_FINITE = 0;
export const CLS_INF = 1;
export const CLS_NAN = 2;

/** An unpacked value: for NaN, `m` is the raw 64-bit significand. */
export interface F {
  s: number;
  m: bigint;
  e: number;
  cls: number;
}

/** Exception bits of the x87 status word. */
export const IE = 1;
export const DE = 2;
export const ZE = 4;
export const OE = 8;
export const UE = 16;
export const PE = 32;

export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_ZERO = 3;

/** Result of an encode: raw 80-bit fields plus raised exception flags and C1 (rounded up). */
export interface Packed {
  mant: bigint;
  se: number;
  flags: number;
  c1: number;
}

const M64 = (1n << 64n) - 1n;

export function fin(s: number, m: bigint, e: number): F {
  return { s, m, e, cls: CLS_FINITE };
}
export const INDEFINITE: F = { s: 1, m: 0xc000000000000000n, e: 0, cls: CLS_NAN };

function bitlen(m: bigint): number {
  return m === 0n ? 0 : m.toString(2).length;
}

/** Unpack raw 80-bit fields. Unnormals (integer bit clear, exponent non-zero) are invalid: NaN indefinite. */
export function unpack80(mant: bigint, se: number): F {
  const s = se >> 15;
  const exp = se & 0x7fff;
  if (exp === 0x7fff) {
    if ((mant & 0x7fffffffffffffffn) === 0n) return { s, m: 0n, e: 0, cls: CLS_INF };
    return { s, m: mant, e: 0, cls: CLS_NAN };
  }
  if (exp === 0) return fin(s, mant, 1 - 16383 - 63);
  if ((mant >> 63n) === 0n) return { ...INDEFINITE };
  return fin(s, mant, exp - 16383 - 63);
}

/** Round m (with a sticky bit) right by `shift` bits. Returns [q, inexact, roundedUp]. */
function roundShift(m: bigint, shift: number, sticky: boolean, s: number, rc: number): [bigint, boolean, boolean] {
  if (shift <= 0) return [m << BigInt(-shift), sticky, false];
  const sh = BigInt(shift);
  let q = m >> sh;
  const r = m & ((1n << sh) - 1n);
  const half = 1n << (sh - 1n);
  const inexact = r !== 0n || sticky;
  let up = false;
  if (inexact) {
    if (rc === RC_NEAREST) up = r > half || (r === half && (sticky || (q & 1n) === 1n));
    else if (rc === RC_DOWN) up = s === 1;
    else if (rc === RC_UP) up = s === 0;
  }
  if (up) q += 1n;
  return [q, inexact, up];
}

/** Round an exact value to `p` significant bits (24/53/64) and pack into 80 bits. */
export function pack80(x: F, p: number, rc: number, sticky = false): Packed {
  if (x.cls === CLS_INF) return { mant: 1n << 63n, se: (x.s << 15) | 0x7fff, flags: 0, c1: 0 };
  if (x.cls === CLS_NAN) return { mant: x.m, se: (x.s << 15) | 0x7fff, flags: 0, c1: 0 };
  if (x.m === 0n) return { mant: 0n, se: x.s << 15, flags: sticky ? PE | UE : 0, c1: 0 };
  const L = bitlen(x.m);
  let biased = x.e + L - 1 + 16383;
  let flags = 0;
  if (biased >= 1) {
    let [q, inexact, up] = roundShift(x.m, L - p, sticky, x.s, rc);
    if (bitlen(q) > p) {
      q >>= 1n;
      biased++;
    }
    if (biased >= 0x7fff) {
      // overflow: infinity or the largest finite value, depending on the rounding direction
      const toInf = rc === RC_NEAREST || (rc === RC_UP && x.s === 0) || (rc === RC_DOWN && x.s === 1);
      if (toInf) return { mant: 1n << 63n, se: (x.s << 15) | 0x7fff, flags: OE | PE, c1: 1 };
      const max = ((1n << BigInt(p)) - 1n) << BigInt(64 - p);
      return { mant: max, se: (x.s << 15) | 0x7ffe, flags: OE | PE, c1: 0 };
    }
    if (inexact) flags |= PE;
    return { mant: (q << BigInt(64 - p)) & M64, se: (x.s << 15) | biased, flags, c1: up ? 1 : 0 };
  }
  // denormal: the significand is m * 2^(e - (1 - 16383 - 63)) in the 64-bit field
  const minE = 1 - 16383 - 63 + (64 - p); // lowest representable bit at this precision
  const [q, inexact, up] = roundShift(x.m, minE - x.e, sticky, x.s, rc);
  if (inexact) flags |= PE | UE;
  const mant = q << BigInt(64 - p);
  if (mant >> 63n) return { mant: mant & M64, se: (x.s << 15) | 1, flags, c1: up ? 1 : 0 }; // rounded up to the smallest normal
  return { mant, se: x.s << 15, flags, c1: up ? 1 : 0 };
}

/**
 * NaN propagation for two operands (x87, SDM "rules for generating QNaNs"):
 * an SNaN and a QNaN give the QNaN; two of the same kind give the one with
 * the larger significand, the positive one on a tie; the result is quiet.
 */
function nanResult(a: F, b: F): F {
  let r: F;
  if (a.cls !== CLS_NAN) r = b;
  else if (b.cls !== CLS_NAN) r = a;
  else if (isSNaN(a) !== isSNaN(b)) r = isSNaN(a) ? b : a;
  else if (a.m !== b.m) r = a.m > b.m ? a : b;
  else r = a.s <= b.s ? a : b;
  return { ...r, m: r.m | (1n << 62n) };
}

/** A one-operand operation on a NaN: quieted (IE for a signaling one); any other value unchanged. */
export function nan1(a: F): Result {
  if (a.cls !== CLS_NAN) return { v: a, flags: 0, sticky: false };
  return { v: { ...a, m: a.m | (1n << 62n) }, flags: isSNaN(a) ? IE : 0, sticky: false };
}

export function isSNaN(x: F): boolean {
  return x.cls === CLS_NAN && (x.m & (1n << 62n)) === 0n;
}

export interface Result {
  v: F;
  /** exception flags from the operation itself (before rounding) */
  flags: number;
  sticky: boolean;
}

export function add(a: F, b: F, rc: number): Result {
  if (a.cls === CLS_NAN || b.cls === CLS_NAN) return { v: nanResult(a, b), flags: isSNaN(a) || isSNaN(b) ? IE : 0, sticky: false };
  if (a.cls === CLS_INF || b.cls === CLS_INF) {
    if (a.cls === CLS_INF && b.cls === CLS_INF && a.s !== b.s) return { v: { ...INDEFINITE }, flags: IE, sticky: false };
    return { v: a.cls === CLS_INF ? a : b, flags: 0, sticky: false };
  }
  const e = Math.min(a.e, b.e);
  const ma = a.m << BigInt(a.e - e);
  const mb = b.m << BigInt(b.e - e);
  const va = a.s ? -ma : ma;
  const vb = b.s ? -mb : mb;
  const sum = va + vb;
  if (sum === 0n) {
    // exact zero: +0 except when both are -0, or -0 in round-down mode
    // exact zero: x + (-x) is +0 (-0 when rounding down); (-0) + (-0) is -0
    const s = a.m === 0n && b.m === 0n && a.s === b.s ? a.s : rc === RC_DOWN ? 1 : 0;
    return { v: fin(s, 0n, 0), flags: 0, sticky: false };
  }
  return { v: fin(sum < 0n ? 1 : 0, sum < 0n ? -sum : sum, e), flags: 0, sticky: false };
}

export function neg(a: F): F {
  return { ...a, s: a.s ^ 1 };
}

export function mul(a: F, b: F): Result {
  if (a.cls === CLS_NAN || b.cls === CLS_NAN) return { v: nanResult(a, b), flags: isSNaN(a) || isSNaN(b) ? IE : 0, sticky: false };
  const s = a.s ^ b.s;
  if (a.cls === CLS_INF || b.cls === CLS_INF) {
    if ((a.cls === CLS_FINITE && a.m === 0n) || (b.cls === CLS_FINITE && b.m === 0n)) return { v: { ...INDEFINITE }, flags: IE, sticky: false };
    return { v: { s, m: 0n, e: 0, cls: CLS_INF }, flags: 0, sticky: false };
  }
  return { v: fin(s, a.m * b.m, a.e + b.e), flags: 0, sticky: false };
}

export function div(a: F, b: F): Result {
  if (a.cls === CLS_NAN || b.cls === CLS_NAN) return { v: nanResult(a, b), flags: isSNaN(a) || isSNaN(b) ? IE : 0, sticky: false };
  const s = a.s ^ b.s;
  if (a.cls === CLS_INF) {
    if (b.cls === CLS_INF) return { v: { ...INDEFINITE }, flags: IE, sticky: false };
    return { v: { s, m: 0n, e: 0, cls: CLS_INF }, flags: 0, sticky: false };
  }
  if (b.cls === CLS_INF) return { v: fin(s, 0n, 0), flags: 0, sticky: false };
  if (b.m === 0n) {
    if (a.m === 0n) return { v: { ...INDEFINITE }, flags: IE, sticky: false };
    return { v: { s, m: 0n, e: 0, cls: CLS_INF }, flags: ZE, sticky: false };
  }
  if (a.m === 0n) return { v: fin(s, 0n, 0), flags: 0, sticky: false };
  const k = 70 + Math.max(0, bitlen(b.m) - bitlen(a.m));
  const num = a.m << BigInt(k);
  const q = num / b.m;
  const r = num % b.m;
  return { v: fin(s, q, a.e - b.e - k), flags: 0, sticky: r !== 0n };
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitlen(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(a: F): Result {
  if (a.cls === CLS_NAN) return { v: nanResult(a, a), flags: isSNaN(a) ? IE : 0, sticky: false };
  if (a.cls === CLS_FINITE && a.m === 0n) return { v: a, flags: 0, sticky: false };
  if (a.s === 1) return { v: { ...INDEFINITE }, flags: IE, sticky: false };
  if (a.cls === CLS_INF) return { v: a, flags: 0, sticky: false };
  let m = a.m;
  let e = a.e;
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  const k = 140; // even: enough extra bits for a 64-bit result plus rounding
  m <<= BigInt(k);
  e -= k;
  const r = isqrt(m);
  return { v: fin(0, r, e / 2), flags: 0, sticky: r * r !== m };
}

/** Compare: -1 less, 0 equal, 1 greater, 2 unordered. */
export function compare(a: F, b: F): number {
  if (a.cls === CLS_NAN || b.cls === CLS_NAN) return 2;
  const val = (x: F): [number, bigint, number] => [x.s, x.m, x.e];
  void val;
  if (a.cls === CLS_INF || b.cls === CLS_INF) {
    const ai = a.cls === CLS_INF ? (a.s ? -1 : 1) : 0;
    const bi = b.cls === CLS_INF ? (b.s ? -1 : 1) : 0;
    if (ai !== bi) return ai < bi ? -1 : 1;
    if (ai !== 0) return 0;
  }
  const d = add(a, neg(b), RC_NEAREST).v;
  if (d.m === 0n) return 0;
  return d.s ? -1 : 1;
}

/** Round to an integer value per rc (frndint, fist). Returns the exact integer as BigInt and inexact. */
export function toInteger(a: F, rc: number): [bigint, boolean] {
  if (a.e >= 0) return [(a.s ? -1n : 1n) * (a.m << BigInt(a.e)), false];
  const [q, inexact] = roundShift(a.m, -a.e, false, a.s, rc);
  return [a.s ? -q : q, inexact];
}

/** Exact value from an IEEE double (bits). */
export function fromF64(lo: number, hi: number): F {
  const s = hi >>> 31;
  const exp = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo >>> 0);
  if (exp === 0x7ff) {
    if (frac === 0n) return { s, m: 0n, e: 0, cls: CLS_INF };
    return { s, m: (1n << 63n) | (frac << 11n), e: 0, cls: CLS_NAN };
  }
  if (exp === 0) return fin(s, frac, -1074);
  return fin(s, frac | (1n << 52n), exp - 1075);
}

export function fromF32(bits: number): F {
  const s = bits >>> 31;
  const exp = (bits >>> 23) & 0xff;
  const frac = BigInt(bits & 0x7fffff);
  if (exp === 0xff) {
    if (frac === 0n) return { s, m: 0n, e: 0, cls: CLS_INF };
    return { s, m: (1n << 63n) | (frac << 40n), e: 0, cls: CLS_NAN };
  }
  if (exp === 0) return fin(s, frac, -149);
  return fin(s, frac | (1n << 23n), exp - 150);
}

/** Round to an IEEE format (float: ebits 8, mbits 23; double: 11, 52). Returns bits as bigint and flags. */
export function toIEEE(a: F, ebits: number, mbits: number, rc: number): { bits: bigint; flags: number; c1: number } {
  const bias = (1 << (ebits - 1)) - 1;
  const expMax = (1 << ebits) - 1;
  const sBit = BigInt(a.s) << BigInt(ebits + mbits);
  if (a.cls === CLS_INF) return { bits: sBit | (BigInt(expMax) << BigInt(mbits)), flags: 0, c1: 0 };
  if (a.cls === CLS_NAN) {
    const payload = ((a.m | (1n << 62n)) >> BigInt(63 - mbits)) & ((1n << BigInt(mbits)) - 1n);
    return { bits: sBit | (BigInt(expMax) << BigInt(mbits)) | payload, flags: isSNaN(a) ? IE : 0, c1: 0 };
  }
  if (a.m === 0n) return { bits: sBit, flags: 0, c1: 0 };
  const p = mbits + 1;
  const L = bitlen(a.m);
  let biased = a.e + L - 1 + bias;
  let flags = 0;
  if (biased >= 1) {
    let [q, inexact, up] = roundShift(a.m, L - p, false, a.s, rc);
    if (bitlen(q) > p) {
      q >>= 1n;
      biased++;
    }
    if (biased >= expMax) {
      const toInf = rc === RC_NEAREST || (rc === RC_UP && a.s === 0) || (rc === RC_DOWN && a.s === 1);
      const bits = toInf ? sBit | (BigInt(expMax) << BigInt(mbits)) : sBit | (BigInt(expMax - 1) << BigInt(mbits)) | ((1n << BigInt(mbits)) - 1n);
      return { bits, flags: OE | PE, c1: toInf ? 1 : 0 };
    }
    if (inexact) flags |= PE;
    return { bits: sBit | (BigInt(biased) << BigInt(mbits)) | (q & ((1n << BigInt(mbits)) - 1n)), flags, c1: up ? 1 : 0 };
  }
  const minE = 1 - bias - mbits;
  const [q, inexact, up] = roundShift(a.m, minE - a.e, false, a.s, rc);
  if (inexact) flags |= PE | UE;
  return { bits: sBit | q, flags, c1: up ? 1 : 0 }; // q may carry into the exponent field: that is the right encoding
}

/** Approximate a value as a JS double (transcendentals). */
export function toNumber(a: F): number {
  if (a.cls === CLS_NAN) return NaN;
  if (a.cls === CLS_INF) return a.s ? -Infinity : Infinity;
  const L = bitlen(a.m);
  const shift = Math.max(0, L - 64);
  const v = Number(a.m >> BigInt(shift)) * 2 ** (a.e + shift);
  return a.s ? -v : v;
}

/** Exact value of a JS double. */
export function fromNumber(v: number): F {
  const b = new Float64Array([v]);
  const i = new Int32Array(b.buffer);
  return fromF64(i[0], i[1]);
}
