/**
 * Lazy flags. A flag-writing instruction records the operation kind, size,
 * operands and result; CF/PF/AF/ZF/SF/OF are computed only when read.
 *
 * Values of size 1/2/4 live in the low word (any representation: getters
 * mask); size 8 values use lo/hi int32 pairs.
 */
import type { CPU } from "./cpu.js";

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const TF = 0x100;
export const IF = 0x200;
export const DF = 0x400;
export const OF = 0x800;
export const AC = 0x40000;
export const ID = 0x200000;
/** The six arithmetic status flags. */
export const STATUS = CF | PF | AF | ZF | SF | OF;
/** Bits a user-mode popf may change (IOPL/IF/VM etc. are kept). */
export const USER_WRITABLE = STATUS | TF | DF | AC | ID;

/** Lazy operation kinds. */
export const F_NONE = 0; // all flags are in cpu.flags
export const F_ADD = 1;
export const F_ADC = 2; // fAux bit 0: carry in
export const F_SUB = 3;
export const F_SBB = 4; // fAux bit 0: borrow in
export const F_LOGIC = 5; // CF=OF=AF=0
export const F_INC = 6; // fAux bit 0: preserved CF
export const F_DEC = 7; // fAux bit 0: preserved CF
export const F_RES = 8; // ZF/SF/PF from result; CF/AF/OF precomputed in fAux at their rflags bit positions

export const PARITY = new Uint8Array(256);
for (let v = 0; v < 256; v++) {
  let p = 0;
  for (let b = 0; b < 8; b++) p ^= (v >> b) & 1;
  PARITY[v] = p ? 0 : PF;
}

function mask(v: number, size: number): number {
  return size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v >>> 0;
}

/** a < b unsigned, for the recorded size. */
function ltu(a: number, ahi: number, b: number, bhi: number, size: number): boolean {
  if (size === 8) {
    const x = ahi >>> 0;
    const y = bhi >>> 0;
    return x < y || (x === y && a >>> 0 < b >>> 0);
  }
  return mask(a, size) < mask(b, size);
}

function eq(a: number, ahi: number, b: number, bhi: number, size: number): boolean {
  if (size === 8) return a === b && ahi === bhi;
  return mask(a, size) === mask(b, size);
}

/** Sign bit (0/1) of a value at size. */
function sign(v: number, hi: number, size: number): number {
  if (size === 8) return hi >>> 31;
  return (v >>> (size * 8 - 1)) & 1;
}

export function getCF(c: CPU): number {
  switch (c.fOp) {
    case F_NONE:
      return c.flags & CF;
    case F_ADD:
      return ltu(c.fRes, c.fResHi, c.fDst, c.fDstHi, c.fSize) ? 1 : 0;
    case F_ADC:
      return (c.fAux & 1 ? !ltu(c.fDst, c.fDstHi, c.fRes, c.fResHi, c.fSize) : ltu(c.fRes, c.fResHi, c.fDst, c.fDstHi, c.fSize)) ? 1 : 0;
    case F_SUB:
      return ltu(c.fDst, c.fDstHi, c.fSrc, c.fSrcHi, c.fSize) ? 1 : 0;
    case F_SBB:
      return ltu(c.fDst, c.fDstHi, c.fSrc, c.fSrcHi, c.fSize) || (c.fAux & 1 && eq(c.fDst, c.fDstHi, c.fSrc, c.fSrcHi, c.fSize)) ? 1 : 0;
    case F_LOGIC:
      return 0;
    default:
      return c.fAux & 1; // INC, DEC, RES
  }
}

export function getZF(c: CPU): number {
  if (c.fOp === F_NONE) return (c.flags >> 6) & 1;
  if (c.fSize === 8) return (c.fRes | c.fResHi) === 0 ? 1 : 0;
  return mask(c.fRes, c.fSize) === 0 ? 1 : 0;
}

export function getSF(c: CPU): number {
  if (c.fOp === F_NONE) return (c.flags >> 7) & 1;
  return sign(c.fRes, c.fResHi, c.fSize);
}

export function getPF(c: CPU): number {
  if (c.fOp === F_NONE) return (c.flags >> 2) & 1;
  return PARITY[c.fRes & 0xff] ? 1 : 0;
}

export function getAF(c: CPU): number {
  switch (c.fOp) {
    case F_NONE:
      return (c.flags >> 4) & 1;
    case F_LOGIC:
      return 0;
    case F_RES:
      return (c.fAux >> 4) & 1;
    default:
      return ((c.fDst ^ c.fSrc ^ c.fRes) >> 4) & 1;
  }
}

