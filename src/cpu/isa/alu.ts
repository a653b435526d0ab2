/** ALU family: add or adc sbb and sub xor cmp test inc dec neg not, all sizes and forms. */
import type { Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { F_ADC, F_ADD, F_DEC, F_INC, F_LOGIC, F_SBB, F_SUB, getCF, setLazy } from "../flags.js";
import { rd0, rd1, wr0rmw } from "../ops.js";
import { register } from "../registry.js";

/** 64-bit (or narrower, in the low word) add with carry-in; result hi in c.hi. */
export function add64(c: CPU, a: number, ahi: number, b: number, bhi: number, cin: number): number {
  const s = (a >>> 0) + (b >>> 0) + cin;
  c.hi = (ahi + bhi + (s > 0xffffffff ? 1 : 0)) | 0;
  return s | 0;
}

/** 64-bit subtract with borrow-in; result hi in c.hi. */
export function sub64(c: CPU, a: number, ahi: number, b: number, bhi: number, bin: number): number {
  const s = (a >>> 0) - (b >>> 0) - bin;
  c.hi = (ahi - bhi - (s < 0 ? 1 : 0)) | 0;
  return s | 0;
}

const OP_ADD = 0,
  OP_OR = 1,
  OP_ADC = 2,
  OP_SBB = 3,
  OP_AND = 4,
  OP_SUB = 5,
  OP_XOR = 6,
  OP_CMP = 7,
  OP_TEST = 8;

/** One generic binary ALU operation; `op` selects the operation. */
function alu(c: CPU, i: Insn, op: number): void {
  const size = i.s0;
  const a = rd0(c, i);
  const ahi = c.hi;
  let b = rd1(c, i);
  let bhi = c.hi;
  if (size === 8 && i.s1 < 8) bhi = b >> 31; // imm8/imm32 sign-extended
  else if (size < 8) bhi = 0;
  let r: number;
  let rhi = 0;
  let kind: number;
  let aux = 0;
  switch (op) {
    case OP_ADD:
    case OP_ADC:
    case OP_SUB:
    case OP_CMP:
    case OP_SBB: {
      // carry/borrow in for adc/sbb; sub, sbb and cmp subtract
      const withCarry = op === OP_ADC || op === OP_SBB;
      const subtract = op === OP_SUB || op === OP_CMP || op === OP_SBB;
      aux = withCarry ? getCF(c) : 0;
      r = subtract ? sub64(c, a, ahi, b, bhi, aux) : add64(c, a, ahi, b, bhi, aux);
      rhi = c.hi;
      kind = subtract ? (withCarry ? F_SBB : F_SUB) : withCarry ? F_ADC : F_ADD;
      break;
    }
    case OP_OR:
      r = a | b;
      rhi = ahi | bhi;
      kind = F_LOGIC;
      break;
    case OP_AND:
    case OP_TEST:
      r = a & b;
      rhi = ahi & bhi;
      kind = F_LOGIC;
      break;
    default:
      r = a ^ b;
      rhi = ahi ^ bhi;
      kind = F_LOGIC;
  }
  if (op !== OP_CMP && op !== OP_TEST) wr0rmw(c, i, r, rhi);
  if (size < 8) {
    b = b | 0;
    bhi = 0;
  }
  setLazy(c, kind, size, a, ahi, b, bhi, r, rhi, aux);
}

const NAMES = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test"];
NAMES.forEach((n, op) => register(n, (c, i) => alu(c, i, op)));

function incdec(c: CPU, i: Insn, dec: boolean): void {
  const size = i.s0;
  const a = rd0(c, i);
  const ahi = c.hi;
  const cf = getCF(c);
  const r = dec ? sub64(c, a, ahi, 1, 0, 0) : add64(c, a, ahi, 1, 0, 0);
  const rhi = size === 8 ? c.hi : 0;
  wr0rmw(c, i, r, rhi);
  setLazy(c, dec ? F_DEC : F_INC, size, a, ahi, 1, 0, r, rhi, cf);
}
register("inc", (c, i) => incdec(c, i, false));
register("dec", (c, i) => incdec(c, i, true));

register("neg", (c, i) => {
  const size = i.s0;
  const a = rd0(c, i);
  const ahi = size === 8 ? c.hi : 0;
  const r = sub64(c, 0, 0, a, ahi, 0);
  const rhi = size === 8 ? c.hi : 0;
  wr0rmw(c, i, r, rhi);
  setLazy(c, F_SUB, size, 0, 0, a, ahi, r, rhi, 0);
});

register("not", (c, i) => {
  const a = rd0(c, i);
  wr0rmw(c, i, ~a, ~c.hi);
});
