/**
 * SSE/SSE2 core: moves, logic, packed integer arithmetic, shifts, shuffles,
 * scalar and packed float arithmetic, compares and conversions — the subset
 * compilers and libc (musl, glibc) use. Register operands are lanes of
 * cpu.xmm; memory and other sources are first loaded into a 16-byte scratch.
 *
 * Float semantics: MXCSR rounding control, FTZ, DAZ, the exception flags and
 * unmasked exceptions (#XM) come from sse-fp.ts; NaN operands propagate as
 * the hardware does (first source's quieted NaN), invalid operations give
 * the negative default NaN.
 */
import { K_MEM, K_MMX, K_REG, K_XMM, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { CpuException, SIGSEGV, SI_KERNEL } from "../exceptions.js";
import { setFlags, getFlags } from "../flags.js";
import { ea, getReg, setReg } from "../ops.js";
import { register, registerAll } from "../registry.js";
import { mulu64, PROD } from "./muldiv.js";
import { ADD, cmpOperand, LANE32, LANE64, DIV, FP, fpBegin, fpEnd, fromInt, IE, isSNaN32, isSNaN64, MIN32, MIN64, MUL, narrow, SQRT, SUB, toInt, widen } from "./sse-fp.js";
import { R32, RF32, RF64, RI16, RI8, RU16, RU8, S32, SF32, SF64, SI16, SI8, SU16, SU8 } from "./sse-scratch.js";

// ---- scratch source -----------------------------------------------------------

const T8 = new Uint8Array(16);
const PK = new Int32Array(4);
const PKB = new Uint8Array(PK.buffer);
const PKW = new Uint16Array(PK.buffer);

function gp(): never {
  throw new CpuException(SIGSEGV, SI_KERNEL, 0, "general protection (misaligned 16-byte SSE access)");
}

/** Load the source operand k (1 or 2) into S32: xmm register, mmx register, GPR or memory of `bytes`. */
function loadSrc(c: CPU, i: Insn, bytes: number, aligned = false, k = 1): void {
  const kind = k === 1 ? i.k1 : i.k2;
  const reg = k === 1 ? i.r1 : i.r2;
  if (kind === K_XMM) {
    const x = c.xmm;
    const b = reg * 4;
    S32[0] = x[b];
    S32[1] = x[b + 1];
    S32[2] = x[b + 2];
    S32[3] = x[b + 3];
    return;
  }
  if (kind === K_MEM) {
    const a = ea(c, i);
    if (aligned && a % 16 !== 0) gp();
    const m = c.mem;
    S32[0] = bytes >= 4 ? m.read32(a) : bytes === 2 ? m.read16(a) : m.read8(a);
    S32[1] = bytes >= 8 ? m.read32(a + 4) : 0;
    S32[2] = bytes >= 16 ? m.read32(a + 8) : 0;
    S32[3] = bytes >= 16 ? m.read32(a + 12) : 0;
    return;
  }
  if (kind === K_REG) {
    S32[0] = getReg(c, reg, bytes >= 8 ? 8 : 4);
    S32[1] = bytes >= 8 ? c.hi : 0;
    S32[2] = 0;
    S32[3] = 0;
    return;
  }
  if (kind === K_MMX) {
    const f = c.fprView;
    S32[0] = f.getInt32(reg * 16, true);
    S32[1] = f.getInt32(reg * 16 + 4, true);
    S32[2] = 0;
    S32[3] = 0;
  }
}

/** Store `bytes` of S32 to the destination operand 0 (xmm register: low lanes only, rest kept). */
function storeDst(c: CPU, i: Insn, bytes: number, aligned = false, zeroUpper = false): void {
  if (i.k0 === K_XMM) {
    const x = c.xmm;
    const b = i.r0 * 4;
    const n = bytes >> 2;
    for (let j = 0; j < n; j++) x[b + j] = S32[j];
    if (zeroUpper) for (let j = n; j < 4; j++) x[b + j] = 0;
    return;
  }
  if (i.k0 === K_MEM) {
    const a = ea(c, i);
    if (aligned && a % 16 !== 0) gp();
    const m = c.mem;
    if (bytes === 16) {
      m.checkWritable(a, 16);
      m.write32(a, S32[0]);
      m.write32(a + 4, S32[1]);
      m.write32(a + 8, S32[2]);
      m.write32(a + 12, S32[3]);
    } else if (bytes === 8) m.write64(a, S32[0], S32[1]);
    else m.write32(a, S32[0]);
    return;
  }
  if (i.k0 === K_REG) {
    if (bytes >= 8) setReg(c, i.r0, 8, S32[0], S32[1]);
    else setReg(c, i.r0, 4, S32[0], 0);
  }
}

// ---- moves -------------------------------------------------------------------------

/** Full 16-byte moves (aligned or not), loads and stores. */
function move16(aligned: boolean) {
  return (c: CPU, i: Insn) => {
    const alignedMem = aligned;
    if (i.k0 === K_MEM) {
      loadSrc(c, i, 16);
      storeDst(c, i, 16, alignedMem);
    } else {
      loadSrc(c, i, 16, alignedMem);
      storeDst(c, i, 16);
    }
  };
}
registerAll(["movaps", "movapd", "movdqa", "movntps", "movntpd", "movntdq", "movntdqa"], move16(true));
registerAll(["movups", "movupd", "movdqu", "lddqu"], move16(false));

/** movss/movsd: load from memory zeroes the upper lanes; register-register merges the low element. */
function moveScalar(bytes: number) {
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, bytes);
    storeDst(c, i, bytes, false, i.k1 === K_MEM);
  };
}
register("movss", moveScalar(4));
register("movsd", moveScalar(8));

