/**
 * Cryptographic extensions, legacy-SSE encodings: AES-NI (aesenc aesenclast
 * aesdec aesdeclast aesimc aeskeygenassist), PCLMULQDQ, SHA-NI (sha1rnds4
 * sha1nexte sha1msg1 sha1msg2 sha256rnds2 sha256msg1 sha256msg2) and GFNI
 * (gf2p8mulb gf2p8affineqb gf2p8affineinvqb).
 *
 * xmm1 (ModRM.reg) is the first source and the destination, xmm2/m128 the
 * second source. A 16-byte memory operand must be aligned, as for every
 * legacy SSE instruction, except for SHA-NI: AMD processors do not check
 * it (measured; the emulator follows AMD where vendors differ). The 128-bit lane operations work on 4 int32 words
 * (little-endian: word 0 is bits 31:0) and are exported so that the VEX forms
 * (VAES, VPCLMULQDQ, 256-bit lanes) can apply them per 128-bit lane.
 *
 * The AES state is the 16 bytes of the register in column-major order (byte
 * 4c+r is row r of column c), as FIPS 197 maps the input block.
 */
import type { Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { register } from "../registry.js";
import { D32, R32, S32 } from "./sse-scratch.js";
import { dst, src } from "./sse4.js";

// ---- GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (also GFNI's) ----

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let k = 0; k < 255; k++) {
    EXP[k] = x;
    LOG[x] = k;
    x ^= (x << 1) ^ (x & 0x80 ? 0x1b : 0); // multiply by the generator 3
    x &= 0xff;
  }
  for (let k = 255; k < 512; k++) EXP[k] = EXP[k - 255];
}

/** a * b in GF(2^8). */
export function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

/** The multiplicative inverse (0 for 0). */
const INV = new Uint8Array(256);
for (let x = 1; x < 256; x++) INV[x] = EXP[255 - LOG[x]];

const rotl8 = (b: number, n: number) => ((b << n) | (b >>> (8 - n))) & 0xff;

/** FIPS 197 S-box (inverse, then the affine map with 0x63) and its inverse. */
const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
for (let x = 0; x < 256; x++) {
  const b = INV[x];
  const s = b ^ rotl8(b, 1) ^ rotl8(b, 2) ^ rotl8(b, 3) ^ rotl8(b, 4) ^ 0x63;
  SBOX[x] = s;
  INV_SBOX[s] = x;
}

/** Multiplication tables for the MixColumns constants. */
function mulTable(m: number): Uint8Array {
  const t = new Uint8Array(256);
  for (let x = 0; x < 256; x++) t[x] = gfMul(m, x);
  return t;
}
const M2 = mulTable(2),
  M3 = mulTable(3),
  M9 = mulTable(9),
  M11 = mulTable(11),
  M13 = mulTable(13),
  M14 = mulTable(14);

// ---- AES round steps on 16-byte states --------------------------------------

const ST = new Uint8Array(16); // the state being transformed
const TB = new Uint8Array(16); // a step's output
const ST32 = new Int32Array(ST.buffer);
const TB32 = new Int32Array(TB.buffer);

/** ShiftRows (row r rotated left by r columns) or its inverse, with SubBytes or InvSubBytes: ST -> TB. */
function shiftSub(inverse: boolean): void {
  const box = inverse ? INV_SBOX : SBOX;
  for (let c = 0; c < 4; c++)
    for (let r = 0; r < 4; r++) TB[4 * c + r] = box[ST[4 * ((inverse ? c - r + 4 : c + r) & 3) + r]];
}

/** MixColumns (or InvMixColumns) of `a` into `out`. */
function mixColumns(a: Uint8Array, out: Uint8Array, inverse: boolean): void {
  for (let c = 0; c < 16; c += 4) {
    const a0 = a[c],
      a1 = a[c + 1],
      a2 = a[c + 2],
      a3 = a[c + 3];
    if (inverse) {
      out[c] = M14[a0] ^ M11[a1] ^ M13[a2] ^ M9[a3];
      out[c + 1] = M9[a0] ^ M14[a1] ^ M11[a2] ^ M13[a3];
      out[c + 2] = M13[a0] ^ M9[a1] ^ M14[a2] ^ M11[a3];
      out[c + 3] = M11[a0] ^ M13[a1] ^ M9[a2] ^ M14[a3];
    } else {
      out[c] = M2[a0] ^ M3[a1] ^ a2 ^ a3;
      out[c + 1] = a0 ^ M2[a1] ^ M3[a2] ^ a3;
      out[c + 2] = a0 ^ a1 ^ M2[a2] ^ M3[a3];
      out[c + 3] = M3[a0] ^ a1 ^ a2 ^ M2[a3];
    }
  }
}

