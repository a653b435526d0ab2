/** Control transfer: jmp jcc call ret loop jrcxz (all encodings). */
import type { CPU } from "../cpu.js";
import { CpuException, SIGSEGV, SI_KERNEL } from "../exceptions.js";
import { cond } from "../flags.js";
import { push, rd0, readMem, setRspNum, rspNum } from "../ops.js";
import { register } from "../registry.js";
import type { Insn } from "../../decoder/insn.js";

/**
 * A 64-bit target (lo/hi) as an address number. A non-canonical one (bits
 * 63..47 not all equal) is #GP at the branch itself, before it changes
 * anything (rsp, the return address), as on Intel and AMD CPUs: Linux
 * reports SIGSEGV (SI_KERNEL, no address) with rip at the branch.
 */
function target(lo: number, hi: number): number {
  if (((hi >> 15) + 1) >>> 1 !== 0) throw nonCanonical(lo, hi);
  return (hi >>> 0) * 4294967296 + (lo >>> 0);
}

export function nonCanonical(lo: number, hi: number): CpuException {
  const hex = (hi >>> 0).toString(16) + (lo >>> 0).toString(16).padStart(8, "0");
  return new CpuException(SIGSEGV, SI_KERNEL, 0, `branch to non-canonical address 0x${hex} (general protection)`);
}

register("jmp", (c, i) => {
  c.rip = i.target;
});

register("jcc", (c, i) => {
  if (cond(c, i.opcode & 15)) c.rip = i.target;
});

register("call", (c, i) => {
  push(c, 8, i.next % 4294967296 | 0, Math.floor(i.next / 4294967296));
  c.rip = i.target;
});

register("calli", (c, i) => {
  const lo = rd0(c, i);
  const t = target(lo, c.hi);
  push(c, 8, i.next % 4294967296 | 0, Math.floor(i.next / 4294967296));
  c.rip = t;
});

register("jmpi", (c, i) => {
  const lo = rd0(c, i);
  c.rip = target(lo, c.hi);
});

register("ret", (c) => {
  const sp = rspNum(c);
  c.rip = target(readMem(c, sp, 8), c.hi);
  setRspNum(c, sp + 8);
});

register("reti", (c, i) => {
  const sp = rspNum(c);
  c.rip = target(readMem(c, sp, 8), c.hi);
  setRspNum(c, sp + 8 + (i.imm & 0xffff));
});

/** Count register (rcx, or ecx with a 0x67 prefix) decremented; returns the new value != 0. */
function decCount(c: CPU, i: Insn): boolean {
  const r = c.r;
  if (i.asize === 4) {
    r[2] = (r[2] - 1) | 0;
    r[3] = 0;
    return r[2] !== 0;
  }
  const lo = (r[2] - 1) | 0;
  if (lo === -1) r[3] = (r[3] - 1) | 0;
  r[2] = lo;
  return (lo | r[3]) !== 0;
}

register("loop", (c, i) => {
  const nz = decCount(c, i);
  const op = i.opcode;
  // e2: loop; e1: loope (ZF=1); e0: loopne (ZF=0)
  if (nz && (op === 0xe2 || (op === 0xe1 ? cond(c, 4) : cond(c, 5)))) c.rip = i.target;
});

register("jrcxz", (c, i) => {
  const r = c.r;
  if (i.asize === 4 ? r[2] === 0 : (r[2] | r[3]) === 0) c.rip = i.target;
});
