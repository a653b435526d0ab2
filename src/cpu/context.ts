/**
 * A saved CPU context: what one thread owns of the CPU (GPRs, rip, lazy flags,
 * fs/gs base, SSE and x87 state). Threads of a process share one CPU object,
 * and with it the decoded blocks and compiled code; switching threads saves
 * the running one's context here and loads the next one's. Cold path (once per
 * time slice), so it copies by field name.
 */
import type { CPU } from "./cpu.js";
import { STATE_OFFSET } from "./memory.js";

/** Bytes of the CPU state area in linear memory that belong to a thread (GPRs, XMM, x87 registers and room for more). */
export const CONTEXT_STATE_BYTES = 0x400;

/** CPU fields (outside linear memory) that belong to a thread. */
const FIELDS = [
  "rip",
  "fOp",
  "fSize",
  "fDst",
  "fDstHi",
  "fSrc",
  "fSrcHi",
  "fRes",
  "fResHi",
  "fAux",
  "flags",
  "fsBase",
  "gsBase",
  "mxcsr",
  "fpuControl",
  "fpuStatus",
  "fpuTop",
  "fpuTag",
  "fpuLastIp",
  "fpuLastDp",
  "fpuLastOpcode",
] as const;

type Field = (typeof FIELDS)[number];

export class CpuContext {
  readonly state = new Uint8Array(CONTEXT_STATE_BYTES);
  readonly fields = new Float64Array(FIELDS.length);

  /** A copy of this context (fork, clone). */
  clone(): CpuContext {
    const c = new CpuContext();
    c.state.set(this.state);
    c.fields.set(this.fields);
    return c;
  }

  /** rip of the saved context. */
  get rip(): number {
    return this.fields[0];
  }
  set rip(v: number) {
    this.fields[0] = v;
  }

  /** fs base of the saved context (the TLS pointer). */
  get fsBase(): number {
    return this.fields[11];
  }
  set fsBase(v: number) {
    this.fields[11] = v;
  }

  /** Set a 64-bit GPR of the saved context from a JS number (exact below 2^53; negative values are two's complement). */
  setReg(n: number, v: number): void {
    const dv = new DataView(this.state.buffer);
    dv.setBigInt64(8 * n, BigInt(Math.trunc(v)), true);
  }

  /** A 64-bit GPR of the saved context as an unsigned JS number. */
  reg(n: number): number {
    const dv = new DataView(this.state.buffer);
    return dv.getUint32(8 * n + 4, true) * 4294967296 + dv.getUint32(8 * n, true);
  }
}

/** Save the CPU's thread state into ctx. */
export function saveContext(cpu: CPU, ctx: CpuContext): void {
  ctx.state.set(cpu.mem.u8.subarray(STATE_OFFSET, STATE_OFFSET + CONTEXT_STATE_BYTES));
  const c = cpu as unknown as Record<Field, number>;
  for (let k = 0; k < FIELDS.length; k++) ctx.fields[k] = c[FIELDS[k]];
}

/** Load ctx into the CPU. */
export function loadContext(cpu: CPU, ctx: CpuContext): void {
  cpu.mem.u8.set(ctx.state, STATE_OFFSET);
  const c = cpu as unknown as Record<Field, number>;
  for (let k = 0; k < FIELDS.length; k++) c[FIELDS[k]] = ctx.fields[k];
}
