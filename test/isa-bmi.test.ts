/**
 * BMI1, BMI2, ADX against the host CPU; rdrand/rdseed through the injectable
 * random source.
 */
import { describe, expect, it } from "vitest";
import { CPU } from "../src/cpu/cpu.js";
import { Memory, PROT_READ, PROT_EXEC } from "../src/cpu/memory.js";
import { AF, CF, OF, PF, SF, ZF, canRunNative, firstDiffs, nativeSkipReason, type Case } from "./isa-native.js";

if (!canRunNative) console.log(`isa-bmi: ${nativeSkipReason}`);

const ALL = CF | PF | AF | ZF | SF | OF;
const VALUES = [0n, 1n, 0x80000000n, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n, 0xfedcba9876543210n, 0xf0f0n, 0x100000000n];
const CTLS = [0n, 0x0400n, 0x0804n, 0x2010n, 0x201cn, 0x1020n, 0x4000n, 0x0840n, 0xff00n, 0x3f3fn, 0x20n, 0x40n, 0x41n, 0xffn, 0x123456789abcdf07n];

function bmiCases(): Case[] {
  const cs: Case[] = [];
  for (const w of [32, 64]) {
    const [a, c, d] = w === 64 ? ["rax", "rcx", "rdx"] : ["eax", "ecx", "edx"];
    const ptr = w === 64 ? "qword ptr" : "dword ptr";
    for (const x of VALUES) {
      for (const f of [0, ALL]) {
        for (const op of ["blsi", "blsr", "blsmsk"]) {
          cs.push({ name: `${op}${w} ${x.toString(16)} f=${f}`, code: `${op} ${a}, ${c}`, regs: { rax: -1, rcx: x }, flags: f, undef: AF | PF });
          cs.push({ name: `${op}${w} mem ${x.toString(16)}`, code: `${op} ${a}, ${ptr} [rip+m+8]`, regs: { rax: -1 }, mem: [0, x], flags: f, undef: AF | PF });
        }
        cs.push({ name: `andn${w} ${x.toString(16)} f=${f}`, code: `andn ${a}, ${c}, ${d}`, regs: { rcx: x, rdx: 0xff00ff00ff00ff0fn }, flags: f, undef: AF | PF });
        cs.push({ name: `andn${w} mem ${x.toString(16)}`, code: `andn ${a}, ${c}, ${ptr} [rip+m]`, regs: { rcx: 0xff00ff00ff00ff0fn }, mem: [x], flags: f, undef: AF | PF });
      }
      for (const k of CTLS) {
        cs.push({ name: `bextr${w} ${x.toString(16)} ctl=${k.toString(16)}`, code: `bextr ${a}, ${c}, ${d}`, regs: { rcx: x, rdx: k }, flags: ALL, undef: AF | SF | PF });
        cs.push({ name: `bzhi${w} ${x.toString(16)} n=${k.toString(16)}`, code: `bzhi ${a}, ${c}, ${d}`, regs: { rcx: x, rdx: k }, flags: ALL, undef: AF | PF });
        cs.push({ name: `bzhi${w} mem ${x.toString(16)} n=${k.toString(16)}`, code: `bzhi ${a}, ${ptr} [rip+m], ${d}`, regs: { rdx: k }, mem: [x], flags: 0, undef: AF | PF });
        cs.push({ name: `pdep${w} ${x.toString(16)} ${k.toString(16)}`, code: `pdep ${a}, ${c}, ${d}`, regs: { rcx: x, rdx: k | (k << 24n) }, flags: ALL });
        cs.push({ name: `pext${w} ${x.toString(16)} ${k.toString(16)}`, code: `pext ${a}, ${c}, ${d}`, regs: { rcx: x, rdx: k | (k << 24n) }, flags: ALL });
        cs.push({ name: `pdep${w} mem`, code: `pdep ${a}, ${c}, ${ptr} [rip+m]`, regs: { rcx: x }, mem: [k * 0x10001n], flags: 0 });
        for (const op of ["shlx", "shrx", "sarx"]) cs.push({ name: `${op}${w} ${x.toString(16)} ${k}`, code: `${op} ${a}, ${c}, ${d}`, regs: { rcx: x, rdx: k }, flags: ALL });
      }
      for (const n of [0, 1, 4, 31, 32, 33, 63, 64, 200]) {
        cs.push({ name: `rorx${w} ${x.toString(16)} ${n}`, code: `rorx ${a}, ${c}, ${n}`, regs: { rax: -1, rcx: x }, flags: ALL });
      }
      for (const y of [0n, 3n, 0xffffffffffffffffn, 0x123456789n]) {
        cs.push({ name: `mulx${w} ${x.toString(16)} ${y.toString(16)}`, code: `mulx ${a}, ${c}, ${w === 64 ? "r8" : "r8d"}`, regs: { rdx: x, r8: y, rax: -1, rcx: -1 }, flags: ALL });
        cs.push({ name: `mulx${w} same ${x.toString(16)} ${y.toString(16)}`, code: `mulx ${a}, ${a}, ${ptr} [rip+m]`, regs: { rdx: x }, mem: [y], flags: 0 });
        for (const f of [0, CF, OF, CF | OF]) {
          cs.push({ name: `adcx${w} ${x.toString(16)} ${y.toString(16)} f=${f}`, code: `adcx ${a}, ${c}`, regs: { rax: x, rcx: y }, flags: f | ZF });
          cs.push({ name: `adox${w} ${x.toString(16)} ${y.toString(16)} f=${f}`, code: `adox ${a}, ${ptr} [rip+m]`, regs: { rax: x }, mem: [y], flags: f | SF });
        }
      }
    }
  }
  return cs;
}

