/**
 * xsave, xsaveopt, xsavec, xrstor and xgetbv over the x87, SSE and AVX
 * components (src/cpu/xsave.ts). The area must be 64-byte aligned (#GP,
 * SIGSEGV otherwise); a fault writes nothing.
 */
import type { Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, SIGSEGV, SI_KERNEL } from "../exceptions.js";
import { ea } from "../ops.js";
import { register, registerAll } from "../registry.js";
import { AVX_OFFSET, xinuse, XCR0, xrstorFrom, xsaveInto, XSAVE_SIZE } from "../xsave.js";

function gpf(what: string): never {
  throw new CpuException(SIGSEGV, SI_KERNEL, 0, `general protection (${what})`);
}

/** The requested-feature bitmap EDX:EAX (only the low bits matter with XCR0 = 7). */
function rfbm(c: CPU): number {
  return c.r[0] & XCR0;
}

function save(compacted: boolean) {
  return (c: CPU, i: Insn) => {
    const a = ea(c, i);
    if (a % 64) gpf("misaligned xsave area");
    const n = rfbm(c) & 4 ? XSAVE_SIZE : AVX_OFFSET;
    const img = c.mem.readBytes(a, n);
    c.mem.checkWritable(a, n);
    xsaveInto(c, img, rfbm(c), compacted);
    c.mem.writeBytes(a, img);
  };
}
registerAll(["xsave", "xsaveopt"], save(false));
register("xsavec", save(true));

register("xrstor", (c, i) => {
  const a = ea(c, i);
  if (a % 64) gpf("misaligned xrstor area");
  const head = c.mem.readBytes(a, AVX_OFFSET);
  const bv = head[512];
  const n = rfbm(c) & bv & 4 ? XSAVE_SIZE : AVX_OFFSET;
  const img = n === AVX_OFFSET ? head : c.mem.readBytes(a, n);
  if (!xrstorFrom(c, img, rfbm(c))) gpf("invalid xrstor header or MXCSR");
});

/** xgetbv: ecx 0 is XCR0, ecx 1 XCR0 & XINUSE; others #GP. */
register("xgetbv", (c) => {
  const n = c.r[2];
  if (n !== 0 && n !== 1) gpf("xgetbv of an unknown XCR");
  c.setReg64(0, n === 0 ? XCR0 : XCR0 & xinuse(c), 0);
  c.setReg64(2, 0, 0);
});
