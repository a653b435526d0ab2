/**
 * Faulting memory forms leave the state before the instruction (host
 * behaviour: cmpxchg/cmpxchg8b/xadd always write their memory operand, so a
 * read-only page faults even when the comparison fails), and the F3 0F BC/BD
 * forms follow our CPUID (tzcnt/lzcnt only when advertised).
 */
import { describe, expect, it } from "vitest";
import { CPU } from "../src/cpu/cpu.js";
import { CPUID7_EBX, CPUID81_ECX, cpuModel, type CpuFeatures } from "../src/cpu/cpuid.js";
import { Memory, PROT_READ, PROT_WRITE, PROT_EXEC } from "../src/cpu/memory.js";

const CODE = 0x400000;
const RO = 0x600000;

function run(hex: string, regs: Record<number, bigint> = {}, flags = 0, model?: CpuFeatures): CPU {
  const bytes = hex.match(/../g)!.map((h) => parseInt(h, 16));
  const mem = new Memory();
  mem.map(CODE, 4096, PROT_READ | PROT_EXEC);
  mem.writeBytes(CODE, Uint8Array.from([...bytes, 0x0f, 0x0b]), false);
  mem.map(RO, 4096, PROT_READ | PROT_WRITE);
  mem.write32(RO, 5);
  mem.protect(RO, 4096, PROT_READ);
  const cpu = new CPU(mem);
  if (model) cpu.features = model;
  cpu.setRegNum(3, RO); // rbx
  for (const [r, v] of Object.entries(regs)) cpu.setReg64Big(Number(r), v);
  cpu.setRflags(flags);
  cpu.rip = CODE;
  cpu.run(10);
  return cpu;
}

describe("memory forms on a read-only page", () => {
  it("cmpxchg [rbx], ecx with a failing compare faults and changes nothing", () => {
    const cpu = run("0fb10b", { 0: 7n, 1: 9n }, 0x8d5);
    expect(cpu.lastFault?.sig).toBe(11);
    expect(cpu.rip).toBe(CODE);
    expect(cpu.getReg64(0)).toBe(7n);
    expect(cpu.getRflags() & 0x8d5).toBe(0x8d5);
  });
  it("cmpxchg8b with a failing compare faults, edx:eax unchanged", () => {
    const cpu = run("0fc70b", { 0: 7n, 2: 0n });
    expect(cpu.lastFault?.sig).toBe(11);
    expect(cpu.getReg64(0)).toBe(7n);
  });
  it("xadd faults before the source register changes", () => {
    const cpu = run("0fc10b", { 1: 3n });
    expect(cpu.lastFault?.sig).toBe(11);
    expect(cpu.getReg64(1)).toBe(3n);
  });
  it("btc faults with CF unchanged; bt only reads", () => {
    let cpu = run("0fba3b03", {}, 1); // btc dword [rbx], 3
    expect(cpu.lastFault?.sig).toBe(11);
    expect(cpu.rip).toBe(CODE);
    expect(cpu.getRflags() & 1).toBe(1);
    cpu = run("0fba2300", {}, 0); // bt dword [rbx], 0
    expect(cpu.rip).toBe(CODE + 4);
  });
});

describe("F3 0F BC/BD follow the advertised features", () => {
  it("lzcnt and tzcnt when advertised", () => {
    const cpu = run("f30fbdc1f30fbcd1", { 0: 0n, 1: 0x10n, 2: 0n }); // lzcnt eax, ecx; tzcnt edx, ecx
    expect(cpu.getReg64(0)).toBe(27n);
    expect(cpu.getReg64(2)).toBe(4n);
  });
  it("bsr and bsf without LZCNT/BMI1", () => {
    const model = cpuModel("max")!;
    model.ext1Ecx &= ~CPUID81_ECX.abm;
    model.leaf7Ebx &= ~CPUID7_EBX.bmi1;
    const cpu = run("f30fbdc1f30fbcd1", { 0: 0n, 1: 0x10n, 2: 0n }, 0, model);
    expect(cpu.getReg64(0)).toBe(4n);
    expect(cpu.getReg64(2)).toBe(4n);
  });
});

describe("SSSE3/SSE4 memory operand alignment (as the host CPU: checked natively with [p+1])", () => {
  // legacy-SSE 16-byte memory operands must be aligned; MMX forms, the string
  // instructions and smaller operands are not checked
  const CASES: [string, string, boolean][] = [
    ["660f3a634b0100", "pcmpistri xmm1, [rbx+1], 0", false],
    ["660f3a604b0100", "pcmpestrm xmm1, [rbx+1], 0", false],
    ["0f38004301", "pshufb mm0, [rbx+1]", false],
    ["0f3a0f430103", "palignr mm0, [rbx+1], 3", false],
    ["0f381d4301", "pabsw mm0, [rbx+1]", false],
    ["660f38004301", "pshufb xmm0, [rbx+1]", true],
    ["660f3a0f430103", "palignr xmm0, [rbx+1], 3", true],
    ["660f38174301", "ptest xmm0, [rbx+1]", true],
    ["660f3a404301ff", "dpps xmm0, [rbx+1], 0xff", true],
    ["660f3a414301ff", "dppd xmm0, [rbx+1], 0xff", true],
    ["660f38204301", "pmovsxbw xmm0, qword ptr [rbx+1]", false],
    ["660f382a4301", "movntdqa xmm0, [rbx+1]", true],
    ["660f38144b01", "blendvps xmm1, [rbx+1], xmm0", true],
    ["660f3a0e4b0101", "pblendw xmm1, [rbx+1], 1", true],
    ["660f3a214b0100", "insertps xmm1, dword ptr [rbx+1], 0", false],
    ["660f3a0a4b0100", "roundss xmm1, dword ptr [rbx+1], 0", false],
    ["660f3a084b0100", "roundps xmm1, [rbx+1], 0", true],
    ["660f38414b01", "phminposuw xmm1, [rbx+1]", true],
    ["660f38384b01", "pminsb xmm1, [rbx+1]", true],
    ["660f3a424b0100", "mpsadbw xmm1, [rbx+1], 0", true],
    ["660f38374b01", "pcmpgtq xmm1, [rbx+1]", true],
    ["660f38294b01", "pcmpeqq xmm1, [rbx+1]", true],
    ["660f382b4b01", "packusdw xmm1, [rbx+1]", true],
    ["660f38284b01", "pmuldq xmm1, [rbx+1]", true],
    ["66480f3a224b0101", "pinsrq xmm1, qword ptr [rbx+1], 1", false],
  ];
  for (const [hex, text, faults] of CASES)
    it(`${text}: ${faults ? "#GP (SIGSEGV)" : "no fault"}`, () => {
      const cpu = run(hex);
      if (faults) {
        expect(cpu.lastFault?.sig).toBe(11);
        expect(cpu.rip).toBe(CODE);
      } else {
        expect(cpu.lastFault?.sig).toBe(4); // the ud2 after it
        expect(cpu.rip).toBe(CODE + hex.length / 2);
      }
    });
});
