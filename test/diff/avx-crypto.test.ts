/**
 * Differential tests of VAES, VPCLMULQDQ and VEX-encoded GFNI (256- and
 * 128-bit; test/diff/gen-avx.ts avxCryptoCase) against the host CPU, under
 * every tier. Needs a host with AVX, AES, PCLMULQDQ, VAES, VPCLMULQDQ and
 * GFNI; elsewhere the committed golden program and native output for the
 * default seed (recorded on an Intel Xeon) are used.
 *
 *   X64EMU_DIFF_SEED=N / X64EMU_DIFF_CASES=N / X64EMU_DIFF_RECORD=1 as in random.test.ts
 */
import { describe, expect, it } from "vitest";
import { canRunNative, TIERS } from "../isa-native.js";
import { generateAvxCrypto } from "./gen-avx.js";
import { DEFAULT_SEED, hostCpuFlags as flags, programAndNative, seed, tierDiffs } from "./harness.js";

const count = Number(process.env.X64EMU_DIFF_CASES ?? 600);
const NEEDS = ["avx", "avx2", "aes", "pclmulqdq", "vaes", "vpclmulqdq", "gfni"];

const hostHas = canRunNative && NEEDS.every((f) => flags.has(f));
const useGolden = !hostHas && seed === DEFAULT_SEED;

describe("differential: VAES, VPCLMULQDQ, VEX GFNI vs the real CPU", () => {
  it("avx-crypto", () => {
    const cases = generateAvxCrypto(seed, count);
    if (!useGolden && !hostHas) return console.log(`diff avx-crypto: skipped (the host lacks one of ${NEEDS.join(" ")} or as/ld, and seed ${seed} has no golden data)`);
    const { elf, native } = programAndNative("avx-crypto", cases, useGolden);
    const diffs = tierDiffs(cases, elf, native);
    console.log(`diff avx-crypto: ${cases.length} cases x ${TIERS.length} tiers, seed ${seed}${useGolden ? " (golden native outputs)" : ""}, ${diffs.length} differences`);
    expect(diffs.slice(0, 40)).toEqual([]);
  }, 300_000);
});
