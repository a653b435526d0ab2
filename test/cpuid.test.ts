/**
 * CPUID: the vendor string and signature; the CPU models (--cpu): their bits,
 * instructions of absent features raising SIGILL, and what a real program
 * (fixtures/c/cpudispatch.c: __builtin_cpu_supports, target_clones, cpuid)
 * sees under each model, its results compared with the native run.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Emulator } from "../src/index.js";
import { CPU_MODELS, CPUID1_ECX, CPUID7_EBX, CPUID7_ECX, CPUID81_ECX, cpuid, cpuModel, type CpuFeatures, features, missingFeature, missingFromModel, VENDOR } from "../src/cpu/cpuid.js";
import { IS_X86_64_LINUX, runEmu, runNative, shellStatus } from "./helpers/asm.js";

function str(...regs: number[]): string {
  return regs.map((r) => String.fromCharCode(r & 0xff, (r >>> 8) & 0xff, (r >>> 16) & 0xff, r >>> 24)).join("");
}

describe("CPUID", () => {
  it("leaf 0: a 12-byte vendor string in EBX, EDX, ECX", () => {
    const r = cpuid(0, 0);
    expect(VENDOR).toHaveLength(12);
    expect(str(r[1], r[3], r[2])).toBe("AuthenticAMD");
  });
  it("leaf 1: family 15, model 107, stepping 1", () => {
    const eax = cpuid(1, 0)[0];
    const family = ((eax >> 8) & 0xf) + ((eax >> 20) & 0xff);
    const model = ((eax >> 4) & 0xf) | ((eax >> 12) & 0xf0);
    expect([family, model, eax & 0xf]).toEqual([15, 107, 1]);
  });
  it("brand string: 48 bytes, NUL-padded", () => {
    const b = [0x80000002, 0x80000003, 0x80000004].map((l) => { const r = cpuid(l, 0); return str(r[0], r[1], r[2], r[3]); }).join("");
    expect(b.replace(/\0+$/, "")).toBe("x64emu virtual x86-64 CPU");
  });
});

// ---- CPU models ------------------------------------------------------------------------

const ROOT = path.join(__dirname, "..");
const has = (f: CpuFeatures, w: keyof typeof BITS) => !!(f[BITS[w][0]] & BITS[w][1]);
/** __builtin_cpu_supports names (as fixtures/c/cpudispatch.c prints them) and the CPUID bits behind them. */
const BITS = {
  sse3: ["leaf1Ecx", CPUID1_ECX.sse3],
  ssse3: ["leaf1Ecx", CPUID1_ECX.ssse3],
  "sse4.1": ["leaf1Ecx", CPUID1_ECX.sse41],
  "sse4.2": ["leaf1Ecx", CPUID1_ECX.sse42],
  popcnt: ["leaf1Ecx", CPUID1_ECX.popcnt],
  aes: ["leaf1Ecx", CPUID1_ECX.aes],
  pclmul: ["leaf1Ecx", CPUID1_ECX.pclmulqdq],
  avx: ["leaf1Ecx", CPUID1_ECX.avx],
  avx2: ["leaf7Ebx", CPUID7_EBX.avx2],
  fma: ["leaf1Ecx", CPUID1_ECX.fma],
  f16c: ["leaf1Ecx", CPUID1_ECX.f16c],
  bmi: ["leaf7Ebx", CPUID7_EBX.bmi1],
  bmi2: ["leaf7Ebx", CPUID7_EBX.bmi2],
  lzcnt: ["ext1Ecx", CPUID81_ECX.abm],
  movbe: ["leaf1Ecx", CPUID1_ECX.movbe],
  sha: ["leaf7Ebx", CPUID7_EBX.sha],
  gfni: ["leaf7Ecx", CPUID7_ECX.gfni],
  avx512f: ["leaf7Ebx", 1 << 16],
} as const satisfies Record<string, [keyof CpuFeatures, number]>;
const V2 = ["sse3", "ssse3", "sse4.1", "sse4.2", "popcnt"] as const;
const V3 = [...V2, "avx", "avx2", "fma", "f16c", "bmi", "bmi2", "lzcnt", "movbe"] as const;

