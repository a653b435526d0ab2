/**
 * The AVX fixtures (fixtures/avx: C kernels at -O3 for -march=x86-64, -v2 and
 * -v3, glibc and musl; an AVX/AVX2/FMA/F16C intrinsics program with gathers),
 * under every execution tier: the output must be the native run's (on a host
 * with AVX2, FMA and F16C) or else the recorded native output
 * (fixtures/expected/avx). Under --cpu x86-64-v2 an AVX instruction is SIGILL
 * with a message naming AVX.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus } from "./helpers/asm.js";

const BIN = path.join(ROOT, "fixtures/bin/avx");
const EXPECTED = path.join(ROOT, "fixtures/expected/avx");
const progs = fs.existsSync(BIN) ? fs.readdirSync(BIN).sort() : [];
const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
const hostAvx = IS_X86_64_LINUX && ["avx2", "fma", "f16c"].every((f) => new RegExp(`\\b${f}\\b`).test(cpuinfo));
const TIERS: string[][] = [[], ["--no-jit"], ["--jit-threshold", "0"]];

describe.skipIf(progs.length === 0)("AVX programs: native output", () => {
  for (const name of progs) {
    it(name, () => {
      const exe = path.join(BIN, name);
      const want = hostAvx ? runNative(exe).stdout : fs.readFileSync(path.join(EXPECTED, `${name}.out`), "utf8");
      if (hostAvx) expect(want, "the native run still gives the recorded output").toBe(fs.readFileSync(path.join(EXPECTED, `${name}.out`), "utf8"));
      for (const tier of TIERS) {
        const e = runEmu([...tier, exe]);
        expect(e.stderr, tier.join(" ")).toBe("");
        expect(e.stdout, tier.join(" ")).toBe(want);
        expect(shellStatus(e), tier.join(" ")).toBe(0);
      }
    }, 120_000);
  }

  it("x86-64-v3 code under --cpu x86-64-v2: SIGILL naming AVX", () => {
    const e = runEmu(["--cpu", "x86-64-v2", path.join(BIN, "kernels-x86-64-v3-musl")]);
    expect(shellStatus(e)).toBe(132);
    expect(e.stderr).toMatch(/SIGILL .* needs AVX, which CPU model x86-64-v2 lacks/);
  });
});
