/**
 * The fused multiply-add's fast path (double arithmetic, round-to-odd, no
 * BigInt) against the exact BigInt path, for random operands chosen to
 * stress it: cancellation (c close to -a*b), products with a long error
 * term, addends far below or above the product, ties, in every rounding mode
 * with the inexact flag compared too.
 */
import { describe, expect, it } from "vitest";
import { fma, slowFma } from "../src/cpu/isa/avx-fma.js";
import { FP } from "../src/cpu/isa/sse-fp.js";
import { prng } from "./helpers/prng.js";

const next = prng(77);
const u = () => next() / 4294967296;
function rnd(w32: boolean): number {
  const m = 1 + u();
  const e = Math.floor(u() * 60) - 30;
  const v = (u() < 0.5 ? -1 : 1) * m * 2 ** e;
  return w32 ? Math.fround(v) : v + u() * 2 ** (e - 40);
}

function run(a: number, b: number, c: number, w32: boolean, mx: number, slow: boolean): [number, number] {
  FP.pre = 0;
  FP.post = 0;
  FP.mx = mx;
  const r = slow ? slowFma(a, b, c, w32) : fma(a, b, c, w32);
  return [r, FP.pre | FP.post];
}

describe("FMA fast path vs the exact path", () => {
  for (const w32 of [false, true])
    it(w32 ? "float32" : "float64", () => {
      const bad: string[] = [];
      for (let n = 0; n < 40000; n++) {
        const a = rnd(w32);
        const b = rnd(w32);
        const k = n % 4;
        let c = rnd(w32);
        if (k === 0) c = -(w32 ? Math.fround(a * b) : a * b); // cancellation
        else if (k === 1) c = c * 2 ** -70; // tiny addend
        else if (k === 2) c = (w32 ? Math.fround(a * b * (1 + 2 ** -20)) : a * b * (1 + 2 ** -45)) * -1;
        for (let rc = 0; rc < 4; rc++) {
          const mx = 0x1f80 | (rc << 13);
          const f = run(a, b, c, w32, mx, false);
          const s = run(a, b, c, w32, mx, true);
          if (!Object.is(f[0], s[0]) || f[1] !== s[1]) bad.push(`${a} * ${b} + ${c} rc ${rc}: fast ${f[0]} flags ${f[1]}, exact ${s[0]} flags ${s[1]}`);
        }
      }
      expect(bad.slice(0, 10)).toEqual([]);
    });
});
