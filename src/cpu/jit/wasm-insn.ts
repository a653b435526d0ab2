/** The compiled forms of single instructions and of the branches that end blocks. */
import { ATTR_VEX, K_IMM, K_MEM, K_REG, type Insn } from "../../decoder/insn.js";
import { F_ADD, F_DEC, F_INC, F_LOGIC, F_SUB } from "../flags.js";
import { OP } from "./wasm-enc.js";
import { F_CF, L_AUXT, L_A, L_B, L_EA, L_FA, L_FB, L_FR, L_R, L_REG, L_T, L_V, keyOf } from "./wasm-abi.js";
import { emitDiv, emitMul, emitShiftCl, mulOverflow64, overflowRecord, shiftFlags } from "./wasm-arith.js";
import { CONDS, NEUTRAL, producerKind } from "./wasm-flags.js";
import { inlineCond, type Gen } from "./wasm-gen.js";
import { emitSse } from "./wasm-sse.js";
import { emitAvx } from "./wasm-avx.js";

/** Registers the compiled forms of these instructions may write (a superset). */
export function dirtyRegs(insns: Insn[]): number[] {
  let m = 0;
  for (const i of insns) {
    if (i.k0 === K_REG) m |= 1 << (i.s0 === 1 && i.r0 >= 16 ? i.r0 - 16 : i.r0);
    const k = keyOf(i);
    if (["push", "pop", "call", "calli", "ret"].includes(k)) m |= 1 << 4;
    if (["mul", "imul1", "div", "idiv", "cdq", "cqo", "cdqe"].includes(k)) m |= 1 | 4;
  }
  const out: number[] = [];
  for (let n = 0; n < 16; n++) if (m & (1 << n)) out.push(n);
  return out;
}

/** The branch ending a block (the count covers the whole block before the transfer). */
export function emitBranch(g: Gen, i: Insn, key: string): void {
  const c = g.c;
  switch (key) {
    case "jcc": {
      g.cond(i.opcode & 15);
      g.finishBlock();
      // the arm that continues in the next block of the layout falls through
      const fallTaken = i.target === g.nextAddr && i.next !== g.nextAddr;
      if (fallTaken) c.op(OP.i32_eqz);
      c.open(OP.if);
      g.goto(fallTaken ? i.next : i.target);
      if (fallTaken || i.next !== g.nextAddr) {
        if (!fallTaken) {
          c.op(OP.else);
          g.goto(i.next);
        }
      }
      c.close();
      if (fallTaken) g.goto(i.target);
      return;
    }
    case "jmp":
      g.finishBlock();
      g.goto(i.target);
      return;
    case "call":
    case "calli": {
      if (key === "calli") {
        if (i.s0 !== 8 || (i.k0 === K_MEM && i.asize !== 8)) break;
        g.readOp(i, i.k0, i.r0, 8);
        c.set(L_T);
        faultIfNonCanonical(g);
      }
      pushConst(g, i.next);
      g.finishBlock();
      if (key === "call") g.goto(i.target);
      else g.gotoDynamic();
      return;
    }
    case "jmpi":
      if (i.s0 !== 8) break;
      g.readOp(i, i.k0, i.r0, 8);
      c.set(L_T);
      faultIfNonCanonical(g);
      g.finishBlock();
      g.gotoDynamic();
      return;
    case "ret":
      // t = [rsp]; rsp += 8
      g.readReg(4, 8);
      c.set(L_EA);
      g.memRead(8);
      c.set(L_T);
      faultIfNonCanonical(g);
      g.c.get(L_EA);
      c.i64(8, 0);
      c.op(OP.i64_add);
      c.set(L_REG + 4);
      g.finishBlock();
      g.gotoDynamic();
      return;
  }
  // not compiled here: the interpreter runs the branch
  g.exitTo(i.addr, g.k);
}

/**
 * A non-canonical target in L_T is #GP at the branch, with nothing changed:
 * the interpreter's handler raises it (control.ts). (Canonical: t + 2^47 <
 * 2^48 unsigned.)
 */
function faultIfNonCanonical(g: Gen): void {
  const c = g.c;
  c.get(L_T);
  c.i64(0, 0x8000);
  c.op(OP.i64_add);
  c.i64(48, 0);
  c.op(OP.i64_shr_u);
  c.op(OP.i32_wrap_i64);
  c.open(OP.if);
  g.fallback();
  c.close();
}

