/**
 * Fuzz-style robustness: random bytes as code and randomly corrupted ELFs must
 * end in a guest signal, a clean exit or a clear ElfError — never an uncaught
 * JavaScript exception.
 */
import { describe, expect, it } from "vitest";
import { MemoryHost } from "../src/host/memory.js";
import { Process } from "../src/kernel/program.js";
import { ElfError } from "../src/loader/elf.js";
import { makeElf } from "./helpers/elf.js";
import { prng } from "./helpers/prng.js";


function runBytes(elf: Uint8Array, limit = 20000): string {
  let p: Process;
  try {
    p = new Process(elf, { argv: ["fuzz"], envp: [], host: new MemoryHost() });
  } catch (e) {
    if (e instanceof ElfError) return "elf-error";
    throw e;
  }
  const st = p.run(limit);
  if (!st) return "limit";
  return st.kind === "exit" ? "exit" : `signal ${st.signal}`;
}

describe("fuzz", () => {
  it("random code bytes end in a signal, an exit or the instruction limit", () => {
    const rnd = prng(12345);
    const outcomes = new Map<string, number>();
    for (let n = 0; n < 400; n++) {
      const code = Uint8Array.from({ length: 256 }, () => rnd() & 0xff);
      // writable too, so that stores into the code page exercise self-modifying code paths
      const r = runBytes(makeElf(code, { flags: 7 }));
      outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
    }
    console.log("fuzz outcomes (random code):", Object.fromEntries(outcomes));
    for (const k of outcomes.keys()) expect(k).toMatch(/^(exit|limit|signal \d+)$/);
  });

  it("randomly corrupted ELF files give a clear error or run", () => {
    const rnd = prng(777);
    const base = makeElf(Uint8Array.from([0xb8, 60, 0, 0, 0, 0xbf, 1, 0, 0, 0, 0x0f, 0x05]));
    const outcomes = new Map<string, number>();
    for (let n = 0; n < 600; n++) {
      const b = Uint8Array.from(base);
      const flips = 1 + (rnd() % 6);
      for (let k = 0; k < flips; k++) {
        const pos = rnd() % (n % 3 === 0 ? 128 : b.length);
        b[pos] = rnd() & 0xff;
      }
      const cut = n % 5 === 0 ? rnd() % b.length : b.length;
      const r = runBytes(b.subarray(0, cut), 2000);
      outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
    }
    console.log("fuzz outcomes (corrupt ELF):", Object.fromEntries(outcomes));
    expect(outcomes.get("elf-error")).toBeGreaterThan(0);
  });
});
