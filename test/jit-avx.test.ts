/**
 * The WebAssembly tier's inline AVX/AVX2/FMA forms against the interpreter:
 * each instruction (register and memory forms, both widths) runs in a loop
 * compiled at once (threshold 0) and interpreted, from random ymm registers,
 * flags, MXCSR and data; all ymm registers, the GPRs, flags, MXCSR, memory
 * and the outcome (a fault's rip and count) must agree. The instructions
 * must also really be compiled: the handler calls of the compiled run are
 * counted per instruction.
 */
import { describe, expect, it } from "vitest";
import { CPU } from "../src/cpu/cpu.js";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../src/cpu/memory.js";
import { AVX_NOT_INLINED } from "../src/cpu/jit/wasm-avx.js";
import { HAS_AS } from "./helpers/asm.js";
import { prng } from "./helpers/prng.js";
import { assembleLoops, wasmOrInterpreter } from "./helpers/tier.js";

const CODE = 0x400000;
const SLOT = 512; // bytes of code per case
const DATA = 0x600000;
const DATA_RW = 0x2000; // then a read-only page
const ITER = 24;

/** Operand shapes: %d destination, %a %b %c sources, %m memory (ymm or xmm sized by the instruction). */
const BIN = "vpaddb vpaddw vpaddd vpaddq vpsubb vpsubw vpsubd vpsubq vpcmpeqb vpcmpeqw vpcmpeqd vpcmpeqq vpcmpgtb vpcmpgtw vpcmpgtd vpcmpgtq vpand vpandn vpor vpxor vandps vandnpd vorps vxorpd vpminub vpminsb vpmaxub vpmaxsb vpminuw vpminsw vpmaxuw vpmaxsw vpminud vpminsd vpmaxud vpmaxsd vpaddsb vpaddusb vpsubsb vpsubusb vpaddsw vpaddusw vpsubsw vpsubusw vpavgb vpavgw vpmullw vpmulld vpmaddwd vpacksswb vpackuswb vpackssdw vpackusdw vpshufb vpmuludq vpmuldq vpunpcklbw vpunpckhbw vpunpcklwd vpunpckhwd vpunpckldq vpunpckhdq vpunpcklqdq vpunpckhqdq vunpcklps vunpckhps vunpcklpd vunpckhpd".split(" ");
const FP = "vaddps vaddpd vsubps vsubpd vmulps vmulpd vfmadd132ps vfmadd213ps vfmadd231ps vfmadd132pd vfmadd213pd vfmadd231pd".split(" ");
const FP_SCALAR = "vaddss vaddsd vsubss vsubsd vmulss vmulsd vfmadd132ss vfmadd213ss vfmadd231ss vfmadd132sd vfmadd213sd vfmadd231sd".split(" ");