describe("CPU models", () => {
  it("x86-64 is the baseline, each level adds its bits, max is everything implemented", () => {
    const v1 = cpuModel("x86-64")!;
    expect([v1.leaf1Ecx, v1.leaf7Ebx, v1.leaf7Ecx, v1.ext1Ecx]).toEqual([0, 0, 0, 0]);
    expect(v1.leaf1Edx).toBe(features.leaf1Edx);
    const v2 = cpuModel("x86-64-v2")!;
    for (const n of V2) expect(has(v2, n), n).toBe(true);
    expect(v2.leaf1Ecx & CPUID1_ECX.cx16 && v2.ext1Ecx & CPUID81_ECX.lahf).toBeTruthy();
    for (const n of ["aes", "bmi", "lzcnt", "movbe", "sha"] as const) expect(has(v2, n), n).toBe(false);
    const v3 = cpuModel("x86-64-v3")!;
    for (const n of V3) expect(has(v3, n), n).toBe(has(features, n)); // the level, as far as implemented
    expect(missingFromModel("x86-64-v3").length > 0).toBe(!V3.every((n) => has(features, n)));
    expect(cpuModel("max")).toEqual(features);
    expect(cpuModel("pentium")).toBeUndefined();
    expect(CPU_MODELS).toEqual(["max", "x86-64", "x86-64-v2", "x86-64-v3"]);
  });

  it("an instruction of an absent feature raises SIGILL naming both, in every tier", () => {
    const exe = path.join(ROOT, "fixtures/bin/musl/cryptoni");
    for (const tier of [[], ["--jit-threshold", "0"]]) {
      const r = runEmu([...tier, "--cpu", "x86-64-v2", exe]);
      expect(shellStatus(r)).toBe(132);
      expect(r.stderr).toMatch(/SIGILL .* needs (AES|PCLMULQDQ|SHA|GFNI), which CPU model x86-64-v2 lacks/);
    }
  });

  it("rdpid reads TSC_AUX (0, as rdtscp's ecx); without RDPID it is SIGILL", () => {
    // mov rcx, -1; rdtscp; mov rbx, rcx; mov rcx, -1; rdpid rcx; ud2
    const code = Uint8Array.from([0x48, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0xf9, 0x48, 0x89, 0xcb, 0x48, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff, 0xf3, 0x0f, 0xc7, 0xf9, 0x0f, 0x0b]);
    const emu = Emulator.fromCode(code);
    expect(emu.run()).toMatchObject({ kind: "signal", signal: 4 });
    expect([emu.reg("rbx"), emu.reg("rcx")]).toEqual([0n, 0n]);
    const base = Emulator.fromCode(code, { cpu: "x86-64" });
    expect(base.run()).toMatchObject({ kind: "signal", signal: 4 });
    expect(base.reg("rip")).toBe(0x400007n); // rdtscp is not in the baseline either
  });

  it("VEX-encoded SIMD needs AVX once AVX is implemented; VEX BMI instructions need BMI1/BMI2", () => {
    // vpxor xmm0, xmm0, xmm0; ud2  /  andn eax, ebx, ecx; ud2
    const vpxor = Uint8Array.from([0xc5, 0xf9, 0xef, 0xc0, 0x0f, 0x0b]);
    const andn = Uint8Array.from([0xc4, 0xe2, 0x60, 0xf2, 0xc1, 0x0f, 0x0b]);
    const at = (code: Uint8Array, cpu: string) => {
      const e = Emulator.fromCode(code, { cpu });
      e.run();
      return e.reg("rip");
    };
    expect(at(andn, "x86-64-v3")).toBe(0x400005n);
    expect(at(andn, "x86-64-v2")).toBe(0x400000n);
    // fld1; fisttp dword [rsp-8] (SSE3); ud2
    const fisttp = Uint8Array.from([0xd9, 0xe8, 0xdb, 0x4c, 0x24, 0xf8, 0x0f, 0x0b]);
    expect(at(fisttp, "x86-64-v2")).toBe(0x400006n);
    expect(at(fisttp, "x86-64")).toBe(0x400002n);
    const saved = features.leaf1Ecx;
    try {
      features.leaf1Ecx |= CPUID1_ECX.avx; // as when AVX is advertised
      expect(at(vpxor, "max")).toBe(0x400004n);
      expect(at(vpxor, "x86-64-v2")).toBe(0x400000n);
    } finally {
      features.leaf1Ecx = saved;
    }
  });

  it("VAES and VPCLMULQDQ (leaf 7 ECX 9, 10) in max; VEX.256 aes*/vpclmulqdq need them, VEX.128 only AES/PCLMULQDQ and AVX", () => {
    expect(cpuid(7, 0)[2] & (CPUID7_ECX.vaes | CPUID7_ECX.vpclmulqdq)).toBe(CPUID7_ECX.vaes | CPUID7_ECX.vpclmulqdq);
    for (const m of ["x86-64", "x86-64-v2", "x86-64-v3"]) expect(cpuModel(m)!.leaf7Ecx & (CPUID7_ECX.vaes | CPUID7_ECX.vpclmulqdq), m).toBe(0);
    const noVaes: CpuFeatures = { ...features, leaf7Ecx: features.leaf7Ecx & ~(CPUID7_ECX.vaes | CPUID7_ECX.vpclmulqdq) };
    const noGfni: CpuFeatures = { ...features, leaf7Ecx: features.leaf7Ecx & ~CPUID7_ECX.gfni };
    expect(missingFeature(features, "vaesenc", 2, true, 1)).toBeNull();
    expect(missingFeature(noVaes, "vaesenc", 2, true, 0)).toBeNull();
    expect(missingFeature(noVaes, "vaesdeclast", 2, true, 1)).toBe("VAES");
    expect(missingFeature(noVaes, "vpclmulqdq", 3, true, 1)).toBe("VPCLMULQDQ");
    expect(missingFeature(noGfni, "vgf2p8affineqb", 3, true, 1)).toBe("GFNI");
    expect(missingFeature(cpuModel("x86-64-v3")!, "vaesenc", 2, true, 0)).toBe("AES");
    expect(missingFeature(cpuModel("x86-64-v2")!, "vaesenc", 2, true, 0)).toBe("AVX");
    // vaesenc ymm0, ymm1, ymm2; ud2: runs under max, SIGILL at the instruction under x86-64-v3
    const code = Uint8Array.from([0xc4, 0xe2, 0x75, 0xdc, 0xc2, 0x0f, 0x0b]);
    for (const [cpu, rip] of [["max", 0x400005n], ["x86-64-v3", 0x400000n]] as const) {
      const e = Emulator.fromCode(code, { cpu });
      expect(e.run(), cpu).toMatchObject({ kind: "signal", signal: 4 });
      expect(e.reg("rip"), cpu).toBe(rip);
    }
  });

  it("the API rejects an unknown model", () => {
    expect(() => Emulator.fromCode(new Uint8Array([0x90]), { cpu: "486" })).toThrow(/unknown CPU model '486'/);
  });
});

