/**
 * A small WebAssembly binary encoder: just what the JIT emits (one module of
 * functions importing a memory and a few host functions). Compile-time code,
 * not a hot path.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const VOID = 0x40;

/** Opcodes used by the JIT (WebAssembly core spec, binary format). */
export const OP = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  br_table: 0x0e,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  call_indirect: 0x11,
  i32_load: 0x28,
  i32_load8_u: 0x2d,
  i64_load: 0x29,
  f64_load: 0x2b,
  i64_load8_s: 0x30,
  i64_load8_u: 0x31,
  i64_load16_s: 0x32,
  i64_load16_u: 0x33,
  i64_load32_s: 0x34,
  i64_load32_u: 0x35,
  i32_store: 0x36,
  i64_store: 0x37,
  f64_store: 0x39,
  i64_store8: 0x3c,
  i64_store16: 0x3d,
  i64_store32: 0x3e,
  i32_const: 0x41,
  i64_const: 0x42,
  f64_const: 0x44,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_lt_s: 0x48,
  i32_ne: 0x47,
  i32_lt_u: 0x49,
  i32_ge_u: 0x4f,
  i32_le_u: 0x4d,
  i32_gt_u: 0x4b,
  i64_eqz: 0x50,
  i64_eq: 0x51,
  i64_ne: 0x52,
  i64_lt_s: 0x53,
  i64_lt_u: 0x54,
  i64_gt_s: 0x55,
  i64_gt_u: 0x56,
  i64_le_s: 0x57,
  i64_le_u: 0x58,
  i64_ge_s: 0x59,
  i64_ge_u: 0x5a,
  f64_eq: 0x61,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_u: 0x76,
  i32_rotl: 0x77,
  i32_rotr: 0x78,
  i64_clz: 0x79,
  i64_ctz: 0x7a,
  i64_add: 0x7c,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_div_s: 0x7f,
  i64_div_u: 0x80,
  i64_rem_s: 0x81,
  i64_rem_u: 0x82,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_xor: 0x85,
  i64_shl: 0x86,
  i64_shr_s: 0x87,
  i64_shr_u: 0x88,
  i64_rotl: 0x89,
  i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7,
  i64_extend_i32_s: 0xac,
  i64_extend_i32_u: 0xad,
  f64_convert_i64_s: 0xb9,
  f64_convert_i64_u: 0xba,
  i64_extend8_s: 0xc2,
  i64_extend16_s: 0xc3,
  i64_extend32_s: 0xc4,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const SIMD = {
  v128_load: 0x00,
  v128_load64_zero: 0x5d,
  v128_load32_zero: 0x5c,
  v128_store: 0x0b,
  i64x2_extract_lane: 0x1d,
  i32x4_extract_lane: 0x1b,
  i8x16_eq: 0x23,
  i16x8_eq: 0x2d,
  i32x4_eq: 0x37,
  v128_and: 0x4e,
  v128_andnot: 0x4f,
  v128_or: 0x50,
  v128_xor: 0x51,
  i8x16_bitmask: 0x64,
  i8x16_add: 0x6e,
  i8x16_sub: 0x71,
  i16x8_shl: 0x8b,
  i16x8_shr_s: 0x8c,
  i16x8_shr_u: 0x8d,
  i16x8_add: 0x8e,
  i16x8_sub: 0x91,
  i32x4_shl: 0xab,
  i32x4_shr_s: 0xac,
  i32x4_shr_u: 0xad,
  i32x4_add: 0xae,
  i32x4_sub: 0xb1,
  i64x2_shl: 0xcb,
  i64x2_shr_s: 0xcc,
  i64x2_shr_u: 0xcd,
  i64x2_add: 0xce,
  i64x2_sub: 0xd1,
  i64x2_splat: 0x12,
} as const;

const F64_SCRATCH = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64_SCRATCH.buffer);

/** A growable byte buffer with the encodings WebAssembly uses. */
export class Bytes {
  buf = new Uint8Array(1024);
  len = 0;

  byte(b: number): void {
    if (this.len === this.buf.length) {
      const n = new Uint8Array(this.buf.length * 2);
      n.set(this.buf);
      this.buf = n;
    }
    this.buf[this.len++] = b;
  }

