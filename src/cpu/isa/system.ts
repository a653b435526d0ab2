/** System-ish user instructions: syscall, traps, cpuid, rdtsc, flag instructions, enter/leave. */
import type { CPU } from "../cpu.js";
import { CpuException, ILL_ILLOPN, SIGILL, SIGSEGV, SIGTRAP, SI_KERNEL } from "../exceptions.js";
import { CF, DF, USER_WRITABLE, getFlags, materialize, setFlags } from "../flags.js";
import { pop, push, readMem, rspNum, setReg, setRspNum, writeMem } from "../ops.js";
import { register } from "../registry.js";
import { cpuid } from "../cpuid.js";

register("syscall", (c, i) => {
  const r = c.r;
  r[2] = i.next % 4294967296 | 0; // rcx <- return address
  r[3] = Math.floor(i.next / 4294967296);
  r[22] = getFlags(c); // r11 <- rflags
  r[23] = 0;
  c.onSyscall(c);
});

register("int3", (c, i) => {
  throw new CpuException(SIGTRAP, SI_KERNEL, 0, "breakpoint trap (int3)", i.next);
});
register("int1", (c, i) => {
  throw new CpuException(SIGTRAP, SI_KERNEL, 0, "debug trap (int1)", i.next);
});
register("int", (c, i) => {
  if ((i.imm & 0xff) === 3) throw new CpuException(SIGTRAP, SI_KERNEL, 0, "breakpoint trap (int 3)", i.next);
  throw new CpuException(SIGSEGV, SI_KERNEL, 0, `software interrupt 0x${(i.imm & 0xff).toString(16)} (general protection)`);
});
register("ud2", (c, i) => {
  throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, "undefined instruction (ud2)");
});
register("ud1", (c, i) => {
  throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, "undefined instruction (ud1)");
});
register("ud0", (c, i) => {
  throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, "undefined instruction (ud0)");
});

register("cpuid", (c) => {
  const r = c.r;
  const out = cpuid(r[0] >>> 0, r[2] >>> 0, c.features);
  setReg(c, 0, 4, out[0], 0);
  setReg(c, 3, 4, out[1], 0);
  setReg(c, 1, 4, out[2], 0);
  setReg(c, 2, 4, out[3], 0);
});

/** Time-stamp counter: advances with executed instructions (deterministic). */
function tsc(c: CPU): void {
  const t = c.icount * 3 + 1000000;
  setReg(c, 0, 4, t % 4294967296 | 0, 0);
  setReg(c, 2, 4, Math.floor(t / 4294967296), 0);
}
register("rdtsc", tsc);
register("rdtscp", (c) => {
  tsc(c);
  setReg(c, 1, 4, 0, 0); // IA32_TSC_AUX: cpu 0
});
/** rdpid r64: IA32_TSC_AUX, which Linux sets to (node << 12) | cpu: 0 on our one CPU. */
register("rdpid", (c, i) => setReg(c, i.r0, 8, 0, 0));

function flagOp(fn: (f: number) => number) {
  return (c: CPU) => {
    materialize(c);
    c.flags = fn(c.flags);
  };
}
register("clc", flagOp((f) => f & ~CF));
register("stc", flagOp((f) => f | CF));
register("cmc", flagOp((f) => f ^ CF));
register("cld", flagOp((f) => f & ~DF));
register("std", flagOp((f) => f | DF));

register("lahf", (c) => {
  setReg(c, 16, 1, (getFlags(c) & 0xd5) | 2, 0);
});
register("sahf", (c) => {
  const ah = (c.r[0] >> 8) & 0xd5;
  setFlags(c, (getFlags(c) & ~0xd5) | ah);
});

register("pushf", (c, i) => {
  const f = getFlags(c) & 0xfcffff; // VM and RF read as 0
  push(c, i.size, f, 0);
});
register("popf", (c, i) => {
  const v = pop(c, i.size);
  const f = getFlags(c);
  const mask = i.size === 2 ? USER_WRITABLE & 0xffff : USER_WRITABLE;
  setFlags(c, (f & ~mask) | (v & mask));
});

register("leave", (c, i) => {
  const r = c.r;
  const bp = r[11] * 4294967296 + (r[10] >>> 0);
  const v = readMem(c, bp, i.size);
  const hi = c.hi;
  setRspNum(c, bp + i.size);
  setReg(c, 5, i.size, v, hi);
});

register("enter", (c, i) => {
  const size = i.size;
  const alloc = i.imm & 0xffff;
  const level = i.imm2 & 31;
  const r = c.r;
  let sp = rspNum(c);
  const bp = r[11] * 4294967296 + (r[10] >>> 0);
  // push rbp
  sp -= size;
  writeMem(c, sp, size, r[10], r[11]);
  const frame = sp;
  if (level > 0) {
    let p = bp;
    for (let k = 1; k < level; k++) {
      p -= size;
      const v = readMem(c, p, size);
      const h = c.hi;
      sp -= size;
      writeMem(c, sp, size, v, h);
    }
    sp -= size;
    writeMem(c, sp, size, frame % 4294967296 | 0, Math.floor(frame / 4294967296));
  }
  // check the allocation is writable before committing (a fault leaves state intact)
  setReg(c, 5, size, frame % 4294967296 | 0, Math.floor(frame / 4294967296));
  setRspNum(c, sp - alloc);
});
