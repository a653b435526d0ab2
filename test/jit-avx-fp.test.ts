/**
 * The WebAssembly tier's inline VEX floating point (src/cpu/jit/wasm-avx-fp.ts)
 * against the interpreter: each loop runs compiled at once (threshold 0) and
 * interpreted, from registers and memory of float data (clean normal values,
 * or mixed with zeros, denormals, infinities, NaNs, huge and tiny values,
 * integers) under MXCSRs with PE set or clear, other rounding, DAZ/FTZ and
 * unmasked exceptions; all ymm registers, MXCSR, memory and the outcome
 * (SIGFPE's rip and count) must agree. With clean data and PE already set,
 * the inline forms must not call their handlers (counted per mnemonic).
 */
import { describe, expect, it } from "vitest";
import { CPU } from "../src/cpu/cpu.js";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../src/cpu/memory.js";
import { AVX_FP_KEYS } from "../src/cpu/jit/wasm-avx-fp.js";
import { handlerByKey, register } from "../src/cpu/registry.js";
import type { Insn } from "../src/decoder/insn.js";
import { HAS_AS } from "./helpers/asm.js";
import { prng } from "./helpers/prng.js";
import { assembleLoops, wasmOrInterpreter } from "./helpers/tier.js";

const CODE = 0x400000;
const SLOT = 512;
const DATA = 0x600000;
const ITER = 16;

// count handler calls per mnemonic (the handlers are looked up when an instruction is first decoded)
const CALLS = new Map<string, number>();
for (const k of AVX_FP_KEYS) {
  const fn = handlerByKey(k);
  if (fn) register(k, (c: CPU, i: Insn) => (CALLS.set(i.mnem, (CALLS.get(i.mnem) ?? 0) + 1), fn(c, i)));
}

const ARITH = ["add", "sub", "mul", "div", "min", "max"];
const FMA: string[] = [];
for (const n of ["fmadd", "fmsub", "fnmadd", "fnmsub"]) for (const o of ["132", "213", "231"]) FMA.push(`v${n}${o}`);

/** Cases: [body, mnemonics that must run inline with clean data and PE set]. */
function cases(): [string[], string[]][] {
  const out: [string[], string[]][] = [];
  for (const op of ARITH) {
    const ms = ["ps", "pd", "ss", "sd"].map((s) => `v${op}${s}`);
    out.push([[`v${op}ps ymm1, ymm2, ymm3`, `v${op}pd ymm4, ymm4, [rsi]`, `v${op}ps xmm5, xmm6, [rsi+32]`, `v${op}pd xmm9, xmm10, xmm9`], ms.slice(0, 2)]);
    out.push([[`v${op}ss xmm1, xmm2, xmm3`, `v${op}sd xmm4, xmm4, qword ptr [rsi+8]`, `v${op}ss xmm9, xmm10, dword ptr [rsi+4]`, `v${op}sd xmm11, xmm12, xmm11`], ms.slice(2)]);
  }
  out.push([["vsqrtps ymm1, ymm2", "vsqrtpd ymm3, [rsi]", "vsqrtps xmm4, [rsi+32]", "vsqrtss xmm5, xmm6, xmm7", "vsqrtsd xmm8, xmm9, qword ptr [rsi+8]", "vsqrtpd xmm10, xmm10"], []]);
  for (const p of [0, 1, 2, 3, 4, 5, 6, 7, 9, 13, 14, 17, 27, 31])
    out.push([[`vcmpps ymm1, ymm2, ymm3, ${p}`, `vcmppd ymm4, ymm5, [rsi], ${p}`, `vcmpss xmm6, xmm7, xmm8, ${p}`, `vcmpsd xmm9, xmm9, qword ptr [rsi+8], ${p}`, `vcmpps xmm10, xmm11, [rsi+32], ${p}`], ["vcmpps", "vcmppd", "vcmpss", "vcmpsd"]]);
  out.push([["vcvtdq2ps ymm1, ymm2", "vcvtdq2ps xmm3, [rsi]", "vcvtdq2pd ymm4, xmm5", "vcvtdq2pd xmm6, qword ptr [rsi+8]", "vcvtps2pd ymm7, xmm8", "vcvtps2pd xmm9, qword ptr [rsi+16]"], ["vcvtdq2pd", "vcvtps2pd"]]);
  out.push([["vcvtpd2ps xmm1, ymm2", "vcvtpd2ps xmm3, xmmword ptr [rsi]", "vcvtpd2ps xmm4, ymmword ptr [rsi+32]", "vcvttps2dq ymm5, ymm6", "vcvttps2dq xmm7, [rsi]", "vcvttpd2dq xmm8, ymm9", "vcvttpd2dq xmm10, xmmword ptr [rsi+16]"], ["vcvtpd2ps", "vcvttps2dq", "vcvtdq2ps"]]);
  for (const f of FMA) {
    // the destination is a source: reloaded each iteration, so that the values stay in range
    const fresh = (d: string, body: string) => [`vmovaps ${d.replace("x", "y")}, ymm${12 + (out.length % 4)}`, body];
    out.push([[...fresh("ymm1", `${f}ps ymm1, ymm2, ymm3`), ...fresh("xmm4", `${f}ps xmm4, xmm5, [rsi]`), ...fresh("ymm6", `${f}ps ymm6, ymm6, [rsi+32]`), ...fresh("xmm7", `${f}ss xmm7, xmm8, xmm9`), ...fresh("xmm10", `${f}ss xmm10, xmm11, dword ptr [rsi+4]`)], [`${f}ps`, `${f}ss`]]);
    out.push([[...fresh("ymm1", `${f}pd ymm1, ymm2, ymm3`), ...fresh("xmm4", `${f}pd xmm4, xmm5, [rsi]`), ...fresh("xmm7", `${f}sd xmm7, xmm8, xmm9`), ...fresh("xmm10", `${f}sd xmm10, xmm11, qword ptr [rsi+8]`)], [`${f}pd`, `${f}sd`]]);
  }
  // results feeding the next instruction (a dependent chain as in real kernels)
  out.push([["vmulps ymm1, ymm2, ymm3", "vaddps ymm1, ymm1, ymm4", "vfmadd231ps ymm5, ymm1, ymm2", "vmaxps ymm6, ymm5, ymm1", "vcmpps ymm7, ymm6, ymm5, 1", "vandps ymm8, ymm7, ymm6", "vdivpd ymm9, ymm9, ymm10", "vsqrtpd ymm11, ymm12"], []]);
  return out;
}

