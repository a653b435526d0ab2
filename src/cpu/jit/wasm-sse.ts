/** SSE instructions with WebAssembly SIMD forms (xmm registers in linear memory). */
import { K_IMM, K_MEM, K_REG, K_XMM, type Insn } from "../../decoder/insn.js";
import { OP, SIMD } from "./wasm-enc.js";
import { F_CALL, L_CNT, L_EA, L_V, L_X, L_Y, XMM } from "./wasm-abi.js";
import type { Gen } from "./wasm-gen.js";

/** SSE instructions with WebAssembly forms (none touches the flags). */
export const SSE_COMPILED = new Set(["movdqa", "movaps", "movapd", "movdqu", "movups", "movupd", "pandn", "andnps", "andnpd", "pslldq", "psrldq", "pshufd", "pmovmskb", "movq", "movd"]);

/** 128-bit moves whose memory operand must be 16-byte aligned. */
export const SSE_MOV_ALIGNED = new Set(["movdqa", "movaps", "movapd"]);
export const SSE_MOV_UNALIGNED = new Set(["movdqu", "movups", "movupd"]);
/** Lane-wise operations xmm, xmm/m128 (memory aligned) -> one SIMD op (andn: not(dest) and src). */
export const SSE_BINARY: Record<string, number> = {
  pxor: SIMD.v128_xor,
  xorps: SIMD.v128_xor,
  xorpd: SIMD.v128_xor,
  por: SIMD.v128_or,
  orps: SIMD.v128_or,
  orpd: SIMD.v128_or,
  pand: SIMD.v128_and,
  andps: SIMD.v128_and,
  andpd: SIMD.v128_and,
  paddb: SIMD.i8x16_add,
  paddw: SIMD.i16x8_add,
  paddd: SIMD.i32x4_add,
  paddq: SIMD.i64x2_add,
  psubb: SIMD.i8x16_sub,
  psubw: SIMD.i16x8_sub,
  psubd: SIMD.i32x4_sub,
  psubq: SIMD.i64x2_sub,
  pcmpeqb: SIMD.i8x16_eq,
  pcmpeqw: SIMD.i16x8_eq,
  pcmpeqd: SIMD.i32x4_eq,
};
export const SSE_ANDN = new Set(["pandn", "andnps", "andnpd"]);
/** Shifts by an immediate: [lane bits, op, arithmetic]. */
export const SSE_SHIFT: Record<string, [number, number, boolean]> = {
  psllw: [16, SIMD.i16x8_shl, false],
  pslld: [32, SIMD.i32x4_shl, false],
  psllq: [64, SIMD.i64x2_shl, false],
  psrlw: [16, SIMD.i16x8_shr_u, false],
  psrld: [32, SIMD.i32x4_shr_u, false],
  psrlq: [64, SIMD.i64x2_shr_u, false],
  psraw: [16, SIMD.i16x8_shr_s, true],
  psrad: [32, SIMD.i32x4_shr_s, true],
};
/** Interleaves: [element bytes, high half]. */
export const SSE_UNPACK: Record<string, [number, boolean]> = {
  punpcklbw: [1, false],
  punpcklwd: [2, false],
  punpckldq: [4, false],
  punpcklqdq: [8, false],
  punpckhbw: [1, true],
  punpckhwd: [2, true],
  punpckhdq: [4, true],
  punpckhqdq: [8, true],
};

for (const t of [SSE_BINARY, SSE_SHIFT, SSE_UNPACK]) for (const k of Object.keys(t)) SSE_COMPILED.add(k);

/** Source operand 1 (xmm or m128) into L_Y; false (nothing emitted) when it is neither. */
export function sseSource(g: Gen, i: Insn, aligned: boolean): boolean {
  const c = g.c;
  if (i.k1 === K_XMM) {
    g.readXmm(i.r1);
    c.set(L_Y);
    return true;
  }
  if (i.k1 !== K_MEM) return false;
  g.ea(i);
  if (aligned) alignCheck(g);
  g.memRead(16);
  c.set(L_Y);
  return true;
}

/** A misaligned m128 (m256: mask 31): the interpreter's handler raises the fault. */
export function alignCheck(g: Gen, mask = 15): void {
  const c = g.c;
  c.get(L_EA);
  c.op(OP.i32_wrap_i64);
  c.i32(mask);
  c.op(OP.i32_and);
  c.open(OP.if);
  g.materialize(false);
  g.spillRegs();
  c.i32(g.id);
  c.get(L_CNT);
  c.call(F_CALL);
  c.op(OP.drop);
  g.ret(g.k); // not reached: the handler throws
  c.close();
}

