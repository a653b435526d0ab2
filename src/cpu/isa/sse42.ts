/**
 * SSE4.2 string and text instructions: pcmpestri, pcmpestrm, pcmpistri,
 * pcmpistrm (66 0F 3A 60..63). xmm1 (the ModRM reg operand) is the first
 * source, xmm2/m128 the second; a memory operand is not alignment-checked.
 *
 * imm8 selects the element format (bits 1:0: unsigned bytes, unsigned words,
 * signed bytes, signed words), the aggregation (bits 3:2: equal any, ranges,
 * equal each, equal ordered), the polarity (bits 5:4: positive, negative,
 * masked positive, masked negative) and the output (bit 6: most significant
 * index instead of least; byte/word mask instead of bit mask).
 *
 * Lengths are explicit (e*: |eax| for xmm1, |edx| for xmm2, rax/rdx with
 * REX.W, saturated to the element count) or implicit (i*: up to the first
 * zero element). Flags: CF = result != 0, ZF = xmm2 shorter than the vector,
 * SF = xmm1 shorter than the vector, OF = result bit 0, AF = PF = 0.
 */
import type { Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { getFlags, setFlags } from "../flags.js";
import { getReg, setReg } from "../ops.js";
import { register } from "../registry.js";
import { DI16, DI8, DU16, DU8, SI16, SI8, SU16, SU8 } from "./sse-scratch.js";
import { dst, src } from "./sse4.js";

type Lanes = Uint8Array | Int8Array | Uint16Array | Int16Array;

/** Element views of the first (xmm1 = D) and second (xmm2/m128 = S) source by imm[1:0]. */
const FIRST: Lanes[] = [DU8, DU16, DI8, DI16];
const SECOND: Lanes[] = [SU8, SU16, SI8, SI16];

/** Explicit length: |register| (eax/edx, or rax/rdx with REX.W) saturated to n elements. */
function explicitLength(c: CPU, i: Insn, reg: number, n: number): number {
  if (!i.rexW) {
    const v = Math.abs(getReg(c, reg, 4) | 0);
    return v < n ? v : n;
  }
  const lo = getReg(c, reg, 8) >>> 0;
  const hi = c.hi | 0;
  if (hi === 0) return lo < n ? lo : n;
  if (hi === -1 && lo !== 0) {
    const v = 0x100000000 - lo; // |hi:lo| for a small negative value
    return v < n ? v : n;
  }
  return n;
}

/** Implicit length: index of the first zero element, or n. */
function implicitLength(x: Lanes, n: number): number {
  for (let j = 0; j < n; j++) if (x[j] === 0) return j;
  return n;
}

/**
 * The compare, aggregation and polarity steps (IntRes2 of the SDM) for
 * first-source length la and second-source length lb; the operands are in
 * D (first) and S (second). Element pairs past a length take the SDM's
 * forced values.
 */
function compare(imm: number, la: number, lb: number): number {
  const fmt = imm & 3;
  const n = fmt & 1 ? 8 : 16;
  const a = FIRST[fmt];
  const b = SECOND[fmt];
  let res = 0;
  switch ((imm >> 2) & 3) {
    case 0: // equal any: b[j] equals some a[i]
      for (let j = 0; j < lb; j++)
        for (let k = 0; k < la; k++)
          if (a[k] === b[j]) {
            res |= 1 << j;
            break;
          }
      break;
    case 1: // ranges: a[2k] <= b[j] <= a[2k+1] for some pair k
      for (let j = 0; j < lb; j++)
        for (let k = 0; k + 1 < la; k += 2)
          if (b[j] >= a[k] && b[j] <= a[k + 1]) {
            res |= 1 << j;
            break;
          }
      break;
    case 2: // equal each: a[j] == b[j]; both past their lengths counts as equal
      for (let j = 0; j < n; j++) if (j < la ? j < lb && a[j] === b[j] : j >= lb) res |= 1 << j;
      break;
    default: // equal ordered: the first source occurs in the second at j (a past its length matches anything)
      for (let j = 0; j < n; j++) {
        let ok = 1;
        for (let k = 0; k < n - j && k < la; k++)
          if (j + k >= lb || a[k] !== b[j + k]) {
            ok = 0;
            break;
          }
        res |= ok << j;
      }
  }
  const full = n === 16 ? 0xffff : 0xff;
  switch ((imm >> 4) & 3) {
    case 1:
      return ~res & full;
    case 3:
      return res ^ ((1 << lb) - 1); // negate only the valid elements of the second source
    default:
      return res;
  }
}

/** Load the operands, get the lengths, compare, and set the flags; returns IntRes2. */
function run(c: CPU, i: Insn, explicit: boolean): number {
  src(c, i, 16, true);
  dst(c, i);
  const imm = i.imm & 0xff;
  const n = imm & 1 ? 8 : 16;
  let la: number;
  let lb: number;
  if (explicit) {
    la = explicitLength(c, i, 0, n);
    lb = explicitLength(c, i, 2, n);
  } else {
    la = implicitLength(FIRST[imm & 3], n);
    lb = implicitLength(SECOND[imm & 3], n);
  }
  const res = compare(imm, la, lb);
  setFlags(c, (getFlags(c) & ~0x8d5) | (res !== 0 ? 0x1 : 0) | (lb < n ? 0x40 : 0) | (la < n ? 0x80 : 0) | (res & 1 ? 0x800 : 0));
  return res;
}

/** pcmp*stri: ecx = least (or most, imm[6]) significant set bit of the result, or the element count. */
function index(explicit: boolean) {
  return (c: CPU, i: Insn) => {
    const res = run(c, i, explicit);
    const n = i.imm & 1 ? 8 : 16;
    const v = res === 0 ? n : i.imm & 0x40 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
    setReg(c, 1, 4, v, 0);
  };
}

/** pcmp*strm: xmm0 = the result as a bit mask (zero-extended), or expanded to a byte/word mask (imm[6]). */
function mask(explicit: boolean) {
  return (c: CPU, i: Insn) => {
    const res = run(c, i, explicit);
    const x = c.xmm;
    if (!(i.imm & 0x40)) {
      x[0] = res;
      x[1] = x[2] = x[3] = 0;
      return;
    }
    const words = (i.imm & 1) !== 0;
    for (let j = 0; j < 4; j++) {
      // lane j covers bytes 4j..4j+3 (or words 2j, 2j+1)
      let v = 0;
      if (words) v = ((res >> (2 * j)) & 1 ? 0xffff : 0) | ((res >> (2 * j + 1)) & 1 ? 0xffff0000 : 0);
      else for (let b = 0; b < 4; b++) if ((res >> (4 * j + b)) & 1) v |= 0xff << (8 * b);
      x[j] = v;
    }
  };
}

register("pcmpestri", index(true));
register("pcmpistri", index(false));
register("pcmpestrm", mask(true));
register("pcmpistrm", mask(false));
