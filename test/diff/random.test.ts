/**
 * Differential tests against the real CPU: random cases per instruction
 * family (test/diff/generate.ts), run natively and under x64emu with both
 * execution tiers, compared register by register, flag by flag (undefined
 * flags masked per the SDM) and over the memory buffer.
 *
 *   X64EMU_DIFF_SEED=N      another seed (default 20261124)
 *   X64EMU_DIFF_CASES=N     cases per family (default 300)
 *   X64EMU_DIFF_RECORD=1    (re)write test/diff/golden/ from native runs
 *
 * Where the host cannot run x86-64 code natively (or lacks as/ld), the
 * committed golden programs and native outputs for the default seed are used;
 * so they are for a family with vendor-dependent cases on a host of another
 * vendor than the emulated one (with another seed those cases are skipped).
 */
import { describe, expect, it } from "vitest";
import { canRunNative, hostIsEmulatedVendor, hostVendor, TIERS } from "../isa-native.js";
import { FAMILY_NAMES, generate } from "./generate.js";
import { DEFAULT_SEED, programAndNative, seed, tierDiffs } from "./harness.js";

const count = Number(process.env.X64EMU_DIFF_CASES ?? 300);
const useGolden = !canRunNative && seed === DEFAULT_SEED;

let total = 0;

describe("differential: random cases vs the real CPU", () => {
  for (const family of FAMILY_NAMES) {
    it(family, () => {
      const cases = generate(family, seed, count);
      const vendorCases = !hostIsEmulatedVendor && cases.some((c) => c.vendor);
      const golden = useGolden || (canRunNative && vendorCases && seed === DEFAULT_SEED);
      if (!golden && !canRunNative) return console.log(`diff ${family}: skipped (no native x86-64 as/ld and seed ${seed} has no golden data)`);
      const { elf, native } = programAndNative(family, cases, golden);
      const skipVendor = vendorCases && seed !== DEFAULT_SEED;
      if (skipVendor) console.log(`diff ${family}: vendor-dependent cases skipped (host ${hostVendor || "unknown"}, no golden data for seed ${seed})`);
      const diffs = tierDiffs(cases, elf, native, skipVendor);
      total += cases.length;
      console.log(`diff ${family}: ${cases.length} cases x ${TIERS.length} tiers, seed ${seed}${golden ? " (golden native outputs)" : ""}, ${diffs.length} differences`);
      expect(diffs.slice(0, 30)).toEqual([]);
    });
  }
  it("summary", () => {
    console.log(`differential suite: ${total} cases in ${FAMILY_NAMES.length} families (seed ${seed})`);
  });
});
