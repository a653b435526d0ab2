/**
 * x87 transcendentals to the 64-bit significand: fsin fcos fsincos fptan
 * fpatan f2xm1 fyl2x fyl2xp1 on exact finite operands (f80.ts F values).
 *
 * Each function is evaluated in a small binary floating point with PREC
 * (200) significant bits (BigInt significand, number exponent) and returned
 * as an F with its sticky bit set, so that the caller's one rounding to the
 * precision control (pack80) gives the correctly rounded result, C1 (rounded
 * up) and PE, UE as for any inexact result. The series are plain Taylor /
 * atanh series after argument reduction; π and ln 2 come from Machin's and
 * the atanh formula at start-up.
 *
 * fsin/fcos/fptan reduce their argument by multiples of π/2 with the FPU's own
 * 66-bit value of π, not the true π (SDM vol. 1 8.3.10: the results for large
 * arguments follow from that constant), and take operands up to 2^63 only
 * (larger: C2 set, the operand left alone; the caller handles that).
 * Cold path (x87 transcendentals are rare): BigInt is fine here.
 */
import { CLS_FINITE, type F, fin } from "./f80.js";

const PREC = 200;

/** A value m * 2^e (m signed; normalised to at most PREC bits, truncated). */
interface B {
  m: bigint;
  e: number;
}

function bitlen(m: bigint): number {
  if (m < 0n) m = -m;
  return m === 0n ? 0 : m.toString(2).length;
}

function norm(m: bigint, e: number): B {
  const L = bitlen(m);
  if (L > PREC) {
    const sh = L - PREC;
    return { m: m >> BigInt(sh), e: e + sh }; // floor: errors stay far below the result's 2^-64
  }
  return { m, e };
}

const b = (m: bigint, e = 0): B => norm(m, e);
const mul = (x: B, y: B): B => norm(x.m * y.m, x.e + y.e);
function add(x: B, y: B): B {
  if (x.m === 0n) return y;
  if (y.m === 0n) return x;
  // align to the smaller exponent, but never more than PREC + 8 bits below the larger operand's top
  const top = Math.max(x.e + bitlen(x.m), y.e + bitlen(y.m));
  const e = Math.max(Math.min(x.e, y.e), top - PREC - 8);
  const sx = x.e - e;
  const sy = y.e - e;
  const mx = sx >= 0 ? x.m << BigInt(sx) : x.m >> BigInt(-sx);
  const my = sy >= 0 ? y.m << BigInt(sy) : y.m >> BigInt(-sy);
  return norm(mx + my, e);
}
const neg = (x: B): B => ({ m: -x.m, e: x.e });
const sub = (x: B, y: B): B => add(x, neg(y));
function div(x: B, y: B): B {
  const k = PREC + bitlen(y.m) - bitlen(x.m) + 2;
  return norm((x.m << BigInt(k)) / y.m, x.e - y.e - k);
}
function sqrtB(x: B): B {
  // isqrt of m * 2^(2j) with enough bits
  let m = x.m;
  let e = x.e;
  const shift = 2 * PREC - bitlen(m) + 2;
  const s = shift + ((e - shift) & 1 ? 1 : 0);
  m <<= BigInt(s);
  e -= s;
  let r = 1n << BigInt(Math.ceil(bitlen(m) / 2));
  for (;;) {
    const y = (r + m / r) >> 1n;
    if (y >= r) break;
    r = y;
  }
  return norm(r, e / 2);
}
const ONE = b(1n);
const isSmall = (x: B, bits: number) => x.m === 0n || x.e + bitlen(x.m) < -bits;
const cmpAbs = (x: B, y: B) => {
  const d = sub({ m: x.m < 0n ? -x.m : x.m, e: x.e }, { m: y.m < 0n ? -y.m : y.m, e: y.e });
  return d.m === 0n ? 0 : d.m < 0n ? -1 : 1;
};

/**
 * Sum of a series whose k-th term is produced by `next` from the previous one,
 * until terms vanish. The first neglected term's sign is kept as one unit
 * below the sum's last bit, so that a sum that is exactly a short number
 * (sin x = x for tiny x) still rounds on the right side of it.
 */