const F32 = new Float32Array(1);
const F32I = new Int32Array(F32.buffer);
function f32bits(x: number): number {
  F32[0] = x;
  return F32I[0];
}

/** Kinds of data: 0 clean normal floats/doubles of moderate exponent; 1 mixed with specials; 2 small integers (as floats and as int32). */
function word(r: () => number, kind: number, j: number): number {
  const v = r();
  const clean = (v & 0x807fffff) | ((0x78 + ((v >>> 23) & 15)) << 23);
  if (kind === 0) return clean;
  if (kind === 2) return v & 1 ? f32bits((v >> 8) % 5000) : (v >> 12) % 100000;
  switch (v % 23) {
    case 0:
      return 0;
    case 1:
      return 0x80000000 | 0;
    case 2:
      return v & 0x807fffff; // denormal (or zero)
    case 3:
      return 0x7f800000 | (v & 0x80000000);
    case 4:
      return 0x7fc00000 | (v & 0x803fffff); // QNaN
    case 5:
      return 0x7f800001 | (v & 0x803ffff0); // SNaN
    case 6:
      return (v & 0x807fffff) | (0xfc << 23); // huge
    case 7:
      return (v & 0x807fffff) | (0x02 << 23); // tiny
    case 8:
      return j & 1 ? 0x00100000 : 0; // a double's smallest normal (as the high word)
    default:
      return clean;
  }
}

interface Outcome {
  fault: string;
  rip: number;
  icount: number;
  ymm: number[];
  mxcsr: number;
  data: Uint8Array;
  calls: Map<string, number>;
}

const MXCSRS = [0x1fa0, 0x1f80, 0x1fa0 | 0x2000, 0x1fa0 | 0x4000, 0x1fa0 | 0x6000, 0x9fe0, 0x1fa0 & ~0x1000, 0x1fa0 & ~0x200, 0x1fbf, 0x1fa0 & ~0x80, 0x1fa0 & ~0x800];

