/**
 * String instructions (movs stos lods scas cmps, every size, rep/repe/repne,
 * DF, 0x67) against the host CPU, and the exact state after a fault in the
 * middle of a rep string (values learned from the host with a SIGSEGV handler).
 */
import { describe, expect, it } from "vitest";
import { CPU } from "../src/cpu/cpu.js";
import { Memory, PROT_READ, PROT_WRITE, PROT_EXEC } from "../src/cpu/memory.js";
import { canRunNative, firstDiffs, nativeSkipReason, type Case } from "./isa-native.js";

if (!canRunNative) console.log(`isa-string: ${nativeSkipReason}`);

const DF = 0x400;
const SUF = { 1: "b", 2: "w", 4: "d", 8: "q" } as const;
const ACC = { 1: "al", 2: "ax", 4: "eax", 8: "rax" } as const;
const MEM = [0x0706050403020100n, 0x0f0e0d0c0b0a0908n, 0x1716151413121110n, 0x1f1e1d1c1b1a1918n, 0x0706050403020100n, 0x0f0e0d0c0b0a0908n, 0x17161514ff121110n, 0x1f1e1d1c1b1a1918n];

function stringCases(): Case[] {
  const cs: Case[] = [];
  for (const s of [1, 2, 4, 8] as const) {
    const sfx = SUF[s];
    for (const df of [0, DF]) {
      const start = df ? 56 : 8;
      const regs = (n: number) => ({ rcx: n, rax: 0x0b0a0908n });
      const lea = `lea rsi, [rip+m+${start}]\nlea rdi, [rip+m+${start + 64 - 8}]`;
      for (const n of [0, 1, 3, 5]) {
        const nm = `s${s} df=${df ? 1 : 0} n=${n}`;
        cs.push({ name: `rep movs ${nm}`, code: `${lea}\nrep movs${sfx}`, regs: regs(n), mem: MEM, flags: df });
        cs.push({ name: `movs ${nm}`, code: `${lea}\nmovs${sfx}`, regs: regs(n), mem: MEM, flags: df });
        cs.push({ name: `rep stos ${nm}`, code: `${lea}\nrep stos${sfx}`, regs: regs(n), mem: MEM, flags: df });
        cs.push({ name: `rep lods ${nm}`, code: `${lea}\nrep lods${sfx}`, regs: regs(n), mem: MEM, flags: df });
        cs.push({ name: `lods ${nm}`, code: `${lea}\nlods${sfx}`, regs: regs(n), mem: MEM, flags: df });
        for (const p of ["repe", "repne"]) {
          cs.push({ name: `${p} scas ${nm}`, code: `${lea}\n${p} scas${sfx}`, regs: regs(n), mem: MEM, flags: df | 0x8d5 });
          cs.push({ name: `${p} cmps ${nm}`, code: `${lea}\n${p} cmps${sfx}`, regs: regs(n), mem: MEM, flags: df });
        }
        cs.push({ name: `scas ${nm}`, code: `${lea}\nscas${sfx}`, regs: regs(n), mem: MEM, flags: df });
        cs.push({ name: `cmps ${nm}`, code: `${lea}\ncmps${sfx}`, regs: regs(n), mem: MEM, flags: df });
      }
      // repne scas finding a value, repe cmps stopping at a difference (rsi area vs rdi area differ at m+54)
      cs.push({ name: `repne scasb find s${s}`, code: `lea rdi, [rip+m+${df ? 60 : 0}]\nmov al, 0x0c\nrepne scasb`, regs: { rcx: 40 }, mem: MEM, flags: df });
      cs.push({ name: `repe cmps diff s${s}`, code: `lea rsi, [rip+m+${df ? 31 : 0}]\nlea rdi, [rip+m+${df ? 63 : 32}]\nrepe cmps${sfx}`, regs: { rcx: 30 }, mem: MEM, flags: df });
      cs.push({ name: `repe cmps equal s${s}`, code: `lea rsi, [rip+m+${df ? 24 : 0}]\nlea rdi, [rip+m+${df ? 56 : 32}]\nrepe cmps${sfx}`, regs: { rcx: 16 / s }, mem: MEM, flags: df });
    }
    // overlapping forward copy (memset-like pattern propagation)
    cs.push({ name: `rep movs overlap s${s}`, code: `lea rsi, [rip+m]\nlea rdi, [rip+m+${s === 1 ? 1 : s / 2}]\nrep movs${sfx}`, regs: { rcx: 64 / s }, mem: MEM });
    // 32-bit address size: upper halves of rsi/rdi/rcx are zeroed
    cs.push({
      name: `addr32 rep movs s${s}`,
      code: `lea rsi, [rip+m]\nlea rdi, [rip+m+64]\nmov rax, 0x500000000\nor rsi, rax\nor rdi, rax\nor rcx, rax\naddr32 rep movs${sfx}`,
      regs: { rcx: 3 },
      mem: MEM,
    });
    // ecx = 0: AMD leaves rcx (and rsi, rdi) alone, Intel does not (we follow AMD)
    cs.push({ name: `addr32 rep movs ecx=0 s${s}`, code: `mov rcx, 0x500000000\nmov rsi, rcx\nmov rdi, rcx\naddr32 rep movs${sfx}`, mem: MEM, vendor: true });
    cs.push({ name: `addr32 stos s${s}`, code: `lea rdi, [rip+m+8]\nmov rax, 0x700000000\nor rdi, rax\nmov rax, -1\naddr32 stos${sfx}`, mem: MEM });
    cs.push({ name: `fs-less acc ${ACC[s]}`, code: `lea rsi, [rip+m+3]\nlods${sfx}\nmov rbx, rax`, regs: { rax: -1 }, mem: MEM });
    // repne (f2) on movs/stos acts as rep
    cs.push({ name: `repne stos s${s}`, code: `lea rdi, [rip+m]\n.byte 0xf2\nstos${sfx}`, regs: { rcx: 4, rax: 0x4142434445464748n }, mem: MEM });
  }
  return cs;
}