  bytes(bs: ArrayLike<number>): void {
    const need = this.len + bs.length;
    if (need > this.buf.length) {
      const n = new Uint8Array(Math.max(need, this.buf.length * 2));
      n.set(this.buf.subarray(0, this.len));
      this.buf = n;
    }
    if (bs instanceof Uint8Array) this.buf.set(bs, this.len);
    else for (let k = 0; k < bs.length; k++) this.buf[this.len + k] = bs[k];
    this.len = need;
  }

  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }

  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of the 64-bit value hi:lo. */
  s64(lo: number, hi: number): void {
    if (hi === lo >> 31) {
      this.s32(lo);
      return;
    }
    let v = (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  f64(v: number): void {
    F64_SCRATCH[0] = v;
    this.bytes(F64_BYTES);
  }

  name(s: string): void {
    this.u32(s.length);
    for (let k = 0; k < s.length; k++) this.byte(s.charCodeAt(k));
  }

  vec(b: Bytes): void {
    this.u32(b.len);
    this.bytes(b.buf.subarray(0, b.len));
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** One function's code with helpers for the instructions the JIT emits. */
export class Code extends Bytes {
  /** Open control structures (for branch depths). */
  depth = 0;

  op(o: number): void {
    this.byte(o);
  }
  i32(v: number): void {
    this.byte(OP.i32_const);
    this.s32(v);
  }
  i64(lo: number, hi: number): void {
    this.byte(OP.i64_const);
    this.s64(lo, hi);
  }
  /** An i64 constant from a JS number (exact integer, |v| < 2^63). */
  i64n(v: number): void {
    const hi = Math.floor(v / 4294967296);
    this.i64(v - hi * 4294967296, hi);
  }
  f64c(v: number): void {
    this.byte(OP.f64_const);
    this.f64(v);
  }
  get(l: number): void {
    this.byte(OP.local_get);
    this.u32(l);
  }
  set(l: number): void {
    this.byte(OP.local_set);
    this.u32(l);
  }
  tee(l: number): void {
    this.byte(OP.local_tee);
    this.u32(l);
  }
  /** A load or store with alignment hint 0 (x86 allows any alignment) and a constant offset. */
  mem(o: number, offset: number): void {
    this.byte(o);
    this.u32(0);
    this.u32(offset);
  }
  /** A SIMD (0xfd-prefixed) instruction without immediates. */
  simd(o: number): void {
    this.byte(0xfd);
    this.u32(o);
  }
  /** A SIMD load/store with a constant offset. */
  simdMem(o: number, offset: number): void {
    this.byte(0xfd);
    this.u32(o);
    this.u32(0);
    this.u32(offset);
  }
  /** i8x16.shuffle with the 16 lane indices (0-15 first operand, 16-31 second). */
  shuffle(lanes: number[]): void {
    this.byte(0xfd);
    this.u32(0x0d);
    this.bytes(lanes);
  }
  call(f: number): void {
    this.byte(OP.call);
    this.u32(f);
  }
  /** Open block/loop/if with no result. */
  open(o: number): void {
    this.byte(o);
    this.byte(VOID);
    this.depth++;
  }
  close(): void {
    this.byte(OP.end);
    this.depth--;
  }
  br(label: number): void {
    this.byte(OP.br);
    this.u32(this.depth - 1 - label);
  }
}

export interface FuncType {
  params: number[];
  results: number[];
}

function section(out: Bytes, id: number, body: Bytes): void {
  out.byte(id);
  out.vec(body);
}

/**
 * A module importing memory `e.m`, with `table` a function table `e.t`, and
 * functions `e.<name>`, defining one exported function `f`.
 */
export function buildModule(types: FuncType[], imports: { name: string; type: number }[], fnType: number, locals: number[], body: Code, table = false): Uint8Array {
  const out = new Bytes();
  out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const t = new Bytes();
  t.u32(types.length);
  for (const ft of types) {
    t.byte(0x60);
    t.u32(ft.params.length);
    t.bytes(ft.params);
    t.u32(ft.results.length);
    t.bytes(ft.results);
  }
  section(out, 1, t);
  const im = new Bytes();
  im.u32(imports.length + (table ? 2 : 1));
  im.name("e");
  im.name("m");
  im.byte(0x02); // memory
  im.byte(0x00);
  im.u32(0);
  if (table) {
    im.name("e");
    im.name("t");
    im.bytes([0x01, 0x70, 0x00, 0x00]); // table of funcref, min 0
  }
  for (const i of imports) {
    im.name("e");
    im.name(i.name);
    im.byte(0x00);
    im.u32(i.type);
  }
  section(out, 2, im);
  const fs = new Bytes();
  fs.u32(1);
  fs.u32(fnType);
  section(out, 3, fs);
  const ex = new Bytes();
  ex.u32(1);
  ex.name("f");
  ex.byte(0x00);
  ex.u32(imports.length);
  section(out, 7, ex);
  const fb = new Bytes();
  // locals, run-length grouped
  const groups: [number, number][] = [];
  for (const l of locals) {
    const last = groups[groups.length - 1];
    if (last && last[1] === l) last[0]++;
    else groups.push([1, l]);
  }
  fb.u32(groups.length);
  for (const [n, ty] of groups) {
    fb.u32(n);
    fb.byte(ty);
  }
  fb.bytes(body.buf.subarray(0, body.len));
  fb.byte(OP.end);
  const code = new Bytes();
  code.u32(1);
  code.vec(fb);
  section(out, 10, code);
  return out.result();
}
