/**
 * VEX instructions with WebAssembly SIMD forms, one v128 per 128-bit lane:
 * the integer and logic binary operations of AVX/AVX2 (`vpaddd ymm0, ymm1,
 * ymm2/m256`...) and full-width loads and register moves. The upper half of
 * ymm n is the xmm slot n + YMM_HI in linear memory; VEX.128 zeroes it.
 * Memory sources are loaded before anything is written, so a fault leaves
 * the registers as they were. Everything else (and 256-bit stores, aligned
 * 256-bit moves) calls the interpreter's handlers.
 */
import { K_MEM, K_XMM, type Insn } from "../../decoder/insn.js";
import { HI } from "../isa/avx-common.js";
import { OP, SIMD } from "./wasm-enc.js";
import { L_EA, L_X, L_Y } from "./wasm-abi.js";
import type { Gen } from "./wasm-gen.js";
import { alignCheck, SSE_BINARY, SSE_COMPILED } from "./wasm-sse.js";

/** VEX binary keys -> SIMD op (andn forms separately). */
const AVX_BINARY: Record<string, number> = {};
for (const [k, op] of Object.entries(SSE_BINARY)) AVX_BINARY["v" + k] = op;
const AVX_ANDN = new Set(["vpandn", "vandnps", "vandnpd"]);
export const AVX_COMPILED = new Set([...Object.keys(AVX_BINARY), ...AVX_ANDN, "vmovu", "vmova"]);
for (const k of AVX_COMPILED) SSE_COMPILED.add(k); // none touches the flags

/** Load the vector source operand k (xmm/ymm register or memory) lane `lane` into local x (memory: L_EA already set for lane 0). */
function load(g: Gen, kind: number, reg: number, lane: number, x: number): void {
  const c = g.c;
  if (kind === K_XMM) g.readXmm(reg + lane * HI);
  else {
    if (lane) {
      c.get(L_EA);
      c.i64(16, 0);
      c.op(OP.i64_add);
      c.set(L_EA);
    }
    g.memRead(16);
  }
  c.set(x);
}

function zeroUpper(g: Gen, d: number): void {
  const c = g.c;
  c.i64(0, 0);
  c.simd(SIMD.i64x2_splat);
  c.set(L_X);
  g.writeXmm(d + HI, L_X);
}

export function emitAvx(g: Gen, i: Insn, key: string): boolean {
  const c = g.c;
  const wide = i.vexL !== 0;
  if (key === "vmovu" || key === "vmova") {
    if (i.k0 !== K_XMM) return false; // stores: the handler (a 256-bit store must not be half done)
    if (i.k1 === K_MEM) {
      if (key === "vmova" && wide) return false;
      g.ea(i);
      if (key === "vmova") alignCheck(g);
    } else if (i.k1 !== K_XMM) return false;
    load(g, i.k1, i.r1, 0, L_Y);
    if (wide) load(g, i.k1, i.r1, 1, L_X);
    g.writeXmm(i.r0, L_Y);
    if (wide) g.writeXmm(i.r0 + HI, L_X);
    else zeroUpper(g, i.r0);
    return true;
  }
  const bin = AVX_BINARY[key];
  const andn = AVX_ANDN.has(key);
  if (bin === undefined && !andn) return false;
  if (i.k0 !== K_XMM || i.k1 !== K_XMM || (i.k2 !== K_XMM && i.k2 !== K_MEM)) return false;
  // sources first (W low into L_Y, W high into L_X), then results
  if (i.k2 === K_MEM) g.ea(i);
  load(g, i.k2, i.r2, 0, L_Y);
  if (wide) load(g, i.k2, i.r2, 1, L_X);
  const lane = (h: number, w: number, d: number) => {
    if (andn) {
      c.get(w);
      g.readXmm(h);
      c.simd(SIMD.v128_andnot); // w & ~h
    } else {
      g.readXmm(h);
      c.get(w);
      c.simd(bin);
    }
    c.set(w);
    g.writeXmm(d, w);
  };
  // the upper lane first: it reads only upper slots, which the low lane does not write
  if (wide) lane(i.r1 + HI, L_X, i.r0 + HI);
  lane(i.r1, L_Y, i.r0);
  if (!wide) zeroUpper(g, i.r0);
  return true;
}