function run(code: Uint8Array, k: number, kind: number, mx: number, seed: number, wasm: boolean): Outcome {
  const r = prng(seed * 7919 + k * 31 + kind + 1);
  const mem = new Memory(2 * 1024 * 1024);
  mem.map(CODE, (code.length + 0xfff) & ~0xfff, PROT_READ | PROT_EXEC);
  mem.writeBytes(CODE, code, false);
  mem.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
  const words = new Int32Array(0x400);
  for (let j = 0; j < words.length; j++) words[j] = word(r, kind, j);
  const data = new Uint8Array(words.buffer);
  mem.writeBytes(DATA, data, false);
  const c = new CPU(mem);
  c.rip = CODE + k * SLOT;
  c.setReg64Big(6, BigInt(DATA + 0x100 + 4 * (r() % 0x100)));
  for (let j = 0; j < 160; j++) c.xmm[j] = word(r, kind, j);
  c.mxcsr = mx;
  wasmOrInterpreter(c, wasm);
  CALLS.clear();
  c.run(10_000);
  const f = c.lastFault;
  const ymm: number[] = [];
  for (let s = 0; s < 16; s++) for (const slot of [s, s + 20]) for (let w = 0; w < 4; w++) ymm.push(c.xmm[slot * 4 + w]);
  return {
    fault: f ? `${f.sig}/${f.code} at ${f.rip.toString(16)}` : "",
    rip: c.rip,
    icount: c.icount,
    ymm,
    mxcsr: c.mxcsr,
    data: mem.readBytes(DATA, 0x1000, false),
    calls: new Map(CALLS),
  };
}

function diff(a: Outcome, b: Outcome): string[] {
  const d: string[] = [];
  if (a.fault !== b.fault) d.push(`fault: ${a.fault} vs ${b.fault}`);
  if (a.rip !== b.rip) d.push(`rip ${a.rip.toString(16)} vs ${b.rip.toString(16)}`);
  if (a.icount !== b.icount) d.push(`icount ${a.icount} vs ${b.icount}`);
  if (a.mxcsr !== b.mxcsr) d.push(`mxcsr ${a.mxcsr.toString(16)} vs ${b.mxcsr.toString(16)}`);
  for (let j = 0; j < a.ymm.length; j += 8) {
    const x = a.ymm.slice(j, j + 8);
    const y = b.ymm.slice(j, j + 8);
    if (x.some((v, w) => v !== y[w])) d.push(`ymm${j >> 3}: ${x.map((v) => (v >>> 0).toString(16)).join(" ")} vs ${y.map((v) => (v >>> 0).toString(16)).join(" ")}`);
  }
  if (a.data.some((v, j) => v !== b.data[j])) d.push("memory");
  return d;
}

describe.skipIf(!HAS_AS)("WebAssembly tier: inline VEX floating point", () => {
  const all = cases();
  const code = HAS_AS ? assembleLoops(all.map((x) => x[0]), SLOT, ITER) : new Uint8Array(0);
  it(`agrees with the interpreter on ${all.length} loops of data kinds and MXCSRs, and runs inline on clean data`, () => {
    const problems: string[] = [];
    const called: string[] = [];
    for (let k = 0; k < all.length; k++)
      for (let kind = 0; kind < 3; kind++)
        for (let m = 0; m < MXCSRS.length; m++) {
          const seed = kind * 100 + m;
          const ref = run(code, k, kind, MXCSRS[m], seed, false);
          const got = run(code, k, kind, MXCSRS[m], seed, true);
          const d = diff(ref, got);
          if (d.length) problems.push(`case ${k} kind ${kind} mxcsr ${MXCSRS[m].toString(16)} [${all[k][0].join("; ")}]: ${d.slice(0, 4).join("; ")}`);
          if (kind === 0 && m === 0) for (const mn of all[k][1]) if (got.calls.get(mn)) called.push(`${mn} (case ${k}): ${got.calls.get(mn)} calls`);
        }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(called).toEqual([]);
  }, 120_000);
});

/**
 * FMA on hard cases: records of (a, b, c) where c cancels the product to a
 * few ulps (the product's error decides), or sits where the sum rounds near
 * a midpoint, or is random; each record is loaded, fused, stored back. The
 * compiled run must store the interpreter's bits, and run most lanes inline.
 */
