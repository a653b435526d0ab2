/**
 * Differential tests of the VEX families (test/diff/gen-avx.ts) against the
 * host CPU, under the interpreter, the JavaScript blocks and WebAssembly.
 * Needs a host with AVX2, FMA and F16C; elsewhere the committed golden
 * programs and native outputs for the default seed are used.
 *
 *   X64EMU_DIFF_SEED=N / X64EMU_DIFF_CASES=N / X64EMU_DIFF_RECORD=1 as in random.test.ts
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildCases, canRunNative, diffCases, parseResults, runEmulated, TIERS } from "../isa-native.js";
import { generateAvx } from "./gen-avx.js";

const DEFAULT_SEED = 20261124;
const seed = Number(process.env.X64EMU_DIFF_SEED ?? DEFAULT_SEED);
const count = Number(process.env.X64EMU_DIFF_CASES ?? 800);
const GOLDEN = path.join(__dirname, "golden");

function hostFlags(): Set<string> {
  try {
    const line = fs.readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
    return new Set((line ?? "").split(/\s+/));
  } catch {
    return new Set();
  }
}
const flags = hostFlags();
const hostHasAvx = canRunNative && ["avx", "avx2", "fma", "f16c"].every((f) => flags.has(f));
const useGolden = !hostHasAvx && seed === DEFAULT_SEED;

describe("differential: AVX/AVX2/FMA/F16C vs the real CPU", () => {
  it("avx", () => {
    const cases = generateAvx(seed, count);
    let elf: Uint8Array;
    let native: Uint8Array;
    if (useGolden) {
      elf = fs.readFileSync(path.join(GOLDEN, "avx.elf"));
      native = fs.readFileSync(path.join(GOLDEN, "avx.out"));
    } else {
      if (!hostHasAvx) return console.log(`diff avx: skipped (the host lacks AVX2/FMA/F16C or as/ld, and seed ${seed} has no golden data)`);
      const b = buildCases(cases);
      try {
        elf = b.elf;
        native = new Uint8Array(execFileSync(b.path, { maxBuffer: 1 << 28 }));
      } finally {
        b.cleanup();
      }
      if (process.env.X64EMU_DIFF_RECORD && seed === DEFAULT_SEED) {
        fs.mkdirSync(GOLDEN, { recursive: true });
        fs.writeFileSync(path.join(GOLDEN, "avx.elf"), elf);
        fs.writeFileSync(path.join(GOLDEN, "avx.out"), native);
      }
    }
    const nat = parseResults(native, cases.length);
    const diffs: string[] = [];
    for (const tier of TIERS) {
      const emu = runEmulated(elf, cases.length, tier);
      if (emu.results.length < cases.length) diffs.push(`[${tier}] emulator stopped early after ${emu.results.length}: ${JSON.stringify(emu.status, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
      diffs.push(...diffCases(cases, nat, emu.results).map((d) => `[${tier}] ${d}`));
    }
    console.log(`diff avx: ${cases.length} cases x ${TIERS.length} tiers, seed ${seed}${useGolden ? " (golden native outputs)" : ""}, ${diffs.length} differences`);
    expect(diffs.slice(0, 40)).toEqual([]);
  }, 300_000);
});
