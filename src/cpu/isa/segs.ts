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
import { K_REG, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, SIGSEGV, SI_KERNEL } from "../exceptions.js";
import { ea, pop, push, rd1, rspNum, setReg, setRspNum, writeMem } from "../ops.js";
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