function series(first: B, next: (t: B, k: number) => B): B {
  let sum = first;
  let t = first;
  for (let k = 1; k < 2000; k++) {
    t = next(t, k);
    if (t.m === 0n) break;
    if (t.e + bitlen(t.m) < sum.e + bitlen(sum.m) - PREC - 4) {
      sum = add(sum, { m: t.m < 0n ? -1n : 1n, e: Math.min(sum.e, sum.e + bitlen(sum.m) - PREC) - 4 });
      break;
    }
    sum = add(sum, t);
  }
  return sum;
}

/** atanh(z) = z + z^3/3 + z^5/5 + ... (|z| small). */
function atanhSeries(z: B): B {
  const z2 = mul(z, z);
  let p = z;
  return series(z, (_t, k) => {
    p = mul(p, z2);
    return div(p, b(BigInt(2 * k + 1)));
  });
}

/** atan(t) = t - t^3/3 + ... (|t| small). */
function atanSeries(t: B): B {
  const t2 = neg(mul(t, t));
  let p = t;
  return series(t, (_x, k) => {
    p = mul(p, t2);
    return div(p, b(BigInt(2 * k + 1)));
  });
}

const PI = sub(mul(b(16n), atanSeries(div(ONE, b(5n)))), mul(b(4n), atanSeries(div(ONE, b(239n)))));
const LN2 = mul(b(2n), atanhSeries(div(ONE, b(3n))));
const HALF_PI = { m: PI.m, e: PI.e - 1 };

/** The FPU's π: 66 significant bits (rounded to nearest), so its π/2 reduces fsin/fcos/fptan operands. */
const FPU_HALF_PI: B = (() => {
  const L = bitlen(PI.m);
  const sh = L - 66;
  const m = (PI.m + (1n << BigInt(sh - 1))) >> BigInt(sh);
  return { m, e: PI.e + sh - 1 };
})();

/** sin and cos of r, |r| <= about π/4. */
function sinCos(r: B): [B, B] {
  const r2 = neg(mul(r, r));
  const s = series(r, (t, k) => div(mul(t, r2), b(BigInt(2 * k * (2 * k + 1)))));
  const c = series(ONE, (t, k) => div(mul(t, r2), b(BigInt((2 * k - 1) * 2 * k))));
  return [s, c];
}

/** atan(x) for any finite x. */
function atan(x: B): B {
  const negative = x.m < 0n;
  let t: B = negative ? neg(x) : x;
  let base: B = { m: 0n, e: 0 };
  let sign = 1;
  if (cmpAbs(t, ONE) > 0) {
    // atan(t) = π/2 - atan(1/t)
    t = div(ONE, t);
    base = HALF_PI;
    sign = -1;
  }
  // halve the angle until small: atan(t) = 2 atan(t / (1 + sqrt(1 + t^2)))
  let doublings = 0;
  while (!isSmall(t, 4)) {
    t = div(t, add(ONE, sqrtB(add(ONE, mul(t, t)))));
    doublings++;
  }
  let a = atanSeries(t);
  a = { m: a.m, e: a.e + doublings };
  const r = sign < 0 ? sub(base, a) : a;
  return negative ? neg(r) : r;
}

/** ln(1 + u) for u > -1, keeping relative precision for tiny u: 2 atanh(u / (2 + u)). */
function ln1p(u: B): B {
  const v = add(ONE, u);
  if (cmpAbs(u, { m: 1n, e: -1 }) < 0) return mul(b(2n), atanhSeries(div(u, add(b(2n), u))));
  // v = 2^k * w, w in [1, 2): ln v = k ln 2 + 2 atanh((w - 1)/(w + 1))
  const k = v.e + bitlen(v.m) - 1;
  const w = { m: v.m, e: v.e - k };
  return add(mul(b(BigInt(k)), LN2), mul(b(2n), atanhSeries(div(sub(w, ONE), add(w, ONE)))));
}

