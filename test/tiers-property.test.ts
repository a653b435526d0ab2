/**
 * Property test: every execution tier agrees with the interpreter. Seeded
 * random cases (random bytes, and loops of random valid instructions with
 * branches, calls, returns and jumps to 0; see test/helpers/tiers.ts) run
 * under the interpreter, the JavaScript block tier (threshold 0), the
 * WebAssembly tier (threshold 0) and both with small thresholds (code
 * changing tier mid-loop); outcome (exit, fault kind, address and rip), rip,
 * instruction count, registers, flags, SSE/x87 state and memory must match.
 *
 *   X64EMU_TIERS_SEED=N    another seed (default 16)
 *   X64EMU_TIERS_CASES=N   how many cases (default 600)
 *   X64EMU_TIERS_FROM=K    starting at case K (default 0)
 *   X64EMU_TIERS_CASE=K    only case K (replay one divergence)
 *
 * `node scripts/tiers-fuzz.mjs --seed N --count M` runs a long campaign.
 */
import { describe, expect, it } from "vitest";
import { checkCase, hexBytes } from "./helpers/tiers.js";

const seed = Number(process.env.X64EMU_TIERS_SEED ?? 16);
const count = Number(process.env.X64EMU_TIERS_CASES ?? 600);
const from = Number(process.env.X64EMU_TIERS_FROM ?? 0);
const only = process.env.X64EMU_TIERS_CASE;

describe("tiers agree with the interpreter", () => {
  it(`random cases (seed ${seed})`, { timeout: Math.max(60_000, count * 200) }, () => {
    const failures: string[] = [];
    let divergent = 0;
    const kinds = new Map<string, number>();
    const indices = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, k) => from + k);
    for (const k of indices) {
      const { t, ref, diffs } = checkCase(seed, k);
      kinds.set(`${t.mode}:${ref.kind}`, (kinds.get(`${t.mode}:${ref.kind}`) ?? 0) + 1);
      if (diffs.length === 0) continue;
      divergent++;
      if (failures.length < 10) failures.push(`case ${k} (${t.mode}, limit ${t.limit}, interpreter: ${ref.kind} at 0x${ref.rip.toString(16)} after ${ref.icount}): ${diffs.slice(0, 6).join("; ")}\n  code: ${hexBytes(t.code)}`);
    }
    console.log(`tiers: seed ${seed}, ${indices.length} cases from ${indices[0]}, ${divergent} divergent; outcomes ${JSON.stringify(Object.fromEntries(kinds))}`);
    expect(failures).toEqual([]);
  });
});