export function getOF(c: CPU): number {
  const s = c.fSize;
  switch (c.fOp) {
    case F_NONE:
      return (c.flags >> 11) & 1;
    case F_ADD:
    case F_ADC:
    case F_INC:
      return s === 8 ? ((c.fDstHi ^ c.fResHi) & (c.fSrcHi ^ c.fResHi)) >>> 31 : (((c.fDst ^ c.fRes) & (c.fSrc ^ c.fRes)) >>> (s * 8 - 1)) & 1;
    case F_SUB:
    case F_SBB:
    case F_DEC:
      return s === 8 ? ((c.fDstHi ^ c.fSrcHi) & (c.fDstHi ^ c.fResHi)) >>> 31 : (((c.fDst ^ c.fSrc) & (c.fDst ^ c.fRes)) >>> (s * 8 - 1)) & 1;
    case F_LOGIC:
      return 0;
    default:
      return (c.fAux >> 11) & 1;
  }
}

/** Full RFLAGS value (materializes the lazy flags; does not change state). */
export function getFlags(c: CPU): number {
  if (c.fOp === F_NONE) return c.flags;
  return (
    (c.flags & ~STATUS) |
    getCF(c) |
    (getPF(c) << 2) |
    (getAF(c) << 4) |
    (getZF(c) << 6) |
    (getSF(c) << 7) |
    (getOF(c) << 11)
  );
}

/** Replace RFLAGS (status flags become non-lazy). Bit 1 always reads as 1. */
export function setFlags(c: CPU, v: number): void {
  c.flags = (v & 0x3f7fd5) | 2;
  c.fOp = F_NONE;
}

/** Materialize lazy flags into cpu.flags (before changing some of them). */
export function materialize(c: CPU): void {
  if (c.fOp !== F_NONE) {
    c.flags = getFlags(c);
    c.fOp = F_NONE;
  }
}

/** Record an arithmetic result for lazy evaluation. */
export function setLazy(c: CPU, op: number, size: number, dst: number, dstHi: number, src: number, srcHi: number, res: number, resHi: number, aux: number): void {
  c.fOp = op;
  c.fSize = size;
  c.fDst = dst;
  c.fDstHi = dstHi;
  c.fSrc = src;
  c.fSrcHi = srcHi;
  c.fRes = res;
  c.fResHi = resHi;
  c.fAux = aux;
}

/** Result-based flags with explicit CF/OF/AF (bits at their RFLAGS positions in `aux`). */
export function setResultFlags(c: CPU, size: number, res: number, resHi: number, aux: number): void {
  c.fOp = F_RES;
  c.fSize = size;
  c.fRes = res;
  c.fResHi = resHi;
  c.fAux = aux;
}

/** Evaluate condition code cc (0..15: o no b ae e ne be a s ns p np l ge le g). */
export function cond(c: CPU, cc: number): boolean {
  // fast path for cmp/sub and logic ops on the common conditions
  if (c.fOp === F_SUB && c.fSize !== 8) {
    const s = c.fSize;
    const d = mask(c.fDst, s);
    const r = mask(c.fSrc, s);
    switch (cc) {
      case 2:
        return d < r;
      case 3:
        return d >= r;
      case 4:
        return d === r;
      case 5:
        return d !== r;
      case 6:
        return d <= r;
      case 7:
        return d > r;
      case 12:
      case 13:
      case 14:
      case 15: {
        const sh = 32 - s * 8;
        const sd = (c.fDst << sh) >> sh;
        const sr = (c.fSrc << sh) >> sh;
        return cc === 12 ? sd < sr : cc === 13 ? sd >= sr : cc === 14 ? sd <= sr : sd > sr;
      }
    }
  }
  let v: boolean;
  switch (cc >> 1) {
    case 0:
      v = getOF(c) === 1;
      break;
    case 1:
      v = getCF(c) === 1;
      break;
    case 2:
      v = getZF(c) === 1;
      break;
    case 3:
      v = getCF(c) === 1 || getZF(c) === 1;
      break;
    case 4:
      v = getSF(c) === 1;
      break;
    case 5:
      v = getPF(c) === 1;
      break;
    case 6:
      v = getSF(c) !== getOF(c);
      break;
    default:
      v = getZF(c) === 1 || getSF(c) !== getOF(c);
  }
  return cc & 1 ? !v : v;
}
