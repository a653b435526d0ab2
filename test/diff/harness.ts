/**
 * The differential suites' common path: build a family's cases into one
 * program, get the real CPU's output for it (or the committed golden copy),
 * then run the same program under every tier and list the differences.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildCases, type Case, diffCases, parseResults, runEmulated, TIERS } from "../isa-native.js";

export const DEFAULT_SEED = 20261124;
export const seed = Number(process.env.X64EMU_DIFF_SEED ?? DEFAULT_SEED);
const GOLDEN = path.join(__dirname, "golden");

/** The host CPU's feature flags from /proc/cpuinfo (empty where there is none). */
export const hostCpuFlags: Set<string> = (() => {
  try {
    const line = fs.readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
    return new Set((line ?? "").split(/\s+/));
  } catch {
    return new Set<string>();
  }
})();

/**
 * The program and the real CPU's output for `cases`: from test/diff/golden/NAME.{elf,out} when `golden`,
 * else built and run natively (and recorded under X64EMU_DIFF_RECORD=1 for the default seed).
 */
export function programAndNative(name: string, cases: Case[], golden: boolean): { elf: Uint8Array; native: Uint8Array } {
  if (golden) return { elf: fs.readFileSync(path.join(GOLDEN, `${name}.elf`)), native: fs.readFileSync(path.join(GOLDEN, `${name}.out`)) };
  const b = buildCases(cases);
  let native: Uint8Array;
  try {
    native = new Uint8Array(execFileSync(b.path, { maxBuffer: 1 << 28 }));
  } finally {
    b.cleanup();
  }
  if (process.env.X64EMU_DIFF_RECORD && seed === DEFAULT_SEED) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(path.join(GOLDEN, `${name}.elf`), b.elf);
    fs.writeFileSync(path.join(GOLDEN, `${name}.out`), native);
  }
  return { elf: b.elf, native };
}

/** Every tier's differences from the native results, each line prefixed with its tier. */
export function tierDiffs(cases: Case[], elf: Uint8Array, native: Uint8Array, skipVendor = false): string[] {
  const nat = parseResults(native, cases.length);
  const diffs: string[] = [];
  for (const tier of TIERS) {
    const emu = runEmulated(elf, cases.length, tier);
    if (emu.results.length < cases.length) diffs.push(`[${tier}] emulator stopped early after ${emu.results.length}: ${JSON.stringify(emu.status, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
    diffs.push(...diffCases(cases, nat, emu.results, skipVendor).map((d) => `[${tier}] ${d}`));
  }
  return diffs;
}