/** The SSE instructions with a direct WebAssembly SIMD form (xmm operands only; MMX forms use the handlers). */
export function emitSse(g: Gen, i: Insn, key: string): boolean {
  const c = g.c;
  if (i.k0 !== K_XMM && !(i.k0 === K_MEM && i.k1 === K_XMM) && key !== "pmovmskb" && key !== "movd") return false;
  const aligned = SSE_MOV_ALIGNED.has(key);
  if (aligned || SSE_MOV_UNALIGNED.has(key)) {
    if (i.k0 === K_XMM) {
      if (!sseSource(g, i, aligned)) return false;
      g.writeXmm(i.r0, L_Y);
    } else {
      g.readXmm(i.r1);
      c.set(L_Y);
      g.ea(i);
      if (aligned) alignCheck(g);
      g.memWrite(16, L_Y);
    }
    return true;
  }
  const bin = SSE_BINARY[key];
  if (bin !== undefined || SSE_ANDN.has(key)) {
    if (i.k0 !== K_XMM || !sseSource(g, i, true)) return false;
    if (bin !== undefined) {
      g.readXmm(i.r0);
      c.get(L_Y);
      c.simd(bin);
    } else {
      c.get(L_Y);
      g.readXmm(i.r0);
      c.simd(SIMD.v128_andnot); // a & ~b
    }
    c.set(L_X);
    g.writeXmm(i.r0, L_X);
    return true;
  }
  const sh = SSE_SHIFT[key];
  if (sh !== undefined) {
    if (i.k0 !== K_XMM || i.k1 !== K_IMM) return false;
    const [bits, op, arith] = sh;
    const n = i.imm & 0xff;
    if (n >= bits && !arith) {
      c.i64(0, 0);
      c.simd(SIMD.i64x2_splat);
    } else {
      g.readXmm(i.r0);
      c.i32(Math.min(n, bits - 1));
      c.simd(op);
    }
    c.set(L_X);
    g.writeXmm(i.r0, L_X);
    return true;
  }
  const up = SSE_UNPACK[key];
  if (up !== undefined) {
    if (i.k0 !== K_XMM || !sseSource(g, i, true)) return false;
    const [e, high] = up;
    const lanes: number[] = [];
    const start = high ? 8 : 0;
    for (let k = 0; k < 8 / e; k++) {
      for (let b = 0; b < e; b++) lanes.push(start + k * e + b);
      for (let b = 0; b < e; b++) lanes.push(16 + start + k * e + b);
    }
    g.readXmm(i.r0);
    c.get(L_Y);
    c.shuffle(lanes);
    c.set(L_X);
    g.writeXmm(i.r0, L_X);
    return true;
  }
  switch (key) {
    case "pslldq":
    case "psrldq": {
      if (i.k0 !== K_XMM || i.k1 !== K_IMM) return false;
      const n = Math.min(i.imm & 0xff, 16);
      // bytes from (value, zero): left shift moves byte k to k+n
      const lanes: number[] = [];
      for (let k = 0; k < 16; k++) {
        const from = key === "pslldq" ? k - n : k + n;
        lanes.push(from >= 0 && from < 16 ? from : 16);
      }
      g.readXmm(i.r0);
      c.i64(0, 0);
      c.simd(SIMD.i64x2_splat);
      c.shuffle(lanes);
      c.set(L_X);
      g.writeXmm(i.r0, L_X);
      return true;
    }
    case "pshufd": {
      if (i.k0 !== K_XMM || !sseSource(g, i, true)) return false;
      const imm = i.imm & 0xff;
      const lanes: number[] = [];
      for (let k = 0; k < 4; k++) for (let b = 0; b < 4; b++) lanes.push(((imm >> (2 * k)) & 3) * 4 + b);
      c.get(L_Y);
      c.get(L_Y);
      c.shuffle(lanes);
      c.set(L_X);
      g.writeXmm(i.r0, L_X);
      return true;
    }
    case "pmovmskb": {
      if (i.k0 !== K_REG || i.k1 !== K_XMM) return false;
      g.readXmm(i.r1);
      c.simd(SIMD.i8x16_bitmask);
      c.op(OP.i64_extend_i32_u);
      c.set(L_V);
      g.writeReg(i.r0, i.s0 === 8 ? 8 : 4, L_V);
      return true;
    }
    case "movq": {
      // movq xmm, xmm/m64 (upper half zeroed) and movq xmm/m64, xmm
      if (i.k0 === K_XMM && (i.k1 === K_XMM || i.k1 === K_MEM)) {
        if (i.k1 === K_XMM) {
          c.i32(0);
          c.mem(OP.i64_load, XMM(i.r1));
        } else {
          g.ea(i);
          g.memRead(8);
        }
        c.set(L_V);
        zeroXmmWith64(g, i.r0, L_V);
        return true;
      }
      if (i.k0 === K_MEM && i.k1 === K_XMM) {
        c.i32(0);
        c.mem(OP.i64_load, XMM(i.r1));
        c.set(L_V);
        g.ea(i);
        g.memWrite(8, L_V);
        return true;
      }
      return false;
    }
    case "movd": {
      // movd/movq xmm, r/m32/64 (zero-extended) and r/m32/64, xmm
      if (i.k0 === K_XMM && (i.k1 === K_REG || i.k1 === K_MEM)) {
        const s = i.s1 === 8 ? 8 : 4;
        g.readOp(i, i.k1, i.r1, s);
        c.set(L_V);
        zeroXmmWith64(g, i.r0, L_V);
        return true;
      }
      if ((i.k0 === K_REG || i.k0 === K_MEM) && i.k1 === K_XMM) {
        const s = i.s0 === 8 ? 8 : 4;
        c.i32(0);
        c.mem(s === 8 ? OP.i64_load : OP.i64_load32_u, XMM(i.r1));
        c.set(L_V);
        g.writeOp0(i, s, L_V, false);
        return true;
      }
      return false;
    }
  }
  return false;
}

/** xmm n = zero-extended 64-bit local v. */
export function zeroXmmWith64(g: Gen, n: number, v: number): void {
  const c = g.c;
  c.i32(0);
  c.get(v);
  c.mem(OP.i64_store, XMM(n));
  c.i32(0);
  c.i64(0, 0);
  c.mem(OP.i64_store, XMM(n) + 8);
}