function cases(): string[][] {
  const out: string[][] = [];
  const y = (n: number) => `ymm${n}`;
  const x = (n: number) => `xmm${n}`;
  for (const op of [...BIN, ...FP]) {
    out.push([`${op} ymm1, ymm2, ymm3`, `${op} ymm4, ymm4, ymm5`, `${op} ymm9, ymm10, ymm9`]);
    out.push([`${op} ymm1, ymm2, [rsi]`, `${op} xmm6, xmm7, [rsi+32]`, `${op} xmm11, xmm12, xmm13`]);
  }
  for (const op of FP_SCALAR) {
    const m = op.endsWith("sd") ? "qword ptr" : "dword ptr";
    out.push([`${op} xmm1, xmm2, xmm3`, `${op} xmm4, xmm4, ${m} [rsi+8]`, `${op} xmm9, xmm10, xmm9`]);
  }
  for (const op of ["vpabsb", "vpabsw", "vpabsd"]) out.push([`${op} ymm1, ymm2`, `${op} xmm3, [rsi]`, `${op} ymm4, [rsi+3]`]);
  for (const op of ["vpsllw", "vpslld", "vpsllq", "vpsrlw", "vpsrld", "vpsrlq", "vpsraw", "vpsrad", "vpslldq", "vpsrldq"])
    out.push([`${op} ymm1, ymm2, 3`, `${op} xmm4, xmm5, 17`, `${op} ymm6, ymm6, 70`, `${op} ymm7, ymm8, 9`]);
  for (const s of ["s", "z"])
    for (const t of ["bw", "bd", "bq", "wd", "wq", "dq"]) out.push([`vpmov${s}x${t} ymm1, xmm2`, `vpmov${s}x${t} xmm3, xmm4`, `vpmov${s}x${t} ymm5, [rsi+1]`, `vpmov${s}x${t} xmm6, [rsi+5]`]);
  out.push(["vmovdqu ymm1, [rsi]", "vmovups xmm2, [rsi+40]", "vmovdqa ymm3, [rdi]", "vmovaps xmm4, [rdi+16]", "vmovapd ymm5, ymm6", "vmovdqu xmm7, xmm8"]);
  out.push(["vmovdqu [rsi], ymm1", "vmovups [rsi+50], xmm2", "vmovdqa [rdi], ymm3", "vmovaps [rdi+16], xmm4", "vmovupd [rdx], ymm5", "vpaddb ymm1, ymm1, ymm3"]);
  out.push(["vmovd xmm1, eax", "vmovq xmm2, rbx", "vmovd edx, xmm3", "vmovq [rsi], xmm4", "vmovq xmm5, [rsi+8]", "vmovq xmm6, xmm7", "add rax, rdx"]);
  out.push(["vmovss xmm1, dword ptr [rsi]", "vmovsd xmm2, qword ptr [rsi+8]", "vmovss dword ptr [rsi+20], xmm3", "vmovsd qword ptr [rsi+28], xmm4", "vmovss xmm5, xmm6, xmm7", "vmovsd xmm8, xmm9, xmm10"]);
  out.push(["vpmovmskb eax, ymm1", "vpmovmskb ebx, xmm2", "vmovmskps edx, ymm3", "vmovmskpd r8d, ymm4", "vmovmskps r9d, xmm5", "add rax, rbx", "vpaddb ymm1, ymm1, ymm2"]);
  out.push(["vpaddb ymm1, ymm2, ymm3", "vzeroupper", "vpaddd ymm4, ymm4, ymm1"]);
  out.push(["vpbroadcastb ymm1, xmm2", "vpbroadcastw xmm3, xmm4", "vpbroadcastd ymm5, [rsi]", "vpbroadcastq xmm6, [rsi+8]", "vbroadcastss ymm7, xmm8", "vbroadcastsd ymm9, [rsi+3]", "vbroadcasti128 ymm10, [rsi+5]", "vpbroadcastb xmm11, [rsi+7]", "vpaddb ymm2, ymm2, ymm1"]);
  out.push(["vextracti128 xmm1, ymm2, 1", "vextractf128 xmm3, ymm4, 0", "vextracti128 [rsi], ymm5, 1", "vinserti128 ymm6, ymm7, xmm8, 1", "vinsertf128 ymm9, ymm9, [rsi+4], 0", "vpaddb ymm2, ymm2, ymm6"]);
  out.push(["vperm2i128 ymm1, ymm2, ymm3, 0x21", "vperm2f128 ymm4, ymm5, [rsi], 0x83", "vperm2i128 ymm6, ymm6, ymm7, 0x30", "vpermq ymm8, ymm9, 0x1b", "vpermpd ymm10, [rsi+8], 0xd2", "vpermq ymm11, ymm11, 0x4e", "vpaddb ymm2, ymm2, ymm1"]);
  out.push(["vpshufd ymm1, ymm2, 0x1b", "vpshufd xmm3, [rsi], 0xe4", "vpshufhw ymm4, ymm5, 0x93", "vpshuflw xmm6, xmm7, 0x39", "vpermilps ymm8, ymm9, 0x72", "vpermilpd ymm10, ymm11, 0x6", "vpermilpd xmm12, [rsi+8], 0x1", "vpaddb ymm2, ymm2, ymm1"]);
  out.push(["vshufps ymm1, ymm2, ymm3, 0x4e", "vshufpd ymm4, ymm5, [rsi], 0x9", "vshufps xmm6, xmm6, xmm7, 0xb1", "vpaddd ymm2, ymm2, ymm1"]);
  out.push(["vpalignr ymm1, ymm2, ymm3, 5", "vpalignr xmm4, xmm5, [rsi], 15", "vpalignr ymm6, ymm7, ymm8, 16", "vpalignr ymm9, ymm10, ymm11, 21", "vpalignr ymm12, ymm13, ymm14, 40", "vpaddb ymm2, ymm2, ymm1"]);
  out.push(["vpblendd ymm1, ymm2, ymm3, 0xa5", "vpblendw ymm4, ymm5, [rsi], 0x3c", "vblendps ymm6, ymm7, ymm8, 0x96", "vblendpd ymm9, ymm10, ymm11, 0x9", "vpblendd xmm12, xmm13, xmm14, 0x6", "vpaddb ymm2, ymm2, ymm1"]);
  out.push(["vpblendvb ymm1, ymm2, ymm3, ymm4", "vblendvps ymm5, ymm6, [rsi], ymm7", "vblendvpd xmm8, xmm9, xmm10, xmm11", "vpblendvb xmm12, xmm12, xmm13, xmm12", "vpaddb ymm2, ymm2, ymm1"]);
  void y;
  void x;
  return out;
}

