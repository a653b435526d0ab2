/**
 * The WebAssembly tier against the interpreter on things the differential
 * suites do not reach: self-modifying code inside a running region, faults in
 * the middle of a hot loop (exact rip, count and registers), region chaining
 * across calls, and the real programs, which must compile without errors.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Process } from "../src/kernel/program.js";
import { MemoryHost } from "../src/host/memory.js";
import { wasmErrors } from "../src/cpu/jit/wasmgen.js";
import { Emulator } from "../src/index.js";
import { assemble, HAS_AS, IS_X86_64_LINUX, ROOT } from "./helpers/asm.js";

type Tier = "interpreter" | "js" | "wasm";
const TIERS: Tier[] = ["interpreter", "js", "wasm"];

function emulate(file: string, tier: Tier, argv: string[] = []) {
  const host = new MemoryHost();
  const p = new Process(fs.readFileSync(file), { argv: [file, ...argv], envp: [], host });
  p.cpu.jitEnabled = tier !== "interpreter";
  p.cpu.wasmEnabled = tier === "wasm";
  p.cpu.jitThreshold = 0;
  p.cpu.wasmThreshold = tier === "wasm" ? 2 : 1e9;
  const status = p.run(200_000_000);
  return { status, p, stdout: Buffer.from(host.stdout).toString() };
}

function nativeStatus(file: string): number {
  try {
    execFileSync(file, { stdio: "ignore" });
    return 0;
  } catch (e) {
    const err = e as { status: number | null; signal: string | null };
    return err.status ?? 128 + (err.signal === "SIGSEGV" ? 11 : 0);
  }
}

const HEAD = `.intel_syntax noprefix\n.globl _start\n`;

/** Run under every tier; each must die by SIGSEGV with the interpreter's rip, count, registers and flags. */
function faultingRuns(exe: string) {
  const runs = TIERS.map((t) => emulate(exe, t));
  for (const r of runs) expect(r.status).toMatchObject({ kind: "signal", signal: 11 });
  const ref = runs[0].p.cpu;
  for (const r of runs.slice(1)) {
    const c = r.p.cpu;
    expect(c.rip).toBe(ref.rip);
    expect(c.icount).toBe(ref.icount);
    for (let n = 0; n < 16; n++) expect(c.getReg64(n), `register ${n}`).toBe(ref.getReg64(n));
    expect(c.getRflags()).toBe(ref.getRflags());
  }
  return runs;
}