/** Push a 64-bit constant: [rsp-8] = v, then rsp -= 8 (after the store, which may fault). */
export function pushConst(g: Gen, v: number): void {
  const c = g.c;
  c.i64n(v);
  c.set(L_V);
  pushLocal(g, L_V);
}

export function pushLocal(g: Gen, v: number): void {
  const c = g.c;
  g.readReg(4, 8);
  c.i64(8, 0);
  c.op(OP.i64_sub);
  c.set(L_EA);
  g.memWrite(8, v);
  c.get(L_EA);
  c.set(L_REG + 4);
}

export const ALU_KIND: Record<string, number> = { add: F_ADD, sub: F_SUB, cmp: F_SUB, and: F_LOGIC, or: F_LOGIC, xor: F_LOGIC, test: F_LOGIC };
export const ALU_OP: Record<string, number> = { add: OP.i64_add, sub: OP.i64_sub, cmp: OP.i64_sub, and: OP.i64_and, or: OP.i64_or, xor: OP.i64_xor, test: OP.i64_and };

/** One non-branch instruction: compiled, or the interpreter's handler. */
export function emitInsn(g: Gen, i: Insn, key: string): void {
  g.wrote = false;
  const compiled = emitCompiled(g, i, key);
  if (!compiled) g.fallback();
  if (g.wrote) g.smcCheck(i.next);
  const p = producerKind(key, i);
  if (compiled && p > 0) {
    g.kOp = p;
    g.kSize = i.s0;
  } else if (!NEUTRAL.has(key) && !CONDS.has(key)) g.kOp = 0; // handlers of neutral instructions leave flags and locals alone
}

/** A pending producer's operands (L_A, L_B) and result (L_R) become fa/fb/fr; its record stays pending. */
function setProducer(g: Gen, kind: number, size: number, dead: boolean): void {
  const c = g.c;
  for (const [from, to] of [
    [L_A, L_FA],
    [L_B, L_FB],
    [L_R, L_FR],
  ]) {
    c.get(from);
    c.set(to);
  }
  if (!dead) g.setPending(kind, size);
}

