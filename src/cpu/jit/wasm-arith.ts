/** Multiply, divide and shifts in WebAssembly (with their flag records). */
import { type Insn } from "../../decoder/insn.js";
import { F_RES } from "../flags.js";
import { I32, OP } from "./wasm-enc.js";
import { L_A, L_B, L_FR, L_R, L_T, L_V } from "./wasm-abi.js";
import type { Gen } from "./wasm-gen.js";

/** Push i32: the signed 64-bit product L_A * L_B (low half in L_FR) overflowed. */
export function mulOverflow64(g: Gen): void {
  const c = g.c;
  // a == -1: overflow iff b == MIN; a == 0: never; else r / a != b
  c.get(L_A);
  c.i64(-1, -1);
  c.op(OP.i64_eq);
  c.op(OP.if);
  c.byte(I32);
  c.depth++;
  c.get(L_B);
  c.i64(0, 0x80000000 | 0);
  c.op(OP.i64_eq);
  c.op(OP.else);
  c.get(L_A);
  c.op(OP.i64_eqz);
  c.op(OP.if);
  c.byte(I32);
  c.depth++;
  c.i32(0);
  c.op(OP.else);
  c.get(L_FR);
  c.get(L_A);
  c.op(OP.i64_div_s);
  c.get(L_B);
  c.op(OP.i64_ne);
  c.close();
  c.close();
}

/** High 64 bits of the unsigned product L_A * L_B into L_T (from 32-bit partial products). */
export function mulHighU64(g: Gen): void {
  const c = g.c;
  const lo32 = (l: number) => {
    c.get(l);
    c.i64(-1, 0);
    c.op(OP.i64_and);
  };
  const hi32 = (l: number) => {
    c.get(l);
    c.i64(32, 0);
    c.op(OP.i64_shr_u);
  };
  // t = lo(a)*lo(b); mid1 = hi(a)*lo(b) + (t >> 32); mid2 = lo(a)*hi(b) + lo(mid1)
  lo32(L_A);
  lo32(L_B);
  c.op(OP.i64_mul);
  c.set(L_T);
  hi32(L_A);
  lo32(L_B);
  c.op(OP.i64_mul);
  hi32(L_T);
  c.op(OP.i64_add);
  c.set(L_R); // mid1 (cannot overflow)
  lo32(L_A);
  hi32(L_B);
  c.op(OP.i64_mul);
  lo32(L_R);
  c.op(OP.i64_add);
  c.set(L_V); // mid2
  // high = hi(a)*hi(b) + (mid1 >> 32) + (mid2 >> 32)
  hi32(L_A);
  hi32(L_B);
  c.op(OP.i64_mul);
  hi32(L_R);
  c.op(OP.i64_add);
  hi32(L_V);
  c.op(OP.i64_add);
  c.set(L_T);
}

/** mul/imul with one operand (32/64-bit): rdx:rax = rax * src; CF=OF when the high half is significant. */
export function emitMul(g: Gen, i: Insn, signed: boolean): void {
  const c = g.c;
  const size = i.s0;
  g.readOp(i, i.k0, i.r0, size);
  if (size === 4 && signed) c.op(OP.i64_extend32_s);
  c.set(L_B);
  g.readReg(0, size);
  if (size === 4 && signed) c.op(OP.i64_extend32_s);
  c.set(L_A);
  c.get(L_A);
  c.get(L_B);
  c.op(OP.i64_mul);
  c.set(L_FR);
  if (size === 4) {
    // the exact product fits in 64 bits
    c.get(L_FR);
    c.i64(32, 0);
    c.op(OP.i64_shr_u);
    c.set(L_T);
  } else {
    mulHighU64(g);
    if (signed) {
      // high_s = high_u - (a < 0 ? b : 0) - (b < 0 ? a : 0)
      for (const [x, y] of [
        [L_A, L_B],
        [L_B, L_A],
      ]) {
        c.get(L_T);
        c.get(y);
        c.get(x);
        c.i64(63, 0);
        c.op(OP.i64_shr_s);
        c.op(OP.i64_and);
        c.op(OP.i64_sub);
        c.set(L_T);
      }
    }
  }
  g.writeReg(0, size, L_FR);
  g.writeReg(2, size, L_T);
  if (!g.dead) {
    // overflow: high half is not the extension of the low half
    c.get(L_T);
    if (size === 4) {
      c.i64(-1, 0);
      c.op(OP.i64_and);
    }
    if (signed) {
      c.get(L_FR);
      if (size === 4) c.op(OP.i64_extend32_s);
      c.i64(63, 0);
      c.op(OP.i64_shr_s);
      if (size === 4) {
        c.i64(-1, 0);
        c.op(OP.i64_and);
      }
      c.op(OP.i64_ne);
    } else {
      c.i64(0, 0);
      c.op(OP.i64_ne);
    }
    overflowRecord(g, size);
  }
}

/** The flag record of a multiply: CF = OF = the i32 on the stack; the rest from the low half in L_FR. */
export function overflowRecord(g: Gen, size: number): void {
  const c = g.c;
  c.op(OP.i64_extend_i32_u);
  c.i64(0x801, 0);
  c.op(OP.i64_mul);
  c.set(L_V);
  g.setPending(F_RES, size, "local");
}

