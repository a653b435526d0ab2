/**
 * VEX instructions with WebAssembly SIMD forms, one v128 per 128-bit lane.
 * The upper half of ymm n is the xmm slot n + YMM_HI in linear memory;
 * VEX.128 zeroes it.
 *
 * Every form follows one plan: memory sources are read first (into the
 * scratch slots SA/SA+HI of the CPU state, or a local), so that a fault
 * leaves the registers as they were; then each result lane is computed into
 * a local (upper lane into L_X, lower into L_Y) from register slots only;
 * then the destination is written. A 256-bit store crossing a page calls the
 * handler, so that it is never half done. What is not here (variable
 * permutes, shifts by a register count, gathers, floating point but the
 * forms of wasm-avx-fp.ts...) calls the interpreter's handler.
 */
import { K_IMM, K_MEM, K_REG, K_XMM, type Insn } from "../../decoder/insn.js";
import { HI, SA } from "../isa/avx-common.js";
import { OP, SIMD } from "./wasm-enc.js";
import { L_EA, L_V, L_X, L_Y, XMM } from "./wasm-abi.js";
import type { Gen } from "./wasm-gen.js";
import { alignCheck, emitSse, SSE_BINARY, SSE_COMPILED, SSE_SHIFT, SSE_UNPACK } from "./wasm-sse.js";
import { emitAvxFp, AVX_FP_KEYS } from "./wasm-avx-fp.js";

/** WebAssembly SIMD opcodes beyond wasm-enc's table (0xfd-prefixed). */
export const V = {
  swizzle: 0x0e,
  i8x16_splat: 0x0f,
  i16x8_splat: 0x10,
  i32x4_splat: 0x11,
  i64x2_splat: 0x12,
  i8x16_gt_s: 0x27,
  i16x8_gt_s: 0x31,
  i32x4_gt_s: 0x3b,
  v128_bitselect: 0x52,
  i8x16_abs: 0x60,
  i8x16_shr_s: 0x6c,
  i8x16_narrow_s: 0x65,
  i8x16_narrow_u: 0x66,
  i8x16_add_sat_s: 0x6f,
  i8x16_add_sat_u: 0x70,
  i8x16_sub_sat_s: 0x72,
  i8x16_sub_sat_u: 0x73,
  i8x16_min_s: 0x76,
  i8x16_min_u: 0x77,
  i8x16_max_s: 0x78,
  i8x16_max_u: 0x79,
  i8x16_avgr_u: 0x7b,
  i16x8_abs: 0x80,
  i16x8_bitmask: 0x84,
  i16x8_narrow_s: 0x85,
  i16x8_narrow_u: 0x86,
  i16x8_ext_low_s: 0x87,
  i16x8_ext_high_s: 0x88,
  i16x8_ext_low_u: 0x89,
  i16x8_ext_high_u: 0x8a,
  i16x8_add_sat_s: 0x8f,
  i16x8_add_sat_u: 0x90,
  i16x8_sub_sat_s: 0x92,
  i16x8_sub_sat_u: 0x93,
  i16x8_mul: 0x95,
  i16x8_min_s: 0x96,
  i16x8_min_u: 0x97,
  i16x8_max_s: 0x98,
  i16x8_max_u: 0x99,
  i16x8_avgr_u: 0x9b,
  i32x4_abs: 0xa0,
  i32x4_bitmask: 0xa4,
  i32x4_ext_low_s: 0xa7,
  i32x4_ext_high_s: 0xa8,
  i32x4_ext_low_u: 0xa9,
  i32x4_ext_high_u: 0xaa,
  i32x4_mul: 0xb5,
  i32x4_min_s: 0xb6,
  i32x4_min_u: 0xb7,
  i32x4_max_s: 0xb8,
  i32x4_max_u: 0xb9,
  i32x4_dot_i16x8_s: 0xba,
  i64x2_bitmask: 0xc4,
  i64x2_ext_low_s: 0xc7,
  i64x2_ext_high_s: 0xc8,
  i64x2_ext_low_u: 0xc9,
  i64x2_ext_high_u: 0xca,
  i64x2_mul: 0xd5,
  i64x2_eq: 0xd6,
  i64x2_gt_s: 0xd9,
} as const;

