/**
 * Bit instructions: bt bts btr btc, bsf bsr, popcnt lzcnt tzcnt, shld shrd, movbe.
 * Flags follow the SDM; flags it calls undefined keep their old values, except
 * where noted to match the host CPU.
 */
import { K_IMM, K_REG, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CPUID7_EBX, CPUID81_ECX } from "../cpuid.js"; // popcnt, movbe: gated by the CPU model when decoded
import { CpuException, ILL_ILLOPN, SIGILL } from "../exceptions.js";
import { CF, STATUS, ZF, materialize, setResultFlags } from "../flags.js";
import { ea, getReg, rd0, rd1, rd2, readMem, setReg, wr0, wr0rmw, writeMem } from "../ops.js";
import { register } from "../registry.js";
import { bit64, shl64, shr64 } from "./shift.js";

// ---- bt bts btr btc -------------------------------------------------------------

const BT = 0,
  BTS = 1,
  BTR = 2,
  BTC = 3;

/** Set CF (leave the other flags as they are). */
export function setCF(c: CPU, cf: number): void {
  materialize(c);
  c.flags = (c.flags & ~CF) | cf;
}

function bitop(c: CPU, i: Insn, op: number): void {
  const size = i.s0;
  const bits = size * 8;
  let bit: number;
  let v: number;
  let vhi: number;
  let addr = 0;
  const isReg = i.k0 === K_REG;
  if (isReg) {
    bit = rd1(c, i) & (bits - 1);
    v = getReg(c, i.r0, size);
    vhi = c.hi;
  } else {
    addr = ea(c, i);
    if (i.k1 === K_IMM) bit = i.imm & (bits - 1);
    else {
      // A register bit offset is signed and may reach outside the operand:
      // the operand-sized unit at addr + size * floor(offset / bits) is accessed.
      const off = getReg(c, i.r1, size);
      const offHi = c.hi;
      bit = off & (bits - 1);
      let units: number;
      if (size === 8) {
        const uhi = offHi >> 6;
        const ulo = (off >>> 6) | (offHi << 26);
        units = uhi * 4294967296 + (ulo >>> 0);
      } else if (size === 4) units = off >> 5;
      else units = ((off << 16) >> 16) >> 4;
      addr += units * size;
    }
    v = readMem(c, addr, size);
    vhi = c.hi;
  }
  const cf = bit64(v, vhi, bit);
  if (op !== BT) {
    const m = bit < 32 ? 1 << bit : 0;
    const mh = bit >= 32 ? 1 << (bit - 32) : 0;
    if (op === BTS) {
      v |= m;
      vhi |= mh;
    } else if (op === BTR) {
      v &= ~m;
      vhi &= ~mh;
    } else {
      v ^= m;
      vhi ^= mh;
    }
    if (isReg) setReg(c, i.r0, size, v, vhi);
    else writeMem(c, addr, size, v, vhi);
  }
  setCF(c, cf);
}
register("bt", (c, i) => bitop(c, i, BT));
register("bts", (c, i) => bitop(c, i, BTS));
register("btr", (c, i) => bitop(c, i, BTR));
register("btc", (c, i) => bitop(c, i, BTC));

// ---- bit scans and counts ---------------------------------------------------------

/** Count leading zeros of a size-byte value (lo/hi). */
function lzc(lo: number, hi: number, size: number): number {
  if (size === 8) return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  return Math.clz32(size === 4 ? lo : lo & 0xffff) - (32 - size * 8);
}

/** Count trailing zeros of a size-byte value (lo/hi). */
function tzc(lo: number, hi: number, size: number): number {
  const bits = size * 8;
  if (size !== 8) {
    const v = size === 4 ? lo : lo & 0xffff;
    return v === 0 ? bits : 31 - Math.clz32(v & -v);
  }
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  if (hi !== 0) return 63 - Math.clz32(hi & -hi);
  return 64;
}

function isZero(lo: number, hi: number, size: number): boolean {
  return size === 8 ? (lo | hi) === 0 : (size === 4 ? lo : lo & 0xffff) === 0;
}

/** Set ZF and CF explicitly, leave the rest. */
function setZC(c: CPU, zf: boolean, cf: boolean): void {
  materialize(c);
  c.flags = (c.flags & ~(ZF | CF)) | (zf ? ZF : 0) | (cf ? CF : 0);
}

/** bsf/bsr: ZF=1 and the destination unchanged (as real CPUs do) when the source is 0. */
function bitScan(reverse: boolean): (c: CPU, i: Insn) => void {
  return (c, i) => {
    const size = i.s0;
    const v = rd1(c, i);
    const vhi = c.hi;
    materialize(c);
    if (isZero(v, vhi, size)) {
      c.flags |= ZF;
      return;
    }
    setReg(c, i.r0, size, reverse ? size * 8 - 1 - lzc(v, vhi, size) : tzc(v, vhi, size), 0);
    c.flags &= ~ZF;
  };
}
const bsf = bitScan(false);
const bsr = bitScan(true);
register("bsf", bsf);
register("bsr", bsr);

register("tzcnt", (c, i) => {
  if (!(c.features.leaf7Ebx & CPUID7_EBX.bmi1)) return bsf(c, i); // F3 0F BC is bsf without BMI1
  const size = i.s0;
  const v = rd1(c, i);
  const n = tzc(v, c.hi, size);
  setReg(c, i.r0, size, n, 0);
  setZC(c, n === 0, n === size * 8);
});

