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
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildCases, canRunNative, diffCases, hostIsEmulatedVendor, hostVendor, parseResults, runEmulated, TIERS } from "../isa-native.js";
import { FAMILY_NAMES, generate } from "./generate.js";

const DEFAULT_SEED = 20261124;
const seed = Number(process.env.X64EMU_DIFF_SEED ?? DEFAULT_SEED);
const count = Number(process.env.X64EMU_DIFF_CASES ?? 300);
const GOLDEN = path.join(__dirname, "golden");
const useGolden = !canRunNative && seed === DEFAULT_SEED;

let total = 0;

describe("differential: random cases vs the real CPU", () => {
  for (const family of FAMILY_NAMES) {
    it(family, () => {
      const cases = generate(family, seed, count);
      const vendorCases = !hostIsEmulatedVendor && cases.some((c) => c.vendor);
      let elf: Uint8Array;
      let native: Uint8Array;
      const golden = useGolden || (canRunNative && vendorCases && seed === DEFAULT_SEED);
      if (golden) {
        elf = fs.readFileSync(path.join(GOLDEN, `${family}.elf`));
        native = fs.readFileSync(path.join(GOLDEN, `${family}.out`));
      } else {
        if (!canRunNative) return console.log(`diff ${family}: skipped (no native x86-64 as/ld and seed ${seed} has no golden data)`);
        const b = buildCases(cases);
        try {
          elf = b.elf;
          native = new Uint8Array(execFileSync(b.path, { maxBuffer: 1 << 28 }));
        } finally {
          b.cleanup();
        }
        if (process.env.X64EMU_DIFF_RECORD && seed === DEFAULT_SEED) {
          fs.mkdirSync(GOLDEN, { recursive: true });
          fs.writeFileSync(path.join(GOLDEN, `${family}.elf`), elf);
          fs.writeFileSync(path.join(GOLDEN, `${family}.out`), native);
        }
      }
      const nat = parseResults(native, cases.length);
      const diffs: string[] = [];
      const skipVendor = vendorCases && seed !== DEFAULT_SEED;
      if (skipVendor) console.log(`diff ${family}: vendor-dependent cases skipped (host ${hostVendor || "unknown"}, no golden data for seed ${seed})`);
      for (const tier of TIERS) {
        const emu = runEmulated(elf, cases.length, tier);
        if (emu.results.length < cases.length) diffs.push(`[${tier}] emulator stopped early: ${JSON.stringify(emu.status, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
        diffs.push(...diffCases(cases, nat, emu.results, skipVendor).map((d) => `[${tier}] ${d}`));
      }
      total += cases.length;
      console.log(`diff ${family}: ${cases.length} cases x ${TIERS.length} tiers, seed ${seed}${golden ? " (golden native outputs)" : ""}, ${diffs.length} differences`);
      expect(diffs.slice(0, 30)).toEqual([]);
    });
  }
  it("summary", () => {
    console.log(`differential suite: ${total} cases in ${FAMILY_NAMES.length} families (seed ${seed})`);
  });
});