const I32_LOAD16_U = 0x2f;

/** Lane-wise vOP dst, src1, src2/mem (dst lane = src1 lane OP src2 lane). */
const BINARY: Record<string, number> = {
  vpminub: V.i8x16_min_u,
  vpminsb: V.i8x16_min_s,
  vpmaxub: V.i8x16_max_u,
  vpmaxsb: V.i8x16_max_s,
  vpminuw: V.i16x8_min_u,
  vpminsw: V.i16x8_min_s,
  vpmaxuw: V.i16x8_max_u,
  vpmaxsw: V.i16x8_max_s,
  vpminud: V.i32x4_min_u,
  vpminsd: V.i32x4_min_s,
  vpmaxud: V.i32x4_max_u,
  vpmaxsd: V.i32x4_max_s,
  vpaddsb: V.i8x16_add_sat_s,
  vpaddusb: V.i8x16_add_sat_u,
  vpsubsb: V.i8x16_sub_sat_s,
  vpsubusb: V.i8x16_sub_sat_u,
  vpaddsw: V.i16x8_add_sat_s,
  vpaddusw: V.i16x8_add_sat_u,
  vpsubsw: V.i16x8_sub_sat_s,
  vpsubusw: V.i16x8_sub_sat_u,
  vpavgb: V.i8x16_avgr_u,
  vpavgw: V.i16x8_avgr_u,
  vpcmpgtb: V.i8x16_gt_s,
  vpcmpgtw: V.i16x8_gt_s,
  vpcmpgtd: V.i32x4_gt_s,
  vpcmpgtq: V.i64x2_gt_s,
  vpcmpeqq: V.i64x2_eq,
  vpmullw: V.i16x8_mul,
  vpmulld: V.i32x4_mul,
  vpmaddwd: V.i32x4_dot_i16x8_s,
  vpacksswb: V.i8x16_narrow_s,
  vpackuswb: V.i8x16_narrow_u,
  vpackssdw: V.i16x8_narrow_s,
  vpackusdw: V.i16x8_narrow_u,
};
for (const [k, op] of Object.entries(SSE_BINARY)) BINARY["v" + k] = op;
const ANDN = new Set(["vpandn", "vandnps", "vandnpd"]);
/** Unary lane-wise vOP dst, src/mem. */
const UNARY: Record<string, number> = { vpabsb: V.i8x16_abs, vpabsw: V.i16x8_abs, vpabsd: V.i32x4_abs };
/** Interleaves: [element bytes, high half] (the float forms are the integer ones of their element size). */
const UNPACK: Record<string, [number, boolean]> = { vunpcklps: [4, false], vunpckhps: [4, true], vunpcklpd: [8, false], vunpckhpd: [8, true] };
for (const [k, v] of Object.entries(SSE_UNPACK)) UNPACK["v" + k] = v;
/** Widening moves: [extend-low op per step, extend-high op of the last step]... as [ops low by step, steps]. */
const EXT_S = [
  [V.i16x8_ext_low_s, V.i16x8_ext_high_s],
  [V.i32x4_ext_low_s, V.i32x4_ext_high_s],
  [V.i64x2_ext_low_s, V.i64x2_ext_high_s],
];
const EXT_U = [
  [V.i16x8_ext_low_u, V.i16x8_ext_high_u],
  [V.i32x4_ext_low_u, V.i32x4_ext_high_u],
  [V.i64x2_ext_low_u, V.i64x2_ext_high_u],
];
/** vpmov[sz]x: [signed, source element log2 bytes, destination element log2 bytes]. */
const WIDEN: Record<string, [boolean, number, number]> = {};
for (const s of ["s", "z"]) {
  const names = ["b", "w", "d", "q"];
  for (let a = 0; a < 3; a++) for (let b = a + 1; b < 4; b++) WIDEN[`vpmov${s}x${names[a]}${names[b]}`] = [s === "s", a, b];
}
const OTHER = ["vmovu", "vmova", "vmovd", "vmovq", "vmovss", "vmovsd", "vpmovmskb", "vmovmskps", "vmovmskpd", "vzeroupper", "vbroadcast", "vextract128", "vinsert128", "vperm2", "vpermq", "vpshufd", "vpshufb", "vpshufhw", "vpshuflw", "vpermilimm", "vshufps", "vshufpd", "vpalignr", "vpblendd", "vpblendw", "vblendps", "vblendpd", "vpblendvb", "vblendvps", "vblendvpd", "vpslldq", "vpsrldq", "vpmuludq", "vpmuldq"];
const SHIFT: Record<string, [number, number, boolean]> = {};
for (const [k, v] of Object.entries(SSE_SHIFT)) SHIFT["v" + k] = v;

