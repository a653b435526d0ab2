/**
 * rdrand / rdseed: random values from `cpu.ext.random` (a function filling a
 * Uint8Array), by default the platform's Web Crypto `getRandomValues`
 * (available in Node and in browsers). CF=1 (a value is always delivered);
 * OF SF ZF AF PF are cleared.
 */
import type { CPU } from "../cpu.js";
import { CF, STATUS, materialize } from "../flags.js";
import { setReg } from "../ops.js";
import { register } from "../registry.js";

export type RandomSource = (buf: Uint8Array) => void;

const BUF = new Uint8Array(8);
const WORDS = new Int32Array(BUF.buffer);

/** The default random source: Web Crypto, or Math.random where it is missing. */
export const defaultRandom: RandomSource = (buf) => {
  const cr = (globalThis as { crypto?: { getRandomValues?: (b: Uint8Array) => Uint8Array } }).crypto;
  if (cr && typeof cr.getRandomValues === "function") cr.getRandomValues(buf);
  else for (let k = 0; k < buf.length; k++) buf[k] = Math.floor(Math.random() * 256);
};

function rand(c: CPU, reg: number, size: number): void {
  const src = (c.ext.random as RandomSource | undefined) ?? defaultRandom;
  src(BUF);
  setReg(c, reg, size, WORDS[0], WORDS[1]);
  materialize(c);
  c.flags = (c.flags & ~STATUS) | CF;
}

register("rdrand", (c, i) => rand(c, i.r0, i.s0));
register("rdseed", (c, i) => rand(c, i.r0, i.s0));
