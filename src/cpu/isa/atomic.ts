/** Exchange-and-compare family: xadd, cmpxchg, cmpxchg8b, cmpxchg16b (lock is a no-op: one thread). */
import { K_MEM, K_REG } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, SIGSEGV, SI_KERNEL } from "../exceptions.js";
import { F_ADD, F_SUB, ZF, materialize, setLazy } from "../flags.js";
import { ea, getReg, rd0, setReg, wr0rmw } from "../ops.js";
import { register } from "../registry.js";
import { add64, sub64 } from "./alu.js";

register("xadd", (c, i) => {
  const size = i.s0;
  const a = rd0(c, i);
  const ahi = c.hi;
  const b = getReg(c, i.r1, size);
  const bhi = c.hi;
  let r = add64(c, a, ahi, b, bhi, 0);
  let rhi = size === 8 ? c.hi : 0;
  if (size < 8) r = size === 4 ? r : r & ((1 << (size * 8)) - 1);
  if (i.k0 === K_MEM) {
    wr0rmw(c, i, r, rhi); // the store may fault: before any register changes
    setReg(c, i.r1, size, a, ahi);
  } else {
    // TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (the destination wins when both are one register)
    setReg(c, i.r1, size, a, ahi);
    setReg(c, i.r0, size, r, rhi);
  }
  if (size < 8) rhi = 0;
  setLazy(c, F_ADD, size, a, ahi, b, size === 8 ? bhi : 0, r, rhi, 0);
});

register("cmpxchg", (c, i) => {
  const size = i.s0;
  const acc = getReg(c, 0, size);
  const acchi = c.hi;
  const d = rd0(c, i);
  const dhi = c.hi;
  const s = getReg(c, i.r1, size);
  const shi = c.hi;
  const r = sub64(c, acc, acchi, d, dhi, 0);
  const rhi = size === 8 ? c.hi : 0;
  const equal = size === 8 ? acc === d && acchi === dhi : acc === d;
  if (equal) wr0rmw(c, i, s, shi);
  else {
    // A memory destination is always written (the old value back); a register
    // destination is left alone (the host, AMD, keeps its upper half).
    if (i.k0 !== K_REG) wr0rmw(c, i, d, dhi);
    setReg(c, 0, size, d, dhi);
  }
  setLazy(c, F_SUB, size, acc, acchi, d, dhi, r, rhi, 0);
});

/** cmpxchg8b / cmpxchg16b: only ZF changes. The memory operand is always written. */
function cmpxchgWide(c: CPU, addr: number, wide: boolean): void {
  const m = c.mem;
  const w0 = m.read32(addr);
  const w1 = m.read32(addr + 4);
  const w2 = wide ? m.read32(addr + 8) : 0;
  const w3 = wide ? m.read32(addr + 12) : 0;
  m.checkWritable(addr, wide ? 16 : 8);
  // c.r only now: touching a page for the first time may grow memory and replace the view
  const r = c.r;
  let eq: boolean;
  if (!wide) {
    eq = w0 === r[0] && w1 === r[4];
    if (eq) m.write64(addr, r[6], r[2]); // ecx:ebx
    else {
      m.write64(addr, w0, w1);
      setReg(c, 0, 4, w0, 0);
      setReg(c, 2, 4, w1, 0);
    }
  } else {
    eq = w0 === r[0] && w1 === r[1] && w2 === r[4] && w3 === r[5];
    if (eq) {
      m.write64(addr, r[6], r[7]); // rcx:rbx
      m.write64(addr + 8, r[2], r[3]);
    } else {
      m.write64(addr, w0, w1);
      m.write64(addr + 8, w2, w3);
      r[0] = w0;
      r[1] = w1;
      r[4] = w2;
      r[5] = w3;
    }
  }
  materialize(c);
  c.flags = eq ? c.flags | ZF : c.flags & ~ZF;
}

register("cmpxchg8b", (c, i) => cmpxchgWide(c, ea(c, i), false));
register("cmpxchg16b", (c, i) => {
  const addr = ea(c, i);
  if (addr % 16 !== 0) throw new CpuException(SIGSEGV, SI_KERNEL, 0, "cmpxchg16b: unaligned memory operand (general protection)");
  cmpxchgWide(c, addr, true);
});
