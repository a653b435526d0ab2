/**
 * Flag liveness inside a region: what each instruction's compiled form or
 * handler does to the lazy-flag record, so that records nobody can see are
 * never stored (a fault or a store into code sees all flags).
 */
import { K_IMM, K_MEM, K_REG, type Insn } from "../../decoder/insn.js";
import { F_ADD, F_DEC, F_INC, F_LOGIC, F_SUB } from "../flags.js";
import { inlineCond } from "./wasm-gen.js";
import { SSE_COMPILED } from "./wasm-sse.js";

/** Keys that neither read nor write flags (in their compiled forms). */
export const NEUTRAL = new Set(["mov", "movzx", "movsx", "movsxd", "lea", "push", "pop", "nop", "jmp", "call", "ret", "calli", "jmpi", "not", "cdqe", "cqo", "cdq", "cwde"]);
export const CONDS = new Set(["jcc", "cmovcc", "setcc"]);

// Flag liveness works on four groups: CF, ZF, SF (with PF and AF), OF.
export const FC = 1,
  FZ = 2,
  FS = 4,
  FO = 8,
  FALL = 15;
/** Groups condition cc reads (o b e be s p l le, each with its negation). */
export const COND_READS = [FO, FC, FZ, FC | FZ, FS, FS, FS | FO, FZ | FS | FO];

export const T_NONE = 0, // neither reads the flag record nor writes it
  T_FULL = 1, // writes the whole record (when any flag is live after it)
  T_INC = 2, // inc/dec: writes the record with CF taken from the previous one
  T_MAYBE = 3, // writes the whole record or nothing (shift by cl: count 0)
  T_PART = 4, // compiled only when the groups it writes are dead; else the handler reads everything
  T_READ = 5; // reads the groups in the mask (handlers: everything)

/**
 * What an instruction does to the flags: [type, groups, visibility]. The
 * visibility bits say whether it may fault (all flags are seen before it: a
 * signal frame) or store (all flags are seen after it: a store into code
 * leaves the region). A live record is not stored at once but left pending
 * (L_PK in wasm-abi): stored by whatever reads the slot, or on the way out.
 */
export type Effect = [number, number, number];
export const V_FAULT = 1,
  V_STORE = 2;

export function effectOf(key: string, i: Insn, known: number): Effect {
  const [t, m] = flagEffect(key, i, known);
  let v = 0;
  if (key !== "lea" && key !== "nop" && (i.hasMem || ["push", "pop", "call", "calli", "ret", "jmpi", "div", "idiv"].includes(key))) v |= V_FAULT;
  if (i.k0 === K_MEM && key !== "lea" && key !== "nop" || key === "push" || key === "call" || key === "calli") v |= V_STORE;
  return [t, m, v];
}

/** How an instruction's compiled form or handler uses the flag record: [type, mask]. */
export function flagEffect(key: string, i: Insn, known: number): [number, number] {
  if (NEUTRAL.has(key)) return [T_NONE, 0];
  const regDst = i.k0 === K_REG && i.s0 >= 4;
  switch (key) {
    case "add":
    case "sub":
    case "cmp":
    case "and":
    case "or":
    case "xor":
    case "test":
    case "neg":
      return i.lock ? [T_READ, FALL] : [T_FULL, 0];
    case "inc":
    case "dec":
      return i.lock ? [T_READ, FALL] : [T_INC, 0];
    case "shl":
    case "sal":
    case "shr":
    case "sar":
      if (regDst && i.k1 === K_IMM) return (i.imm & (i.s0 === 8 ? 63 : 31)) === 0 ? [T_NONE, 0] : [T_FULL, 0];
      if (regDst && i.k1 === K_REG && i.r1 === 1 && i.s1 === 1) return [T_MAYBE, 0];
      return [T_READ, FALL];
    case "rol":
    case "ror":
      return regDst && i.k1 === K_IMM && (i.imm & (i.s0 === 8 ? 63 : 31)) !== 0 ? [T_PART, FC | FO] : [T_READ, FALL];
    case "bsf":
    case "bsr":
      return regDst ? [T_PART, FZ] : [T_READ, FALL];
    case "imul2":
    case "imul3":
      return regDst ? [T_FULL, 0] : [T_READ, FALL];
    case "mul":
    case "imul1":
      return i.s0 >= 4 && !i.lock ? [T_FULL, 0] : [T_READ, FALL];
    case "div":
    case "idiv":
      return i.s0 >= 4 ? [T_NONE, 0] : [T_READ, FALL];
    case "jcc":
    case "cmovcc":
    case "setcc": {
      const cc = i.opcode & 15;
      if (known !== 0 && inlineCond(known, cc) && condCompiled(key, i)) return [T_NONE, 0];
      return [T_READ, COND_READS[cc >> 1]];
    }
  }
  if (SSE_COMPILED.has(key)) return [T_NONE, 0];
  return [T_READ, FALL];
}

/**
 * Backwards over one instruction: the groups live before it, given those
 * live after; `dead` tells whether its own record store can be skipped.
 */
export function flagStep(e: Effect, after: number): { before: number; dead: boolean } {
  const st = flagStep1(e, e[2] & V_STORE ? FALL : after);
  if (e[2] & V_STORE) st.dead = false;
  if (e[2] & V_FAULT) st.before = FALL;
  return st;
}

export function flagStep1(e: Effect, after: number): { before: number; dead: boolean } {
  const [t, m] = e;
  switch (t) {
    case T_NONE:
      return { before: after, dead: true };
    case T_FULL:
      return { before: 0, dead: after === 0 };
    case T_INC:
      return after === 0 ? { before: 0, dead: true } : { before: FC, dead: false };
    case T_MAYBE:
      return { before: after, dead: after === 0 };
    case T_PART:
      return (after & m) === 0 ? { before: after, dead: true } : { before: FALL, dead: false };
    default:
      return { before: after | m, dead: false };
  }
}

/** Whether a jcc/cmovcc/setcc gets a compiled form (else its handler reads the flag record). */
export function condCompiled(key: string, i: Insn): boolean {
  if (i.hasMem && i.asize !== 8) return false;
  if (key === "cmovcc") return i.s0 >= 4 && i.k0 === K_REG;
  if (key === "setcc") return i.k0 === K_REG || i.k0 === K_MEM;
  return true;
}

/** The flag kind an instruction leaves in fa/fb/fr when compiled (0: none known). */
export function producerKind(key: string, i: Insn): number {
  switch (key) {
    case "add":
      return i.lock ? 0 : F_ADD;
    case "sub":
    case "cmp":
    case "neg":
      return i.lock ? 0 : F_SUB;
    case "and":
    case "or":
    case "xor":
    case "test":
      return i.lock ? 0 : F_LOGIC;
    case "inc":
      return i.lock ? 0 : F_INC;
    case "dec":
      return i.lock ? 0 : F_DEC;
  }
  return -1; // unchanged (neutral) or unknown
}
