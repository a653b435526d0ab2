/**
 * The assembler front without any host tools: bad input is an AsmError with
 * file:line (never another exception, a hang or a huge allocation), and the
 * source-level features (includes, line table) work in memory, as in the browser.
 */
import { describe, expect, it } from "vitest";
import { AsmError, assembleProgram, buildProgram } from "../src/asm/index.js";
import { Emulator, MemoryHost } from "../src/index.js";
import { prng } from "./helpers/prng.js";

function diag(src: string): string {
  try {
    assembleProgram(src, "t.s");
  } catch (e) {
    if (e instanceof AsmError) return e.message;
    throw e;
  }
  return "";
}

describe("assembler front", () => {
  it("token soup: every failure is an AsmError", () => {
    const toks = ["mov", "%rax", ",", "$", "(", ")", "1", "0x", "'", '"', "#", ";", ":", ".byte", ".align", ".rept", ".endr", ".include", "1b", "2f", ".section", ".text", ".intel_syntax", "[", "]", "ptr", "\n", "lbl", "=", ".set", "-", "*", ".zero", ".fill", "/*", "*/", ".size", ".comm", "\\", "%", "jmp", "call", "qword", ".globl", "_start", "99999999999999999999"];
    const rnd = prng(18);
    let failed = 0;
    for (let n = 0; n < 1500; n++) {
      let src = "";
      for (let i = rnd() % 40; i > 0; i--) src += toks[rnd() % toks.length] + (rnd() % 3 ? " " : "");
      try {
        assembleProgram(src, "f.s", { readFile: () => undefined });
      } catch (e) {
        if (!(e instanceof AsmError)) throw new Error(`${(e as Error).message} for ${JSON.stringify(src)}`);
        expect(e.diagnostics.length).toBeGreaterThan(0);
        for (const d of e.diagnostics) expect(d.file).toBe("f.s");
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(100);
  });

  it("sizes beyond what it can hold are errors, not allocations", () => {
    expect(diag(".zero 1000000000\n")).toMatch(/^t\.s:1: \.zero: .* more than/);
    expect(diag("\n.fill 100000, 100000, 1\n")).toMatch(/^t\.s:2: \.fill: /);
    expect(diag(".rept 100000000\nnop\n.endr\n")).toMatch(/^t\.s:1: \.rept: too many lines/);
    expect(diag(".byte 1\n.p2align 40\n")).toMatch(/^t\.s:2: \.p2align: alignment .* larger/);
    expect(diag(".align 3\n")).toMatch(/not a power of 2/);
    expect(diag(".rept 2\nnop\n")).toMatch(/^t\.s:1: \.rept without \.endr/);
    expect(diag(".macro m\n.endm\n")).toMatch(/^t\.s:1: Unknown directive/);
  });

  it("a size suffix GNU as does not take is an error (the library would ignore it), the ones it takes are not", () => {
    // as: "no such instruction" for each of these
    for (const bad of ["movx %eax, %ebx", "addy %eax, %ebx", "pushk %rax", "incx %eax", "jmpx 1f", "movt %eax, %ebx", "vaddpsx %xmm0, %xmm1, %xmm2", "vmovdqux (%rax), %xmm0", "lock addx %eax, (%rbx)"])
      expect(diag(`_start:\n\t${bad}\n1:\n`)).toBe(`t.s:2: no such instruction: \`${bad}'`);
    for (const good of ["movl %eax, %ebx", "addq $1, %rax", "rep stosq", "lock incl (%rax)", "fldt (%rax)", "fistpll (%rax)", "fstps (%rax)", "vcvtpd2psx (%rax), %xmm0", "vcvttpd2dqy (%rax), %xmm0", "vfpclasspdz $1, (%rax), %k1", "vmovdqu (%rax), %ymm0", "movzbl %al, %eax", "movslq %eax, %rax", "cvtsi2sdq %rax, %xmm0", "retq"])
      expect(diag(`_start:\n\t${good}\n`)).toBe("");
  });

  it("a symbol given new values (a counter in .rept) is a constant at each use, its last value in the symbol table", () => {
    const src = "\t.globl _start\n\t.data\nt:\ti = 0\n\t.rept 4\n\t.byte i*i\n\ti = i + 1\n\t.endr\n\t.ascii \"i = i\"\n\t.text\n_start:\tmovzbl t+3(%rip), %edi\n\tadd $i, %edi\n\tmov $60, %eax\n\tsyscall\n";
    const { elf } = buildProgram(src, "t.s");
    const emu = Emulator.fromElf(elf, { host: new MemoryHost() });
    expect(emu.symbol("i")).toBe(4n);
    expect(emu.run()).toEqual({ kind: "exit", code: 9 + 4 });
    expect(diag("\tn = 1\n\t.set n, n + 1\n\tn = n * 3\n\t.byte n\n")).toBe("");
  });

  it("includes come from the callback, relative to the including file; the line table maps code to file:line", () => {
    const files: Record<string, string> = { "lib/util.inc": "\t.include \"more.inc\"\nutil:\tmov $7, %edi\n\tret\n", "lib/more.inc": "# nothing but a comment\n" };
    const src = "\t.globl _start\n_start:\n\tcall util\n\tmov $60, %eax\n\tsyscall\n\t.include \"util.inc\"\n";
    const { elf, lines } = buildProgram(src, "lib/main.s", { readFile: (p) => files[p] });
    expect(lines.map((l) => `${l.addr.toString(16)} ${l.file}:${l.line}`)).toEqual([
      "401000 lib/main.s:3",
      "401005 lib/main.s:4",
      "40100a lib/main.s:5",
      "40100c lib/util.inc:2",
      "401011 lib/util.inc:3",
    ]);
    const emu = Emulator.fromElf(elf, { host: new MemoryHost() });
    expect(emu.symbol("util")).toBe(0x40100cn);
    expect(emu.run()).toEqual({ kind: "exit", code: 7 });
  });
});