/**
 * div/idiv (32/64-bit) when the quotient certainly fits (64-bit: rdx is the
 * extension of rax; 32-bit: the quotient is checked); otherwise, or for a zero
 * divisor, the handler (128-bit division, #DE).
 */
export function emitDiv(g: Gen, i: Insn, signed: boolean): void {
  const c = g.c;
  const size = i.s0;
  g.readOp(i, i.k0, i.r0, size);
  if (size === 4 && signed) c.op(OP.i64_extend32_s);
  c.set(L_B);
  // dividend into L_A
  if (size === 8) {
    g.readReg(0, 8);
    c.set(L_A);
  } else {
    g.readReg(2, 4);
    c.i64(32, 0);
    c.op(OP.i64_shl);
    g.readReg(0, 4);
    c.op(OP.i64_or);
    c.set(L_A);
  }
  // fast-path condition (i32)
  c.get(L_B);
  c.op(OP.i64_eqz);
  c.op(OP.i32_eqz); // divisor != 0
  c.get(L_B);
  c.i64(-1, -1);
  c.op(OP.i64_ne); // and (signed) != -1
  if (signed) c.op(OP.i32_and);
  else c.op(OP.drop);
  if (size === 8) {
    // rdx is the extension of rax
    g.readReg(2, 8);
    if (signed) {
      c.get(L_A);
      c.i64(63, 0);
      c.op(OP.i64_shr_s);
    } else c.i64(0, 0);
    c.op(OP.i64_eq);
    c.op(OP.i32_and);
  }
  c.open(OP.if);
  c.get(L_A);
  c.get(L_B);
  c.op(signed ? OP.i64_div_s : OP.i64_div_u);
  c.set(L_V);
  if (size === 4) {
    // the quotient must fit in 32 bits
    c.get(L_V);
    if (signed) {
      c.op(OP.i64_extend32_s);
      c.get(L_V);
      c.op(OP.i64_ne);
    } else {
      c.i64(32, 0);
      c.op(OP.i64_shr_u);
      c.i64(0, 0);
      c.op(OP.i64_ne);
    }
    c.open(OP.if);
    g.fallback();
    c.op(OP.else);
    divStore(g, size, signed);
    c.close();
  } else divStore(g, size, signed);
  c.op(OP.else);
  g.fallback();
  c.close();
  g.kOp = 0;
}

export function divStore(g: Gen, size: number, signed: boolean): void {
  const c = g.c;
  c.get(L_A);
  c.get(L_B);
  c.op(signed ? OP.i64_rem_s : OP.i64_rem_u);
  c.set(L_T);
  g.writeReg(0, size, L_V);
  g.writeReg(2, size, L_T);
}

/**
 * The flag record of a shift by a nonzero count (constant, or L_B): CF = the
 * last bit out, OF = MSB(result) ^ CF for shl, MSB(original) for shr, 0 for
 * sar (the interpreter computes OF alike for every count). L_A holds the
 * original (sign-extended for sar), L_FR the result.
 */
export function shiftFlags(g: Gen, key: string, size: number, cnt: number | null): void {
  const c = g.c;
  const bits = size * 8;
  const left = key === "shl" || key === "sal";
  c.get(L_A);
  if (cnt !== null) c.i64(left ? bits - cnt : cnt - 1, 0);
  else if (left) {
    c.i64(bits, 0);
    c.get(L_B);
    c.op(OP.i64_sub);
  } else {
    c.get(L_B);
    c.i64(1, 0);
    c.op(OP.i64_sub);
  }
  c.op(OP.i64_shr_u);
  c.i64(1, 0);
  c.op(OP.i64_and);
  c.set(L_V);
  if (key !== "sar") {
    c.get(left ? L_FR : L_A);
    c.i64(bits - 1, 0);
    c.op(OP.i64_shr_u);
    if (left) {
      c.get(L_V);
      c.op(OP.i64_xor);
    }
    c.i64(1, 0);
    c.op(OP.i64_and);
    c.i64(11, 0);
    c.op(OP.i64_shl);
    c.get(L_V);
    c.op(OP.i64_or);
    c.set(L_V);
  }
  g.setPending(F_RES, size, "local");
}

/** shl/shr/sar r32/r64, cl: nothing changes for a zero count (but a 32-bit register is still zero-extended). */
export function emitShiftCl(g: Gen, i: Insn, key: string): void {
  const c = g.c;
  const size = i.s0;
  const bits = size * 8;
  const left = key === "shl" || key === "sal";
  const n = i.r0;
  g.readReg(1, 1);
  c.i64(bits - 1, 0);
  c.op(OP.i64_and);
  c.set(L_B);
  g.readReg(n, size);
  if (key === "sar" && size === 4) c.op(OP.i64_extend32_s);
  c.set(L_A);
  c.get(L_A);
  c.get(L_B);
  c.op(left ? OP.i64_shl : key === "sar" ? OP.i64_shr_s : OP.i64_shr_u);
  // the result goes to L_R, not L_FR: with a zero count the pending record (fa/fb/fr) stays current
  c.set(L_R);
  g.writeReg(n, size, L_R);
  if (g.dead) return;
  c.get(L_B);
  c.op(OP.i64_eqz);
  c.op(OP.i32_eqz);
  c.open(OP.if);
  c.get(L_R);
  c.set(L_FR);
  shiftFlags(g, key, size, null);
  c.close();
}