export function emitCompiled(g: Gen, i: Insn, key: string): boolean {
  const c = g.c;
  const mem = i.hasMem;
  if (mem && i.asize !== 8 && key !== "lea") return false;
  let wrote = false; // stored to memory (check for self-modifying code after)
  switch (key) {
    case "nop":
      return true;
    case "add":
    case "sub":
    case "cmp":
    case "and":
    case "or":
    case "xor":
    case "test": {
      if (i.lock) return false;
      const size = i.s0;
      // operands and result in temporaries until nothing can fault: fa/fb/fr may hold the pending record
      g.readOp(i, i.k0, i.r0, size);
      c.set(L_A);
      g.readOp(i, i.k1, i.r1, i.k1 === K_IMM ? size : i.s1);
      c.set(L_B);
      c.get(L_A);
      c.get(L_B);
      c.op(ALU_OP[key]);
      c.set(L_R);
      if (key !== "cmp" && key !== "test") {
        g.writeOp0(i, size, L_R, true);
        wrote = i.k0 === K_MEM;
      }
      setProducer(g, ALU_KIND[key], size, g.dead);
      break;
    }
    case "neg":
    case "not": {
      if (i.lock) return false;
      const size = i.s0;
      if (key === "neg") {
        c.i64(0, 0);
        c.set(L_A);
      }
      g.readOp(i, i.k0, i.r0, size);
      c.set(key === "neg" ? L_B : L_V);
      if (key === "neg") {
        c.get(L_A);
        c.get(L_B);
        c.op(OP.i64_sub);
        c.set(L_T);
      } else {
        // not: no flags; keeps fa/fb/fr (a producer's operands) intact
        c.get(L_V);
        c.i64(-1, -1);
        c.op(OP.i64_xor);
        c.set(L_R);
      }
      g.writeOp0(i, size, key === "neg" ? L_T : L_R, true);
      wrote = i.k0 === K_MEM;
      if (key === "neg") {
        c.get(L_T);
        c.set(L_R);
        setProducer(g, F_SUB, size, g.dead);
      }
      break;
    }
    case "inc":
    case "dec": {
      if (i.lock) return false;
      const size = i.s0;
      if (!g.dead) {
        // the preserved CF, before anything changes: inline from a known producer, else from the record
        if (g.kOp !== 0 && inlineCond(g.kOp, 2)) g.cond(2);
        else {
          g.materialize(false);
          c.call(F_CF);
        }
        c.set(L_AUXT);
      }
      // (temporaries until the store is done: fa/fb/fr may hold the pending record)
      g.readOp(i, i.k0, i.r0, size);
      c.set(L_A);
      c.get(L_A);
      c.i64(1, 0);
      c.op(key === "inc" ? OP.i64_add : OP.i64_sub);
      c.set(L_R);
      g.writeOp0(i, size, L_R, true);
      wrote = i.k0 === K_MEM;
      c.i64(1, 0);
      c.set(L_B);
      for (const [from, to] of [
        [L_A, L_FA],
        [L_B, L_FB],
        [L_R, L_FR],
      ]) {
        c.get(from);
        c.set(to);
      }
      if (!g.dead) g.setPending(key === "inc" ? F_INC : F_DEC, size, "staged");
      break;
    }
    case "mov": {
      const size = i.s0;
      if (i.k0 !== K_REG && i.k0 !== K_MEM) return false;
      if (i.k1 !== K_REG && i.k1 !== K_MEM && i.k1 !== K_IMM) return false;
      g.readOp(i, i.k1, i.r1, i.k1 === K_IMM ? size : i.s1);
      c.set(L_V);
      g.writeOp0(i, size, L_V, false);
      wrote = i.k0 === K_MEM;
      break;
    }
    case "movzx":
    case "movsx":
    case "movsxd": {
      if (i.k0 !== K_REG) return false;
      g.readOp(i, i.k1, i.r1, i.s1);
      if (key !== "movzx") c.op(i.s1 === 1 ? OP.i64_extend8_s : i.s1 === 2 ? OP.i64_extend16_s : OP.i64_extend32_s);
      c.set(L_V);
      g.writeReg(i.r0, i.s0, L_V);
      break;
    }
    case "lea": {
      if (i.k0 !== K_REG) return false;
      g.ea(i, true);
      g.writeReg(i.r0, i.s0, L_EA);
      break;
    }
    case "push": {
      if (i.size !== 8 || (i.k0 !== K_REG && i.k0 !== K_IMM && i.k0 !== K_MEM)) return false;
      g.readOp(i, i.k0, i.r0, 8);
      c.set(L_V);
      pushLocal(g, L_V);
      wrote = true;
      break;
    }
    case "pop": {
      if (i.size !== 8 || i.k0 !== K_REG) return false;
      g.readReg(4, 8);
      c.set(L_EA);
      g.memRead(8);
      c.set(L_V);
      c.get(L_EA);
      c.i64(8, 0);
      c.op(OP.i64_add);
      c.set(L_REG + 4);
      g.writeReg(i.r0, 8, L_V);
      break;
    }
    case "cdqe":
      g.readReg(0, 4);
      c.op(OP.i64_extend32_s);
      c.set(L_V);
      g.writeReg(0, 8, L_V);
      break;
    case "cqo":
    case "cdq": {
      const size = key === "cqo" ? 8 : 4;
      g.readReg(0, size);
      if (size === 4) c.op(OP.i64_extend32_s);
      c.i64(63, 0);
      c.op(OP.i64_shr_s);
      c.set(L_V);
      g.writeReg(2, size, L_V);
      break;
    }
    case "shl":
    case "sal":
    case "shr":
    case "sar": {
      const size = i.s0;
      if (size >= 4 && i.k0 === K_REG && i.k1 === K_REG && i.r1 === 1 && i.s1 === 1) {
        emitShiftCl(g, i, key);
        break;
      }
      if (i.k1 !== K_IMM || size < 4 || i.k0 !== K_REG) return false;
      const cnt = i.imm & (size === 8 ? 63 : 31);
      const n = i.r0;
      if (cnt === 0) {
        if (size === 4) {
          g.readReg(n, 4);
          c.set(L_V);
          g.writeReg(n, 4, L_V);
        }
        return true; // flags unchanged
      }
      const left = key === "shl" || key === "sal";
      // x: the value, sign- or zero-extended to 64 bits
      g.readReg(n, size);
      if (key === "sar" && size === 4) c.op(OP.i64_extend32_s);
      c.set(L_A);
      c.get(L_A);
      c.i64(cnt, 0);
      c.op(left ? OP.i64_shl : key === "sar" ? OP.i64_shr_s : OP.i64_shr_u);
      c.set(L_FR);
      g.writeReg(n, size, L_FR);
      if (!g.dead) shiftFlags(g, key, size, cnt);
      break;
    }
    case "imul2":
    case "imul3": {
      const size = i.s0;
      if (i.k0 !== K_REG || size < 4) return false;
      if (key === "imul2") {
        g.readOp(i, i.k0, i.r0, size);
        if (size === 4) c.op(OP.i64_extend32_s);
        g.readOp(i, i.k1, i.r1, size);
      } else {
        g.readOp(i, i.k1, i.r1, size);
        if (size === 4) c.op(OP.i64_extend32_s);
        c.i64(i.imm, i.immHi);
      }
      if (size === 4) c.op(OP.i64_extend32_s);
      if (size === 8) {
        c.set(L_B);
        c.set(L_A);
        c.get(L_A);
        c.get(L_B);
      }
      c.op(OP.i64_mul);
      c.set(L_FR);
      g.writeReg(i.r0, size, L_FR);
      if (!g.dead) {
        // CF=OF: the product does not fit in the operand size
        if (size === 4) {
          c.get(L_FR);
          c.op(OP.i64_extend32_s);
          c.get(L_FR);
          c.op(OP.i64_ne);
        } else mulOverflow64(g);
        overflowRecord(g, size);
      }
      break;
    }
    case "cmovcc": {
      const size = i.s0;
      if (size < 4 || i.k0 !== K_REG) return false;
      g.readOp(i, i.k1, i.r1, size);
      c.set(L_V);
      g.cond(i.opcode & 15);
      c.open(OP.if);
      g.writeReg(i.r0, size, L_V);
      if (size === 4) {
        c.op(OP.else);
        g.readReg(i.r0, 4);
        c.set(L_V);
        g.writeReg(i.r0, 4, L_V);
      }
      c.close();
      break;
    }
    case "setcc": {
      if (i.k0 !== K_REG && i.k0 !== K_MEM) return false;
      g.cond(i.opcode & 15);
      c.op(OP.i64_extend_i32_u);
      c.set(L_V);
      g.writeOp0(i, 1, L_V, false);
      wrote = i.k0 === K_MEM;
      break;
    }
    case "mul":
    case "imul1":
      if (i.s0 < 4 || i.lock) return false;
      emitMul(g, i, key === "imul1");
      break;
    case "div":
    case "idiv":
      if (i.s0 < 4) return false;
      emitDiv(g, i, key === "idiv");
      break;
    case "bsf":
    case "bsr": {
      // only with dead flags (the handler keeps the other flags and sets ZF)
      const size = i.s0;
      if (!g.dead || size < 4 || i.k0 !== K_REG) return false;
      g.readOp(i, i.k1, i.r1, size);
      c.tee(L_A);
      c.op(OP.i64_eqz);
      c.op(OP.i32_eqz);
      c.open(OP.if);
      c.get(L_A);
      if (key === "bsf") c.op(OP.i64_ctz);
      else {
        c.op(OP.i64_clz);
        c.set(L_V);
        c.i64(63, 0);
        c.get(L_V);
        c.op(OP.i64_sub);
      }
      c.set(L_V);
      g.writeReg(i.r0, size, L_V);
      c.close();
      break;
    }
    case "rol":
    case "ror": {
      // only when the flags (CF/OF) are dead: then a rotate is pure data movement
      const size = i.s0;
      if (!g.dead || i.k1 !== K_IMM || size < 4 || i.k0 !== K_REG) return false;
      const bits = size * 8;
      const cnt = i.imm & (size === 8 ? 63 : 31) % bits;
      if (cnt === 0) return false;
      // native rotl/rotr: i64 for 64-bit, i32 on the wrapped low half for 32-bit
      // (its zero-extension is the 32-bit write's zeroing of the upper half)
      const n = i.r0;
      c.get(L_REG + n);
      if (size === 4) {
        c.op(OP.i32_wrap_i64);
        c.i32(cnt);
        c.op(key === "rol" ? OP.i32_rotl : OP.i32_rotr);
        c.op(OP.i64_extend_i32_u);
      } else {
        c.i64(cnt, 0);
        c.op(key === "rol" ? OP.i64_rotl : OP.i64_rotr);
      }
      c.set(L_REG + n);
      break;
    }
    default:
      if (i.def.attrs & ATTR_VEX) {
        if (!emitAvx(g, i, key)) return false;
      } else if (!emitSse(g, i, key)) return false;
      wrote = i.k0 === K_MEM;
  }
  g.wrote = wrote;
  return true;
}
