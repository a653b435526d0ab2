/**
 * The 512-byte FXSAVE image of the x87/MMX/SSE state (Intel SDM Vol. 1 10.5.1),
 * used by fxsave/fxrstor, xsave/xrstor and the signal frame's fpstate.
 */
import type { CPU } from "./cpu.js";

/** Abridged tag (1 bit per register: 1 = not empty) from the full tag word. */
function abridged(tag: number): number {
  let t = 0;
  for (let k = 0; k < 8; k++) if (((tag >> (2 * k)) & 3) !== 3) t |= 1 << k;
  return t;
}

/** Full tag word from the abridged tag and register contents. */
function fullTag(c: CPU, ab: number): number {
  let tag = 0;
  for (let k = 0; k < 8; k++) {
    let t = 3;
    if (ab & (1 << k)) {
      const v = c.fprView;
      const exp = v.getUint16(k * 16 + 8, true) & 0x7fff;
      const lo = v.getUint32(k * 16, true);
      const hi = v.getUint32(k * 16 + 4, true);
      if (exp === 0x7fff) t = 2;
      else if (exp === 0) t = lo === 0 && hi === 0 ? 1 : 2;
      else t = hi & 0x80000000 ? 0 : 2;
    }
    tag |= t << (2 * k);
  }
  return tag;
}

/**
 * The tag word that fnstenv/fnsave store: recomputed from the register
 * contents for every non-empty register, as the hardware does (after an MMX
 * instruction, whose tags are "valid", a register holding an MMX value with
 * exponent bits all ones reads as special).
 */
export function fpuTagWord(c: CPU): number {
  return fullTag(c, abridged(c.fpuTag));
}

/** x87 status word including TOP. */
export function fpuStatusWord(c: CPU): number {
  return (c.fpuStatus & ~0x3800) | ((c.fpuTop & 7) << 11);
}

/** Write the FXSAVE image to out (512 bytes). */
export function fxsaveImage(c: CPU, out: Uint8Array): void {
  out.fill(0, 0, 512);
  const dv = new DataView(out.buffer, out.byteOffset, 512);
  dv.setUint16(0, c.fpuControl, true);
  dv.setUint16(2, fpuStatusWord(c), true);
  out[4] = abridged(c.fpuTag);
  dv.setUint16(6, c.fpuLastOpcode, true);
  dv.setFloat64(8, 0, true);
  dv.setUint32(8, c.fpuLastIp % 4294967296, true);
  dv.setUint32(12, Math.floor(c.fpuLastIp / 4294967296), true);
  dv.setUint32(16, c.fpuLastDp % 4294967296, true);
  dv.setUint32(20, Math.floor(c.fpuLastDp / 4294967296), true);
  dv.setUint32(24, c.mxcsr, true);
  dv.setUint32(28, 0xffff, true); // MXCSR_MASK
  // ST0..ST7 in stack order, 16 bytes each
  for (let i = 0; i < 8; i++) {
    const phys = (c.fpuTop + i) & 7;
    out.set(c.fpr.subarray(phys * 16, phys * 16 + 10), 32 + i * 16);
  }
  out.set(c.xmmU8.subarray(0, 256), 160);
}

/** Load state from an FXSAVE image. Returns false if MXCSR has reserved bits set (#GP). */
export function fxrstorImage(c: CPU, img: Uint8Array): boolean {
  const dv = new DataView(img.buffer, img.byteOffset, 512);
  const mx = dv.getUint32(24, true);
  if (mx & ~0xffff) return false;
  c.fpuControl = dv.getUint16(0, true);
  const sw = dv.getUint16(2, true);
  c.fpuTop = (sw >> 11) & 7;
  c.fpuStatus = sw & ~0x3800;
  c.fpuLastOpcode = dv.getUint16(6, true);
  c.fpuLastIp = dv.getUint32(8, true) + dv.getUint32(12, true) * 4294967296;
  c.fpuLastDp = dv.getUint32(16, true) + dv.getUint32(20, true) * 4294967296;
  c.mxcsr = mx;
  for (let i = 0; i < 8; i++) {
    const phys = (c.fpuTop + i) & 7;
    c.fpr.fill(0, phys * 16, phys * 16 + 16);
    c.fpr.set(img.subarray(32 + i * 16, 32 + i * 16 + 10), phys * 16);
  }
  c.fpuTag = fullTag(c, img[4]);
  c.xmmU8.set(img.subarray(160, 160 + 256));
  return true;
}