/** movd/movq between xmm/mmx, GPRs and memory. */
register("movd", (c, i) => {
  const bytes = i.rexW ? 8 : 4;
  loadSrc(c, i, bytes);
  if (i.k0 === K_XMM) {
    if (bytes === 4) S32[1] = 0;
    S32[2] = 0;
    S32[3] = 0;
    storeDst(c, i, 16);
  } else if (i.k0 === K_MMX) {
    mmxWrite(c, i.r0, S32[0], bytes === 8 ? S32[1] : 0);
  } else storeDst(c, i, bytes);
});
/** movq: F3 0F 7E (xmm <- xmm/m64, zero upper), 66 0F D6 (xmm/m64 <- xmm), MMX forms. */
register("movq", (c, i) => {
  loadSrc(c, i, 8);
  if (i.k0 === K_XMM) {
    S32[2] = 0;
    S32[3] = 0;
    storeDst(c, i, 16);
  } else if (i.k0 === K_MMX) mmxWrite(c, i.r0, S32[0], S32[1]);
  else if (i.k0 === K_MEM && i.k1 === K_MMX) storeDst(c, i, 8);
  else storeDst(c, i, 8, false, true);
});

/** Write MMX register r (the low 64 bits of x87 register r): exponent bits all ones, TOP = 0, every tag valid. */
export function mmxWrite(c: CPU, r: number, lo: number, hi: number): void {
  const f = c.fprView;
  f.setInt32(r * 16, lo, true);
  f.setInt32(r * 16 + 4, hi, true);
  f.setUint16(r * 16 + 8, 0xffff, true);
  c.fpuTop = 0;
  c.fpuTag = 0;
}
register("emms", (c) => {
  c.fpuTag = 0xffff;
});

/** movlps/movlpd/movhps/movhpd: 8-byte halves to and from memory. */
function moveHalf(high: boolean) {
  return (c: CPU, i: Insn) => {
    if (i.k0 === K_MEM) {
      const x = c.xmm;
      const b = i.r1 * 4 + (high ? 2 : 0);
      S32[0] = x[b];
      S32[1] = x[b + 1];
      storeDst(c, i, 8);
    } else {
      loadSrc(c, i, 8);
      const x = c.xmm;
      const b = i.r0 * 4 + (high ? 2 : 0);
      x[b] = S32[0];
      x[b + 1] = S32[1];
    }
  };
}
registerAll(["movlps", "movlpd"], moveHalf(false));
registerAll(["movhps", "movhpd"], moveHalf(true));
register("movhlps", (c, i) => {
  const x = c.xmm;
  x[i.r0 * 4] = x[i.r1 * 4 + 2];
  x[i.r0 * 4 + 1] = x[i.r1 * 4 + 3];
});
register("movlhps", (c, i) => {
  const x = c.xmm;
  x[i.r0 * 4 + 2] = x[i.r1 * 4];
  x[i.r0 * 4 + 3] = x[i.r1 * 4 + 1];
});

register("pmovmskb", (c, i) => {
  const n = i.k1 === K_MMX ? 8 : 16;
  loadSrc(c, i, n);
  let m = 0;
  for (let j = 0; j < n; j++) m |= (SU8[j] >> 7) << j;
  setReg(c, i.r0, 4, m, 0);
});
register("movmskps", (c, i) => {
  loadSrc(c, i, 16);
  setReg(c, i.r0, 4, (S32[0] >>> 31) | ((S32[1] >>> 31) << 1) | ((S32[2] >>> 31) << 2) | ((S32[3] >>> 31) << 3), 0);
});
register("movmskpd", (c, i) => {
  loadSrc(c, i, 16);
  setReg(c, i.r0, 4, (S32[1] >>> 31) | ((S32[3] >>> 31) << 1), 0);
});

// ---- lane-wise binary operations -----------------------------------------------------

/** Legacy SSE packed ops need 16-byte aligned memory operands. */
const ALIGNED = true;

/** Apply fn lane-wise over 32-bit lanes: dst[j] = fn(dst[j], src[j]). */
function lanes32(fn: (a: number, b: number) => number) {
  return (c: CPU, i: Insn) => {
    if (i.k0 === K_MMX) return mmxOp32(c, i, fn);
    loadSrc(c, i, 16, ALIGNED);
    const x = c.xmm;
    const d = i.r0 * 4;
    for (let j = 0; j < 4; j++) x[d + j] = fn(x[d + j], S32[j]);
  };
}

function mmxOp32(c: CPU, i: Insn, fn: (a: number, b: number) => number): void {
  loadSrc(c, i, 8);
  const f = c.fprView;
  const o = i.r0 * 16;
  mmxWrite(c, i.r0, fn(f.getInt32(o, true), S32[0]), fn(f.getInt32(o + 4, true), S32[1]));
}