register("lzcnt", (c, i) => {
  if (!(c.features.ext1Ecx & CPUID81_ECX.abm)) return bsr(c, i); // F3 0F BD is bsr without LZCNT
  const size = i.s0;
  const v = rd1(c, i);
  const n = lzc(v, c.hi, size);
  setReg(c, i.r0, size, n, 0);
  setZC(c, n === 0, n === size * 8);
});

function pop32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

register("popcnt", (c, i) => {
  const size = i.s0;
  const v = rd1(c, i);
  const n = size === 8 ? pop32(v) + pop32(c.hi) : pop32(size === 4 ? v : v & 0xffff);
  setReg(c, i.r0, size, n, 0);
  materialize(c);
  c.flags = (c.flags & ~STATUS) | (n === 0 ? ZF : 0);
});

// ---- shld / shrd ------------------------------------------------------------------

function shiftDouble(c: CPU, i: Insn, left: boolean): void {
  const size = i.s0;
  const bits = size * 8;
  const d = rd0(c, i);
  const dhi = c.hi;
  const s = getReg(c, i.r1, size);
  const shi = c.hi;
  const n = rd2(c, i) & (size === 8 ? 63 : 31);
  if (n === 0) {
    // no flag changes; a 32-bit register destination is still written (zero-extended)
    if (size === 4 && i.k0 === K_REG) c.r[2 * i.r0 + 1] = 0;
    return;
  }
  let r: number;
  let rhi = 0;
  let cf: number;
  if (size === 8) {
    if (left) {
      r = shl64(c, d, dhi, n);
      rhi = c.hi;
      const lo2 = shr64(c, s, shi, 64 - n);
      r |= lo2;
      rhi |= c.hi;
      cf = bit64(d, dhi, 64 - n);
    } else {
      r = shr64(c, d, dhi, n);
      rhi = c.hi;
      const lo2 = shl64(c, s, shi, 64 - n);
      r |= lo2;
      rhi |= c.hi;
      cf = bit64(d, dhi, n - 1);
    }
  } else if (size === 4) {
    if (left) {
      r = (d << n) | (s >>> (32 - n));
      cf = (d >>> (32 - n)) & 1;
    } else {
      r = (d >>> n) | (s << (32 - n));
      cf = (d >>> (n - 1)) & 1;
    }
  } else {
    // 16-bit: counts above 16 give an undefined result; this is what the host
    // (AMD) computes: the 48-bit value dst:src:src (shld) or src:src:dst (shrd).
    const d16 = d & 0xffff;
    const s16 = s & 0xffff;
    if (n <= 16) {
      if (left) {
        r = ((d16 << n) | (s16 >>> (16 - n))) & 0xffff;
        cf = (d16 >>> (16 - n)) & 1;
      } else {
        r = ((d16 >>> n) | (s16 << (16 - n))) & 0xffff;
        cf = (d16 >>> (n - 1)) & 1;
      }
    } else {
      const k = n - 16;
      r = left ? ((s16 << k) | (s16 >>> (16 - k))) & 0xffff : ((s16 >>> k) | (s16 << (16 - k))) & 0xffff;
      cf = 0;
    }
  }
  const msbOld = size === 8 ? dhi >>> 31 : (d >>> (bits - 1)) & 1;
  const msbNew = size === 8 ? rhi >>> 31 : (r >>> (bits - 1)) & 1;
  wr0rmw(c, i, r, rhi);
  setResultFlags(c, size, r, rhi, cf | ((msbOld ^ msbNew) << 11));
}
register("shld", (c, i) => shiftDouble(c, i, true));
register("shrd", (c, i) => shiftDouble(c, i, false));

// ---- movbe ------------------------------------------------------------------------

function bswap32(v: number): number {
  return ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24)) | 0;
}

register("movbe", (c, i) => {
  const size = i.s0;
  const v = rd1(c, i);
  const vhi = c.hi;
  if (size === 8) wr0(c, i, bswap32(vhi), bswap32(v));
  else if (size === 4) wr0(c, i, bswap32(v), 0);
  else wr0(c, i, ((v >>> 8) & 0xff) | ((v & 0xff) << 8), 0);
});

/** #UD for an instruction whose extension is not advertised. */
export function ud(i: Insn): CpuException {
  return new CpuException(SIGILL, ILL_ILLOPN, i.addr, `invalid instruction '${i.mnem}'`);
}

// ---- crc32 (SSE4.2, a general-purpose instruction: CRC-32C, reflected) -------------

const CRC32C = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let v = n;
  for (let k = 0; k < 8; k++) v = v & 1 ? (v >>> 1) ^ 0x82f63b78 : v >>> 1;
  CRC32C[n] = v;
}

function crcBytes(crc: number, v: number, n: number): number {
  for (let k = 0; k < n; k++) {
    crc = (crc >>> 8) ^ CRC32C[(crc ^ v) & 0xff];
    v >>>= 8;
  }
  return crc;
}

register("crc32", (c, i) => {
  const s = i.s1;
  const v = rd1(c, i);
  const vhi = c.hi;
  let crc = c.r[2 * i.r0];
  crc = crcBytes(crc, v, s === 8 ? 4 : s);
  if (s === 8) crc = crcBytes(crc, vhi, 4);
  setReg(c, i.r0, i.s0, crc, 0); // the 64-bit form zero-extends
});