/** e^u - 1 (|u| <= about 1): u + u^2/2! + ... */
function expm1(u: B): B {
  return series(u, (t, k) => div(mul(t, u), b(BigInt(k + 1))));
}

// ---- F <-> B ------------------------------------------------------------------

const toB = (x: F): B => norm(x.s ? -x.m : x.m, x.e);
/** An inexact result as F (the caller rounds with sticky = true). */
function toF(x: B): F {
  const s = x.m < 0n ? 1 : 0;
  return fin(s, s ? -x.m : x.m, x.e);
}
const log2e = (x: F) => x.e + bitlen(x.m) - 1;

/** Is |x| < 2^63 (the fsin/fcos/fptan operand range)? */
export function inTrigRange(x: F): boolean {
  return x.cls === CLS_FINITE && (x.m === 0n || log2e(x) < 63);
}

/** sin(x), cos(x) of a finite x (|x| < 2^63, not 0), reduced with the FPU's π. */
export function sinCosF(x: F): [F, F] {
  // q = the integer nearest x / (π/2)_fpu, then the exact remainder r = x - q * (π/2)_fpu
  const h = FPU_HALF_PI;
  const e = Math.min(x.e, h.e);
  const xm = (x.s ? -x.m : x.m) << BigInt(x.e - e);
  const hm = h.m << BigInt(h.e - e);
  const ax = xm < 0n ? -xm : xm;
  let q = (2n * ax + hm) / (2n * hm);
  if (xm < 0n) q = -q;
  const exactR = norm(xm - q * hm, e);
  const [s, c] = sinCos(exactR);
  const quadrant = Number(((q % 4n) + 4n) % 4n);
  const S = [s, c, neg(s), neg(c)][quadrant];
  const C = [c, neg(s), neg(c), s][quadrant];
  return [toF(S), toF(C)];
}

/** tan(x) for finite x (|x| < 2^63, not 0). */
export function tanF(x: F): F {
  const [s, c] = sinCosF(x);
  return toF(div(toB(s), toB(c)));
}

/** atan2(y, x) for finite y, x, not both zero (fpatan). */
export function atan2F(y: F, x: F): F {
  const Y = toB(y);
  const X = toB(x);
  if (x.m === 0n) return toF(y.s ? neg(HALF_PI) : HALF_PI);
  let a = atan(div(Y, X));
  if (x.s) a = y.s ? sub(a, PI) : add(a, PI);
  return toF(a);
}

/** π/2, π/4, 3π/4, π (signed) for fpatan's special operands: k quarters of π. */
export function piQuarters(k: number, s: number): F {
  const v = mul(PI, div(b(BigInt(k)), b(4n)));
  return toF(s ? neg(v) : v);
}

/** y * log2(x) for finite y, x > 0, x not a power of two handled by the caller. */
export function yl2xF(y: F, x: F): F {
  const X = toB(x);
  const k = log2e(x);
  const w = { m: X.m, e: X.e - k }; // [1, 2)
  const l = add(b(BigInt(k)), div(ln1p(sub(w, ONE)), LN2));
  return toF(mul(toB(y), l));
}

/** y * log2(1 + x) for finite y and x > -1. */
export function yl2xp1F(y: F, x: F): F {
  return toF(mul(toB(y), div(ln1p(toB(x)), LN2)));
}

/** 2^x - 1 for finite x (f2xm1; the SDM defines it for |x| <= 1). */
export function f2xm1F(x: F): F {
  const u = mul(toB(x), LN2);
  if (cmpAbs(u, ONE) <= 0) return toF(expm1(u));
  // larger |x|: 2^x - 1 = e^u - 1 with e^u = (e^(u/2^n))^(2^n)
  let n = 0;
  let v = u;
  while (cmpAbs(v, ONE) > 0) {
    v = { m: v.m, e: v.e - 1 };
    n++;
  }
  let p = add(expm1(v), ONE);
  for (let k = 0; k < n; k++) p = mul(p, p);
  return toF(sub(p, ONE));
}
