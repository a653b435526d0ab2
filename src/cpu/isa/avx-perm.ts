/**
 * AVX/AVX2 permutes, blends, tests, compares and variable shifts: the
 * instructions with no legacy SSE counterpart to run per lane. Operands are
 * read whole into 8-dword buffers (so any aliasing of destination and
 * sources is harmless) and the result written back, VEX.128 zeroing the
 * upper half.
 */
import { K_MEM, K_XMM, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { getFlags, setFlags } from "../flags.js";
import { register, registerAll } from "../registry.js";
import { HI, SB, srcSlot } from "./avx-common.js";
import { compareLane } from "./sse-core.js";
import { fpBegin, fpEnd, isSNaN32, isSNaN64 } from "./sse-fp.js";

const A = new Int32Array(8);
const B = new Int32Array(8);
const C = new Int32Array(8);
const R = new Int32Array(8);
const AF = new Float32Array(A.buffer);
const BF = new Float32Array(B.buffer);
const AD = new Float64Array(A.buffer);
const BD = new Float64Array(B.buffer);

/** Read ymm slot s (both halves) into out. */
export function readY(x: Int32Array, s: number, out: Int32Array): void {
  const l = s * 4;
  const h = (s + HI) * 4;
  out[0] = x[l];
  out[1] = x[l + 1];
  out[2] = x[l + 2];
  out[3] = x[l + 3];
  out[4] = x[h];
  out[5] = x[h + 1];
  out[6] = x[h + 2];
  out[7] = x[h + 3];
}

/** Write v to ymm register d: 8 dwords for VEX.256, else 4 and the upper half zeroed. */
export function writeY(c: CPU, i: Insn, d: number, v: Int32Array): void {
  const x = c.xmm;
  const l = d * 4;
  const h = (d + HI) * 4;
  x[l] = v[0];
  x[l + 1] = v[1];
  x[l + 2] = v[2];
  x[l + 3] = v[3];
  const w = i.vexL !== 0;
  x[h] = w ? v[4] : 0;
  x[h + 1] = w ? v[5] : 0;
  x[h + 2] = w ? v[6] : 0;
  x[h + 3] = w ? v[7] : 0;
}

/** Source operand k (xmm/ymm register or memory) into out. */
export function readSrc(c: CPU, i: Insn, k: number, out: Int32Array): void {
  readY(c.xmm, srcSlot(c, i, k, SB), out);
}

/** vperm2f128/vperm2i128: each 128-bit half from either half of either source, or zero (imm bits 3 and 7). */
register("vperm2", (c, i) => {
  readY(c.xmm, i.r1, A);
  readSrc(c, i, 2, B);
  for (let half = 0; half < 2; half++) {
    const sel = (i.imm >> (4 * half)) & 15;
    const src = sel & 2 ? B : A;
    const o = (sel & 1) * 4;
    for (let j = 0; j < 4; j++) R[half * 4 + j] = sel & 8 ? 0 : src[o + j];
  }
  writeY(c, i, i.r0, R);
});

/** vpermilps/vpermilpd with a control vector: elements chosen within each 128-bit lane. */
register("vpermilps", (c, i) => {
  readY(c.xmm, i.r1, A);
  readSrc(c, i, 2, B);
  for (let j = 0; j < 8; j++) R[j] = A[(j & 4) + (B[j] & 3)];
  writeY(c, i, i.r0, R);
});
register("vpermilpd", (c, i) => {
  readY(c.xmm, i.r1, A);
  readSrc(c, i, 2, B);
  for (let q = 0; q < 4; q++) {
    const s = (q & 2) + ((B[2 * q] >> 1) & 1);
    R[2 * q] = A[2 * s];
    R[2 * q + 1] = A[2 * s + 1];
  }
  writeY(c, i, i.r0, R);
});
/** vpermilps/vpermilpd with imm8: the same selector for both lanes (ps), one bit per element (pd). */
register("vpermilimm", (c, i) => {
  readSrc(c, i, 1, A);
  const imm = i.imm;
  if (i.def.mnem === "vpermilpd") {
    for (let q = 0; q < 4; q++) {
      const s = (q & 2) + ((imm >> q) & 1);
      R[2 * q] = A[2 * s];
      R[2 * q + 1] = A[2 * s + 1];
    }
  } else for (let j = 0; j < 8; j++) R[j] = A[(j & 4) + ((imm >> (2 * (j & 3))) & 3)];
  writeY(c, i, i.r0, R);
});

/** vpermd/vpermps ymm, ymm(indices), ymm/m256: any dword across the whole register. */
register("vpermd", (c, i) => {
  readY(c.xmm, i.r1, A);
  readSrc(c, i, 2, B);
  for (let j = 0; j < 8; j++) R[j] = B[A[j] & 7];
  writeY(c, i, i.r0, R);
});
/** vpermq/vpermpd ymm, ymm/m256, imm8: any qword across the whole register. */
register("vpermq", (c, i) => {
  readSrc(c, i, 1, A);
  for (let q = 0; q < 4; q++) {
    const s = (i.imm >> (2 * q)) & 3;
    R[2 * q] = A[2 * s];
    R[2 * q + 1] = A[2 * s + 1];
  }
  writeY(c, i, i.r0, R);
});

/** vpblendd: dword j from the second source where imm8 bit j is set. */
register("vpblendd", (c, i) => {
  readY(c.xmm, i.r1, A);
  readSrc(c, i, 2, B);
  for (let j = 0; j < 8; j++) R[j] = (i.imm >> j) & 1 ? B[j] : A[j];
  writeY(c, i, i.r0, R);
});

/** vblendvps/pd, vpblendvb: elements from the second source where the /is4 mask element's sign bit is set. */
function blendv(width: 8 | 32 | 64) {
  return (c: CPU, i: Insn) => {
    readY(c.xmm, i.r1, A);
    readSrc(c, i, 2, B);
    readY(c.xmm, i.r3, C);
    for (let j = 0; j < 8; j++) {
      if (width === 8) {
        const m = C[j];
        let sel = 0;
        for (let b = 0; b < 4; b++) if ((m >> (8 * b + 7)) & 1) sel |= 0xff << (8 * b);
        R[j] = (B[j] & sel) | (A[j] & ~sel);
      } else {
        const m = width === 32 ? C[j] : C[j | 1];
        R[j] = m < 0 ? B[j] : A[j];
      }
    }
    writeY(c, i, i.r0, R);
  };
}
register("vblendvps", blendv(32));
register("vblendvpd", blendv(64));
register("vpblendvb", blendv(8));

/** vptest (all bits), vtestps/vtestpd (sign bits of dwords/qwords): ZF = (a & b) == 0, CF = (~a & b) == 0. */
function vtest(mask: (j: number) => number) {
  return (c: CPU, i: Insn) => {
    readY(c.xmm, i.r0, A);
    readSrc(c, i, 1, B);
    const n = i.vexL ? 8 : 4;
    let and = 0;
    let andn = 0;
    for (let j = 0; j < n; j++) {
      const m = mask(j);
      and |= A[j] & B[j] & m;
      andn |= ~A[j] & B[j] & m;
    }
    setFlags(c, (getFlags(c) & ~0x8d5) | (and === 0 ? 0x40 : 0) | (andn === 0 ? 1 : 0));
  };
}
register("vptest", vtest(() => -1));
register("vtestps", vtest(() => 0x80000000 | 0));
register("vtestpd", vtest((j) => (j & 1 ? 0x80000000 | 0 : 0)));

/**
 * vcmpps/pd/ss/sd with the 32 VEX predicates: bits 0-3 choose the relation
 * (as a mask over less/equal/greater/unordered), bit 4 flips whether a
 * quiet NaN signals.
 */
const TRUTH = [2, 1, 3, 8, 13, 14, 12, 7, 10, 9, 11, 0, 5, 6, 4, 15];
const REL_BIT = [1, 2, 4, 8]; // compareLane result -1, 0, 1, 2 -> bit
register("vcmp", (c, i) => {
  readY(c.xmm, i.r1, A);
  readSrc(c, i, 2, B);
  const m = i.def.mnem;
  const w64 = m.endsWith("d");
  const scalar = m.charCodeAt(m.length - 2) === 115; // 's'
  const p = i.imm & 31;
  const q = p & 15;
  const signaling = ((q & 3) === 1 || (q & 3) === 2) !== ((p & 16) !== 0);
  const truth = TRUTH[q];
  const n = scalar ? 1 : (w64 ? 2 : 4) * (i.vexL ? 2 : 1);
  for (let j = 0; j < 8; j++) R[j] = A[j];
  fpBegin(c);
  for (let e = 0; e < n; e++) {
    const r = w64
      ? compareLane(AD[e], BD[e], isSNaN64(A[2 * e + 1], A[2 * e]), isSNaN64(B[2 * e + 1], B[2 * e]), signaling, false)
      : compareLane(AF[e], BF[e], isSNaN32(A[e]), isSNaN32(B[e]), signaling, true);
    const v = truth & REL_BIT[r + 1] ? -1 : 0;
    if (w64) R[2 * e] = R[2 * e + 1] = v;
    else R[e] = v;
  }
  fpEnd(c, i);
  if (scalar) for (let j = 4; j < 8; j++) R[j] = 0;
  writeY(c, i, i.r0, R);
});

/** vpsllvd/q, vpsrlvd/q, vpsravd: each element shifted by the count in the same element of the second source. */
register("vshiftv", (c, i) => {
  readY(c.xmm, i.r1, A);
  readSrc(c, i, 2, B);
  const m = i.def.mnem;
  const left = m.charCodeAt(3) === 108; // vpsllv
  const arith = m.charCodeAt(4) === 97; // vpsrav
  const n = i.vexL ? 8 : 4;
  if (m.endsWith("q")) {
    for (let j = 0; j < n; j += 2) {
      const lo = A[j];
      const hi = A[j + 1];
      const big = B[j + 1] !== 0 || B[j] >>> 0 > 63;
      const s = B[j] & 63;
      if (big) R[j] = R[j + 1] = 0;
      else if (s === 0) (R[j] = lo), (R[j + 1] = hi);
      else if (left) {
        if (s < 32) (R[j + 1] = (hi << s) | (lo >>> (32 - s))), (R[j] = lo << s);
        else (R[j + 1] = lo << (s - 32)), (R[j] = 0);
      } else if (s < 32) (R[j] = (lo >>> s) | (hi << (32 - s))), (R[j + 1] = hi >>> s);
      else (R[j] = hi >>> (s - 32)), (R[j + 1] = 0);
    }
  } else
    for (let j = 0; j < n; j++) {
      const s = B[j] >>> 0;
      R[j] = arith ? A[j] >> (s > 31 ? 31 : s) : s > 31 ? 0 : left ? A[j] << s : A[j] >>> s;
    }
  writeY(c, i, i.r0, R);
});