/** Keys with a compiled form here (none of them touches the flags). */
export const AVX_COMPILED = new Set([...Object.keys(BINARY), ...ANDN, ...Object.keys(UNARY), ...Object.keys(UNPACK), ...Object.keys(WIDEN), ...Object.keys(SHIFT), ...OTHER, ...AVX_FP_KEYS]);
for (const k of AVX_COMPILED) SSE_COMPILED.add(k);

// ---- operands ------------------------------------------------------------------------

/** Read `bytes` at L_EA (already computed) into scratch slot SA (and SA + HI for 32); smaller reads zero-extend into SA. */
function loadScratch(g: Gen, bytes: number): void {
  const c = g.c;
  if (bytes >= 16) {
    g.memRead(16);
    c.set(L_Y);
    if (bytes === 32) {
      c.get(L_EA);
      c.i64(16, 0);
      c.op(OP.i64_add);
      c.set(L_EA);
      g.memRead(16);
      c.set(L_X);
      g.writeXmm(SA + HI, L_X);
    }
    g.writeXmm(SA, L_Y);
    return;
  }
  g.memRead(bytes);
  c.set(L_V);
  c.i32(0);
  c.get(L_V);
  c.mem(OP.i64_store, XMM(SA));
  c.i32(0);
  c.i64(0, 0);
  c.mem(OP.i64_store, XMM(SA) + 8);
}

/** The slot of vector source operand k: its register, or SA after reading the memory operand there. */
function srcSlot(g: Gen, i: Insn, kind: number, reg: number, size: number): number {
  if (kind === K_XMM) return reg;
  g.ea(i);
  loadScratch(g, size);
  return SA;
}

function zeroUpper(g: Gen, d: number): void {
  const c = g.c;
  c.i32(0);
  c.i64(0, 0);
  c.simd(SIMD.i64x2_splat);
  c.simdMem(SIMD.v128_store, XMM(d + HI));
}

/**
 * Write the result lanes of destination d: `lane(h)` pushes lane h as a
 * v128 (reading register slots only). The upper lane (256-bit) is computed
 * before anything is written; VEX.128 zeroes the upper half.
 */
function result(g: Gen, d: number, wide: boolean, lane: (h: number) => void): void {
  const c = g.c;
  if (wide) {
    lane(1);
    c.set(L_X);
  }
  lane(0);
  c.set(L_Y);
  g.writeXmm(d, L_Y);
  if (wide) g.writeXmm(d + HI, L_X);
  else zeroUpper(g, d);
}

/** Byte lanes selecting elements of `bytes` bytes: element k of the result is element sel[k] of (a: 0.., b: 16/bytes..). */
function elems(sel: number[], bytes: number): number[] {
  const lanes: number[] = [];
  for (const e of sel) for (let b = 0; b < bytes; b++) lanes.push(e * bytes + b);
  return lanes;
}

/** Two slots' v128s shuffled by element selection. */
function shuffle2(g: Gen, a: number, b: number, lanes: number[]): void {
  g.readXmm(a);
  g.readXmm(b);
  g.c.shuffle(lanes);
}

/** Element blend: result element k from b where bit k of mask, else from a (elements of `bytes`). */
function blendLanes(mask: number, n: number, bytes: number): number[] {
  const sel: number[] = [];
  for (let k = 0; k < n; k++) sel.push(mask & (1 << k) ? n + k : k);
  return elems(sel, bytes);
}

/** A 256-bit store crossing a page: the handler (nothing stored if either page faults). */
function crossingGuard(g: Gen): void {
  const c = g.c;
  c.get(L_EA);
  c.op(OP.i32_wrap_i64);
  c.i32(4095);
  c.op(OP.i32_and);
  c.i32(4096 - 32);
  c.op(OP.i32_gt_u);
}