describe.skipIf(!fs.existsSync(path.join(ROOT, "dist/cli.js")))("fixtures/c/cpudispatch.c: __builtin_cpu_supports, target_clones and cpuid under each model", () => {
  const expectedResults = fs.readFileSync(path.join(ROOT, "fixtures/expected/cpudispatch.out"), "utf8");
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "cpudispatch");
    it.skipIf(!fs.existsSync(exe))(`${libc}: what each model advertises is what the program sees; the results are the native ones`, () => {
      const results = (out: string) => out.split("\n").filter((l) => l.startsWith("result")).join("\n") + "\n";
      if (IS_X86_64_LINUX) expect(results(runNative(exe).stdout)).toBe(expectedResults);
      for (const model of CPU_MODELS) {
        const f = cpuModel(model)!;
        const r = runEmu(["--cpu", model, exe]);
        expect(shellStatus(r), model).toBe(0);
        const names = (Object.keys(BITS) as (keyof typeof BITS)[]).filter((n) => has(f, n));
        const want = [
          "vendor AuthenticAMD",
          `supports${names.map((n) => " " + n).join("")}`,
          `supports x86-64-v2 ${V2.every((n) => has(f, n)) ? 1 : 0} x86-64-v3 ${V3.every((n) => has(f, n)) ? 1 : 0}`,
          `path stats ${has(f, "sse4.2") && has(f, "popcnt") ? "sse4.2" : "plain"}`,
          `path shuffle ${has(f, "ssse3") ? "ssse3" : "plain"}`,
        ];
        expect(r.stdout.split("\n").filter((l) => !l.startsWith("result") && l), model).toEqual(want);
        expect(results(r.stdout), model).toBe(expectedResults);
      }
    });
  }
});

describe.skipIf(!fs.existsSync(path.join(ROOT, "dist/cli.js")))("--cpu on the command line", () => {
  const exe = path.join(ROOT, "fixtures/bin/musl/cpudispatch");
  it("--cpu help lists the models", () => {
    const r = runEmu(["--cpu", "help"]);
    expect(r.status).toBe(0);
    for (const m of CPU_MODELS) expect(r.stdout).toContain(`  ${m} `);
  });
  it("an unknown model is one line and status 2", () => {
    const r = runEmu(["--cpu", "pentium", exe]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown CPU model 'pentium'/);
  });
  it.skipIf(!fs.existsSync(exe))("X64EMU_CPU chooses the model, -cpu (qemu's spelling) too", () => {
    expect(runEmu([exe], { env: { ...process.env, X64EMU_CPU: "x86-64" } }).stdout).toContain("supports\n");
    expect(runEmu(["-cpu", "x86-64-v2", exe]).stdout).toContain("supports sse3 ssse3 sse4.1 sse4.2 popcnt\n");
  });
});

describe.skipIf(!IS_X86_64_LINUX || spawnSync("gcc", ["--version"]).status !== 0)("a program built with -march=x86-64-v2", () => {
  it("runs under max and x86-64-v2 as natively, and dies by SIGILL under x86-64", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x64emu-march-"));
    try {
      const src = path.join(dir, "k.c");
      fs.writeFileSync(src, '#include <stdio.h>\nint main(int c, char **v) { unsigned long long s = 0; for (unsigned long long k = 1; k < 100000; k++) s += __builtin_popcountll(k * 0x9e3779b97f4a7c15ULL) + __builtin_ctzll(k); printf("%llu\\n", s); return 0; }\n');
      const exe = path.join(dir, "k");
      execFileSync("gcc", ["-O3", "-march=x86-64-v2", "-static", "-o", exe, src]);
      const n = runNative(exe);
      for (const model of ["max", "x86-64-v2"]) expect(runEmu(["--cpu", model, exe]).stdout, model).toBe(n.stdout);
      const r = runEmu(["--cpu", "x86-64", exe]);
      expect(shellStatus(r)).toBe(132);
      expect(r.stderr).toMatch(/popcnt .*needs POPCNT, which CPU model x86-64 lacks/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