describe("string instructions match the host CPU", () => {
  it.skipIf(!canRunNative)("movs stos lods scas cmps with rep/repe/repne, DF and addr32", () => {
    expect(firstDiffs(stringCases(), "string")).toEqual([]);
  });
});

// ---- faults in the middle of a rep string ------------------------------------------

const CODE = 0x400000;
const BASE = 0x10000000; // pages BASE..BASE+4*4096, page 2 unmapped

/** Run `bytes` at CODE with registers set; returns the CPU stopped at the fault. */
function runFault(bytes: number[], regs: Record<number, number>, df = false): CPU {
  const mem = new Memory();
  mem.map(CODE, 4096, PROT_READ | PROT_EXEC);
  mem.writeBytes(CODE, Uint8Array.from([...bytes, 0x0f, 0x0b]), false);
  mem.map(BASE, 2 * 4096, PROT_READ | PROT_WRITE);
  mem.map(BASE + 3 * 4096, 4096, PROT_READ | PROT_WRITE);
  const cpu = new CPU(mem);
  for (const [r, v] of Object.entries(regs)) cpu.setRegNum(Number(r), v);
  if (df) cpu.setRflags(cpu.getRflags() | DF);
  cpu.rip = CODE;
  cpu.run(1000);
  return cpu;
}

const RCX = 1,
  RSI = 6,
  RDI = 7,
  RAX = 0;

