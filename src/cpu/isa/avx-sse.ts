/**
 * VEX forms of the SSE..SSE4.2 instructions, run by the legacy SSE handler
 * of the same name once per 128-bit lane.
 *
 * For `vOP dst, src1, src2` the plan is: src2 from memory (no alignment
 * requirement under VEX) goes to a scratch slot, and so does a src2 that is
 * the destination itself; src1 is copied into the destination; then the
 * two-operand SSE handler runs on (dst, src2) for the low lane and, for
 * VEX.256, on the upper-half slots (dst + HI, src2 + HI) for the high lane,
 * with imm8 shifted where the upper lane takes other bits. VEX.128 then
 * zeroes the destination's upper half; legacy SSE never touches it.
 * Widening forms (vcvtps2pd, vpmovzx) give each lane half of the source;
 * narrowing forms (vcvtpd2ps ymm) build the two halves of an xmm result.
 */
import { vexKeys, ATTR_I1S_SHIFT, ATTR_LIG, ATTR_NARROW, ATTR_NW, ATTR_SRCLO, ATTR_WIDEN } from "../../decoder/vex-tables.js";
import { Insn, K_MEM, K_XMM } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, ILL_ILLOPN, SIGILL } from "../exceptions.js";
import { ea } from "../ops.js";
import { handlerByKey, hasHandler, register, type Handler } from "../registry.js";
import { copySlot, HI, loadSlot, SB, SC, SD, zeroSlot } from "./avx-common.js";

const F_COPY = 1; // operand 1 (vvvv, or the source of a shift group) is copied into the destination first
const F_LOAD = 2; // the vector source is memory: loaded into SB
const F_ALIAS = 4; // the vector source is the destination: copied into SB first
const F_256 = 8; // run the upper lane too
const F_ZERO = 16; // a VEX.128 write to an xmm register: zero its upper half
const F_WIDEN = 32;
const F_NARROW = 64;
const F_SRCREG = 128; // widen/narrow from a register: copied into SB (and SB + HI)
const F_XMM0 = 256; // the result goes to xmm0 (upper half zeroed)

class Plan {
  flags = 0;
  dst = 0;
  copyFrom = 0;
  /** The vector source register (or -1) and the memory operand's size. */
  src = -1;
  memSize = 0;
  half = 0;
  lane0: Insn = null as unknown as Insn;
  lane1: Insn | null = null;
}

function clone(i: Insn): Insn {
  return Object.assign(new Insn(), i, { plan: null });
}

function setOp(i: Insn, k: number, kind: number, reg: number, size: number): void {
  if (k === 0) [i.k0, i.r0, i.s0] = [kind, reg, size];
  else if (k === 1) [i.k1, i.r1, i.s1] = [kind, reg, size];
  else if (k === 2) [i.k2, i.r2, i.s2] = [kind, reg, size];
  else [i.k3, i.r3, i.s3] = [kind, reg, size];
}

