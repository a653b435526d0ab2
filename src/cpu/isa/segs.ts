/**
 * Segment registers in 64-bit user mode, as Linux sets them up: cs 0x33,
 * ss 0x2b, ds/es/fs/gs 0. mov to/from Sreg, push/pop fs/gs, and the FSGSBASE
 * instructions (rdfsbase rdgsbase wrfsbase wrgsbase).
 *
 * A selector load is allowed for the null selector (not into ss), for the
 * user data segment 0x2b and, except into ss, the user code segments 0x23
 * and 0x33 (readable); loading fs or gs sets its base to 0 (as the host
 * does, also for the null selector). Anything else is #GP (SIGSEGV).
 */
import { K_IMM, K_REG, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, ILL_ILLOPN, SIGILL, SIGSEGV, SI_KERNEL } from "../exceptions.js";
import { USER_WRITABLE, getFlags, setFlags } from "../flags.js";
import { ea, pop, push, rd1, readMem, rspNum, setReg, setRspNum, writeMem } from "../ops.js";
import { register } from "../registry.js";
import { ud } from "./bits.js";

const CS = 1,
  SS = 2,
  FS = 4,
  GS = 5;

/** The visible selectors (es cs ss ds fs gs), per CPU. */
function selectors(c: CPU): number[] {
  let s = c.ext.selectors as number[] | undefined;
  if (!s) c.ext.selectors = s = [0, 0x33, 0x2b, 0, 0, 0];
  return s;
}

function gp(what: string): CpuException {
  return new CpuException(SIGSEGV, SI_KERNEL, 0, `${what} (general protection)`);
}

/** Check a selector load; returns nothing, throws #GP. Does not change state. */
function checkLoad(seg: number, v: number): void {
  const ok = seg === SS ? v === 0x2b : v === 0 || v === 0x2b || v === 0x23 || v === 0x33;
  if (!ok) throw gp(`loading selector 0x${v.toString(16)} into a segment register`);
}

function load(c: CPU, seg: number, v: number): void {
  selectors(c)[seg] = v;
  if (seg === FS) c.fsBase = 0;
  else if (seg === GS) c.gsBase = 0;
}

register("movfromseg", (c, i) => {
  if (i.r1 > GS) throw ud(i);
  const v = selectors(c)[i.r1];
  if (i.k0 === K_REG) setReg(c, i.r0, i.s0, v, 0);
  else writeMem(c, ea(c, i), 2, v, 0); // a memory destination is always 16 bits
});

register("movtoseg", (c, i) => {
  if (i.r0 === CS || i.r0 > GS) throw ud(i);
  const v = rd1(c, i) & 0xffff;
  checkLoad(i.r0, v);
  load(c, i.r0, v);
});

register("pushseg", (c, i) => {
  push(c, i.size, selectors(c)[i.r0], 0);
});

register("popseg", (c, i) => {
  const sp = rspNum(c);
  const v = pop(c, i.size) & 0xffff;
  try {
    checkLoad(i.r0, v);
  } catch (e) {
    setRspNum(c, sp);
    throw e;
  }
  load(c, i.r0, v);
});

// ---- FSGSBASE ------------------------------------------------------------------------

function baseToReg(c: CPU, i: Insn, base: number): void {
  const hi = Math.floor(base / 4294967296);
  setReg(c, i.r0, i.s0, (base - hi * 4294967296) | 0, hi | 0);
}

function regToBase(c: CPU, i: Insn): number {
  const r = c.r;
  const lo = r[2 * i.r0] >>> 0;
  if (i.s0 !== 8) return lo;
  const hi = r[2 * i.r0 + 1];
  // canonical: bits 63..47 all equal
  if (hi >> 15 !== 0 && hi >> 15 !== -1) throw gp("non-canonical segment base");
  return hi * 4294967296 + lo;
}

register("rdfsbase", (c, i) => baseToReg(c, i, c.fsBase));
register("rdgsbase", (c, i) => baseToReg(c, i, c.gsBase));
register("wrfsbase", (c, i) => {
  c.fsBase = regToBase(c, i);
});
register("wrgsbase", (c, i) => {
  c.gsBase = regToBase(c, i);
});