describe("a fault in the middle of a rep string leaves the host's exact state", () => {
  // Expected values from the host CPU (a C program catching SIGSEGV, reading rcx/rsi/rdi from the ucontext).
  it("rep movsb reading into an unmapped page", () => {
    const cpu = runFault([0xf3, 0xa4], { [RCX]: 5000, [RSI]: BASE + 4096 + 100, [RDI]: BASE });
    expect(cpu.lastFault?.sig).toBe(11);
    expect(cpu.lastFault?.addr).toBe(BASE + 8192);
    expect(cpu.rip).toBe(CODE);
    expect(cpu.regNum(RCX)).toBe(1004);
    expect(cpu.regNum(RSI)).toBe(BASE + 8192);
    expect(cpu.regNum(RDI)).toBe(BASE + 3996);
    expect(cpu.mem.read8(BASE + 3995)).toBe(0); // copied bytes are in place
  });
  it("rep movsb writing into an unmapped page", () => {
    const cpu = runFault([0xf3, 0xa4], { [RCX]: 5000, [RSI]: BASE, [RDI]: BASE + 4096 + 100 });
    expect(cpu.lastFault?.addr).toBe(BASE + 8192);
    expect(cpu.regNum(RCX)).toBe(1004);
    expect(cpu.regNum(RSI)).toBe(BASE + 3996);
    expect(cpu.regNum(RDI)).toBe(BASE + 8192);
  });
  it("std; rep movsb backwards, the destination faults first", () => {
    const cpu = runFault([0xf3, 0xa4], { [RCX]: 5000, [RSI]: BASE + 3 * 4096 + 50, [RDI]: BASE + 3 * 4096 + 10 }, true);
    expect(cpu.lastFault?.addr).toBe(BASE + 12287);
    expect(cpu.regNum(RCX)).toBe(4989);
    expect(cpu.regNum(RSI)).toBe(BASE + 12327);
    expect(cpu.regNum(RDI)).toBe(BASE + 12287);
  });
  it("rep movsq reading into an unmapped page", () => {
    const cpu = runFault([0xf3, 0x48, 0xa5], { [RCX]: 1000, [RSI]: BASE + 4096 + 104, [RDI]: BASE });
    expect(cpu.lastFault?.addr).toBe(BASE + 8192);
    expect(cpu.regNum(RCX)).toBe(501);
    expect(cpu.regNum(RSI)).toBe(BASE + 8192);
    expect(cpu.regNum(RDI)).toBe(BASE + 3992);
  });
  it("rep stosd writing into an unmapped page", () => {
    const cpu = runFault([0xf3, 0xab], { [RCX]: 2000, [RDI]: BASE + 4096 + 100, [RAX]: 0 });
    expect(cpu.lastFault?.addr).toBe(BASE + 8192);
    expect(cpu.regNum(RCX)).toBe(1001);
    expect(cpu.regNum(RDI)).toBe(BASE + 8192);
  });
  it("repe cmpsb reading into an unmapped page", () => {
    const cpu = runFault([0xf3, 0xa6], { [RCX]: 5000, [RSI]: BASE + 4096 + 100, [RDI]: BASE + 100 });
    expect(cpu.lastFault?.addr).toBe(BASE + 8192);
    expect(cpu.regNum(RCX)).toBe(1004);
    expect(cpu.regNum(RSI)).toBe(BASE + 8192);
    expect(cpu.regNum(RDI)).toBe(BASE + 4096);
  });
  it("repne scasb and repe cmpsb across page boundaries stop at the right element", () => {
    // mov byte [BASE+5000], 0x41 is done through the memory API before running
    const mem = new Memory();
    mem.map(CODE, 4096, PROT_READ | PROT_EXEC);
    mem.writeBytes(CODE, Uint8Array.from([0xf2, 0xae, 0x4c, 0x89, 0xc1, 0x4c, 0x89, 0xce, 0x4c, 0x89, 0xd7, 0xf3, 0xa6, 0x0f, 0x0b]), false);
    mem.map(BASE, 2 * 4096, PROT_READ | PROT_WRITE);
    mem.map(BASE + 3 * 4096, 4096, PROT_READ | PROT_WRITE);
    mem.write8(BASE + 5000, 0x41);
    mem.write8(BASE + 4100, 7);
    const cpu = new CPU(mem);
    // repne scasb (rdi=BASE+100, rcx=10000, al=0x41); mov rcx, r8; mov rsi, r9; mov rdi, r10; repe cmpsb; ud2
    cpu.setRegNum(RAX, 0x41);
    cpu.setRegNum(RCX, 10000);
    cpu.setRegNum(RDI, BASE + 100);
    cpu.setRegNum(8, 5000);
    cpu.setRegNum(9, BASE + 100);
    cpu.setRegNum(10, BASE + 3 * 4096 + 10);
    cpu.insnHook = (c, insn) => {
      if (insn.addr === CODE + 2) {
        expect(c.regNum(RCX)).toBe(5099);
        expect(c.regNum(RDI)).toBe(BASE + 5001);
        expect(c.getRflags() & 0x40).toBe(0x40);
      }
    };
    cpu.rip = CODE;
    cpu.run(10);
    expect(cpu.lastFault?.sig).toBe(4);
    expect(cpu.regNum(RCX)).toBe(999);
    expect(cpu.regNum(RSI)).toBe(BASE + 4101);
    expect(cpu.regNum(RDI)).toBe(BASE + 3 * 4096 + 4011);
    expect(cpu.getRflags() & 0x8c5).toBe(0); // 7 - 0: no ZF, CF, SF, OF
  });
  it("long rep stosb and rep movsb across pages complete (bulk path)", () => {
    // rep stosb; mov rcx, rbx; mov rsi, rdx; mov rdi, r8; rep movsb; ud2
    const cpu = runFault([0xf3, 0xaa, 0x48, 0x89, 0xd9, 0x48, 0x89, 0xd6, 0x4c, 0x89, 0xc7, 0xf3, 0xa4], {
      [RCX]: 6000,
      [RDI]: BASE + 7,
      [RAX]: 0x5a,
      3: 3000,
      2: BASE + 107,
      8: BASE + 3 * 4096 + 5,
    });
    expect(cpu.lastFault?.sig).toBe(4); // the ud2 after the copy
    expect(cpu.mem.read8(BASE + 6)).toBe(0);
    expect(cpu.mem.read8(BASE + 7)).toBe(0x5a);
    expect(cpu.mem.read8(BASE + 6006)).toBe(0x5a);
    expect(cpu.mem.read8(BASE + 6007)).toBe(0);
    expect(cpu.mem.read8(BASE + 3 * 4096 + 4)).toBe(0);
    expect(cpu.mem.read8(BASE + 3 * 4096 + 5)).toBe(0x5a);
    expect(cpu.mem.read8(BASE + 3 * 4096 + 3004)).toBe(0x5a);
    expect(cpu.mem.read8(BASE + 3 * 4096 + 3005)).toBe(0);
    expect(cpu.regNum(RCX)).toBe(0);
    expect(cpu.regNum(RSI)).toBe(BASE + 3107);
    expect(cpu.regNum(RDI)).toBe(BASE + 3 * 4096 + 3005);
  });
  it("a rep string whose first touch of fresh pages grows the linear memory keeps its registers", () => {
    const mem = new Memory();
    mem.map(CODE, 4096, PROT_READ | PROT_EXEC);
    // rep stosq; mov rcx, r8; mov rsi, r9; mov rdi, r10; repe cmpsb; ud2
    mem.writeBytes(CODE, Uint8Array.from([0xf3, 0x48, 0xab, 0x4c, 0x89, 0xc1, 0x4c, 0x89, 0xce, 0x4c, 0x89, 0xd7, 0xf3, 0xa6, 0x0f, 0x0b]), false);
    const big = 48 << 20;
    mem.map(BASE, 2 * big, PROT_READ | PROT_WRITE);
    const cpu = new CPU(mem);
    cpu.setRegNum(RCX, big / 8);
    cpu.setRegNum(RDI, BASE);
    cpu.setRegNum(RAX, 0);
    cpu.setRegNum(8, 3 << 20);
    cpu.setRegNum(9, BASE);
    cpu.setRegNum(10, BASE + big);
    cpu.rip = CODE;
    cpu.run(10);
    expect(cpu.lastFault?.sig).toBe(4);
    expect(cpu.rip).toBe(CODE + 14);
    expect(cpu.regNum(RCX)).toBe(0);
    expect(cpu.regNum(RSI)).toBe(BASE + (3 << 20));
    expect(cpu.regNum(RDI)).toBe(BASE + big + (3 << 20));
  });
});