registerAll(["pxor", "xorps", "xorpd"], lanes32((a, b) => a ^ b));
registerAll(["por", "orps", "orpd"], lanes32((a, b) => a | b));
registerAll(["pand", "andps", "andpd"], lanes32((a, b) => a & b));
registerAll(["pandn", "andnps", "andnpd"], lanes32((a, b) => ~a & b));
register("paddd", lanes32((a, b) => (a + b) | 0));
register("psubd", lanes32((a, b) => (a - b) | 0));
register("pcmpeqd", lanes32((a, b) => (a === b ? -1 : 0)));
register("pcmpgtd", lanes32((a, b) => (a > b ? -1 : 0)));

/** Generic lane op for 8/16-bit lanes (signed or unsigned views) on xmm or mmx. */
function lanesN(width: 8 | 16, signed: boolean, fn: (a: number, b: number) => number) {
  return (c: CPU, i: Insn) => {
    const mmx = i.k0 === K_MMX;
    loadSrc(c, i, mmx ? 8 : 16, !mmx);
    const n = (mmx ? 8 : 16) / (width / 8);
    if (mmx) {
      // operate in the result scratch, then write back
      const f = c.fprView;
      R32[0] = f.getInt32(i.r0 * 16, true);
      R32[1] = f.getInt32(i.r0 * 16 + 4, true);
      const dv8 = signed ? RI8 : RU8;
      const dv16 = signed ? RI16 : RU16;
      for (let j = 0; j < n; j++) {
        if (width === 8) dv8[j] = fn(dv8[j], signed ? SI8[j] : SU8[j]);
        else dv16[j] = fn(dv16[j], signed ? SI16[j] : SU16[j]);
      }
      mmxWrite(c, i.r0, R32[0], R32[1]);
      return;
    }
    const d = i.r0 * (16 / (width / 8));
    if (width === 8) {
      const x = signed ? c.xmmI8 : c.xmmU8;
      const s = signed ? SI8 : SU8;
      for (let j = 0; j < n; j++) x[d + j] = fn(x[d + j], s[j]);
    } else {
      const x = signed ? c.xmmI16 : c.xmmU16;
      const s = signed ? SI16 : SU16;
      for (let j = 0; j < n; j++) x[d + j] = fn(x[d + j], s[j]);
    }
  };
}

const satU8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
const satS8 = (v: number) => (v < -128 ? -128 : v > 127 ? 127 : v);
const satU16 = (v: number) => (v < 0 ? 0 : v > 65535 ? 65535 : v);
const satS16 = (v: number) => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);

register("paddb", lanesN(8, false, (a, b) => a + b));
register("paddw", lanesN(16, false, (a, b) => a + b));
register("psubb", lanesN(8, false, (a, b) => a - b));
register("psubw", lanesN(16, false, (a, b) => a - b));
register("paddusb", lanesN(8, false, (a, b) => satU8(a + b)));
register("paddusw", lanesN(16, false, (a, b) => satU16(a + b)));
register("psubusb", lanesN(8, false, (a, b) => satU8(a - b)));
register("psubusw", lanesN(16, false, (a, b) => satU16(a - b)));
register("paddsb", lanesN(8, true, (a, b) => satS8(a + b)));
register("paddsw", lanesN(16, true, (a, b) => satS16(a + b)));
register("psubsb", lanesN(8, true, (a, b) => satS8(a - b)));
register("psubsw", lanesN(16, true, (a, b) => satS16(a - b)));
register("pcmpeqb", lanesN(8, false, (a, b) => (a === b ? 255 : 0)));
register("pcmpeqw", lanesN(16, false, (a, b) => (a === b ? 65535 : 0)));
register("pcmpgtb", lanesN(8, true, (a, b) => (a > b ? -1 : 0)));
register("pcmpgtw", lanesN(16, true, (a, b) => (a > b ? -1 : 0)));
register("pminub", lanesN(8, false, (a, b) => (a < b ? a : b)));
register("pmaxub", lanesN(8, false, (a, b) => (a > b ? a : b)));
register("pminsw", lanesN(16, true, (a, b) => (a < b ? a : b)));
register("pmaxsw", lanesN(16, true, (a, b) => (a > b ? a : b)));
register("pavgb", lanesN(8, false, (a, b) => (a + b + 1) >> 1));
register("pavgw", lanesN(16, false, (a, b) => (a + b + 1) >> 1));
register("pmullw", lanesN(16, false, (a, b) => Math.imul(a, b)));
register("pmulhw", lanesN(16, true, (a, b) => (a * b) >> 16));
register("pmulhuw", lanesN(16, false, (a, b) => (a * b) >>> 16));

/** 64-bit lane add/sub. */
function lanes64(sub: boolean) {
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, 16, ALIGNED);
    const x = c.xmm;
    const d = i.r0 * 4;
    for (let j = 0; j < 4; j += 2) {
      const a = x[d + j] >>> 0;
      const b = S32[j] >>> 0;
      const s = sub ? a - b : a + b;
      x[d + j] = s | 0;
      x[d + j + 1] = (x[d + j + 1] + (sub ? -S32[j + 1] : S32[j + 1]) + (sub ? (s < 0 ? -1 : 0) : s > 0xffffffff ? 1 : 0)) | 0;
    }
  };
}
register("paddq", lanes64(false));
register("psubq", lanes64(true));

