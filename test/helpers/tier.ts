/** Test set-up shared by the per-instruction tier tests. */
import type { CPU } from "../../src/cpu/cpu.js";

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