function emitStore(g: Gen, i: Insn, aligned: boolean): boolean {
  const c = g.c;
  const wide = i.s0 === 32;
  g.ea(i);
  if (aligned) alignCheck(g, wide ? 31 : 15);
  if (!wide) {
    g.readXmm(i.r1);
    c.set(L_Y);
    g.memWrite(16, L_Y);
    return true;
  }
  if (!aligned) {
    crossingGuard(g);
    c.open(OP.if);
    g.fallback();
    c.op(OP.else);
  }
  g.readXmm(i.r1);
  c.set(L_Y);
  g.readXmm(i.r1 + HI);
  c.set(L_X);
  g.memWrite(16, L_Y);
  c.get(L_EA);
  c.i64(16, 0);
  c.op(OP.i64_add);
  c.set(L_EA);
  g.memWrite(16, L_X);
  if (!aligned) c.close();
  return true;
}

/** Push element 0 (of `bytes` bytes) of slot s as i32 (bytes < 8) or i64, then splat it. */
function splatSlot(g: Gen, s: number, bytes: number): void {
  const c = g.c;
  c.i32(0);
  c.mem(bytes === 1 ? OP.i32_load8_u : bytes === 2 ? I32_LOAD16_U : bytes === 4 ? OP.i32_load : OP.i64_load, XMM(s));
  c.simd(bytes === 1 ? V.i8x16_splat : bytes === 2 ? V.i16x8_splat : bytes === 4 ? V.i32x4_splat : V.i64x2_splat);
}

/** Mnemonics the tier has met without an inline form here (they call their handler): for tests and tuning. */
export const AVX_NOT_INLINED = new Set<string>();

export function emitAvx(g: Gen, i: Insn, key: string): boolean {
  if (emitAvx1(g, i, key)) return true;
  AVX_NOT_INLINED.add(i.mnem);
  return false;
}