register("pmuludq", (c, i) => {
  loadSrc(c, i, 16, ALIGNED);
  const x = c.xmm;
  const d = i.r0 * 4;
  for (let j = 0; j < 4; j += 2) {
    mulu64(x[d + j], 0, S32[j], 0);
    x[d + j] = PROD[0];
    x[d + j + 1] = PROD[1];
  }
});

register("pmaddwd", (c, i) => {
  loadSrc(c, i, 16, ALIGNED);
  const x = c.xmmI16;
  const d = i.r0 * 8;
  const out = c.xmm;
  for (let j = 0; j < 4; j++) {
    const v = x[d + 2 * j] * SI16[2 * j] + x[d + 2 * j + 1] * SI16[2 * j + 1];
    R32[j] = v | 0;
  }
  for (let j = 0; j < 4; j++) out[i.r0 * 4 + j] = R32[j];
});

register("psadbw", (c, i) => {
  loadSrc(c, i, 16, ALIGNED);
  const x = c.xmmU8;
  const d = i.r0 * 16;
  const out = c.xmm;
  for (let h = 0; h < 2; h++) {
    let s = 0;
    for (let j = 0; j < 8; j++) s += Math.abs(x[d + 8 * h + j] - SU8[8 * h + j]);
    out[i.r0 * 4 + 2 * h] = s;
    out[i.r0 * 4 + 2 * h + 1] = 0;
  }
});

// ---- shifts ------------------------------------------------------------------------

/** Shift count: immediate (Ux,Ib group) or the low 64 bits of the source. */
function shiftCount(c: CPU, i: Insn): number {
  if (i.nops === 2 && i.k1 !== 3 && i.k1 !== 0) {
    loadSrc(c, i, 16, ALIGNED);
    return S32[1] !== 0 ? 1e9 : S32[0] >>> 0;
  }
  return i.imm & 0xff;
}

function shiftOp(width: 16 | 32 | 64, kind: "l" | "r" | "a") {
  return (c: CPU, i: Insn) => {
    const n = shiftCount(c, i);
    const d = i.r0;
    if (width === 16) {
      const x = kind === "a" ? c.xmmI16 : c.xmmU16;
      for (let j = 0; j < 8; j++) {
        const v = x[d * 8 + j];
        x[d * 8 + j] = kind === "l" ? (n > 15 ? 0 : v << n) : kind === "r" ? (n > 15 ? 0 : v >>> n) : v >> Math.min(n, 15);
      }
    } else if (width === 32) {
      const x = c.xmm;
      for (let j = 0; j < 4; j++) {
        const v = x[d * 4 + j];
        x[d * 4 + j] = kind === "l" ? (n > 31 ? 0 : v << n) : kind === "r" ? (n > 31 ? 0 : v >>> n) : v >> Math.min(n, 31);
      }
    } else {
      const x = c.xmm;
      for (let j = 0; j < 4; j += 2) {
        const lo = x[d * 4 + j];
        const hi = x[d * 4 + j + 1];
        let rl = 0;
        let rh = 0;
        if (n < 64) {
          if (kind === "l") {
            if (n === 0) (rl = lo), (rh = hi);
            else if (n < 32) (rl = lo << n), (rh = (hi << n) | (lo >>> (32 - n)));
            else (rl = 0), (rh = lo << (n - 32));
          } else {
            if (n === 0) (rl = lo), (rh = hi);
            else if (n < 32) (rl = (lo >>> n) | (hi << (32 - n))), (rh = hi >>> n);
            else (rl = hi >>> (n - 32)), (rh = 0);
          }
        }
        x[d * 4 + j] = rl;
        x[d * 4 + j + 1] = rh;
      }
    }
  };
}
register("psllw", shiftOp(16, "l"));
register("psrlw", shiftOp(16, "r"));
register("psraw", shiftOp(16, "a"));
register("pslld", shiftOp(32, "l"));
register("psrld", shiftOp(32, "r"));
register("psrad", shiftOp(32, "a"));
register("psllq", shiftOp(64, "l"));
register("psrlq", shiftOp(64, "r"));

function byteShift(left: boolean) {
  return (c: CPU, i: Insn) => {
    const n = Math.min(i.imm & 0xff, 16);
    const x = c.xmmU8;
    const d = i.r0 * 16;
    for (let j = 0; j < 16; j++) RU8[j] = x[d + j];
    for (let j = 0; j < 16; j++) {
      const from = left ? j - n : j + n;
      x[d + j] = from >= 0 && from < 16 ? RU8[from] : 0;
    }
  };
}
register("pslldq", byteShift(true));
register("psrldq", byteShift(false));

// ---- shuffles and unpacks ----------------------------------------------------------

register("pshufd", (c, i) => {
  loadSrc(c, i, 16, ALIGNED);
  const x = c.xmm;
  const d = i.r0 * 4;
  const imm = i.imm & 0xff;
  for (let j = 0; j < 4; j++) x[d + j] = S32[(imm >> (2 * j)) & 3];
});
function pshufw(high: boolean) {
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, 16, ALIGNED);
    const x = c.xmmU16;
    const d = i.r0 * 8;
    const imm = i.imm & 0xff;
    const o = high ? 4 : 0;
    for (let j = 0; j < 8; j++) x[d + j] = SU16[j];
    for (let j = 0; j < 4; j++) x[d + o + j] = SU16[o + ((imm >> (2 * j)) & 3)];
  };
}
register("pshuflw", pshufw(false));
register("pshufhw", pshufw(true));

