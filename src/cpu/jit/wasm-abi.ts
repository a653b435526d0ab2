/**
 * What every part of the WebAssembly tier agrees on: the JIT slot in the CPU
 * state area, the functions a region imports, and the locals of a region
 * function.
 */
import { INVALID } from "../../decoder/decode.js";
import { ATTR_PRIV, type Insn } from "../../decoder/insn.js";
import { F64, I32, I64, V128, type FuncType } from "./wasm-enc.js";

/** Byte offsets of the JIT slot in the CPU state area (linear memory). */
export const S_FOP = 0x400;
export const S_FSIZE = 0x404;
export const S_FDST = 0x408;
export const S_FSRC = 0x410;
export const S_FRES = 0x418;
export const S_FAUX = 0x420;
export const S_FLAGS = 0x424;
export const S_RIP = 0x428;
export const S_FS = 0x430;
export const S_GS = 0x438;
export const S_VAL = 0x440;
/** The dispatcher's slots: the region running, instructions done by earlier regions of this dispatch, stop request. */
export const S_CUR = 0x460;
export const S_DTOTAL = 0x464;
export const S_STOP = 0x468;
/** MXCSR while a region runs (the CPU copies it in before and out after; handlers see it through the CPU field). */
export const S_MXCSR = 0x46c;


/** Host functions a region calls (shared by all regions of a CPU). */
export interface RegionImports {
  /** Slow read into the slot's value area: 0, or 1 when it faulted (the fault is kept for the CPU to raise). */
  rd: (addr: number, size: number, id: number, cnt: number) => number;
  /** Slow write from the slot's value area: 0, 1 when it invalidated the running region, 2 when it faulted. */
  wr: (addr: number, size: number, id: number, cnt: number) => number;
  cond: (cc: number) => number;
  cf: () => number;
  call: (id: number, cnt: number) => number;
}

// function indices: the imports, in this order
export const F_RD = 0,
  F_WR = 1,
  F_COND = 2,
  F_CF = 3,
  F_CALL = 4;
export const TYPES: FuncType[] = [
  { params: [F64, I32, I32, I32], results: [I32] }, // rd, wr
  { params: [I32], results: [I32] }, // cond
  { params: [], results: [I32] }, // cf
  { params: [I32, I32], results: [I32] }, // call; the region function (pc, max)
];
export const IMPORTS = [
  { name: "rd", type: 0 },
  { name: "wr", type: 0 },
  { name: "cond", type: 1 },
  { name: "cf", type: 2 },
  { name: "call", type: 3 },
];
export const MAIN_TYPE = 3;

// locals (0, 1 are the parameters pc and max)
export const L_PC = 0,
  L_MAX = 1,
  L_CNT = 2,
  L_TI = 3,
  L_SMC = 4,
  L_EA = 5,
  L_PG = 6,
  L_A = 7,
  L_B = 8,
  L_R = 9,
  L_FA = 10,
  L_FB = 11,
  L_FR = 12,
  L_T = 13,
  L_V = 14,
  L_X = 15,
  L_Y = 16;
/** Locals holding the 16 GPRs inside a region (loaded at entry, written back before leaving or calling out). */
export const L_REG = 17;
/** The count a region returns (-1: a fault is pending). */
export const L_RET = 33;
/**
 * The pending flag record: 0 when the slot's record is current, else the
 * kind | size << 8 of the last producer, whose operands and result are in
 * fa/fb/fr (stored into the slot only where something reads it: see Gen.materialize).
 */
export const L_PK = 34;
/** The pending record's aux word (see flags.ts), and a temporary for an aux word being computed. */
export const L_PAUX = 35;
export const L_AUXT = 36;
/** More v128 temporaries (floating point: operands, masks). */
export const L_VA = 37,
  L_VB = 38,
  L_VC = 39,
  L_VD = 40,
  L_VE = 41,
  L_VF = 42,
  L_VG = 43,
  L_VM = 44;
export const LOCALS = [I32, I32, I32, I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, V128, V128, ...new Array<number>(16).fill(I64), I32, I32, I32, I32, ...new Array<number>(8).fill(V128)];
/** Byte offset of xmm register n in linear memory. */
export const XMM = (n: number) => 256 + 16 * n;

/** The low word of the mask of an operand size below 8 (its high word is 0). */
export function lowMask(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
}

export function keyOf(i: Insn): string {
  return i.def.attrs & ATTR_PRIV || i.def === INVALID ? "" : i.def.key;
}
