/**
 * Shared pieces of the AVX families: the ymm layout inside cpu.xmm (slot n
 * is xmm n, slot n + HI the upper 128 bits of ymm n; slots 16-19 are
 * scratch registers), vector loads and stores through scratch slots, and
 * the operand helpers every AVX handler uses.
 */
import { K_MEM, K_XMM, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, SIGSEGV, SI_KERNEL } from "../exceptions.js";
import { ea } from "../ops.js";

/** Slot offset of the upper halves. */
export const HI = 20;
/** xmm slots in all: 16 registers, 4 scratch, and the upper halves of both. */
export const SLOTS = 40;
/** Scratch slots. */
export const SA = 16,
  SB = 17,
  SC = 18,
  SD = 19;

export function gp(what: string): never {
  throw new CpuException(SIGSEGV, SI_KERNEL, 0, `general protection (misaligned ${what})`);
}

/** Copy slot `from` to slot `to` (16 bytes). */
export function copySlot(x: Int32Array, from: number, to: number): void {
  const f = from * 4;
  const t = to * 4;
  x[t] = x[f];
  x[t + 1] = x[f + 1];
  x[t + 2] = x[f + 2];
  x[t + 3] = x[f + 3];
}

export function zeroSlot(x: Int32Array, s: number): void {
  const t = s * 4;
  x[t] = 0;
  x[t + 1] = 0;
  x[t + 2] = 0;
  x[t + 3] = 0;
}

/** Read `bytes` (1..32) at guest address a into slot s (and s + HI beyond 16 bytes); the rest of the slot is zeroed. */
export function loadSlot(c: CPU, a: number, bytes: number, s: number): void {
  const m = c.mem;
  const x = c.xmm;
  const t = s * 4;
  if (bytes >= 16) {
    const v0 = m.read32(a);
    const v1 = m.read32(a + 4);
    const v2 = m.read32(a + 8);
    const v3 = m.read32(a + 12);
    if (bytes === 32) {
      const u = (s + HI) * 4;
      const w0 = m.read32(a + 16);
      const w1 = m.read32(a + 20);
      const w2 = m.read32(a + 24);
      const w3 = m.read32(a + 28);
      x[u] = w0;
      x[u + 1] = w1;
      x[u + 2] = w2;
      x[u + 3] = w3;
    }
    x[t] = v0;
    x[t + 1] = v1;
    x[t + 2] = v2;
    x[t + 3] = v3;
    return;
  }
  let lo = 0;
  let hi = 0;
  if (bytes === 8) {
    lo = m.read32(a);
    hi = m.read32(a + 4);
  } else if (bytes === 4) lo = m.read32(a);
  else if (bytes === 2) lo = m.read16(a);
  else lo = m.read8(a);
  x[t] = lo;
  x[t + 1] = hi;
  x[t + 2] = 0;
  x[t + 3] = 0;
}

/** Write `bytes` (4, 8, 16 or 32) of slot s (s + HI beyond 16 bytes) to guest address a; nothing is written when any byte faults. */
export function storeSlot(c: CPU, a: number, bytes: number, s: number): void {
  const m = c.mem;
  const x = c.xmm;
  const t = s * 4;
  if (bytes === 4) return m.write32(a, x[t]);
  if (bytes === 8) return m.write64(a, x[t], x[t + 1]);
  m.checkWritable(a, bytes);
  m.write32(a, x[t]);
  m.write32(a + 4, x[t + 1]);
  m.write32(a + 8, x[t + 2]);
  m.write32(a + 12, x[t + 3]);
  if (bytes === 32) {
    const u = (s + HI) * 4;
    m.write32(a + 16, x[u]);
    m.write32(a + 20, x[u + 1]);
    m.write32(a + 24, x[u + 2]);
    m.write32(a + 28, x[u + 3]);
  }
}

/**
 * The slot holding source operand k (1..3): its register, or scratch slot
 * `scratch` loaded from memory with the operand's size.
 */
export function srcSlot(c: CPU, i: Insn, k: number, scratch: number, align = 0): number {
  const kind = k === 1 ? i.k1 : k === 2 ? i.k2 : i.k3;
  if (kind === K_XMM) return k === 1 ? i.r1 : k === 2 ? i.r2 : i.r3;
  if (kind === K_MEM) {
    const a = ea(c, i);
    const size = k === 1 ? i.s1 : k === 2 ? i.s2 : i.s3;
    if (align && a % size !== 0) gp(`${size}-byte vector access`);
    loadSlot(c, a, size, scratch);
    return scratch;
  }
  return scratch;
}

/** Finish a VEX write of xmm/ymm register d: VEX.128 zeroes bits 128-255. */
export function endWrite(c: CPU, i: Insn, d: number): void {
  if (!i.vexL) zeroSlot(c.xmm, d + HI);
}

/** 256-bit operation? */
export function is256(i: Insn): boolean {
  return i.vexL !== 0;
}

export { K_MEM, K_XMM };
