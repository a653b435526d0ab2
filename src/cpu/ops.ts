/**
 * Operand access shared by all instruction families: effective addresses,
 * register and memory reads/writes at 1/2/4/8 bytes. Every read returns the
 * low 32 bits and leaves the high 32 bits in cpu.hi (0 for sizes below 8).
 */
import { K_IMM, K_MEM, K_REG, SEG_FS, type Insn } from "../decoder/insn.js";
import type { CPU } from "./cpu.js";

/** Segment bases from here up take eaWide (their sum with a 47-bit offset could round). */
export const EA_WIDE_SEG = 2 ** 52;

/**
 * Effective address of the instruction's memory operand (with FS/GS base).
 * 64-bit addresses are sums of doubles while the registers stay within
 * +-2^47 (exact); beyond, eaWide computes them modulo 2^64 as the CPU does.
 */
export function ea(c: CPU, i: Insn): number {
  const r = c.r;
  let a: number;
  if (i.asize === 8) {
    a = i.disp;
    let w = 0;
    const b = i.base;
    if (b >= 0) {
      const h = r[2 * b + 1];
      a += h * 4294967296 + (r[2 * b] >>> 0);
      w = h + 0x8000;
    }
    const x = i.index;
    if (x >= 0) {
      const h = r[2 * x + 1];
      a += (h * 4294967296 + (r[2 * x] >>> 0)) * (1 << i.scale);
      w |= h + 0x8000;
    }
    if (w >>> 16 !== 0) return eaWide(c, i);
  } else {
    a = i.disp;
    if (i.base >= 0) a += r[2 * i.base];
    if (i.index >= 0) a += r[2 * i.index] << i.scale;
    a = a >>> 0;
  }
  if (i.seg !== 0) {
    const s = i.seg === SEG_FS ? c.fsBase : c.gsBase;
    if (s >= EA_WIDE_SEG && i.asize === 8) return eaWide(c, i);
    a += s;
  }
  return a;
}

/**
 * A 64-bit effective address computed exactly modulo 2^64 (base + index *
 * scale + displacement + segment base, wrapping as the CPU's adder does),
 * returned signed: exact for both canonical halves, and still beyond 2^47
 * in magnitude for a non-canonical result (which faults as #GP).
 */
export function eaWide(c: CPU, i: Insn): number {
  const r = c.r;
  const d = i.disp;
  let lo = d >>> 0;
  let hi = Math.floor(d / 4294967296) | 0;
  if (i.base >= 0) {
    lo += r[2 * i.base] >>> 0;
    hi += r[2 * i.base + 1];
  }
  if (i.index >= 0) {
    lo += (r[2 * i.index] >>> 0) * (1 << i.scale);
    hi += r[2 * i.index + 1] << i.scale;
  }
  if (i.seg !== 0) {
    const s = i.seg === SEG_FS ? c.fsBase : c.gsBase;
    lo += s >>> 0;
    hi += Math.floor(s / 4294967296) | 0;
  }
  const carry = Math.floor(lo / 4294967296);
  return ((hi + carry) | 0) * 4294967296 + (lo - carry * 4294967296);
}

export function getReg(c: CPU, reg: number, size: number): number {
  const r = c.r;
  switch (size) {
    case 8:
      c.hi = r[2 * reg + 1];
      return r[2 * reg];
    case 4:
      c.hi = 0;
      return r[2 * reg];
    case 2:
      c.hi = 0;
      return r[2 * reg] & 0xffff;
    default:
      c.hi = 0;
      return reg < 16 ? r[2 * reg] & 0xff : (r[2 * (reg - 16)] >> 8) & 0xff;
  }
}

/** Write a register: 32-bit writes zero the upper half; 8/16-bit writes merge. */
export function setReg(c: CPU, reg: number, size: number, lo: number, hi: number): void {
  const r = c.r;
  switch (size) {
    case 8:
      r[2 * reg] = lo;
      r[2 * reg + 1] = hi;
      return;
    case 4:
      r[2 * reg] = lo;
      r[2 * reg + 1] = 0;
      return;
    case 2:
      r[2 * reg] = (r[2 * reg] & 0xffff0000) | (lo & 0xffff);
      return;
    default:
      if (reg < 16) r[2 * reg] = (r[2 * reg] & ~0xff) | (lo & 0xff);
      else r[2 * (reg - 16)] = (r[2 * (reg - 16)] & ~0xff00) | ((lo & 0xff) << 8);
  }
}

