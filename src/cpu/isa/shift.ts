/** Shifts and rotates: shl/sal shr sar rol ror rcl rcr by 1, imm8 and cl, all sizes. */
import { K_REG, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CF, OF, getCF, materialize, setResultFlags } from "../flags.js";
import { rd0, rd1, wr0rmw, zext } from "../ops.js";
import { register } from "../registry.js";

/** Bit k (0..63) of a 64-bit value. */
export function bit64(lo: number, hi: number, k: number): number {
  return k < 32 ? (lo >>> k) & 1 : (hi >>> (k - 32)) & 1;
}

/** 64-bit shift left by n (0..63); hi in c.hi. */
export function shl64(c: CPU, lo: number, hi: number, n: number): number {
  if (n === 0) {
    c.hi = hi;
    return lo;
  }
  if (n < 32) {
    c.hi = (hi << n) | (lo >>> (32 - n));
    return lo << n;
  }
  c.hi = lo << (n - 32);
  return 0;
}

/** 64-bit logical shift right by n (0..63). */
export function shr64(c: CPU, lo: number, hi: number, n: number): number {
  if (n === 0) {
    c.hi = hi;
    return lo;
  }
  if (n < 32) {
    c.hi = hi >>> n;
    return (lo >>> n) | (hi << (32 - n));
  }
  c.hi = 0;
  return hi >>> (n - 32);
}

/** 64-bit arithmetic shift right by n (0..63). */
export function sar64(c: CPU, lo: number, hi: number, n: number): number {
  if (n === 0) {
    c.hi = hi;
    return lo;
  }
  if (n < 32) {
    c.hi = hi >> n;
    return (lo >>> n) | (hi << (32 - n));
  }
  c.hi = hi >> 31;
  return hi >> (n - 32);
}

function msb(v: number, hi: number, size: number): number {
  return size === 8 ? hi >>> 31 : (v >>> (size * 8 - 1)) & 1;
}

const SHL = 4,
  SHR = 5,
  SAR = 7,
  ROL = 0,
  ROR = 1,
  RCL = 2,
  RCR = 3;

function shift(c: CPU, i: Insn, op: number): void {
  const size = i.s0;
  const bits = size * 8;
  const a = rd0(c, i);
  const ahi = size === 8 ? c.hi : 0;
  const cnt = rd1(c, i) & (size === 8 ? 63 : 31);
  if (cnt === 0) {
    // no flag change and no store; a 32-bit register destination is still zero-extended
    if (size === 4 && i.k0 === K_REG) c.r[2 * i.r0 + 1] = 0;
    return;
  }
  let r: number;
  let rhi = 0;
  let cf: number;
  let of: number;
  switch (op) {
    case SHL:
    case 6: // sal
      if (size === 8) {
        r = shl64(c, a, ahi, cnt);
        rhi = c.hi;
        cf = bit64(a, ahi, 64 - cnt);
      } else {
        r = cnt < 32 ? a << cnt : 0;
        cf = cnt <= bits ? (zext(a, size) >>> (bits - cnt)) & 1 : 0;
      }
      of = msb(r, rhi, size) ^ cf;
      break;
    case SHR:
      if (size === 8) {
        r = shr64(c, a, ahi, cnt);
        rhi = c.hi;
        cf = bit64(a, ahi, cnt - 1);
      } else {
        const u = zext(a, size);
        r = cnt < 32 ? u >>> cnt : 0;
        cf = cnt <= bits ? (u >>> (cnt - 1)) & 1 : 0;
      }
      of = msb(a, ahi, size);
      break;
    case SAR: {
      if (size === 8) {
        r = sar64(c, a, ahi, cnt);
        rhi = c.hi;
        cf = bit64(a, ahi, cnt - 1);
      } else {
        const sh = 32 - bits;
        const s = (a << sh) >> sh;
        r = s >> Math.min(cnt, 31);
        cf = (s >> Math.min(cnt - 1, 31)) & 1;
      }
      of = 0;
      break;
    }
    default:
      rotate(c, i, op, a, ahi, cnt);
      return;
  }
  wr0rmw(c, i, r, rhi);
  setResultFlags(c, size, r, rhi, cf | (of << 11));
}

function rotate(c: CPU, i: Insn, op: number, a: number, ahi: number, cnt: number): void {
  const size = i.s0;
  const bits = size * 8;
  let r: number;
  let rhi = 0;
  let cf: number;
  let of: number;
  if (op === ROL || op === ROR) {
    const n = cnt % bits;
    if (size === 8) {
      const left = op === ROL ? n : (64 - n) % 64;
      const l = shl64(c, a, ahi, left);
      const lh = c.hi;
      const rr = shr64(c, a, ahi, (64 - left) % 64);
      r = left === 0 ? a : l | rr;
      rhi = left === 0 ? ahi : lh | c.hi;
    } else {
      const u = zext(a, size);
      const left = op === ROL ? n : (bits - n) % bits;
      r = left === 0 ? u : ((u << left) | (u >>> (bits - left))) & (bits === 32 ? -1 : (1 << bits) - 1);
    }
    if (op === ROL) {
      cf = size === 8 ? r & 1 : r & 1;
      of = msb(r, rhi, size) ^ cf;
    } else {
      cf = msb(r, rhi, size);
      of = cf ^ (size === 8 ? (rhi >>> 30) & 1 : (r >>> (bits - 2)) & 1);
    }
  } else {
    // rcl / rcr: rotate through carry, one bit at a time (count <= 64)
    const n = size === 8 ? cnt : size === 4 ? cnt : cnt % (bits + 1);
    let carry = getCF(c);
    let lo = a;
    let hi = ahi;
    for (let k = 0; k < n; k++) {
      if (op === RCL) {
        const out = msb(lo, hi, size);
        if (size === 8) {
          hi = (hi << 1) | (lo >>> 31);
          lo = (lo << 1) | carry;
        } else lo = (lo << 1) | carry;
        carry = out;
      } else {
        const out = lo & 1;
        if (size === 8) {
          lo = (lo >>> 1) | (hi << 31);
          hi = (hi >>> 1) | (carry << 31);
        } else lo = (zext(lo, size) >>> 1) | (carry << (bits - 1));
        carry = out;
      }
    }
    r = lo;
    rhi = hi;
    cf = carry;
    if (op === RCL) of = msb(r, rhi, size) ^ cf;
    else of = msb(r, rhi, size) ^ (size === 8 ? (rhi >>> 30) & 1 : (zext(r, size) >>> (bits - 2)) & 1);
    if (n === 0) return;
  }
  wr0rmw(c, i, r, rhi);
  materialize(c);
  c.flags = (c.flags & ~(CF | OF)) | cf | (of << 11);
}

const NAMES = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"];
NAMES.forEach((n, op) => register(n, (c, i) => shift(c, i, op)));

