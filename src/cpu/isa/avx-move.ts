/**
 * AVX/AVX2 data movement: full-width moves, vzeroupper/vzeroall, masks of
 * sign bits, broadcasts, 128-bit inserts/extracts, masked loads and stores
 * (only the selected elements are accessed, so masked-off elements never
 * fault), and the byte-masked stores maskmovq/maskmovdqu/vmaskmovdqu.
 */
import { K_MEM, K_MMX, K_XMM, SEG_FS, SEG_NONE, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { PAGE_MASK, type Memory } from "../memory.js";
import { ea, setReg } from "../ops.js";
import { register, registerAll } from "../registry.js";
import { copySlot, gp, HI, loadSlot, SB, srcSlot, storeSlot, zeroSlot } from "./avx-common.js";

/** Full-width moves; the aligned forms fault on a misaligned 16/32-byte address. */
function vmov(align: boolean) {
  return (c: CPU, i: Insn) => {
    const n = i.vexL ? 32 : 16;
    const x = c.xmm;
    if (i.k0 === K_MEM) {
      const a = ea(c, i);
      if (align && a % n !== 0) gp(`${n}-byte vector store`);
      storeSlot(c, a, n, i.r1);
      return;
    }
    const s = srcSlot(c, i, 1, SB, align ? 1 : 0);
    copySlot(x, s, i.r0);
    if (n === 32) copySlot(x, s + HI, i.r0 + HI);
    else zeroSlot(x, i.r0 + HI);
  };
}
register("vmova", vmov(true));
register("vmovu", vmov(false));

register("vzeroupper", (c) => {
  c.xmm.fill(0, HI * 4, (HI + 16) * 4);
});
register("vzeroall", (c) => {
  c.xmm.fill(0, 0, 16 * 4);
  c.xmm.fill(0, HI * 4, (HI + 16) * 4);
});

/** Sign bits of elements of `width` bits (8, 32, 64) into a GPR. */
function movmsk(width: number) {
  return (c: CPU, i: Insn) => {
    const x = c.xmm;
    let m = 0;
    let bit = 0;
    for (let half = 0; half < (i.vexL ? 2 : 1); half++) {
      const b = (i.r1 + half * HI) * 4;
      for (let j = 0; j < 4; j++) {
        const v = x[b + j];
        if (width === 8) {
          m |= ((v >>> 7) & 1) << bit;
          m |= ((v >>> 15) & 1) << (bit + 1);
          m |= ((v >>> 23) & 1) << (bit + 2);
          m |= ((v >>> 31) & 1) << (bit + 3);
          bit += 4;
        } else if (width === 32 || j & 1) m |= (v >>> 31) << bit++;
      }
    }
    setReg(c, i.r0, 4, m, 0);
  };
}
register("vmovmskps", movmsk(32));
register("vmovmskpd", movmsk(64));
register("vpmovmskb", movmsk(8));

/** Broadcast the low element (the source operand's size: 1, 2, 4, 8 or 16 bytes) to every element. */
register("vbroadcast", (c, i) => {
  const x = c.xmm;
  const es = i.s1;
  const s = srcSlot(c, i, 1, SB);
  if (s !== SB) copySlot(x, s, SB);
  const u8 = c.xmmU8;
  const o = SB * 16;
  for (let j = es; j < 16; j++) u8[o + j] = u8[o + j - es];
  copySlot(x, SB, i.r0);
  if (i.vexL) copySlot(x, SB, i.r0 + HI);
  else zeroSlot(x, i.r0 + HI);
});

/** vinsertf128/vinserti128 ymm, ymm, xmm/m128, imm8. */
register("vinsert128", (c, i) => {
  const x = c.xmm;
  const s = srcSlot(c, i, 2, SB);
  if (s !== SB) copySlot(x, s, SB);
  const d = i.r0;
  copySlot(x, i.r1, d);
  copySlot(x, i.r1 + HI, d + HI);
  copySlot(x, SB, i.imm & 1 ? d + HI : d);
});

/** vextractf128/vextracti128 xmm/m128, ymm, imm8. */
register("vextract128", (c, i) => {
  const s = i.imm & 1 ? i.r1 + HI : i.r1;
  if (i.k0 === K_MEM) storeSlot(c, ea(c, i), 16, s);
  else {
    copySlot(c.xmm, s, i.r0);
    zeroSlot(c.xmm, i.r0 + HI);
  }
});

/**
 * vmaskmovps/pd, vpmaskmovd/q: elements whose mask (vvvv register) sign bit
 * is set are loaded (others zeroed) or stored (others left in memory).
 */
function maskmov(es: 4 | 8) {
  return (c: CPU, i: Insn) => {
    const x = c.xmm;
    const n = i.vexL ? 32 : 16;
    const m = c.mem;
    const a = ea(c, i);
    const mask = i.r1;
    if (i.k0 === K_MEM) {
      const v = i.r2;
      // check every selected element first: a fault stores nothing
      for (let off = 0; off < n; off += es) if (x[slotIdx(mask, off + es - 4)] < 0) m.checkWritable(a + off, es);
      for (let off = 0; off < n; off += es)
        if (x[slotIdx(mask, off + es - 4)] < 0) {
          m.write32(a + off, x[slotIdx(v, off)]);
          if (es === 8) m.write32(a + off + 4, x[slotIdx(v, off + 4)]);
        }
      return;
    }
    for (let off = 0; off < n; off += es) {
      const on = x[slotIdx(mask, off + es - 4)] < 0;
      const lo = on ? m.read32(a + off) : 0;
      const hi = es === 8 && on ? m.read32(a + off + 4) : 0;
      // into scratch first: a fault leaves the destination unchanged
      x[slotIdx(SB, off)] = lo;
      if (es === 8) x[slotIdx(SB, off + 4)] = hi;
    }
    copySlot(x, SB, i.r0);
    if (n === 32) copySlot(x, SB + HI, i.r0 + HI);
    else zeroSlot(x, i.r0 + HI);
  };
}
/** Index into cpu.xmm of the dword at byte offset off (0..31) of ymm slot r. */
export function slotIdx(r: number, off: number): number {
  return (off < 16 ? r : r + HI) * 4 + ((off & 15) >> 2);
}
registerAll(["vmaskmovps", "vpmaskmovd"], maskmov(4));
registerAll(["vmaskmovpd", "vpmaskmovq"], maskmov(8));

/** The fault a store to [a, a+n) would raise (at its first byte, or at the first byte of the page it crosses into). */
function checkStore(m: Memory, a: number, n: number): void {
  m.checkWritable(a, 1);
  const next = a - (a & PAGE_MASK) + PAGE_MASK + 1;
  if (next < a + n) m.checkWritable(next, 1);
}

/**
 * maskmovq mm, mm / maskmovdqu xmm, xmm / vmaskmovdqu xmm, xmm: the bytes of
 * the first operand whose mask byte (second operand) has its top bit set are
 * stored to [rdi] ([edi] with 0x67; a segment override applies); the
 * non-temporal hint has no effect here. The SDM leaves page faults of
 * masked-off bytes to the implementation. As measured on an Intel Xeon (test
 * fixtures/c/maskmov.c): the whole 8/16-byte destination must be writable
 * whatever the mask, even an empty one; the upper quadword is checked first,
 * and a fault stores nothing.
 */
register("maskmov", (c: CPU, i: Insn) => {
  const r = c.r;
  let a = i.asize === 4 ? r[14] >>> 0 : r[15] * 4294967296 + (r[14] >>> 0);
  if (i.seg !== SEG_NONE) a += i.seg === SEG_FS ? c.fsBase : c.gsBase;
  const m = c.mem;
  const u8 = c.xmmU8;
  if (i.k0 === K_MMX) {
    checkStore(m, a, 8);
    const f = c.fprView;
    c.fpuTop = 0; // an MMX instruction: TOP = 0, every tag valid
    c.fpuTag = 0;
    for (let k = 0; k < 8; k++) if (f.getUint8(i.r1 * 16 + k) & 0x80) m.write8(a + k, f.getUint8(i.r0 * 16 + k));
    return;
  }
  checkStore(m, a + 8, 8);
  checkStore(m, a, 8);
  const s = i.r0 * 16;
  const k0 = i.r1 * 16;
  for (let k = 0; k < 16; k++) if (u8[k0 + k] & 0x80) m.write8(a + k, u8[s + k]);
});


/**
 * AVX2 gathers: element j (mask sign bit set) loads from base + disp +
 * index[j] * scale (dword indices sign-extended) and its mask element is
 * cleared as it completes, so a fault leaves the finished elements done and
 * re-execution resumes after them. At the end the whole mask is zero; VEX.128
 * (and the qword-index, dword-element forms) zero what lies above.
 */
register("vgather", (c: CPU, i: Insn) => {
  const x = c.xmm;
  const m = i.mnem;
  const qidx = m.charCodeAt(m.length - (m.charCodeAt(1) === 112 ? 2 : 3)) === 113; // vpgather?? / vgather?p?: 'q'
  const es = i.s1; // 4 or 8
  const n = (i.vexL ? 32 : 16) / (qidx || es === 8 ? 8 : 4);
  const base = ea(c, i);
  const d = i.r0;
  const mask = i.r2;
  const idx = i.r3;
  const sc = 1 << i.scale;
  const mem = c.mem;
  for (let j = 0; j < n; j++) {
    const mo = es === 8 ? 8 * j + 4 : 4 * j; // the element's sign dword
    if (x[slotIdx(mask, mo)] >= 0) continue;
    let off: number;
    if (qidx) off = x[slotIdx(idx, 8 * j + 4)] * 4294967296 + (x[slotIdx(idx, 8 * j)] >>> 0);
    else off = x[slotIdx(idx, 4 * j)];
    const a = base + off * sc;
    if (es === 8) {
      const lo = mem.read32(a);
      const hi = mem.read32(a + 4);
      x[slotIdx(d, 8 * j)] = lo;
      x[slotIdx(d, 8 * j + 4)] = hi;
      x[slotIdx(mask, 8 * j)] = 0;
      x[slotIdx(mask, 8 * j + 4)] = 0;
    } else {
      x[slotIdx(d, 4 * j)] = mem.read32(a);
      x[slotIdx(mask, 4 * j)] = 0;
    }
  }
  // the rest of the mask, and above the elements: zero
  const bytes = n * es;
  for (let off = 0; off < 32; off += 4) {
    x[slotIdx(mask, off)] = 0;
    if (off >= bytes) x[slotIdx(d, off)] = 0;
  }
});