describe.skipIf(!HAS_AS)("WebAssembly tier: inline FMA on hard cases", () => {
  const N = 3000;
  const body = [
    "vmovupd ymm1, [rsi]",
    "vmovupd ymm2, [rsi+32]",
    "vmovupd ymm3, [rsi+64]",
    "vfmadd231pd ymm3, ymm1, ymm2",
    "vmovupd [rsi+64], ymm3",
    "vmovupd ymm4, [rsi+96]",
    "vmovupd ymm5, [rsi+128]",
    "vmovupd ymm6, [rsi+160]",
    "vfnmsub213ps ymm4, ymm5, ymm6",
    "vmovupd [rsi+96], ymm4",
    "vmovupd xmm7, [rsi+192]",
    "vfmsub132sd xmm7, xmm8, qword ptr [rsi+200]",
    "vmovupd [rsi+192], xmm7",
    "add rsi, 224",
  ];
  const code = HAS_AS ? assembleLoops([body], SLOT, N) : new Uint8Array(0);
  it("stores the interpreter's results", () => {
    const r = prng(12345);
    const f64 = new Float64Array((N * 224) / 8);
    const f32 = new Float32Array(f64.buffer);
    const rnd = () => (r() / 4294967296 + r() / 2 ** 64) * 2 - 1;
    for (let k = 0; k < N; k++) {
      const o = (k * 224) / 8;
      for (let e = 0; e < 4; e++) {
        const a = rnd() * 2 ** ((r() % 40) - 20);
        const b = rnd() * 2 ** ((r() % 40) - 20);
        const p = a * b;
        const kind = r() % 6;
        f64[o + e] = a;
        f64[o + 4 + e] = b;
        // c: cancels the product (to a few ulps), or a power of two times the product, or random
        f64[o + 8 + e] = kind === 0 ? -p : kind === 1 ? -p * (1 + (r() % 8) * 2 ** -52) : kind === 2 ? p * 2 ** ((r() % 60) - 30) : rnd();
        if (kind >= 4) {
          // a*b = 2^-53 (1 - q^2 2^-58): rounds to half an ulp of c in [1, 2), so that s is a tie and only e decides
          const q = 1 + (r() % 15);
          const sg = kind === 5 ? -1 : 1;
          f64[o + e] = (1 + q * 2 ** -29) * 2 ** -53;
          f64[o + 4 + e] = sg * (1 - q * 2 ** -29);
          f64[o + 8 + e] = sg * (1 + (r() % 64) * 2 ** -52);
        }
      }
      for (let e = 0; e < 8; e++) {
        const a = Math.fround(rnd() * 2 ** ((r() % 20) - 10));
        const b = Math.fround(rnd() * 2 ** ((r() % 20) - 10));
        const p = Math.fround(a * b);
        const kind = r() % 4;
        f32[2 * (o + 12) + e] = a;
        f32[2 * (o + 16) + e] = b;
        f32[2 * (o + 20) + e] = kind === 0 ? p : kind === 1 ? p * (1 + (r() % 8) * 2 ** -23) : kind === 2 ? Math.fround(p * 2 ** ((r() % 30) - 15)) : rnd();
      }
      f64[o + 24] = rnd();
      f64[o + 25] = rnd() * 2 ** 30;
    }
    const bytes = new Uint8Array(f64.buffer);
    const outcome = (wasm: boolean) => {
      const mem = new Memory(4 * 1024 * 1024);
      mem.map(CODE, 0x1000, PROT_READ | PROT_EXEC);
      mem.writeBytes(CODE, code, false);
      mem.map(DATA, (bytes.length + 0xfff) & ~0xfff, PROT_READ | PROT_WRITE);
      mem.writeBytes(DATA, bytes, false);
      const c = new CPU(mem);
      c.rip = CODE;
      c.setReg64Big(6, BigInt(DATA));
      for (let j = 0; j < 4; j++) c.xmm[8 * 4 + j] = [0, 0x3ff80000, 0, 0][j]; // xmm8 = 1.5
      c.mxcsr = 0x1fa0;
      c.jitEnabled = c.wasmEnabled = wasm;
      c.jitThreshold = c.wasmThreshold = wasm ? 0 : 1e9;
      c.onSyscall = (cpu) => {
        cpu.stopRequested = true;
      };
      CALLS.clear();
      c.run(1e7);
      return { data: mem.readBytes(DATA, bytes.length, false), mxcsr: c.mxcsr, calls: new Map(CALLS) };
    };
    const ref = outcome(false);
    const got = outcome(true);
    const bad: number[] = [];
    for (let j = 0; j < ref.data.length && bad.length < 5; j += 8) if (ref.data.subarray(j, j + 8).some((v, x) => v !== got.data[j + x])) bad.push(j);
    expect(bad.map((j) => `record ${Math.floor(j / 224)} byte ${j % 224}`)).toEqual([]);
    expect(got.mxcsr).toBe(ref.mxcsr);
    for (const m of ["vfmadd231pd", "vfnmsub213ps", "vfmsub132sd"]) expect(got.calls.get(m) ?? 0, m).toBeLessThan(N / 2);
    console.log(`inline FMA hard cases: handler calls ${[...got.calls].map(([m, n]) => `${m} ${n}/${N}`).join(", ")}`);
  });
});
