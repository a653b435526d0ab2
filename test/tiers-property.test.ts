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
import { checkCase, checkTiers, DATA, handCase, hexBytes } from "./helpers/tiers.js";

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

/** `dec r15; jnz` back over `body` (r15 counts the iterations), then `mov eax,60; syscall`. */
function loop(body: number[]): number[] {
  const rel = -(body.length + 9);
  return [...body, 0x49, 0xff, 0xcf, 0x0f, 0x85, rel & 0xff, (rel >> 8) & 0xff, 0xff, 0xff, 0xb8, 60, 0, 0, 0, 0x0f, 0x05];
}

describe("divergences the campaign found, fixed", () => {
  // (seed, case) pairs that once diverged (`node scripts/tiers-fuzz.mjs`)
  for (const [s, k] of [
    [15, 2648],
    [15, 3062],
    [3, 6175],
  ])
    it(`seed ${s} case ${k}`, () => {
      expect(checkCase(s, k).diffs).toEqual([]);
    });

  it("shifts by cl with a masked count of 0 leave the flags of the instruction before (and zero-extend a 32-bit register), as natively", () => {
    // mov eax,-1; mov rdx,0xffffffff12345678; add eax,ebx (CF=ZF=PF=AF=1); shr edx,cl; sar r12,cl (cl = 0, cx = 0x100); pushfq; pop r10
    const movRdx = [0x48, 0xba, 0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff];
    const t = handCase(loop([0xb8, 0xff, 0xff, 0xff, 0xff, ...movRdx, 0x01, 0xd8, 0xd3, 0xea, 0x49, 0xd3, 0xfc, 0x9c, 0x41, 0x5a]), { 3: 1n, 1: 0x100n, 12: 0xfffffffffffffffbn, 15: 20n });
    const { ref, diffs } = checkTiers(t);
    expect(diffs).toEqual([]);
    // (the same instructions natively: r10 & 0xff = 0x57, rdx = 0x12345678, r12 = -5)
    expect(ref.regs[10] & 0xffn).toBe(0x57n);
    expect(ref.regs[2]).toBe(0x12345678n);
    expect(ref.regs[12]).toBe(0xfffffffffffffffbn);
  });

  it("64-bit effective addresses wrap modulo 2^64 (base + index beyond 2^63, index * scale beyond 2^64)", () => {
    // mov r8,[rbx+rcx]; mov r9,[rsi*8+DATA+0x20]
    const d = DATA + 0x20;
    const code = loop([0x4c, 0x8b, 0x04, 0x0b, 0x4c, 0x8b, 0x0c, 0xf5, d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, 0]);
    const t = handCase(code, { 3: 0x7fffffffffffffffn, 1: 0x8000000000000001n + BigInt(DATA + 0x10), 6: 0x2000000000000000n, 15: 3n });
    const { ref, diffs } = checkTiers(t);
    expect(diffs).toEqual([]);
    expect(ref.kind).toBe("syscall");
    expect(ref.regs[8]).toBe(0x1716151413121110n);
    expect(ref.regs[9]).toBe(0x2726252423222120n);
  });

  it("flags set before a loop that never reads them are right when the budget ends the loop", () => {
    // and al, 0x95; jmp $ (the limit stops it in the loop): the interpreter's rflags, not the initial ones
    for (const limit of [101, 1000]) {
      const t = handCase([0x24, 0x95, 0xeb, 0xfe], { 0: 0x600243n }, 0x2d2);
      t.limit = limit;
      const { ref, diffs } = checkTiers(t);
      expect(diffs).toEqual([]);
      expect(ref.rflags & 0x8d5).toBe(0); // al = 0x43 & 0x95 = 1: not zero, not negative, odd parity
    }
  });
});