function makePlan(i: Insn): Plan {
  const p = new Plan();
  const d = i.def;
  const a = d.attrs;
  const codes = d.ops.map((o) => o.code);
  const kinds = [i.k0, i.k1, i.k2, i.k3];
  const regs = [i.r0, i.r1, i.r2, i.r3];
  const sizes = [i.s0, i.s1, i.s2, i.s3];
  const ops: [number, number, number, string][] = [];
  for (let k = 0; k < i.nops; k++) ops.push([kinds[k], regs[k], sizes[k], codes[k]]);
  const copy = ops.length > 1 && (codes[0] === "H" || codes[1] === "H");
  if (copy) {
    p.flags |= F_COPY;
    p.copyFrom = ops[1][1];
    ops.splice(1, 1);
  }
  const wide = i.vexL !== 0 && !(a & ATTR_LIG);
  p.dst = ops[0][1];
  if (ops[0][0] === K_XMM && !(a & ATTR_NW)) p.flags |= wide ? 0 : F_ZERO;
  if (/strm$/.test(d.key)) p.flags |= F_XMM0; // vpcmp[ei]strm write xmm0
  // the vector source: W (xmm or memory), U, or V in the store forms
  let sk = -1;
  for (let k = 1; k < ops.length; k++) if (ops[k][3] === "W" || ops[k][3] === "U" || ops[k][3] === "V") sk = k;
  if (sk > 0) {
    const [kind, reg, size] = ops[sk];
    if (kind === K_MEM) {
      p.flags |= F_LOAD;
      p.memSize = size;
      ops[sk] = [K_XMM, SB, 16, "W"];
    } else {
      p.src = reg;
      if (wide && a & (ATTR_WIDEN | ATTR_NARROW)) {
        p.flags |= F_SRCREG;
        ops[sk] = [K_XMM, SB, 16, "W"];
      } else if (copy && kind === K_XMM && reg === p.dst && p.copyFrom !== p.dst) {
        p.flags |= F_ALIAS;
        ops[sk] = [K_XMM, SB, 16, "W"];
      }
    }
  }
  const l0 = clone(i);
  l0.nops = ops.length;
  l0.k0 = l0.k1 = l0.k2 = l0.k3 = 0;
  ops.forEach(([kind, reg, size], k) => setOp(l0, k, kind, reg, size));
  p.lane0 = l0;
  if (wide) {
    p.flags |= F_256;
    const l1 = clone(l0);
    if (a & ATTR_WIDEN) {
      p.flags |= F_WIDEN;
      p.half = sizes[sk >= 0 ? (copy ? sk + 1 : sk) : 1] >> 1;
      l1.r0 += HI;
      setOp(l1, sk, K_XMM, SC, 16);
    } else if (a & ATTR_NARROW) {
      p.flags |= F_NARROW;
      l0.r0 = SC;
      l1.r0 = SD;
      l1.r1 = SB + HI;
    } else {
      const rs = [l1.r0, l1.r1, l1.r2, l1.r3];
      const ks = [l1.k0, l1.k1, l1.k2, l1.k3];
      for (let k = 0; k < l1.nops; k++) if (ks[k] === K_XMM && !(k === sk && a & ATTR_SRCLO)) setOp(l1, k, K_XMM, rs[k] + HI, 16);
      l1.imm >>= (a >> ATTR_I1S_SHIFT) & 7;
    }
    p.lane1 = l1;
  }
  return p;
}

const SAVE = new Int32Array(8);

function laneHandler(sseKey: string): Handler {
  let fn: Handler | undefined;
  return (c: CPU, i: Insn) => {
    if (fn === undefined) {
      fn = handlerByKey(sseKey);
      if (fn === undefined) throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, `unsupported instruction '${i.mnem}'`);
    }
    let p = i.plan as Plan | null;
    if (p === null) i.plan = p = makePlan(i);
    const f = p.flags;
    const x = c.xmm;
    if (f & F_LOAD) loadSlot(c, ea(c, i), p.memSize, SB);
    else if (f & (F_ALIAS | F_SRCREG)) {
      copySlot(x, p.src, SB);
      copySlot(x, p.src + HI, SB + HI);
    }
    const d = p.dst;
    if (f & F_COPY && p.copyFrom !== d) {
      copySlot(x, p.copyFrom, d);
      if (f & F_256) copySlot(x, p.copyFrom + HI, d + HI);
    }
    if (!(f & F_256)) {
      fn(c, p.lane0);
      if (f & F_ZERO) zeroSlot(x, d + HI);
      if (f & F_XMM0) zeroSlot(x, HI);
      return;
    }
    if (f & F_WIDEN) {
      const u8 = c.xmmU8;
      u8.copyWithin(SC * 16, SB * 16 + p.half, SB * 16 + 2 * p.half);
    }
    // with unmasked SIMD exceptions the upper lane may fault after the low lane wrote: keep the old value
    const exact = (c.mxcsr & 0x1f80) !== 0x1f80;
    if (exact) for (let j = 0; j < 4; j++) (SAVE[j] = x[d * 4 + j]), (SAVE[j + 4] = x[(d + HI) * 4 + j]);
    try {
      fn(c, p.lane0);
      fn(c, p.lane1 as Insn);
    } catch (e) {
      if (exact) for (let j = 0; j < 4; j++) (x[d * 4 + j] = SAVE[j]), (x[(d + HI) * 4 + j] = SAVE[j + 4]);
      throw e;
    }
    if (f & F_NARROW) {
      x[d * 4] = x[SC * 4];
      x[d * 4 + 1] = x[SC * 4 + 1];
      x[d * 4 + 2] = x[SD * 4];
      x[d * 4 + 3] = x[SD * 4 + 1];
      zeroSlot(x, d + HI);
    }
  };
}

/** Every VEX key without a handler of its own runs the SSE handler of its name without the `v`. */
for (const key of vexKeys()) if (!hasHandler(key) && key.startsWith("v")) register(key, laneHandler(key.slice(1)));
