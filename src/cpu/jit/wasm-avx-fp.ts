/** VEX floating-point arithmetic in WebAssembly SIMD (see emitAvxFp). */
import type { Insn } from "../../decoder/insn.js";
import type { Gen } from "./wasm-gen.js";

export interface AvxOps {
  srcSlot(g: Gen, i: Insn, kind: number, reg: number, size: number): number;
  result(g: Gen, d: number, wide: boolean, lane: (h: number) => void): void;
  zeroUpper(g: Gen, d: number): void;
}

export const AVX_FP_KEYS = new Set<string>();

export function emitAvxFp(_g: Gen, _i: Insn, _key: string, _ops: AvxOps): boolean {
  return false;
}