register("shufps", (c, i) => {
  loadSrc(c, i, 16, ALIGNED);
  const x = c.xmm;
  const d = i.r0 * 4;
  const imm = i.imm & 0xff;
  R32[0] = x[d + (imm & 3)];
  R32[1] = x[d + ((imm >> 2) & 3)];
  R32[2] = S32[(imm >> 4) & 3];
  R32[3] = S32[(imm >> 6) & 3];
  for (let j = 0; j < 4; j++) x[d + j] = R32[j];
});
register("shufpd", (c, i) => {
  loadSrc(c, i, 16, ALIGNED);
  const x = c.xmm;
  const d = i.r0 * 4;
  const imm = i.imm & 0xff;
  const a = (imm & 1) * 2;
  const b = ((imm >> 1) & 1) * 2;
  R32[0] = x[d + a];
  R32[1] = x[d + a + 1];
  R32[2] = S32[b];
  R32[3] = S32[b + 1];
  for (let j = 0; j < 4; j++) x[d + j] = R32[j];
});

/** Interleave elements of `bytes` size from the low or high halves of dst and src. */
function unpack(bytes: 1 | 2 | 4 | 8, high: boolean) {
  return (c: CPU, i: Insn) => {
    const mmx = i.k0 === K_MMX;
    loadSrc(c, i, mmx ? 8 : 16, !mmx);
    const total = mmx ? 8 : 16;
    const d8 = c.xmmU8;
    const src = SU8;
    const half = total / 2;
    let dst: Uint8Array;
    let dOff: number;
    if (mmx) {
      dst = RU8;
      const f = c.fprView;
      R32[0] = f.getInt32(i.r0 * 16, true);
      R32[1] = f.getInt32(i.r0 * 16 + 4, true);
      dOff = 0;
    } else {
      dst = d8;
      dOff = i.r0 * 16;
    }
    const tmp = T8;
    const base = high ? half : 0;
    for (let e = 0; e < half / bytes; e++) {
      for (let b = 0; b < bytes; b++) {
        tmp[2 * e * bytes + b] = dst[dOff + base + e * bytes + b];
        tmp[(2 * e + 1) * bytes + b] = src[base + e * bytes + b];
      }
    }
    for (let j = 0; j < total; j++) dst[dOff + j] = tmp[j];
    if (mmx) mmxWrite(c, i.r0, R32[0], R32[1]);
  };
}
register("punpcklbw", unpack(1, false));
register("punpcklwd", unpack(2, false));
register("punpckldq", unpack(4, false));
register("punpcklqdq", unpack(8, false));
register("punpckhbw", unpack(1, true));
register("punpckhwd", unpack(2, true));
register("punpckhdq", unpack(4, true));
register("punpckhqdq", unpack(8, true));
register("unpcklps", unpack(4, false));
register("unpckhps", unpack(4, true));
register("unpcklpd", unpack(8, false));
register("unpckhpd", unpack(8, true));

function pack(from: 16 | 32, sat: (v: number) => number) {
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, 16, ALIGNED);
    const d = i.r0;
    const out = PK;
    const ob = PKB;
    const ow = PKW;
    if (from === 16) {
      const x = c.xmmI16;
      for (let j = 0; j < 8; j++) ob[j] = sat(x[d * 8 + j]);
      for (let j = 0; j < 8; j++) ob[8 + j] = sat(SI16[j]);
    } else {
      const x = c.xmm;
      for (let j = 0; j < 4; j++) ow[j] = sat(x[d * 4 + j]);
      for (let j = 0; j < 4; j++) ow[4 + j] = sat(S32[j]);
    }
    for (let j = 0; j < 4; j++) c.xmm[d * 4 + j] = out[j];
  };
}
register("packuswb", pack(16, satU8));
register("packsswb", pack(16, satS8));
register("packssdw", pack(32, satS16));
register("packusdw", pack(32, satU16));

register("pinsrw", (c, i) => {
  const v = i.k1 === K_MEM ? c.mem.read16(ea(c, i)) : getReg(c, i.r1, 4) & 0xffff;
  if (i.k0 === K_MMX) {
    const f = c.fprView;
    f.setUint16(i.r0 * 16 + 2 * (i.imm & 3), v, true);
    mmxWrite(c, i.r0, f.getInt32(i.r0 * 16, true), f.getInt32(i.r0 * 16 + 4, true));
  } else c.xmmU16[i.r0 * 8 + (i.imm & 7)] = v;
});
register("pextrw", (c, i) => {
  const v = i.k1 === K_MMX ? c.fprView.getUint16(i.r1 * 16 + 2 * (i.imm & 3), true) : c.xmmU16[i.r1 * 8 + (i.imm & 7)];
  setReg(c, i.r0, 4, v, 0);
});

// ---- floating point -----------------------------------------------------------------
// Every float handler: fpBegin, lanes computed into R32 (flags collected by
// sse-fp.ts), fpEnd (#XM for unmasked exceptions, before anything is
// written), then the results are written.