describe.skipIf(!HAS_AS)("WebAssembly tier", () => {
  it("sees a store into the code of the loop it is running (self-modifying code)", () => {
    // add ebx, 1 becomes add ebx, 2 half way through; 1501 iterations with 1, 1499 with 2
    const exe = assemble(
      "wasm-smc",
      `${HEAD}_start:
  lea rdi, [rip+_start]
  and rdi, -4096
  mov esi, 4096
  mov edx, 7
  mov eax, 10
  syscall
  mov ecx, 3000
  xor ebx, ebx
again:
patch:
  add ebx, 1
  cmp ecx, 1500
  jne skip
  mov byte ptr [rip+patch+2], 2
skip:
  dec ecx
  jnz again
  mov eax, ebx
  xor edx, edx
  mov ecx, 256
  div ecx
  mov edi, edx
  mov eax, 60
  syscall
`,
    );
    for (const t of TIERS) expect(emulate(exe, t).status, t).toEqual({ kind: "exit", code: 4499 % 256 });
    if (IS_X86_64_LINUX) expect(nativeStatus(exe)).toBe(4499 % 256);
  });

  it("reports a fault inside a hot loop with the exact rip, count and registers", () => {
    // after some 500 iterations the pointer walks off the mapped data
    const exe = assemble(
      "wasm-fault",
      `${HEAD}.data
buf: .zero 4096
.text
_start:
  lea rsi, [rip+buf]
  xor eax, eax
  xor ecx, ecx
1:
  add rax, [rsi]
  add rsi, 8
  inc rcx
  imul rdx, rcx, 3
  cmp rcx, 100000
  jne 1b
  mov eax, 60
  syscall
`,
    );
    const runs = faultingRuns(exe);
    expect(runs[2].p.cpu.stats.wasmInsns).toBeGreaterThan(1000);
  });

  it("keeps counts and state exact when the fault is in a region entered from another one", () => {
    // the loop calls a function through a register (a different region each way); the callee faults at last
    const exe = assemble(
      "wasm-fault-chain",
      `${HEAD}.data
buf: .zero 4096
.text
_start:
  lea rsi, [rip+buf]
  lea rbx, [rip+step]
  xor eax, eax
  xor ecx, ecx
1:
  call rbx
  inc rcx
  cmp rcx, 100000
  jne 1b
  mov eax, 60
  syscall
step:
  add rax, [rsi]
  add rsi, 8
  ret
`,
    );
    const runs = faultingRuns(exe);
    expect(runs[2].p.cpu.stats.regionsCompiled).toBeGreaterThan(1);
  });

  it("rotates 32- and 64-bit registers by immediates as the interpreter does (native rotl/rotr)", () => {
    // rotates with dead flags compile to wasm rotl/rotr (32-bit on the low half, upper half zeroed);
    // one with a live CF stays on the handler; the loop ends in a fault so every register is compared
    const exe = assemble(
      "wasm-rotate",
      `${HEAD}_start:
  mov rax, 0x0123456789abcdef
  mov rbx, 0xfedcba9876543210
  mov rdx, -1
  xor ecx, ecx
  xor edi, edi
1:
  ror eax, 7
  rol rbx, 13
  ror rbx, 50
  rol edx, 31
  add eax, ebx
  xor rbx, rax
  ror r8, 1
  adc rdi, 0
  add r8, rax
  inc rcx
  cmp rcx, 5000
  jne 1b
  mov [rcx-5000], eax
`,
    );
    const runs = faultingRuns(exe);
    expect(runs[2].p.cpu.stats.wasmInsns).toBeGreaterThan(10000);
  });

  it("serves repeated API calls of a guest function once it is compiled", () => {
    const emu = Emulator.fromElf(fs.readFileSync(path.join(ROOT, "fixtures/bin/lib")));
    emu.cpu.wasmThreshold = 5;
    const buf = 0x10000000;
    emu.map(buf, 4096, 3);
    for (let n = 0; n < 300; n++) {
      emu.write(buf, new Uint8Array([...new Array(n % 50).fill(97), 0]));
      expect(emu.call("my_strlen", buf)).toBe(BigInt(n % 50));
      expect(emu.call("add2", n, 2n)).toBe(BigInt(n + 2));
    }
    expect(emu.cpu.stats.wasmInsns).toBeGreaterThan(0);
  });

  it("runs the fixture and benchmark programs with the same output as the interpreter", () => {
    const progs: [string, string[]][] = [
      ["fixtures/bin/musl/printf", []],
      ["fixtures/bin/glibc/strings", []],
      ["fixtures/bin/musl/floats", []],
      ["bench/bin/sha256", ["1"]],
      ["bench/bin/qsort", ["3000"]],
      ["bench/bin/muldiv", ["20000"]],
      ["bench/bin/fib", ["20"]],
      ["bench/bin/strops", ["20"]],
      ["bench/bin/sieve", ["100000"]],
    ];
    for (const [rel, args] of progs) {
      const file = path.join(ROOT, rel);
      if (!fs.existsSync(file)) continue;
      const a = emulate(file, "interpreter", args);
      const b = emulate(file, "wasm", args);
      expect(b.stdout, rel).toBe(a.stdout);
      expect(b.status, rel).toEqual(a.status);
      expect(b.p.cpu.icount, rel).toBe(a.p.cpu.icount);
      expect(b.p.cpu.stats.wasmInsns, rel).toBeGreaterThan(0);
    }
    expect(wasmErrors).toEqual([]);
  });
});