// ---- far pointers and far control transfers -------------------------------------------
// Only the 64-bit user code segment 0x33 can be entered; 0x23 (32-bit
// compatibility mode) is not supported (SIGILL with a message); any other
// selector is #GP.

const USER_CS = 0x33;
const USER32_CS = 0x23;

function checkCodeSelector(i: Insn, v: number): void {
  if (v === USER_CS) return;
  if (v === USER32_CS) throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, "far transfer to 32-bit compatibility mode (not supported)");
  throw gp(`far transfer to selector 0x${v.toString(16)}`);
}

/** Far pointer operand (offset, then the selector): offset in return/c.hi, selector in farSel. */
let farSel = 0;
function readFar(c: CPU, i: Insn, size: number): number {
  const a = ea(c, i);
  const off = readMem(c, a, size);
  const hi = c.hi;
  farSel = readMem(c, a + size, 2);
  c.hi = hi;
  return off;
}

function farTarget(lo: number, hi: number, size: number): number {
  if (size === 8) return (hi >>> 0) * 4294967296 + (lo >>> 0);
  return size === 4 ? lo >>> 0 : lo & 0xffff;
}

/** lfs / lgs / lss Gv, Mp (with REX.W the host, AMD, reads m16:32 and zero-extends) */
function loadFar(c: CPU, i: Insn, seg: number): void {
  const psize = i.size === 8 ? 4 : i.size;
  const off = readFar(c, i, psize);
  checkLoad(seg, farSel);
  setReg(c, i.r0, psize, off, 0);
  load(c, seg, farSel);
}
register("lfs", (c, i) => loadFar(c, i, FS));
register("lgs", (c, i) => loadFar(c, i, GS));
register("lss", (c, i) => loadFar(c, i, SS));

// With REX.W the host (AMD) still reads an m16:32 pointer for far call/jmp
// (Intel reads m16:64); the pushes of a far call are 64-bit.
register("jmpf", (c, i) => {
  const psize = i.size === 8 ? 4 : i.size;
  const off = readFar(c, i, psize);
  checkCodeSelector(i, farSel);
  c.rip = farTarget(off, c.hi, psize);
});

register("callf", (c, i) => {
  const size = i.size;
  const psize = size === 8 ? 4 : size;
  const off = readFar(c, i, psize);
  const offHi = c.hi;
  checkCodeSelector(i, farSel);
  const sp = rspNum(c);
  const ret = i.next;
  // push cs, then the return address; both stores before any register changes
  writeMem(c, sp - size, size, USER_CS, 0);
  writeMem(c, sp - 2 * size, size, ret % 4294967296 | 0, Math.floor(ret / 4294967296));
  setRspNum(c, sp - 2 * size);
  c.rip = farTarget(off, offHi, psize);
});

function retFar(c: CPU, i: Insn, extra: number): void {
  const size = i.size;
  const sp = rspNum(c);
  const lo = readMem(c, sp, size);
  const hi = c.hi;
  const cs = readMem(c, sp + size, size) & 0xffff;
  checkCodeSelector(i, cs);
  setRspNum(c, sp + 2 * size + extra);
  c.rip = farTarget(lo, hi, size);
}
register("retf", (c, i) => retFar(c, i, i.k0 === K_IMM ? i.imm & 0xffff : 0));

/** iret: pops rip, cs, rflags, rsp, ss (always all five in 64-bit mode). */
register("iret", (c, i) => {
  const size = i.size;
  const sp = rspNum(c);
  const lo = readMem(c, sp, size);
  const hi = c.hi;
  const cs = readMem(c, sp + size, size) & 0xffff;
  const fl = readMem(c, sp + 2 * size, size);
  const nsp = readMem(c, sp + 3 * size, size);
  const nspHi = c.hi;
  const ss = readMem(c, sp + 4 * size, size) & 0xffff;
  checkCodeSelector(i, cs);
  if (ss !== 0x2b) throw gp(`iret with stack selector 0x${ss.toString(16)}`);
  const mask = size === 2 ? USER_WRITABLE & 0xffff : USER_WRITABLE;
  setFlags(c, (getFlags(c) & ~mask) | (fl & mask));
  setRspNum(c, farTarget(nsp, nspHi, size));
  c.rip = farTarget(lo, hi, size);
});