export const AES_ENC = 0,
  AES_ENCLAST = 1,
  AES_DEC = 2,
  AES_DECLAST = 3;

/**
 * One AES round of kind AES_ENC..AES_DECLAST on the state in words
 * st[so..so+3] with the round key key[ko..ko+3], into out[oo..oo+3]
 * (the arrays may be the same).
 */
export function aesRound(kind: number, st: Int32Array, so: number, key: Int32Array, ko: number, out: Int32Array, oo: number): void {
  for (let j = 0; j < 4; j++) ST32[j] = st[so + j];
  const dec = kind >= AES_DEC;
  shiftSub(dec);
  if (kind === AES_ENC || kind === AES_DEC) {
    mixColumns(TB, ST, dec); // the decryption round is InvShiftRows, InvSubBytes, InvMixColumns, as aesdec defines it
    for (let j = 0; j < 4; j++) out[oo + j] = ST32[j] ^ key[ko + j];
  } else for (let j = 0; j < 4; j++) out[oo + j] = TB32[j] ^ key[ko + j];
}

/** InvMixColumns of the words a[ao..ao+3] into out[oo..oo+3] (aesimc). */
export function aesImc(a: Int32Array, ao: number, out: Int32Array, oo: number): void {
  for (let j = 0; j < 4; j++) ST32[j] = a[ao + j];
  mixColumns(ST, TB, true);
  for (let j = 0; j < 4; j++) out[oo + j] = TB32[j];
}

function subWord(w: number): number {
  return SBOX[w & 0xff] | (SBOX[(w >>> 8) & 0xff] << 8) | (SBOX[(w >>> 16) & 0xff] << 16) | (SBOX[w >>> 24] << 24);
}
const ror = (w: number, n: number) => (w >>> n) | (w << (32 - n));

/** aeskeygenassist of the words a[ao..ao+3] with round constant rcon into out[oo..oo+3]. */
export function aesKeygenAssist(a: Int32Array, ao: number, rcon: number, out: Int32Array, oo: number): void {
  const x1 = subWord(a[ao + 1]);
  const x3 = subWord(a[ao + 3]);
  out[oo] = x1;
  out[oo + 1] = ror(x1, 8) ^ rcon;
  out[oo + 2] = x3;
  out[oo + 3] = ror(x3, 8) ^ rcon;
}

// ---- carry-less multiplication ------------------------------------------------

/** Carry-less 32 x 32 -> 64-bit product: low word returned, high word in CL_HI. */
let CL_HI = 0;
function clmul32(a: number, b: number): number {
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < 32; k++)
    if ((b >>> k) & 1) {
      lo ^= a << k;
      if (k) hi ^= a >>> (32 - k);
    }
  CL_HI = hi;
  return lo;
}

/**
 * pclmulqdq on one 128-bit lane: the quadword of a (words ao..ao+3) chosen
 * by imm bit 0 times the quadword of b chosen by imm bit 4, into out[oo..oo+3].
 */
export function clmulLane(a: Int32Array, ao: number, b: Int32Array, bo: number, imm: number, out: Int32Array, oo: number): void {
  const x = ao + (imm & 1 ? 2 : 0);
  const y = bo + (imm & 0x10 ? 2 : 0);
  const a0 = a[x],
    a1 = a[x + 1],
    b0 = b[y],
    b1 = b[y + 1];
  const r0 = clmul32(a0, b0);
  let r1 = CL_HI;
  r1 ^= clmul32(a0, b1);
  let r2 = CL_HI;
  r1 ^= clmul32(a1, b0);
  r2 ^= CL_HI;
  r2 ^= clmul32(a1, b1);
  const r3 = CL_HI;
  out[oo] = r0;
  out[oo + 1] = r1;
  out[oo + 2] = r2;
  out[oo + 3] = r3;
}

// ---- GFNI --------------------------------------------------------------------

