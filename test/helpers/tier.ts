/** Test set-up shared by the per-instruction tier tests. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CPU } from "../../src/cpu/cpu.js";
import { tmpDir } from "./asm.js";

/** Run c in the WebAssembly tier from the first execution (wasm) or in the interpreter alone, stopping at a syscall. */
export function wasmOrInterpreter(c: CPU, wasm: boolean): void {
  c.jitEnabled = wasm;
  c.wasmEnabled = wasm;
  c.jitThreshold = wasm ? 0 : 1e9;
  c.wasmThreshold = wasm ? 0 : 1e9;
  c.onSyscall = (cpu) => {
    cpu.stopRequested = true;
  };
}

/**
 * Assemble loop bodies into one flat code image: case k at k * slot, each
 * `mov ecx, iter`, the body, `dec ecx; jnz` back, then `syscall` (which stops the CPU).
 */
export function assembleLoops(all: string[][], slot: number, iter: number): Uint8Array {
  const dir = tmpDir();
  const src = [".intel_syntax noprefix", ".text"];
  all.forEach((body, k) => src.push(`.org ${k * slot}`, `mov ecx, ${iter}`, "1:", ...body, "dec ecx", "jnz 1b", "syscall"));
  const s = path.join(dir, "loops.s");
  const o = path.join(dir, "loops.o");
  const b = path.join(dir, "loops.bin");
  fs.writeFileSync(s, src.join("\n") + "\n");
  execFileSync("as", ["--64", "-o", o, s]);
  execFileSync("objcopy", ["-O", "binary", "-j", ".text", o, b]);
  return new Uint8Array(fs.readFileSync(b));
}