/** Assemble every case at CODE + k * SLOT: the loop `mov ecx, ITER; 1: body; dec ecx; jnz 1b; syscall`. */
interface Outcome {
  fault: string;
  rip: number;
  icount: number;
  regs: bigint[];
  rflags: number;
  ymm: number[];
  mxcsr: number;
  data: Uint8Array;
  calls: Set<string>;
}

function run(code: Uint8Array, k: number, seed: number, wasm: boolean): Outcome {
  const r = prng(seed * 7919 + k + 1);
  const mem = new Memory(2 * 1024 * 1024);
  mem.map(CODE, (code.length + 0xfff) & ~0xfff, PROT_READ | PROT_EXEC);
  mem.writeBytes(CODE, code, false);
  mem.map(DATA, DATA_RW, PROT_READ | PROT_WRITE);
  mem.map(DATA + DATA_RW, 0x1000, PROT_READ);
  // data: random bits, some float-looking values (small exponents) and zeros
  const data = new Uint8Array(DATA_RW + 0x1000);
  for (let j = 0; j < data.length; j++) data[j] = r() % 5 === 0 ? 0 : r() & 0xff;
  mem.writeBytes(DATA, data, false);
  const c = new CPU(mem);
  c.rip = CODE + k * SLOT;
  for (let n = 0; n < 16; n++) c.setReg64Big(n, (BigInt(r()) << 32n) | BigInt(r()));
  const where = seed % 4;
  c.setReg64Big(6, BigInt(DATA + (where === 3 ? 0x1000 - 20 : 0x100 + (r() % 0x800)))); // rsi: unaligned, sometimes across a page
  c.setReg64Big(7, BigInt(DATA + 0x40 * (1 + (r() % 32)))); // rdi: 64-byte aligned
  c.setReg64Big(2, BigInt(DATA + (where === 2 ? DATA_RW - 16 : 0x1800))); // rdx: a ymm store there faults half way when seed % 4 == 2
  for (let j = 0; j < 160; j++) {
    const v = r();
    // a third of the lanes are floats of moderate exponent (so that FP results are normal), some zeros
    c.xmm[j] = j % 3 === 0 ? ((v & 0x807fffff) | ((0x70 + (v >>> 27)) << 23)) : j % 7 === 0 ? 0 : v | 0;
  }
  c.setRflags(0x202 | (r() & 0x8d5));
  // MXCSR: mostly the default, sometimes other rounding, FTZ/DAZ or unmasked exceptions, sticky flags set
  const m = r() % 8;
  c.mxcsr = m < 4 ? 0x1f80 : m === 4 ? 0x1f80 | ((r() % 4) << 13) : m === 5 ? 0x9fc0 : m === 6 ? 0x1f80 & ~(0x80 << (r() % 6)) : 0x1fbf;
  wasmOrInterpreter(c, wasm);
  AVX_NOT_INLINED.clear();
  c.run(10_000);
  const calls = new Set(AVX_NOT_INLINED);
  const f = c.lastFault;
  const ymm: number[] = [];
  for (let s = 0; s < 16; s++) for (const slot of [s, s + 20]) for (let w = 0; w < 4; w++) ymm.push(c.xmm[slot * 4 + w]);
  return {
    fault: f ? `${f.sig}/${f.code} at ${f.rip.toString(16)} addr ${f.addr.toString(16)}` : "",
    rip: c.rip,
    icount: c.icount,
    regs: Array.from({ length: 16 }, (_, n) => c.getReg64(n)),
    rflags: c.getRflags(),
    ymm,
    mxcsr: c.mxcsr,
    data: mem.readBytes(DATA, DATA_RW + 0x1000, false),
    calls,
  };
}

