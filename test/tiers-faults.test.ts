/**
 * Precise state in every tier where compiled code stops: a fault at the end
 * of a hot loop (the signal frame's rip, flags, rsp and fault address, as
 * the native run prints them from its SIGSEGV handler), a call, return or
 * jump to address 0, and `maxInstructions`, which must stop at exactly that
 * count with the interpreter's rip and registers.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Emulator } from "../src/index.js";
import { IS_X86_64_LINUX, ROOT, runEmu, runNative } from "./helpers/asm.js";

const FAULTS = path.join(ROOT, "fixtures/bin/musl/tierfaults");
const TIER_OPTS: string[][] = [["--no-jit"], ["--no-wasm", "--jit-threshold", "0"], ["--jit-threshold", "0"], []];
/** (The page-present bit of the error code depends on whether Linux had populated the page.) */
const normalize = (s: string) => s.replace(/err (\d+)/, (_m, e) => `err ${Number(e) & ~1}`);

describe.skipIf(!fs.existsSync(FAULTS))("faults in compiled code", () => {
  for (const mode of ["flags", "memdst", "call0", "ret0", "jmp0", "jmpnc", "callnc", "retnc"]) {
    it(`${mode}: the signal frame is the same in every tier${IS_X86_64_LINUX ? " and natively" : ""}`, () => {
      const outs = TIER_OPTS.map((o) => {
        const r = runEmu([...o, FAULTS, mode]);
        expect(r.stderr, o.join(" ")).toBe("");
        return normalize(r.stdout);
      });
      expect(outs[0]).toMatch(/^sig 11 code \d+ addr/m);
      for (let k = 1; k < outs.length; k++) expect(outs[k], TIER_OPTS[k].join(" ") || "default tiers").toBe(outs[0]);
      if (IS_X86_64_LINUX) expect(outs[0]).toBe(normalize(runNative(FAULTS, [mode]).stdout));
    });
  }
});

describe("maxInstructions", () => {
  const bench = path.join(ROOT, "bench/bin/sieve");
  it.skipIf(!fs.existsSync(bench))("stops at exactly the count in every tier, with the same state", () => {
    const states: string[] = [];
    for (const [jit, wasm, threshold] of [
      [false, false, 50],
      [true, false, 0],
      [true, true, 0],
      [true, true, 50],
    ] as const) {
      const emu = Emulator.fromElf(fs.readFileSync(bench), { argv: ["sieve", "200000"] });
      emu.cpu.jitEnabled = jit;
      emu.cpu.wasmEnabled = wasm;
      emu.cpu.jitThreshold = threshold;
      emu.cpu.wasmThreshold = threshold * 20;
      let s = "";
      for (const n of [20_000, 1, 63, 100_000, 7, 250_000]) {
        const before = emu.cpu.icount;
        expect(emu.run({ maxInstructions: n })).toEqual({ kind: "stopped", reason: "limit" });
        expect(emu.cpu.icount - before).toBe(n);
        s += `${emu.reg("rip").toString(16)} ${emu.reg("rax")} ${emu.reg("rsp")} ${emu.reg("rflags")};`;
      }
      states.push(s);
    }
    for (const s of states) expect(s).toBe(states[0]);
  });
});
