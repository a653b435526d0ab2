/**
 * FMA3 (vfmadd/vfmsub/vfnmadd/vfnmsub/vfmaddsub/vfmsubadd, 132/213/231,
 * ps/pd/ss/sd) with a single rounding, and F16C (vcvtph2ps, vcvtps2ph).
 *
 * Fused multiply-add without BigInt on the fast path:
 * - float32: a*b is exact in double; a*b + c rounded to odd in double (53
 *   bits >= 2*24 + 2) and then to float32 per MXCSR is correctly rounded.
 * - float64 (Boldo & Melquiond, "Emulation of FMA and correctly-rounded
 *   sums: proved algorithms using rounding to odd"): uh + ul = a*b exactly
 *   (Dekker), th + tl = c + uh exactly (TwoSum), v = RO(tl + ul), and
 *   z = RN(th + v) is a*b + c correctly rounded to nearest. The sign of the
 *   exact remainder a*b + c - z (an error-free expansion of uh, ul, c, -z)
 *   gives the inexact flag and the one-ulp step of the directed modes.
 * Denormal, infinite or huge operands, results near overflow or underflow
 * and unmasked exceptions take the exact (BigInt) path of sse-fp.ts.
 */
import { K_MEM, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import * as F from "../f80.js";
import { ea } from "../ops.js";
import { register } from "../registry.js";
import { HI, SB, storeSlot } from "./avx-common.js";
import { readSrc, readY, writeY } from "./avx-perm.js";
import { DE, FP, fpBegin, fpEnd, IE, isSNaN32, isSNaN64, MIN32, MIN64, OE, PE, roundExact, step32, step64, UE } from "./sse-fp.js";

const DAZ = 0x40;
const ALL_MASKED = 0x1f80;
const MAX64 = Number.MAX_VALUE;
const MAX32 = 3.4028234663852886e38;
const SAFE_LO = 2 ** -900;
const SAFE_HI = 2 ** 900;

const D = new Float64Array(1);
const DI = new Int32Array(D.buffer);
const G = new Float32Array(1);
const GI = new Int32Array(G.buffer);

/** One ulp up (dir > 0) or down (dir < 0) from finite v. */
function next64(v: number, dir: number): number {
  if (v === 0) return dir > 0 ? 5e-324 : -5e-324;
  return step64(v, v > 0 === dir > 0);
}
function next32(v: number, dir: number): number {
  return step32(v, v > 0 === dir > 0);
}

/** The exact error of the last twoSum. */
let ERR = 0;
function twoSum(a: number, b: number): number {
  const s = a + b;
  const bb = s - a;
  ERR = a - (s - bb) + (b - bb);
  return s;
}
/** a + b rounded to odd (a, b and their sum finite). */
function addOdd(a: number, b: number): number {
  const s = twoSum(a, b);
  if (ERR === 0) return s;
  D[0] = s;
  return DI[0] & 1 ? s : next64(s, ERR);
}
const SPLIT = 134217729;
function prodErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Sign of x1 + x2 + x3 + x4 (exact): grow an error-free expansion, the largest non-zero part decides. */
const EX = new Float64Array(4);
let EXN = 0;
function grow(b: number): void {
  let q = b;
  for (let k = 0; k < EXN; k++) {
    q = twoSum(q, EX[k]);
    EX[k] = ERR;
  }
  EX[EXN++] = q;
}
function sumSign(x1: number, x2: number, x3: number, x4: number): number {
  EXN = 0;
  grow(x1);
  grow(x2);
  grow(x3);
  grow(x4);
  for (let k = EXN - 1; k >= 0; k--) if (EX[k] !== 0) return EX[k] > 0 ? 1 : -1;
  return 0;
}

/** a*b + c per MXCSR (flags into FP); NaN operands are handled by the caller. Exported for tests. */
export function fma(a: number, b: number, c: number, w32: boolean): number {
  const mx = FP.mx;
  const min = w32 ? MIN32 : MIN64;
  if ((mx & ALL_MASKED) === ALL_MASKED) {
    const aa = Math.abs(a);
    const ab = Math.abs(b);
    const ac = Math.abs(c);
    if ((aa === 0 || (aa >= min && aa <= SAFE_HI)) && (ab === 0 || (ab >= min && ab <= SAFE_HI)) && (ac === 0 || (ac >= min && ac <= SAFE_HI))) {
      const rc = (mx >> 13) & 3;
      let r: number;
      let es: number;
      const p = a * b;
      if (w32) {
        const s = addOdd(p, c);
        r = Math.fround(s);
        es = s > r ? 1 : s < r ? -1 : 0;
      } else if (a === 0 || b === 0 || (Math.abs(p) >= SAFE_LO && Math.abs(p) <= SAFE_HI)) {
        const ul = p === 0 ? 0 : prodErr(a, b, p);
        const th = twoSum(c, p);
        const v = addOdd(ERR, ul);
        r = th + v;
        es = sumSign(p, ul, c, -r);
      } else return slowFma(a, b, c, w32);
      if (es !== 0) {
        if (r === 0 || r === Infinity || r === -Infinity) return slowFma(a, b, c, w32);
        if (rc !== 0 && (rc === 3 ? (r > 0 ? es < 0 : es > 0) : rc === 1 ? es < 0 : es > 0)) {
          const dir = rc === 3 ? (r > 0 ? -1 : 1) : rc === 1 ? -1 : 1;
          r = w32 ? next32(r, dir) : next64(r, dir);
        }
        const ar = Math.abs(r);
        if (ar > min && ar <= (w32 ? MAX32 : MAX64)) {
          FP.post |= PE;
          return r;
        }
      } else if (r === 0) {
        // exact zero: the IEEE sign rules (slow path knows them)
        if (p === 0 || c === 0) return slowFma(a, b, c, w32);
        return rc === 1 ? -0 : 0;
      } else if (Math.abs(r) >= min && Math.abs(r) <= (w32 ? MAX32 : MAX64)) return r;
    }
  }
  return slowFma(a, b, c, w32);
}

function daz(v: number, min: number): number {
  if (v !== 0 && Math.abs(v) < min && v === v) {
    if (FP.mx & DAZ) return v < 0 ? -0 : 0;
    FP.pre |= DE;
  }
  return v;
}

/** The exact (BigInt) path, the reference the fast path is tested against. */
export function slowFma(a: number, b: number, c: number, w32: boolean): number {
  const min = w32 ? MIN32 : MIN64;
  const pre = FP.pre;
  a = daz(a, min);
  b = daz(b, min);
  c = daz(c, min);
  const infA = a === Infinity || a === -Infinity;
  const infB = b === Infinity || b === -Infinity;
  if ((infA && b === 0) || (infB && a === 0)) {
    FP.pre = pre | IE; // no DE with an invalid operation
    return NaN;
  }
  const prod = a * b;
  if (infA || infB || c === Infinity || c === -Infinity) {
    const r = prod + c; // inf - inf: invalid
    if (r !== r) {
      FP.pre = pre | IE;
      return NaN;
    }
    return r;
  }
  const rc = (FP.mx >> 13) & 3;
  const m = F.mul(F.fromNumber(a), F.fromNumber(b));
  const s = F.add(m.v, F.fromNumber(c), rc);
  return roundExact(s.v, false, w32);
}

// ---- the instructions ----------------------------------------------------------------------

const O1 = new Int32Array(8);
const O2 = new Int32Array(8);
const O3 = new Int32Array(8);
const R = new Int32Array(8);
const O1F = new Float32Array(O1.buffer);
const O2F = new Float32Array(O2.buffer);
const O3F = new Float32Array(O3.buffer);
const RF = new Float32Array(R.buffer);
const O1D = new Float64Array(O1.buffer);
const O2D = new Float64Array(O2.buffer);
const O3D = new Float64Array(O3.buffer);
const RD = new Float64Array(R.buffer);

/** Per-definition decoding of the mnemonic: operand order, negations, element kind. */
class FmaPlan {
  constructor(
    readonly order: number, // 132, 213 or 231
    readonly negProd: boolean,
    readonly subMask: number, // element j subtracts c when bit (j & 1) of this is set: 0 never, 3 always, 1 even elements (fmaddsub), 2 odd (fmsubadd)
    readonly w64: boolean,
    readonly scalar: boolean,
  ) {}
}
const plans = new Map<string, FmaPlan>();
function planFor(mnem: string): FmaPlan {
  let p = plans.get(mnem);
  if (!p) {
    const m = /^vf(n?)(madd|msub|maddsub|msubadd)(\d{3})(ps|pd|ss|sd)$/.exec(mnem);
    if (!m) throw new Error(`not an FMA mnemonic: ${mnem}`);
    const neg = m[1] === "n";
    const op = m[2];
    // fnmsub: -(a*b) - c; fmaddsub: even elements subtract; fmsubadd: odd elements subtract
    const sub = op === "msub" ? 3 : op === "maddsub" ? 1 : op === "msubadd" ? 2 : 0;
    p = new FmaPlan(Number(m[3]), neg, sub, m[4].endsWith("d"), m[4].startsWith("s"));
    plans.set(mnem, p);
  }
  return p;
}

register("vfma", (c: CPU, i: Insn) => {
  let p = i.plan as FmaPlan | null;
  if (p === null) i.plan = p = planFor(i.mnem);
  const x = c.xmm;
  readY(x, i.r0, O1);
  readY(x, i.r1, O2);
  readSrc(c, i, 2, O3);
  const ord = p.order;
  // a*b + c from (dst, vvvv, r/m) = (1, 2, 3): 132: 1*3 + 2, 213: 2*1 + 3, 231: 2*3 + 1
  const w64 = p.w64;
  const n = p.scalar ? 1 : (w64 ? 2 : 4) * (i.vexL ? 2 : 1);
  for (let j = 0; j < 8; j++) R[j] = O1[j];
  fpBegin(c);
  for (let e = 0; e < n; e++) {
    const sub = (p.subMask >> (e & 1)) & 1;
    // NaN propagation: the first NaN of the multiplicands and then the addend, quieted (as the host CPU does)
    if (w64) {
      const v1 = O1D[e];
      const v2 = O2D[e];
      const v3 = O3D[e];
      if (v1 !== v1 || v2 !== v2 || v3 !== v3) {
        fmaNaN64(e, ord);
        continue;
      }
      const a = ord === 132 ? v1 : v2;
      const b = ord === 213 ? v1 : v3;
      const cc = ord === 132 ? v2 : ord === 213 ? v3 : v1;
      RD[e] = fma(p.negProd ? -a : a, b, sub ? -cc : cc, false);
      if (RD[e] !== RD[e]) (R[2 * e] = 0), (R[2 * e + 1] = 0xfff80000 | 0);
    } else {
      const v1 = O1F[e];
      const v2 = O2F[e];
      const v3 = O3F[e];
      if (v1 !== v1 || v2 !== v2 || v3 !== v3) {
        fmaNaN32(e, ord);
        continue;
      }
      const a = ord === 132 ? v1 : v2;
      const b = ord === 213 ? v1 : v3;
      const cc = ord === 132 ? v2 : ord === 213 ? v3 : v1;
      const r = fma(p.negProd ? -a : a, b, sub ? -cc : cc, true);
      if (r !== r) R[e] = 0xffc00000 | 0;
      else RF[e] = r;
    }
  }
  fpEnd(c, i);
  if (p.scalar) R[4] = R[5] = R[6] = R[7] = 0;
  writeY(c, i, i.r0, R);
});

/** Multiplication operands (a, b) of an FMA element are 0*inf: invalid even with a NaN addend. */
function zeroTimesInf(a: number, b: number): boolean {
  return (a === 0 && (b === Infinity || b === -Infinity)) || (b === 0 && (a === Infinity || a === -Infinity));
}

function fmaNaN64(e: number, ord: number): void {
  const [x, y, z] = ord === 132 ? [O1, O3, O2] : ord === 213 ? [O2, O1, O3] : [O2, O3, O1];
  const hs = [x[2 * e + 1], y[2 * e + 1], z[2 * e + 1]];
  const ls = [x[2 * e], y[2 * e], z[2 * e]];
  const vs = [new Float64Array(x.buffer)[e], new Float64Array(y.buffer)[e], new Float64Array(z.buffer)[e]];
  let first = -1;
  let snan = false;
  for (let k = 0; k < 3; k++) {
    if (vs[k] !== vs[k] && first < 0) first = k;
    if (isSNaN64(hs[k], ls[k])) snan = true;
  }
  if (snan || zeroTimesInf(vs[0], vs[1])) FP.pre |= IE;
  R[2 * e] = ls[first];
  R[2 * e + 1] = hs[first] | 0x80000;
}
function fmaNaN32(e: number, ord: number): void {
  const [x, y, z] = ord === 132 ? [O1, O3, O2] : ord === 213 ? [O2, O1, O3] : [O2, O3, O1];
  const bs = [x[e], y[e], z[e]];
  const vs = [new Float32Array(x.buffer)[e], new Float32Array(y.buffer)[e], new Float32Array(z.buffer)[e]];
  let first = -1;
  let snan = false;
  for (let k = 0; k < 3; k++) {
    if (vs[k] !== vs[k] && first < 0) first = k;
    if (isSNaN32(bs[k])) snan = true;
  }
  if (snan || zeroTimesInf(vs[0], vs[1])) FP.pre |= IE;
  R[e] = bs[first] | 0x400000;
}

// ---- F16C ----------------------------------------------------------------------------------

/** Half-precision bits to float32 bits (exact; a signalling NaN is quieted and raises IE). */
function halfToFloat(h: number): number {
  const s = (h & 0x8000) << 16;
  const e = (h >> 10) & 31;
  const m = h & 0x3ff;
  if (e === 31) {
    if (m !== 0 && !(m & 0x200)) FP.pre |= IE;
    return s | 0x7f800000 | (m << 13) | (m !== 0 ? 0x400000 : 0);
  }
  if (e === 0) {
    if (m === 0) return s;
    G[0] = m * 2 ** -24; // a half denormal is a float32 normal
    return s | GI[0];
  }
  return s | ((e + 112) << 23) | (m << 13);
}

/** Float32 bits to half bits rounded per rc (0 nearest, 1 down, 2 up, 3 zero); flags into FP. */
function floatToHalf(f: number, rc: number): number {
  const s = (f >>> 16) & 0x8000;
  const e = (f >> 23) & 255;
  let m = f & 0x7fffff;
  if (e === 255) {
    if (m === 0) return s | 0x7c00;
    if (!(m & 0x400000)) FP.pre |= IE;
    return s | 0x7e00 | (m >> 13);
  }
  if (e === 0) {
    if (m === 0) return s;
    if (FP.mx & DAZ) return s;
    FP.pre |= DE;
  } else m |= 0x800000;
  // value = m * 2^(E - 23), E the unbiased exponent (denormals: -126)
  const E = e === 0 ? -126 : e - 127;
  // shift so that the half's last significand bit has weight 2^max(E - 10, -24)
  const sh = 23 - 10 + Math.max(0, -14 - E); // 13 for a normal half
  let q: number;
  let rest: number;
  let half: number;
  if (sh >= 32) {
    q = 0;
    rest = m;
    half = sh === 32 ? 0x80000000 : 2 ** (sh - 1);
  } else {
    q = m >>> sh;
    rest = m & ((1 << sh) - 1);
    half = 1 << (sh - 1);
  }
  const inexact = rest !== 0;
  if (inexact) {
    const neg = s !== 0;
    const up = rc === 0 ? rest > half || (rest === half && (q & 1) === 1) : rc === 1 ? neg : rc === 2 ? !neg : false;
    if (up) q++;
  }
  // q: significand with the implicit bit at 2^10 for normal results
  let bexp = E + 15; // biased half exponent for a normal result
  if (E < -14) bexp = 0;
  if (q >= 0x800) {
    q >>= 1;
    bexp++;
  }
  if (bexp === 0 && q >= 0x400) bexp = 1; // rounded up into the normal range
  if (bexp >= 31) {
    FP.post |= OE | PE;
    const neg = s !== 0;
    const toInf = rc === 0 || (rc === 2 && !neg) || (rc === 1 && neg);
    return s | (toInf ? 0x7c00 : 0x7bff);
  }
  if (inexact) FP.post |= PE | (bexp === 0 ? UE : 0);
  return s | (bexp === 0 ? q : (bexp << 10) | (q & 0x3ff));
}

const H = new Int32Array(8);
register("vcvtph2ps", (c, i) => {
  // source: 4 or 8 halves from xmm/m64/m128
  const n = i.vexL ? 8 : 4;
  if (i.k1 === K_MEM) {
    const a = ea(c, i);
    for (let k = 0; k < n / 2; k++) H[k] = c.mem.read32(a + 4 * k);
  } else for (let k = 0; k < 4; k++) H[k] = c.xmm[i.r1 * 4 + k];
  fpBegin(c);
  for (let e = 0; e < n; e++) R[e] = halfToFloat((H[e >> 1] >>> (16 * (e & 1))) & 0xffff);
  fpEnd(c, i);
  writeY(c, i, i.r0, R);
});
register("vcvtps2ph", (c, i) => {
  const n = i.vexL ? 8 : 4;
  readY(c.xmm, i.r1, O1);
  const rc = i.imm & 4 ? (c.mxcsr >> 13) & 3 : i.imm & 3;
  fpBegin(c);
  for (let k = 0; k < 4; k++) R[k] = 0;
  for (let e = 0; e < n; e++) R[e >> 1] |= floatToHalf(O1[e], rc) << (16 * (e & 1));
  fpEnd(c, i);
  if (i.k0 === K_MEM) {
    const x = c.xmm;
    for (let k = 0; k < 4; k++) x[SB * 4 + k] = R[k];
    storeSlot(c, ea(c, i), n * 2, SB);
  } else {
    const x = c.xmm;
    for (let k = 0; k < 4; k++) x[i.r0 * 4 + k] = R[k];
    for (let k = 0; k < 4; k++) x[(i.r0 + HI) * 4 + k] = 0;
  }
});
