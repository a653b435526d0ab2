/**
 * The XSAVE state area (Intel SDM Vol. 1 ch. 13) for the components the
 * emulator has: x87 (0), SSE (1) and AVX (2, the upper halves of ymm0-15).
 * XCR0 is fixed at 7 (xsetbv is privileged). Standard format: the 512-byte
 * FXSAVE legacy region, the 64-byte header (XSTATE_BV at 512, XCOMP_BV at
 * 520) and the AVX component at 576 (256 bytes): 832 bytes in all. The
 * compacted format of xsavec puts the AVX component at the same offset,
 * as it is the only extended one. Used by the xsave family and by the
 * signal frames (src/kernel/signals.ts).
 */
import type { CPU } from "./cpu.js";
import { fxrstorImage, fxsaveImage } from "./fxsave.js";
import { HI } from "./isa/avx-common.js";

export const XCR0 = 7;
export const XSAVE_SIZE = 832;
export const AVX_OFFSET = 576;
const X87 = 1;
const SSE = 2;
const AVX = 4;

/** XINUSE: the components not in their initial configuration. */
export function xinuse(c: CPU): number {
  let u = 0;
  if (c.fpuControl !== 0x37f || c.fpuStatus !== 0 || c.fpuTop !== 0 || c.fpuTag !== 0xffff || c.fpuLastIp !== 0 || c.fpuLastDp !== 0 || c.fpuLastOpcode !== 0) u |= X87;
  const x = c.xmm;
  if (c.mxcsr !== 0x1f80) u |= SSE;
  else
    for (let k = 0; k < 64; k++)
      if (x[k] !== 0) {
        u |= SSE;
        break;
      }
  for (let k = HI * 4; k < (HI + 16) * 4; k++)
    if (x[k] !== 0) {
      u |= AVX;
      break;
    }
  return u;
}

function put64(b: Uint8Array, off: number, lo: number, hi: number): void {
  const dv = new DataView(b.buffer, b.byteOffset);
  dv.setUint32(off, lo >>> 0, true);
  dv.setUint32(off + 4, hi >>> 0, true);
}

/**
 * Save the components in rfbm into img (an image of the memory area, at
 * least 576 bytes, 832 with AVX), leaving other bytes as they are:
 * compacted (xsavec) or standard (xsave, xsaveopt). Returns the bytes used.
 */
export function xsaveInto(c: CPU, img: Uint8Array, rfbm: number, compacted: boolean): number {
  rfbm &= XCR0;
  const use = xinuse(c);
  const legacy = new Uint8Array(512);
  fxsaveImage(c, legacy);
  const save = compacted ? rfbm & use : rfbm;
  if (save & X87) {
    img.set(legacy.subarray(0, 24), 0);
    img.set(legacy.subarray(32, 160), 32);
  }
  if (rfbm & (SSE | AVX)) img.set(legacy.subarray(24, 32), 24); // MXCSR, MXCSR_MASK
  if (save & SSE) img.set(legacy.subarray(160, 416), 160);
  if (save & AVX) img.set(c.xmmU8.subarray(HI * 16, (HI + 16) * 16), AVX_OFFSET);
  const dv = new DataView(img.buffer, img.byteOffset);
  if (compacted) {
    put64(img, 512, rfbm & use, 0);
    put64(img, 520, rfbm, 0x80000000 | 0);
  } else {
    const old = dv.getUint32(512, true);
    put64(img, 512, (old & ~rfbm) | (rfbm & use), dv.getUint32(516, true));
  }
  return rfbm & AVX ? XSAVE_SIZE : AVX_OFFSET;
}

/**
 * Restore the components in rfbm from img (standard or compacted, by
 * XCOMP_BV bit 63); components whose XSTATE_BV bit is clear get their
 * initial state. Returns false for #GP (reserved header bits, bad MXCSR).
 */
export function xrstorFrom(c: CPU, img: Uint8Array, rfbm: number): boolean {
  rfbm &= XCR0;
  const dv = new DataView(img.buffer, img.byteOffset);
  const bvLo = dv.getUint32(512, true);
  const bvHi = dv.getUint32(516, true);
  const compLo = dv.getUint32(520, true);
  const compHi = dv.getUint32(524, true);
  const compacted = (compHi & 0x80000000) !== 0;
  if (bvHi !== 0 || bvLo & ~XCR0) return false;
  if (compacted) {
    if (compHi !== 0x80000000 || compLo & ~XCR0 || bvLo & ~compLo) return false;
  } else if (compLo !== 0 || compHi !== 0) return false;
  for (let k = 528; k < 576; k += 4) if (dv.getUint32(k, true) !== 0) return false;
  const bv = bvLo & rfbm;
  // the legacy region: the current state, with the restored or initialized components over it
  const legacy = new Uint8Array(512);
  fxsaveImage(c, legacy);
  const ld = new DataView(legacy.buffer);
  if (rfbm & X87) {
    if (bv & X87) {
      legacy.set(img.subarray(0, 24), 0);
      legacy.set(img.subarray(32, 160), 32);
    } else {
      legacy.fill(0, 0, 24);
      legacy.fill(0, 32, 160);
      ld.setUint16(0, 0x37f, true);
    }
  }
  if (rfbm & (SSE | AVX)) {
    if (!compacted || bv & (SSE | AVX)) legacy.set(img.subarray(24, 28), 24);
    else ld.setUint32(24, 0x1f80, true);
  }
  if (rfbm & SSE) {
    if (bv & SSE) legacy.set(img.subarray(160, 416), 160);
    else legacy.fill(0, 160, 416);
  }
  if (!fxrstorImage(c, legacy)) return false;
  if (rfbm & AVX) {
    if (bv & AVX) c.xmmU8.set(img.subarray(AVX_OFFSET, AVX_OFFSET + 256), HI * 16);
    else c.xmmU8.fill(0, HI * 16, (HI + 16) * 16);
  }
  return true;
}