function emitAvx1(g: Gen, i: Insn, key: string): boolean {
  const c = g.c;
  const wide = i.vexL !== 0;
  if (key === "vmovu" || key === "vmova") {
    const aligned = key === "vmova";
    if (i.k0 === K_MEM && i.k1 === K_XMM) return emitStore(g, i, aligned);
    if (i.k0 !== K_XMM) return false;
    if (i.k1 === K_MEM) {
      g.ea(i);
      if (aligned) alignCheck(g, wide ? 31 : 15);
      loadScratch(g, wide ? 32 : 16);
      result(g, i.r0, wide, (h) => g.readXmm(SA + h * HI));
      return true;
    }
    if (i.k1 !== K_XMM) return false;
    result(g, i.r0, wide, (h) => g.readXmm(i.r1 + h * HI));
    return true;
  }
  if (AVX_FP_KEYS.has(key)) return emitAvxFp(g, i, key, { srcSlot, result, zeroUpper });
  const bin = BINARY[key];
  const andn = ANDN.has(key);
  const up = UNPACK[key];
  if (bin !== undefined || andn || up !== undefined || key === "vpshufb" || key === "vpmuludq" || key === "vpmuldq") {
    if (i.k0 !== K_XMM || i.k1 !== K_XMM || (i.k2 !== K_XMM && i.k2 !== K_MEM)) return false;
    const b = srcSlot(g, i, i.k2, i.r2, i.s2);
    const a = i.r1;
    let lanes: number[] = [];
    if (up !== undefined) {
      const [e, high] = up;
      const start = high ? 8 : 0;
      for (let k = 0; k < 8 / e; k++) {
        for (let x = 0; x < e; x++) lanes.push(start + k * e + x);
        for (let x = 0; x < e; x++) lanes.push(16 + start + k * e + x);
      }
    }
    result(g, i.r0, wide, (h) => {
      const sa = a + h * HI;
      const sb = b + h * HI;
      if (up !== undefined) shuffle2(g, sa, sb, lanes);
      else if (andn) {
        g.readXmm(sb);
        g.readXmm(sa);
        c.simd(SIMD.v128_andnot); // src2 & ~src1
      } else if (key === "vpshufb") {
        // x86: index bit 7 gives 0, else its low four bits; swizzle gives 0 for any index >= 16
        g.readXmm(sa);
        g.readXmm(sb);
        c.i32(0x8f);
        c.simd(V.i8x16_splat);
        c.simd(SIMD.v128_and);
        c.simd(V.swizzle);
      } else if (key === "vpmuludq" || key === "vpmuldq") {
        // products of the low doublewords of each quadword, zero- or sign-extended
        for (const s of [sa, sb]) {
          g.readXmm(s);
          if (key === "vpmuludq") {
            c.i64(-1, 0);
            c.simd(V.i64x2_splat);
            c.simd(SIMD.v128_and);
          } else {
            c.i32(32);
            c.simd(SIMD.i64x2_shl);
            c.i32(32);
            c.simd(SIMD.i64x2_shr_s);
          }
        }
        c.simd(V.i64x2_mul);
      } else {
        g.readXmm(sa);
        g.readXmm(sb);
        c.simd(bin);
      }
    });
    return true;
  }
  const un = UNARY[key];
  if (un !== undefined) {
    if (i.k0 !== K_XMM || (i.k1 !== K_XMM && i.k1 !== K_MEM)) return false;
    const s = srcSlot(g, i, i.k1, i.r1, i.s1);
    result(g, i.r0, wide, (h) => {
      g.readXmm(s + h * HI);
      c.simd(un);
    });
    return true;
  }
  const sh = SHIFT[key];
  if (sh !== undefined) {
    // shifts by an immediate (vvvv is the destination); shifts by a register count use the handler
    if (i.k0 !== K_XMM || i.k1 !== K_XMM || i.k2 !== K_IMM) return false;
    const [bits, op, arith] = sh;
    const n = i.imm & 0xff;
    result(g, i.r0, wide, (h) => {
      if (n >= bits && !arith) {
        c.i64(0, 0);
        c.simd(SIMD.i64x2_splat);
      } else {
        g.readXmm(i.r1 + h * HI);
        c.i32(Math.min(n, bits - 1));
        c.simd(op);
      }
    });
    return true;
  }
  const w = WIDEN[key];
  if (w !== undefined) {
    if (i.k0 !== K_XMM || (i.k1 !== K_XMM && i.k1 !== K_MEM)) return false;
    const [signed, from, to] = w;
    const s = srcSlot(g, i, i.k1, i.r1, i.s1);
    const ext = signed ? EXT_S : EXT_U;
    result(g, i.r0, wide, (h) => {
      g.readXmm(s);
      // all steps but the last take the low half; the last takes the half of lane h
      for (let k = from; k < to - 1; k++) c.simd(ext[k][0]);
      c.simd(ext[to - 1][h]);
    });
    return true;
  }
  switch (key) {
    case "vmovd":
    case "vmovq":
      if (wide || !emitSse(g, i, key.slice(1))) return false;
      if (i.k0 === K_XMM) zeroUpper(g, i.r0);
      return true;
    case "vmovss":
    case "vmovsd": {
      const bytes = key === "vmovss" ? 4 : 8;
      if (i.k0 === K_XMM && i.k1 === K_MEM) {
        g.ea(i);
        loadScratch(g, bytes);
        result(g, i.r0, false, () => g.readXmm(SA));
        return true;
      }
      if (i.k0 === K_MEM && i.k1 === K_XMM) {
        c.i32(0);
        c.mem(bytes === 4 ? OP.i64_load32_u : OP.i64_load, XMM(i.r1));
        c.set(L_V);
        g.ea(i);
        g.memWrite(bytes, L_V);
        return true;
      }
      if (i.k0 === K_XMM && i.k1 === K_XMM && i.k2 === K_XMM) {
        const lanes: number[] = [];
        for (let k = 0; k < 16; k++) lanes.push(k < bytes ? 16 + k : k);
        result(g, i.r0, false, () => shuffle2(g, i.r1, i.r2, lanes));
        return true;
      }
      return false;
    }
    case "vpmovmskb":
    case "vmovmskps":
    case "vmovmskpd": {
      if (i.k0 !== K_REG || i.k1 !== K_XMM) return false;
      const [op, n] = key === "vpmovmskb" ? [SIMD.i8x16_bitmask, 16] : key === "vmovmskps" ? [V.i32x4_bitmask, 4] : [V.i64x2_bitmask, 2];
      g.readXmm(i.r1);
      c.simd(op);
      if (wide) {
        g.readXmm(i.r1 + HI);
        c.simd(op);
        c.i32(n);
        c.op(OP.i32_shl);
        c.op(OP.i32_or);
      }
      c.op(OP.i64_extend_i32_u);
      c.set(L_V);
      g.writeReg(i.r0, i.s0 === 8 ? 8 : 4, L_V);
      return true;
    }
    case "vzeroupper":
      if (wide) return false; // vzeroall: the handler
      for (let n = 0; n < 16; n++) zeroUpper(g, n);
      return true;
    case "vbroadcast": {
      // element of s1 bytes (16: a 128-bit memory operand) into every element
      if (i.k0 !== K_XMM || (i.k1 !== K_XMM && i.k1 !== K_MEM)) return false;
      const bytes = i.s1;
      const s = srcSlot(g, i, i.k1, i.r1, bytes);
      result(g, i.r0, wide, () => (bytes === 16 ? g.readXmm(s) : splatSlot(g, s, bytes)));
      return true;
    }
    case "vextract128": {
      if (i.k1 !== K_XMM || i.k2 !== K_IMM) return false;
      const s = i.r1 + (i.imm & 1) * HI;
      if (i.k0 === K_XMM) {
        result(g, i.r0, false, () => g.readXmm(s));
        return true;
      }
      if (i.k0 !== K_MEM) return false;
      g.readXmm(s);
      c.set(L_Y);
      g.ea(i);
      g.memWrite(16, L_Y);
      return true;
    }
    case "vinsert128": {
      if (i.k0 !== K_XMM || i.k1 !== K_XMM || (i.k2 !== K_XMM && i.k2 !== K_MEM) || i.k3 !== K_IMM) return false;
      const b = srcSlot(g, i, i.k2, i.r2, 16);
      const at = i.imm & 1;
      result(g, i.r0, true, (h) => g.readXmm(h === at ? b : i.r1 + h * HI));
      return true;
    }
    case "vperm2": {
      if (!wide || i.k0 !== K_XMM || i.k1 !== K_XMM || (i.k2 !== K_XMM && i.k2 !== K_MEM) || i.k3 !== K_IMM) return false;
      const b = srcSlot(g, i, i.k2, i.r2, 32);
      const imm = i.imm;
      result(g, i.r0, true, (h) => {
        const sel = (imm >> (4 * h)) & 15;
        if (sel & 8) {
          c.i64(0, 0);
          c.simd(SIMD.i64x2_splat);
        } else g.readXmm((sel & 2 ? b : i.r1) + (sel & 1) * HI);
      });
      return true;
    }
    case "vpermq": {
      if (!wide || i.k0 !== K_XMM || (i.k1 !== K_XMM && i.k1 !== K_MEM) || i.k2 !== K_IMM) return false;
      const s = srcSlot(g, i, i.k1, i.r1, 32);
      const imm = i.imm;
      result(g, i.r0, true, (h) => shuffle2(g, s, s + HI, elems([(imm >> (4 * h)) & 3, (imm >> (4 * h + 2)) & 3], 8)));
      return true;
    }
    case "vpshufd":
    case "vpermilimm":
    case "vpshufhw":
    case "vpshuflw": {
      // one source, an immediate selection inside each lane
      if (i.k0 !== K_XMM || (i.k1 !== K_XMM && i.k1 !== K_MEM) || i.k2 !== K_IMM) return false;
      const s = srcSlot(g, i, i.k1, i.r1, i.s1);
      const imm = i.imm & 0xff;
      result(g, i.r0, wide, (h) => {
        let lanes: number[];
        if (key === "vpermilimm" && i.opcode === 0x05) lanes = elems([(imm >> (2 * h)) & 1, (imm >> (2 * h + 1)) & 1], 8);
        else if (key === "vpshufhw" || key === "vpshuflw") {
          const sel = [0, 1, 2, 3, 4, 5, 6, 7];
          const o = key === "vpshufhw" ? 4 : 0;
          for (let k = 0; k < 4; k++) sel[o + k] = o + ((imm >> (2 * k)) & 3);
          lanes = elems(sel, 2);
        } else lanes = elems([imm & 3, (imm >> 2) & 3, (imm >> 4) & 3, (imm >> 6) & 3], 4);
        shuffle2(g, s + h * HI, s + h * HI, lanes);
      });
      return true;
    }
    case "vshufps":
    case "vshufpd":
    case "vpalignr":
    case "vpblendd":
    case "vpblendw":
    case "vblendps":
    case "vblendpd": {
      // two sources, an immediate selection inside each lane
      if (i.k0 !== K_XMM || i.k1 !== K_XMM || (i.k2 !== K_XMM && i.k2 !== K_MEM) || i.k3 !== K_IMM) return false;
      const b = srcSlot(g, i, i.k2, i.r2, i.s2);
      const a = i.r1;
      const imm = i.imm & 0xff;
      result(g, i.r0, wide, (h) => {
        let lanes: number[];
        switch (key) {
          case "vshufps":
            lanes = elems([imm & 3, (imm >> 2) & 3, 4 + ((imm >> 4) & 3), 4 + ((imm >> 6) & 3)], 4);
            break;
          case "vshufpd":
            lanes = elems([(imm >> (2 * h)) & 1, 2 + ((imm >> (2 * h + 1)) & 1)], 8);
            break;
          case "vpalignr":
            // bytes imm.. of the 32-byte src1:src2 (src2 low), zeros past the end
            if (imm >= 16) {
              lanes = [];
              for (let k = 0; k < 16; k++) lanes.push(k + imm - 16 < 16 ? k + imm - 16 : 16);
              g.readXmm(a + h * HI);
              c.i64(0, 0);
              c.simd(SIMD.i64x2_splat);
              c.shuffle(lanes);
              return;
            }
            lanes = [];
            for (let k = 0; k < 16; k++) lanes.push(k + imm);
            shuffle2(g, b + h * HI, a + h * HI, lanes);
            return;
          case "vpblendw":
            lanes = blendLanes(imm, 8, 2);
            break;
          case "vpblendd":
          case "vblendps":
            lanes = blendLanes(imm >> (4 * h), 4, 4);
            break;
          default:
            lanes = blendLanes(imm >> (2 * h), 2, 8);
        }
        shuffle2(g, a + h * HI, b + h * HI, lanes);
      });
      return true;
    }
    case "vpblendvb":
    case "vblendvps":
    case "vblendvpd": {
      if (i.k0 !== K_XMM || i.k1 !== K_XMM || (i.k2 !== K_XMM && i.k2 !== K_MEM) || i.k3 !== K_XMM) return false;
      const b = srcSlot(g, i, i.k2, i.r2, i.s2);
      const bits = key === "vpblendvb" ? 8 : key === "vblendvps" ? 32 : 64;
      result(g, i.r0, wide, (h) => {
        g.readXmm(b + h * HI);
        g.readXmm(i.r1 + h * HI);
        g.readXmm(i.r3 + h * HI);
        c.i32(bits - 1);
        c.simd(bits === 8 ? V.i8x16_shr_s : bits === 32 ? SIMD.i32x4_shr_s : SIMD.i64x2_shr_s);
        c.simd(V.v128_bitselect); // mask ? src2 : src1
      });
      return true;
    }
    case "vpslldq":
    case "vpsrldq": {
      if (i.k0 !== K_XMM || i.k1 !== K_XMM || i.k2 !== K_IMM) return false;
      const n = Math.min(i.imm & 0xff, 16);
      const lanes: number[] = [];
      for (let k = 0; k < 16; k++) {
        const from = key === "vpslldq" ? k - n : k + n;
        lanes.push(from >= 0 && from < 16 ? from : 16);
      }
      result(g, i.r0, wide, (h) => {
        g.readXmm(i.r1 + h * HI);
        c.i64(0, 0);
        c.simd(SIMD.i64x2_splat);
        c.shuffle(lanes);
      });
      return true;
    }
  }
  return false;
}
