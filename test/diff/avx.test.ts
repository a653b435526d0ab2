/**
 * Differential tests of the VEX families (test/diff/gen-avx.ts) against the
 * host CPU, under the interpreter, the JavaScript blocks and WebAssembly.
 * Needs a host with AVX2, FMA and F16C; elsewhere the committed golden
 * programs and native outputs for the default seed are used.
 *
 *   X64EMU_DIFF_SEED=N / X64EMU_DIFF_CASES=N / X64EMU_DIFF_RECORD=1 as in random.test.ts
 */
import { describe, expect, it } from "vitest";
import { canRunNative, TIERS } from "../isa-native.js";
import { generateAvx } from "./gen-avx.js";
import { DEFAULT_SEED, hostCpuFlags as flags, programAndNative, seed, tierDiffs } from "./harness.js";

const count = Number(process.env.X64EMU_DIFF_CASES ?? 800);

const hostHasAvx = canRunNative && ["avx", "avx2", "fma", "f16c"].every((f) => flags.has(f));
const useGolden = !hostHasAvx && seed === DEFAULT_SEED;

describe("differential: AVX/AVX2/FMA/F16C vs the real CPU", () => {
  it("avx", () => {
    const cases = generateAvx(seed, count);
    if (!useGolden && !hostHasAvx) return console.log(`diff avx: skipped (the host lacks AVX2/FMA/F16C or as/ld, and seed ${seed} has no golden data)`);
    const { elf, native } = programAndNative("avx", cases, useGolden);
    const diffs = tierDiffs(cases, elf, native);
    console.log(`diff avx: ${cases.length} cases x ${TIERS.length} tiers, seed ${seed}${useGolden ? " (golden native outputs)" : ""}, ${diffs.length} differences`);
    expect(diffs.slice(0, 40)).toEqual([]);
  }, 300_000);
});