function diff(a: Outcome, b: Outcome): string[] {
  const d: string[] = [];
  if (a.fault !== b.fault) d.push(`fault: ${a.fault} vs ${b.fault}`);
  if (a.rip !== b.rip) d.push(`rip ${a.rip.toString(16)} vs ${b.rip.toString(16)}`);
  if (a.icount !== b.icount) d.push(`icount ${a.icount} vs ${b.icount}`);
  a.regs.forEach((v, n) => v !== b.regs[n] && d.push(`r${n} ${v.toString(16)} vs ${b.regs[n].toString(16)}`));
  if (a.rflags !== b.rflags) d.push(`rflags ${a.rflags.toString(16)} vs ${b.rflags.toString(16)}`);
  if (a.mxcsr !== b.mxcsr) d.push(`mxcsr ${a.mxcsr.toString(16)} vs ${b.mxcsr.toString(16)}`);
  for (let j = 0; j < a.ymm.length; j += 8) {
    const x = a.ymm.slice(j, j + 8);
    const y = b.ymm.slice(j, j + 8);
    if (x.some((v, w) => v !== y[w])) d.push(`ymm${j >> 3}: ${x.map((v) => (v >>> 0).toString(16)).join(" ")} vs ${y.map((v) => (v >>> 0).toString(16)).join(" ")}`);
  }
  const at = a.data.findIndex((v, j) => v !== b.data[j]);
  if (at >= 0) d.push(`memory at ${(DATA + at).toString(16)}`);
  return d;
}

/** Mnemonics without an inline form (the listed loops include a few to check the mix). */
const MAY_CALL = new Set<string>([...FP, ...FP_SCALAR]);

describe.skipIf(!HAS_AS)("WebAssembly tier: inline AVX", () => {
  const all = cases();
  const code = HAS_AS ? assembleLoops(all, SLOT, ITER) : new Uint8Array(0);
  it(`agrees with the interpreter on ${all.length} loops of VEX instructions and runs them inline`, () => {
    const problems: string[] = [];
    const called = new Map<string, number>();
    for (let k = 0; k < all.length; k++)
      for (let seed = 0; seed < 4; seed++) {
        const ref = run(code, k, seed, false);
        const got = run(code, k, seed, true);
        const d = diff(ref, got);
        if (d.length) problems.push(`case ${k} seed ${seed} [${all[k].join("; ")}]: ${d.slice(0, 4).join("; ")}`);
        // with the default MXCSR everything listed runs without its handler
        for (const m of got.calls) if (!MAY_CALL.has(m)) called.set(m, k);
      }
    expect(problems.slice(0, 10)).toEqual([]);
    expect([...called.keys()]).toEqual([]);
  });
});