export function readMem(c: CPU, a: number, size: number): number {
  const m = c.mem;
  switch (size) {
    case 8: {
      const lo = m.read32(a);
      c.hi = m.read32(a + 4);
      return lo;
    }
    case 4:
      c.hi = 0;
      return m.read32(a);
    case 2:
      c.hi = 0;
      return m.read16(a);
    default:
      c.hi = 0;
      return m.read8(a);
  }
}

export function writeMem(c: CPU, a: number, size: number, lo: number, hi: number): void {
  const m = c.mem;
  switch (size) {
    case 8:
      m.write64(a, lo, hi);
      return;
    case 4:
      m.write32(a, lo);
      return;
    case 2:
      m.write16(a, lo);
      return;
    default:
      m.write8(a, lo & 0xff);
  }
}

/** Read operand `k` (kind/reg/size given), computing the address into cpu.ea for memory. */
function readOperand(c: CPU, i: Insn, kind: number, reg: number, size: number): number {
  if (kind === K_REG) return getReg(c, reg, size);
  if (kind === K_MEM) {
    const a = ea(c, i);
    c.ea = a;
    return readMem(c, a, size);
  }
  if (kind === K_IMM) {
    c.hi = i.immHi;
    return i.imm;
  }
  c.hi = 0;
  return 0;
}

/** Read the first operand (destination) at the instruction's main size. */
export function rd0(c: CPU, i: Insn): number {
  return readOperand(c, i, i.k0, i.r0, i.s0);
}

/** Read the second operand. */
export function rd1(c: CPU, i: Insn): number {
  return readOperand(c, i, i.k1, i.r1, i.s1);
}

/** Read the third operand. */
export function rd2(c: CPU, i: Insn): number {
  return readOperand(c, i, i.k2, i.r2, i.s2);
}

/** Write the first operand (computes the address for memory). */
export function wr0(c: CPU, i: Insn, lo: number, hi: number): void {
  if (i.k0 === K_REG) setReg(c, i.r0, i.s0, lo, hi);
  else writeMem(c, ea(c, i), i.s0, lo, hi);
}

/** Write the first operand after rd0 (memory: reuses the address rd0 computed). */
export function wr0rmw(c: CPU, i: Insn, lo: number, hi: number): void {
  if (i.k0 === K_REG) setReg(c, i.r0, i.s0, lo, hi);
  else writeMem(c, c.ea, i.s0, lo, hi);
}

/** Write the second operand (xchg, xadd, cmpxchg): register or memory at cpu.ea. */
export function wr1rmw(c: CPU, i: Insn, lo: number, hi: number): void {
  if (i.k1 === K_REG) setReg(c, i.r1, i.s1, lo, hi);
  else writeMem(c, c.ea, i.s1, lo, hi);
}

/** Sign-extend the low `size` bytes of v to int32 (size <= 4). */
export function sext(v: number, size: number): number {
  return size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
}

/** Zero-extend: mask v to size (<= 4 bytes), as an unsigned JS number. */
export function zext(v: number, size: number): number {
  return size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v >>> 0;
}

// ---- stack ---------------------------------------------------------------------

export function push(c: CPU, size: number, lo: number, hi: number): void {
  const r = c.r;
  const sp = r[9] * 4294967296 + (r[8] >>> 0) - size;
  writeMem(c, sp, size, lo, hi);
  setRspNum(c, sp);
}

/** Pop `size` bytes: returns lo, high half in cpu.hi. rsp is updated after the read. */
export function pop(c: CPU, size: number): number {
  const r = c.r;
  const sp = r[9] * 4294967296 + (r[8] >>> 0);
  const v = readMem(c, sp, size);
  setRspNum(c, sp + size);
  return v;
}

export function rspNum(c: CPU): number {
  return c.r[9] * 4294967296 + (c.r[8] >>> 0);
}

export function setRspNum(c: CPU, v: number): void {
  const hi = Math.floor(v / 4294967296);
  c.r[8] = v - hi * 4294967296;
  c.r[9] = hi;
}