const F64 = new Float64Array(1);
const F64I = new Int32Array(F64.buffer);
const F32 = new Float32Array(1);
const F32I = new Int32Array(F32.buffer);

/** Result lane (double) with x86 NaN rules: a NaN operand propagates (first source first, quieted). */
export function nan64(a: number, b: number, aLo: number, aHi: number, bLo: number, bHi: number, r: number, out: Int32Array, o: number): void {
  if (a !== a) {
    out[o] = aLo;
    out[o + 1] = aHi | 0x80000;
  } else if (b !== b) {
    out[o] = bLo;
    out[o + 1] = bHi | 0x80000;
  } else if (r !== r) {
    out[o] = 0;
    out[o + 1] = 0xfff80000 | 0; // default NaN (negative)
  } else {
    F64[0] = r;
    out[o] = F64I[0];
    out[o + 1] = F64I[1];
  }
}

export function nan32(a: number, b: number, aBits: number, bBits: number, r: number): number {
  if (a !== a) return aBits | 0x400000;
  if (b !== b) return bBits | 0x400000;
  if (r !== r) return 0xffc00000 | 0;
  F32[0] = r;
  return F32I[0];
}

/** nan64 for an arithmetic result, raising IE for a signalling NaN operand. */
export function result64(a: number, b: number, aLo: number, aHi: number, bLo: number, bHi: number, r: number, out: Int32Array, o: number): void {
  if (r !== r && (isSNaN64(aHi, aLo) || isSNaN64(bHi, bLo))) FP.pre |= IE;
  nan64(a, b, aLo, aHi, bLo, bHi, r, out, o);
}
/** nan32 for an arithmetic result, raising IE for a signalling NaN operand. */
export function result32(a: number, b: number, aBits: number, bBits: number, r: number): number {
  if (r !== r && (isSNaN32(aBits) || isSNaN32(bBits))) FP.pre |= IE;
  return nan32(a, b, aBits, bBits, r);
}

/** Write the first n int32 lanes of R32 to xmm register r (after fpEnd). */
function commitR(c: CPU, r: number, n: number): void {
  const x = c.xmm;
  for (let j = 0; j < n; j++) x[r * 4 + j] = R32[j];
}

/** add/sub/mul/div/sqrt, sd and pd. */
function fp64(k: number, scalar: boolean) {
  const sqrt = k === SQRT;
  const op = LANE64[k];
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, scalar ? 8 : 16, !scalar);
    const x = c.xmm;
    const xf = c.xmmF64;
    const d = i.r0 * 4;
    const n = scalar ? 1 : 2;
    fpBegin(c);
    for (let j = 0; j < n; j++) {
      const b = SF64[j];
      const bLo = S32[2 * j];
      const bHi = S32[2 * j + 1];
      if (sqrt) {
        const r = op(0, b);
        if (r === r) RF64[j] = r;
        else result64(b, b, bLo, bHi, bLo, bHi, r, R32, 2 * j);
      } else {
        const a = xf[i.r0 * 2 + j];
        const r = op(a, b);
        if (r === r) RF64[j] = r;
        else result64(a, b, x[d + 2 * j], x[d + 2 * j + 1], bLo, bHi, r, R32, 2 * j);
      }
    }
    fpEnd(c, i);
    commitR(c, i.r0, 2 * n);
  };
}
/** add/sub/mul/div/sqrt, ss and ps. */
function fp32(k: number, scalar: boolean) {
  const sqrt = k === SQRT;
  const op = LANE32[k];
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, scalar ? 4 : 16, !scalar);
    const x = c.xmm;
    const xf = c.xmmF32;
    const d = i.r0 * 4;
    const n = scalar ? 1 : 4;
    fpBegin(c);
    for (let j = 0; j < n; j++) {
      const b = SF32[j];
      if (sqrt) {
        const r = op(0, b);
        if (r === r) RF32[j] = r;
        else R32[j] = result32(b, b, S32[j], S32[j], r);
      } else {
        const a = xf[d + j];
        const r = op(a, b);
        if (r === r) RF32[j] = r;
        else R32[j] = result32(a, b, x[d + j], S32[j], r);
      }
    }
    fpEnd(c, i);
    commitR(c, i.r0, n);
  };
}
for (const [name, k] of [["add", ADD], ["sub", SUB], ["mul", MUL], ["div", DIV], ["sqrt", SQRT]] as const) {
  register(`${name}sd`, fp64(k, true));
  register(`${name}pd`, fp64(k, false));
  register(`${name}ss`, fp32(k, true));
  register(`${name}ps`, fp32(k, false));
}

/**
 * min/max: if either is NaN (IE, for QNaN too) or both are zero, the second
 * operand is returned; denormals raise DE, or read as zero with DAZ (and the
 * flushed zero is what is returned).
 */