const GA = new Uint8Array(16);
const GB = new Uint8Array(16);
const GA32 = new Int32Array(GA.buffer);
const GB32 = new Int32Array(GB.buffer);

function parity8(x: number): number {
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** gf2p8mulb on one lane: bytewise products of a and b into out. */
export function gf2p8mulLane(a: Int32Array, ao: number, b: Int32Array, bo: number, out: Int32Array, oo: number): void {
  for (let j = 0; j < 4; j++) {
    GA32[j] = a[ao + j];
    GB32[j] = b[bo + j];
  }
  for (let k = 0; k < 16; k++) GA[k] = gfMul(GA[k], GB[k]);
  for (let j = 0; j < 4; j++) out[oo + j] = GA32[j];
}

/**
 * gf2p8affineqb (or, with `inverse`, gf2p8affineinvqb) on one lane: each byte
 * x of a (inverted in GF(2^8) first) becomes A*x + imm over GF(2), A being
 * the 8x8 bit matrix in the corresponding quadword of b: bit i of the result
 * is the parity of (byte 7-i of A) AND x, xor bit i of imm.
 */
export function gf2p8affineLane(a: Int32Array, ao: number, b: Int32Array, bo: number, imm: number, inverse: boolean, out: Int32Array, oo: number): void {
  for (let j = 0; j < 4; j++) {
    GA32[j] = a[ao + j];
    GB32[j] = b[bo + j];
  }
  for (let k = 0; k < 16; k++) {
    const x = inverse ? INV[GA[k]] : GA[k];
    const q = k & 8; // the matrix of this byte's quadword
    let r = 0;
    for (let bit = 0; bit < 8; bit++) r |= parity8(GB[q + 7 - bit] & x) << bit;
    GA[k] = r ^ imm;
  }
  for (let j = 0; j < 4; j++) out[oo + j] = GA32[j];
}

// ---- SHA ----------------------------------------------------------------------

const rol = (w: number, n: number) => (w << n) | (w >>> (32 - n));

const SHA1_K = [0x5a827999, 0x6ed9eba1, 0x8f1bbcdc | 0, 0xca62c1d6 | 0];

/** sha1rnds4: four SHA-1 rounds on state a (A in word 3 .. D in word 0) with the message words of b (W0+E in word 3). */
function sha1rnds4(a: Int32Array, b: Int32Array, imm: number, out: Int32Array): void {
  let A = a[3],
    B = a[2],
    C = a[1],
    D = a[0],
    E = 0;
  const f = imm & 3;
  const K = SHA1_K[f];
  for (let k = 0; k < 4; k++) {
    const fv = f === 0 ? (B & C) ^ (~B & D) : f === 2 ? (B & C) ^ (B & D) ^ (C & D) : B ^ C ^ D;
    const nA = (fv + rol(A, 5) + b[3 - k] + E + K) | 0;
    E = D;
    D = C;
    C = rol(B, 30);
    B = A;
    A = nA;
  }
  out[3] = A;
  out[2] = B;
  out[1] = C;
  out[0] = D;
}

const bigSigma0 = (x: number) => ror(x, 2) ^ ror(x, 13) ^ ror(x, 22);
const bigSigma1 = (x: number) => ror(x, 6) ^ ror(x, 11) ^ ror(x, 25);
const sigma0 = (x: number) => ror(x, 7) ^ ror(x, 18) ^ (x >>> 3);
const sigma1 = (x: number) => ror(x, 17) ^ ror(x, 19) ^ (x >>> 10);

/** sha256rnds2: two SHA-256 rounds; a holds C D G H (words 3..0), b holds A B E F, wk the two round inputs W+K. */
function sha256rnds2(a: Int32Array, b: Int32Array, wk0: number, wk1: number, out: Int32Array): void {
  let A = b[3],
    B = b[2],
    C = a[3],
    D = a[2],
    E = b[1],
    F = b[0],
    G = a[1],
    H = a[0];
  for (let k = 0; k < 2; k++) {
    const t = ((E & F) ^ (~E & G)) + bigSigma1(E) + (k ? wk1 : wk0) + H;
    const nA = (t + ((A & B) ^ (A & C) ^ (B & C)) + bigSigma0(A)) | 0;
    const nE = (t + D) | 0;
    H = G;
    G = F;
    F = E;
    E = nE;
    D = C;
    C = B;
    B = A;
    A = nA;
  }
  out[3] = A;
  out[2] = B;
  out[1] = E;
  out[0] = F;
}

// ---- handlers -------------------------------------------------------------------

/** Load xmm2/m128 into S32 (an unaligned memory operand faults unless `unaligned`) and xmm1 into D32. */
function load(c: CPU, i: Insn, unaligned = false): void {
  src(c, i, 16, unaligned);
  dst(c, i);
}

function store(c: CPU, i: Insn, v: Int32Array): void {
  const o = i.r0 * 4;
  for (let j = 0; j < 4; j++) c.xmm[o + j] = v[j];
}

function aes(kind: number) {
  return (c: CPU, i: Insn) => {
    load(c, i);
    aesRound(kind, D32, 0, S32, 0, R32, 0);
    store(c, i, R32);
  };
}
register("aesenc", aes(AES_ENC));
register("aesenclast", aes(AES_ENCLAST));
register("aesdec", aes(AES_DEC));
register("aesdeclast", aes(AES_DECLAST));
register("aesimc", (c, i) => {
  src(c, i);
  aesImc(S32, 0, R32, 0);
  store(c, i, R32);
});
register("aeskeygenassist", (c, i) => {
  src(c, i);
  aesKeygenAssist(S32, 0, i.imm & 0xff, R32, 0);
  store(c, i, R32);
});
register("pclmulqdq", (c, i) => {
  load(c, i);
  clmulLane(D32, 0, S32, 0, i.imm, R32, 0);
  store(c, i, R32);
});
register("gf2p8mulb", (c, i) => {
  load(c, i);
  gf2p8mulLane(D32, 0, S32, 0, R32, 0);
  store(c, i, R32);
});
register("gf2p8affineqb", (c, i) => {
  load(c, i);
  gf2p8affineLane(D32, 0, S32, 0, i.imm & 0xff, false, R32, 0);
  store(c, i, R32);
});
register("gf2p8affineinvqb", (c, i) => {
  load(c, i);
  gf2p8affineLane(D32, 0, S32, 0, i.imm & 0xff, true, R32, 0);
  store(c, i, R32);
});

register("sha1rnds4", (c, i) => {
  load(c, i, true);
  sha1rnds4(D32, S32, i.imm, R32);
  store(c, i, R32);
});
register("sha1nexte", (c, i) => {
  load(c, i, true);
  R32[3] = (S32[3] + rol(D32[3], 30)) | 0;
  R32[2] = S32[2];
  R32[1] = S32[1];
  R32[0] = S32[0];
  store(c, i, R32);
});
register("sha1msg1", (c, i) => {
  load(c, i, true);
  // W0..W3 = dest words 3..0, W4 W5 = source words 3 2
  R32[3] = D32[1] ^ D32[3];
  R32[2] = D32[0] ^ D32[2];
  R32[1] = S32[3] ^ D32[1];
  R32[0] = S32[2] ^ D32[0];
  store(c, i, R32);
});
register("sha1msg2", (c, i) => {
  load(c, i, true);
  const w16 = rol(D32[3] ^ S32[2], 1);
  R32[3] = w16;
  R32[2] = rol(D32[2] ^ S32[1], 1);
  R32[1] = rol(D32[1] ^ S32[0], 1);
  R32[0] = rol(D32[0] ^ w16, 1);
  store(c, i, R32);
});
register("sha256rnds2", (c, i) => {
  load(c, i, true);
  sha256rnds2(D32, S32, c.xmm[0], c.xmm[1], R32);
  store(c, i, R32);
});
register("sha256msg1", (c, i) => {
  load(c, i, true);
  R32[3] = (D32[3] + sigma0(S32[0])) | 0;
  R32[2] = (D32[2] + sigma0(D32[3])) | 0;
  R32[1] = (D32[1] + sigma0(D32[2])) | 0;
  R32[0] = (D32[0] + sigma0(D32[1])) | 0;
  store(c, i, R32);
});
register("sha256msg2", (c, i) => {
  load(c, i, true);
  const w16 = (D32[0] + sigma1(S32[2])) | 0;
  const w17 = (D32[1] + sigma1(S32[3])) | 0;
  R32[0] = w16;
  R32[1] = w17;
  R32[2] = (D32[2] + sigma1(w16)) | 0;
  R32[3] = (D32[3] + sigma1(w17)) | 0;
  store(c, i, R32);
});
