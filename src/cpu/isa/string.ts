/**
 * String instructions: movs stos lods scas cmps in every size, with rep /
 * repe / repne, the direction flag and 32-bit address size (0x67).
 *
 * A rep loop commits every iteration (rcx, rsi, rdi) before the next, so a
 * fault in the middle leaves exactly the state the CPU would: the registers
 * point at the faulting element. A segment override applies to the source
 * (rsi) only; the destination (rdi) is always ES (base 0).
 */
import { SEG_FS, SEG_NONE, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { DF, F_SUB, getZF, setLazy } from "../flags.js";
import { PAGE_MASK, PAGE_SIZE } from "../memory.js";
import { getReg, readMem, setReg, writeMem } from "../ops.js";
import { register } from "../registry.js";
import { sub64 } from "./alu.js";

const MOVS = 0,
  STOS = 1,
  LODS = 2,
  SCAS = 3,
  CMPS = 4;

const RSI = 6,
  RDI = 7;

/** Address-sized value of a register: 64-bit signed number (exact near 0 and below 2^53), or 32-bit unsigned. */
function addrReg(c: CPU, n: number, a32: boolean): number {
  const r = c.r;
  return a32 ? r[2 * n] >>> 0 : r[2 * n + 1] * 4294967296 + (r[2 * n] >>> 0);
}

function setAddrReg(c: CPU, n: number, v: number, a32: boolean): void {
  const r = c.r;
  if (a32) {
    r[2 * n] = v | 0;
    r[2 * n + 1] = 0;
  } else {
    const hi = Math.floor(v / 4294967296);
    r[2 * n] = (v - hi * 4294967296) | 0;
    r[2 * n + 1] = hi | 0;
  }
}

function segBase(c: CPU, i: Insn): number {
  return i.seg === SEG_NONE ? 0 : i.seg === SEG_FS ? c.fsBase : c.gsBase;
}

/** One element of the operation; moves rsi/rdi. Every read and write happens before the register update. */
function element(c: CPU, i: Insn, op: number, size: number, a32: boolean, delta: number): void {
  switch (op) {
    case MOVS: {
      const s = addrReg(c, RSI, a32);
      const d = addrReg(c, RDI, a32);
      const v = readMem(c, s + segBase(c, i), size);
      writeMem(c, d, size, v, c.hi);
      setAddrReg(c, RSI, a32 ? (s + delta) >>> 0 : s + delta, a32);
      setAddrReg(c, RDI, a32 ? (d + delta) >>> 0 : d + delta, a32);
      return;
    }
    case STOS: {
      const d = addrReg(c, RDI, a32);
      const v = getReg(c, 0, size);
      writeMem(c, d, size, v, c.hi);
      setAddrReg(c, RDI, a32 ? (d + delta) >>> 0 : d + delta, a32);
      return;
    }
    case LODS: {
      const s = addrReg(c, RSI, a32);
      const v = readMem(c, s + segBase(c, i), size);
      setReg(c, 0, size, v, c.hi);
      setAddrReg(c, RSI, a32 ? (s + delta) >>> 0 : s + delta, a32);
      return;
    }
    case SCAS: {
      const d = addrReg(c, RDI, a32);
      const b = readMem(c, d, size);
      const bhi = c.hi;
      const a = getReg(c, 0, size);
      const ahi = c.hi;
      const r = sub64(c, a, ahi, b, bhi, 0);
      setLazy(c, F_SUB, size, a, ahi, b, bhi, r, size === 8 ? c.hi : 0, 0);
      setAddrReg(c, RDI, a32 ? (d + delta) >>> 0 : d + delta, a32);
      return;
    }
    default: {
      // cmps: [rsi] - [rdi]
      const s = addrReg(c, RSI, a32);
      const d = addrReg(c, RDI, a32);
      const a = readMem(c, s + segBase(c, i), size);
      const ahi = c.hi;
      const b = readMem(c, d, size);
      const bhi = c.hi;
      const r = sub64(c, a, ahi, b, bhi, 0);
      setLazy(c, F_SUB, size, a, ahi, b, bhi, r, size === 8 ? c.hi : 0, 0);
      setAddrReg(c, RSI, a32 ? (s + delta) >>> 0 : s + delta, a32);
      setAddrReg(c, RDI, a32 ? (d + delta) >>> 0 : d + delta, a32);
    }
  }
}

/** Set by runRoom: the destination (rdi) and source (segment + rsi) addresses of a run. */
let runDst = 0;
let runSrc = 0;

/**
 * The bytes a forward run may cover before rdi's page ends (and rsi's, with
 * a source); -1 when an address is not a plain 64-bit one.
 */
function runRoom(c: CPU, i: Insn, withSrc: boolean): number {
  const d = addrReg(c, RDI, false);
  if (d < 0) return -1;
  runDst = d;
  runSrc = 0;
  let room = PAGE_SIZE - (d & PAGE_MASK);
  if (withSrc) {
    const s = addrReg(c, RSI, false) + segBase(c, i);
    if (s < 0) return -1;
    runSrc = s;
    room = Math.min(room, PAGE_SIZE - (s & PAGE_MASK));
  }
  return room;
}

/**
 * Fast path for forward rep movs/stos with 64-bit addresses: whole runs of
 * elements inside one source page and one destination page at once. Returns
 * the number of elements done (0: take the element-by-element path).
 */
function bulk(c: CPU, i: Insn, op: number, size: number, count: number): number {
  const m = c.mem;
  if (m.hooks.length !== 0) return 0;
  const room = runRoom(c, i, op === MOVS);
  if (room < 0) return 0;
  const d = runDst;
  const s = runSrc;
  const n = Math.min(Math.floor(room / size), count);
  if (n === 0) return 0;
  const bytes = n * size;
  if (op === MOVS) {
    const so = m.frameOf(s, false);
    const dO = m.frameOf(d, true) + (d & PAGE_MASK);
    const sO = so + (s & PAGE_MASK);
    if (dO > sO && dO < sO + bytes) return 0; // overlapping forward copy: element by element
    const u8 = m.u8; // after translate (which may grow the memory)
    if (dO !== sO) u8.copyWithin(dO, sO, sO + bytes);
    setAddrReg(c, RSI, addrReg(c, RSI, false) + bytes, false);
  } else {
    const dO = m.frameOf(d, true) + (d & PAGE_MASK);
    const v = getReg(c, 0, size);
    const vhi = c.hi;
    if (size === 1) m.u8.fill(v, dO, dO + bytes);
    else {
      const dv = m.dv;
      for (let k = 0; k < bytes; k += size) {
        if (size === 2) dv.setUint16(dO + k, v, true);
        else {
          dv.setInt32(dO + k, v, true);
          if (size === 8) dv.setInt32(dO + k + 4, vhi, true);
        }
      }
    }
  }
  setAddrReg(c, RDI, d + bytes, false);
  return n;
}

/** Set by bulkCmp: the repe/repne condition ended the loop. */
let cmpStopped = false;

/**
 * Fast path for forward repe/repne scasb/cmpsb with 64-bit addresses: compares
 * a run of bytes inside one page (two for cmpsb) at once. Returns the number
 * of elements done (including the one that ended the loop, if any).
 */
function bulkCmp(c: CPU, i: Insn, op: number, count: number, cond: number): number {
  const m = c.mem;
  if (m.hooks.length !== 0) return 0;
  const room = runRoom(c, i, op === CMPS);
  if (room < 0) return 0;
  const d = runDst;
  const s = runSrc;
  const n = Math.min(room, count);
  const sO = op === CMPS ? m.frameOf(s, false) + (s & PAGE_MASK) : 0;
  const dO = m.frameOf(d, false) + (d & PAGE_MASK);
  const u8 = m.u8;
  const al = c.r[0] & 0xff;
  let a = 0;
  let b = 0;
  let k = 0;
  cmpStopped = false;
  while (k < n) {
    a = op === SCAS ? al : u8[sO + k];
    b = u8[dO + k];
    k++;
    if ((a === b ? 1 : 0) !== cond) {
      cmpStopped = true;
      break;
    }
  }
  setLazy(c, F_SUB, 1, a, 0, b, 0, (a - b) | 0, 0, 0);
  if (op === CMPS) setAddrReg(c, RSI, addrReg(c, RSI, false) + k, false);
  setAddrReg(c, RDI, d + k, false);
  return k;
}

function stringOp(c: CPU, i: Insn, op: number): void {
  const size = i.s0;
  const a32 = i.asize === 4;
  const delta = c.flags & DF ? -size : size;
  if (i.rep === 0) {
    element(c, i, op, size, a32, delta);
    return;
  }
  // (c.r is re-read after memory accesses: a first touch of a page may grow the
  // linear memory, which replaces the register view)
  const cond = op === SCAS || op === CMPS ? (i.rep === 0xf3 ? 1 : 0) : -1; // repe: 1, repne: 0, plain rep: -1
  let lo = c.r[2];
  let hi = a32 ? 0 : c.r[3];
  if ((lo | hi) === 0) return;
  const fast = !a32 && delta > 0 && (op === MOVS || op === STOS);
  const fastCmp = !a32 && delta > 0 && size === 1 && cond >= 0;
  for (;;) {
    if (fastCmp && hi === 0) {
      const n = bulkCmp(c, i, op, lo >>> 0, cond);
      if (n > 0) {
        lo = (lo - n) | 0;
        c.r[2] = lo;
        if (lo === 0 || cmpStopped) return;
        continue;
      }
    }
    if (fast && hi === 0) {
      const n = bulk(c, i, op, size, lo >>> 0);
      if (n > 0) {
        lo = (lo - n) | 0;
        c.r[2] = lo;
        if (lo === 0) return;
        continue;
      }
    }
    element(c, i, op, size, a32, delta);
    if (lo === 0) hi = (hi - 1) | 0;
    lo = (lo - 1) | 0;
    const r = c.r;
    r[2] = lo;
    r[3] = hi;
    if ((lo | hi) === 0) return;
    if (cond >= 0 && getZF(c) !== cond) return;
  }
}

register("movs", (c, i) => stringOp(c, i, MOVS));
register("stos", (c, i) => stringOp(c, i, STOS));
register("lods", (c, i) => stringOp(c, i, LODS));
register("scas", (c, i) => stringOp(c, i, SCAS));
register("cmps", (c, i) => stringOp(c, i, CMPS));