function minmax(max: boolean, width: 32 | 64, scalar: boolean) {
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, scalar ? width / 8 : 16, !scalar);
    const n = scalar ? 1 : 128 / width;
    fpBegin(c);
    for (let j = 0; j < n; j++) {
      const a = width === 64 ? c.xmmF64[i.r0 * 2 + j] : c.xmmF32[i.r0 * 4 + j];
      const b = width === 64 ? SF64[j] : SF32[j];
      if (a !== a || b !== b) {
        FP.pre |= IE; // no DE, but DAZ still flushes the returned source
        if (b === b && b !== 0 && Math.abs(b) < (width === 64 ? MIN64 : MIN32) && FP.mx & 0x40) {
          if (width === 64) RF64[j] = b < 0 ? -0 : 0;
          else RF32[j] = b < 0 ? -0 : 0;
        } else if (width === 64) {
          R32[2 * j] = S32[2 * j];
          R32[2 * j + 1] = S32[2 * j + 1];
        } else R32[j] = S32[j];
        continue;
      }
      const a2 = cmpOperand(a, width === 32);
      const b2 = cmpOperand(b, width === 32);
      const v = (max ? a2 > b2 : a2 < b2) ? a2 : b2;
      if (width === 64) RF64[j] = v;
      else RF32[j] = v;
    }
    fpEnd(c, i);
    commitR(c, i.r0, scalar ? width / 32 : 4);
  };
}
register("minsd", minmax(false, 64, true));
register("maxsd", minmax(true, 64, true));
register("minpd", minmax(false, 64, false));
register("maxpd", minmax(true, 64, false));
register("minss", minmax(false, 32, true));
register("maxss", minmax(true, 32, true));
register("minps", minmax(false, 32, false));
register("maxps", minmax(true, 32, false));

/** cmpps/pd/ss/sd predicates 0-7. */
function cmpPred(p: number, a: number, b: number): boolean {
  switch (p & 7) {
    case 0:
      return a === b;
    case 1:
      return a < b;
    case 2:
      return a <= b;
    case 3:
      return a !== a || b !== b;
    case 4:
      return !(a === b);
    case 5:
      return !(a < b);
    case 6:
      return !(a <= b);
    default:
      return a === a && b === b;
  }
}
/**
 * Compare two lanes for cmp* and comis: IE for a NaN operand when `signaling`
 * (any NaN) or for a signalling NaN; DE/DAZ for denormals. Returns -1 less,
 * 0 equal, 1 greater, 2 unordered.
 */
export function compareLane(a: number, b: number, aSNaN: boolean, bSNaN: boolean, signaling: boolean, w32: boolean): number {
  if (a !== a || b !== b) {
    if (signaling || aSNaN || bSNaN) FP.pre |= IE;
    return 2;
  }
  const a2 = cmpOperand(a, w32);
  const b2 = cmpOperand(b, w32);
  return a2 < b2 ? -1 : a2 > b2 ? 1 : 0;
}
function cmpOp(width: 32 | 64, scalar: boolean) {
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, scalar ? width / 8 : 16, !scalar);
    const x = c.xmm;
    const d = i.r0 * 4;
    const n = scalar ? 1 : 128 / width;
    const p = i.imm & 7;
    const signaling = (p & 3) === 1 || (p & 3) === 2; // lt le nlt nle
    fpBegin(c);
    for (let j = 0; j < n; j++) {
      if (width === 64) {
        const r = compareLane(c.xmmF64[i.r0 * 2 + j], SF64[j], isSNaN64(x[d + 2 * j + 1], x[d + 2 * j]), isSNaN64(S32[2 * j + 1], S32[2 * j]), signaling, false);
        const v = cmpResult(p, r) ? -1 : 0;
        R32[2 * j] = v;
        R32[2 * j + 1] = v;
      } else {
        const r = compareLane(c.xmmF32[d + j], SF32[j], isSNaN32(x[d + j]), isSNaN32(S32[j]), signaling, true);
        R32[j] = cmpResult(p, r) ? -1 : 0;
      }
    }
    fpEnd(c, i);
    commitR(c, i.r0, scalar ? width / 32 : 4);
  };
}
/** Predicate p applied to a compareLane result. */
function cmpResult(p: number, r: number): boolean {
  return r === 2 ? cmpPred(p, NaN, 0) : cmpPred(p, r, 0);
}
register("cmpsd", cmpOp(64, true));
register("cmppd", cmpOp(64, false));
register("cmpss", cmpOp(32, true));
register("cmpps", cmpOp(32, false));

/** comis/ucomis: ZF PF CF from the comparison; OF SF AF cleared. comis raises IE for QNaN operands too. */
function comis(width: 32 | 64, signaling: boolean) {
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, width / 8);
    const x = c.xmm;
    const d = i.r0 * 4;
    fpBegin(c);
    const r =
      width === 64
        ? compareLane(c.xmmF64[i.r0 * 2], SF64[0], isSNaN64(x[d + 1], x[d]), isSNaN64(S32[1], S32[0]), signaling, false)
        : compareLane(c.xmmF32[d], SF32[0], isSNaN32(x[d]), isSNaN32(S32[0]), signaling, true);
    fpEnd(c, i);
    const f = r === 2 ? 0x45 : r === 1 ? 0 : r === -1 ? 1 : 0x40;
    setFlags(c, (getFlags(c) & ~0x8d5) | f);
  };
}
register("comisd", comis(64, true));
register("ucomisd", comis(64, false));
register("comiss", comis(32, true));
register("ucomiss", comis(32, false));

// ---- conversions --------------------------------------------------------------------