describe("BMI1 BMI2 ADX match the host CPU", () => {
  it.skipIf(!canRunNative)("andn blsi blsr blsmsk bextr bzhi pdep pext shlx shrx sarx rorx mulx adcx adox", () => {
    expect(firstDiffs(bmiCases())).toEqual([]);
  });
});

describe("rdrand and rdseed", () => {
  function run(bytes: number[], random?: (b: Uint8Array) => void): CPU {
    const mem = new Memory();
    mem.map(0x400000, 4096, PROT_READ | PROT_EXEC);
    mem.writeBytes(0x400000, Uint8Array.from([...bytes, 0x0f, 0x0b]), false);
    const cpu = new CPU(mem);
    if (random) cpu.ext.random = random;
    cpu.setRflags(0x8d5);
    cpu.setReg64Big(0, 0x1111111111111111n);
    cpu.rip = 0x400000;
    cpu.run(100);
    return cpu;
  }
  it("take their value from cpu.ext.random, CF=1 and the other status flags cleared", () => {
    const fill = (b: Uint8Array) => b.forEach((_, k) => (b[k] = 0xa0 + k));
    let cpu = run([0x48, 0x0f, 0xc7, 0xf0], fill); // rdrand rax
    expect(cpu.getReg64(0)).toBe(0xa7a6a5a4a3a2a1a0n);
    expect(cpu.getRflags() & 0x8d5).toBe(1);
    cpu = run([0x0f, 0xc7, 0xf8], fill); // rdseed eax
    expect(cpu.getReg64(0)).toBe(0xa3a2a1a0n);
    cpu = run([0x66, 0x0f, 0xc7, 0xf0], fill); // rdrand ax
    expect(cpu.getReg64(0)).toBe(0x111111111111a1a0n);
  });
  it("default to the platform's crypto source", () => {
    const cpu = run([0x48, 0x0f, 0xc7, 0xf0]);
    expect(cpu.lastFault?.sig).toBe(4); // stopped at the ud2, not before
    expect(cpu.getRflags() & 1).toBe(1);
  });
});