/** cvt(t)ss2si / cvt(t)sd2si: to int32 or int64 (REX.W), integer indefinite (IE) on overflow/NaN. */
function cvt2si(width: 32 | 64, truncate: boolean) {
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, width / 8);
    fpBegin(c);
    const wide = i.s0 === 8;
    const v = toInt(width === 64 ? SF64[0] : SF32[0], wide ? 64 : 32, truncate, width === 32);
    fpEnd(c, i);
    if (wide) {
      if (v !== v) return setReg(c, i.r0, 8, 0, 0x80000000 | 0);
      const hi = Math.floor(v / 4294967296);
      setReg(c, i.r0, 8, (v - hi * 4294967296) | 0, hi | 0);
    } else setReg(c, i.r0, 4, v !== v ? 0x80000000 | 0 : v | 0, 0);
  };
}
register("cvttsd2si", cvt2si(64, true));
register("cvtsd2si", cvt2si(64, false));
register("cvttss2si", cvt2si(32, true));
register("cvtss2si", cvt2si(32, false));

/** cvtsi2sd / cvtsi2ss from int32 or int64 (REX.W), rounded per MXCSR.RC (PE when inexact). */
function cvtsi(width: 32 | 64) {
  return (c: CPU, i: Insn) => {
    const wide = i.rexW;
    loadSrc(c, i, wide ? 8 : 4);
    fpBegin(c);
    const v = fromInt(wide ? S32[1] : S32[0] >> 31, S32[0], width === 32);
    fpEnd(c, i);
    if (width === 64) c.xmmF64[i.r0 * 2] = v;
    else c.xmmF32[i.r0 * 4] = v;
  };
}
register("cvtsi2sd", cvtsi(64));
register("cvtsi2ss", cvtsi(32));

/** float32 lane j of S32 widened to double lane j of R32 (a NaN quieted with its payload moved up; IE for SNaN). */
function widenLane(j: number): void {
  const f = SF32[j];
  const b = S32[j];
  if (f !== f) {
    if (isSNaN32(b)) FP.pre |= IE;
    R32[2 * j] = (b & 0x1fffff) << 29;
    R32[2 * j + 1] = (b & 0x80000000) | 0x7ff80000 | ((b >>> 3) & 0x7ffff);
  } else RF64[j] = widen(f);
}
/** double lane j of S32 narrowed to float32 lane j of R32 per MXCSR. */
function narrowLane(j: number): void {
  const v = SF64[j];
  const hi = S32[2 * j + 1];
  const lo = S32[2 * j];
  if (v !== v) {
    if (isSNaN64(hi, lo)) FP.pre |= IE;
    R32[j] = (hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29);
  } else RF32[j] = narrow(v);
}
register("cvtss2sd", (c, i) => {
  loadSrc(c, i, 4);
  fpBegin(c);
  widenLane(0);
  fpEnd(c, i);
  commitR(c, i.r0, 2);
});
register("cvtsd2ss", (c, i) => {
  loadSrc(c, i, 8);
  fpBegin(c);
  narrowLane(0);
  fpEnd(c, i);
  commitR(c, i.r0, 1);
});
register("cvtps2pd", (c, i) => {
  loadSrc(c, i, 8);
  fpBegin(c);
  widenLane(0);
  widenLane(1);
  fpEnd(c, i);
  commitR(c, i.r0, 4);
});
register("cvtpd2ps", (c, i) => {
  loadSrc(c, i, 16, ALIGNED);
  fpBegin(c);
  narrowLane(0);
  narrowLane(1);
  R32[2] = 0;
  R32[3] = 0;
  fpEnd(c, i);
  commitR(c, i.r0, 4);
});
register("cvtdq2pd", (c, i) => {
  loadSrc(c, i, 8);
  const a = S32[0];
  const b = S32[1];
  c.xmmF64[i.r0 * 2] = a;
  c.xmmF64[i.r0 * 2 + 1] = b;
});
register("cvtdq2ps", (c, i) => {
  loadSrc(c, i, 16, ALIGNED);
  fpBegin(c);
  for (let j = 0; j < 4; j++) RF32[j] = fromInt(S32[j] >> 31, S32[j], true);
  fpEnd(c, i);
  commitR(c, i.r0, 4);
});
function cvtToDq(from: 32 | 64, truncate: boolean) {
  return (c: CPU, i: Insn) => {
    loadSrc(c, i, 16, ALIGNED);
    const n = from === 32 ? 4 : 2;
    fpBegin(c);
    for (let j = 0; j < n; j++) {
      const v = toInt(from === 32 ? SF32[j] : SF64[j], 32, truncate, from === 32);
      R32[j] = v !== v ? 0x80000000 | 0 : v | 0;
    }
    for (let j = n; j < 4; j++) R32[j] = 0;
    fpEnd(c, i);
    commitR(c, i.r0, 4);
  };
}
register("cvttps2dq", cvtToDq(32, true));
register("cvtps2dq", cvtToDq(32, false));
register("cvttpd2dq", cvtToDq(64, true));
register("cvtpd2dq", cvtToDq(64, false));

// ---- MXCSR -------------------------------------------------------------------------

register("ldmxcsr", (c, i) => {
  const v = c.mem.read32(ea(c, i));
  if (v & ~0xffff) gp();
  c.mxcsr = v;
});
register("stmxcsr", (c, i) => {
  c.mem.write32(ea(c, i), c.mxcsr);
});
